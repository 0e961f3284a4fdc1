//! Which beads `gemba bead list` shows: bead fields and enrichment (pure).

use std::collections::BTreeMap;

use crate::model::enrichment::DispatchStatus;
use crate::model::{BeadHead, Enrichment};

/// Every condition must hold; empty lists and `None` match everything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Any of these statuses; empty: every status but `closed` (all with `all`).
    pub statuses: Vec<String>,
    pub all: bool,
    /// All of these labels.
    pub labels: Vec<String>,
    /// Any of these types.
    pub types: Vec<String>,
    /// All of these concepts (canonical names).
    pub concepts: Vec<String>,
    /// A repository path one of the bead's target globs must match.
    pub target: Option<String>,
    /// Absent dispatch status counts as `ready`.
    pub dispatch_status: Option<DispatchStatus>,
    /// Only beads without enrichment.
    pub unenriched: bool,
}

impl Filter {
    /// Whether the filter looks at enrichment (so the caller loads it).
    pub fn needs_enrichment(&self) -> bool {
        self.target.is_some()
            || !self.concepts.is_empty()
            || self.dispatch_status.is_some()
            || self.unenriched
    }

    pub fn apply<'s, 'a>(
        &self,
        beads: &'s [BeadHead<'a>],
        enrichments: &BTreeMap<String, Enrichment>,
    ) -> Vec<&'s BeadHead<'a>> {
        let none = Enrichment::default();
        let target = self
            .target
            .as_deref()
            .map(|t| t.strip_prefix("./").unwrap_or(t));
        beads
            .iter()
            .filter(|b| {
                let e = enrichments.get(b.id).unwrap_or(&none);
                let status_ok = if self.statuses.is_empty() {
                    self.all || b.status != "closed"
                } else {
                    self.statuses.iter().any(|s| s == b.status)
                };
                status_ok
                    && self.labels.iter().all(|l| b.labels.contains(&l.as_str()))
                    && (self.types.is_empty() || self.types.iter().any(|t| t == b.issue_type))
                    && (!self.unenriched || e.is_empty())
                    && self.concepts.iter().all(|c| e.concept_names().contains(c))
                    && target
                        .is_none_or(|t| e.target_globs().iter().any(|g| g.matcher().is_match(t)))
                    && self.dispatch_status.is_none_or(|s| e.status() == s)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Bead;
    use crate::model::enrichment::{Glob, Source, Stamped};

    #[test]
    fn table() {
        let mut open = Bead::new("a", "A");
        open.labels = vec!["x".into()];
        let mut closed = Bead::new("b", "B");
        closed.status = "closed".into();
        let full = [open, closed, Bead::new("c", "C")];
        let beads: Vec<BeadHead> = full.iter().map(BeadHead::from).collect();
        let stamp = |value| {
            Some(Stamped {
                value,
                source: Source::Operator,
                updated_at: None,
            })
        };
        let enrichments = BTreeMap::from([(
            "a".to_string(),
            Enrichment {
                targets: stamp(vec![Glob::new("src/**").unwrap()]),
                concepts: Some(Stamped {
                    value: vec!["auth".into()],
                    source: Source::Heuristic,
                    updated_at: None,
                }),
                ..Default::default()
            },
        )]);
        let ids = |f: Filter| {
            f.apply(&beads, &enrichments)
                .iter()
                .map(|b| b.id.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(Filter::default()), ["a", "c"]);
        assert_eq!(
            ids(Filter {
                all: true,
                ..Default::default()
            }),
            ["a", "b", "c"]
        );
        assert_eq!(
            ids(Filter {
                statuses: vec!["closed".into()],
                ..Default::default()
            }),
            ["b"]
        );
        assert_eq!(
            ids(Filter {
                labels: vec!["x".into()],
                ..Default::default()
            }),
            ["a"]
        );
        assert_eq!(
            ids(Filter {
                target: Some("./src/a/b.rs".into()),
                ..Default::default()
            }),
            ["a"]
        );
        assert_eq!(
            ids(Filter {
                concepts: vec!["auth".into()],
                ..Default::default()
            }),
            ["a"]
        );
        assert_eq!(
            ids(Filter {
                unenriched: true,
                ..Default::default()
            }),
            ["c"]
        );
        let ready = Filter {
            dispatch_status: Some(DispatchStatus::Ready),
            ..Default::default()
        };
        assert_eq!(ids(ready), ["a", "c"]);
    }
}
