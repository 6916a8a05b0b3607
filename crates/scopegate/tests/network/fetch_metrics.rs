//! JWKS fetch metrics, read back from `metrics-util`'s debugging recorder: one counter per
//! issuer and outcome, and the age of the keys held.

use metrics_util::debugging::{DebugValue, DebuggingRecorder};

use super::*;

/// One metric: name, sorted labels, value.
type Metric = (String, Vec<(String, String)>, f64);

fn metric(snapshot: Vec<Metric>, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let want: Vec<(String, String)> = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    snapshot
        .into_iter()
        .find(|(n, l, _)| n == name && *l == want)
        .map(|(_, _, v)| v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetches_are_counted_by_issuer_and_outcome() {
    let key = TestKey::es256("k1");
    let idp = start(Jwks::Status(500)).await;
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let settings = format!("{FAST}unknown_kid_cooldown_seconds = 0.1\n");
    let e = metrics::with_local_recorder(&recorder, || engine(&[("acme", &idp, true)], &settings, false));
    let read = || {
        snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .map(|(key, _, _, value)| {
                let k = key.key();
                let mut labels: Vec<(String, String)> = k
                    .labels()
                    .map(|l| (l.key().to_string(), l.value().to_string()))
                    .collect();
                labels.sort();
                let v = match value {
                    DebugValue::Counter(c) => c as f64,
                    DebugValue::Gauge(g) => g.into_inner(),
                    DebugValue::Histogram(h) => h.len() as f64,
                };
                (k.name().to_string(), labels, v)
            })
            .collect::<Vec<_>>()
    };
    let t = token(&idp, &key, "read");
    assert_eq!(code(&get(&e, &t).await), "keys_unavailable");
    let fetches = |outcome| [("issuer", "acme"), ("outcome", outcome)];
    // The debugging recorder's snapshots reset counters: one read per phase.
    let first = read();
    assert_eq!(
        metric(first.clone(), "scopegate_jwks_fetches_total", &fetches("error")),
        Some(1.0)
    );
    assert_eq!(metric(first, "scopegate_jwks_fetches_total", &fetches("ok")), Some(0.0));
    idp.set(serve(&[&key]));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(code(&get(&e, &t).await), "allow");
    let second = read();
    assert_eq!(
        metric(second.clone(), "scopegate_jwks_fetches_total", &fetches("ok")),
        Some(1.0)
    );
    assert_eq!(
        metric(second.clone(), "scopegate_jwks_fetches_total", &fetches("error")),
        Some(0.0)
    );
    let age = metric(second, "scopegate_jwks_key_age_seconds", &[("issuer", "acme")]).unwrap();
    assert!((0.0..1.0).contains(&age), "keys just fetched: {age}");
}
