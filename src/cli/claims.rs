//! `gemba claims list|sync`

use super::env::Ctx;
use super::error::CliResult;
use super::ui;
use crate::dispatch::claims;

/// Inspect claims, and share them between machines.
#[derive(Debug, clap::Subcommand)]
pub enum ClaimsCommand {
    List(ClaimsListArgs),
    Sync(ClaimsSyncArgs),
}

/// List the claims this machine knows, with holder and lease.
///
/// Its claim files and, after `gemba claims sync`, the other machines'
/// claims on the claims remote (source `remote`). Expired claims are
/// listed too: another session may take them over.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  gemba claims list\n  gemba claims list --json")]
pub struct ClaimsListArgs {}

/// Fetch the other machines' claims from `claims.remote`.
///
/// Copies refs/gemba/claims/* into .gemba/index/remote-claims.json (never
/// committed), so that selection here skips beads held elsewhere. Run it
/// before `gemba next` on a shared remote, or from cron; the claim itself
/// is decided on the remote either way.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  gemba claims sync\n  gemba claims sync --json")]
pub struct ClaimsSyncArgs {}

pub fn run(ctx: &Ctx, cmd: ClaimsCommand) -> CliResult {
    let store = ctx.store()?;
    match cmd {
        ClaimsCommand::List(ClaimsListArgs {}) => {
            let listing = claims::list(&store, ctx.now)?;
            if ctx.json {
                ui::json(&listing);
                return Ok(());
            }
            if listing.claims.is_empty() {
                ui::status(ctx, "no claims");
            } else {
                let rows = listing
                    .claims
                    .iter()
                    .map(|l| {
                        vec![
                            l.claim.bead.clone(),
                            l.claim.session.clone(),
                            l.claim.agent.clone(),
                            l.claim.lease_until.clone(),
                            expiry(l.expires_in),
                            l.source.to_string(),
                        ]
                    })
                    .collect();
                ui::out(&ui::table(
                    &[
                        "bead",
                        "session",
                        "agent",
                        "lease until",
                        "expires",
                        "source",
                    ],
                    rows,
                ));
            }
            if let Some(remote) = &listing.remote {
                let synced = listing.synced_at.as_deref().unwrap_or("never");
                ui::status(
                    ctx,
                    &format!("claims remote {remote}: last synced {synced}"),
                );
            }
            Ok(())
        }
        ClaimsCommand::Sync(ClaimsSyncArgs {}) => {
            let synced = claims::sync(&store, ctx.now)?;
            for w in &synced.warnings {
                ui::warn(ctx, w);
            }
            if ctx.json {
                ui::json(&synced);
            } else {
                ui::out(&format!(
                    "{} claims on {} ({} held by other machines)\n",
                    synced.claims.len(),
                    synced.remote,
                    synced.elsewhere.len()
                ));
            }
            Ok(())
        }
    }
}

/// `in 1h59m`, `expired 5m ago`.
fn expiry(seconds: Option<i64>) -> String {
    let Some(s) = seconds else {
        return "never (unreadable lease)".into();
    };
    let span = |s: i64| match s {
        s if s >= 86_400 => format!("{}d{}h", s / 86_400, s % 86_400 / 3_600),
        s if s >= 3_600 => format!("{}h{}m", s / 3_600, s % 3_600 / 60),
        s if s >= 60 => format!("{}m", s / 60),
        s => format!("{s}s"),
    };
    if s > 0 {
        format!("in {}", span(s))
    } else {
        format!("expired {} ago", span(-s))
    }
}
