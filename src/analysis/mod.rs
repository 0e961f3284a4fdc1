//! Source analysis: which files of the repository import which, so the
//! conflict graph can add `semantic` edges between beads whose target
//! files depend on one another. Owns `.gemba/index/imports.bin` (derived,
//! gitignored, rebuilt by `gemba index build`, never the truth). Error type
//! [`Error`].
//!
//! # The trait
//!
//! [`SourceAnalysis`] answers [`dependencies`](SourceAnalysis::dependencies)
//! and [`dependents`](SourceAnalysis::dependents) of a repository path
//! (relative, `/`-separated) and [`describe`](SourceAnalysis::describe)s
//! itself: backend, indexed commit, size and [`Freshness`]. Queries answer
//! only from a fresh index: otherwise they return [`Unavailable`], whose
//! `Display` is the one line to print ("semantic edges skipped: …"). A
//! stale index is never used.
//!
//! [`open`] gives the configured backend (`analysis.backend` in
//! `config.yaml`), loaded and checked; [`build`] (`gemba index build`)
//! refreshes it. All reads happen there: the graph behind a loaded
//! analysis ([`SourceAnalysis::graph`], an [`ImportGraph`]) is plain data
//! that the pure planning layers can take as input.
//!
//! A caller that adds semantic edges (the conflict graph) asks once:
//!
//! ```no_run
//! # fn f(store: &gemba::store::Store) -> Result<(), gemba::analysis::Error> {
//! use gemba::analysis::{self, SourceAnalysis};
//! let analysis = analysis::open(store)?;
//! match analysis.graph() {
//!     // Fresh: plain data; `graph.dependents(path)`, `graph.dependencies(path)`.
//!     Ok(graph) => { let _ = graph.dependents("src/store/mod.rs"); }
//!     // Missing, stale or off: no semantic edges, and this one line says why
//!     // ("semantic edges skipped: the source index is stale (HEAD moved
//!     // from 1a2b3c4 to 5d6e7f8): run `gemba index build`").
//!     Err(skip) => eprintln!("{skip}"),
//! }
//! # Ok(()) }
//! ```
//!
//! # Backends
//!
//! - `builtin` (default): gemba's own import graph of Rust, Go, Python and
//!   JavaScript/TypeScript: [`lang`] extracts imports per file, [`resolve`]
//!   maps them to files (the rules are in its docs). `build` re-parses only
//!   files whose content changed since the last build.
//! - `external`: `analysis.command` (an argv, no shell) is run in the
//!   repository root by `gemba index build`; see [`external`] for its
//!   output contract. Its edges are stored like the built-in ones.
//! - `none`: no analysis ([`Noop`]); every query is unavailable.
//!
//! # Freshness
//!
//! The index records the commit HEAD pointed at when it was built (for
//! `external`, the commit the command reported), and every indexed file's
//! stat stamp and content hash (built-in: the tracked Rust, Go, Python,
//! JS/TS files, `go.mod`s and `Cargo.toml`s; external: every tracked file
//! outside `.gemba/`). It is **stale** when HEAD is another commit, when a
//! file was added to or removed from that set, or when an indexed file's
//! content changed (a file whose stamp changed is re-hashed, as is one
//! stamped within [`crate::store::index::RACY_WINDOW`] of the build: git's
//! racy-clean rule), or when the configured backend or command differs
//! from the one that built it. It is **missing** when there is no index
//! file or it cannot be trusted (damaged, another version). Checking reads
//! HEAD and git's index and stats the indexed files; it parses nothing.
//!
//! The analysis describes the main worktree (the one holding `.gemba/`).

mod builtin;
pub mod external;
pub mod graph;
mod index;
pub mod lang;
pub mod resolve;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use crate::model::config::{AnalysisBackend as Backend, AnalysisConfig};
pub use external::CommandError;
pub use graph::ImportGraph;

use crate::store::Store;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("source analysis needs a git worktree, and {} is in none", .0.display())]
    NoWorktree(PathBuf),
    #[error(transparent)]
    Git(#[from] crate::git::Error),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Command(#[from] CommandError),
    #[error("source analysis is off (analysis.backend: none)")]
    Disabled,
}

/// Whether an analysis can be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum Freshness {
    /// Describes the worktree as it is.
    Fresh,
    /// Built, but the worktree moved on since: never used.
    Stale { reason: String },
    /// Never built, or the index file cannot be trusted.
    Missing { reason: String },
    /// `analysis.backend: none`.
    Disabled,
}

impl Freshness {
    pub fn is_fresh(&self) -> bool {
        matches!(self, Freshness::Fresh)
    }

    /// `fresh`, `stale: HEAD moved from … to …`, ...
    pub fn line(&self) -> String {
        match self {
            Freshness::Fresh => "fresh".into(),
            Freshness::Stale { reason } => format!("stale: {reason}"),
            Freshness::Missing { reason } => format!("missing: {reason}"),
            Freshness::Disabled => "disabled (analysis.backend: none)".into(),
        }
    }
}

/// What `gemba index status` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Description {
    pub backend: Backend,
    /// The external backend's command.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// The commit the index describes (`None`: never built, or built on an
    /// unborn branch).
    pub commit: Option<String>,
    /// HEAD now.
    pub head: Option<String>,
    /// When the index was built (RFC 3339, UTC).
    pub built_at: Option<String>,
    /// Files indexed (built-in: source files and manifests; external:
    /// tracked files).
    pub files: usize,
    /// Import edges (file → file).
    pub edges: usize,
    /// Imports that should name a file of the repository but name none
    /// (built-in only).
    pub unresolved: usize,
    /// Indexed files per language (built-in only).
    pub languages: BTreeMap<String, usize>,
    pub freshness: Freshness,
}

impl Description {
    fn disabled() -> Description {
        Description {
            backend: Backend::None,
            command: Vec::new(),
            commit: None,
            head: None,
            built_at: None,
            files: 0,
            edges: 0,
            unresolved: 0,
            languages: BTreeMap::new(),
            freshness: Freshness::Disabled,
        }
    }
}

/// Why a query has no answer: the analysis is not fresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable {
    pub freshness: Freshness,
}

impl Unavailable {
    /// One line for a command that refuses to answer: what is wrong and
    /// what to run.
    pub fn reason(&self) -> String {
        match &self.freshness {
            Freshness::Stale { reason } => {
                format!("the source index is stale ({reason}): run `gemba index build`")
            }
            Freshness::Missing { reason } => format!("{reason}: run `gemba index build`"),
            Freshness::Disabled => "source analysis is off (analysis.backend: none)".into(),
            Freshness::Fresh => "the source index is fresh".into(),
        }
    }
}

/// The line a command prints when it leaves semantic edges out.
impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "semantic edges skipped: {}", self.reason())
    }
}

impl std::error::Error for Unavailable {}

/// A source analysis, loaded and checked (see the module docs).
pub trait SourceAnalysis {
    /// Backend, indexed commit, size and freshness.
    fn describe(&self) -> Description;

    /// The import graph, only when it is fresh.
    fn graph(&self) -> Result<&ImportGraph, Unavailable>;

    /// The files `path` imports, sorted (empty for a file the analysis
    /// does not know).
    fn dependencies(&self, path: &str) -> Result<Vec<String>, Unavailable> {
        let graph = self.graph()?;
        Ok(graph
            .dependencies(path)
            .into_iter()
            .map(String::from)
            .collect())
    }

    /// The files that import `path`, sorted.
    fn dependents(&self, path: &str) -> Result<Vec<String>, Unavailable> {
        let graph = self.graph()?;
        Ok(graph
            .dependents(path)
            .into_iter()
            .map(String::from)
            .collect())
    }

    /// The files that import any of `paths` (a bead's target files).
    fn dependents_of_all(&self, paths: &[&str]) -> Result<BTreeSet<String>, Unavailable> {
        let graph = self.graph()?;
        Ok(paths
            .iter()
            .flat_map(|p| graph.dependents(p))
            .map(String::from)
            .collect())
    }
}

/// `analysis.backend: none`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Noop;

impl SourceAnalysis for Noop {
    fn describe(&self) -> Description {
        Description::disabled()
    }

    fn graph(&self) -> Result<&ImportGraph, Unavailable> {
        Err(Unavailable {
            freshness: Freshness::Disabled,
        })
    }
}

/// A stored index (built-in or external), with its freshness as checked
/// when it was loaded.
#[derive(Debug, Clone)]
pub struct Indexed {
    description: Description,
    graph: ImportGraph,
}

impl Indexed {
    /// An analysis over `graph`, as `description` says (tests and callers
    /// that hold a graph of their own).
    pub fn new(description: Description, graph: ImportGraph) -> Indexed {
        Indexed { description, graph }
    }

    /// A fresh analysis over these edges, for tests of the layers that use
    /// one.
    pub fn fresh<S: AsRef<str>>(edges: impl IntoIterator<Item = (S, S)>) -> Indexed {
        let graph = ImportGraph::from_edges(edges);
        let description = Description {
            backend: Backend::Builtin,
            files: graph.node_count(),
            edges: graph.edge_count(),
            freshness: Freshness::Fresh,
            ..Description::disabled()
        };
        Indexed { description, graph }
    }
}

impl SourceAnalysis for Indexed {
    fn describe(&self) -> Description {
        self.description.clone()
    }

    fn graph(&self) -> Result<&ImportGraph, Unavailable> {
        match &self.description.freshness {
            Freshness::Fresh => Ok(&self.graph),
            other => Err(Unavailable {
                freshness: other.clone(),
            }),
        }
    }
}

/// The worktree the analysis describes: the one holding `.gemba/`.
fn worktree(store: &Store) -> Result<&Path, Error> {
    store
        .worktree()
        .ok_or_else(|| Error::NoWorktree(store.root().to_path_buf()))
}

/// The configured analysis, loaded from `.gemba/index/` and checked
/// against the worktree. A missing or damaged index is not an error: it
/// is [`Freshness::Missing`]. Fails only when git cannot be read.
pub fn open(store: &Store) -> Result<Box<dyn SourceAnalysis>, Error> {
    let config = &store.config().analysis;
    if config.backend == Backend::None {
        return Ok(Box::new(Noop));
    }
    let worktree = worktree(store)?;
    let now = crate::git::worktree_files(worktree)?;
    let path = crate::store::index::analysis_path(store);
    Ok(Box::new(index::load(&path, config, worktree, &now)))
}

/// Told how a build advances (a progress bar). Called from several
/// threads.
pub trait Progress: Sync {
    /// The number of files to look at.
    fn start(&self, _total: usize) {}
    /// One more file looked at.
    fn advance(&self) {}
}

impl Progress for () {}

/// What `gemba index build` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildReport {
    pub backend: Backend,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// The commit indexed (external: as the command reported it).
    pub commit: Option<String>,
    /// HEAD when the build started.
    pub head: Option<String>,
    /// Files indexed.
    pub files: usize,
    /// Files read and parsed (new or changed since the last build).
    pub parsed: usize,
    /// Files taken from the last build unchanged.
    pub reused: usize,
    /// Tracked files missing from the worktree (indexed as absent).
    pub missing: usize,
    pub edges: usize,
    pub unresolved: usize,
    pub languages: BTreeMap<String, usize>,
    /// The index file was rewritten (nothing changed otherwise).
    pub written: bool,
    pub warnings: Vec<String>,
}

/// Refresh the configured analysis (`gemba index build`): the built-in
/// backend re-parses the files that changed; the external one runs its
/// command. [`Error::Disabled`] for `none`.
pub fn build(store: &Store, progress: &dyn Progress) -> Result<BuildReport, Error> {
    let config = &store.config().analysis;
    let path = crate::store::index::analysis_path(store);
    match config.backend {
        Backend::None => Err(Error::Disabled),
        Backend::Builtin => builtin::build(worktree(store)?, &path, progress),
        Backend::External => external::build(worktree(store)?, &path, &config.command, progress),
    }
}

/// A path argument as a repository path: `rel` (relative to `base`, a
/// directory given relative to the repository root, or absolute below
/// `root`) with `.` and `..` resolved and `/` separators. `None` when it
/// leaves the repository.
pub fn repo_path(root: &Path, base: &str, arg: &Path) -> Option<String> {
    let joined = if arg.is_absolute() {
        arg.strip_prefix(root)
            .ok()?
            .to_string_lossy()
            .replace('\\', "/")
    } else {
        let arg = arg.to_string_lossy().replace('\\', "/");
        if base.is_empty() {
            arg
        } else {
            format!("{base}/{arg}")
        }
    };
    resolve::normalize(&joined).filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_answer_only_when_fresh() {
        let fresh = Indexed::fresh([("b.rs", "a.rs"), ("c.rs", "a.rs")]);
        assert_eq!(fresh.dependents("a.rs").unwrap(), ["b.rs", "c.rs"]);
        assert_eq!(fresh.dependencies("b.rs").unwrap(), ["a.rs"]);
        assert_eq!(
            fresh.dependents_of_all(&["a.rs", "b.rs"]).unwrap(),
            BTreeSet::from(["b.rs".to_string(), "c.rs".to_string()])
        );
        let mut description = fresh.describe();
        description.freshness = Freshness::Stale {
            reason: "HEAD moved from 1111111 to 2222222".into(),
        };
        let stale = Indexed::new(description, fresh.graph().unwrap().clone());
        let err = stale.dependents("a.rs").unwrap_err();
        assert_eq!(
            err.to_string(),
            "semantic edges skipped: the source index is stale (HEAD moved from 1111111 to 2222222): run `gemba index build`"
        );
        assert!(stale.dependencies("b.rs").is_err());
        assert_eq!(
            Noop.dependents("a.rs").unwrap_err().to_string(),
            "semantic edges skipped: source analysis is off (analysis.backend: none)"
        );
        assert_eq!(Noop.describe().freshness, Freshness::Disabled);
        for line in [
            err.to_string(),
            Noop.graph().unwrap_err().to_string(),
            Unavailable {
                freshness: Freshness::Missing {
                    reason: "no source index yet".into(),
                },
            }
            .to_string(),
        ] {
            assert!(!line.contains('\n'), "{line}");
        }
    }

    #[test]
    fn path_arguments() {
        let root = Path::new("/repo");
        for (base, arg, want) in [
            ("", "src/a.rs", Some("src/a.rs")),
            ("src", "a.rs", Some("src/a.rs")),
            ("src/x", "../a.rs", Some("src/a.rs")),
            ("", "./src//a.rs", Some("src/a.rs")),
            ("", "../outside.rs", None),
            ("", ".", None),
            ("src", "/repo/lib/b.rs", Some("lib/b.rs")),
            ("", "/elsewhere/b.rs", None),
        ] {
            assert_eq!(
                repo_path(root, base, Path::new(arg)).as_deref(),
                want,
                "{base} {arg}"
            );
        }
    }
}
