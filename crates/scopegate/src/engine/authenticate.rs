//! Authentication: a token's identity from the identity cache, a known forgery from the
//! rejected-signature cache, or full verification.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use super::Engine;
use super::cache::Refusal;
use super::identity::Identity;
use super::verify::{Verifier, check_time};
use crate::reason::{ReasonCode, Rejection};

fn wall_clock() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Engine {
    /// Verifies a token (or returns its cached identity).
    pub fn authenticate(&self, token: &str, now: Option<u64>) -> Result<Arc<Identity>, Rejection> {
        let now = now.unwrap_or_else(wall_clock);
        let max = self.settings.max_token_bytes;
        if token.len() > max {
            let message = format!("token is {} bytes, more than the {max} allowed", token.len());
            return Err(Rejection::new(ReasonCode::MalformedToken, message));
        }
        if let Some(cache) = &self.cache {
            if let Some(identity) = cache.get(token, now)
                // A key removed since verification (rotation, staleness) sends the token back through.
                && self
                    .model
                    .issuers
                    .get(identity.facts.issuer)
                    .is_some_and(|i| i.keys.epoch() == identity.key_epoch)
            {
                self.metrics.cache_hit();
                check_time(
                    identity.expires_at,
                    identity.not_before,
                    None,
                    now,
                    self.settings.leeway_seconds,
                )?;
                return Ok(identity);
            }
            self.metrics.cache_miss();
        }
        if let Some(refusal) = self.known_forgery(token, now) {
            return Err(refusal);
        }
        let verifier = Verifier {
            issuers: &self.model.issuers,
            symbols: &self.model.symbols,
            leeway: self.settings.leeway_seconds,
            max_token_bytes: max,
        };
        let mut bad_signature_under = None;
        let identity = match verifier.verify(token, now, &mut bad_signature_under) {
            Ok(identity) => Arc::new(identity),
            Err(rejection) => {
                if let (Some(rejected), Some((issuer, keys))) = (&self.rejected, bad_signature_under) {
                    let refusal = Refusal {
                        rejection: rejection.clone(),
                        keys,
                        issuer,
                    };
                    rejected.insert(token, refusal);
                }
                return Err(rejection);
            }
        };
        if let Some(cache) = &self.cache {
            cache.insert(token, Arc::clone(&identity));
        }
        Ok(identity)
    }

    /// The rejection of a token whose signature already failed under the issuer's current key
    /// set. Any other key set (rotation, refresh, keys unavailable) answers `None`: the token
    /// is verified again.
    fn known_forgery(&self, token: &str, now: u64) -> Option<Rejection> {
        let refusal = self.rejected.as_ref()?.get(token, now)?;
        let keys = self.model.issuers.get(refusal.issuer)?.keys.current().ok()?;
        // The weak reference keeps the old set's allocation, so its address cannot be reused.
        std::ptr::eq(Arc::as_ptr(&keys), refusal.keys.as_ptr()).then_some(refusal.rejection)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::keys::KeySet;
    use crate::{Format, LoadedPolicy};
    use scopegate_testkit::fixtures::{
        A0_ISS, FA_SECRET, FA_SECRET_ENV, a0b, auth0_claims, keys, pharmacy_policy_text,
    };
    use scopegate_testkit::{TestKey, jwks, now};

    #[test]
    fn forgeries_are_remembered_only_under_the_key_set_that_refused_them() {
        let policy = LoadedPolicy::parse(&pharmacy_policy_text(), Format::Toml, "p.toml")
            .unwrap()
            .with_secret(FA_SECRET_ENV, FA_SECRET);
        let e = Engine::compile(&policy).unwrap().engine;
        let forger = TestKey::rsa(keys().auth0.kid().unwrap(), "RS256");
        let forged = a0b(auth0_claims("", &["admin"])).sign(&forger);
        assert!(e.known_forgery(&forged, now()).is_none());
        assert_eq!(
            e.authenticate(&forged, None).unwrap_err().code,
            ReasonCode::BadSignature
        );
        let remembered = e.known_forgery(&forged, now()).unwrap();
        assert_eq!(remembered.code, ReasonCode::BadSignature);
        // Other failures are not remembered: they do not cost a signature check.
        assert!(e.authenticate("a.b.c", None).is_err());
        assert!(e.known_forgery("a.b.c", now()).is_none());
        // Any new key set, even with the same keys, forgets it.
        e.issuers()
            .by_iss(A0_ISS)
            .unwrap()
            .keys()
            .replace(KeySet::from_jwks(&jwks(&[&keys().auth0])).unwrap());
        assert!(e.known_forgery(&forged, now()).is_none());
    }
}
