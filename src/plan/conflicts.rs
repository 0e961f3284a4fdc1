//! The conflict graph: which beads must not run at the same time, each
//! edge typed and with a one-line reason a person can check.

use std::fmt;

use serde::Serialize;

use super::overlap::{Overlap, Pattern, TrackedPaths, Verdict, resolve};
use super::{Map, Set};
use crate::analysis::graph::ImportGraph;
use crate::model::{BeadHead, Workspace};

/// Why two beads conflict, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EdgeKind {
    /// Their target globs share a path (named in the reason).
    Target,
    /// Their target globs may share a path that does not exist yet.
    MayOverlap,
    /// A target of one is a dependent of a target of the other (import graph).
    Semantic,
    /// Held by two live sessions working in the same worktree, or on the
    /// same repository and branch.
    Workspace,
    /// Both beads' targets lie in one small package directory.
    Directory,
    /// One bead is the other's parent, or both have the same parent: the
    /// parts of one epic usually touch the same code.
    Epic,
    /// Their titles say nearly the same thing (TF-IDF cosine).
    Similar,
}

impl EdgeKind {
    /// Every kind, strongest first.
    pub const ALL: [EdgeKind; 7] = [
        EdgeKind::Target,
        EdgeKind::MayOverlap,
        EdgeKind::Semantic,
        EdgeKind::Workspace,
        EdgeKind::Directory,
        EdgeKind::Epic,
        EdgeKind::Similar,
    ];

    /// Hard edges come from the code (files, imports, worktrees): two beads
    /// joined by one are never planned together. Soft ones (directory, epic,
    /// similar) are evidence from structure and text: selection weighs them,
    /// `gemba plan --soft` honours them too.
    pub fn is_hard(self) -> bool {
        matches!(
            self,
            EdgeKind::Target | EdgeKind::MayOverlap | EdgeKind::Semantic | EdgeKind::Workspace
        )
    }
}

impl fmt::Display for EdgeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EdgeKind::Target => "target",
            EdgeKind::MayOverlap => "may-overlap",
            EdgeKind::Semantic => "semantic",
            EdgeKind::Directory => "directory",
            EdgeKind::Workspace => "workspace",
            EdgeKind::Epic => "epic",
            EdgeKind::Similar => "similar",
        })
    }
}

/// One edge: `a < b` by id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Conflict {
    pub a: String,
    pub b: String,
    pub kind: EdgeKind,
    pub reason: String,
}

/// A bead's target globs, compiled.
#[derive(Debug, Clone)]
pub struct Targets<'a> {
    pub id: &'a str,
    pub globs: Vec<Pattern>,
}

/// The `target` and `may-overlap` edges between beads, found without
/// comparing all pairs: every glob sits in a trie of path segments at its
/// literal prefix (a literal path at its whole path), and a glob is only
/// compared with the globs at its own node and below it, since two globs
/// whose prefixes diverge can share no path. Maybe answers are settled
/// against `tracked` when given (Yes if a tracked file matches both).
pub fn target_edges(beads: &[Targets<'_>], tracked: Option<&TrackedPaths>) -> Vec<Conflict> {
    let mut trie = Trie::default();
    for (b, bead) in beads.iter().enumerate() {
        for (g, glob) in bead.globs.iter().enumerate() {
            trie.insert(&trie_segments(glob), (b, g));
        }
    }
    let all: Vec<&Targets> = beads.iter().collect();
    glob_edges(&all, tracked, |consider| {
        for node in 0..trie.nodes.len() {
            let here = &trie.nodes[node].items;
            for (i, x) in here.iter().enumerate() {
                for y in &here[i + 1..] {
                    consider(*x, *y);
                }
            }
            if here.is_empty() {
                continue;
            }
            let mut below = Vec::new();
            trie.below(node, &mut below);
            for x in here {
                for y in &below {
                    consider(*x, *y);
                }
            }
        }
    })
}

/// The `target` and `may-overlap` edges between a bead of `beads` and one
/// of `others` only (the same edges as [`target_edges`] over both, without
/// comparing `beads` among themselves): only `others` go in the trie, and
/// each glob of `beads` is compared with those on its path and below it.
/// Cheap when `others` are few (the beads in progress elsewhere, against
/// the whole ready set).
pub fn target_edges_across(
    beads: &[Targets<'_>],
    others: &[Targets<'_>],
    tracked: Option<&TrackedPaths>,
) -> Vec<Conflict> {
    let mut trie = Trie::default();
    for (b, bead) in others.iter().enumerate() {
        for (g, glob) in bead.globs.iter().enumerate() {
            trie.insert(&trie_segments(glob), (b, g));
        }
    }
    if trie.nodes.is_empty() {
        return Vec::new();
    }
    let all: Vec<&Targets> = others.iter().chain(beads).collect();
    glob_edges(&all, tracked, |consider| {
        let mut below = Vec::new();
        for (b, bead) in beads.iter().enumerate() {
            let b = others.len() + b;
            for (g, glob) in bead.globs.iter().enumerate() {
                let mut node = 0;
                let mut whole = true;
                for item in &trie.nodes[0].items {
                    consider((b, g), *item);
                }
                for segment in trie_segments(glob) {
                    match trie.nodes[node].children.get(segment) {
                        Some(&child) => {
                            node = child;
                            for item in &trie.nodes[node].items {
                                consider((b, g), *item);
                            }
                        }
                        None => {
                            whole = false;
                            break;
                        }
                    }
                }
                if whole {
                    below.clear();
                    trie.below(node, &mut below);
                    for item in &below {
                        consider((b, g), *item);
                    }
                }
            }
        }
    })
}

/// Where a glob sits in the trie: a literal at its whole path, a pattern at
/// its literal prefix.
fn trie_segments(glob: &Pattern) -> Vec<&str> {
    if glob.is_literal() {
        glob.text().split('/').collect()
    } else {
        glob.prefix_segments().collect()
    }
}

/// The edges among the (bead, glob) pairs that `pairs` hands to its
/// `consider` callback: each pair of beads keeps its strongest verdict.
fn glob_edges(
    beads: &[&Targets<'_>],
    tracked: Option<&TrackedPaths>,
    pairs: impl FnOnce(&mut dyn FnMut((usize, usize), (usize, usize))),
) -> Vec<Conflict> {
    // Candidate glob pairs, as (bead, glob) index pairs.
    let mut best: Map<(usize, usize), (Verdict, usize, usize)> = Map::default();
    let mut consider = |x: (usize, usize), y: (usize, usize)| {
        if x.0 == y.0 {
            return;
        }
        let (x, y) = if x.0 < y.0 { (x, y) } else { (y, x) };
        // A pair keeps its strongest verdict, and of equally strong ones
        // that of the first globs: the reason does not depend on the order
        // the pairs come in.
        if best
            .get(&(x.0, y.0))
            .is_some_and(|(v, gi, gj)| v.overlap.is_yes() && (*gi, *gj) <= (x.1, y.1))
        {
            return;
        }
        let (ga, gb) = (&beads[x.0].globs[x.1], &beads[y.0].globs[y.1]);
        let verdict = on_tracked(resolve(ga, gb, tracked), ga, gb, tracked);
        if verdict.is_conflict() {
            let slot = best.entry((x.0, y.0));
            match slot {
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert((verdict, x.1, y.1));
                }
                std::collections::hash_map::Entry::Occupied(mut o) => {
                    let (old, gi, gj) = o.get();
                    let stronger = verdict.overlap.is_yes() && !old.overlap.is_yes();
                    let same = verdict.overlap.is_yes() == old.overlap.is_yes();
                    if stronger || (same && (x.1, y.1) < (*gi, *gj)) {
                        o.insert((verdict, x.1, y.1));
                    }
                }
            }
        }
    };
    pairs(&mut consider);
    let mut out: Vec<Conflict> = best
        .into_iter()
        .map(|((i, j), (verdict, gi, gj))| {
            let (a, b) = (beads[i], beads[j]);
            let kind = if verdict.overlap.is_yes() {
                EdgeKind::Target
            } else {
                EdgeKind::MayOverlap
            };
            let globs = format!("`{}` and `{}`", a.globs[gi].text(), b.globs[gj].text());
            let (a, b, globs) = if a.id <= b.id {
                (a.id, b.id, globs)
            } else {
                (
                    b.id,
                    a.id,
                    format!("`{}` and `{}`", b.globs[gj].text(), a.globs[gi].text()),
                )
            };
            Conflict {
                a: a.to_string(),
                b: b.to_string(),
                kind,
                reason: format!("{globs}: {}", verdict.reason),
            }
        })
        .collect();
    out.sort();
    out
}

/// Epics with more children than this make no `epic` edges among them: a
/// bucket that wide says little about the code (as a directory of hundreds
/// of files does not).
pub const MAX_EPIC_CHILDREN: usize = 40;

/// `epic` edges: a bead and its parent, and beads with the same parent
/// (a `parent-child` edge, the `parent` field, or a dotted child id
/// `x.1` under `x`).
pub fn epic_edges(beads: &[&BeadHead<'_>]) -> Vec<Conflict> {
    let ids: Set<&str> = beads.iter().map(|b| b.id).collect();
    let mut children: Map<&str, Vec<&str>> = Map::default();
    for b in beads {
        let mut parents: Vec<&str> = b.parent_ids().collect();
        if let Some((parent, n)) = b.id.rsplit_once('.')
            && n.chars().all(|c| c.is_ascii_digit())
            && ids.contains(parent)
        {
            parents.push(parent);
        }
        parents.sort_unstable();
        parents.dedup();
        for p in parents {
            children.entry(p).or_default().push(b.id);
        }
    }
    let mut out: Map<(&str, &str), String> = Map::default();
    for (parent, kids) in &children {
        if kids.len() > MAX_EPIC_CHILDREN {
            continue;
        }
        for (i, a) in kids.iter().enumerate() {
            if ids.contains(parent) {
                let key = if *a < *parent {
                    (*a, *parent)
                } else {
                    (*parent, *a)
                };
                out.entry(key)
                    .or_insert_with(|| format!("{a} is a part of {parent}"));
            }
            for b in &kids[i + 1..] {
                let key = if a < b { (*a, *b) } else { (*b, *a) };
                out.entry(key)
                    .or_insert_with(|| format!("both are parts of {parent}"));
            }
        }
    }
    let mut edges: Vec<Conflict> = out
        .into_iter()
        .filter(|((a, b), _)| a != b)
        .map(|((a, b), reason)| Conflict {
            a: a.to_string(),
            b: b.to_string(),
            kind: EdgeKind::Epic,
            reason,
        })
        .collect();
    edges.sort();
    edges
}

/// Title similarity that makes a `similar` edge.
pub const MIN_TITLE_COSINE: f64 = 0.2;
/// Words carried by more titles than this are too common to find pairs by
/// (and weigh little in the cosine anyway).
const MAX_WORD_BEADS: usize = 200;
/// The distinct words of a title.
fn title_words(title: &str) -> Vec<String> {
    let mut words = crate::text::words(title);
    words.sort_unstable();
    words.dedup();
    words
}

/// `similar` edges between `beads`: titles whose TF-IDF cosine is at least
/// [`MIN_TITLE_COSINE`], with IDF over the titles of `corpus` (every bead,
/// so an edge does not depend on which beads a command looks at).
/// Candidates come from an inverted index of the words, so no pair without
/// a shared word is compared.
pub fn similar_edges(beads: &[&BeadHead<'_>], corpus: &[BeadHead<'_>]) -> Vec<Conflict> {
    let mut df: Map<String, usize> = Map::default();
    for b in corpus {
        for w in title_words(b.title) {
            *df.entry(w).or_default() += 1;
        }
    }
    let words: Vec<Vec<String>> = beads.iter().map(|b| title_words(b.title)).collect();
    let mut postings: Map<&str, Vec<usize>> = Map::default();
    for (i, ws) in words.iter().enumerate() {
        for w in ws {
            postings.entry(w.as_str()).or_default().push(i);
        }
    }
    let n = corpus.len().max(beads.len()) as f64;
    let idf = |w: &str| (n / (1.0 + df.get(w).copied().unwrap_or(1) as f64)).ln();
    let vectors: Vec<Map<&str, f64>> = words
        .iter()
        .map(|ws| {
            let v: Map<&str, f64> = ws.iter().map(|w| (w.as_str(), idf(w))).collect();
            let norm = v.values().map(|x| x * x).sum::<f64>().sqrt();
            v.into_iter()
                .map(|(w, x)| (w, if norm > 0.0 { x / norm } else { 0.0 }))
                .collect()
        })
        .collect();
    let mut pairs: Set<(usize, usize)> = Set::default();
    for list in postings.values().filter(|l| l.len() <= MAX_WORD_BEADS) {
        for (k, &i) in list.iter().enumerate() {
            for &j in &list[k + 1..] {
                pairs.insert((i.min(j), i.max(j)));
            }
        }
    }
    let mut out: Vec<Conflict> = pairs
        .into_iter()
        .filter_map(|(i, j)| {
            let (vi, vj) = (&vectors[i], &vectors[j]);
            let cos: f64 = vi
                .iter()
                .map(|(w, x)| x * vj.get(w).copied().unwrap_or(0.0))
                .sum();
            (cos >= MIN_TITLE_COSINE).then(|| {
                let mut shared: Vec<&str> =
                    vi.keys().filter(|w| vj.contains_key(*w)).copied().collect();
                shared.sort_unstable();
                let (a, b) = if beads[i].id <= beads[j].id {
                    (beads[i].id, beads[j].id)
                } else {
                    (beads[j].id, beads[i].id)
                };
                Conflict {
                    a: a.to_string(),
                    b: b.to_string(),
                    kind: EdgeKind::Similar,
                    reason: format!("titles share {} (cosine {cos:.2})", shared.join(", ")),
                }
            })
        })
        .collect();
    out.sort();
    out
}

/// Keep the strongest edge of each pair (edges sorted by pair, then kind).
pub fn strongest(mut edges: Vec<Conflict>) -> Vec<Conflict> {
    edges.sort();
    edges.dedup_by(|later, first| later.a == first.a && later.b == first.b);
    edges
}

/// Files a bead may touch, for the import graph: its literal targets, and
/// the tracked files its wildcard targets match (at most
/// [`MAX_FILES_PER_BEAD`]: a glob as wide as the tree says little about
/// which imports matter).
pub const MAX_FILES_PER_BEAD: usize = 256;

fn files_of<'t>(targets: &'t Targets<'_>, tracked: &'t TrackedPaths) -> Vec<&'t str> {
    let mut files: Vec<&str> = Vec::new();
    for glob in &targets.globs {
        if glob.is_literal() {
            files.push(glob.text());
            continue;
        }
        for path in tracked.starting_with(glob.head()) {
            if files.len() >= MAX_FILES_PER_BEAD {
                break;
            }
            if glob.is_match(path) == Some(true) {
                files.push(path);
            }
        }
    }
    files.sort_unstable();
    files.dedup();
    files
}

/// `semantic` edges: a file one bead targets imports a file another bead
/// targets (from a fresh import graph). Pairs that already have an edge in
/// `existing` keep it (a target edge says more).
pub fn semantic_edges(
    beads: &[Targets<'_>],
    tracked: &TrackedPaths,
    graph: &ImportGraph,
    existing: &[Conflict],
) -> Vec<Conflict> {
    let taken: Set<(&str, &str)> = existing
        .iter()
        .map(|c| (c.a.as_str(), c.b.as_str()))
        .collect();
    let files: Vec<Vec<&str>> = beads.iter().map(|b| files_of(b, tracked)).collect();
    let mut owners: Map<&str, Vec<usize>> = Map::default();
    for (i, fs) in files.iter().enumerate() {
        for f in fs {
            owners.entry(f).or_default().push(i);
        }
    }
    let mut found: Map<(usize, usize), String> = Map::default();
    for (i, fs) in files.iter().enumerate() {
        for f in fs {
            for dep in graph.dependencies(f) {
                for &j in owners.get(dep).into_iter().flatten() {
                    if i == j {
                        continue;
                    }
                    let key = (i.min(j), i.max(j));
                    found.entry(key).or_insert_with(|| {
                        format!("`{f}` ({}) imports `{dep}` ({})", beads[i].id, beads[j].id)
                    });
                }
            }
        }
    }
    let mut out: Vec<Conflict> = found
        .into_iter()
        .map(|((i, j), reason)| {
            let (a, b) = if beads[i].id <= beads[j].id {
                (beads[i].id, beads[j].id)
            } else {
                (beads[j].id, beads[i].id)
            };
            (a, b, reason)
        })
        .filter(|(a, b, _)| !taken.contains(&(*a, *b)))
        .map(|(a, b, reason)| Conflict {
            a: a.to_string(),
            b: b.to_string(),
            kind: EdgeKind::Semantic,
            reason,
        })
        .collect();
    out.sort();
    out
}

/// With a tree at hand, two wildcard globs are only a `target` conflict
/// when a tracked file matches both: a path they could both match that
/// does not exist makes them `may-overlap`. (A literal glob names the
/// file its bead will touch, existing or not.)
fn on_tracked(
    verdict: Verdict,
    a: &Pattern,
    b: &Pattern,
    tracked: Option<&TrackedPaths>,
) -> Verdict {
    let (Some(tracked), Overlap::Yes { witness }) = (tracked, &verdict.overlap) else {
        return verdict;
    };
    if a.is_literal() || b.is_literal() {
        return verdict;
    }
    let is_tracked = |w: &str| tracked.starting_with(w).first().is_some_and(|p| p == w);
    if witness.as_deref().is_some_and(is_tracked) {
        return Verdict {
            reason: format!(
                "both match tracked {}",
                witness.as_deref().unwrap_or_default()
            ),
            ..verdict
        };
    }
    match tracked.common(a, b) {
        Some(path) => Verdict {
            overlap: Overlap::Yes {
                witness: Some(path.to_string()),
            },
            reason: format!("both match tracked {path}"),
        },
        None => Verdict {
            reason: match witness {
                Some(w) => format!("both could match {w}, which is not tracked yet"),
                None => "may overlap".to_string(),
            },
            overlap: Overlap::Maybe,
        },
    }
}

/// A bead held (claimed, or in hand) by a live session, and where that
/// session works.
#[derive(Debug, Clone, Copy)]
pub struct Held<'a> {
    pub bead: &'a str,
    pub session: &'a str,
    pub workspace: &'a Workspace,
}

/// `workspace` edges between beads held by two different sessions that
/// work in the same worktree (same path), or on the same repository and
/// branch: their changes land in one checkout or on one branch, whatever
/// their targets. A session holding two beads works them in turn: no edge.
pub fn workspace_edges(held: &[Held<'_>]) -> Vec<Conflict> {
    let mut out: Map<(&str, &str), String> = Map::default();
    for (i, x) in held.iter().enumerate() {
        for y in &held[i + 1..] {
            if x.session == y.session || x.bead == y.bead {
                continue;
            }
            let (wx, wy) = (x.workspace, y.workspace);
            let (sa, sb) = if x.session < y.session {
                (x.session, y.session)
            } else {
                (y.session, x.session)
            };
            let reason = match (&wx.path, &wy.path, &wx.branch, &wy.branch) {
                (Some(p), Some(q), _, _) if p == q => {
                    format!("{sa} and {sb} work in the same worktree {p}")
                }
                (_, _, Some(b), Some(c)) if b == c && wx.repo == wy.repo && !wx.repo.is_empty() => {
                    format!("{sa} and {sb} work on the same branch {b} of {}", wx.repo)
                }
                _ => continue,
            };
            let key = if x.bead < y.bead {
                (x.bead, y.bead)
            } else {
                (y.bead, x.bead)
            };
            // Several sessions over one pair: the first pair of sessions by id.
            match out.get(&key) {
                Some(old) if *old <= reason => {}
                _ => {
                    out.insert(key, reason);
                }
            }
        }
    }
    let mut edges: Vec<Conflict> = out
        .into_iter()
        .map(|((a, b), reason)| Conflict {
            a: a.to_string(),
            b: b.to_string(),
            kind: EdgeKind::Workspace,
            reason,
        })
        .collect();
    edges.sort();
    edges
}

/// The beads of `ids` that hard edges join, as groups (connected
/// components of two or more, each sorted; groups in order of their first
/// id): beads of one group should not go to two sessions at once.
pub fn hard_groups<'a>(ids: &[&'a str], edges: &[Conflict]) -> Vec<Vec<&'a str>> {
    let index: Map<&str, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut parent: Vec<usize> = (0..ids.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for e in edges.iter().filter(|e| e.kind.is_hard()) {
        if let (Some(&a), Some(&b)) = (index.get(e.a.as_str()), index.get(e.b.as_str())) {
            let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
            parent[ra.max(rb)] = ra.min(rb);
        }
    }
    let mut groups: Map<usize, Vec<&str>> = Map::default();
    for (i, id) in ids.iter().enumerate() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(id);
    }
    let mut out: Vec<Vec<&str>> = groups.into_values().filter(|g| g.len() > 1).collect();
    for g in &mut out {
        g.sort_unstable();
        g.dedup();
    }
    out.retain(|g| g.len() > 1);
    out.sort();
    out
}

/// Path segments to the globs whose literal prefix they spell.
#[derive(Debug, Default)]
struct Trie<'s> {
    nodes: Vec<TrieNode<'s>>,
}

#[derive(Debug, Default)]
struct TrieNode<'s> {
    children: Map<&'s str, usize>,
    items: Vec<(usize, usize)>,
}

impl<'s> Trie<'s> {
    fn insert(&mut self, segments: &[&'s str], item: (usize, usize)) {
        if self.nodes.is_empty() {
            self.nodes.push(TrieNode::default());
        }
        let mut node = 0;
        for segment in segments {
            node = match self.nodes[node].children.get(segment) {
                Some(&child) => child,
                None => {
                    let child = self.nodes.len();
                    self.nodes.push(TrieNode::default());
                    self.nodes[node].children.insert(segment, child);
                    child
                }
            };
        }
        self.nodes[node].items.push(item);
    }

    /// Every item strictly below `node`.
    fn below(&self, node: usize, out: &mut Vec<(usize, usize)>) {
        let mut stack: Vec<usize> = self.nodes[node].children.values().copied().collect();
        while let Some(n) = stack.pop() {
            out.extend(&self.nodes[n].items);
            stack.extend(self.nodes[n].children.values());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::overlap::resolve_sets;
    use proptest::prelude::*;

    fn targets<'a>(id: &'a str, globs: &[&str]) -> Targets<'a> {
        Targets {
            id,
            globs: globs.iter().map(|g| Pattern::new(g).unwrap()).collect(),
        }
    }

    fn ws(repo: &str, branch: Option<&str>, path: Option<&str>) -> Workspace {
        Workspace {
            repo: repo.into(),
            branch: branch.map(String::from),
            path: path.map(String::from),
        }
    }

    #[test]
    fn workspace_edges_join_held_beads_of_one_worktree_or_branch() {
        let main = ws("/r", Some("main"), Some("/r"));
        let main_elsewhere = ws("/r", Some("main"), Some("/r-wt"));
        let feature = ws("/r", Some("feat"), Some("/r-feat"));
        let detached = ws("/r", None, Some("/r-feat"));
        let other_repo = ws("/o", Some("main"), Some("/o"));
        let held = |bead, session, workspace| Held {
            bead,
            session,
            workspace,
        };
        /// Held beads, and the edges expected as (a, b, reason).
        type Case<'a> = (Vec<Held<'a>>, Vec<(&'a str, &'a str, &'a str)>);
        let table: Vec<Case> = vec![
            (vec![], vec![]),
            // Same worktree.
            (
                vec![held("b", "s-2", &main), held("a", "s-1", &main)],
                vec![("a", "b", "s-1 and s-2 work in the same worktree /r")],
            ),
            // Same repository and branch, two worktrees.
            (
                vec![held("a", "s-1", &main), held("b", "s-2", &main_elsewhere)],
                vec![("a", "b", "s-1 and s-2 work on the same branch main of /r")],
            ),
            // Same worktree path, branch unknown on one side.
            (
                vec![held("a", "s-1", &feature), held("b", "s-2", &detached)],
                vec![("a", "b", "s-1 and s-2 work in the same worktree /r-feat")],
            ),
            // Other branch, other repository, or one session: no edge.
            (
                vec![
                    held("a", "s-1", &main),
                    held("b", "s-2", &feature),
                    held("c", "s-3", &other_repo),
                    held("d", "s-1", &main),
                ],
                vec![],
            ),
            // Three sessions in one worktree: every pair, once.
            (
                vec![
                    held("a", "s-1", &main),
                    held("b", "s-2", &main),
                    held("c", "s-3", &main),
                ],
                vec![
                    ("a", "b", "s-1 and s-2 work in the same worktree /r"),
                    ("a", "c", "s-1 and s-3 work in the same worktree /r"),
                    ("b", "c", "s-2 and s-3 work in the same worktree /r"),
                ],
            ),
        ];
        for (held, want) in table {
            let got: Vec<(String, String, String)> = workspace_edges(&held)
                .into_iter()
                .map(|e| {
                    assert_eq!(e.kind, EdgeKind::Workspace);
                    (e.a, e.b, e.reason)
                })
                .collect();
            let want: Vec<(String, String, String)> = want
                .iter()
                .map(|(a, b, r)| (a.to_string(), b.to_string(), r.to_string()))
                .collect();
            assert_eq!(got, want, "{held:?}");
        }
        assert!(EdgeKind::Workspace.is_hard());
        // A pair's workspace edge outranks its soft edges.
        let soft = Conflict {
            a: "a".into(),
            b: "b".into(),
            kind: EdgeKind::Directory,
            reason: String::new(),
        };
        let mut edges = workspace_edges(&[held("a", "s-1", &main), held("b", "s-2", &main)]);
        edges.push(soft);
        assert_eq!(strongest(edges)[0].kind, EdgeKind::Workspace);
    }

    #[test]
    fn hard_groups_are_components_of_hard_edges() {
        let edge = |a: &str, b: &str, kind| Conflict {
            a: a.into(),
            b: b.into(),
            kind,
            reason: String::new(),
        };
        let ids = ["a", "b", "c", "d", "e", "f"];
        let edges = [
            edge("a", "c", EdgeKind::Target),
            edge("c", "e", EdgeKind::Semantic),
            edge("b", "d", EdgeKind::Similar),
            edge("d", "f", EdgeKind::MayOverlap),
            edge("f", "zz", EdgeKind::Target),
        ];
        assert_eq!(
            hard_groups(&ids, &edges),
            vec![vec!["a", "c", "e"], vec!["d", "f"]]
        );
        assert!(hard_groups(&ids, &[]).is_empty());
    }

    #[test]
    fn edges_name_the_globs_and_the_path() {
        let beads = [
            targets("a", &["src/auth/**"]),
            targets("b", &["src/auth/token.rs", "docs/x.md"]),
            targets("c", &["src/*.rs"]),
            targets("d", &["**/*.md"]),
            targets("e", &["web/{a,b}/*.ts"]),
            targets("f", &["web/*/x.ts"]),
        ];
        let tracked = TrackedPaths::new(["web/a/x.ts".to_string()]);
        let got: Vec<String> = target_edges(&beads, Some(&tracked))
            .iter()
            .map(|c| format!("{} {} {} {}", c.a, c.b, c.kind, c.reason))
            .collect();
        assert_eq!(
            got,
            [
                "a b target `src/auth/**` and `src/auth/token.rs`: both match src/auth/token.rs",
                "a d may-overlap `src/auth/**` and `**/*.md`: both could match src/auth/a.md, which is not tracked yet",
                "b d target `docs/x.md` and `**/*.md`: both match docs/x.md",
                "e f target `web/{a,b}/*.ts` and `web/*/x.ts`: both match tracked web/a/x.ts",
            ]
        );
    }

    proptest! {
        /// The trie finds exactly the pairs that all-pairs comparison finds.
        #[test]
        fn the_trie_misses_nothing(
            globs in proptest::collection::vec(
                proptest::collection::vec("(a|b|\\*|\\*\\*|[ab]\\*)(/(a|b|\\*|\\*\\*|c\\.rs|\\*\\.rs)){0,3}", 1..3),
                1..8,
            ),
        ) {
            let ids: Vec<String> = (0..globs.len()).map(|i| format!("b{i}")).collect();
            let beads: Vec<Targets> = globs
                .iter()
                .zip(&ids)
                .filter_map(|(gs, id)| {
                    let patterns: Option<Vec<Pattern>> = gs.iter().map(|g| Pattern::new(g).ok()).collect();
                    patterns.map(|globs| Targets { id, globs })
                })
                .collect();
            let got: Vec<(String, String, bool)> = target_edges(&beads, None)
                .into_iter()
                .map(|c| (c.a, c.b, c.kind == EdgeKind::Target))
                .collect();
            let mut want = Vec::new();
            for (i, a) in beads.iter().enumerate() {
                for b in &beads[i + 1..] {
                    let v = resolve_sets(&a.globs, &b.globs, None).verdict;
                    if v.overlap != Overlap::No {
                        want.push((a.id.to_string(), b.id.to_string(), v.overlap.is_yes()));
                    }
                }
            }
            want.sort();
            prop_assert_eq!(got, want);
        }

        /// Across two groups: exactly the edges of the whole set that join
        /// a bead of one group to a bead of the other.
        #[test]
        fn across_is_the_cross_part_of_all_edges(
            globs in proptest::collection::vec(
                proptest::collection::vec("(a|b|\\*|\\*\\*|[ab]\\*)(/(a|b|\\*|\\*\\*|c\\.rs|\\*\\.rs)){0,3}", 1..3),
                1..10,
            ),
            split in 0usize..10,
        ) {
            let ids: Vec<String> = (0..globs.len()).map(|i| format!("b{i}")).collect();
            let beads: Vec<Targets> = globs
                .iter()
                .zip(&ids)
                .filter_map(|(gs, id)| {
                    let patterns: Option<Vec<Pattern>> = gs.iter().map(|g| Pattern::new(g).ok()).collect();
                    patterns.map(|globs| Targets { id, globs })
                })
                .collect();
            let split = split.min(beads.len());
            let (held, rest) = beads.split_at(split);
            let is_held = |id: &str| held.iter().any(|h| h.id == id);
            let want: Vec<Conflict> = target_edges(&beads, None)
                .into_iter()
                .filter(|c| is_held(&c.a) != is_held(&c.b))
                .collect();
            prop_assert_eq!(target_edges_across(rest, held, None), want);
        }
    }
}
