//! The dependency graph over ordering edges (`blocks`, `conditional-blocks`,
//! `waits-for`, `parent-child`): a cycle among them means no bead in it can
//! ever start, so it is an error, named edge by edge.

use std::collections::{BTreeMap, BTreeSet};

use super::Map;
use super::external;
use crate::model::bead::PARENT_CHILD;

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::model::BeadHead;

/// Every dependency cycle, each as `[a, b, c, a]` starting at its smallest
/// id (a → b means a depends on b). Deterministic: the cycles are sorted,
/// and each is found by a DFS in sorted order inside its component.
pub fn cycles<'s, 'a: 's>(beads: impl IntoIterator<Item = &'s BeadHead<'a>>) -> Vec<Vec<String>> {
    // Nodes numbered as met, edges as adjacency lists: the whole graph
    // costs a hash lookup per id (this runs over every bead on import).
    let mut index: Map<&str, u32> = Map::default();
    let mut ids: Vec<&str> = Vec::new();
    let mut edges: Vec<Vec<u32>> = Vec::new();
    let mut node = |id: &'a str, ids: &mut Vec<&'a str>, edges: &mut Vec<Vec<u32>>| {
        *index.entry(id).or_insert_with(|| {
            ids.push(id);
            edges.push(Vec::new());
            (ids.len() - 1) as u32
        })
    };
    for bead in beads {
        let from = node(bead.id, &mut ids, &mut edges);
        let targets = bead
            .dependencies
            .iter()
            .filter(|d| d.is_ordering())
            .map(|d| d.depends_on_id)
            .chain(bead.parent);
        for to in targets {
            let to = node(to, &mut ids, &mut edges);
            edges[from as usize].push(to);
        }
    }
    let mut graph: DiGraph<(), (), u32> = DiGraph::with_capacity(ids.len(), 0);
    for _ in &ids {
        graph.add_node(());
    }
    for (from, tos) in edges.iter().enumerate() {
        for to in tos {
            graph.add_edge(NodeIndex::new(from), NodeIndex::new(*to as usize), ());
        }
    }
    let mut out: Vec<Vec<String>> = tarjan_scc(&graph)
        .into_iter()
        .filter(|scc| {
            let first = scc[0].index();
            scc.len() > 1 || edges[first].contains(&(first as u32))
        })
        .map(|scc| {
            // The component's own edges, sorted, for a deterministic path.
            let sorted: BTreeMap<&str, BTreeSet<&str>> = scc
                .iter()
                .map(|n| {
                    let tos = edges[n.index()].iter().map(|t| ids[*t as usize]);
                    (ids[n.index()], tos.collect())
                })
                .collect();
            let members: BTreeSet<&str> = sorted.keys().copied().collect();
            cycle_path(&sorted, &members)
        })
        .collect();
    out.sort();
    out
}

/// One concrete cycle through a strongly connected component, from its
/// smallest id back to it (a DFS that stays inside the component).
fn cycle_path(edges: &BTreeMap<&str, BTreeSet<&str>>, scc: &BTreeSet<&str>) -> Vec<String> {
    let start = *scc.iter().next().expect("non-empty component");
    let mut path = vec![start];
    let mut visited = BTreeSet::from([start]);
    let mut stack = vec![
        edges[start]
            .iter()
            .filter(|n| scc.contains(*n))
            .copied()
            .collect::<Vec<_>>(),
    ];
    while let Some(next) = stack.last_mut() {
        match next.pop() {
            Some(n) if n == start => {
                path.push(start);
                return path.into_iter().map(String::from).collect();
            }
            Some(n) if visited.insert(n) => {
                path.push(n);
                stack.push(
                    edges
                        .get(n)
                        .into_iter()
                        .flatten()
                        .filter(|m| scc.contains(*m))
                        .copied()
                        .collect(),
                );
            }
            Some(_) => {}
            None => {
                stack.pop();
                path.pop();
            }
        }
    }
    // Unreachable for a real component; fall back to listing it.
    scc.iter().map(|s| s.to_string()).collect()
}

/// Whether a bead is work that could be handed out once unblocked: open,
/// not pinned, ephemeral or infrastructure (bd's ready rule without the
/// blocking part).
pub fn is_plannable(b: &BeadHead<'_>) -> bool {
    b.status == "open" && !b.pinned && !b.ephemeral && !b.is_infrastructure()
}

/// For each plannable bead: the beads (not done) that must finish before it
/// can start — its blocking targets (`blocks`, `conditional-blocks`,
/// `waits-for`), and its ancestors' (a blocked parent blocks its children,
/// as in bd's ready rule). Sorted, without duplicates.
pub fn blockers<'a>(
    beads: &[BeadHead<'a>],
    by_id: &Map<&'a str, &BeadHead<'a>>,
) -> Map<&'a str, Vec<&'a str>> {
    let direct = |b: &BeadHead<'a>| -> Vec<&'a str> {
        b.dependencies
            .iter()
            .filter(|d| d.dep_type != PARENT_CHILD && external::blocks(d.dep_type))
            .filter(|d| by_id.get(d.depends_on_id).is_none_or(|t| !t.is_done()))
            .map(|d| d.depends_on_id)
            .collect()
    };
    let mut out: Map<&str, Vec<&str>> = Map::default();
    for b in beads.iter().filter(|b| is_plannable(b)) {
        let mut bs = direct(b);
        let mut seen: Vec<&str> = vec![b.id];
        let mut parents: Vec<&str> = b.parent_ids().collect();
        while let Some(p) = parents.pop() {
            if seen.contains(&p) {
                continue;
            }
            seen.push(p);
            if let Some(parent) = by_id.get(p) {
                if parent.is_done() {
                    continue;
                }
                bs.extend(direct(parent));
                parents.extend(parent.parent_ids());
            }
        }
        bs.sort_unstable();
        bs.dedup();
        bs.retain(|x| *x != b.id);
        if !bs.is_empty() {
            out.insert(b.id, bs);
        }
    }
    out
}

/// The inverse of [`blockers`]: for each bead, the plannable beads it
/// directly holds back.
pub fn dependents<'a>(blockers: &Map<&'a str, Vec<&'a str>>) -> Map<&'a str, Vec<&'a str>> {
    let mut out: Map<&str, Vec<&str>> = Map::default();
    for (bead, bs) in blockers {
        for b in bs {
            out.entry(*b).or_default().push(*bead);
        }
    }
    out
}

/// `a -> b -> a`
pub fn describe(cycle: &[String]) -> String {
    cycle.join(" -> ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Bead, Edge};
    use proptest::prelude::*;

    /// Test ids live for the whole test run.
    fn leak(s: &str) -> &'static str {
        Box::leak(s.to_string().into_boxed_str())
    }

    fn bead(id: &str, deps: &[(&str, &str)]) -> BeadHead<'static> {
        let bead: &'static Bead = Box::leak(Box::new(Bead::new(leak(id), "")));
        let mut head = BeadHead::from(bead);
        head.dependencies = deps.iter().map(|(to, t)| edge(to, t)).collect();
        head
    }

    fn edge(to: &str, dep_type: &str) -> Edge<'static> {
        Edge {
            depends_on_id: leak(to),
            dep_type: leak(dep_type),
            any_children: false,
        }
    }

    #[test]
    fn names_the_cycle() {
        let beads = [
            bead("c", &[("a", "blocks")]),
            bead("a", &[("b", "blocks")]),
            bead("b", &[("c", "parent-child")]),
            bead("d", &[("a", "blocks")]),
        ];
        assert_eq!(cycles(&beads), vec![vec!["a", "b", "c", "a"]]);
    }

    #[test]
    fn links_do_not_make_cycles() {
        let beads = [
            bead("a", &[("b", "related")]),
            bead("b", &[("a", "blocks")]),
        ];
        assert!(cycles(&beads).is_empty());
    }

    #[test]
    fn self_loop() {
        assert_eq!(
            cycles(&[bead("a", &[("a", "blocks")])]),
            vec![vec!["a", "a"]]
        );
    }

    /// The first implementation (sorted maps all the way): the reference.
    fn cycles_reference<'s, 'a: 's>(
        beads: impl IntoIterator<Item = &'s BeadHead<'a>>,
    ) -> Vec<Vec<String>> {
        let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for bead in beads {
            let out = edges.entry(bead.id).or_default();
            for dep in bead.dependencies.iter().filter(|d| d.is_ordering()) {
                out.insert(dep.depends_on_id);
            }
            if let Some(parent) = bead.parent {
                out.insert(parent);
            }
        }
        let mut graph: DiGraph<&str, ()> = DiGraph::new();
        let mut index: BTreeMap<&str, NodeIndex> = BTreeMap::new();
        let nodes: BTreeSet<&str> = edges
            .iter()
            .flat_map(|(k, v)| std::iter::once(*k).chain(v.iter().copied()))
            .collect();
        for id in nodes {
            index.insert(id, graph.add_node(id));
        }
        for (from, tos) in &edges {
            for to in tos {
                graph.add_edge(index[from], index[to], ());
            }
        }
        let mut out: Vec<Vec<String>> = tarjan_scc(&graph)
            .into_iter()
            .filter(|scc| scc.len() > 1 || graph.contains_edge(scc[0], scc[0]))
            .map(|scc| cycle_path(&edges, &scc.iter().map(|n| graph[*n]).collect()))
            .collect();
        out.sort();
        out
    }

    proptest! {
        // Random graphs (ordering edges, links, parents, repeated ids):
        // the same cycles as the reference implementation.
        #[test]
        fn same_as_reference(n in 1usize..12, edges in proptest::collection::vec((0usize..12, 0usize..12, 0usize..4), 0..40)) {
            let types = ["blocks", "related", "parent-child", "waits-for"];
            let mut beads: Vec<BeadHead> = (0..n).map(|i| bead(&format!("b{i}"), &[])).collect();
            for (x, y, t) in edges {
                let (x, y) = (x % n, y % 12);
                if t == 3 && y % 3 == 0 {
                    beads[x].parent = Some(leak(&format!("b{y}")));
                } else {
                    beads[x].dependencies.push(edge(&format!("b{y}"), types[t]));
                }
            }
            // An id twice: its edges add up.
            beads.push(bead("b0", &[("b1", "blocks")]));
            prop_assert_eq!(cycles(&beads), cycles_reference(&beads));
        }

        // Edges only from higher to lower index: never a cycle. Adding one
        // back edge along a chain always makes one, and the reported path
        // follows real edges.
        #[test]
        fn dag_has_no_cycle_and_back_edge_makes_one(n in 2usize..30, extra in proptest::collection::vec((0usize..30, 0usize..30), 0..60)) {
            let mut beads: Vec<BeadHead> = (0..n).map(|i| bead(&format!("b{i:02}"), &[])).collect();
            for (x, y) in extra {
                let (x, y) = (x % n, y % n);
                if x > y {
                    beads[x].dependencies.push(edge(&format!("b{y:02}"), "blocks"));
                }
            }
            prop_assert!(cycles(&beads).is_empty());
            for (i, bead) in beads.iter_mut().enumerate().skip(1) {
                bead.dependencies.push(edge(&format!("b{:02}", i - 1), "blocks"));
            }
            beads[0].dependencies.push(edge(&format!("b{:02}", n - 1), "blocks"));
            let found = cycles(&beads);
            prop_assert_eq!(found.len(), 1);
            let c = &found[0];
            prop_assert_eq!(c.first(), c.last());
            for w in c.windows(2) {
                let from = beads.iter().find(|b| b.id == w[0]).unwrap();
                prop_assert!(from.dependencies.iter().any(|d| d.depends_on_id == w[1]));
            }
        }
    }
}
