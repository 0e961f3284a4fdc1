//! The file → file import graph and its queries. Pure: no I/O.
//!
//! Nodes are repository-relative paths with `/`, kept sorted; an edge
//! `a → b` means "`a` imports (depends on) `b`". Self-edges and duplicates
//! are dropped, so [`ImportGraph::dependents`] is exactly the inverse of
//! [`ImportGraph::dependencies`].

use std::collections::BTreeSet;

/// The import graph: for each node, its dependencies and its dependents,
/// both sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportGraph {
    nodes: Vec<String>,
    deps: Vec<Vec<u32>>,
    rdeps: Vec<Vec<u32>>,
    edges: usize,
}

/// Why stored nodes and edges do not form a graph.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    #[error("nodes are not sorted and unique at {0:?}")]
    Unsorted(String),
    #[error("edge {0} -> {1} names a node that does not exist")]
    Dangling(u32, u32),
}

impl ImportGraph {
    /// The graph of these `(from, to)` edges; its nodes are their ends.
    pub fn from_edges<S: AsRef<str>>(edges: impl IntoIterator<Item = (S, S)>) -> ImportGraph {
        let edges: Vec<(S, S)> = edges.into_iter().collect();
        let nodes: BTreeSet<&str> = edges
            .iter()
            .flat_map(|(a, b)| [a.as_ref(), b.as_ref()])
            .collect();
        let nodes: Vec<String> = nodes.into_iter().map(String::from).collect();
        let at = |p: &str| {
            nodes
                .binary_search_by(|n| n.as_str().cmp(p))
                .expect("a node") as u32
        };
        let pairs: Vec<(u32, u32)> = edges
            .iter()
            .map(|(a, b)| (at(a.as_ref()), at(b.as_ref())))
            .collect();
        ImportGraph::with_nodes(nodes, pairs).expect("nodes built from the edges")
    }

    /// The graph over `nodes` (sorted, unique) with edges given as node
    /// indices; fails on unsorted nodes or an index out of range (a
    /// damaged index file).
    pub fn with_nodes(
        nodes: Vec<String>,
        edges: impl IntoIterator<Item = (u32, u32)>,
    ) -> Result<ImportGraph, GraphError> {
        if let Some(w) = nodes.windows(2).find(|w| w[0] >= w[1]) {
            return Err(GraphError::Unsorted(w[1].clone()));
        }
        let n = nodes.len();
        let mut deps = vec![Vec::new(); n];
        let mut rdeps = vec![Vec::new(); n];
        for (a, b) in edges {
            if a as usize >= n || b as usize >= n {
                return Err(GraphError::Dangling(a, b));
            }
            if a != b {
                deps[a as usize].push(b);
                rdeps[b as usize].push(a);
            }
        }
        let mut count = 0;
        for list in deps.iter_mut().chain(rdeps.iter_mut()) {
            list.sort_unstable();
            list.dedup();
            list.shrink_to_fit();
        }
        for list in &deps {
            count += list.len();
        }
        Ok(ImportGraph {
            nodes,
            deps,
            rdeps,
            edges: count,
        })
    }

    fn index(&self, path: &str) -> Option<usize> {
        self.nodes.binary_search_by(|n| n.as_str().cmp(path)).ok()
    }

    fn names(&self, list: &[u32]) -> Vec<&str> {
        list.iter()
            .map(|&i| self.nodes[i as usize].as_str())
            .collect()
    }

    /// The files `path` imports, sorted; empty for a path not in the graph.
    pub fn dependencies(&self, path: &str) -> Vec<&str> {
        self.index(path)
            .map_or_else(Vec::new, |i| self.names(&self.deps[i]))
    }

    /// The files that import `path`, sorted; empty for a path not in the
    /// graph.
    pub fn dependents(&self, path: &str) -> Vec<&str> {
        self.index(path)
            .map_or_else(Vec::new, |i| self.names(&self.rdeps[i]))
    }

    /// Whether `path` is a node (an indexed file or an import's target).
    pub fn contains(&self, path: &str) -> bool {
        self.index(path).is_some()
    }

    /// Every node, sorted.
    pub fn nodes(&self) -> &[String] {
        &self.nodes
    }

    /// Every edge `(from, to)`, sorted.
    pub fn edges(&self) -> impl Iterator<Item = (&str, &str)> {
        self.deps.iter().enumerate().flat_map(move |(a, list)| {
            list.iter()
                .map(move |&b| (self.nodes[a].as_str(), self.nodes[b as usize].as_str()))
        })
    }

    /// Every edge as node indices, sorted: what the index file stores.
    pub fn edge_indices(&self) -> Vec<(u32, u32)> {
        self.deps
            .iter()
            .enumerate()
            .flat_map(|(a, list)| list.iter().map(move |&b| (a as u32, b)))
            .collect()
    }

    pub fn edge_count(&self) -> usize {
        self.edges
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn queries_on_a_small_graph() {
        let g = ImportGraph::from_edges([
            ("src/main.rs", "src/lib.rs"),
            ("src/lib.rs", "src/a.rs"),
            ("src/b.rs", "src/a.rs"),
            ("src/b.rs", "src/a.rs"),
            ("src/a.rs", "src/a.rs"),
        ]);
        assert_eq!(g.dependencies("src/b.rs"), ["src/a.rs"]);
        assert_eq!(g.dependents("src/a.rs"), ["src/b.rs", "src/lib.rs"]);
        assert_eq!(g.dependents("src/main.rs"), Vec::<&str>::new());
        assert_eq!(g.dependencies("nope.rs"), Vec::<&str>::new());
        assert_eq!(g.edge_count(), 3, "duplicates and self-edges dropped");
        assert_eq!(g.node_count(), 4);
        assert!(g.contains("src/a.rs") && !g.contains("src"));
        assert_eq!(
            g.edges().collect::<Vec<_>>(),
            [
                ("src/b.rs", "src/a.rs"),
                ("src/lib.rs", "src/a.rs"),
                ("src/main.rs", "src/lib.rs"),
            ]
        );
    }

    #[test]
    fn damaged_nodes_or_edges_are_refused() {
        let nodes = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            ImportGraph::with_nodes(nodes(&["b", "a"]), []),
            Err(GraphError::Unsorted("a".into()))
        );
        assert_eq!(
            ImportGraph::with_nodes(nodes(&["a", "a"]), []),
            Err(GraphError::Unsorted("a".into()))
        );
        assert_eq!(
            ImportGraph::with_nodes(nodes(&["a", "b"]), [(0, 2)]),
            Err(GraphError::Dangling(0, 2))
        );
    }

    proptest! {
        /// `b` is a dependency of `a` exactly when `a` is a dependent of
        /// `b`; the stored form (nodes + index pairs) rebuilds the same
        /// graph; every edge given (but self-edges) is in the graph.
        #[test]
        fn dependents_are_the_inverse_of_dependencies(
            edges in proptest::collection::vec((0u8..12, 0u8..12), 0..60)
        ) {
            let name = |i: u8| format!("f{i:02}.rs");
            let g = ImportGraph::from_edges(edges.iter().map(|&(a, b)| (name(a), name(b))));
            for a in g.nodes() {
                for b in g.nodes() {
                    let forward = g.dependencies(a).contains(&b.as_str());
                    let backward = g.dependents(b).contains(&a.as_str());
                    prop_assert_eq!(forward, backward, "{} -> {}", a, b);
                }
            }
            for &(a, b) in &edges {
                let want = a != b;
                prop_assert_eq!(g.dependencies(&name(a)).contains(&name(b).as_str()), want);
            }
            let again = ImportGraph::with_nodes(g.nodes().to_vec(), g.edge_indices()).unwrap();
            prop_assert_eq!(&again, &g);
            prop_assert_eq!(g.edges().count(), g.edge_count());
        }
    }
}
