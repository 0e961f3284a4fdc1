//! `gemba claim`, `gemba release`, `gemba renew`: take a bead for a
//! session, give it back, extend the lease (see `dispatch::claims`).

use super::env::Ctx;
use super::error::{CliError, CliResult};
use super::ui;
use crate::dispatch::claims::{self, Claimed};
use crate::model::Claim;
use crate::model::duration::{self, Duration};

/// Claim a bead for a session: exactly one of several racing sessions wins.
///
/// The bead goes in_progress with the session's agent as assignee. A bead whose claim has expired is taken over (logged as
/// claim.takeover, with the previous holder). With `claims.remote` set,
/// the claim must also win refs/gemba/claims/<id> on that remote; when the
/// remote cannot be reached it fails closed (exit 1, remote_unreachable)
/// unless `claims.on_unreachable: local`. Lost race: exit 4,
/// `already_taken`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba claim gm-a1b2 --session s-alice-3k9x\n  gemba claim gm-a1b2 --session s-alice-3k9x --lease 30m --json\n  gemba claim gm-a1b2 --session s-alice-3k9x; [ $? -eq 4 ] && echo 'taken: pick another'"
)]
pub struct ClaimArgs {
    /// The bead to claim.
    id: String,
    /// The claiming session (`gemba session start` prints its id).
    #[arg(long, short, value_name = "SESSION")]
    session: String,
    /// How long the claim holds unless renewed: 30m, 2h, 1d
    /// [default: claims.lease, 2h].
    #[arg(long, value_name = "DURATION", value_parser = parse_lease)]
    lease: Option<Duration>,
}

/// Release a claim: its holder (`--session`), or anyone with `--force`.
///
/// A bead still in_progress with the holder's agent as assignee
/// goes back to open, unassigned (close the bead first if it is done).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba release gm-a1b2 --session s-alice-3k9x\n  gemba release gm-a1b2 --force --json"
)]
pub struct ReleaseArgs {
    id: String,
    /// The holder's session.
    #[arg(long, short, value_name = "SESSION")]
    session: Option<String>,
    /// Release whoever holds it.
    #[arg(long)]
    force: bool,
}

/// Extend a claim's lease from now: only its holder renews.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba renew gm-a1b2 --session s-alice-3k9x\n  gemba renew gm-a1b2 --session s-alice-3k9x --lease 4h --json"
)]
pub struct RenewArgs {
    id: String,
    /// The holder's session.
    #[arg(long, short, value_name = "SESSION")]
    session: String,
    /// The new lease, from now: 30m, 2h, 1d [default: claims.lease, 2h].
    #[arg(long, value_name = "DURATION", value_parser = parse_lease)]
    lease: Option<Duration>,
}

pub fn parse_lease(text: &str) -> Result<Duration, String> {
    duration::parse(text)
}

pub fn run_claim(ctx: &Ctx, args: ClaimArgs) -> CliResult {
    let store = ctx.store()?;
    match claims::claim(
        &store,
        &args.id,
        &args.session,
        args.lease,
        &ctx.actor,
        ctx.now,
    )? {
        Claimed::AlreadyTaken { holder } => Err(taken(&args.id, &args.session, holder)),
        Claimed::Won(won) => {
            for w in &won.warnings {
                ui::warn(ctx, w);
            }
            ui::finished(ctx, won.finished.clone());
            if ctx.json {
                ui::json(
                    &serde_json::json!({"claimed": true, "claim": &won.claim, "took_over": &won.took_over, "warnings": &won.warnings}),
                );
            } else {
                let c = &won.claim;
                let mut text = format!(
                    "claimed {} for {} (agent {}) until {}{}\n",
                    c.bead,
                    c.session,
                    c.agent,
                    c.lease_until,
                    on_remote(c)
                );
                if let Some(p) = &won.took_over {
                    text.push_str(&format!(
                        "  took over from {} (agent {}), whose lease ended {}\n",
                        p.session, p.agent, p.lease_until
                    ));
                }
                ui::out(&text);
            }
            Ok(())
        }
    }
}

/// Exit 4 naming who holds the bead.
pub(super) fn taken(bead: &str, session: &str, holder: Option<Claim>) -> CliError {
    let message = match holder {
        Some(h) if h.session == session => format!(
            "{bead} is already claimed by this session ({session}) until {}; `gemba renew` extends it",
            h.lease_until
        ),
        Some(h) => format!(
            "{bead} is already claimed by session {} (agent {}) until {}",
            h.session, h.agent, h.lease_until
        ),
        None => format!("{bead} is already claimed by another session"),
    };
    CliError::already_taken(message)
}

fn on_remote(c: &Claim) -> String {
    c.remote
        .as_deref()
        .map(|r| format!(" on {r}"))
        .unwrap_or_default()
}

pub fn run_release(ctx: &Ctx, args: ReleaseArgs) -> CliResult {
    let store = ctx.store()?;
    let released = claims::release(
        &store,
        &args.id,
        args.session.as_deref(),
        args.force,
        &ctx.actor,
        ctx.now,
    )?;
    for w in &released.warnings {
        ui::warn(ctx, w);
    }
    ui::finished(ctx, released.finished.clone());
    if ctx.json {
        ui::json(&released);
    } else {
        let c = &released.claim;
        let forced = if released.forced { ", forced" } else { "" };
        let reopened = if released.reopened {
            format!("; {} is open again", c.bead)
        } else {
            String::new()
        };
        ui::out(&format!(
            "released {} (held by {}{forced}){reopened}\n",
            c.bead, c.session
        ));
    }
    Ok(())
}

pub fn run_renew(ctx: &Ctx, args: RenewArgs) -> CliResult {
    let store = ctx.store()?;
    let renewed = claims::renew(
        &store,
        &args.id,
        &args.session,
        args.lease,
        &ctx.actor,
        ctx.now,
    )?;
    for w in &renewed.warnings {
        ui::warn(ctx, w);
    }
    ui::finished(ctx, renewed.finished.clone());
    if ctx.json {
        ui::json(&renewed);
    } else {
        let c = &renewed.claim;
        ui::out(&format!(
            "renewed {} for {} until {} (was {}){}\n",
            c.bead,
            c.session,
            c.lease_until,
            renewed.previous_lease_until,
            on_remote(c)
        ));
    }
    Ok(())
}
