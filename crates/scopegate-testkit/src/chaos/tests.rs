//! The oracle and the fault dice of [`super::ChaosIdp`], without a server.

use super::*;

fn offline(outages: Vec<(Duration, Duration)>) -> ChaosIdp {
    let config = ChaosConfig {
        ring: (0..3).map(|n| TestKey::es256(&format!("k{n}"))).collect(),
        published: 2,
        rotate_every: Duration::from_secs(4),
        fail_ratio: 0.2,
        slow_ratio: 0.2,
        slow: Duration::from_millis(300),
        too_slow: Duration::from_secs(3),
        outages,
        outage_period: Duration::from_secs(20),
        seed: 7,
    };
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
    ChaosIdp {
        inner,
        base: String::new(),
    }
}

fn record(idp: &ChaosIdp, at: Instant, kids: &[&str]) {
    let kids = kids.iter().map(|k| (*k).to_string()).collect();
    idp.inner.log().serves.push_back(Serve { at, kids });
}

const RULES: KeyRules = KeyRules {
    ttl: Duration::from_secs(2),
    max_stale: Duration::from_secs(6),
    install_delay: Duration::from_secs(1),
};

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

#[test]
fn judge_follows_rotations_and_the_staleness_limit() {
    let idp = offline(Vec::new());
    let s0 = Instant::now();
    let at = |from: u64, to: u64| (s0 + ms(from), s0 + ms(to));
    let judge = |kid: &str, (t0, t1): (Instant, Instant)| idp.judge(kid, t0, t1, RULES);
    assert_eq!(judge("k1", at(100, 200)), None, "nothing served yet");
    record(&idp, s0, &["k1", "k2"]);
    // Only the first document can be in use.
    assert_eq!(judge("k1", at(1500, 1600)), Some(Verdict::MustAllow));
    assert_eq!(judge("k3", at(1500, 1600)), Some(Verdict::MustDeny));
    record(&idp, s0 + ms(4000), &["k2", "k3"]);
    // Within the install delay of the second document: either may be in use.
    assert_eq!(judge("k1", at(4500, 4600)), Some(Verdict::Either));
    assert_eq!(judge("k2", at(4500, 4600)), Some(Verdict::MustAllow));
    assert_eq!(judge("k3", at(4500, 4600)), Some(Verdict::Either));
    // A request that began before the second document but ended after it.
    assert_eq!(judge("k1", at(3000, 4100)), Some(Verdict::Either));
    // Settled on the second document: the removed key is refused, the new one passes.
    assert_eq!(judge("k1", at(5500, 5600)), Some(Verdict::MustDeny));
    assert_eq!(judge("k3", at(5500, 5600)), Some(Verdict::MustAllow));
    // No more documents: usable until 4 + 2 + 6 s, maybe until 1 s later, then refused.
    assert_eq!(judge("k3", at(11_500, 11_900)), Some(Verdict::MustAllow));
    assert_eq!(judge("k3", at(12_500, 12_600)), Some(Verdict::Either));
    assert!(!idp.keys_expired(s0 + ms(12_500), RULES));
    assert_eq!(judge("k3", at(13_100, 13_200)), Some(Verdict::MustDeny));
    assert!(idp.keys_expired(s0 + ms(13_100), RULES));
}

#[test]
fn forget_before_keeps_the_document_in_use() {
    let idp = offline(Vec::new());
    let s0 = Instant::now();
    record(&idp, s0, &["k1"]);
    record(&idp, s0 + ms(1000), &["k2"]);
    record(&idp, s0 + ms(2000), &["k3"]);
    idp.forget_before(s0 + ms(1500));
    // Settled at 1.5 s: the document of 1 s is still the one the engine surely had.
    let t = s0 + ms(2500);
    assert_eq!(idp.judge("k2", t, t, RULES), Some(Verdict::Either));
    assert_eq!(idp.judge("k1", t, t, RULES), Some(Verdict::MustDeny));
    assert_eq!(idp.inner.log().serves.len(), 2);
}

#[test]
fn faults_come_in_the_configured_shares_and_outages_fail_everything() {
    let idp = offline(vec![(Duration::from_secs(5), Duration::from_secs(6))]);
    let now = idp.inner.started;
    let (mut fail, mut slow, mut s500, mut n) = (0, 0, 0, 0);
    for _ in 0..30_000 {
        match idp.inner.fault(now) {
            Fault::Status500 => {
                s500 += 1;
                fail += 1;
            }
            Fault::Garbage | Fault::TooSlow => fail += 1,
            Fault::Serve(Some(_)) => slow += 1,
            Fault::Serve(None) => {}
            Fault::Outage => panic!("no outage at offset 0"),
        }
        n += 1;
    }
    let share = |k: i32| f64::from(k) / f64::from(n);
    assert!((0.18..0.22).contains(&share(fail)), "{}", share(fail));
    assert!((0.18..0.22).contains(&share(slow)), "{}", share(slow));
    assert!((0.05..0.085).contains(&share(s500)), "{}", share(s500));
    let outage_time = now + Duration::from_millis(25_500);
    assert!(matches!(idp.inner.fault(outage_time), Fault::Outage));
    let published: Vec<_> = idp
        .published_at(now + Duration::from_secs(9))
        .iter()
        .filter_map(|k| k.kid())
        .collect();
    assert_eq!(published, ["k2", "k0"], "two steps along a ring of three");
}
