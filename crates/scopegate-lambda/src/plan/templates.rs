//! Witness path templates: the paths a plan is checked against, built from the literals of
//! every route (each parameter as a fresh segment, as two segments, and as every literal seen
//! at its depth) so that a pattern that would allow more than the engine does is caught.

use std::collections::BTreeSet;

use scopegate::Segment;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Part {
    Lit(String),
    Fresh,
}

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

pub(super) fn templates_for(
    segments: &[Segment],
    lits_at: &[BTreeSet<String>],
    suffixes: &BTreeSet<Vec<Part>>,
) -> Vec<Vec<Part>> {
    // Alternatives per segment.
    let options: Vec<Vec<Vec<Part>>> = segments
        .iter()
        .enumerate()
        .map(|(depth, s)| match s {
            Segment::Literal(l) => vec![vec![Part::Lit(l.clone())]],
            Segment::Param(_) | Segment::Greedy(_) => {
                let mut o = vec![vec![Part::Fresh], vec![Part::Fresh, Part::Fresh]];
                o.extend(
                    lits_at
                        .get(depth)
                        .into_iter()
                        .flatten()
                        .map(|l| vec![Part::Lit(l.clone())]),
                );
                if matches!(s, Segment::Greedy(_)) {
                    for suffix in suffixes {
                        o.push(suffix.clone());
                        let mut longer = vec![Part::Fresh];
                        longer.extend(suffix.iter().cloned());
                        o.push(longer);
                    }
                }
                o
            }
        })
        .collect();
    let product: usize = options.iter().map(Vec::len).fold(1usize, |a, b| a.saturating_mul(b));
    let mut out = Vec::new();
    if product <= 256 {
        let mut acc: Vec<Vec<Part>> = vec![Vec::new()];
        for opts in &options {
            let mut next = Vec::with_capacity(acc.len() * opts.len());
            for a in &acc {
                for o in opts {
                    let mut v = a.clone();
                    v.extend(o.iter().cloned());
                    next.push(v);
                }
            }
            acc = next;
        }
        out = acc;
    } else {
        // One position varies at a time; the others take their first option.
        for (i, opts) in options.iter().enumerate() {
            for o in opts {
                let mut v = Vec::new();
                for (j, other) in options.iter().enumerate() {
                    if i == j {
                        v.extend(o.iter().cloned());
                    } else if let Some(first) = other.first() {
                        v.extend(first.iter().cloned());
                    }
                }
                out.push(v);
            }
        }
    }
    out
}
