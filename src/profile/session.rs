//! The session profile: concept and file weights decayed by bead events,
//! not wall time. Each claimed bead is one event: every stored weight is
//! scaled by 0.5^(1/h), then each of the bead's concepts and files gains 1,
//! so the weight a bead added at event i is 0.5^((n-i)/h) at event n
//! (h = `profile.session_half_life`). The profile keeps the last
//! `profile.recent_beads` beads in its ring (`recent`), newest last, with
//! what they contributed: declared (enrichment at claim) until the
//! retrospective replaces it with the actual files and concepts.

use std::collections::BTreeMap;

use super::BeadWork;
use super::decay;
use crate::model::config::ProfileConfig;
use crate::model::profile::{Profile, ProfileSource, RecentBead};

/// Fold a claimed bead into a session profile (one bead event). Claiming a
/// bead that is already in the ring (a retried or renewed claim) changes
/// nothing.
pub fn fold_claim(profile: &Profile, work: &BeadWork, config: &ProfileConfig) -> Profile {
    if in_ring(profile, &work.bead).is_some() {
        return profile.clone();
    }
    let mut next = profile.clone();
    let step = decay::factor(1.0, config.session_half_life);
    decay::scale(&mut next.concepts, step, config.prune_below);
    decay::scale(&mut next.files, step, config.prune_below);
    decay::add(&mut next.concepts, &work.concepts, 1.0);
    decay::add(&mut next.files, &work.files, 1.0);
    next.events += 1;
    push_recent(&mut next, work, config.recent_beads);
    next
}

/// The ring entry of `bead`, if it is still in the ring.
pub(super) fn in_ring(profile: &Profile, bead: &str) -> Option<usize> {
    profile.recent.iter().position(|r| r.bead == bead)
}

/// Append `work` to the ring (as declared, not closed) at the profile's
/// current event count, keeping the last `keep`.
pub(super) fn push_recent(profile: &mut Profile, work: &BeadWork, keep: usize) {
    profile.recent.push(RecentBead {
        bead: work.bead.clone(),
        event: profile.events,
        epic: work.epic.clone(),
        concepts: distinct(&work.concepts),
        files: distinct(&work.files),
        source: ProfileSource::Declared,
        closed: false,
    });
    let extra = profile.recent.len().saturating_sub(keep);
    profile.recent.drain(..extra);
}

pub(super) fn distinct(items: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        if !out.contains(item) {
            out.push(item.clone());
        }
    }
    out
}

/// Why a contribution could not be replaced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bead {bead} is no longer in the session's ring of recent beads")]
pub struct NotInRing {
    pub bead: String,
}

/// The retrospective: replace what `bead` declared at claim time with the
/// concepts and files it actually touched, at the weight the bead has now
/// (0.5^((n-i)/h)). Only a bead still in the ring can be replaced (older
/// ones weigh at most 0.5^(ring/h) and are left as declared).
pub fn replace_contribution(
    profile: &Profile,
    bead: &str,
    concepts: &[String],
    files: &[String],
    config: &ProfileConfig,
) -> Result<Profile, NotInRing> {
    let at = in_ring(profile, bead).ok_or_else(|| NotInRing {
        bead: bead.to_string(),
    })?;
    let mut next = profile.clone();
    let entry = &next.recent[at];
    let weight = decay::event_weight(entry.event, profile.events, config.session_half_life);
    let (old_concepts, old_files) = (entry.concepts.clone(), entry.files.clone());
    subtract(
        &mut next.concepts,
        &old_concepts,
        weight,
        config.prune_below,
    );
    subtract(&mut next.files, &old_files, weight, config.prune_below);
    decay::add(&mut next.concepts, concepts, weight);
    decay::add(&mut next.files, files, weight);
    let entry = &mut next.recent[at];
    entry.concepts = distinct(concepts);
    entry.files = distinct(files);
    entry.source = ProfileSource::Actual;
    Ok(next)
}

/// Take `amount` off each key's weight, never below 0; drop what falls
/// under `prune`.
pub(super) fn subtract(
    weights: &mut BTreeMap<String, f64>,
    keys: &[String],
    amount: f64,
    prune: f64,
) {
    for key in keys {
        if let Some(w) = weights.get_mut(key) {
            *w = (*w - amount).max(0.0);
        }
    }
    weights.retain(|_, w| *w > 0.0 && *w >= prune);
}

/// Mark `bead` closed by this session (epic affinity counts closed
/// siblings). `false` when it is not in the ring.
pub fn mark_closed(profile: &mut Profile, bead: &str) -> bool {
    match in_ring(profile, bead) {
        Some(at) => {
            profile.recent[at].closed = true;
            true
        }
        None => false,
    }
}

/// The concept profile of the last `beads` beads of the ring, each at its
/// event weight now (health's drift compares it with the whole profile).
pub fn recent_concepts(profile: &Profile, beads: usize, half_life: f64) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    let skip = profile.recent.len().saturating_sub(beads);
    for entry in &profile.recent[skip..] {
        let w = decay::event_weight(entry.event, profile.events, half_life);
        decay::add(&mut out, &entry.concepts, w);
    }
    out
}

/// `session handoff`: the new session's profile. It starts from the
/// agent's profile (already decayed to now) plus `share` of the old
/// session's, each first scaled so that its largest weight is 1 (session
/// weights grow with the number of beads, agent weights shrink with the
/// lifetime count: scaling makes "half the weight" mean the same for both).
/// The new session has folded no bead yet: `events` 0 and an empty ring.
pub fn inherit(agent: &Profile, old: &Profile, config: &ProfileConfig) -> Profile {
    let mut concepts = unit_max(&agent.concepts);
    let mut files = unit_max(&agent.files);
    for (k, w) in unit_max(&old.concepts) {
        *concepts.entry(k).or_insert(0.0) += config.handoff_share * w;
    }
    for (k, w) in unit_max(&old.files) {
        *files.entry(k).or_insert(0.0) += config.handoff_share * w;
    }
    decay::scale(&mut concepts, 1.0, config.prune_below);
    decay::scale(&mut files, 1.0, config.prune_below);
    Profile {
        concepts,
        files,
        ..Profile::default()
    }
}

/// The weights scaled so that the largest is 1 (empty stays empty).
fn unit_max(weights: &BTreeMap<String, f64>) -> BTreeMap<String, f64> {
    let max = weights
        .values()
        .copied()
        .filter(|w| w.is_finite())
        .fold(0.0, f64::max);
    if max <= 0.0 {
        return BTreeMap::new();
    }
    weights
        .iter()
        .filter(|(_, w)| w.is_finite() && **w > 0.0)
        .map(|(k, w)| (k.clone(), w / max))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn work(bead: &str, concepts: &[&str], files: &[&str]) -> BeadWork {
        BeadWork {
            bead: bead.into(),
            epic: None,
            concepts: concepts.iter().map(|s| s.to_string()).collect(),
            files: files.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn config() -> ProfileConfig {
        ProfileConfig::default()
    }

    /// A profile after claiming `first` then `n` other beads.
    fn after(n: usize) -> Profile {
        let mut p = fold_claim(
            &Profile::default(),
            &work("b0", &["auth"], &["src/a.rs"]),
            &config(),
        );
        for i in 1..=n {
            p = fold_claim(&p, &work(&format!("b{i}"), &["other"], &[]), &config());
        }
        p
    }

    #[test]
    fn a_claim_weighs_1_then_half_every_5_events() {
        for (events, want) in [(0, 1.0), (5, 0.5), (10, 0.25)] {
            let p = after(events);
            let got = p.concepts["auth"];
            assert!((got - want).abs() < 1e-9, "after {events}: {got} != {want}");
            assert!((p.files["src/a.rs"] - want).abs() < 1e-9);
            assert_eq!(p.events, events as u64 + 1);
        }
    }

    #[test]
    fn the_ring_keeps_the_last_five_newest_last() {
        let p = after(7);
        let ids: Vec<&str> = p.recent.iter().map(|r| r.bead.as_str()).collect();
        assert_eq!(ids, ["b3", "b4", "b5", "b6", "b7"]);
        assert_eq!(p.recent[4].event, 8);
        assert!(p.recent.iter().all(|r| r.source == ProfileSource::Declared));
    }

    #[test]
    fn claiming_the_same_bead_again_changes_nothing() {
        let p = after(2);
        let again = fold_claim(&p, &work("b2", &["other"], &[]), &config());
        assert_eq!(again, p);
    }

    #[test]
    fn replacing_a_declared_contribution() {
        let mut p = fold_claim(
            &Profile::default(),
            &work("x", &["auth", "db"], &["src/auth.rs"]),
            &config(),
        );
        p = fold_claim(&p, &work("y", &["db"], &[]), &config());
        let w = 0.5f64.powf(1.0 / 5.0); // x is one event old
        let r = replace_contribution(
            &p,
            "x",
            &["auth".into(), "cli".into()],
            &["src/cli.rs".into()],
            &config(),
        )
        .unwrap();
        assert!((r.concepts["auth"] - w).abs() < 1e-9);
        assert!((r.concepts["cli"] - w).abs() < 1e-9);
        // db keeps only y's contribution.
        assert!((r.concepts["db"] - 1.0).abs() < 1e-9, "{:?}", r.concepts);
        assert!(!r.files.contains_key("src/auth.rs"));
        assert!((r.files["src/cli.rs"] - w).abs() < 1e-9);
        assert_eq!(r.recent[0].source, ProfileSource::Actual);
        assert_eq!(r.recent[0].concepts, ["auth", "cli"]);
        assert_eq!(r.events, p.events);
        let gone = replace_contribution(&after(6), "b0", &[], &[], &config());
        assert_eq!(gone.unwrap_err().bead, "b0");
    }

    #[test]
    fn recent_concepts_takes_the_last_beads() {
        let p = after(4); // b0 (auth) then b1..b4 (other)
        let last3 = recent_concepts(&p, 3, 5.0);
        assert_eq!(last3.keys().collect::<Vec<_>>(), ["other"]);
        let all = recent_concepts(&p, 5, 5.0);
        assert!(all.contains_key("auth"));
    }

    #[test]
    fn handoff_inherits_the_agent_and_half_the_session() {
        let agent = Profile {
            concepts: [("auth".to_string(), 0.2), ("db".to_string(), 0.1)].into(),
            ..Profile::default()
        };
        let old = after(0); // auth 1, src/a.rs 1
        let p = inherit(&agent, &old, &config());
        assert!((p.concepts["auth"] - 1.5).abs() < 1e-9, "{:?}", p.concepts);
        assert!((p.concepts["db"] - 0.5).abs() < 1e-9);
        assert!((p.files["src/a.rs"] - 0.5).abs() < 1e-9);
        assert_eq!(p.events, 0);
        assert!(p.recent.is_empty());
        assert_eq!(
            inherit(&Profile::default(), &Profile::default(), &config()),
            Profile::default()
        );
    }

    #[test]
    fn mark_closed_flags_the_ring_entry() {
        let mut p = after(1);
        assert!(mark_closed(&mut p, "b1"));
        assert!(p.recent[1].closed);
        assert!(!mark_closed(&mut p, "nope"));
    }

    proptest! {
        /// Any sequence of claims and replacements keeps every weight
        /// positive and finite, and a concept not claimed again only decays.
        #[test]
        fn weights_stay_positive(
            beads in prop::collection::vec(
                (prop::collection::vec("[a-d]", 0..4), prop::collection::vec("[a-d]", 0..3), any::<bool>()),
                1..30,
            ),
        ) {
            let mut p = Profile::default();
            for (i, (declared, actual, retro)) in beads.iter().enumerate() {
                let id = format!("b{i}");
                let before = p.clone();
                p = fold_claim(&p, &BeadWork { bead: id.clone(), epic: None, concepts: declared.clone(), files: vec![] }, &config());
                for (k, w) in &before.concepts {
                    if !declared.contains(k) {
                        prop_assert!(p.concepts.get(k).copied().unwrap_or(0.0) <= *w);
                    }
                }
                if *retro {
                    p = replace_contribution(&p, &id, actual, &[], &config()).unwrap();
                }
                prop_assert!(p.concepts.values().all(|w| w.is_finite() && *w > 0.0), "{:?}", p.concepts);
            }
        }
    }
}
