//! `gemba bead …`: create, show, list, update and close beads.

mod close;
mod create;
mod list;
mod show;
mod update;

use super::env::Ctx;
use super::error::CliResult;

/// Create, inspect and edit beads (work items).
#[derive(Debug, clap::Subcommand)]
pub enum BeadCommand {
    Create(create::BeadCreateArgs),
    Show(show::BeadShowArgs),
    List(list::BeadListArgs),
    Update(update::BeadUpdateArgs),
    Close(close::BeadCloseArgs),
}

pub fn run(ctx: &Ctx, cmd: BeadCommand) -> CliResult {
    match cmd {
        BeadCommand::Create(args) => create::run(ctx, args),
        BeadCommand::Show(args) => show::run(ctx, args),
        BeadCommand::List(args) => list::run(ctx, args),
        BeadCommand::Update(args) => update::run(ctx, args),
        BeadCommand::Close(args) => close::run(ctx, args),
    }
}

/// Parse a priority written as `1` or `P1`.
fn parse_priority(s: &str) -> Result<u8, String> {
    let digits = s.strip_prefix(['P', 'p']).unwrap_or(s);
    match digits.parse::<u8>() {
        Ok(p) if p <= 4 => Ok(p),
        _ => Err(format!("expected a priority 0-4 (or P0-P4), got {s:?}")),
    }
}
