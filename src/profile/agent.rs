//! The agent profile: long-lived concept and file weights, decayed by wall
//! time (half-life `profile.agent_half_life_days`) from `updated_at`. Each
//! bead adds 1/N to each of its concepts and files, N being the agent's
//! lifetime bead count with it (`events`): a new agent's first beads shape
//! it, a veteran's profile moves slowly.

use jiff::Timestamp;

use super::BeadWork;
use super::decay;
use super::session::{NotInRing, distinct, in_ring, push_recent, subtract};
use crate::model::config::ProfileConfig;
use crate::model::profile::{Profile, ProfileSource};
use crate::model::timestamp;

const SECONDS_PER_DAY: f64 = 86_400.0;

/// The profile with its weights decayed to `now` (and `updated_at` set to
/// it). A missing or unreadable `updated_at`, or one after `now`, means no
/// decay.
pub fn decay_to(profile: &Profile, now: Timestamp, config: &ProfileConfig) -> Profile {
    let mut next = profile.clone();
    let then = profile
        .updated_at
        .as_deref()
        .and_then(|t| t.parse::<Timestamp>().ok());
    if then.is_some_and(|then| then > now) {
        // The clock went back: no decay, and `updated_at` stays the later
        // time (moving it back would decay the same days twice).
        return next;
    }
    let days = then.map_or(0.0, |then| {
        now.duration_since(then).as_secs_f64() / SECONDS_PER_DAY
    });
    let factor = decay::factor(days, config.agent_half_life_days);
    decay::scale(&mut next.concepts, factor, config.prune_below);
    decay::scale(&mut next.files, factor, config.prune_below);
    next.updated_at = Some(timestamp(now));
    next
}

/// Fold a claimed bead into the agent's profile at `now`. A bead already
/// in its ring (a retried claim) changes nothing.
pub fn fold_bead(
    profile: &Profile,
    work: &BeadWork,
    now: Timestamp,
    config: &ProfileConfig,
) -> Profile {
    if profile.recent.iter().any(|r| r.bead == work.bead) {
        return profile.clone();
    }
    let mut next = decay_to(profile, now, config);
    next.events += 1;
    let share = 1.0 / next.events as f64;
    decay::add(&mut next.concepts, &work.concepts, share);
    decay::add(&mut next.files, &work.files, share);
    push_recent(&mut next, work, config.recent_beads);
    next
}

/// The retrospective for the agent: replace what `bead` declared when it
/// was folded in with the concepts and files it actually touched, at the
/// share it was folded in with (1/N, N its lifetime count then). The
/// declared share has decayed since, so taking the full share off can
/// overshoot: weights never go below 0. Only a bead still in the ring can
/// be replaced.
pub fn replace_contribution(
    profile: &Profile,
    bead: &str,
    concepts: &[String],
    files: &[String],
    now: Timestamp,
    config: &ProfileConfig,
) -> Result<Profile, NotInRing> {
    let at = in_ring(profile, bead).ok_or_else(|| NotInRing {
        bead: bead.to_string(),
    })?;
    let mut next = decay_to(profile, now, config);
    let entry = &next.recent[at];
    let share = 1.0 / entry.event.max(1) as f64;
    let (old_concepts, old_files) = (entry.concepts.clone(), entry.files.clone());
    subtract(&mut next.concepts, &old_concepts, share, config.prune_below);
    subtract(&mut next.files, &old_files, share, config.prune_below);
    decay::add(&mut next.concepts, concepts, share);
    decay::add(&mut next.files, files, share);
    let entry = &mut next.recent[at];
    entry.concepts = distinct(concepts);
    entry.files = distinct(files);
    entry.source = ProfileSource::Actual;
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn work(bead: &str, concepts: &[&str]) -> BeadWork {
        BeadWork {
            bead: bead.into(),
            concepts: concepts.iter().map(|s| s.to_string()).collect(),
            ..BeadWork::default()
        }
    }

    #[test]
    fn weights_halve_every_14_days() {
        let config = ProfileConfig::default();
        let p = fold_bead(
            &Profile::default(),
            &work("a", &["auth"]),
            at("2026-01-01T00:00:00Z"),
            &config,
        );
        assert_eq!(p.concepts["auth"], 1.0);
        for (when, want) in [
            ("2026-01-01T00:00:00Z", 1.0),
            ("2026-01-15T00:00:00Z", 0.5),
            ("2026-01-29T00:00:00Z", 0.25),
            ("2025-12-01T00:00:00Z", 1.0), // the clock went back: no decay
        ] {
            let got = decay_to(&p, at(when), &config).concepts["auth"];
            assert!((got - want).abs() < 1e-9, "{when}: {got}");
        }
    }

    #[test]
    fn each_bead_adds_one_over_lifetime_beads() {
        let config = ProfileConfig::default();
        let now = at("2026-01-01T00:00:00Z");
        let mut p = Profile::default();
        for (i, concept) in ["a", "b", "c", "d"].iter().enumerate() {
            p = fold_bead(&p, &work(&format!("b{i}"), &[concept]), now, &config);
        }
        assert_eq!(p.events, 4);
        for (concept, want) in [("a", 1.0), ("b", 0.5), ("c", 1.0 / 3.0), ("d", 0.25)] {
            assert!((p.concepts[concept] - want).abs() < 1e-9, "{concept}");
        }
        assert_eq!(fold_bead(&p, &work("b3", &["z"]), now, &config), p);
        assert_eq!(p.updated_at.as_deref(), Some("2026-01-01T00:00:00Z"));
    }

    #[test]
    fn retro_replaces_the_declared_share() {
        let config = ProfileConfig::default();
        let now = at("2026-01-01T00:00:00Z");
        let mut p = fold_bead(&Profile::default(), &work("a", &["auth"]), now, &config);
        p = fold_bead(&p, &work("b", &["db"]), now, &config);
        // b was folded in at 1/2.
        let r = replace_contribution(
            &p,
            "b",
            &["cli".into()],
            &["src/cli.rs".into()],
            now,
            &config,
        )
        .unwrap();
        assert!(!r.concepts.contains_key("db"), "{:?}", r.concepts);
        assert!((r.concepts["cli"] - 0.5).abs() < 1e-9);
        assert!((r.files["src/cli.rs"] - 0.5).abs() < 1e-9);
        assert_eq!(r.concepts["auth"], 1.0);
        assert_eq!(r.recent[1].source, ProfileSource::Actual);
        assert_eq!(r.events, 2);
        assert!(replace_contribution(&p, "zz", &[], &[], now, &config).is_err());
    }
}
