//! `gemba leverage`

use serde::Serialize;

use super::env::Ctx;
use super::error::CliResult;
use super::ui;
use crate::model::id;
use crate::plan::leverage::{Graph, leverage};
use crate::store::snapshot::{Parts, Snapshot};

/// How much finishing a bead unblocks: 1 - exp(-k * n).
///
/// `n` counts the open beads it holds back, transitively, by bd's ready
/// rule (`blocks`, `conditional-blocks`, `waits-for`, and a blocked parent
/// holding back its children); `k` is `scoring.leverage_k` (1: one
/// dependent gives 0.632). The line names the first few.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba leverage bd-a1b2\n  gemba leverage bd-a1b2 --json | jq -r '.blocked[]'"
)]
pub struct LeverageArgs {
    /// The bead.
    id: String,
}

#[derive(Serialize)]
struct Report<'a> {
    bead: &'a str,
    leverage: f64,
    count: usize,
    blocked: &'a [&'a str],
    justification: String,
}

pub fn run(ctx: &Ctx, args: LeverageArgs) -> CliResult {
    id::validate(&args.id)?;
    let store = ctx.store()?;
    let snapshot = Snapshot::load(&store, Parts::BEADS)?;
    if !snapshot.contains(&args.id) {
        return Err(crate::store::Error::NotFound {
            kind: "bead",
            id: args.id.clone(),
        }
        .into());
    }
    let heads = snapshot.beads()?;
    let graph = Graph::new(&heads);
    let l = leverage(&graph, &args.id, store.config().scoring.leverage_k);
    if ctx.json {
        ui::json(&Report {
            bead: &args.id,
            leverage: l.value,
            count: l.blocked.len(),
            blocked: &l.blocked,
            justification: l.justification(),
        });
    } else {
        let mut out = format!("{}: {}\n", args.id, l.justification());
        for id in &l.blocked {
            out.push_str(&format!("  {id}\n"));
        }
        ui::out(&out);
    }
    Ok(())
}
