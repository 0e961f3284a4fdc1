//! Enrichment: what a bead is about, extracted from its text.
//!
//! Owns the [`Extractor`] trait with its built-in implementations ([`Noop`]
//! and the [`Heuristic`] target/concept/size extractor), [`apply`], which
//! lands an extraction on existing enrichment, and the [`complexity`]
//! estimate, landed after it. These are pure: no file I/O,
//! no clock, no environment reads; the same [`ExtractInput`] always gives
//! the same [`Extraction`].
//!
//! [`ops`] is the I/O edge: it reads beads and the vocabulary and writes
//! `.gemba/enrichment/<id>.yaml` through a store transaction; its error type
//! is [`ops::Error`].
//!
//! An LLM-backed extractor can be added later behind the same trait.

mod apply;
pub mod complexity;
mod concepts;
mod heuristic;
pub mod ops;
pub mod related;
mod size;
mod targets;
mod tracked;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use apply::apply;
pub use heuristic::Heuristic;
pub use tracked::TrackedFiles;

pub use crate::model::config::Limits;
pub use crate::model::enrichment::Size;

/// Turns a bead's text into targets, concepts and a size estimate.
pub trait Extractor {
    /// Short stable name, recorded as the source of the extracted fields.
    fn name(&self) -> &'static str;
    /// Extracts from `input`; never fails, at worst returns little.
    fn extract(&self, input: &ExtractInput<'_>) -> Extraction;
}

/// Everything an extractor may look at. Borrowed, so one [`TrackedFiles`]
/// and one vocabulary serve thousands of beads.
#[derive(Debug, Clone, Copy)]
pub struct ExtractInput<'a> {
    pub title: &'a str,
    /// The bead's description.
    pub body: &'a str,
    /// Design, acceptance criteria and notes, concatenated by the caller.
    pub spec: &'a str,
    pub tracked: &'a TrackedFiles,
    /// Live vocabulary terms; the caller filters out retired ones.
    pub vocabulary: &'a [VocabTerm],
    pub limits: &'a Limits,
}

/// One controlled-vocabulary concept as the extractor sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VocabTerm {
    /// Canonical name, emitted as-is when the term or an alias matches.
    pub name: String,
    pub aliases: Vec<String>,
}

impl VocabTerm {
    pub fn new(
        name: impl Into<String>,
        aliases: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            name: name.into(),
            aliases: aliases.into_iter().map(Into::into).collect(),
        }
    }
}

/// What an extractor found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Extraction {
    /// Repo-relative paths or globs (`src/auth/**`), first mentioned first.
    pub targets: Vec<String>,
    /// Canonical vocabulary names, first mentioned first.
    pub concepts: Vec<String>,
    pub estimated_size: Size,
}

/// Extracts nothing: no targets, no concepts, [`Size::Medium`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Noop;

impl Extractor for Noop {
    fn name(&self) -> &'static str {
        "noop"
    }

    fn extract(&self, _input: &ExtractInput<'_>) -> Extraction {
        Extraction::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_noop_is_empty() {
        let tracked = TrackedFiles::new(["src/lib.rs".to_string()]);
        let vocabulary = [VocabTerm::new("auth", ["authentication"])];
        let limits = Limits::default();
        let input = ExtractInput {
            title: "Fix auth in src/lib.rs",
            body: "",
            spec: "",
            tracked: &tracked,
            vocabulary: &vocabulary,
            limits: &limits,
        };
        assert_eq!(Noop.name(), "noop");
        assert_eq!(Noop.extract(&input), Extraction::default());
    }

    #[test]
    fn test_size_serializes_lowercase() {
        let json = serde_json::to_string(&[Size::Small, Size::Medium, Size::Large]).unwrap();
        assert_eq!(json, r#"["small","medium","large"]"#);
        let back: Vec<Size> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, [Size::Small, Size::Medium, Size::Large]);
        assert!(Size::Small < Size::Medium && Size::Medium < Size::Large);
    }

    #[test]
    fn test_limits_default_fill_and_unknown_fields() {
        let limits: Limits = serde_json::from_str(r#"{"max_targets": 3}"#).unwrap();
        assert_eq!(limits.max_targets, 3);
        assert_eq!(limits.max_concepts, Limits::default().max_concepts);
        let err = serde_json::from_str::<Limits>(r#"{"max_target": 3}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }
}
