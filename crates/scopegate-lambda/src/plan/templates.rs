//! IAM resource patterns of route paths. The witness requests plans are checked against come
//! from the core ([`scopegate::witness_requests`]), shared with `scopegate diff`.

use scopegate::Segment;

/// A route path as an IAM resource pattern: parameters and greedy tails become `?*`.
pub(super) fn segment_pattern(segments: &[Segment]) -> String {
    segments
        .iter()
        .map(|s| match s {
            Segment::Literal(l) => l.as_str(),
            Segment::Param(_) | Segment::Greedy(_) => "?*",
        })
        .collect::<Vec<_>>()
        .join("/")
}
