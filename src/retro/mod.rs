//! Retrospective: what really happened after a bead was dispatched.
//!
//! - [`link`] ties commits to beads (pure);
//! - [`divergence`] compares the files a bead touched with its declared
//!   targets (pure);
//! - [`run`] (`gemba retro run`, called by the post-merge hook) retros the
//!   beads a range of commits worked on: corrects their targets, updates
//!   the session's and the agent's profiles, grades the dispatch decision,
//!   and logs one `retro` event per bead;
//! - [`records`] reads those events back (`gemba retro list|show`);
//! - [`learn`] (`gemba retro learn`) records the files every closed bead
//!   touched over the whole history, in one transaction and one
//!   `retro.learn` event;
//! - [`history`] proposes targets from similar closed beads (BM25).
//!
//! Writes `.gemba/enrichment/`, `.gemba/sessions/`, `.gemba/agents/` and the
//! log through the store. Error type [`Error`].

pub mod calibrate;
pub mod divergence;
pub mod history;
pub mod learn;
pub mod link;
pub mod records;
pub mod review;
pub mod run;
pub mod tune;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::git::HistoryCommit;
use crate::model::config::LinkConfig;
use crate::store;

pub use run::{Range, Report, run, run_in};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Git(#[from] crate::git::Error),
    #[error("{0}")]
    Invalid(String),
    #[error("the gemba state at {0} is not in a git worktree: a retrospective reads its commits")]
    NoRepository(String),
    #[error("no retro {0:?}")]
    NotFound(String),
    /// A range or `--since` that names no commit.
    #[error("{spec:?} names no commit in this repository")]
    NoSuchCommit { spec: String },
}

/// The commit `spec` names, or [`Error::NoSuchCommit`].
pub(crate) fn resolve(worktree: &std::path::Path, spec: &str) -> Result<String> {
    crate::git::resolve_commit(worktree, spec).map_err(|e| match e {
        crate::git::Error::Command { .. } => Error::NoSuchCommit {
            spec: spec.to_string(),
        },
        other => other.into(),
    })
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a range of commits did for one bead.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BeadCommits {
    /// The commits linked to it (ids), in walk order.
    pub commits: Vec<String>,
    /// Per commit, the files it changed (gemba's own state left out).
    pub files: BTreeMap<String, Vec<String>>,
    /// The rules that linked them (`trailer`, `token`, `branch`), each once.
    pub rules: BTreeSet<&'static str>,
    /// When its last commit landed on the mainline (Unix seconds): a
    /// merged branch's commits land with their merge.
    pub landed_at: i64,
    /// The mainline merges that brought its commits in.
    pub merges: BTreeSet<String>,
}

impl BeadCommits {
    /// Every file of the given commits (all when `only` is `None`), sorted.
    pub fn files_of(&self, only: Option<&BTreeSet<String>>) -> Vec<String> {
        let mut out: BTreeSet<&String> = BTreeSet::new();
        for (commit, files) in &self.files {
            if only.is_none_or(|o| o.contains(commit)) {
                out.extend(files);
            }
        }
        out.into_iter().cloned().collect()
    }
}

/// Link every commit of `commits` to its beads ([`link::link`], with the
/// branch the history gives), grouped by bead. Files under `state_dir`
/// (`.gemba/`, repository-relative) are not the work: a commit that
/// changed only those (gemba's own auto-commits, whose messages name
/// beads) is not linked at all.
pub fn link_commits(
    commits: &[HistoryCommit],
    state_dir: Option<&str>,
    config: &LinkConfig,
    known: &dyn Fn(&str) -> bool,
) -> BTreeMap<String, BeadCommits> {
    let index: HashMap<&str, usize> = commits
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let prefix = state_dir.map(|d| format!("{}/", d.trim_end_matches('/')));
    let mut out: BTreeMap<String, BeadCommits> = BTreeMap::new();
    for commit in commits {
        let files: Vec<String> = commit
            .files
            .iter()
            .filter(|f| prefix.as_deref().is_none_or(|p| !f.starts_with(p)))
            .cloned()
            .collect();
        if files.is_empty() && !commit.files.is_empty() {
            continue;
        }
        let links = link::link(&commit.message, commit.branch.as_deref(), config, known);
        if links.is_empty() {
            continue;
        }
        let landing = commit
            .landed_by
            .as_deref()
            .and_then(|m| index.get(m))
            .map(|&i| &commits[i]);
        let landed_at = landing.map_or(commit.time, |m| m.time);
        let merge = match landing {
            Some(m) => Some(&m.id),
            None if commit.parents.len() > 1 => Some(&commit.id),
            None => None,
        };
        for l in links {
            let entry = out.entry(l.bead).or_default();
            entry.commits.push(commit.id.clone());
            entry.files.insert(commit.id.clone(), files.clone());
            entry.rules.insert(l.rule.as_str());
            entry.landed_at = entry.landed_at.max(landed_at);
            if let Some(m) = merge {
                entry.merges.insert(m.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(id: &str, message: &str, files: &[&str], branch: Option<&str>) -> HistoryCommit {
        HistoryCommit {
            id: id.into(),
            parents: vec!["p".into()],
            message: message.into(),
            time: 100,
            files: files.iter().map(|s| s.to_string()).collect(),
            mainline: branch.is_none(),
            branch: branch.map(String::from),
            landed_by: None,
        }
    }

    #[test]
    fn links_by_message_and_branch_leaving_out_gemba_commits() {
        let known = |id: &str| ["bd-1", "bd-2"].contains(&id);
        let mut merge = commit("m", "Merge branch 'feat/bd-2'", &["b.rs"], None);
        merge.parents.push("s".into());
        merge.time = 200;
        merge.branch = Some("feat/bd-2".into());
        let mut side = commit("s", "wip", &["b.rs"], Some("feat/bd-2"));
        side.landed_by = Some("m".into());
        let commits = vec![
            commit("a", "fix (bd-1)", &["a.rs", ".gemba/x.json"], None),
            commit(
                "g",
                "gemba: claim bd-1 for s-1",
                &[".gemba/claims/bd-1.json"],
                None,
            ),
            merge,
            side,
            commit("n", "unrelated", &["c.rs"], None),
        ];
        let got = link_commits(&commits, Some(".gemba"), &LinkConfig::default(), &known);
        assert_eq!(got.keys().collect::<Vec<_>>(), ["bd-1", "bd-2"]);
        assert_eq!(got["bd-1"].commits, ["a"]);
        assert_eq!(got["bd-1"].files_of(None), ["a.rs"]);
        assert!(got["bd-1"].merges.is_empty());
        let b2 = &got["bd-2"];
        assert_eq!(b2.commits, ["m", "s"]);
        // The merge's subject names the id (a token), the side commit only
        // its branch.
        assert_eq!(b2.rules.iter().collect::<Vec<_>>(), [&"branch", &"token"]);
        assert_eq!(b2.landed_at, 200);
        assert_eq!(b2.merges.iter().collect::<Vec<_>>(), [&"m"]);
    }
}
