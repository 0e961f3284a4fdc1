//! `gemba index deps`

use std::path::PathBuf;

use super::super::env::Ctx;
use super::super::error::CliResult;

/// List the files that PATH imports (its dependencies), from the source
/// index.
///
/// Paths are relative to the current directory (or absolute inside the
/// repository). A Go file depends on every non-test file of each package
/// it imports. Refuses (exit 1, `index_unavailable`) with the reason when
/// the index is missing or stale: run `gemba index build` first.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba index deps src/cli/mod.rs\n  gemba index deps src/a.rs src/b.rs --json"
)]
pub struct IndexDepsArgs {
    /// Files to look up.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

pub fn run(ctx: &Ctx, args: IndexDepsArgs) -> CliResult {
    super::query(ctx, &args.paths, super::Query::Dependencies)
}
