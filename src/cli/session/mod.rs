//! `gemba session …`: start, heartbeat, end, hand off, focus, and read a
//! session's status, health and context (`.gemba/sessions/<id>.json`).

mod context;
mod end;
mod focus;
mod handoff;
mod health;
mod heartbeat;
mod start;
mod status;

use crate::cli::ui;
use crate::model::Session;
use crate::profile::health::Health;

/// Working sessions of agents: lifecycle, telemetry, focus and health.
#[derive(Debug, clap::Subcommand)]
pub enum SessionCommand {
    Start(start::SessionStartArgs),
    Heartbeat(heartbeat::SessionHeartbeatArgs),
    End(end::SessionEndArgs),
    Handoff(handoff::SessionHandoffArgs),
    Status(status::SessionStatusArgs),
    Health(health::SessionHealthArgs),
    Focus(focus::SessionFocusArgs),
    Context(context::SessionContextArgs),
}

pub fn run(ctx: &super::env::Ctx, cmd: SessionCommand) -> super::error::CliResult {
    match cmd {
        SessionCommand::Start(args) => start::run(ctx, args),
        SessionCommand::Heartbeat(args) => heartbeat::run(ctx, args),
        SessionCommand::End(args) => end::run(ctx, args),
        SessionCommand::Handoff(args) => handoff::run(ctx, args),
        SessionCommand::Status(args) => status::run(ctx, args),
        SessionCommand::Health(args) => health::run(ctx, args),
        SessionCommand::Focus(args) => focus::run(ctx, args),
        SessionCommand::Context(args) => context::run(ctx, args),
    }
}

/// `0.45 (warn)` or `-`.
pub(super) fn measure(value: Option<f64>, level: crate::profile::health::Level) -> String {
    value.map_or_else(|| "-".into(), |v| format!("{v:.2} ({level})"))
}

/// One line of health: pressure, drift, time on task, runway, level.
fn health_line(h: &Health) -> String {
    format!(
        "pressure {}, drift {}, time on task {:.1} h, runway {}: {}",
        measure(h.pressure, h.pressure_level),
        measure(h.drift, h.drift_level),
        h.time_on_task_hours,
        h.runway.bucket,
        h.level
    )
}

/// Warn that a session still holds a bead (it stays claimed).
fn warn_bead_in_hand(ctx: &super::env::Ctx, session: &Session) {
    if let Some(bead) = &session.telemetry.bead {
        ui::warn(
            ctx,
            &format!(
                "{} still has {bead} in hand; its claim stays until released",
                session.id
            ),
        );
    }
}
