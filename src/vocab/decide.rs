//! What approving a suggestion changes, computed in full before anything is
//! written. Pure: the caller swaps every file in one
//! [`Changes::replace_all`](crate::store::Changes::replace_all).
//!
//! - **merge** `terms` into `target`: the merged terms leave the vocabulary;
//!   their names and aliases become aliases of `target`, so chains keep
//!   every old spelling (a→b, then b→c leaves c with aliases b and a).
//! - **rename** a term to `target`: the old name becomes an alias. Refused
//!   when `target` is already a term's name or alias (merge instead).
//! - **delete** `terms`: they are retired (kept for history, never matched).
//!
//! Every enrichment whose `concepts` mention an affected term (by name or
//! alias) is rewritten: merged or renamed terms become the target, deleted
//! ones are dropped, duplicates are removed (first one kept). The concepts
//! stamp (source and `updated_at`) is kept: a vocabulary decision renames
//! a tag, it is no new evidence about the bead. A list left empty is
//! removed; an enrichment left empty is deleted (`None`).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::Resolver;
use crate::model::suggestion::{Suggestion, SuggestionKind, SuggestionStatus};
use crate::model::vocabulary::normalize_tag;
use crate::model::{Enrichment, Term, Vocabulary};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("suggestion {id} is {status}, not pending")]
    NotPending {
        id: String,
        status: SuggestionStatus,
    },
    #[error("suggestion {id}: {message}")]
    Malformed { id: String, message: String },
    #[error("suggestion {id} is not a vocabulary change (decide it with `gemba suggestions`)")]
    NotVocabulary { id: String },
    #[error("{term:?} is not a live term in the vocabulary (suggestion {id} is stale; reject it)")]
    UnknownTerm { id: String, term: String },
    #[error("{term:?} is already merged into {target:?} (suggestion {id} is stale; reject it)")]
    Same {
        id: String,
        term: String,
        target: String,
    },
    #[error("cannot rename {from:?} to {to:?}: {to:?} is already {what}")]
    RenameOntoExisting {
        from: String,
        to: String,
        what: String,
    },
}

/// The full result of an approval.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub vocabulary: Vocabulary,
    /// Every enrichment that changes: bead id → new content (`None`: the
    /// file goes away because nothing is left in it).
    pub enrichments: BTreeMap<String, Option<Enrichment>>,
    /// The suggestion, marked approved.
    pub suggestion: Suggestion,
    /// Canonical names the decision acted on, and the target's canonical name.
    pub terms: Vec<String>,
    pub target: Option<String>,
}

/// Who decided, and when (RFC 3339).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Decider<'a> {
    pub by: &'a str,
    pub at: &'a str,
}

/// Plan the approval of `suggestion` over the current vocabulary and every
/// enrichment (`bead id → enrichment`).
pub fn approve(
    vocabulary: &Vocabulary,
    enrichments: &BTreeMap<String, Enrichment>,
    suggestion: &Suggestion,
    decider: Decider<'_>,
) -> Result<Plan, Error> {
    let id = suggestion.id.clone();
    if !suggestion.kind.is_vocabulary() {
        return Err(Error::NotVocabulary { id });
    }
    if suggestion.status != SuggestionStatus::Pending {
        return Err(Error::NotPending {
            id,
            status: suggestion.status,
        });
    }
    suggestion.validate().map_err(|message| Error::Malformed {
        id: id.clone(),
        message,
    })?;
    let before = Resolver::new(vocabulary);
    let live = |name: &str| -> Result<String, Error> {
        let canonical = before
            .resolve(name)
            .filter(|n| term(vocabulary, n).is_some_and(|t| !t.retired));
        canonical
            .map(String::from)
            .ok_or_else(|| Error::UnknownTerm {
                id: id.clone(),
                term: name.to_string(),
            })
    };
    let mut terms: Vec<String> = Vec::new();
    for t in &suggestion.terms {
        let name = live(t)?;
        if !terms.contains(&name) {
            terms.push(name);
        }
    }
    let mut next = vocabulary.clone();
    let target = match suggestion.kind {
        SuggestionKind::Merge => {
            let target = live(suggestion.target.as_deref().unwrap_or_default())?;
            if terms.contains(&target) {
                let term = suggestion
                    .terms
                    .iter()
                    .find(|t| before.resolve(t) == Some(target.as_str()))
                    .cloned()
                    .unwrap_or_default();
                return Err(Error::Same { id, term, target });
            }
            merge(&mut next, &terms, &target, decider.at);
            Some(target)
        }
        SuggestionKind::Rename => {
            let from = &terms[0];
            let to = normalize_tag(suggestion.target.as_deref().unwrap_or_default());
            if to.is_empty() {
                return Err(Error::Malformed {
                    id,
                    message: "empty `target`".into(),
                });
            }
            if let Some(owner) = before.resolve(&to) {
                let what = if owner == from {
                    if normalize_tag(owner) == to {
                        "its name".to_string()
                    } else {
                        String::new()
                    }
                } else if normalize_tag(owner) == to {
                    "a term".to_string()
                } else {
                    format!("an alias of {owner:?}")
                };
                if !what.is_empty() {
                    return Err(Error::RenameOntoExisting {
                        from: from.clone(),
                        to,
                        what,
                    });
                }
            }
            rename(&mut next, from, &to, decider.at);
            Some(to)
        }
        SuggestionKind::Tune => {
            return Err(Error::NotVocabulary {
                id: suggestion.id.clone(),
            });
        }
        SuggestionKind::Delete => {
            for t in next.terms.iter_mut().filter(|t| terms.contains(&t.name)) {
                t.retired = true;
                t.updated_at = Some(decider.at.to_string());
            }
            None
        }
    };

    let after = Resolver::new(&next);
    let affected: BTreeSet<&str> = terms.iter().map(String::as_str).collect();
    let mut changed = BTreeMap::new();
    for (bead, enrichment) in enrichments {
        if let Some(new) = rewrite(enrichment, &before, &after, &affected, target.as_deref()) {
            changed.insert(bead.clone(), (!new.is_empty()).then_some(new));
        }
    }
    let mut decided = suggestion.clone();
    decided.status = SuggestionStatus::Approved;
    decided.decided_at = Some(decider.at.to_string());
    decided.decided_by = Some(decider.by.to_string());
    Ok(Plan {
        vocabulary: next,
        enrichments: changed,
        suggestion: decided,
        terms,
        target,
    })
}

fn term<'v>(vocabulary: &'v Vocabulary, name: &str) -> Option<&'v Term> {
    vocabulary.terms.iter().find(|t| t.name == name)
}

fn push_alias(term: &mut Term, alias: &str) {
    let key = normalize_tag(alias);
    if normalize_tag(&term.name) != key && !term.aliases.iter().any(|a| normalize_tag(a) == key) {
        term.aliases.push(alias.to_string());
    }
}

fn merge(vocabulary: &mut Vocabulary, from: &[String], target: &str, at: &str) {
    let merged: Vec<Term> = vocabulary
        .terms
        .iter()
        .filter(|t| from.contains(&t.name))
        .cloned()
        .collect();
    vocabulary.terms.retain(|t| !from.contains(&t.name));
    let Some(into) = vocabulary.terms.iter_mut().find(|t| t.name == target) else {
        return;
    };
    for old in &merged {
        push_alias(into, &old.name);
        for alias in &old.aliases {
            push_alias(into, alias);
        }
        if into.description.is_empty() {
            into.description = old.description.clone();
        }
    }
    into.updated_at = Some(at.to_string());
}

fn rename(vocabulary: &mut Vocabulary, from: &str, to: &str, at: &str) {
    let Some(t) = vocabulary.terms.iter_mut().find(|t| t.name == from) else {
        return;
    };
    let old = std::mem::replace(&mut t.name, to.to_string());
    t.aliases.retain(|a| normalize_tag(a) != to);
    push_alias(t, &old);
    t.updated_at = Some(at.to_string());
}

/// The enrichment with affected concepts replaced (or dropped), or `None`
/// when it does not mention them.
fn rewrite(
    enrichment: &Enrichment,
    before: &Resolver,
    after: &Resolver,
    affected: &BTreeSet<&str>,
    target: Option<&str>,
) -> Option<Enrichment> {
    let concepts = enrichment.concepts.as_ref()?;
    let hits = |c: &String| before.resolve(c).is_some_and(|n| affected.contains(n));
    if !concepts.value.iter().any(hits) {
        return None;
    }
    let mut seen = BTreeSet::new();
    let mut value = Vec::new();
    for c in &concepts.value {
        let c = if hits(c) {
            match target {
                Some(t) => t.to_string(),
                None => continue,
            }
        } else {
            c.clone()
        };
        let key = after
            .resolve(&c)
            .map(String::from)
            .unwrap_or_else(|| normalize_tag(&c));
        if seen.insert(key) {
            value.push(c);
        }
    }
    let mut new = enrichment.clone();
    new.concepts = if value.is_empty() {
        None
    } else {
        let mut stamped = concepts.clone();
        stamped.value = value;
        Some(stamped)
    };
    Some(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::enrichment::{DispatchStatus, Source, Stamped};
    use crate::vocab::tests::term as t;
    use crate::vocab::usage::tests::tagged;
    use proptest::prelude::*;

    const AT: &str = "2026-11-23T12:00:00Z";

    fn by() -> Decider<'static> {
        Decider {
            by: "alice",
            at: AT,
        }
    }

    fn sug(kind: SuggestionKind, terms: &[&str], target: Option<&str>) -> Suggestion {
        Suggestion {
            id: "s1".into(),
            kind,
            terms: terms.iter().map(|t| t.to_string()).collect(),
            target: target.map(String::from),
            reason: String::new(),
            evidence: BTreeMap::new(),
            status: SuggestionStatus::Pending,
            created_at: "2026-11-01T00:00:00Z".into(),
            decided_at: None,
            decided_by: None,
            decision_reason: None,
            key: None,
            current: None,
            value: None,
            finding: None,
            samples: vec![],
        }
    }

    fn concepts_of(plan: &Plan, bead: &str) -> Option<Vec<String>> {
        plan.enrichments[bead]
            .as_ref()
            .map(|e| e.concept_names().to_vec())
    }

    fn aliases(v: &Vocabulary, name: &str) -> Vec<String> {
        term(v, name).unwrap().aliases.clone()
    }

    #[test]
    fn merge_rewrites_and_chains_aliases() {
        let v = Vocabulary {
            terms: vec![t("a", &["aa"]), t("b", &[]), t("c", &["cee"])],
        };
        let enrichments: BTreeMap<String, Enrichment> = [
            (
                "x1".to_string(),
                tagged(&["a", "b"], Some("2026-01-01T00:00:00Z")),
            ),
            ("x2".to_string(), tagged(&["AA", "c"], None)),
            ("x3".to_string(), tagged(&["c"], None)),
        ]
        .into();
        let p1 = approve(
            &v,
            &enrichments,
            &sug(SuggestionKind::Merge, &["a"], Some("b")),
            by(),
        )
        .unwrap();
        assert_eq!(
            p1.vocabulary
                .terms
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>(),
            ["b", "c"]
        );
        assert_eq!(aliases(&p1.vocabulary, "b"), ["a", "aa"]);
        assert_eq!(concepts_of(&p1, "x1").unwrap(), ["b"], "deduplicated");
        assert_eq!(concepts_of(&p1, "x2").unwrap(), ["b", "c"]);
        assert!(!p1.enrichments.contains_key("x3"));
        let x1 = p1.enrichments["x1"]
            .as_ref()
            .unwrap()
            .concepts
            .as_ref()
            .unwrap();
        assert_eq!(
            x1.updated_at.as_deref(),
            Some("2026-01-01T00:00:00Z"),
            "stamp kept"
        );
        assert_eq!(p1.suggestion.status, SuggestionStatus::Approved);
        assert_eq!(p1.suggestion.decided_by.as_deref(), Some("alice"));

        let after: BTreeMap<String, Enrichment> = enrichments
            .iter()
            .map(|(id, e)| {
                (
                    id.clone(),
                    p1.enrichments
                        .get(id)
                        .cloned()
                        .flatten()
                        .unwrap_or_else(|| e.clone()),
                )
            })
            .collect();
        let mut s2 = sug(SuggestionKind::Merge, &["b"], Some("c"));
        s2.id = "s2".into();
        let p2 = approve(&p1.vocabulary, &after, &s2, by()).unwrap();
        assert_eq!(p2.vocabulary.terms.len(), 1);
        assert_eq!(aliases(&p2.vocabulary, "c"), ["cee", "b", "a", "aa"]);
        assert_eq!(concepts_of(&p2, "x1").unwrap(), ["c"]);
        assert_eq!(concepts_of(&p2, "x2").unwrap(), ["c"]);
    }

    #[test]
    fn rename_keeps_the_old_name_as_alias() {
        let v = Vocabulary {
            terms: vec![t("a", &["alpha"]), t("b", &["bee"])],
        };
        let enrichments: BTreeMap<String, Enrichment> =
            [("x".to_string(), tagged(&["alpha", "b"], None))].into();
        let p = approve(
            &v,
            &enrichments,
            &sug(SuggestionKind::Rename, &["a"], Some("Apple Pie")),
            by(),
        )
        .unwrap();
        assert_eq!(p.vocabulary.terms[0].name, "apple-pie");
        assert_eq!(p.vocabulary.terms[0].aliases, ["alpha", "a"]);
        assert_eq!(p.vocabulary.terms[0].updated_at.as_deref(), Some(AT));
        assert_eq!(concepts_of(&p, "x").unwrap(), ["apple-pie", "b"]);
        // Renaming onto one's own alias swaps them.
        let p = approve(
            &v,
            &enrichments,
            &sug(SuggestionKind::Rename, &["a"], Some("alpha")),
            by(),
        )
        .unwrap();
        assert_eq!(
            (
                p.vocabulary.terms[0].name.as_str(),
                p.vocabulary.terms[0].aliases.clone()
            ),
            ("alpha", vec!["a".to_string()])
        );
    }

    #[test]
    fn refusals() {
        let mut gone = t("gone", &[]);
        gone.retired = true;
        let v = Vocabulary {
            terms: vec![t("a", &[]), t("b", &["bee"]), gone],
        };
        let none = BTreeMap::new();
        let cases = [
            (
                sug(SuggestionKind::Rename, &["a"], Some("b")),
                "already a term",
            ),
            (
                sug(SuggestionKind::Rename, &["a"], Some("BEE")),
                "an alias of \"b\"",
            ),
            (
                sug(SuggestionKind::Rename, &["a"], Some("gone")),
                "already a term",
            ),
            (
                sug(SuggestionKind::Rename, &["a"], Some("a")),
                "also in `terms`",
            ),
            (
                sug(SuggestionKind::Rename, &["a"], Some("A")),
                "already its name",
            ),
            (
                sug(SuggestionKind::Merge, &["zzz"], Some("b")),
                "\"zzz\" is not a live term",
            ),
            (
                sug(SuggestionKind::Merge, &["a"], Some("gone")),
                "\"gone\" is not a live term",
            ),
            (
                sug(SuggestionKind::Merge, &["bee"], Some("b")),
                "already merged",
            ),
            (
                sug(SuggestionKind::Delete, &["gone"], None),
                "not a live term",
            ),
            (
                sug(SuggestionKind::Delete, &["a"], Some("b")),
                "has no `target`",
            ),
        ];
        for (s, want) in cases {
            let err = approve(&v, &none, &s, by()).unwrap_err().to_string();
            assert!(err.contains(want), "{s:?}: {err}");
        }
        let mut done = sug(SuggestionKind::Delete, &["a"], None);
        done.status = SuggestionStatus::Rejected;
        assert!(matches!(
            approve(&v, &none, &done, by()),
            Err(Error::NotPending { .. })
        ));
    }

    #[test]
    fn delete_retires_and_empties() {
        let v = Vocabulary {
            terms: vec![t("a", &[]), t("b", &[])],
        };
        let mut only_a = tagged(&["a"], None);
        let mut status = tagged(&["a"], None);
        status.dispatch_status = Some(Stamped {
            value: DispatchStatus::NotNow,
            source: Source::Operator,
            updated_at: None,
        });
        only_a.concepts.as_mut().unwrap().source = Source::Heuristic;
        let enrichments: BTreeMap<String, Enrichment> = [
            ("x1".to_string(), only_a),
            ("x2".to_string(), tagged(&["b", "a"], None)),
            ("x3".to_string(), status),
        ]
        .into();
        let p = approve(
            &v,
            &enrichments,
            &sug(SuggestionKind::Delete, &["a"], None),
            by(),
        )
        .unwrap();
        assert!(p.vocabulary.terms[0].retired);
        assert!(!p.vocabulary.terms[1].retired);
        assert_eq!(p.enrichments["x1"], None, "nothing left: the file goes");
        assert_eq!(concepts_of(&p, "x2").unwrap(), ["b"]);
        let x3 = p.enrichments["x3"].as_ref().unwrap();
        assert!(x3.concepts.is_none() && x3.dispatch_status.is_some());
    }

    fn arb_case() -> impl Strategy<Value = (Vocabulary, BTreeMap<String, Enrichment>, usize, usize)>
    {
        let names = proptest::collection::btree_set("[a-d]{1,2}", 2..6);
        names
            .prop_flat_map(|names| {
                let names: Vec<String> = names.into_iter().collect();
                let n = names.len();
                let lists = proptest::collection::vec(
                    proptest::sample::subsequence(names.clone(), 0..=n),
                    0..6,
                );
                (Just(names), lists, 0..n, 0..n)
            })
            .prop_map(|(names, lists, from, into)| {
                let vocabulary = Vocabulary {
                    terms: names.iter().map(|n| t(n, &[])).collect(),
                };
                let enrichments = lists
                    .into_iter()
                    .enumerate()
                    .map(|(i, list)| {
                        let refs: Vec<&str> = list.iter().map(String::as_str).collect();
                        (format!("b{i}"), tagged(&refs, None))
                    })
                    .collect();
                (vocabulary, enrichments, from, into)
            })
    }

    proptest! {
        #[test]
        fn approval_keeps_concept_lists_free_of_duplicates((v, enrichments, from, into) in arb_case(), kind in 0..3u8) {
            let names: Vec<String> = v.terms.iter().map(|t| t.name.clone()).collect();
            let (kind, target) = match kind {
                0 => (SuggestionKind::Merge, Some(names[into].clone())),
                1 => (SuggestionKind::Rename, Some(format!("{}-new", names[into]))),
                _ => (SuggestionKind::Delete, None),
            };
            let s = Suggestion { kind, terms: vec![names[from].clone()], target: target.clone(), ..sug(kind, &[], None) };
            let Ok(plan) = approve(&v, &enrichments, &s, by()) else {
                prop_assert!(kind == SuggestionKind::Merge && from == into);
                return Ok(());
            };
            for (bead, before) in &enrichments {
                let after = match plan.enrichments.get(bead) {
                    Some(new) => new.as_ref().map(|e| e.concept_names().to_vec()).unwrap_or_default(),
                    None => before.concept_names().to_vec(),
                };
                let unique: BTreeSet<&String> = after.iter().collect();
                prop_assert_eq!(unique.len(), after.len(), "{:?}", after);
                prop_assert!(!after.contains(&names[from]));
                let used = before.concept_names().contains(&names[from]);
                if let Some(target) = &target && used {
                    prop_assert!(after.contains(target));
                }
            }
        }
    }
}
