//! A misbehaving JWKS provider for soak tests (feature `server`), and the oracle that judges a
//! decision against what it actually served.
//!
//! [`ChaosIdp`] rotates through a ring of keys on a clock, fails a share of fetches (500,
//! garbage, an answer slower than the client's timeout), answers another share slowly but in
//! time, and fails every fetch during scheduled outages. It logs each successful answer with
//! the instant it was produced (taken under the log's lock, so a reader who locks the log after
//! an instant `t` sees every answer produced before `t`). [`ChaosIdp::judge`] turns that log
//! into the exact set of acceptable decisions for a token signed by a given key.
//!
//! It binds 127.0.0.1 only.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::TestKey;

/// How a [`ChaosIdp`] misbehaves.
#[derive(Clone)]
pub struct ChaosConfig {
    /// The keys rotated through, in order.
    pub ring: Vec<TestKey>,
    /// How many consecutive ring keys are published at once (current and upcoming).
    pub published: usize,
    /// The published window moves one key along the ring this often.
    pub rotate_every: Duration,
    /// Share of fetches that fail, split evenly: 500, a 200 of garbage, an answer past
    /// [`ChaosConfig::too_slow`].
    pub fail_ratio: f64,
    /// Share of fetches answered after [`ChaosConfig::slow`] (which must be below the
    /// client's timeout).
    pub slow_ratio: f64,
    /// The delay of a slow answer that still arrives in time.
    pub slow: Duration,
    /// The delay of an answer that comes too late (past the client's timeout).
    pub too_slow: Duration,
    /// Every fetch fails (503) during these `[from, to)` offsets of each period.
    pub outages: Vec<(Duration, Duration)>,
    /// The outage schedule repeats with this period (ignored without outages).
    pub outage_period: Duration,
    /// Seed of the fault dice, so a run can be replayed.
    pub seed: u64,
}

impl std::fmt::Debug for ChaosConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<_> = self.ring.iter().map(TestKey::kid).collect();
        f.debug_struct("ChaosConfig")
            .field("ring", &kids)
            .field("published", &self.published)
            .field("rotate_every", &self.rotate_every)
            .field("fail_ratio", &self.fail_ratio)
            .field("slow_ratio", &self.slow_ratio)
            .field("outages", &self.outages)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

/// One successful JWKS answer.
#[derive(Debug, Clone)]
pub struct Serve {
    /// When the document was produced.
    pub at: Instant,
    /// The `kid`s it published.
    pub kids: Vec<String>,
}

/// What every JWKS request got, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChaosCounts {
    /// Answered with keys (slow ones included).
    pub served: u64,
    /// Answered slowly but in time.
    pub slow: u64,
    /// Answered 500.
    pub status_500: u64,
    /// Answered 200 with a body that is no JWKS.
    pub garbage: u64,
    /// Answered after the client's timeout.
    pub too_slow: u64,
    /// Answered 503 during an outage.
    pub outage: u64,
}

/// The engine's key timing, as `[settings.jwks]` sets it, for [`ChaosIdp::judge`].
#[derive(Debug, Clone, Copy)]
pub struct KeyRules {
    /// How long fetched keys are fresh (the provider sends no `Cache-Control`, so the
    /// default TTL, clamped to the min/max TTL).
    pub ttl: Duration,
    /// How long past the TTL keys are still used while refreshing fails.
    pub max_stale: Duration,
    /// The longest time from a document being produced to the engine using it: the fetch
    /// timeout bounds the transfer, plus scheduling slack.
    pub install_delay: Duration,
}

/// What the oracle accepts for a request with a token signed by a given key, whose claims
/// and route would allow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The key was published by every document the engine can have used, and those keys
    /// were within the staleness limit: only an allow is right.
    MustAllow,
    /// No document the engine can have used published the key (or none was usable): only a
    /// denial is right.
    MustDeny,
    /// The request overlapped a change (a rotation reaching the engine, or the staleness
    /// limit): both answers are right.
    Either,
}

#[derive(Debug)]
struct Log {
    serves: VecDeque<Serve>,
    counts: ChaosCounts,
    last_request: Option<Instant>,
    max_gap: Duration,
}

#[derive(Debug)]
struct Inner {
    config: ChaosConfig,
    started: Instant,
    dice: AtomicU64,
    log: Mutex<Log>,
}

/// A running chaotic provider; see the module docs. Runs until the process ends.
#[derive(Debug, Clone)]
pub struct ChaosIdp {
    inner: Arc<Inner>,
    base: String,
}

impl ChaosIdp {
    /// Starts serving `GET /jwks` on a random 127.0.0.1 port, on its own thread and runtime.
    pub fn start_background(config: ChaosConfig) -> std::io::Result<ChaosIdp> {
        if config.ring.is_empty() || config.published == 0 || config.published > config.ring.len() {
            return Err(std::io::Error::other("the ring must hold at least `published` keys"));
        }
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let base = format!("http://{}", listener.local_addr()?);
        let inner = Arc::new(Inner {
            dice: AtomicU64::new(config.seed),
            config,
            started: Instant::now(),
            log: Mutex::new(Log {
                serves: VecDeque::new(),
                counts: ChaosCounts::default(),
                last_request: None,
                max_gap: Duration::ZERO,
            }),
        });
        let app = Router::new()
            .route("/jwks", get(jwks_endpoint))
            .with_state(Arc::clone(&inner));
        std::thread::spawn(move || runtime.block_on(async move { axum::serve(listener, app).await }));
        Ok(ChaosIdp { inner, base })
    }

    /// The JWKS URL.
    pub fn jwks_uri(&self) -> String {
        format!("{}/jwks", self.base)
    }

    /// The ring keys the schedule publishes at `at` (what the next good answer would hold).
    pub fn published_at(&self, at: Instant) -> Vec<&TestKey> {
        self.inner.published_at(at)
    }

    /// Counts of every answer so far.
    pub fn counts(&self) -> ChaosCounts {
        self.inner.log().counts
    }

    /// The longest time between two JWKS requests so far (how late a refresh came).
    pub fn max_gap(&self) -> Duration {
        self.inner.log().max_gap
    }

    /// Forgets successful answers produced before `cutoff`, except the last of them (the
    /// oracle needs the document in use at `cutoff`). Keeps a long soak's memory flat.
    pub fn forget_before(&self, cutoff: Instant) {
        let mut log = self.inner.log();
        while log.serves.len() > 1 && log.serves.get(1).is_some_and(|s| s.at < cutoff) {
            log.serves.pop_front();
        }
    }

    /// The acceptable decisions for a token signed by `kid` (well formed, in time, from this
    /// provider's issuer, for a route it is allowed on) when the request ran from `t0` to
    /// `t1`. Call after `t1`. `None` before the first successful answer.
    ///
    /// The engine may have used any document from the last one produced before
    /// `t0 - install_delay` (it certainly had that one, or a later one, by `t0`) to the last
    /// one produced before `t1`. A document produced at `s` is usable until at least
    /// `s + ttl + max_stale` and at most `s + install_delay + ttl + max_stale`.
    pub fn judge(&self, kid: &str, t0: Instant, t1: Instant, rules: KeyRules) -> Option<Verdict> {
        let log = self.inner.log();
        let settled = t0.checked_sub(rules.install_delay).unwrap_or(t0);
        let first = log.serves.partition_point(|s| s.at < settled).saturating_sub(1);
        let last = log.serves.partition_point(|s| s.at <= t1);
        let candidates = log.serves.range(first..last.max(first));
        let life = rules.ttl + rules.max_stale;
        let (mut any_with, mut any_without) = (false, false);
        for serve in candidates {
            let usable = serve.at + rules.install_delay + life > t0;
            if serve.kids.iter().any(|k| k == kid) && usable {
                any_with = true;
            } else {
                any_without = true;
            }
        }
        // Usable for the whole request: a document the engine surely had by `t0` that does
        // not go stale before `t1` (a later install only pushes the limit out).
        let surely_usable = log
            .serves
            .range(..last)
            .rev()
            .find(|s| s.at <= settled)
            .is_some_and(|s| s.at + life > t1);
        if !surely_usable {
            any_without = true;
        }
        if log.serves.is_empty() {
            return None;
        }
        Some(match (any_with, any_without) {
            (true, false) => Verdict::MustAllow,
            (false, _) => Verdict::MustDeny,
            (true, true) => Verdict::Either,
        })
    }
}

impl ChaosIdp {
    /// True when every document produced before `t` is past the staleness limit at `t` even
    /// if it reached the engine as late as possible: the engine must refuse every token.
    pub fn keys_expired(&self, t: Instant, rules: KeyRules) -> bool {
        let log = self.inner.log();
        let life = rules.install_delay + rules.ttl + rules.max_stale;
        log.serves
            .iter()
            .rev()
            .find(|s| s.at <= t)
            .is_none_or(|s| s.at + life <= t)
    }
}

/// What one fetch gets.
enum Fault {
    Serve(Option<Duration>),
    Status500,
    Garbage,
    TooSlow,
    Outage,
}

impl Inner {
    fn log(&self) -> MutexGuard<'_, Log> {
        // Plain counters and a list: a panic elsewhere leaves nothing half-written.
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn published_at(&self, at: Instant) -> Vec<&TestKey> {
        let c = &self.config;
        let step = at.saturating_duration_since(self.started).as_nanos() / c.rotate_every.as_nanos().max(1);
        let len = c.ring.len();
        let first = usize::try_from(step % len as u128).unwrap_or(0);
        (0..c.published).filter_map(|i| c.ring.get((first + i) % len)).collect()
    }

    /// A uniform draw in [0, 1) from a splitmix64 sequence.
    fn roll(&self) -> f64 {
        let mut z = self.dice.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    fn fault(&self, now: Instant) -> Fault {
        let c = &self.config;
        if !c.outages.is_empty() {
            let period = c.outage_period.as_nanos().max(1);
            let offset = now.saturating_duration_since(self.started).as_nanos() % period;
            if c.outages
                .iter()
                .any(|(from, to)| (from.as_nanos()..to.as_nanos()).contains(&offset))
            {
                return Fault::Outage;
            }
        }
        let r = self.roll();
        let third = c.fail_ratio / 3.0;
        if r < third {
            Fault::Status500
        } else if r < 2.0 * third {
            Fault::Garbage
        } else if r < c.fail_ratio {
            Fault::TooSlow
        } else if r < c.fail_ratio + c.slow_ratio {
            Fault::Serve(Some(c.slow))
        } else {
            Fault::Serve(None)
        }
    }
}

async fn jwks_endpoint(State(idp): State<Arc<Inner>>, request_headers: HeaderMap) -> Response {
    let now = Instant::now();
    let fault = idp.fault(now);
    {
        let mut log = idp.log();
        if let Some(last) = log.last_request {
            log.max_gap = log.max_gap.max(now.saturating_duration_since(last));
        }
        log.last_request = Some(now);
        match fault {
            Fault::Serve(Some(_)) => log.counts.slow += 1,
            Fault::Serve(None) => {}
            Fault::Status500 => log.counts.status_500 += 1,
            Fault::Garbage => log.counts.garbage += 1,
            Fault::TooSlow => log.counts.too_slow += 1,
            Fault::Outage => log.counts.outage += 1,
        }
    }
    if request_headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) != Some("application/json") {
        return StatusCode::NOT_ACCEPTABLE.into_response();
    }
    match fault {
        Fault::Serve(delay) => {
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            let body = {
                let mut log = idp.log();
                // The instant is taken under the lock: see the module docs.
                let at = Instant::now();
                let keys = idp.published_at(at);
                let body = crate::jwks(&keys).to_string();
                let kids = keys.iter().filter_map(|k| k.kid().map(String::from)).collect();
                log.serves.push_back(Serve { at, kids });
                log.counts.served += 1;
                body
            };
            ([(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        Fault::Status500 => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Fault::Garbage => (
            [(header::CONTENT_TYPE, "application/json")],
            "{\"keys\": [{\"kty\": \"RSA\", \"n\": 12}",
        )
            .into_response(),
        Fault::TooSlow => {
            tokio::time::sleep(idp.config.too_slow).await;
            // Too late: the client gave up; what it would have been is never counted as served.
            StatusCode::OK.into_response()
        }
        Fault::Outage => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

#[cfg(test)]
mod tests;
