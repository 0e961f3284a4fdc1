//! `Cargo.toml`, as far as resolving Rust paths needs it: the package's
//! name (what other crates of the repository `use` it as) and the crate
//! roots named by `path = "…"` in `[lib]`, `[[bin]]`, `[[test]]`,
//! `[[bench]]` and `[[example]]`. Line-based: one `key = "value"` a line.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// `[package] name`.
    pub name: Option<String>,
    /// `[lib] name`, when it differs from the package's.
    pub lib_name: Option<String>,
    /// `[lib] path`, relative to the manifest's directory.
    pub lib_path: Option<String>,
    /// Other targets' `path`s, relative to the manifest's directory.
    pub targets: Vec<String>,
}

impl Manifest {
    /// The name other crates `use` the library by (`my-lib` → `my_lib`).
    pub fn crate_name(&self) -> Option<String> {
        self.lib_name
            .as_ref()
            .or(self.name.as_ref())
            .map(|n| n.replace('-', "_"))
    }
}

/// `key = "value"` → `(key, value)`.
fn string_entry(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.split_once('=')?;
    let value = value.trim();
    let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &value[1..];
    let end = value.find(quote)?;
    Some((key.trim(), &value[..end]))
}

pub fn parse(text: &str) -> Manifest {
    let mut m = Manifest::default();
    let mut section = "";
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            section = line.trim_matches(|c| c == '[' || c == ']').trim();
            continue;
        }
        let Some((key, value)) = string_entry(line) else {
            continue;
        };
        match (section, key) {
            ("package", "name") => m.name = Some(value.to_string()),
            ("lib", "name") => m.lib_name = Some(value.to_string()),
            ("lib", "path") => m.lib_path = Some(value.to_string()),
            ("bin" | "test" | "bench" | "example", "path") => m.targets.push(value.to_string()),
            _ => {}
        }
    }
    m.targets.sort();
    m.targets.dedup();
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_fields() {
        let m = parse(
            "[package]\nname = \"my-crate\" # c\nversion = \"0.1.0\"\n\n[dependencies]\nname = \"x\"\n\n[lib]\npath = \"src/my.rs\"\n\n[[test]]\nname = \"cli\"\npath = \"tests/cli/main.rs\"\n[[bin]]\npath = 'src/tool.rs'\n",
        );
        assert_eq!(m.name.as_deref(), Some("my-crate"));
        assert_eq!(m.crate_name().as_deref(), Some("my_crate"));
        assert_eq!(m.lib_path.as_deref(), Some("src/my.rs"));
        assert_eq!(m.targets, ["src/tool.rs", "tests/cli/main.rs"]);
        let renamed = parse("[package]\nname = \"a\"\n[lib]\nname = \"b_lib\"\n");
        assert_eq!(renamed.crate_name().as_deref(), Some("b_lib"));
        assert_eq!(
            parse("[workspace]\nmembers = [\"a\"]\n"),
            Manifest::default()
        );
    }
}
