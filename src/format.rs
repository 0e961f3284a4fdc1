//! The one place that turns bytes into types and back: JSON for tool-written
//! state, YAML for files people edit. Errors carry `path:line:col`.
//!
//! Stable bytes: JSON is pretty-printed with two-space indents, struct
//! fields in declaration order and maps sorted (every map we serialize is a
//! `BTreeMap`), and every file ends with one newline.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A file that did not parse or did not match its type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    pub path: PathBuf,
    /// 1-based; 0 when unknown.
    pub line: usize,
    /// 1-based; 0 when unknown.
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl ParseError {
    pub fn new(path: &Path, line: usize, column: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            path: path.to_path_buf(),
            line,
            column,
            message: message.into(),
        }
    }

    pub(crate) fn from_json(path: &Path, err: &serde_json::Error) -> ParseError {
        ParseError::new(path, err.line(), err.column(), json_message(err))
    }
}

/// serde_json appends " at line L column C" to its messages; we print the
/// position in front, so drop the copy.
pub fn json_message(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Pretty JSON with a trailing newline: one field per line, so a change of
/// one field is a one-line diff.
pub fn to_json_bytes<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    // Serializing our own types into memory cannot fail: no non-string map
    // keys, no I/O.
    fn write<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
        serde_json::to_writer_pretty(&mut *out, value).expect("serializable to JSON");
        out.push(b'\n');
    }
    // Into a buffer reused per thread, then copied out at its exact size:
    // one allocation per value instead of a chain of reallocations (an
    // import serializes every bead).
    thread_local! {
        static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut buf) => {
            buf.clear();
            write(&mut buf, value);
            let out = buf.to_vec();
            if buf.capacity() > 1 << 20 {
                *buf = Vec::new(); // keep no huge buffer around
            }
            out
        }
        // Serializing from inside a serialization: a fresh buffer.
        Err(_) => {
            let mut out = Vec::new();
            write(&mut out, value);
            out
        }
    })
}

pub fn from_json<T: DeserializeOwned>(path: &Path, bytes: &[u8]) -> Result<T, ParseError> {
    serde_json::from_slice(bytes).map_err(|e| ParseError::from_json(path, &e))
}

pub fn to_yaml_string<T: Serialize>(value: &T) -> String {
    let mut out = serde_saphyr::to_string(value).expect("serializable to YAML");
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// The first line of each YAML file gemba writes. Editors running the YAML
/// language server (VS Code's YAML extension, yamlls in Neovim, Helix, ...)
/// read it and validate and complete the file against the JSON Schema at
/// `schema`, a path relative to the file; to a YAML reader it is a comment.
pub fn yaml_modeline(schema: &str) -> String {
    format!("# yaml-language-server: $schema={schema}\n")
}

/// `value` as YAML behind the modeline naming `schema` (see
/// [`yaml_modeline`]). Stable bytes, like [`to_yaml_string`].
pub fn to_yaml_with_schema<T: Serialize>(schema: &str, value: &T) -> String {
    format!("{}{}", yaml_modeline(schema), to_yaml_string(value))
}

pub fn from_yaml<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, ParseError> {
    serde_saphyr::from_str(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line() as usize, l.column() as usize))
            .unwrap_or((0, 0));
        ParseError::new(path, line, column, yaml_message(&e))
    })
}

/// saphyr renders a source snippet; keep the first line (the message) and
/// drop its own position suffix, since ours leads the line.
fn yaml_message(err: &serde_saphyr::Error) -> String {
    let text = err.without_snippet().to_string();
    let first = text.lines().next().unwrap_or("invalid YAML").trim();
    match first.rfind(" at line ") {
        Some(i) => first[..i].to_string(),
        None => first.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct T {
        name: String,
        #[serde(default)]
        n: u32,
    }

    #[test]
    fn yaml_unknown_field_has_position() {
        let err = from_yaml::<T>(Path::new("x.yaml"), "name: a\nnmae: b\n").unwrap_err();
        assert_eq!((err.line, err.column), (2, 1), "{err}");
        assert!(err.message.contains("nmae"), "{err}");
        assert!(err.to_string().starts_with("x.yaml:2:1: "), "{err}");
    }

    #[test]
    fn yaml_type_error_has_position() {
        let err = from_yaml::<T>(Path::new("x.yaml"), "name: a\nn: lots\n").unwrap_err();
        assert_eq!(err.line, 2, "{err}");
    }

    #[test]
    fn json_error_has_position() {
        let err = from_json::<T>(Path::new("b.json"), b"{\n  \"name\": \"a\",\n  \"x\": 1\n}")
            .unwrap_err();
        assert_eq!(err.line, 3, "{err}");
        assert!(err.message.contains("unknown field `x`"), "{err}");
        assert!(!err.message.contains("at line"), "{err}");
    }

    #[test]
    fn json_bytes_end_with_newline_and_round_trip() {
        let t = T {
            name: "a".into(),
            n: 3,
        };
        let bytes = to_json_bytes(&t);
        assert!(bytes.ends_with(b"}\n"));
        assert_eq!(from_json::<T>(Path::new("t"), &bytes).unwrap(), t);
    }
}
