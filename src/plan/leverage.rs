//! Leverage: how much finishing a bead unblocks. `1 - exp(-k * n)`, where
//! `n` counts the open beads it holds back, transitively, through the
//! edges of bd's ready rule ([`super::deps::blockers`]: `blocks`,
//! `conditional-blocks`, `waits-for`, and a blocked parent blocking its
//! children). One dependent gives 0.632 with the default `k = 1`; the
//! score saturates, so ten dependents barely beat five.
//!
//! Pure: beads in, a number and the names of what it unblocks out.

use serde::Serialize;

use super::deps::{blockers, dependents};
use super::{Map, Set};
use crate::model::BeadHead;

/// Beads named in a justification before `and N more`.
pub const NAMED: usize = 5;

/// Who holds back whom, built once for every bead of a command.
#[derive(Debug, Default)]
pub struct Graph<'a> {
    dependents: Map<&'a str, Vec<&'a str>>,
}

impl<'a> Graph<'a> {
    pub fn new(beads: &[BeadHead<'a>]) -> Graph<'a> {
        let by_id: Map<&str, &BeadHead> = beads.iter().map(|b| (b.id, b)).collect();
        Graph {
            dependents: dependents(&blockers(beads, &by_id)),
        }
    }

    /// The open beads `id` holds back, transitively, sorted by id.
    pub fn blocked_by(&self, id: &str) -> Vec<&'a str> {
        let mut seen: Set<&str> = Set::default();
        let mut stack: Vec<&str> = vec![id];
        let mut out = Vec::new();
        while let Some(x) = stack.pop() {
            for d in self.dependents.get(x).into_iter().flatten() {
                if *d != id && seen.insert(d) {
                    out.push(*d);
                    stack.push(d);
                }
            }
        }
        out.sort_unstable();
        out
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Leverage<'a> {
    pub value: f64,
    /// The open beads it holds back, sorted by id.
    pub blocked: Vec<&'a str>,
}

/// `1 - exp(-k * n)`: 0 for nothing, 0.632 for one dependent (k = 1).
pub fn value(n: usize, k: f64) -> f64 {
    1.0 - (-k * n as f64).exp()
}

pub fn leverage<'a>(graph: &Graph<'a>, id: &str, k: f64) -> Leverage<'a> {
    let blocked = graph.blocked_by(id);
    Leverage {
        value: value(blocked.len(), k),
        blocked,
    }
}

impl Leverage<'_> {
    /// `leverage 0.95: unblocks 3 open beads: a, b, c`.
    pub fn justification(&self) -> String {
        let n = self.blocked.len();
        if n == 0 {
            return format!("leverage {:.2}: blocks no open bead", self.value);
        }
        let mut named = self.blocked[..n.min(NAMED)].join(", ");
        if n > NAMED {
            named.push_str(&format!(" and {} more", n - NAMED));
        }
        let noun = if n == 1 { "bead" } else { "beads" };
        format!(
            "leverage {:.2}: unblocks {n} open {noun}: {named}",
            self.value
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Bead, Dependency};
    use proptest::prelude::*;

    fn bead(id: &str, status: &str, deps: &[(&str, &str)]) -> Bead {
        let mut b = Bead::new(id, id);
        b.status = status.into();
        b.dependencies = deps
            .iter()
            .map(|(to, t)| Dependency::new(*to, *t))
            .collect();
        b
    }

    fn heads(beads: &[Bead]) -> Vec<BeadHead<'_>> {
        beads.iter().map(BeadHead::from).collect()
    }

    #[test]
    fn value_table() {
        for (n, k, want) in [
            (0, 1.0, 0.0),
            (1, 1.0, 0.632),
            (2, 1.0, 0.865),
            (3, 1.0, 0.950),
            (1, 0.5, 0.393),
            (10, 1.0, 1.0),
        ] {
            let got = value(n, k);
            assert!((got - want).abs() < 0.0005, "n={n} k={k}: {got}");
        }
    }

    #[test]
    fn counts_open_beads_held_back_transitively() {
        let beads = [
            bead("a", "open", &[]),
            // b waits on a; c on b: a holds back both.
            bead("b", "open", &[("a", "blocks")]),
            bead("c", "open", &[("b", "conditional-blocks")]),
            // A closed dependent does not count; links do not block.
            bead("d", "closed", &[("a", "blocks")]),
            bead("e", "open", &[("a", "related")]),
            // An epic blocked by a: its open child is held back too.
            bead("epic", "open", &[("a", "blocks")]),
            bead("kid", "open", &[("epic", "parent-child")]),
            // In progress is not open: not counted (and not followed).
            bead("f", "in_progress", &[("a", "blocks")]),
            bead("lone", "open", &[]),
        ];
        let heads = heads(&beads);
        let graph = Graph::new(&heads);
        let l = leverage(&graph, "a", 1.0);
        assert_eq!(l.blocked, ["b", "c", "epic", "kid"]);
        assert!((l.value - value(4, 1.0)).abs() < 1e-12);
        assert_eq!(
            l.justification(),
            "leverage 0.98: unblocks 4 open beads: b, c, epic, kid"
        );
        let one = leverage(&graph, "b", 1.0);
        assert_eq!(one.blocked, ["c"]);
        assert_eq!(format!("{:.3}", one.value), "0.632");
        assert_eq!(
            one.justification(),
            "leverage 0.63: unblocks 1 open bead: c"
        );
        assert_eq!(
            leverage(&graph, "lone", 1.0).justification(),
            "leverage 0.00: blocks no open bead"
        );
    }

    #[test]
    fn names_the_first_few_and_counts_the_rest() {
        let mut beads = vec![bead("root", "open", &[])];
        for i in 0..8 {
            beads.push(bead(&format!("d{i}"), "open", &[("root", "blocks")]));
        }
        let heads = heads(&beads);
        let l = leverage(&Graph::new(&heads), "root", 1.0);
        assert_eq!(
            l.justification(),
            "leverage 1.00: unblocks 8 open beads: d0, d1, d2, d3, d4 and 3 more"
        );
    }

    proptest! {
        /// In [0, 1), grows with n, and a bead never counts itself even in
        /// a cycle.
        #[test]
        fn bounded_and_monotone(n in 0usize..200, k in 0.01f64..5.0) {
            let v = value(n, k);
            prop_assert!((0.0..1.0).contains(&v) || (v == 1.0 && n as f64 * k > 30.0));
            prop_assert!(value(n + 1, k) >= v);
        }

        #[test]
        fn cycles_terminate(n in 2usize..8) {
            let beads: Vec<Bead> = (0..n)
                .map(|i| {
                    let next = format!("b{}", (i + 1) % n);
                    bead(&format!("b{i}"), "open", &[(next.as_str(), "blocks")])
                })
                .collect();
            let heads = heads(&beads);
            let l = leverage(&Graph::new(&heads), "b0", 1.0);
            prop_assert_eq!(l.blocked.len(), n - 1);
        }
    }
}
