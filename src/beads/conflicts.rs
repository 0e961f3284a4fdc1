//! The conflict graph over the store: the beads' target globs from the
//! snapshot's enrichment, the tracked files from git, and (when fresh) the
//! source index, handed to the pure graph in [`crate::plan::conflicts`];
//! and the `workspace` edges between beads that live sessions hold, from
//! the snapshot's sessions and claims ([`held_workspace_edges`]).

use serde::Serialize;

use crate::analysis::Freshness;
use crate::model::BeadHead;
use crate::plan::conflicts::{
    Conflict, EdgeKind, Held, Targets, epic_edges, semantic_edges, similar_edges, strongest,
    target_edges, workspace_edges,
};
use crate::plan::overlap::{Pattern, TrackedPaths};
use crate::store::Store;
use crate::store::snapshot::Snapshot;

/// The edges between `beads`, with what was (and was not) used.
#[derive(Debug, Clone, Serialize)]
pub struct Graph {
    /// Beads considered.
    pub beads: usize,
    /// Of those, beads with target globs.
    pub with_targets: usize,
    pub edges: Vec<Conflict>,
    /// Whether semantic edges were computed: `fresh`, `stale` or `off`.
    pub semantic: String,
    /// One line on why semantic edges are missing, when they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Graph {
    pub fn count(&self, kind: EdgeKind) -> usize {
        self.edges.iter().filter(|e| e.kind == kind).count()
    }
}

/// The conflict graph between `beads` (heads from `snapshot`, which must be
/// loaded with enrichment).
pub fn graph(
    store: &Store,
    snapshot: &Snapshot,
    all: &[BeadHead<'_>],
    beads: &[&BeadHead<'_>],
) -> crate::store::Result<Graph> {
    let enrichments = snapshot.enrichments();
    let targets: Vec<Targets> = beads
        .iter()
        .filter_map(|b| {
            let e = enrichments.get(b.id)?;
            let globs: Vec<Pattern> = e.target_globs().iter().map(Pattern::from_glob).collect();
            (!globs.is_empty()).then_some(Targets { id: b.id, globs })
        })
        .collect();
    let tracked = store
        .worktree()
        .and_then(|wt| crate::git::tracked_files(wt).ok())
        .map(TrackedPaths::new);
    let mut edges = target_edges(&targets, tracked.as_ref());
    // Semantic edges only from a fresh index; otherwise one line says why.
    let (semantic, note) = match (crate::analysis::open(store), &tracked) {
        (Ok(analysis), Some(tracked)) => match analysis.graph() {
            Ok(imports) => {
                let more = semantic_edges(&targets, tracked, imports, &edges);
                edges.extend(more);
                edges.sort();
                ("fresh", None)
            }
            Err(skip) => {
                let state = match skip.freshness {
                    Freshness::Stale { .. } => "stale",
                    _ => "off",
                };
                (
                    state,
                    Some(format!("semantic edges skipped: {}", skip.reason())),
                )
            }
        },
        (Err(e), _) => ("off", Some(format!("semantic edges skipped: {e}"))),
        (Ok(_), None) => (
            "off",
            Some("semantic edges skipped: no git worktree".to_string()),
        ),
    };
    edges.extend(epic_edges(beads));
    edges.extend(similar_edges(beads, all));
    let edges = strongest(edges);
    Ok(Graph {
        beads: beads.len(),
        with_targets: targets.len(),
        edges,
        semantic: semantic.into(),
        note,
    })
}

/// The beads live sessions hold, with where each session works: every
/// unexpired claim of a live session, and each live session's bead in hand.
/// Needs a snapshot loaded with sessions.
pub fn held(snapshot: &Snapshot, now: jiff::Timestamp) -> Vec<Held<'_>> {
    let sessions = snapshot.sessions();
    let live = |id: &str| {
        sessions
            .get(id)
            .filter(|s| s.status == crate::model::session::SessionStatus::Live)
    };
    let mut out: Vec<Held> = Vec::new();
    for claim in snapshot.claims().values().filter(|c| !c.expired(now)) {
        if let Some(s) = live(&claim.session) {
            out.push(Held {
                bead: &claim.bead,
                session: &s.id,
                workspace: &s.workspace,
            });
        }
    }
    for s in snapshot.live_sessions() {
        if let Some(bead) = &s.telemetry.bead {
            out.push(Held {
                bead,
                session: &s.id,
                workspace: &s.workspace,
            });
        }
    }
    out.sort_by(|a, b| (a.bead, a.session).cmp(&(b.bead, b.session)));
    out.dedup_by(|a, b| (a.bead, a.session) == (b.bead, b.session));
    out
}

/// `workspace` edges between the beads of [`held`]: two live sessions in
/// one worktree, or on one repository and branch, must not both have work
/// in progress there. They join held beads only, so selection (which
/// compares ready beads with held ones) excludes nothing new because of
/// them; `gemba conflicts` shows them.
pub fn held_workspace_edges(snapshot: &Snapshot, now: jiff::Timestamp) -> Vec<Conflict> {
    workspace_edges(&held(snapshot, now))
}
