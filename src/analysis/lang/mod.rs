//! Per-language extraction: a file's text → what it imports, before
//! resolution (which needs the other files: see `super::resolve`). Pure.
//!
//! What a file yields depends only on its bytes, so the index keeps it
//! keyed by content hash and `gemba index build` re-parses only files that
//! changed. Bump `super::index::VERSION` whenever a parser's output
//! changes.

pub mod cargo;
mod clike;
pub mod go;
pub mod js;
pub mod python;
pub mod rust;

use serde::{Deserialize, Serialize};

/// The kinds of file the built-in analysis reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lang {
    Rust,
    Go,
    Python,
    /// JavaScript and TypeScript.
    Js,
    /// `go.mod`: a Go module's path.
    GoMod,
    /// `Cargo.toml`: a Rust package's name and crate roots.
    Cargo,
}

impl Lang {
    /// The language of a repository path, by file name.
    pub fn of(path: &str) -> Option<Lang> {
        let name = path.rsplit('/').next().unwrap_or(path);
        match name {
            "go.mod" => return Some(Lang::GoMod),
            "Cargo.toml" => return Some(Lang::Cargo),
            _ => {}
        }
        let (_, ext) = name.rsplit_once('.')?;
        Some(match ext {
            "rs" => Lang::Rust,
            "go" => Lang::Go,
            "py" | "pyi" => Lang::Python,
            "js" | "jsx" | "mjs" | "cjs" | "ts" | "tsx" | "mts" | "cts" => Lang::Js,
            _ => return None,
        })
    }

    /// The name shown in `gemba index status` (manifests count with their
    /// language).
    pub fn name(self) -> &'static str {
        match self {
            Lang::Rust | Lang::Cargo => "rust",
            Lang::Go | Lang::GoMod => "go",
            Lang::Python => "python",
            Lang::Js => "js/ts",
        }
    }
}

/// What one file says, before resolution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Parsed {
    Rust(Vec<rust::Ref>),
    /// Import paths.
    Go(Vec<String>),
    Python(Vec<python::Import>),
    /// Relative specifiers.
    Js(Vec<String>),
    /// The module path.
    GoMod(Option<String>),
    Cargo(cargo::Manifest),
}

impl Parsed {
    /// How many imports (references, for Rust) the file has.
    pub fn imports(&self) -> usize {
        match self {
            Parsed::Rust(v) => v.len(),
            Parsed::Go(v) | Parsed::Js(v) => v.len(),
            Parsed::Python(v) => v.len(),
            Parsed::GoMod(_) | Parsed::Cargo(_) => 0,
        }
    }
}

/// Extract what a file of `lang` imports from its bytes (not UTF-8:
/// decoded lossily).
pub fn parse(lang: Lang, bytes: &[u8]) -> Parsed {
    let text = String::from_utf8_lossy(bytes);
    match lang {
        Lang::Rust => Parsed::Rust(rust::parse(&text)),
        Lang::Go => Parsed::Go(go::parse(&text)),
        Lang::Python => Parsed::Python(python::parse(&text)),
        Lang::Js => Parsed::Js(js::parse(&text)),
        Lang::GoMod => Parsed::GoMod(go::module(&text)),
        Lang::Cargo => Parsed::Cargo(cargo::parse(&text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_by_name() {
        for (path, lang) in [
            ("src/main.rs", Some(Lang::Rust)),
            ("cmd/x/main.go", Some(Lang::Go)),
            ("go.mod", Some(Lang::GoMod)),
            ("sub/go.mod", Some(Lang::GoMod)),
            ("crates/a/Cargo.toml", Some(Lang::Cargo)),
            ("pkg/__init__.py", Some(Lang::Python)),
            ("stubs/x.pyi", Some(Lang::Python)),
            ("web/app.tsx", Some(Lang::Js)),
            ("types/x.d.ts", Some(Lang::Js)),
            ("lib/x.mjs", Some(Lang::Js)),
            ("README.md", None),
            ("Makefile", None),
            ("src/rs", None),
            ("Cargo.lock", None),
        ] {
            assert_eq!(Lang::of(path), lang, "{path}");
        }
    }
}
