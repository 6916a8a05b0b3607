//! Keys over the network, as the engine exposes them: the fetch a decision waits for, warm-up
//! and counters. Without the `network` feature these are no-ops (offline keys never fetch).

#[cfg(feature = "network")]
use std::sync::Arc;

use super::Engine;
use super::decision::Decision;
#[cfg(feature = "network")]
use crate::keys::KeyStats;
use crate::keys::KeysUnavailable;
use crate::reason::ReasonCode;
use crate::unverified;

/// A key fetch that may change a decision ([`Engine::key_fetch`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFetch {
    issuer: u16,
    kid: Option<String>,
}

/// The outcome of [`Engine::warm_up`] for one network issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WarmUp {
    /// The issuer's id.
    pub issuer: String,
    /// The number of keys loaded, or why none could be.
    pub outcome: Result<usize, KeysUnavailable>,
}

impl Engine {
    /// For adapters that decide synchronously first: the fetch that could change this
    /// decision, if any. Only a 401 for an unknown key, or an issuer without keys yet, of an
    /// issuer that fetches its keys qualifies; an unknown issuer never causes a fetch.
    pub fn key_fetch(&self, decision: &Decision, token: Option<&str>) -> Option<KeyFetch> {
        let Decision::Unauthenticated(denial) = decision else {
            return None;
        };
        if !matches!(denial.code, ReasonCode::UnknownKey | ReasonCode::KeysUnavailable) {
            return None;
        }
        let peeked = unverified::peek(token?, self.settings.max_token_bytes).ok()?;
        let iss = peeked.claims.get("iss")?.as_str()?;
        let issuer = self.model.issuers.by_iss(iss)?;
        if !issuer.keys.is_remote() {
            return None;
        }
        let kid = peeked.header.kid;
        if kid.is_none() && issuer.keys.current().is_ok() {
            // Keys are known and the token names none: fetching cannot help.
            return None;
        }
        Some(KeyFetch {
            issuer: issuer.index,
            kid,
        })
    }

    /// Runs a [`KeyFetch`]; true when the key is known afterwards (decide again).
    pub async fn fetch_keys(&self, fetch: &KeyFetch) -> bool {
        #[cfg(feature = "network")]
        if let Some(remote) = self.model.issuers.get(fetch.issuer).and_then(|i| i.keys.remote_keys()) {
            return remote.resolve_unknown(fetch.kid.as_deref()).await;
        }
        let _ = fetch;
        false
    }

    /// Fetches the keys of every network issuer now, concurrently, and starts their background
    /// refresh. Returns one outcome per network issuer (key count, or why it failed); requests
    /// for an issuer that failed here fail closed with `keys_unavailable` until a later fetch
    /// succeeds.
    pub async fn warm_up(&self) -> Vec<WarmUp> {
        #[cfg(feature = "network")]
        {
            let mut tasks = tokio::task::JoinSet::new();
            for issuer in self.model.issuers.iter() {
                if let Some(remote) = issuer.keys.remote_keys() {
                    let remote = Arc::clone(remote);
                    let id = issuer.id().to_string();
                    tasks.spawn(async move {
                        let outcome = remote.warm_up().await;
                        WarmUp { issuer: id, outcome }
                    });
                }
            }
            let mut outcomes = Vec::new();
            while let Some(done) = tasks.join_next().await {
                match done {
                    Ok(w) => {
                        if let Err(e) = &w.outcome {
                            tracing::warn!(issuer = %w.issuer, error = %e, "warm-up failed");
                        }
                        outcomes.push(w);
                    }
                    Err(e) => tracing::error!(error = %e, "warm-up task failed"),
                }
            }
            outcomes.sort_by(|a, b| a.issuer.cmp(&b.issuer));
            outcomes
        }
        #[cfg(not(feature = "network"))]
        Vec::new()
    }

    /// Fetch counters of every network issuer, by issuer id.
    #[cfg(feature = "network")]
    pub fn key_stats(&self) -> Vec<(&str, KeyStats)> {
        self.model
            .issuers
            .iter()
            .filter_map(|i| i.keys.stats().map(|s| (i.id(), s)))
            .collect()
    }
}
