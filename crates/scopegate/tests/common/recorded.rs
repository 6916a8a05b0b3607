//! Metrics read back from `metrics-util`'s debugging recorder, for the metrics tests.

use metrics_util::debugging::{DebugValue, Snapshotter};

/// One metric: name, sorted labels, value (histograms give their sample count).
pub type Metric = (String, Vec<(String, String)>, f64);

/// Every metric recorded since the last read (the debugging recorder resets counters).
pub fn read(snapshotter: &Snapshotter) -> Vec<Metric> {
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
        .collect()
}

/// The value of the metric with this name and exactly these labels, if it was recorded.
pub fn find(all: &[Metric], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut want: Vec<(String, String)> = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    want.sort();
    all.iter().find(|(n, l, _)| n == name && *l == want).map(|(_, _, v)| *v)
}
