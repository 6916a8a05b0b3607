//! The engine's metrics, read back from `metrics-util`'s debugging recorder: the right counters
//! move for allowed, 401 and 403 decisions and for identity-cache hits and misses, with label
//! values from a fixed set and never token material.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::recorded::{Metric, find, read};
use common::*;
use metrics_util::debugging::{DebuggingRecorder, Snapshotter};
use scopegate::{AuthRequest, Engine};

fn engine_with_recorder() -> (Engine, Snapshotter) {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let engine = metrics::with_local_recorder(&recorder, fresh_engine);
    (engine, snapshotter)
}

fn value(all: &[Metric], name: &str, labels: &[(&str, &str)]) -> f64 {
    find(all, name, labels).unwrap_or(0.0)
}

fn decision(all: &[Metric], decision: &str, reason: &str) -> f64 {
    value(
        all,
        "scopegate_decisions_total",
        &[("decision", decision), ("reason", reason)],
    )
}

#[test]
fn decisions_are_counted_by_outcome_and_reason() {
    let (e, snap) = engine_with_recorder();
    let admin = auth0_token("", &["admin"]);
    let user = auth0_token("", &["user"]);
    for _ in 0..3 {
        assert!(e.decide(&AuthRequest::new("POST", "/pets").token(&admin)).is_allowed());
    }
    assert_eq!(e.decide(&AuthRequest::new("POST", "/pets").token(&user)).status(), 403);
    assert_eq!(e.decide(&AuthRequest::new("POST", "/pets")).status(), 401);
    assert_eq!(
        e.decide(&AuthRequest::new("POST", "/pets").token("x.y.z")).status(),
        401
    );
    assert!(e.decide(&AuthRequest::new("GET", "/pets")).is_allowed());
    let all = read(&snap);
    assert_eq!(decision(&all, "allowed", "allowed"), 3.0);
    assert_eq!(decision(&all, "allowed", "anonymous"), 1.0);
    assert_eq!(decision(&all, "forbidden", "insufficient_role"), 1.0);
    assert_eq!(decision(&all, "unauthorized", "missing_token"), 1.0);
    assert_eq!(decision(&all, "unauthorized", "malformed_token"), 1.0);
    assert_eq!(decision(&all, "unauthorized", "bad_signature"), 0.0);
    // Identity cache: the admin token missed once, then hit twice; the 403 token missed once.
    assert_eq!(value(&all, "scopegate_identity_cache_hits_total", &[]), 2.0);
    assert_eq!(value(&all, "scopegate_identity_cache_misses_total", &[]), 3.0);
    // No label value is token material; every one comes from a fixed set.
    for (name, labels, _) in &all {
        for (k, v) in labels {
            assert!(!admin.contains(v.as_str()) || v.len() < 8, "{name} {k}={v}");
            assert!(
                ["allowed", "anonymous", "unauthorized", "forbidden"].contains(&v.as_str())
                    || scopegate::ReasonCode::ALL.iter().any(|c| c.as_str() == v),
                "{name} {k}={v}"
            );
        }
    }
}

#[test]
fn latency_is_sampled_into_the_histogram() {
    let (e, snap) = engine_with_recorder();
    let admin = auth0_token("", &["admin"]);
    let n = 64 * scopegate_sample_every();
    for _ in 0..n {
        e.decide(&AuthRequest::new("POST", "/pets").token(&admin));
    }
    let all = read(&snap);
    let samples = value(&all, "scopegate_decision_duration_seconds", &[]);
    assert_eq!(decision(&all, "allowed", "allowed"), n as f64);
    // One decision in SAMPLE_EVERY per thread, whatever the tick was at the start.
    assert_eq!(samples, 64.0);
}

/// The sampling period documented in the README (one in 16).
fn scopegate_sample_every() -> usize {
    16
}

#[test]
fn without_a_recorder_nothing_is_recorded_and_decisions_are_unchanged() {
    let recorder = DebuggingRecorder::new();
    let snap = recorder.snapshotter();
    // Compiled outside the recorder: the handles are no-ops even if one is installed later.
    let e = fresh_engine();
    metrics::with_local_recorder(&recorder, || {
        assert!(
            e.decide(&AuthRequest::new("POST", "/pets").token(&auth0_token("", &["admin"])))
                .is_allowed()
        );
    });
    assert!(read(&snap).is_empty());
}
