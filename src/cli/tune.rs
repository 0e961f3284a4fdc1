//! `gemba tune`

use super::env::Ctx;
use super::error::{CliError, CliResult};
use super::ui;
use crate::retro::tune;

/// Set one weight or threshold in .gemba/config.yaml, saying why; logged
/// as a `tune` event with the old and new value.
///
/// KEY is a dotted path as `gemba config show` prints it
/// (scoring.affinity.concept, selection.runway_demotion,
/// calibrate.expected_hours.small). The value must have the key's type and
/// pass the config's own checks, or nothing changes. The file keeps its
/// comments and layout: the key's line is edited in place, or, when the
/// file does not set the key, one line is added under its section.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba tune scoring.affinity_share=0.6 --reason 'picks favour unblocking work'\n  gemba tune selection.runway_demotion=0.7 --reason 'too cautious' --json\n  gemba log --kind tune"
)]
pub struct TuneArgs {
    /// KEY=VALUE, e.g. scoring.affinity.concept=0.3.
    #[arg(value_name = "KEY=VALUE")]
    assignment: String,
    /// Why: kept in the log.
    #[arg(long, short, value_name = "TEXT")]
    reason: String,
}

pub fn run(ctx: &Ctx, args: TuneArgs) -> CliResult {
    let Some((key, value)) = args.assignment.split_once('=') else {
        return Err(CliError::usage(format!(
            "{:?}: expected KEY=VALUE (e.g. scoring.affinity_share=0.6)",
            args.assignment
        )));
    };
    let store = ctx.store()?;
    let mut changes = store.changes();
    let (report, ev) = tune::tune(
        &mut changes,
        key.trim(),
        value,
        &args.reason,
        None,
        Vec::new(),
        &ctx.actor,
        ctx.now,
    )?;
    ui::finished(ctx, changes.finish(&[ev])?);
    if ctx.json {
        ui::json(&report);
    } else {
        ui::out(&format!(
            "{}: {} -> {} ({})\n",
            report.key,
            tune::show(&report.old),
            tune::show(&report.new),
            report.how
        ));
    }
    Ok(())
}
