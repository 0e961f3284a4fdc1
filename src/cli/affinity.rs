//! `gemba affinity`

use serde::Serialize;

use super::env::Ctx;
use super::error::CliResult;
use super::ui;
use crate::beads::select::World;
use crate::model::id;
use crate::plan::affinity::{Affinity, Component};
use crate::plan::select::{self, Input, Mode};
use crate::store::snapshot::{Parts, Snapshot};

/// How warm a session is for a bead: the affinity `gemba next` uses.
///
/// The weighted mean (weights in `scoring.affinity` of config.yaml) of:
/// concept overlap with the session's profile (0.7) and its agent's (0.3),
/// 0.5 when either has no history; the bead's targets among the files the
/// session worked on; same repository and branch as the bead's work (1),
/// same repository (0.5); a sibling of a bead the session closed
/// (decaying); a recent bead that shared a concept (decaying over ~10
/// beads); and headroom in the context window (1 below 50% full, 0 from
/// 85%). One line per component says why.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba affinity bd-a1b2 --session s-alice-3k9x\n  gemba affinity bd-a1b2 --session s-alice-3k9x --json | jq .affinity"
)]
pub struct AffinityArgs {
    /// The bead.
    id: String,
    /// The session (`.gemba/sessions/<S>.json`).
    #[arg(long, value_name = "S")]
    session: String,
}

#[derive(Serialize)]
struct Report<'a> {
    bead: &'a str,
    session: &'a str,
    affinity: f64,
    components: &'a [Component],
    justification: Vec<String>,
}

pub fn run(ctx: &Ctx, args: AffinityArgs) -> CliResult {
    id::validate(&args.id)?;
    id::validate(&args.session)?;
    let store = ctx.store()?;
    let snapshot = Snapshot::load(&store, Parts::ALL)?;
    let not_found = || crate::store::Error::NotFound {
        kind: "bead",
        id: args.id.clone(),
    };
    if !snapshot.contains(&args.id) {
        return Err(not_found().into());
    }
    let heads = snapshot.beads()?;
    let world = World::load(&store, &snapshot, ctx.now)?;
    let (session, agent) = super::next::live_session(&world, &args.session)?;
    let others = world.others(&session.id);
    let input = Input {
        beads: &heads,
        ready: &[],
        enrichment: snapshot.enrichments(),
        session,
        agent,
        others: &others,
        claims: &world.claims,
        queued: &world.queued,
        conflicts: &[],
        home: &world.home,
        runway: None,
        config: store.config(),
        mode: Mode::Auto,
        now: ctx.now,
    };
    let affinity = select::explain_affinity(&input, &args.id).ok_or_else(not_found)?;
    if ctx.json {
        ui::json(&Report {
            bead: &args.id,
            session: &args.session,
            affinity: affinity.value,
            components: &affinity.components,
            justification: affinity.justification(),
        });
    } else {
        ui::out(&render(&args.id, &args.session, &affinity));
    }
    Ok(())
}

/// The total, then one row per component.
pub(super) fn render(bead: &str, session: &str, a: &Affinity) -> String {
    let rows = a
        .components
        .iter()
        .map(|c| {
            vec![
                c.name.to_string(),
                format!("{:.2}", c.value),
                format!("{}", c.weight),
                c.why.clone(),
            ]
        })
        .collect();
    format!(
        "affinity of {session} for {bead}: {:.3}\n{}",
        a.value,
        ui::table(&["component", "value", "weight", "why"], rows)
    )
}
