//! The queue's rules, pure (no I/O, no clock):
//!
//! - **Dependencies.** A packet's `after` names packets (in any queue) that
//!   must be done first. The graph must be acyclic: [`find_cycle`] names
//!   a cycle as `a -> b -> a`.
//! - **Order.** A take picks the ready packet with the highest priority
//!   (lowest number, as for beads), then the lowest dependency depth (the
//!   longest chain of `after` behind it: roots first), then the oldest,
//!   then by id ([`order`]).
//! - **Hold-back.** A packet whose targets overlap (or may overlap: the
//!   conflict graph's policy for Maybe) the targets of a packet in
//!   progress, in any agent's queue, is not handed out ([`held_back_by`]).
//!   A packet without targets holds nothing back and is held back by
//!   nothing: its footprint is unknown.
//! - **Unblocking.** A blocked packet becomes ready when every packet of
//!   its `after` is done ([`unblocked`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::Packet;
use crate::plan::overlap::{Overlap, Pattern, sets_overlap};

/// The `after` edges of packets, by id.
pub type Edges<'a> = BTreeMap<&'a str, &'a [String]>;

/// A cycle through `after` edges, as the ids along it with the first
/// repeated at the end (`["a", "b", "a"]`); `None` when acyclic. Edges to
/// ids with no entry end there.
pub fn find_cycle(edges: &Edges<'_>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Closed,
    }
    let mut marks: BTreeMap<&str, Mark> = BTreeMap::new();
    for &start in edges.keys() {
        if marks.contains_key(start) {
            continue;
        }
        // Iterative DFS: (node, index of the next edge to follow).
        let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
        marks.insert(start, Mark::Open);
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let after = edges.get(node).copied().unwrap_or(&[]);
            if let Some(to) = after.get(*next) {
                *next += 1;
                let to = to.as_str();
                match marks.get(to) {
                    Some(Mark::Open) => {
                        let from = stack.iter().position(|(n, _)| *n == to).unwrap_or(0);
                        let mut cycle: Vec<String> =
                            stack[from..].iter().map(|(n, _)| n.to_string()).collect();
                        cycle.push(to.to_string());
                        return Some(cycle);
                    }
                    Some(Mark::Closed) => {}
                    None if edges.contains_key(to) => {
                        marks.insert(to, Mark::Open);
                        stack.push((to, 0));
                    }
                    None => {}
                }
            } else {
                marks.insert(node, Mark::Closed);
                stack.pop();
            }
        }
    }
    None
}

/// The dependency depth of every packet in `edges`: 0 without `after`,
/// else one more than the deepest packet it waits for (ids with no entry
/// count as depth 0). Assumes no cycle (a cycle's packets get the depth
/// reached when the walk meets it again).
pub fn depths<'a>(edges: &Edges<'a>) -> BTreeMap<&'a str, usize> {
    let mut depth: BTreeMap<&'a str, usize> = BTreeMap::new();
    let mut visiting: BTreeSet<&str> = BTreeSet::new();
    for (&id, _) in edges.iter() {
        depth_of(id, edges, &mut depth, &mut visiting);
    }
    depth
}

fn depth_of<'a>(
    id: &'a str,
    edges: &Edges<'a>,
    depth: &mut BTreeMap<&'a str, usize>,
    visiting: &mut BTreeSet<&'a str>,
) -> usize {
    if let Some(&d) = depth.get(id) {
        return d;
    }
    let Some(after) = edges.get(id) else {
        return 0;
    };
    if !visiting.insert(id) {
        return 0; // a cycle: stop here
    }
    let d = after
        .iter()
        .map(|a| 1 + depth_of(a, edges, depth, visiting))
        .max()
        .unwrap_or(0);
    visiting.remove(id);
    depth.insert(id, d);
    d
}

/// Sort ready packets in take order: priority, then depth (missing: 0),
/// then creation time, then id.
pub fn order<'p>(ready: &mut [&'p Packet], depth: &BTreeMap<&str, usize>) {
    let key = |p: &&'p Packet| {
        (
            p.priority,
            depth.get(p.id.as_str()).copied().unwrap_or(0),
            p.created_at.clone(),
            p.id.clone(),
        )
    };
    ready.sort_by_key(key);
}

/// Why a ready packet is not handed out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hold {
    /// The packet in progress whose targets overlap.
    pub by: String,
    /// Its agent.
    pub agent: String,
    /// `src/auth/** overlaps src/auth/token.rs (both match src/auth/token.rs)`.
    pub reason: String,
}

/// The first packet of `busy` (other than itself) whose targets overlap
/// `packet`'s, with the pair of globs that decided.
pub fn held_back_by<'a>(
    packet: &Packet,
    busy: impl IntoIterator<Item = &'a Packet>,
) -> Option<Hold> {
    if packet.spec.targets.is_empty() {
        return None;
    }
    let mine = patterns(packet);
    for other in busy {
        if other.id == packet.id || other.spec.targets.is_empty() {
            continue;
        }
        let theirs = patterns(other);
        let found = sets_overlap(&mine, &theirs);
        let Some((i, j)) = found.pair else {
            continue;
        };
        let how = match &found.overlap {
            Overlap::Yes { witness: Some(w) } => format!("both match {w}"),
            Overlap::Yes { witness: None } => "overlap".into(),
            Overlap::Maybe => "may overlap".into(),
            Overlap::No => continue,
        };
        return Some(Hold {
            by: other.id.clone(),
            agent: other.agent.clone(),
            reason: format!(
                "{} overlaps {} of {} ({how})",
                packet.spec.targets[i].as_str(),
                other.spec.targets[j].as_str(),
                other.id
            ),
        });
    }
    None
}

fn patterns(packet: &Packet) -> Vec<Pattern> {
    packet.spec.targets.iter().map(Pattern::from_glob).collect()
}

/// Whether every packet of `after` is in `done`.
pub fn unblocked(after: &[String], done: &BTreeSet<String>) -> bool {
    after.iter().all(|a| done.contains(a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::enrichment::Glob;

    fn packet(id: &str, priority: u8, after: &[&str], targets: &[&str]) -> Packet {
        let mut p = Packet::sample(id, "alice");
        p.priority = priority;
        p.after = after.iter().map(|a| a.to_string()).collect();
        p.spec.targets = targets.iter().map(|t| Glob::new(t).unwrap()).collect();
        p
    }

    fn edges(packets: &[Packet]) -> Edges<'_> {
        packets
            .iter()
            .map(|p| (p.id.as_str(), p.after.as_slice()))
            .collect()
    }

    #[test]
    fn cycles_are_found_and_named() {
        type Case = (&'static str, Vec<Packet>, Option<&'static [&'static str]>);
        let table: [Case; 6] = [
            ("empty", vec![], None),
            (
                "chain",
                vec![packet("a", 2, &["b"], &[]), packet("b", 2, &["c"], &[])],
                None,
            ),
            (
                "diamond",
                vec![
                    packet("a", 2, &[], &[]),
                    packet("b", 2, &["a"], &[]),
                    packet("c", 2, &["a"], &[]),
                    packet("d", 2, &["b", "c"], &[]),
                ],
                None,
            ),
            ("self", vec![packet("a", 2, &["a"], &[])], Some(&["a", "a"])),
            (
                "two",
                vec![packet("a", 2, &["b"], &[]), packet("b", 2, &["a"], &[])],
                Some(&["a", "b", "a"]),
            ),
            (
                "behind a root",
                vec![
                    packet("a", 2, &["b"], &[]),
                    packet("b", 2, &["c"], &[]),
                    packet("c", 2, &["d"], &[]),
                    packet("d", 2, &["b"], &[]),
                ],
                Some(&["b", "c", "d", "b"]),
            ),
        ];
        for (name, packets, want) in table {
            let got = find_cycle(&edges(&packets));
            let want = want.map(|w| w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn depth_is_the_longest_chain_behind() {
        let packets = vec![
            packet("a", 2, &[], &[]),
            packet("b", 2, &["a"], &[]),
            packet("c", 2, &["a", "b"], &[]),
            packet("d", 2, &["gone"], &[]),
        ];
        let d = depths(&edges(&packets));
        assert_eq!(
            d.into_iter().collect::<Vec<_>>(),
            [("a", 0), ("b", 1), ("c", 2), ("d", 1)]
        );
    }

    #[test]
    fn order_is_priority_then_depth_then_age_then_id() {
        let mut old = packet("z-old", 2, &[], &[]);
        old.created_at = "2026-11-22T00:00:00Z".into();
        let packets = [
            packet("p3", 3, &[], &[]),
            packet("deep", 1, &["x"], &[]),
            packet("b", 1, &[], &[]),
            packet("a", 1, &[], &[]),
            old,
            packet("p2", 2, &[], &[]),
        ];
        let depth: BTreeMap<&str, usize> = [("deep", 1)].into_iter().collect();
        let mut ready: Vec<&Packet> = packets.iter().collect();
        order(&mut ready, &depth);
        let ids: Vec<&str> = ready.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "deep", "z-old", "p2", "p3"]);
    }

    #[test]
    fn overlapping_targets_hold_back() {
        let busy = [
            packet("busy", 2, &[], &["src/auth/**"]),
            packet("untargeted", 2, &[], &[]),
        ];
        let table = [
            ("same file", vec!["src/auth/token.rs"], Some("busy")),
            ("other dir", vec!["src/db/**"], None),
            ("no targets", vec![], None),
            (
                "second glob",
                vec!["docs/*.md", "src/**/*.rs"],
                Some("busy"),
            ),
        ];
        for (name, targets, want) in table {
            let p = packet("p", 2, &[], &targets);
            let hold = held_back_by(&p, &busy);
            assert_eq!(hold.as_ref().map(|h| h.by.as_str()), want, "{name}");
            if let Some(h) = hold {
                assert!(h.reason.contains("of busy"), "{name}: {}", h.reason);
            }
        }
        // A packet never holds itself back.
        assert_eq!(held_back_by(&busy[0], &busy), None);
    }

    #[test]
    fn unblocked_needs_every_prerequisite_done() {
        let done: BTreeSet<String> = ["a".to_string(), "b".to_string()].into();
        let after = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(unblocked(&after(&[]), &done));
        assert!(unblocked(&after(&["a", "b"]), &done));
        assert!(!unblocked(&after(&["a", "c"]), &done));
    }
}
