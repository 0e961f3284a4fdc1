//! `gemba ready` over the store: bd's rule ([`crate::plan::ready`], pure)
//! on a snapshot, remembered as a materialized view in
//! `.gemba/index/ready.json` like a database keeps a blocked-issues table.
//!
//! The view is keyed by everything the answer depends on: the snapshot's
//! digest (every bead file's content hash), the options, and what the other
//! projects' trackers provide. It also records the span of `now` over which
//! no `defer_until` changes the answer. When all of that matches, the
//! answer is read back instead of decoded and computed again; otherwise it
//! is computed and the view rewritten (best effort: it is derived data).

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::hash::Fnv;
use crate::import::external;
use crate::plan::external::Externals;
use crate::plan::ready::{self, ExternalBlocker, MissingEdge, Options, parse_time};
use crate::store::snapshot::Snapshot;
use crate::store::{Result, Store, atomic, index};

/// The ready set and what `gemba ready` reports beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ready {
    /// Ready bead ids in bd's order.
    pub ids: Vec<String>,
    pub missing: Vec<MissingEdge>,
    pub external: Vec<ExternalBlocker>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct View {
    key: String,
    /// The configured projects the answer looked at (`external:` edges).
    projects: Vec<String>,
    /// The answer holds for `now` in `[from, until)` (RFC 3339; absent:
    /// unbounded), the span between the nearest `defer_until`s.
    from: Option<String>,
    until: Option<String>,
    ready: Ready,
}

/// The ready set of `snapshot` at `now`, from the view when it holds.
pub fn ready(
    store: &Store,
    snapshot: &Snapshot,
    now: Timestamp,
    include_in_progress: bool,
) -> Result<(Ready, bool)> {
    let config = store.config();
    let repo_root = store.root().parent().unwrap_or(store.root());
    let path = view_path(store);
    if let Some(view) = read_view(&path) {
        let externals =
            external::resolve_projects(config, repo_root, view.projects.iter().map(String::as_str));
        let key = key(snapshot, include_in_progress, &externals);
        let after_from = view
            .from
            .as_deref()
            .is_none_or(|f| parse_time(Some(f)).is_some_and(|f| now >= f));
        let before_until = view
            .until
            .as_deref()
            .is_none_or(|u| parse_time(Some(u)).is_some_and(|u| now < u));
        if view.key == key && after_from && before_until {
            return Ok((view.ready, true));
        }
    }
    let beads = snapshot.beads()?;
    let projects = external::needed_projects(config, &beads);
    let externals = external::resolve_projects(config, repo_root, projects.iter().copied());
    let key = key(snapshot, include_in_progress, &externals);
    let options = Options {
        include_in_progress,
        externals,
    };
    let result = ready::ready(&beads, now, &options);
    let answer = Ready {
        ids: result.beads.iter().map(|b| b.id.to_string()).collect(),
        missing: result.missing,
        external: result.external,
        warnings: result.warnings,
    };
    // The nearest deferral boundaries on each side of `now`.
    let (mut from, mut until): (Option<Timestamp>, Option<Timestamp>) = (None, None);
    for t in beads.iter().filter_map(|b| parse_time(b.defer_until)) {
        if t <= now {
            from = from.max(Some(t));
        } else {
            until = Some(until.map_or(t, |u| u.min(t)));
        }
    }
    let view = View {
        key,
        projects: projects.into_iter().map(String::from).collect(),
        from: from.map(|t| t.to_string()),
        until: until.map(|t| t.to_string()),
        ready: answer,
    };
    write_view(&path, &view);
    Ok((view.ready, false))
}

fn key(snapshot: &Snapshot, include_in_progress: bool, externals: &Externals) -> String {
    let externals = serde_json::to_vec(externals).expect("externals serialize");
    let mut h = Fnv::default();
    h.write(b"ready-v1\0")
        .write(snapshot.digest().as_bytes())
        .write(&[u8::from(include_in_progress)])
        .write(&externals);
    format!("{:016x}", h.finish())
}

fn view_path(store: &Store) -> PathBuf {
    store.root().join(index::INDEX_DIR).join("ready.json")
}

fn read_view(path: &Path) -> Option<View> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn write_view(path: &Path, view: &View) {
    let bytes = serde_json::to_vec(view).expect("views serialize");
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir).and_then(|()| atomic::replace_unsynced(path, &bytes));
    }
}
