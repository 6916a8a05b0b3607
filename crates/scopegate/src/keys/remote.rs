//! The JWKS lifecycle of one network issuer: fetch, cache, refresh ahead, single flight on
//! unknown `kid`s, stale-if-error up to a limit, then fail closed.
//!
//! Readers never wait: the verifier takes the current set from an `ArcSwapOption`. Only a
//! token whose `kid` is unknown (or an issuer with no keys yet) waits for a fetch, and those
//! share one fetch per issuer, at most one per cooldown.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use reqwest::Url;

use super::fetch::{FetchError, FetchLimits, FetchMetrics, FetchedKeys, Fetcher, check_url, discovery_url};
use super::{KeySet, KeysUnavailable};
use crate::policy::JwksFetchSource;

/// Where an issuer's keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySource {
    /// `{iss}/.well-known/openid-configuration`, then its `jwks_uri`.
    Discovery(Url),
    /// A JWKS URL given in the policy (or the profile's fixed path).
    Jwks(Url),
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Discovery(url) => write!(f, "discovery {url}"),
            KeySource::Jwks(url) => write!(f, "jwks_uri {url}"),
        }
    }
}

impl KeySource {
    /// A JWKS URL, checked: https, or plain http to a loopback address.
    pub(crate) fn jwks(url: &str) -> Result<KeySource, FetchError> {
        check_url(url).map(KeySource::Jwks)
    }

    /// OIDC discovery from an issuer (`{iss}/.well-known/openid-configuration`), checked alike.
    pub(crate) fn discovery(iss: &str) -> Result<KeySource, FetchError> {
        discovery_url(iss).map(KeySource::Discovery)
    }
}

/// What every network issuer of an engine shares: one HTTP client, one set of timing rules.
#[derive(Debug, Clone)]
pub(crate) struct Network {
    fetcher: Arc<Fetcher>,
    rules: Lifecycle,
}

impl Network {
    /// Builds the client from checked settings ([`JwksFetchSource::check`]).
    pub fn new(s: &JwksFetchSource) -> Result<Network, String> {
        let secs = |v: f64| Duration::try_from_secs_f64(v).map_err(|e| format!("{v} s: {e}"));
        let limits = FetchLimits {
            connect_timeout: secs(s.connect_timeout_seconds)?,
            timeout: secs(s.timeout_seconds)?,
            max_body_bytes: s.max_body_bytes,
        };
        let rules = Lifecycle {
            default_ttl: secs(s.default_ttl_seconds)?,
            min_ttl: secs(s.min_ttl_seconds)?,
            max_ttl: secs(s.max_ttl_seconds)?,
            cooldown: secs(s.unknown_kid_cooldown_seconds)?,
            max_stale: secs(s.max_stale_seconds)?,
            negative_capacity: s.unknown_kid_capacity,
        };
        let fetcher = Fetcher::new(limits).map_err(|e| e.to_string())?;
        Ok(Network {
            fetcher: Arc::new(fetcher),
            rules,
        })
    }
}

/// Timing rules from `[settings.jwks]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Lifecycle {
    pub default_ttl: Duration,
    pub min_ttl: Duration,
    pub max_ttl: Duration,
    pub cooldown: Duration,
    pub max_stale: Duration,
    pub negative_capacity: u64,
}

/// Counters an embedding service can export. Totals since the engine was compiled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyStats {
    /// Fetch attempts (discovery + JWKS count as one).
    pub fetches: u64,
    /// Attempts that failed.
    pub failures: u64,
    /// Verifications that used keys past their TTL because refreshing failed.
    pub stale_serves: u64,
    /// Tokens rejected because their `kid` was not in the (refreshed) key set.
    pub unknown_kid_rejections: u64,
}

#[derive(Debug, Default)]
struct Counters {
    fetches: AtomicU64,
    failures: AtomicU64,
    stale_serves: AtomicU64,
    unknown_kid_rejections: AtomicU64,
}

#[derive(Debug, Default)]
struct State {
    /// From discovery; forgotten when a JWKS fetch fails so the next attempt rediscovers.
    jwks_uri: Option<Url>,
    last_attempt: Option<Instant>,
    last_error: Option<FetchError>,
    next_refresh: Option<Instant>,
}

const MAX_KID_BYTES: usize = 256;

/// The background refresher waits at least this long between attempts.
const MIN_REFRESH_INTERVAL: Duration = Duration::from_millis(100);

/// Milliseconds on a process-wide monotonic clock (atomics cannot hold an `Instant`).
fn now_ms() -> u64 {
    static BASE: OnceLock<Instant> = OnceLock::new();
    let base = *BASE.get_or_init(Instant::now);
    u64::try_from(base.elapsed().as_millis()).unwrap_or(u64::MAX)
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// One issuer's keys, fetched over the network.
#[derive(Debug)]
pub(crate) struct RemoteKeys {
    issuer: Arc<str>,
    iss: String,
    source: KeySource,
    fetcher: Arc<Fetcher>,
    rules: Lifecycle,
    keys: ArcSwapOption<KeySet>,
    /// Bumped when a key stops being trusted (removed, replaced, or expired past staleness):
    /// identities verified under an older epoch are verified again.
    epoch: AtomicU64,
    /// Bumped after every completed fetch attempt; waiters compare it to skip a second fetch.
    attempts: AtomicU64,
    fresh_until_ms: AtomicU64,
    stale_until_ms: AtomicU64,
    state: Mutex<State>,
    flight: tokio::sync::Mutex<()>,
    unknown_kids: moka::sync::Cache<Box<str>, ()>,
    counters: Counters,
    meters: FetchMetrics,
    /// When the keys held now were installed (`now_ms`), for the key-age gauge.
    installed_ms: AtomicU64,
    refresher: AtomicBool,
}

impl RemoteKeys {
    pub fn new(issuer: Arc<str>, iss: String, source: KeySource, network: Network) -> Self {
        let Network { fetcher, rules } = network;
        let unknown_kids = moka::sync::Cache::builder()
            .max_capacity(rules.negative_capacity)
            .time_to_live(rules.cooldown.max(Duration::from_millis(1)))
            .build();
        RemoteKeys {
            meters: FetchMetrics::register(&issuer),
            installed_ms: AtomicU64::new(0),
            issuer,
            iss,
            source,
            fetcher,
            rules,
            keys: ArcSwapOption::empty(),
            epoch: AtomicU64::new(0),
            attempts: AtomicU64::new(0),
            fresh_until_ms: AtomicU64::new(0),
            stale_until_ms: AtomicU64::new(0),
            state: Mutex::new(State::default()),
            flight: tokio::sync::Mutex::new(()),
            unknown_kids,
            counters: Counters::default(),
            refresher: AtomicBool::new(false),
        }
    }

    pub fn source(&self) -> &KeySource {
        &self.source
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is plain data; a panic elsewhere cannot leave it half-written.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The keys to verify with now, or why there are none.
    pub fn current(&self) -> Result<Arc<KeySet>, KeysUnavailable> {
        let Some(keys) = self.keys.load_full() else {
            return Err(match &self.state().last_error {
                Some(e) => KeysUnavailable::FetchFailed(e.clone()),
                None => KeysUnavailable::NotFetched,
            });
        };
        let now = now_ms();
        if now >= self.stale_until_ms.load(Ordering::Acquire) {
            return Err(KeysUnavailable::Stale(self.state().last_error.clone()));
        }
        if now >= self.fresh_until_ms.load(Ordering::Relaxed) {
            self.counters.stale_serves.fetch_add(1, Ordering::Relaxed);
        }
        Ok(keys)
    }

    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    pub fn stats(&self) -> KeyStats {
        KeyStats {
            fetches: self.counters.fetches.load(Ordering::Relaxed),
            failures: self.counters.failures.load(Ordering::Relaxed),
            stale_serves: self.counters.stale_serves.load(Ordering::Relaxed),
            unknown_kid_rejections: self.counters.unknown_kid_rejections.load(Ordering::Relaxed),
        }
    }

    /// Installs a key set as if fetched now (tests and manual rotation).
    pub fn install(&self, keys: KeySet, ttl: Duration) {
        let now = now_ms();
        if let Some(old) = self.keys.load_full()
            && !keys.covers(&old)
        {
            self.epoch.fetch_add(1, Ordering::AcqRel);
        }
        self.keys.store(Some(Arc::new(keys)));
        self.installed_ms.store(now, Ordering::Release);
        self.fresh_until_ms
            .store(now.saturating_add(ms(ttl)), Ordering::Release);
        self.stale_until_ms.store(
            now.saturating_add(ms(ttl)).saturating_add(ms(self.rules.max_stale)),
            Ordering::Release,
        );
        self.unknown_kids.invalidate_all();
    }

    /// A token's `kid` (or any key, for `None`) is missing: fetch if allowed, and say whether
    /// it is known now. Single flight per issuer; at most one fetch per cooldown.
    pub async fn resolve_unknown(self: &Arc<Self>, kid: Option<&str>) -> bool {
        // No provider uses kids this long; remembering them would let tokens fill memory.
        if let Some(k) = kid
            && (k.len() > MAX_KID_BYTES || self.unknown_kids.contains_key(k))
        {
            self.counters.unknown_kid_rejections.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        let seen = self.attempts.load(Ordering::Acquire);
        {
            let _flight = self.flight.lock().await;
            // Someone else's fetch finished while this request waited: use its result.
            if self.attempts.load(Ordering::Acquire) == seen && self.cooldown_over() {
                self.refresh().await;
            }
        }
        self.ensure_refresher();
        let known = match (self.current(), kid) {
            (Err(_), _) => false,
            (Ok(_), None) => true,
            (Ok(keys), Some(k)) => keys.has_kid(k),
        };
        if !known && let Some(k) = kid {
            self.unknown_kids.insert(k.into(), ());
            self.counters.unknown_kid_rejections.fetch_add(1, Ordering::Relaxed);
        }
        known
    }

    /// Fetches now (for warm-up), sharing a fetch already in flight.
    pub async fn warm_up(self: &Arc<Self>) -> Result<usize, KeysUnavailable> {
        let seen = self.attempts.load(Ordering::Acquire);
        {
            let _flight = self.flight.lock().await;
            if self.attempts.load(Ordering::Acquire) == seen {
                self.refresh().await;
            }
        }
        self.ensure_refresher();
        let last_error = self.state().last_error.clone();
        match (self.keys.load_full(), last_error) {
            (Some(keys), None) => Ok(keys.len()),
            (_, Some(e)) => Err(KeysUnavailable::FetchFailed(e)),
            (None, None) => Err(KeysUnavailable::NotFetched),
        }
    }

    fn cooldown_over(&self) -> bool {
        self.state()
            .last_attempt
            .is_none_or(|t| t.elapsed() >= self.rules.cooldown)
    }

    /// One fetch attempt. Callers hold `flight`.
    async fn refresh(&self) {
        let started = Instant::now();
        self.state().last_attempt = Some(started);
        let result = self.fetch().await;
        let elapsed_ms = started.elapsed().as_millis();
        self.counters.fetches.fetch_add(1, Ordering::Relaxed);
        match result {
            Ok(fetched) => {
                self.meters.ok.increment(1);
                let ttl = fetched
                    .max_age
                    .unwrap_or(self.rules.default_ttl)
                    .clamp(self.rules.min_ttl, self.rules.max_ttl);
                let count = fetched.keys.len();
                self.install(fetched.keys, ttl);
                let mut state = self.state();
                state.last_error = None;
                // Refresh ahead: at 80% of the lifetime, so requests never see expired keys.
                state.next_refresh = Some(started + ttl.mul_f64(0.8));
                drop(state);
                tracing::info!(
                    issuer = %self.issuer,
                    outcome = "ok",
                    keys = count,
                    ttl_s = ttl.as_secs_f64(),
                    duration_ms = elapsed_ms,
                    "jwks fetch"
                );
            }
            Err(e) => {
                self.meters.error.increment(1);
                self.counters.failures.fetch_add(1, Ordering::Relaxed);
                let mut state = self.state();
                state.last_error = Some(e.clone());
                state.next_refresh = Some(started + self.rules.cooldown);
                if matches!(e, FetchError::Status { .. } | FetchError::Transport { .. }) {
                    state.jwks_uri = None;
                }
                drop(state);
                if self.keys.load().is_some() && now_ms() >= self.stale_until_ms.load(Ordering::Acquire) {
                    // Past the staleness limit: fail closed, and make cached identities re-verify.
                    self.keys.store(None);
                    self.epoch.fetch_add(1, Ordering::AcqRel);
                }
                tracing::warn!(
                    issuer = %self.issuer,
                    outcome = "error",
                    error = %e,
                    duration_ms = elapsed_ms,
                    "jwks fetch"
                );
            }
        }
        if self.keys.load().is_some() {
            let age_ms = now_ms().saturating_sub(self.installed_ms.load(Ordering::Acquire));
            self.meters.key_age.set(age_ms as f64 / 1000.0);
        }
        self.attempts.fetch_add(1, Ordering::AcqRel);
    }

    async fn fetch(&self) -> Result<FetchedKeys, FetchError> {
        let jwks_uri = match &self.source {
            KeySource::Jwks(url) => url.clone(),
            KeySource::Discovery(url) => {
                let known = self.state().jwks_uri.clone();
                match known {
                    Some(u) => u,
                    None => {
                        let u = self.fetcher.discover(&self.iss, url).await?;
                        self.state().jwks_uri = Some(u.clone());
                        u
                    }
                }
            }
        };
        self.fetcher.jwks(&jwks_uri).await
    }

    /// Starts the background refresher once, on the current tokio runtime. It holds only a
    /// weak reference, so it ends when the engine is dropped.
    fn ensure_refresher(self: &Arc<Self>) {
        if self.refresher.swap(true, Ordering::AcqRel) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.refresher.store(false, Ordering::Release);
            return;
        };
        let weak = Arc::downgrade(self);
        runtime.spawn(async move {
            loop {
                let wait = match weak.upgrade() {
                    None => break,
                    Some(keys) => keys.until_next_refresh(),
                };
                // Even with a zero TTL floor or cooldown, never a hot loop against the provider.
                tokio::time::sleep(wait.max(MIN_REFRESH_INTERVAL)).await;
                let Some(keys) = weak.upgrade() else { break };
                let _flight = keys.flight.lock().await;
                if keys.until_next_refresh().is_zero() {
                    keys.refresh().await;
                }
            }
        });
    }

    fn until_next_refresh(&self) -> Duration {
        let state = self.state();
        match state.next_refresh {
            Some(at) => at.saturating_duration_since(Instant::now()),
            None => self.rules.cooldown,
        }
    }
}
