//! `.gemba/vocabulary.yaml`: the controlled concept vocabulary.

use std::collections::BTreeMap;

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

/// The JSON Schema `vocabulary.yaml` names in its first line, relative to
/// `.gemba/`.
pub const SCHEMA: &str = "schema/vocabulary.schema.json";

impl Vocabulary {
    /// The file's bytes: the schema modeline, the header comment, then the
    /// terms.
    pub fn to_yaml(&self) -> String {
        format!(
            "{}{VOCABULARY_HEADER}{}",
            crate::format::yaml_modeline(SCHEMA),
            crate::format::to_yaml_string(self)
        )
    }
}

/// Lower-case kebab form of a tag as typed (`React Query` → `react-query`):
/// the key under which names and aliases are compared.
pub fn normalize_tag(tag: &str) -> String {
    tag.trim()
        .to_lowercase()
        .split(|c: char| c.is_whitespace() || c == '_' || c == '-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// The one way a concept as written (any case, `-`, `_` or space) maps to
/// the vocabulary term it means: live names, live aliases, then retired
/// names and aliases.
#[derive(Debug, Clone, Default)]
pub struct Resolver {
    /// Normalized name or alias → (canonical name, live).
    by_key: BTreeMap<String, (String, bool)>,
}

impl Resolver {
    pub fn new(vocabulary: &Vocabulary) -> Resolver {
        let mut by_key = BTreeMap::new();
        for retired in [false, true] {
            let group: Vec<&Term> = vocabulary
                .terms
                .iter()
                .filter(|t| t.retired == retired)
                .collect();
            let names = group.iter().map(|t| (&t.name, *t));
            let aliases = group
                .iter()
                .flat_map(|t| t.aliases.iter().map(move |a| (a, *t)));
            for (key, term) in names.chain(aliases) {
                by_key
                    .entry(normalize_tag(key))
                    .or_insert_with(|| (term.name.clone(), !retired));
            }
        }
        Resolver { by_key }
    }

    /// The canonical name of the term `concept` means, live or retired.
    pub fn resolve(&self, concept: &str) -> Option<&str> {
        self.by_key
            .get(&normalize_tag(concept))
            .map(|(n, _)| n.as_str())
    }

    /// The canonical name of the live term `concept` means.
    pub fn live(&self, concept: &str) -> Option<&str> {
        match self.by_key.get(&normalize_tag(concept)) {
            Some((name, true)) => Some(name),
            _ => None,
        }
    }

    /// Tags as typed to canonical live names; a tag the vocabulary does not
    /// know (or only as a retired term) stays, normalized, and is also
    /// returned in the second list.
    pub fn canonical(&self, tags: &[String]) -> (Vec<String>, Vec<String>) {
        let mut names = Vec::new();
        let mut unknown = Vec::new();
        for tag in tags {
            match self.live(tag) {
                Some(name) => names.push(name.to_string()),
                None => {
                    let t = normalize_tag(tag);
                    unknown.push(t.clone());
                    names.push(t);
                }
            }
        }
        (names, unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(name: &str, aliases: &[&str]) -> Term {
        Term {
            name: name.into(),
            description: String::new(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            source: "operator".into(),
            created_at: None,
            updated_at: None,
            retired: false,
        }
    }

    #[test]
    fn resolver_prefers_names_and_live_terms() {
        let mut old = term("auth", &[]);
        old.retired = true;
        let vocabulary = Vocabulary {
            terms: vec![
                term("react-query", &["rq", "auth"]),
                old,
                term("authentication", &["auth_n"]),
            ],
        };
        let r = Resolver::new(&vocabulary);
        for (concept, want) in [
            ("React Query", Some("react-query")),
            ("RQ", Some("react-query")),
            ("auth", Some("react-query")),
            ("auth-n", Some("authentication")),
            ("author", None),
        ] {
            assert_eq!(r.resolve(concept), want, "{concept}");
        }
        assert_eq!(r.live("auth"), Some("react-query"));
        let mut gone = term("gone", &[]);
        gone.retired = true;
        let r = Resolver::new(&Vocabulary { terms: vec![gone] });
        assert_eq!((r.resolve("Gone"), r.live("gone")), (Some("gone"), None));
        assert_eq!(
            r.canonical(&["Gone".into()]),
            (vec!["gone".to_string()], vec!["gone".to_string()])
        );
    }

    #[test]
    fn written_file_keeps_the_header_and_round_trips() {
        let empty = Vocabulary::default().to_yaml();
        assert_eq!(
            empty,
            format!(
                "# yaml-language-server: $schema=schema/vocabulary.schema.json\n\
                 {VOCABULARY_HEADER}terms: []\n"
            )
        );
        let back: Vocabulary = crate::format::from_yaml(std::path::Path::new("v"), &empty).unwrap();
        assert_eq!(back, Vocabulary::default());
    }
}
