//! `gemba index status`

use super::super::env::Ctx;
use super::super::error::CliResult;
use super::super::ui;
use crate::analysis::{self, Description, Freshness};

/// Show the source index: backend, the commit it describes, its size, and
/// whether it is fresh.
///
/// Stale when HEAD is not the indexed commit, when an indexed file's
/// content changed, when a source file was added or removed (tracked or
/// untracked in git's index), or when analysis.backend / analysis.command
/// changed; missing when never built or unreadable. Checking stats the
/// indexed files and parses nothing. Exits 0 whatever the state: read
/// `freshness.state` (`fresh`, `stale`, `missing`, `disabled`) with --json.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba index status\n  gemba index status --json | jq -r .freshness.state"
)]
pub struct IndexStatusArgs {}

pub fn run(ctx: &Ctx, _args: IndexStatusArgs) -> CliResult {
    let store = ctx.store()?;
    let description = analysis::open(&store)?.describe();
    if ctx.json {
        ui::json(&description);
    } else {
        ui::out(&render(&description));
    }
    Ok(())
}

fn render(d: &Description) -> String {
    let mut lines: Vec<(&str, String)> = vec![("backend", d.backend.to_string())];
    if !d.command.is_empty() {
        lines.push(("command", crate::analysis::external::display(&d.command)));
    }
    if !matches!(d.freshness, Freshness::Disabled) {
        let commit = |c: &Option<String>| c.clone().unwrap_or_else(|| "-".into());
        lines.push(("commit", commit(&d.commit)));
        lines.push(("head", commit(&d.head)));
        if let Some(at) = &d.built_at {
            lines.push(("built", at.clone()));
        }
        let mut files = d.files.to_string();
        if !d.languages.is_empty() {
            let per: Vec<String> = d
                .languages
                .iter()
                .map(|(lang, n)| format!("{lang} {n}"))
                .collect();
            files.push_str(&format!(" ({})", per.join(", ")));
        }
        lines.push(("files", files));
        let mut edges = d.edges.to_string();
        if d.unresolved > 0 {
            edges.push_str(&format!(" ({} imports unresolved)", d.unresolved));
        }
        lines.push(("edges", edges));
    }
    lines.push(("freshness", d.freshness.line()));
    let mut out = String::new();
    for (key, value) in lines {
        out.push_str(&format!("{key:<10} {value}\n"));
    }
    out
}
