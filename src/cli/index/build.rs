//! `gemba index build`

use std::time::Instant;

use super::super::env::Ctx;
use super::super::error::CliResult;
use super::super::ui;
use crate::analysis::{self, Backend, BuildReport, Progress};

/// Build or refresh the source index (.gemba/index/imports.bin).
///
/// builtin: reads the tracked Rust, Go, Python and JavaScript/TypeScript
/// files (and go.mod, Cargo.toml) of the main worktree, re-parsing only
/// those whose content changed since the last build, and resolves imports
/// to files: Rust `mod x;` and `use crate::/super::/self::` paths (and
/// other crates of the repository by name), Go imports under a go.mod's
/// module (to the package's files), Python `import`/`from … import`
/// (absolute and relative), JS/TS relative `import … from`, `export …
/// from`, `import()` and `require()`. Packages from outside the
/// repository are ignored.
///
/// external: runs analysis.command (argv, no shell) in the repository
/// root and stores the edges it prints (the contract is below). A
/// non-zero exit or other output fails the build (`command_failed`,
/// naming the command) and leaves the previous index alone.
///
/// Exits 3 (`nothing_to_do`) when analysis.backend is none.
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct IndexBuildArgs {}

const AFTER_HELP: &str = "\
The external command must exit 0 and print one JSON object on stdout:
  {\"commit\": \"<the commit it analysed: hex, full or >= 7 digits>\",
   \"edges\": [{\"from\": \"src/a.rs\", \"to\": \"src/b.rs\"}, ...]}
`from` depends on (imports) `to`; paths are repository-relative with `/`
(a leading ./ is dropped; absolute paths and .. are refused); order and
duplicates do not matter; other fields are ignored. The index is stale
while `commit` is not HEAD, and when any tracked file changes.

Examples:
  gemba index build
  gemba index build --json | jq .edges";

/// The progress bar, when there is one.
struct Bar(Option<indicatif::ProgressBar>);

impl Progress for Bar {
    fn start(&self, total: usize) {
        if let Some(bar) = &self.0 {
            bar.set_length(total as u64);
        }
    }

    fn advance(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }
}

pub fn run(ctx: &Ctx, _args: IndexBuildArgs) -> CliResult {
    let store = ctx.store()?;
    let started = Instant::now();
    let bar = Bar(ui::progress(ctx, "indexing"));
    let built = analysis::build(&store, &bar);
    if let Some(bar) = &bar.0 {
        bar.finish_and_clear();
    }
    let report = built?;
    let elapsed = started.elapsed();
    for w in &report.warnings {
        ui::warn(ctx, w);
    }
    if ctx.json {
        let mut value = serde_json::to_value(&report).expect("report serializes");
        value["elapsed_ms"] = serde_json::json!(elapsed.as_millis() as u64);
        ui::json(&value);
    } else {
        ui::out(&summary(&report, elapsed.as_secs_f64()));
    }
    Ok(())
}

fn summary(r: &BuildReport, seconds: f64) -> String {
    let at = r
        .commit
        .as_deref()
        .map_or("(no commit)".to_string(), |c| c.chars().take(7).collect());
    let mut text = match r.backend {
        Backend::External => format!(
            "ran `{}`: {} edges at {at}; {} files stamped",
            analysis::external::display(&r.command),
            r.edges,
            r.files
        ),
        _ => {
            let per: Vec<String> = r
                .languages
                .iter()
                .map(|(lang, n)| format!("{lang} {n}"))
                .collect();
            let mut text = format!(
                "indexed {} files at {at} ({} parsed, {} unchanged): {} edges",
                r.files, r.parsed, r.reused, r.edges
            );
            if !per.is_empty() {
                text.push_str(&format!("; {}", per.join(", ")));
            }
            if r.unresolved > 0 {
                text.push_str(&format!("; {} imports unresolved", r.unresolved));
            }
            text
        }
    };
    if r.missing > 0 {
        text.push_str(&format!(
            "; {} tracked files missing from the worktree",
            r.missing
        ));
    }
    text.push_str(&format!(" in {seconds:.2} s"));
    if !r.written {
        text.push_str(" (index unchanged)");
    }
    text.push('\n');
    text
}
