//! Ids are data, not paths: a reversible escape maps any valid id to one
//! file name, and hostile ids are rejected before any file is touched.
//!
//! Escape: ASCII letters, digits, `-`, `_` and `.` (except a leading `.`)
//! stand for themselves; every other byte of the UTF-8 id becomes `%XX`
//! (upper-case hex). `%` itself is escaped, so decoding is unambiguous.

use std::fmt;

/// The longest escaped file stem we accept, in bytes: with `.json` or
/// `.yaml` it stays well under the usual 255-byte file-name limit.
pub const MAX_NAME_LEN: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InvalidId {
    pub id: String,
    pub reason: &'static str,
}

impl fmt::Display for InvalidId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid id {:?}: {}", self.id, self.reason)
    }
}

/// Check that `id` is safe to use as data: non-empty, no control characters,
/// not absolute, no empty, `.` or `..` segment between `/`s, no backslash.
pub fn validate(id: &str) -> Result<(), InvalidId> {
    let bad = |reason| {
        Err(InvalidId {
            id: id.to_string(),
            reason,
        })
    };
    if id.is_empty() {
        return bad("empty");
    }
    if escape(id).len() > MAX_NAME_LEN {
        return bad("too long for a file name (over 200 bytes once escaped)");
    }
    if id.chars().any(char::is_control) {
        return bad("contains a control character");
    }
    if id.chars().any(char::is_whitespace) {
        return bad("contains whitespace");
    }
    if id.contains('\\') {
        return bad("contains a backslash");
    }
    if id.starts_with('/') {
        return bad("is an absolute path");
    }
    for segment in id.split('/') {
        match segment {
            "" => return bad("has an empty path segment"),
            "." | ".." => return bad("has a `.` or `..` segment"),
            _ => {}
        }
    }
    Ok(())
}

/// The file stem for a valid id.
pub fn escape(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for (i, b) in id.bytes().enumerate() {
        let plain = b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || (b == b'.' && i > 0);
        if plain {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The id for a file stem written by [`escape`]; `None` for a name that
/// `escape` would never produce.
pub fn unescape(name: &str) -> Option<String> {
    decode(name).filter(|id| escape(id) == name)
}

/// The last component of a git ref name for a valid id
/// (`refs/gemba/claims/<this>`): [`escape`] with every `.` escaped too
/// (`%2E`), since git refuses `..`, a trailing `.` and a `.lock` suffix
/// in ref names. Only `A-Z a-z 0-9 - _ %` remain.
pub fn escape_ref(id: &str) -> String {
    escape(id).replace('.', "%2E")
}

/// The id for a ref component written by [`escape_ref`].
pub fn unescape_ref(name: &str) -> Option<String> {
    decode(name).filter(|id| escape_ref(id) == name)
}

/// `%XX` sequences decoded (upper-case hex only), as UTF-8.
fn decode(name: &str) -> Option<String> {
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = name.get(i + 1..i + 3)?;
            if hex.chars().any(|c| c.is_ascii_lowercase()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table() {
        let cases = [
            ("bd-a1b2", "bd-a1b2"),
            ("gm-s47n.1.2", "gm-s47n.1.2"),
            ("gemba/gemba/gm-1", "gemba%2Fgemba%2Fgm-1"),
            ("a__b", "a__b"),
            (".hidden", "%2Ehidden"),
            ("100%", "100%25"),
            ("é-1", "%C3%A9-1"),
            ("x:y", "x%3Ay"),
        ];
        for (id, name) in cases {
            validate(id).unwrap();
            assert_eq!(escape(id), name, "{id}");
            assert_eq!(unescape(name).as_deref(), Some(id), "{name}");
        }
    }

    #[test]
    fn hostile_ids_are_rejected() {
        for id in [
            "",
            "../x",
            "a/../b",
            "/etc/passwd",
            "a\0b",
            "a\nb",
            "a//b",
            "a/",
            ".",
            "..",
            "a\\b",
            "a b",
        ] {
            assert!(validate(id).is_err(), "{id:?} accepted");
        }
        assert!(validate(&"x".repeat(MAX_NAME_LEN + 1)).is_err());
        assert!(
            validate(&"é".repeat(MAX_NAME_LEN / 6 + 1)).is_err(),
            "escaping triples non-ASCII bytes"
        );
        validate(&"x".repeat(MAX_NAME_LEN)).unwrap();
    }

    #[test]
    fn foreign_names_do_not_decode() {
        for name in ["%2e", "%zz", "%4", ".x", "a/b"] {
            assert_eq!(unescape(name), None, "{name}");
        }
    }

    #[test]
    fn ref_names_escape_every_dot() {
        let cases = [
            ("gm-s47n.1.2", "gm-s47n%2E1%2E2"),
            ("a..b", "a%2E%2Eb"),
            ("x.lock", "x%2Elock"),
            ("x.", "x%2E"),
            (".hidden", "%2Ehidden"),
            ("gemba/gm-1", "gemba%2Fgm-1"),
            ("@", "%40"),
        ];
        for (id, name) in cases {
            assert_eq!(escape_ref(id), name, "{id}");
            assert_eq!(unescape_ref(name).as_deref(), Some(id), "{name}");
        }
        // A file name is not a ref name, and the other way round.
        assert_eq!(unescape_ref("a.b"), None);
        assert_eq!(unescape("a%2Eb"), None);
    }

    proptest! {
        #[test]
        fn ref_escape_round_trips(id in "[a-zA-Z0-9._/%:@é-]{1,40}") {
            prop_assume!(validate(&id).is_ok());
            let name = escape_ref(&id);
            prop_assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_%".contains(&b)));
            prop_assert_eq!(unescape_ref(&name), Some(id));
        }

        #[test]
        fn escape_round_trips(id in "[a-zA-Z0-9._/%:é漢-]{1,40}") {
            prop_assume!(validate(&id).is_ok());
            let name = escape(&id);
            prop_assert!(!name.contains('/'));
            prop_assert!(!name.starts_with('.'));
            prop_assert_eq!(unescape(&name), Some(id));
        }
    }
}
