//! `gemba suggestions …`: the one review queue
//! (`.gemba/suggestions/<id>.yaml`) for vocabulary suggestions (`gemba
//! concepts drift`) and tune suggestions (`gemba calibrate`). Thin: the
//! work is in `crate::retro::review`.

mod approve;
mod list;
mod reject;

use super::env::Ctx;
use super::error::CliResult;

/// Review suggested changes: vocabulary merges, renames and deletions,
/// and config tunings from calibration.
///
/// Nothing is applied without review: approve applies one (a vocabulary
/// change as `gemba concepts approve` does, a tuning as `gemba tune`
/// does), reject records why it was not.
#[derive(Debug, clap::Subcommand)]
pub enum SuggestionsCommand {
    List(list::SuggestionsListArgs),
    Approve(approve::SuggestionsApproveArgs),
    Reject(reject::SuggestionsRejectArgs),
}

pub fn run(ctx: &Ctx, cmd: SuggestionsCommand) -> CliResult {
    match cmd {
        SuggestionsCommand::List(args) => list::run(ctx, args),
        SuggestionsCommand::Approve(args) => approve::run(ctx, args),
        SuggestionsCommand::Reject(args) => reject::run(ctx, args),
    }
}
