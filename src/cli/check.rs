//! `gemba check`

use super::env::Ctx;
use super::error::{CliError, CliResult, Kind};
use super::ui;

/// Validate every file under `.gemba/`.
///
/// Config, vocabulary, beads, enrichment, suggestions, agents, sessions,
/// claims, queue packets, event log. Reports all problems with
/// `path:line:col`, not just the first; exits 1 when there is any error
/// (warnings alone exit 0). Warns for each dependency on a bead not in the
/// store and each unresolved `external:` dependency.
///
/// Queue packets: each must parse (unknown fields are errors), carry the
/// id its file name says and the agent whose queue it is in, and be in
/// one place only; `after` must not form a cycle (errors). An `after`
/// naming no packet, a queue of an agent without an agent file, a blocked
/// packet whose prerequisites are all done and a leftover tmp/ file are
/// warnings.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  gemba check\n  gemba check --json | jq '.errors[]'")]
pub struct CheckArgs {}

pub fn run(ctx: &Ctx, _args: CheckArgs) -> CliResult {
    if !ctx.gemba_dir.is_dir() {
        return Err(CliError::not_initialized(format!(
            "no gemba state at {}",
            ctx.gemba_dir.display()
        )));
    }
    let report = crate::check::run(&ctx.gemba_dir);
    if ctx.json {
        ui::json(&report);
    } else {
        for p in &report.errors {
            eprintln!(
                "{} {}",
                ui::paint(ctx, "error:", anstyle::AnsiColor::Red),
                show(ctx, p)
            );
        }
        for p in &report.warnings {
            ui::warn(ctx, &show(ctx, p));
        }
        ui::out(&format!(
            "checked {} files ({} beads): {} error(s), {} warning(s)\n",
            report.files_checked,
            report.beads,
            report.errors.len(),
            report.warnings.len()
        ));
    }
    if report.errors.is_empty() {
        Ok(())
    } else {
        Err(CliError::exit(Kind::User))
    }
}

fn show(ctx: &Ctx, p: &crate::check::Problem) -> String {
    let mut p = p.clone();
    p.path = ctx.show_path(&p.path).into_owned().into();
    p.to_string()
}
