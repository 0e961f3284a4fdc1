//! `gemba index …`: the source-analysis index (`.gemba/index/imports.bin`,
//! derived and gitignored). Thin: the work is in `crate::analysis`.

mod build;
mod dependents;
mod deps;
mod status;

use serde::Serialize;

use super::env::Ctx;
use super::error::{CliError, CliResult};
use super::ui;
use crate::analysis;

/// Build and query the source index: which files import which.
///
/// The index is the file → file import graph of the repository's main
/// worktree, kept in .gemba/index/ with the commit it describes. The
/// conflict graph uses it for `semantic` edges between beads whose target
/// files import one another.
///
/// A stale index (HEAD moved, an indexed file changed, a source file was
/// added or removed) or a missing one is never used: queries refuse with
/// the reason, and semantic edges are skipped with a one-line note, until
/// `gemba index build` refreshes it.
///
/// The backend is `analysis.backend` in .gemba/config.yaml: `builtin`
/// (Rust, Go, Python, JavaScript/TypeScript imports), `external` (a
/// command of yours; see `gemba index build --help`) or `none`.
#[derive(Debug, clap::Subcommand)]
pub enum IndexCommand {
    Build(build::IndexBuildArgs),
    Status(status::IndexStatusArgs),
    Deps(deps::IndexDepsArgs),
    Dependents(dependents::IndexDependentsArgs),
}

pub fn run(ctx: &Ctx, cmd: IndexCommand) -> CliResult {
    match cmd {
        IndexCommand::Build(args) => build::run(ctx, args),
        IndexCommand::Status(args) => status::run(ctx, args),
        IndexCommand::Deps(args) => deps::run(ctx, args),
        IndexCommand::Dependents(args) => dependents::run(ctx, args),
    }
}

/// Which way a query goes.
#[derive(Debug, Clone, Copy)]
enum Query {
    Dependencies,
    Dependents,
}

/// One path's answer.
#[derive(Debug, Serialize)]
struct Answer {
    path: String,
    /// Whether the index knows the path (an indexed file or an import's
    /// target).
    known: bool,
    files: Vec<String>,
}

#[derive(Debug, Serialize)]
struct QueryReport<'a> {
    query: &'a str,
    commit: Option<String>,
    results: Vec<Answer>,
}

/// The paths as repository paths: relative to the current directory, or
/// absolute inside the worktree.
fn repo_paths(ctx: &Ctx, args: &[std::path::PathBuf]) -> CliResult<Vec<String>> {
    let cwd = ctx.cwd.canonicalize().unwrap_or_else(|_| ctx.cwd.clone());
    let root = crate::git::discover(&cwd)
        .map(|loc| loc.current_worktree)
        .unwrap_or_else(|_| cwd.clone());
    let base = cwd
        .strip_prefix(&root)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default();
    args.iter()
        .map(|arg| {
            analysis::repo_path(&root, &base, arg).ok_or_else(|| {
                CliError::invalid_input(format!(
                    "{}: not a path inside the repository",
                    arg.display()
                ))
            })
        })
        .collect()
}

/// `gemba index deps` / `dependents`: answer from a fresh index, or refuse
/// with the one-line reason.
fn query(ctx: &Ctx, paths: &[std::path::PathBuf], query: Query) -> CliResult {
    let store = ctx.store()?;
    let paths = repo_paths(ctx, paths)?;
    let analysis = analysis::open(&store)?;
    let graph = analysis.graph()?;
    let results: Vec<Answer> = paths
        .into_iter()
        .map(|path| {
            let files = match query {
                Query::Dependencies => graph.dependencies(&path),
                Query::Dependents => graph.dependents(&path),
            };
            Answer {
                known: graph.contains(&path),
                files: files.into_iter().map(String::from).collect(),
                path,
            }
        })
        .collect();
    let name = match query {
        Query::Dependencies => "dependencies",
        Query::Dependents => "dependents",
    };
    if ctx.json {
        ui::json(&QueryReport {
            query: name,
            commit: analysis.describe().commit,
            results,
        });
        return Ok(());
    }
    for answer in results.iter().filter(|a| !a.known) {
        ui::warn(
            ctx,
            &format!(
                "{} is not in the source index (not a tracked source file, nor imported)",
                answer.path
            ),
        );
    }
    if let [one] = results.as_slice() {
        let mut text = String::new();
        for f in &one.files {
            text.push_str(f);
            text.push('\n');
        }
        ui::out(&text);
        if one.files.is_empty() && one.known {
            ui::status(ctx, &format!("{}: no {name}", one.path));
        }
    } else {
        let rows = results
            .iter()
            .flat_map(|a| a.files.iter().map(|f| vec![a.path.clone(), f.clone()]))
            .collect();
        let header = match query {
            Query::Dependencies => ["path", "imports"],
            Query::Dependents => ["path", "imported by"],
        };
        ui::out(&ui::table(&header, rows));
    }
    Ok(())
}
