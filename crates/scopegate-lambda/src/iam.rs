//! The part of IAM policy evaluation that API Gateway applies to an authorizer's answer:
//! `Resource` patterns with `*` (any run of characters, `/` included, possibly empty) and `?`
//! (exactly one character), case-sensitive; an explicit `Deny` beats every `Allow`; no
//! matching `Allow` denies.

/// True when the IAM resource pattern matches the value.
pub fn matches(pattern: &str, value: &str) -> bool {
    if pattern.is_ascii() && value.is_ascii() {
        return matches_units(pattern.as_bytes(), value.as_bytes(), b'*', b'?');
    }
    let p: Vec<char> = pattern.chars().collect();
    let v: Vec<char> = value.chars().collect();
    matches_units(&p, &v, '*', '?')
}

/// Wildcard matching over code units (bytes for ASCII, chars otherwise), greedy with
/// backtracking to the last `*` only, which is exact for `*`/`?` patterns.
fn matches_units<T: PartialEq + Copy>(p: &[T], v: &[T], any: T, one: T) -> bool {
    let (mut pi, mut vi) = (0usize, 0usize);
    // Position of the last `*` in the pattern and the value position it was tried at.
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        match p.get(pi) {
            Some(c) if *c == any => {
                star = Some((pi, vi));
                pi += 1;
            }
            Some(c) if *c == one || Some(c) == v.get(vi) => {
                pi += 1;
                vi += 1;
            }
            _ => match star {
                Some((sp, sv)) => {
                    pi = sp + 1;
                    vi = sv + 1;
                    star = Some((sp, sv + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..).is_some_and(|rest| rest.iter().all(|c| *c == any))
}

/// IAM's verdict for one resource: some `Allow` pattern matches and no `Deny` pattern does.
pub fn allows<A: AsRef<str>, D: AsRef<str>>(allow: &[A], deny: &[D], resource: &str) -> bool {
    allow.iter().any(|p| matches(p.as_ref(), resource)) && !deny.iter().any(|p| matches(p.as_ref(), resource))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_and_question_mark() {
        assert!(matches("GET/pets/*", "GET/pets/7"));
        assert!(matches("GET/pets/*", "GET/pets/"));
        assert!(matches("GET/pets/*", "GET/pets/7/toys"));
        assert!(!matches("GET/pets/*", "GET/pets"));
        assert!(matches("GET/pets/?*", "GET/pets/7"));
        assert!(!matches("GET/pets/?*", "GET/pets/"));
        assert!(matches("*/a", "GET/x/a"));
        assert!(matches("*", ""));
        assert!(!matches("?", ""));
        assert!(matches("a*b*c", "abbbc"));
        assert!(!matches("a*b*c", "acb"));
        assert!(!matches("GET/Pets", "GET/pets"));
        assert!(matches("**?", "x"));
        assert!(matches("GET/é/?", "GET/é/ü"));
        assert!(!matches("GET/?", "GET/éé"));
    }

    #[test]
    fn deny_wins() {
        assert!(allows(&["GET/*"], &[] as &[&str], "GET/a"));
        assert!(!allows(&["GET/*"], &["GET/a"], "GET/a"));
        assert!(!allows(&[] as &[&str], &[] as &[&str], "GET/a"));
    }
}
