//! `.gemba/vocabulary.yaml`: the controlled concept vocabulary.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Vocabulary {
    pub terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Term {
    /// Canonical name, lower-case kebab (`react-query`).
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Other spellings that mean this term.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Where it came from: `operator`, `bootstrap:<source>`, `suggestion`.
    #[serde(default = "operator")]
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Retired terms stay for history but are never matched.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retired: bool,
}

fn operator() -> String {
    "operator".into()
}

/// What `gemba init` writes.
pub const VOCABULARY_TEMPLATE: &str =
    "# Controlled concept vocabulary: the tags enrichment may use.
# Each term: name, description, aliases, source, created_at, updated_at, retired.
# `gemba concepts bootstrap` proposes terms from the repository's structure.
terms: []
";
