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

pub use crate::model::vocabulary::{Resolver, normalize_tag};

use std::path::PathBuf;

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

#[cfg(test)]
pub(crate) mod tests {
    use crate::model::Term;

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
}
