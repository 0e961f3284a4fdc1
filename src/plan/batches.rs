//! The parallel-safe plan: waves of batches over the work that can start.
//!
//! - **Waves** respect dependencies: wave 1 is the ready set; a bead joins
//!   wave k when everything that blocks it (its `blocks`,
//!   `conditional-blocks` and `waits-for` targets, and its parent's
//!   blockers) is planned in an earlier wave. A bead held by something the
//!   plan cannot finish (a bead in progress, deferred, or outside the
//!   store) is left out, with the reason.
//! - **Batches** split a wave into sets of beads that may run at the same
//!   time: no conflict edge inside a batch (an independent set), at most
//!   `agents` beads each. They are built greedily: the next bead is the one
//!   with the best score among those that conflict with nothing already in
//!   the batch, where the score rewards priority and how many beads the bead
//!   unblocks and penalises how many other candidates it conflicts with
//!   (minimum-degree greedy, which keeps batches large). So of two
//!   conflicting beads, the one with higher priority, or that unblocks more,
//!   goes first.
//!
//! Pure: beads, conflict edges and options in, a plan with a reason for
//! every placement out.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

use super::conflicts::Conflict;
use super::deps::{blockers, dependents, is_plannable as plannable};
use super::{Map, Set};
use crate::model::BeadHead;

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Most beads in one batch (the number of agents); `None`: unbounded.
    pub agents: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub waves: Vec<Wave>,
    /// Conflict edges between beads of the plan.
    pub conflicts: usize,
    /// Why each bead is where it is (or why it was left out).
    pub reasons: BTreeMap<String, String>,
    /// Beads that cannot be planned, with why (also in `reasons`).
    pub left_out: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Wave {
    pub batches: Vec<Vec<String>>,
}

/// Plan `ready` (the ready set, in bd's order) and what it unblocks among
/// `beads`; `conflicts` are the conflict graph's edges.
pub fn plan(
    beads: &[BeadHead<'_>],
    ready: &[&str],
    conflicts: &[Conflict],
    options: &Options,
) -> Plan {
    let by_id: Map<&str, &BeadHead> = beads.iter().map(|b| (b.id, b)).collect();
    let blockers = blockers(beads, &by_id);
    let dependents = dependents(&blockers);
    let mut reasons: BTreeMap<String, String> = BTreeMap::new();

    // Waves: Kahn's algorithm from the ready set over the blocking edges
    // between beads that are not done.
    let mut wave_of: Map<&str, usize> = Map::default();
    for id in ready {
        wave_of.insert(id, 0);
    }
    let mut remaining: Map<&str, usize> = blockers.iter().map(|(b, bs)| (*b, bs.len())).collect();
    let mut queue: VecDeque<&str> = ready.iter().copied().collect();
    while let Some(id) = queue.pop_front() {
        for dep in dependents.get(id).into_iter().flatten() {
            if wave_of.contains_key(dep) {
                continue;
            }
            let left = remaining.get_mut(dep).expect("a dependent has blockers");
            *left -= 1;
            if *left == 0 {
                let wave = blockers[dep].iter().map(|b| wave_of[b]).max().unwrap_or(0) + 1;
                wave_of.insert(dep, wave);
                queue.push_back(dep);
            }
        }
    }
    let mut left_out = Vec::new();
    for (bead, bs) in &blockers {
        if wave_of.contains_key(bead) || !plannable(by_id[bead]) {
            continue;
        }
        let holding: Vec<&str> = bs
            .iter()
            .filter(|b| !wave_of.contains_key(*b))
            .copied()
            .collect();
        if holding.is_empty() {
            continue;
        }
        let what: Vec<String> = holding
            .iter()
            .map(|h| match by_id.get(h) {
                Some(b) if plannable(b) => format!("{h} (itself not planned)"),
                Some(b) => format!("{h} ({})", b.status),
                None => format!("{h} (not in the store)"),
            })
            .collect();
        left_out.push(bead.to_string());
        reasons.insert(
            bead.to_string(),
            format!(
                "not planned: waits for {}, which this plan cannot finish",
                what.join(", ")
            ),
        );
    }
    left_out.sort();

    // How many planned beads each bead unblocks, transitively.
    let unblocks = |id: &str| -> usize {
        let mut seen: Set<&str> = Set::default();
        let mut stack = vec![id];
        while let Some(x) = stack.pop() {
            for d in dependents.get(x).into_iter().flatten() {
                if wave_of.contains_key(d) && seen.insert(d) {
                    stack.push(d);
                }
            }
        }
        seen.len()
    };

    // Conflicts among planned beads.
    let mut neighbours: Map<&str, Vec<(&str, &Conflict)>> = Map::default();
    let mut edges = 0;
    for c in conflicts {
        let (Some(a), Some(b)) = (by_id.get(c.a.as_str()), by_id.get(c.b.as_str())) else {
            continue;
        };
        if !wave_of.contains_key(a.id) || !wave_of.contains_key(b.id) || a.id == b.id {
            continue;
        }
        edges += 1;
        neighbours.entry(a.id).or_default().push((b.id, c));
        neighbours.entry(b.id).or_default().push((a.id, c));
    }

    let waves_n = wave_of.values().copied().max().map_or(0, |w| w + 1);
    let mut by_wave: Vec<Vec<&str>> = vec![Vec::new(); waves_n];
    for (id, w) in &wave_of {
        by_wave[*w].push(id);
    }
    let mut waves = Vec::with_capacity(waves_n);
    for (w, mut members) in by_wave.into_iter().enumerate() {
        let unblock: Map<&str, usize> = members.iter().map(|id| (*id, unblocks(id))).collect();
        let score: Map<&str, f64> = members
            .iter()
            .map(|id| {
                let b = by_id[id];
                let degree = neighbours
                    .get(id)
                    .map_or(0, |n| n.iter().filter(|(o, _)| wave_of[o] == w).count());
                let priority = f64::from(4u8.saturating_sub(b.priority.min(4)));
                let s =
                    2.0 * priority + (1.0 + unblock[id] as f64).ln() - 0.5 * (degree as f64).sqrt();
                (*id, s)
            })
            .collect();
        // Best first; ties by id, so the plan is deterministic. Each bead
        // goes to the first batch that is not full and holds none of its
        // neighbours: the same batches as filling one batch at a time with
        // the best beads that fit, in one pass.
        members.sort_by(|a, b| score[b].total_cmp(&score[a]).then(a.cmp(b)));
        let mut batch_of: Map<&str, usize> = Map::default();
        let mut batches: Vec<Vec<&str>> = Vec::new();
        let mut first_open = 0;
        for id in members {
            let taken: Set<usize> = neighbours
                .get(id)
                .into_iter()
                .flatten()
                .filter_map(|(o, _)| batch_of.get(o).copied())
                .collect();
            let full = |b: usize, batches: &Vec<Vec<&str>>| {
                options.agents.is_some_and(|n| batches[b].len() >= n)
            };
            let mut b = first_open;
            while b < batches.len() && (full(b, &batches) || taken.contains(&b)) {
                b += 1;
            }
            if b == batches.len() {
                batches.push(Vec::new());
            }
            batches[b].push(id);
            batch_of.insert(id, b);
            while first_open < batches.len() && full(first_open, &batches) {
                first_open += 1;
            }
            // The conflicting beads placed before it, in earlier batches.
            let held: Vec<String> = neighbours
                .get(id)
                .into_iter()
                .flatten()
                .filter(|(o, _)| batch_of.get(o).is_some_and(|ob| *ob < b))
                .map(|(o, c)| format!("{o} ({}: {})", c.kind, c.reason))
                .collect();
            reasons.insert(
                id.to_string(),
                placement(by_id[id], w, b, unblock[id], &blockers, &held),
            );
        }
        waves.push(Wave {
            batches: batches
                .into_iter()
                .map(|b| b.into_iter().map(String::from).collect())
                .collect(),
        });
    }
    Plan {
        waves,
        conflicts: edges,
        reasons,
        left_out,
    }
}

/// Why a bead sits in batch `batch` of wave `wave` (both from 0).
fn placement(
    b: &BeadHead<'_>,
    wave: usize,
    batch: usize,
    unblocks: usize,
    blockers: &Map<&str, Vec<&str>>,
    held: &[String],
) -> String {
    let mut why = format!("wave {}, batch {}: P{}", wave + 1, batch + 1, b.priority);
    if unblocks > 0 {
        why.push_str(&format!(", unblocks {unblocks}"));
    }
    if let Some(after) = blockers.get(b.id) {
        why.push_str(&format!(", after {}", after.join(", ")));
    }
    if !held.is_empty() {
        why.push_str(&format!(
            "; conflicts with {}, placed first",
            held.join(", ")
        ));
    }
    why
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Bead, Dependency};
    use crate::plan::conflicts::EdgeKind;
    use proptest::prelude::*;

    fn bead(id: &str, priority: u8, blocks_on: &[&str]) -> Bead {
        let mut b = Bead::new(id, id);
        b.priority = priority;
        b.dependencies = blocks_on
            .iter()
            .map(|t| Dependency::new(*t, "blocks"))
            .collect();
        b
    }

    fn conflict(a: &str, b: &str) -> Conflict {
        Conflict {
            a: a.into(),
            b: b.into(),
            kind: EdgeKind::Target,
            reason: "src/x.rs".into(),
        }
    }

    fn run(beads: &[Bead], conflicts: &[Conflict], agents: Option<usize>) -> Plan {
        let heads: Vec<BeadHead> = beads.iter().map(BeadHead::from).collect();
        let now = "2026-01-01T00:00:00Z".parse().unwrap();
        let ready = crate::plan::ready::ready(&heads, now, &Default::default());
        let ids: Vec<&str> = ready.beads.iter().map(|b| b.id).collect();
        plan(&heads, &ids, conflicts, &Options { agents })
    }

    fn shape(p: &Plan) -> Vec<Vec<Vec<&str>>> {
        p.waves
            .iter()
            .map(|w| {
                w.batches
                    .iter()
                    .map(|b| b.iter().map(String::as_str).collect())
                    .collect()
            })
            .collect()
    }

    /// Name, beads, conflicts, agents, expected waves of batches.
    type Case = (
        &'static str,
        Vec<Bead>,
        Vec<Conflict>,
        Option<usize>,
        Vec<Vec<Vec<&'static str>>>,
    );

    #[test]
    fn table() {
        let cases: Vec<Case> = vec![
            (
                "no conflicts: one batch",
                vec![bead("a", 2, &[]), bead("b", 2, &[])],
                vec![],
                None,
                vec![vec![vec!["a", "b"]]],
            ),
            (
                "a conflict splits, higher priority first",
                vec![bead("a", 2, &[]), bead("b", 1, &[]), bead("c", 2, &[])],
                vec![conflict("a", "b")],
                None,
                vec![vec![vec!["b", "c"], vec!["a"]]],
            ),
            (
                "of equal priority, the one that unblocks more goes first",
                vec![bead("a", 2, &[]), bead("b", 2, &[]), bead("d", 2, &["b"])],
                vec![conflict("a", "b")],
                None,
                vec![vec![vec!["b"], vec!["a"]], vec![vec!["d"]]],
            ),
            (
                "dependencies make waves",
                vec![
                    bead("a", 2, &[]),
                    bead("b", 2, &["a"]),
                    bead("c", 2, &["b"]),
                ],
                vec![],
                None,
                vec![vec![vec!["a"]], vec![vec!["b"]], vec![vec!["c"]]],
            ),
            (
                "agents cap a batch",
                vec![bead("a", 1, &[]), bead("b", 2, &[]), bead("c", 3, &[])],
                vec![],
                Some(2),
                vec![vec![vec!["a", "b"], vec!["c"]]],
            ),
            (
                "min degree: the hub waits",
                vec![
                    bead("hub", 2, &[]),
                    bead("x", 2, &[]),
                    bead("y", 2, &[]),
                    bead("z", 2, &[]),
                ],
                vec![
                    conflict("hub", "x"),
                    conflict("hub", "y"),
                    conflict("hub", "z"),
                ],
                None,
                vec![vec![vec!["x", "y", "z"], vec!["hub"]]],
            ),
        ];
        for (name, beads, conflicts, agents, want) in cases {
            let p = run(&beads, &conflicts, agents);
            assert_eq!(shape(&p), want, "{name}: {:?}", p.reasons);
        }
    }

    #[test]
    fn reasons_and_left_out() {
        let mut busy = bead("busy", 2, &[]);
        busy.status = "in_progress".into();
        let beads = vec![
            bead("a", 1, &[]),
            bead("b", 2, &[]),
            bead("after", 2, &["a"]),
            busy,
            bead("waits", 2, &["busy"]),
        ];
        let p = run(&beads, &[conflict("a", "b")], None);
        assert_eq!(p.left_out, ["waits"]);
        assert_eq!(
            p.reasons["waits"],
            "not planned: waits for busy (in_progress), which this plan cannot finish"
        );
        assert_eq!(p.reasons["a"], "wave 1, batch 1: P1, unblocks 1");
        assert_eq!(
            p.reasons["b"],
            "wave 1, batch 2: P2; conflicts with a (target: src/x.rs), placed first"
        );
        assert_eq!(p.reasons["after"], "wave 2, batch 1: P2, after a");
        assert_eq!(p.conflicts, 1);
    }

    proptest! {
        /// Every batch is conflict-free and within the cap, every planned
        /// bead's blockers are in earlier waves, every ready bead is placed
        /// exactly once.
        #[test]
        fn plans_are_sound(
            n in 1usize..25,
            deps in proptest::collection::vec((0usize..25, 0usize..25), 0..30),
            edges in proptest::collection::vec((0usize..25, 0usize..25), 0..40),
            agents in proptest::option::of(1usize..5),
        ) {
            let mut beads: Vec<Bead> = (0..n).map(|i| bead(&format!("b{i:02}"), (i % 5) as u8, &[])).collect();
            for (x, y) in deps {
                let (x, y) = (x % n, y % n);
                if x > y {
                    let to = beads[y].id.clone();
                    beads[x].dependencies.push(Dependency::new(to, "blocks"));
                }
            }
            let conflicts: Vec<Conflict> = edges
                .iter()
                .map(|(x, y)| (x % n, y % n))
                .filter(|(x, y)| x != y)
                .map(|(x, y)| conflict(&beads[x].id, &beads[y].id))
                .collect();
            let p = run(&beads, &conflicts, agents);
            let mut wave_of: BTreeMap<&str, usize> = BTreeMap::new();
            for (w, wave) in p.waves.iter().enumerate() {
                for batch in &wave.batches {
                    prop_assert!(!batch.is_empty());
                    prop_assert!(agents.is_none_or(|a| batch.len() <= a));
                    for c in &conflicts {
                        prop_assert!(!(batch.contains(&c.a) && batch.contains(&c.b)), "{c:?} in {batch:?}");
                    }
                    for id in batch {
                        prop_assert!(wave_of.insert(id, w).is_none(), "{id} twice");
                    }
                }
            }
            // Generated beads are all open, so everything gets planned.
            prop_assert_eq!(wave_of.len(), n);
            for b in &beads {
                for d in &b.dependencies {
                    prop_assert!(wave_of[d.depends_on_id.as_str()] < wave_of[b.id.as_str()]);
                }
            }
        }
    }
}
