//! Criterion settings shared by the bench targets: short enough that `bash benches/run.sh`
//! finishes in a few minutes, with enough samples for stable medians.
// Each bench target compiles this module and uses part of it.
#![allow(dead_code)]

use std::time::Duration;

use criterion::Criterion;

/// 60 samples after `warm_up`, measured for `measurement`.
pub fn config_with(warm_up: Duration, measurement: Duration) -> Criterion {
    Criterion::default()
        .warm_up_time(warm_up)
        .measurement_time(measurement)
        .sample_size(60)
}

/// 1 s warm-up, 3 s measurement, 60 samples.
pub fn config() -> Criterion {
    config_with(Duration::from_millis(1000), Duration::from_secs(3))
}

/// The `main` of a bench target: its targets in one criterion group named `benches`, with
/// [`config`] unless `config = EXPR;` comes first.
macro_rules! bench_main {
    (config = $config:expr; $($target:path),+ $(,)?) => {
        criterion::criterion_group! {
            name = benches;
            config = $config;
            targets = $($target),+
        }
        criterion::criterion_main!(benches);
    };
    ($($target:path),+ $(,)?) => {
        $crate::common::bench_main!(config = $crate::common::config(); $($target),+);
    };
}
pub(crate) use bench_main;
