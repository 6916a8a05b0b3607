//! Text that came from outside (tokens, requests, JWKS) made safe to put into a message.

/// Shortens attacker-controlled text before it goes into a message.
pub(crate) fn printable(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(64)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if s.chars().count() > 64 {
        out.push('…');
    }
    out
}
