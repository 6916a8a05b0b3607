//! Authentication: a token's identity from the identity cache, or by full verification.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use super::Engine;
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
        if let Some(cache) = &self.cache
            && let Some(identity) = cache.get(token)
            // A key removed since verification (rotation, staleness) sends the token back through.
            && self
                .model
                .issuers
                .get(identity.facts.issuer)
                .is_some_and(|i| i.keys.epoch() == identity.key_epoch)
        {
            check_time(
                identity.expires_at,
                identity.not_before,
                None,
                now,
                self.settings.leeway_seconds,
            )?;
            return Ok(identity);
        }
        let verifier = Verifier {
            issuers: &self.model.issuers,
            symbols: &self.model.symbols,
            leeway: self.settings.leeway_seconds,
            max_token_bytes: max,
        };
        let identity = Arc::new(verifier.verify(token, now)?);
        if let Some(cache) = &self.cache {
            cache.insert(token, Arc::clone(&identity));
        }
        Ok(identity)
    }
}
