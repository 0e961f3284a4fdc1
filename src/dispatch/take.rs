//! Taking work: `gemba next --claim` claims the best candidate it can win,
//! `gemba pick` the bead a person chose; both go through
//! [`claims::claim`] (`O_EXCL` here, the remote ref when configured), so
//! of several racing sessions exactly one gets each bead. Also the recycle
//! advice shown with the bead (advice only: nothing ends a session).

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use super::claims::{self, Claimed, Won};
use crate::model::duration::Duration;
use crate::model::{Claim, Session};
use crate::plan::select::{Candidate, Selection};
use crate::profile::health::{self, Advice, Health, NextBead};
use crate::store::Store;
use crate::store::kind::CLAIMS;

/// Claims tried before giving up with *already taken*.
pub const MAX_TRIES: usize = 3;

/// One claim attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Try {
    pub bead: String,
    /// `won`; `taken` (another session holds it); `closed` (closed since
    /// it was read).
    pub outcome: &'static str,
    /// Who holds it, when lost and known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holder: Option<String>,
}

/// What [`take_first`] did.
#[derive(Debug, Default)]
pub struct Taken {
    /// The candidate won (its index in the list given) and the claim.
    pub won: Option<(usize, Won)>,
    pub tries: Vec<Try>,
    /// Candidates passed over without a try: a claim file for them
    /// appeared after the store was read (another session just won them).
    pub skipped: Vec<String>,
    /// The error that stopped the tries (an unreachable remote, I/O):
    /// the caller logs its decision, then reports it.
    pub error: Option<claims::Error>,
}

impl Taken {
    /// Every try lost (and at least one was made).
    pub fn all_lost(&self) -> bool {
        self.won.is_none() && self.error.is_none() && !self.tries.is_empty()
    }
}

/// Claim the first of `candidates` (best first) that `session` can win,
/// making at most [`MAX_TRIES`] claims: a lost race moves on to the next
/// candidate. A candidate claimed since the store was read (its claim
/// file exists now, and `read` had no claim for it) is passed over without
/// a try, so racing sessions spread over the list instead of all losing
/// the same few beads.
pub fn take_first(
    store: &Store,
    candidates: &[&str],
    read: &BTreeMap<String, Claim>,
    session: &str,
    lease: Option<Duration>,
    actor: &str,
    now: Timestamp,
) -> Taken {
    let mut taken = Taken::default();
    for (i, bead) in candidates.iter().enumerate() {
        if taken.tries.len() >= MAX_TRIES {
            break;
        }
        if !read.contains_key(*bead)
            && store
                .path(&CLAIMS, bead)
                .is_ok_and(|path| path.try_exists().unwrap_or(false))
        {
            taken.skipped.push(bead.to_string());
            continue;
        }
        match claims::claim(store, bead, session, lease, actor, now) {
            Ok(Claimed::Won(won)) => {
                taken.tries.push(Try {
                    bead: bead.to_string(),
                    outcome: "won",
                    holder: None,
                });
                taken.won = Some((i, won));
                break;
            }
            Ok(Claimed::AlreadyTaken { holder }) => taken.tries.push(Try {
                bead: bead.to_string(),
                outcome: "taken",
                holder: holder.map(|h| h.session),
            }),
            Err(claims::Error::Closed(_)) => taken.tries.push(Try {
                bead: bead.to_string(),
                outcome: "closed",
                holder: None,
            }),
            Err(e) => {
                taken.error = Some(e);
                break;
            }
        }
    }
    taken
}

/// Recycle advice for taking `chosen` next (see
/// [`health::recycle_advice`]): its affinity against the median of the
/// eligible candidates', and the overlap of its concepts with the
/// session's profile (0.5, neutral, when either side has none).
pub fn advice(
    session: &Session,
    health: &Health,
    selection: &Selection<'_>,
    chosen: &Candidate<'_>,
    concepts: &[String],
    config: &crate::model::config::HealthConfig,
) -> Advice {
    let next = NextBead {
        bead: chosen.id,
        affinity: chosen.affinity,
        ready_median: median(selection.candidates.iter().map(|c| c.affinity)),
        concept_overlap: crate::profile::cosine_to_set(&session.profile.concepts, concepts)
            .unwrap_or(0.5),
    };
    health::recycle_advice(health, &next, config)
}

/// The median (the mean of the middle two for an even count); 0 when empty.
fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::claims::tests::setup;
    use crate::store::snapshot::Claims;

    #[test]
    fn lost_races_move_on_and_give_up_after_three_tries() {
        let (_dir, store) = setup(&["alice", "bob"]);
        let mut tx = store.changes();
        for id in ["b-3", "b-4"] {
            tx.create_bead(&crate::model::Bead::new(id, id)).unwrap();
        }
        drop(tx);
        let now: Timestamp = "2026-11-23T12:00:00Z".parse().unwrap();
        for id in ["b-1", "b-2", "b-3"] {
            let c = claims::claim(&store, id, "s-bob", None, "t", now).unwrap();
            assert!(matches!(c, Claimed::Won(_)));
        }
        let all = ["b-1", "b-2", "b-3", "b-4"];
        // Bob's claims were there when the store was read: three tries,
        // three losses, and b-4 is never tried.
        let read = Claims::load(&store).unwrap().merged();
        let t = take_first(&store, &all, &read, "s-alice", None, "t", now);
        assert!(t.won.is_none() && t.error.is_none() && t.all_lost());
        let tried: Vec<(&str, &str, Option<&str>)> = t
            .tries
            .iter()
            .map(|t| (t.bead.as_str(), t.outcome, t.holder.as_deref()))
            .collect();
        assert_eq!(
            tried,
            [
                ("b-1", "taken", Some("s-bob")),
                ("b-2", "taken", Some("s-bob")),
                ("b-3", "taken", Some("s-bob"))
            ]
        );
        // Claimed after the read: passed over without a try; b-4 is won,
        // and the session has it in hand.
        let t = take_first(&store, &all, &BTreeMap::new(), "s-alice", None, "t", now);
        assert_eq!(t.skipped, ["b-1", "b-2", "b-3"]);
        assert_eq!(t.tries.len(), 1);
        let (at, won) = t.won.unwrap();
        assert_eq!((at, won.claim.bead.as_str()), (3, "b-4"));
        let alice: Session = store.read("s-alice").unwrap().unwrap();
        assert_eq!(alice.telemetry.bead.as_deref(), Some("b-4"));
        assert!(alice.profile.recent.iter().any(|r| r.bead == "b-4"));
        // Nothing left: no try at all.
        let t = take_first(&store, &all, &BTreeMap::new(), "s-alice", None, "t", now);
        assert!(t.won.is_none() && t.tries.is_empty() && t.skipped.len() == 4);
    }

    #[test]
    fn medians() {
        for (values, want) in [
            (vec![], 0.0),
            (vec![0.3], 0.3),
            (vec![0.9, 0.1], 0.5),
            (vec![0.5, 0.1, 0.9], 0.5),
            (vec![0.4, 0.1, 0.9, 0.2], 0.3),
        ] {
            assert!(
                (median(values.iter().copied()) - want).abs() < 1e-12,
                "{values:?}"
            );
        }
    }
}
