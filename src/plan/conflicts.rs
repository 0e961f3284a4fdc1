//! The conflict graph: which beads must not run at the same time, each
//! edge typed and with a one-line reason a person can check.

use std::fmt;

use serde::Serialize;

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
    /// Both beads' targets lie in one small package directory.
    Directory,
    /// Same repository and branch, or same worktree.
    Workspace,
}

impl fmt::Display for EdgeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EdgeKind::Target => "target",
            EdgeKind::MayOverlap => "may-overlap",
            EdgeKind::Semantic => "semantic",
            EdgeKind::Directory => "directory",
            EdgeKind::Workspace => "workspace",
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
