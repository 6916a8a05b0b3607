//! The part of IAM policy evaluation that API Gateway applies to an authorizer's answer:
//! `Resource` patterns with `*` (any run of characters, `/` included, possibly empty) and `?`
//! (exactly one character), case-sensitive; an explicit `Deny` beats every `Allow`; no
//! matching `Allow` denies.

/// True when the IAM resource pattern matches the value.
pub fn matches(pattern: &str, value: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let v: Vec<char> = value.chars().collect();
    let (mut pi, mut vi) = (0usize, 0usize);
    // Position of the last `*` in the pattern and the value position it was tried at.
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, vi));
                pi += 1;
            }
            Some(c) if *c == '?' || Some(c) == v.get(vi) => {
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
    p.get(pi..).is_some_and(|rest| rest.iter().all(|c| *c == '*'))
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
    }

    #[test]
    fn deny_wins() {
        assert!(allows(&["GET/*"], &[] as &[&str], "GET/a"));
        assert!(!allows(&["GET/*"], &["GET/a"], "GET/a"));
        assert!(!allows(&[] as &[&str], &[] as &[&str], "GET/a"));
    }
}
