//! Which beads use which term, and when a term was last used. Pure.
//!
//! A bead uses a term when its enrichment's `concepts` holds the term's
//! name or one of its aliases (any case, `-`/`_`/space alike). "Last used"
//! is the newest `concepts.updated_at` among the beads using it.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;

use super::Resolver;
use crate::model::{Enrichment, Vocabulary};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    /// Term name → ids of the beads using it (terms nobody uses are absent).
    pub beads: BTreeMap<String, BTreeSet<String>>,
    /// Term name → newest concepts stamp among the beads using it.
    pub last_used: BTreeMap<String, Timestamp>,
    /// Concepts in enrichment files that no term (live or retired) knows:
    /// normalized tag → beads.
    pub unknown: BTreeMap<String, BTreeSet<String>>,
}

impl Usage {
    pub fn count(&self, term: &str) -> usize {
        self.beads.get(term).map_or(0, BTreeSet::len)
    }
}

/// Count usage over every enrichment file (`bead id → enrichment`).
pub fn usage(vocabulary: &Vocabulary, enrichments: &BTreeMap<String, Enrichment>) -> Usage {
    let resolver = Resolver::new(vocabulary);
    let mut out = Usage::default();
    for (id, enrichment) in enrichments {
        let Some(concepts) = &enrichment.concepts else {
            continue;
        };
        let stamp = concepts
            .updated_at
            .as_deref()
            .and_then(|t| t.parse::<Timestamp>().ok());
        for concept in &concepts.value {
            match resolver.resolve(concept) {
                Some(name) => {
                    out.beads
                        .entry(name.to_string())
                        .or_default()
                        .insert(id.clone());
                    if let Some(stamp) = stamp {
                        let last = out.last_used.entry(name.to_string()).or_insert(stamp);
                        *last = (*last).max(stamp);
                    }
                }
                None => {
                    let key = crate::model::vocabulary::normalize_tag(concept);
                    if !key.is_empty() {
                        out.unknown.entry(key).or_default().insert(id.clone());
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::enrichment::{Source, Stamped};
    use crate::vocab::tests::term;

    pub(crate) fn tagged(concepts: &[&str], at: Option<&str>) -> Enrichment {
        Enrichment {
            concepts: Some(Stamped {
                value: concepts.iter().map(|c| c.to_string()).collect(),
                source: Source::Operator,
                updated_at: at.map(String::from),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn counts_aliases_and_unknown_tags() {
        let vocabulary = Vocabulary {
            terms: vec![term("auth", &["login"]), term("cache", &[])],
        };
        let enrichments: BTreeMap<String, Enrichment> = [
            (
                "b1".to_string(),
                tagged(&["auth", "Login", "x"], Some("2026-01-01T00:00:00Z")),
            ),
            (
                "b2".to_string(),
                tagged(&["login"], Some("2026-03-01T00:00:00Z")),
            ),
            ("b3".to_string(), tagged(&["AUTH"], None)),
            ("b4".to_string(), Enrichment::default()),
        ]
        .into();
        let u = usage(&vocabulary, &enrichments);
        assert_eq!(u.count("auth"), 3, "b1 counts once");
        assert_eq!(u.count("cache"), 0);
        assert_eq!(
            u.last_used["auth"],
            "2026-03-01T00:00:00Z".parse::<Timestamp>().unwrap()
        );
        assert!(!u.last_used.contains_key("cache"));
        assert_eq!(u.unknown.keys().collect::<Vec<_>>(), ["x"]);
    }
}
