//! JWKS fetch metrics, read back from `metrics-util`'s debugging recorder: one counter per
//! issuer and outcome, and the age of the keys held.

use metrics_util::debugging::DebuggingRecorder;

use super::*;

#[path = "../common/recorded.rs"]
mod recorded;
use recorded::find;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetches_are_counted_by_issuer_and_outcome() {
    let key = TestKey::es256("k1");
    let idp = start(Jwks::Status(500)).await;
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let settings = format!("{FAST}unknown_kid_cooldown_seconds = 0.1\n");
    let e = metrics::with_local_recorder(&recorder, || engine(&[("acme", &idp, true)], &settings, false));
    let read = || recorded::read(&snapshotter);
    let t = token(&idp, &key, "read");
    assert_eq!(code(&get(&e, &t).await), "keys_unavailable");
    let fetches = |outcome| [("issuer", "acme"), ("outcome", outcome)];
    // The debugging recorder's snapshots reset counters: one read per phase.
    let first = read();
    assert_eq!(
        find(&first, "scopegate_jwks_fetches_total", &fetches("error")),
        Some(1.0)
    );
    assert_eq!(find(&first, "scopegate_jwks_fetches_total", &fetches("ok")), Some(0.0));
    idp.set(serve(&[&key]));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(code(&get(&e, &t).await), "allow");
    let second = read();
    assert_eq!(find(&second, "scopegate_jwks_fetches_total", &fetches("ok")), Some(1.0));
    assert_eq!(
        find(&second, "scopegate_jwks_fetches_total", &fetches("error")),
        Some(0.0)
    );
    let age = find(&second, "scopegate_jwks_key_age_seconds", &[("issuer", "acme")]).unwrap();
    assert!((0.0..1.0).contains(&age), "keys just fetched: {age}");
}
