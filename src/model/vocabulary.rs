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

/// The comment every written vocabulary file starts with (the YAML writer
/// keeps no comments, so gemba puts this one back each time).
pub const VOCABULARY_HEADER: &str = "# Controlled concept vocabulary: the tags enrichment may use.
# Each term: name, description, aliases, source, created_at, updated_at, retired.
# `gemba concepts bootstrap` proposes terms from the repository's structure;
# `gemba concepts drift` suggests merges and deletions for review.
";

impl Vocabulary {
    /// The file's bytes: the header comment, then the terms.
    pub fn to_yaml(&self) -> String {
        format!("{VOCABULARY_HEADER}{}", crate::format::to_yaml_string(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_file_keeps_the_header_and_round_trips() {
        let empty = Vocabulary::default().to_yaml();
        assert_eq!(empty, format!("{VOCABULARY_HEADER}terms: []\n"));
        let back: Vocabulary = crate::format::from_yaml(std::path::Path::new("v"), &empty).unwrap();
        assert_eq!(back, Vocabulary::default());
    }
}
