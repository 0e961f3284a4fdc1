//! `gemba retro learn`: what the repository's history says each closed
//! bead touched.
//!
//! Walks the commits from `--since` (else from where the last `retro.learn`
//! event got to, else from the root) to `HEAD`, links each to its beads
//! ([`super::link_commits`]: trailer, whole-token id, the branch a merge
//! names), and records each *closed* bead's files as its targets, stamp
//! `retro`:
//! - targets an operator set are never replaced (counted as `pinned`);
//! - targets a retro set before are extended (a bead's commits can span
//!   several runs);
//! - targets any other source set (extraction, backfill, similar) are
//!   replaced by the files, stamp `retro`, even when they were the files
//!   already: history knows better than text, and lends only `retro` targets.
//!
//! One transaction, one `retro.learn` event with the counts and the range
//! (`data.to` is where the next run starts: incremental), whatever the
//! number of commits. Open beads are left to `gemba retro run`.

use std::collections::BTreeSet;

use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use super::run::literal_glob;
use super::{Error, Result, link_commits};
use crate::git;
use crate::model::enrichment::{Glob, Source, Stamped};
use crate::model::{Event, EventKind, timestamp};
use crate::store::snapshot::{Parts, Snapshot};
use crate::store::{Scope, Store, log};

/// What `retro learn` did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Learned {
    /// Where the walk started (`None`: from the root).
    pub from: Option<String>,
    /// `HEAD` when it ran: where the next run starts.
    pub to: String,
    pub commits: usize,
    pub linked_commits: usize,
    /// Beads at least one commit links to.
    pub beads: usize,
    /// Closed beads whose targets were set or extended.
    pub updated: usize,
    /// Closed beads whose targets already held their files.
    pub unchanged: usize,
    /// Closed beads with operator targets, left alone.
    pub pinned: usize,
    /// Linked beads that are still open (left to `retro run`).
    pub open: usize,
    /// Ids a `Gemba-Bead:` trailer names that are no bead here.
    pub unknown: usize,
    /// The `retro.learn` event.
    pub event: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    pub committed: bool,
}

/// See the module docs.
pub fn learn(store: &Store, since: Option<&str>, actor: &str, now: Timestamp) -> Result<Learned> {
    let worktree = store
        .worktree()
        .ok_or_else(|| Error::NoRepository(store.root().display().to_string()))?
        .to_path_buf();
    let to = git::resolve_commit(&worktree, "HEAD")?;
    let mut out = Learned::default();
    let from = match since {
        Some(rev) => Some(super::resolve(&worktree, rev)?),
        None => last_learned(store, &worktree, &mut out.warnings)?,
    };
    let commits = git::history(&worktree, from.as_deref(), &to)?;
    let snapshot = Snapshot::load(
        store,
        Parts {
            enrichment: false,
            sessions: false,
        },
    )?;
    let heads = snapshot.beads()?;
    let closed: BTreeSet<&str> = heads
        .iter()
        .filter(|b| b.status == "closed")
        .map(|b| b.id)
        .collect();
    let known: BTreeSet<&str> = heads.iter().map(|b| b.id).collect();
    let state_dir = store
        .root()
        .strip_prefix(&worktree)
        .ok()
        .map(|p| p.to_string_lossy().replace('\\', "/"));
    let linked = link_commits(
        &commits,
        state_dir.as_deref(),
        &store.config().retro.link,
        &|id| known.contains(id),
    );
    out.from = from;
    out.to = to;
    out.commits = commits.len();
    out.linked_commits = linked
        .values()
        .flat_map(|b| &b.commits)
        .collect::<BTreeSet<_>>()
        .len();
    out.beads = linked.len();

    let mut tx = store.changes();
    {
        let _lock = store.lock(Scope::Enrichment)?;
        let enrichments = store.load_enrichments()?;
        let mut writes = Vec::new();
        for (bead, work) in &linked {
            if !known.contains(bead.as_str()) {
                out.unknown += 1;
                continue;
            }
            if !closed.contains(bead.as_str()) {
                out.open += 1;
                continue;
            }
            let old = enrichments.get(bead).cloned().unwrap_or_default();
            let files: Vec<Glob> = work
                .files_of(None)
                .iter()
                .filter_map(|f| literal_glob(f))
                .collect();
            let value = match &old.targets {
                Some(t) if t.source.is_operator() => {
                    out.pinned += 1;
                    continue;
                }
                Some(t) if t.source == Source::Retro => {
                    let mut value = t.value.clone();
                    for f in files {
                        if !value.contains(&f) {
                            value.push(f);
                        }
                    }
                    value
                }
                _ => files,
            };
            // Right text targets still become `retro`: history lends only those.
            if old
                .targets
                .as_ref()
                .is_some_and(|t| t.value == value && t.source == Source::Retro)
            {
                out.unchanged += 1;
                continue;
            }
            let mut new = old.clone();
            new.targets = Some(Stamped {
                value,
                source: Source::Retro,
                updated_at: Some(timestamp(now)),
            });
            writes.push((bead.clone(), new));
        }
        out.updated = writes.len();
        tx.write_enrichments(&writes)?;
    }
    let event = Event::new(
        now,
        actor,
        EventKind::RetroLearn,
        Vec::new(),
        format!(
            "retro learn: {} commit(s), {} bead(s) linked, {} closed bead(s) got their files",
            out.commits, out.beads, out.updated
        ),
    )
    .with("from", &out.from)
    .with("to", &out.to)
    .with("commits", out.commits)
    .with("linked_commits", out.linked_commits)
    .with("beads", out.beads)
    .with("updated", out.updated)
    .with("unchanged", out.unchanged)
    .with("pinned", out.pinned)
    .with("open", out.open)
    .with("unknown", out.unknown);
    out.event = Some(event.id.clone());
    let finished = if tx.changed().is_empty() {
        drop(tx);
        log::record(store, &[event])?
    } else {
        tx.finish(&[event])?
    };
    out.committed = finished.committed;
    out.warnings.extend(finished.warnings);
    Ok(out)
}

/// Where the last `retro.learn` got to, if that commit is still here (a
/// rewritten history or another clone's run starts over from the root).
fn last_learned(
    store: &Store,
    worktree: &std::path::Path,
    warnings: &mut Vec<String>,
) -> Result<Option<String>> {
    // Only the `retro.learn` lines, picked before parsing.
    let (events, _) = log::read_mentioning(store, None, &[EventKind::RetroLearn.as_str()])?;
    let last = events
        .iter()
        .rev()
        .find(|e| e.kind == EventKind::RetroLearn)
        .and_then(|e| e.data.get("to").and_then(Value::as_str).map(String::from));
    Ok(match last {
        Some(commit) => match git::resolve_commit(worktree, &commit) {
            Ok(id) => Some(id),
            Err(_) => {
                warnings.push(format!(
                    "the last retro learn stopped at {commit}, which is not in this repository: learning from the root"
                ));
                None
            }
        },
        None => None,
    })
}
