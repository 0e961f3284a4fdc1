//! `gemba index dependents`

use std::path::PathBuf;

use super::super::env::Ctx;
use super::super::error::CliResult;

/// List the files that import PATH (its dependents), from the source
/// index.
///
/// Paths are relative to the current directory (or absolute inside the
/// repository). The dependents of a Go file are the importers of its
/// package. Refuses (exit 1, `index_unavailable`) with the reason when
/// the index is missing or stale: run `gemba index build` first.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba index dependents src/store/mod.rs\n  gemba index dependents pkg/db/db.go --json | jq -r '.results[].files[]'"
)]
pub struct IndexDependentsArgs {
    /// Files to look up.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

pub fn run(ctx: &Ctx, args: IndexDependentsArgs) -> CliResult {
    super::query(ctx, &args.paths, super::Query::Dependents)
}
