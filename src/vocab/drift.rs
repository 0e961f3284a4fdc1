//! `gemba concepts drift`: what the vocabulary should change. Pure: a
//! function of the vocabulary, its [`Usage`], the thresholds and `now`.
//!
//! - **Near-duplicates.** Two live terms that share at least one bead, whose
//!   sets of beads have a Jaccard similarity (shared / either) of at least
//!   `merge_min_jaccard`, and whose usage ratio (less used / more used) is at
//!   least `merge_min_usage_ratio`: merge the less-used term into the
//!   more-used one (on a tie, the later name into the earlier).
//! - **Singletons.** A live term used by fewer than `singleton_usage_below`
//!   beads and not used for `singleton_unused_days` days: delete it. "Last
//!   used" is the newest concepts stamp among the beads using it, else the
//!   term's `updated_at`, else its `created_at`; with none of these the age
//!   is unknown and the term is suggested (a suggestion is never applied
//!   without review). A term already in a merge finding is not also
//!   suggested for deletion.
//!
//! Which findings become new suggestion files (pending ones are not
//! repeated, rejected ones wait `repropose_after_days`) is decided by
//! [`fresh`].

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde::Serialize;

use super::usage::Usage;
use crate::model::config::VocabConfig;
use crate::model::suggestion::{Suggestion, SuggestionKind, SuggestionStatus};
use crate::model::{Term, Vocabulary};

/// One thing drift would suggest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub kind: SuggestionKind,
    pub terms: Vec<String>,
    pub target: Option<String>,
    /// One line of evidence.
    pub reason: String,
    pub evidence: BTreeMap<String, f64>,
}

impl Finding {
    /// The same change always has the same key, whatever the evidence.
    pub fn key(&self) -> String {
        key(self.kind, &self.terms, self.target.as_deref())
    }
}

/// `kind` + every term involved, sorted: merging a into b and b into a are
/// the same question.
pub fn key(kind: SuggestionKind, terms: &[String], target: Option<&str>) -> String {
    let mut all: Vec<&str> = terms.iter().map(String::as_str).chain(target).collect();
    all.sort_unstable();
    all.dedup();
    format!("{kind}|{}", all.join("|"))
}

/// The key of an existing suggestion (see [`key`]).
pub fn key_of(s: &Suggestion) -> String {
    key(s.kind, &s.terms, s.target.as_deref())
}

/// A suggestion id from its key: `<kind>-<8 base36 digits>`, plus `-<n>`
/// for the n-th proposal of the same change.
pub fn suggestion_id(kind: SuggestionKind, key: &str, generation: usize) -> String {
    let hash = crate::hash::base36(crate::hash::fnv1a(key.as_bytes()), 8);
    if generation <= 1 {
        format!("{kind}-{hash}")
    } else {
        format!("{kind}-{hash}-{generation}")
    }
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Everything drift finds, merges first (by from, into), then deletes (by
/// name). Deterministic.
pub fn drift(
    vocabulary: &Vocabulary,
    usage: &Usage,
    config: &VocabConfig,
    now: Timestamp,
) -> Vec<Finding> {
    let live: BTreeMap<&str, &Term> = vocabulary
        .terms
        .iter()
        .filter(|t| !t.retired)
        .map(|t| (t.name.as_str(), t))
        .collect();
    let empty = BTreeSet::new();
    let beads_of = |name: &str| usage.beads.get(name).unwrap_or(&empty);

    // Shared beads per pair of live terms, from each bead's terms.
    let mut by_bead: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (term, beads) in &usage.beads {
        if live.contains_key(term.as_str()) {
            for bead in beads {
                by_bead
                    .entry(bead.as_str())
                    .or_default()
                    .insert(term.as_str());
            }
        }
    }
    let mut shared: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for terms in by_bead.values() {
        let terms: Vec<&str> = terms.iter().copied().collect();
        for (i, a) in terms.iter().enumerate() {
            for b in &terms[i + 1..] {
                *shared.entry((*a, *b)).or_default() += 1;
            }
        }
    }

    let mut merges = Vec::new();
    let mut in_merge: BTreeSet<&str> = BTreeSet::new();
    for ((a, b), both) in shared {
        let (na, nb) = (beads_of(a).len(), beads_of(b).len());
        let union = na + nb - both;
        let jaccard = both as f64 / union as f64;
        let ratio = na.min(nb) as f64 / na.max(nb) as f64;
        if jaccard < config.merge_min_jaccard
            || ratio < config.merge_min_usage_ratio
            || na.min(nb) < config.merge_min_beads
        {
            continue;
        }
        // `a < b` by name: on a tie the later name goes.
        let (from, into, n_from, n_into) = if na < nb {
            (a, b, na, nb)
        } else {
            (b, a, nb, na)
        };
        in_merge.extend([from, into]);
        merges.push(Finding {
            kind: SuggestionKind::Merge,
            terms: vec![from.to_string()],
            target: Some(into.to_string()),
            reason: format!("jaccard {jaccard:.2}, usage {n_from}/{n_into}, {both} shared beads"),
            evidence: [
                ("jaccard".to_string(), round(jaccard)),
                ("usage_ratio".to_string(), round(ratio)),
                ("usage_from".to_string(), n_from as f64),
                ("usage_into".to_string(), n_into as f64),
                ("shared".to_string(), both as f64),
            ]
            .into(),
        });
    }
    merges.sort_by(|x, y| (&x.terms, &x.target).cmp(&(&y.terms, &y.target)));

    let mut deletes = Vec::new();
    for (name, term) in &live {
        let used = beads_of(name).len();
        if used >= config.singleton_usage_below || in_merge.contains(name) {
            continue;
        }
        let last = usage.last_used.get(*name).copied().or_else(|| {
            [&term.updated_at, &term.created_at]
                .into_iter()
                .flatten()
                .find_map(|t| t.parse::<Timestamp>().ok())
        });
        let days = last.map(|t| now.duration_since(t).as_secs().div_euclid(86_400));
        if days.is_some_and(|d| d < i64::from(config.singleton_unused_days)) {
            continue;
        }
        let beads = if used == 1 { "bead" } else { "beads" };
        let mut evidence = BTreeMap::from([("usage".to_string(), used as f64)]);
        let reason = match days {
            Some(d) => {
                evidence.insert("days_unused".to_string(), d as f64);
                format!("used by {used} {beads}, last used {d} days ago")
            }
            None => format!("used by {used} {beads}, never dated"),
        };
        deletes.push(Finding {
            kind: SuggestionKind::Delete,
            terms: vec![name.to_string()],
            target: None,
            reason,
            evidence,
        });
    }
    merges.extend(deletes);
    merges
}

/// What happened to each finding against the suggestions already on disk.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A new suggestion with this id.
    New(String),
    /// The same change is pending review already (this id).
    Pending(String),
    /// Rejected (this id) less than `repropose_after_days` ago.
    RecentlyRejected(String),
}

/// Decide, per finding, whether it becomes a new suggestion: not when the
/// same change is pending, nor when it was rejected less than
/// `repropose_after_days` before `now` (counted from its `decided_at`; a
/// rejection without a date counts as recent). Approved suggestions don't
/// block: if the change is found again, the situation changed. A
/// re-proposal gets the next free id (`merge-x1y2z3a4-2`).
pub fn fresh(
    findings: &[Finding],
    existing: &[Suggestion],
    repropose_after_days: u32,
    now: Timestamp,
) -> Vec<Outcome> {
    let ids: BTreeSet<&str> = existing.iter().map(|s| s.id.as_str()).collect();
    findings
        .iter()
        .map(|f| {
            let key = f.key();
            let same: Vec<&Suggestion> = existing.iter().filter(|s| key_of(s) == key).collect();
            if let Some(p) = same.iter().find(|s| s.status == SuggestionStatus::Pending) {
                return Outcome::Pending(p.id.clone());
            }
            let recent = same
                .iter()
                .filter(|s| s.status == SuggestionStatus::Rejected)
                .find(|s| {
                    let decided = s
                        .decided_at
                        .as_deref()
                        .and_then(|t| t.parse::<Timestamp>().ok());
                    decided.is_none_or(|t| {
                        now.duration_since(t).as_secs() < i64::from(repropose_after_days) * 86_400
                    })
                });
            if let Some(r) = recent {
                return Outcome::RecentlyRejected(r.id.clone());
            }
            let id = (1..)
                .map(|n| suggestion_id(f.kind, &key, n))
                .find(|id| !ids.contains(id.as_str()))
                .expect("an unused id");
            Outcome::New(id)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::tests::term;
    use proptest::prelude::*;

    const NOW: &str = "2026-11-23T12:00:00Z";

    fn now() -> Timestamp {
        NOW.parse().unwrap()
    }

    /// Usage from `(term, [bead numbers])`, all used at `at`.
    fn usage_of(list: &[(&str, &[u32])], at: Option<&str>) -> Usage {
        let mut u = Usage::default();
        for (term, beads) in list {
            u.beads.insert(
                term.to_string(),
                beads.iter().map(|b| format!("b{b}")).collect(),
            );
            if let Some(at) = at {
                u.last_used.insert(term.to_string(), at.parse().unwrap());
            }
        }
        u
    }

    fn vocab(names: &[&str]) -> Vocabulary {
        Vocabulary {
            terms: names.iter().map(|n| term(n, &[])).collect(),
        }
    }

    fn summary(findings: &[Finding]) -> Vec<String> {
        findings
            .iter()
            .map(|f| {
                format!(
                    "{} {} {}",
                    f.kind,
                    f.terms.join(","),
                    f.target.as_deref().unwrap_or("-")
                )
            })
            .collect()
    }

    #[test]
    fn table() {
        let recent = Some("2026-11-01T00:00:00Z");
        let old = Some("2026-01-01T00:00:00Z");
        type Case<'a> = (
            &'a str,
            Vec<&'a str>,
            Vec<(&'a str, &'a [u32])>,
            Option<&'a str>,
            Vec<&'a str>,
        );
        let cases: Vec<Case> = vec![
            (
                "identical sets: later name merges into earlier",
                vec!["a", "b"],
                vec![("a", &[1, 2, 3]), ("b", &[1, 2, 3])],
                recent,
                vec!["merge b a"],
            ),
            (
                "less used merges into more used",
                vec!["a", "b"],
                vec![("a", &[1, 2, 3]), ("b", &[1, 2, 3, 4])],
                recent,
                vec!["merge a b"],
            ),
            // 7 shared of 10: exactly the threshold.
            (
                "jaccard 0.7 is enough",
                vec!["a", "b"],
                vec![
                    ("a", &[1, 2, 3, 4, 5, 6, 7, 8]),
                    ("b", &[1, 2, 3, 4, 5, 6, 7, 9, 10]),
                ],
                recent,
                vec!["merge a b"],
            ),
            (
                "jaccard 0.6 is not",
                vec!["a", "b"],
                vec![("a", &[1, 2, 3, 4]), ("b", &[2, 3, 4, 5])],
                recent,
                vec![],
            ),
            (
                "no shared beads",
                vec!["a", "b"],
                vec![("a", &[1, 2, 3]), ("b", &[4, 5, 6])],
                recent,
                vec![],
            ),
            (
                "recent singleton stays",
                vec!["a"],
                vec![("a", &[1])],
                recent,
                vec![],
            ),
            (
                "old singleton goes",
                vec!["a"],
                vec![("a", &[1, 2])],
                old,
                vec!["delete a -"],
            ),
            (
                "three uses are not a singleton",
                vec!["a"],
                vec![("a", &[1, 2, 3])],
                old,
                vec![],
            ),
            (
                "unused undated term goes",
                vec!["a", "z"],
                vec![("a", &[1, 2, 3])],
                recent,
                vec!["delete z -"],
            ),
            (
                "merge wins over delete",
                vec!["a", "b"],
                vec![("a", &[1, 2]), ("b", &[1, 2])],
                old,
                vec!["merge b a"],
            ),
            (
                "two tags on one bead are no evidence of a duplicate",
                vec!["a", "b"],
                vec![("a", &[1]), ("b", &[1])],
                old,
                vec!["delete a -", "delete b -"],
            ),
            (
                "retired terms are ignored",
                vec!["a", "b"],
                vec![("a", &[1, 2, 3]), ("b", &[1, 2, 3])],
                recent,
                vec![],
            ),
        ];
        for (what, names, list, at, want) in cases {
            let mut vocabulary = vocab(&names);
            if what.starts_with("retired") {
                vocabulary.terms[1].retired = true;
            }
            let got = drift(
                &vocabulary,
                &usage_of(&list, at),
                &VocabConfig::default(),
                now(),
            );
            assert_eq!(summary(&got), want, "{what}");
        }
    }

    #[test]
    fn ratio_threshold_applies_on_its_own() {
        let config = VocabConfig {
            merge_min_jaccard: 0.2,
            ..Default::default()
        };
        let list: Vec<(&str, &[u32])> = vec![("a", &[1, 2]), ("b", &[1, 2, 3, 4, 5])];
        let got = drift(
            &vocab(&["a", "b"]),
            &usage_of(&list, Some(NOW)),
            &config,
            now(),
        );
        assert!(got.is_empty(), "ratio 0.4: {got:?}");
        let config = VocabConfig {
            merge_min_usage_ratio: 0.4,
            ..config
        };
        let got = drift(
            &vocab(&["a", "b"]),
            &usage_of(&list, Some(NOW)),
            &config,
            now(),
        );
        assert_eq!(summary(&got), ["merge a b"]);
        assert_eq!(got[0].reason, "jaccard 0.40, usage 2/5, 2 shared beads");
    }

    #[test]
    fn term_dates_stand_in_for_usage() {
        let mut vocabulary = vocab(&["fresh", "stale"]);
        vocabulary.terms[0].created_at = Some("2026-11-01T00:00:00Z".into());
        vocabulary.terms[1].created_at = Some("2026-11-01T00:00:00Z".into());
        vocabulary.terms[1].updated_at = Some("2026-05-01T00:00:00Z".into());
        let got = drift(
            &vocabulary,
            &Usage::default(),
            &VocabConfig::default(),
            now(),
        );
        assert_eq!(summary(&got), ["delete stale -"]);
        assert_eq!(got[0].reason, "used by 0 beads, last used 206 days ago");
        assert_eq!(got[0].evidence["days_unused"], 206.0);
    }

    fn suggestion(
        id: &str,
        f: &Finding,
        status: SuggestionStatus,
        decided_at: Option<&str>,
    ) -> Suggestion {
        Suggestion {
            id: id.into(),
            kind: f.kind,
            terms: f.terms.clone(),
            target: f.target.clone(),
            reason: f.reason.clone(),
            evidence: f.evidence.clone(),
            status,
            created_at: "2026-01-01T00:00:00Z".into(),
            decided_at: decided_at.map(String::from),
            decided_by: None,
            decision_reason: None,
            key: None,
            current: None,
            value: None,
            finding: None,
            samples: vec![],
        }
    }

    #[test]
    fn fresh_skips_pending_and_recent_rejections() {
        let f = Finding {
            kind: SuggestionKind::Merge,
            terms: vec!["a".into()],
            target: Some("b".into()),
            reason: String::new(),
            evidence: BTreeMap::new(),
        };
        let reversed = Finding {
            terms: vec!["b".into()],
            target: Some("a".into()),
            ..f.clone()
        };
        let id = suggestion_id(SuggestionKind::Merge, &f.key(), 1);
        assert_eq!(f.key(), reversed.key());
        assert!(
            id.starts_with("merge-") && id.len() == "merge-".len() + 8,
            "{id}"
        );
        let findings = [f.clone()];
        let cases = [
            (vec![], Outcome::New(id.clone())),
            (
                vec![suggestion(&id, &reversed, SuggestionStatus::Pending, None)],
                Outcome::Pending(id.clone()),
            ),
            (
                vec![suggestion(
                    &id,
                    &f,
                    SuggestionStatus::Rejected,
                    Some("2026-11-01T00:00:00Z"),
                )],
                Outcome::RecentlyRejected(id.clone()),
            ),
            (
                vec![suggestion(&id, &f, SuggestionStatus::Rejected, None)],
                Outcome::RecentlyRejected(id.clone()),
            ),
            (
                vec![suggestion(
                    &id,
                    &f,
                    SuggestionStatus::Rejected,
                    Some("2026-10-24T12:00:00Z"),
                )],
                Outcome::New(format!("{id}-2")),
            ),
            (
                vec![suggestion(
                    &id,
                    &f,
                    SuggestionStatus::Approved,
                    Some("2026-11-20T00:00:00Z"),
                )],
                Outcome::New(format!("{id}-2")),
            ),
        ];
        for (existing, want) in cases {
            assert_eq!(
                fresh(&findings, &existing, 30, now()),
                std::slice::from_ref(&want),
                "{existing:?}"
            );
        }
    }

    fn arb_usage() -> impl Strategy<Value = (Vec<String>, Usage)> {
        proptest::collection::btree_map(
            "[a-e]{1,2}",
            proptest::collection::btree_set(0u32..8, 0..6),
            0..8,
        )
        .prop_map(|m| {
            let names: Vec<String> = m.keys().cloned().collect();
            let mut u = Usage::default();
            for (name, beads) in m {
                if !beads.is_empty() {
                    u.beads
                        .insert(name, beads.into_iter().map(|b| format!("b{b}")).collect());
                }
            }
            (names, u)
        })
    }

    proptest! {
        #[test]
        fn drift_is_deterministic_and_never_merges_a_term_into_itself(
            (names, u) in arb_usage(),
            jaccard in 0.0f64..=1.0,
            ratio in 0.0f64..=1.0,
        ) {
            let vocabulary = Vocabulary { terms: names.iter().map(|n| term(n, &[])).collect() };
            let config = VocabConfig { merge_min_jaccard: jaccard, merge_min_usage_ratio: ratio, ..Default::default() };
            let a = drift(&vocabulary, &u, &config, now());
            let b = drift(&vocabulary, &u, &config, now());
            prop_assert_eq!(&a, &b);
            let mut keys = BTreeSet::new();
            for f in &a {
                prop_assert!(keys.insert(f.key()), "one finding per change");
                if let Some(target) = &f.target {
                    prop_assert!(!f.terms.contains(target), "{:?}", f);
                    prop_assert!(u.count(&f.terms[0]) <= u.count(target));
                }
                prop_assert!(f.terms.iter().all(|t| names.contains(t)));
            }
        }
    }
}
