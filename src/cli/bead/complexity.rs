use serde::Serialize;

use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::enrich::complexity::{Estimate, estimate};
use crate::enrich::ops;
use crate::model::enrichment::Stamped;
use crate::model::{Band, id};

/// A bead's complexity: trivial, routine, skilled, expert or decompose.
///
/// Shows the estimate and its five components (depth from the size, span
/// from the targets and concepts, risk terms, ambiguity, how hard the
/// result is to verify), and the stored value (`complexity` in the bead's
/// enrichment, which `gemba bead backfill` and `bead extract` fill in).
/// The stored value is what `gemba next` compares with an agent's max
/// band. `--set` pins a value as operator (never replaced by an estimate);
/// `--clear` removes the stored value.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba bead complexity gm-a1b2\n  gemba bead complexity gm-a1b2 --set expert\n  gemba bead complexity gm-a1b2 --json | jq .estimate.band"
)]
pub struct BeadComplexityArgs {
    id: String,
    /// Pin the complexity (stamped `operator`).
    #[arg(long, value_name = "BAND", value_parser = super::one_of(&Band::ALL, Band::as_str), conflicts_with = "clear")]
    set: Option<Band>,
    /// Remove the stored complexity.
    #[arg(long)]
    clear: bool,
}

#[derive(Serialize)]
struct Report<'a> {
    id: &'a str,
    /// What the stored value is, else the estimate.
    band: Band,
    estimate: &'a Estimate,
    stored: Option<&'a Stamped<Band>>,
    changed: bool,
}

pub fn run(ctx: &Ctx, args: BeadComplexityArgs) -> CliResult {
    id::validate(&args.id)?;
    let store = ctx.store()?;
    let bead = store.read_bead(&args.id)?;
    let mut changed = false;
    let enrichment = if args.set.is_some() || args.clear {
        let mut changes = store.changes();
        let (edited, ev) =
            ops::set_complexity(&mut changes, &args.id, args.set, &ctx.actor, ctx.now)?;
        ui::finished(ctx, changes.finish(ev.as_slice())?);
        changed = edited.changed;
        edited.enrichment
    } else {
        store.read_enrichment(&args.id)?
    };
    let estimate = estimate(&bead, &enrichment);
    let stored = enrichment.complexity.as_ref();
    let band = stored.map_or(estimate.band, |s| s.value);
    if ctx.json {
        ui::json(&Report {
            id: &args.id,
            band,
            estimate: &estimate,
            stored,
            changed,
        });
        return Ok(());
    }
    let stored_text = match stored {
        Some(s) => format!(
            "stored {} ({}{})",
            s.value,
            s.source,
            s.updated_at
                .as_deref()
                .map(|t| format!(", {t}"))
                .unwrap_or_default()
        ),
        None => "not stored".into(),
    };
    let rows = estimate
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
    ui::out(&format!(
        "{}: {band}\n  estimate {} (score {:.2}); {stored_text}\n{}",
        args.id,
        estimate.band,
        estimate.score,
        ui::table(&["component", "value", "weight", "why"], rows)
    ));
    if (args.set.is_some() || args.clear) && !changed {
        ui::status(ctx, "nothing changed");
    }
    Ok(())
}
