//! Claim names: a name starting with `/` is an RFC 6901 JSON Pointer into the claims
//! (`/realm_access/roles`); any other name is one top-level claim, so namespaced claims such as
//! `https://pets.example.com/roles` keep working.

use serde_json::{Map, Value};

/// The value a claim name designates, if present.
pub(crate) fn claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    let Some(pointer) = name.strip_prefix('/') else {
        return claims.get(name);
    };
    // The first reference token names a member of the claims object; the rest is a pointer
    // into its value, which serde_json resolves (and unescapes: `~1` is `/`, `~0` is `~`).
    let (first, rest) = match pointer.find('/') {
        Some(i) => pointer.split_at(i),
        None => (pointer, ""),
    };
    let key = first.replace("~1", "/").replace("~0", "~");
    claims.get(&key)?.pointer(rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_and_plain_names() {
        let v = json!({
            "realm_access": {"roles": ["r"]},
            "https://pets.example.com/roles": ["admin"],
            "a/b": {"c~d": 1},
            "list": [10, 20],
            "": 0,
        });
        let c = v.as_object().unwrap();
        assert_eq!(claim(c, "/realm_access/roles"), Some(&json!(["r"])));
        assert_eq!(claim(c, "/realm_access"), Some(&json!({"roles": ["r"]})));
        assert_eq!(claim(c, "https://pets.example.com/roles"), Some(&json!(["admin"])));
        assert_eq!(claim(c, "/a~1b/c~0d"), Some(&json!(1)));
        assert_eq!(claim(c, "/list/1"), Some(&json!(20)));
        assert_eq!(claim(c, "/"), Some(&json!(0)));
        assert_eq!(claim(c, "/realm_access/missing"), None);
        assert_eq!(claim(c, "/nope/roles"), None);
        assert_eq!(claim(c, "realm_access/roles"), None);
    }
}
