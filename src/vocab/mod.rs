//! The concept vocabulary: bootstrap from the repository's structure, usage
//! counts, drift detection (near-duplicate and singleton terms) and review
//! decisions (approve / reject a suggestion).
//!
//! Owns `.gemba/vocabulary.yaml` (with `enrich/`, which reads it) and
//! `.gemba/suggestions/<id>.yaml`; an approved suggestion also rewrites the
//! `concepts` of `.gemba/enrichment/<id>.yaml`. Error type [`Error`].
//!
//! Pure layers, no I/O and no clock: [`bootstrap`] (term sources),
//! [`usage`] (who uses which term), [`drift`] (what to suggest) and
//! [`decide`] (the full rewrite an approval makes). [`ops`] is the thin I/O
//! edge that loads their inputs and writes their results through a store
//! transaction.

pub mod bootstrap;
pub mod decide;
pub mod drift;
pub mod ops;
pub mod usage;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::enrich::ops::normalize_tag;
use crate::model::{Term, Vocabulary};
use crate::store;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Parse(#[from] crate::format::ParseError),
    #[error(transparent)]
    Git(#[from] crate::git::Error),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no suggestion {0:?}")]
    SuggestionNotFound(String),
    #[error(transparent)]
    Decide(#[from] decide::Error),
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Maps a concept as written in an enrichment file (any case, `-`, `_` or
/// space) to the vocabulary term it means: live names, live aliases, then
/// retired names and aliases.
#[derive(Debug, Clone, Default)]
pub struct Resolver {
    by_key: BTreeMap<String, String>,
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
            for term in &group {
                by_key
                    .entry(normalize_tag(&term.name))
                    .or_insert_with(|| term.name.clone());
            }
            for term in &group {
                for alias in &term.aliases {
                    by_key
                        .entry(normalize_tag(alias))
                        .or_insert_with(|| term.name.clone());
                }
            }
        }
        Resolver { by_key }
    }

    /// The canonical name of the term `concept` means, if any.
    pub fn resolve(&self, concept: &str) -> Option<&str> {
        self.by_key.get(&normalize_tag(concept)).map(String::as_str)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn term(name: &str, aliases: &[&str]) -> Term {
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
    }
}
