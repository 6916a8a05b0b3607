//! The engine's metrics, through the `metrics` facade. Every handle is registered once, when the
//! engine is compiled, with static label values: recording a decision is an index and an
//! increment, never a lookup, an allocation or string formatting. Without a recorder installed
//! (globally or as the thread's local recorder) at compile time, the handles do nothing.

use std::cell::Cell;
use std::time::Instant;

use metrics::{Counter, Histogram, counter, histogram};

use super::decision::{Decision, GrantBasis};
use crate::reason::ReasonCode;

/// Decisions by outcome and reason.
pub const DECISIONS: &str = "scopegate_decisions_total";
/// Decision latency, seconds (sampled, see [`SAMPLE_EVERY`]).
pub const DECISION_DURATION: &str = "scopegate_decision_duration_seconds";
/// Identity-cache hits.
pub const CACHE_HITS: &str = "scopegate_identity_cache_hits_total";
/// Identity-cache misses.
pub const CACHE_MISSES: &str = "scopegate_identity_cache_misses_total";

/// One decision in this many (per thread) is timed: two clock reads cost about 15% of a cached
/// decision, one in sixteen about 1%. The histogram's count is therefore not the number of
/// decisions; `scopegate_decisions_total` is.
pub const SAMPLE_EVERY: u32 = 16;

thread_local! {
    static TICK: Cell<u32> = const { Cell::new(0) };
}

/// The handles of one engine.
pub(crate) struct EngineMetrics {
    allowed: Counter,
    anonymous: Counter,
    /// By reason code (`ReasonCode::ALL` is in declaration order); the decision label follows
    /// from the code's status.
    denied: Box<[Counter]>,
    duration: Histogram,
    cache_hits: Counter,
    cache_misses: Counter,
}

impl std::fmt::Debug for EngineMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineMetrics").finish_non_exhaustive()
    }
}

impl EngineMetrics {
    /// Registers every handle with the recorder in effect now.
    pub fn register() -> EngineMetrics {
        let denied = ReasonCode::ALL
            .iter()
            .map(|code| {
                let decision = if code.status() == 403 {
                    "forbidden"
                } else {
                    "unauthorized"
                };
                counter!(DECISIONS, "decision" => decision, "reason" => code.as_str())
            })
            .collect();
        EngineMetrics {
            allowed: counter!(DECISIONS, "decision" => "allowed", "reason" => "allowed"),
            anonymous: counter!(DECISIONS, "decision" => "allowed", "reason" => "anonymous"),
            denied,
            duration: histogram!(DECISION_DURATION),
            cache_hits: counter!(CACHE_HITS),
            cache_misses: counter!(CACHE_MISSES),
        }
    }

    /// A clock reading when this decision is one of the sampled ones.
    #[inline]
    pub fn start(&self) -> Option<Instant> {
        TICK.with(|t| {
            let n = t.get().wrapping_add(1);
            t.set(n);
            (n % SAMPLE_EVERY == 0).then(Instant::now)
        })
    }

    /// Counts the decision, and times it when it was sampled.
    #[inline]
    pub fn record(&self, decision: &Decision, started: Option<Instant>) {
        let counter = match decision {
            Decision::Allow(g) => match g.basis {
                GrantBasis::Anonymous | GrantBasis::CorsPreflight => &self.anonymous,
                GrantBasis::Requirement | GrantBasis::Unmatched => &self.allowed,
            },
            // `ReasonCode::ALL` lists every code, so the lookup always finds one.
            Decision::Unauthenticated(d) | Decision::Forbidden(d) => match self.denied.get(d.code as usize) {
                Some(counter) => counter,
                None => return,
            },
        };
        counter.increment(1);
        if let Some(started) = started {
            self.duration.record(started.elapsed().as_secs_f64());
        }
    }

    #[inline]
    pub fn cache_hit(&self) {
        self.cache_hits.increment(1);
    }

    #[inline]
    pub fn cache_miss(&self) {
        self.cache_misses.increment(1);
    }
}
