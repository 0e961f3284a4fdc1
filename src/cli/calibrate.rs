//! `gemba calibrate`

use super::env::Ctx;
use super::error::CliResult;
use super::ui;
use crate::retro::calibrate::format_number;
use crate::retro::review;

/// Grade the recommendations: coach picks against what `gemba next`
/// recommended, and estimated sizes against the time beads took to close.
/// Each systematic miss becomes a `tune` suggestion with its evidence;
/// nothing is applied until a person approves it (`gemba suggestions
/// approve`).
///
/// From `gemba pick` decisions (at least calibrate.min_samples of them,
/// calibrate.miss_rate missing the same way): intent_miss (picks leave, or
/// keep to, the session's focus against the recommendation:
/// profile.focus_demotion), leverage_miss (picks trade affinity for
/// leverage, or back: scoring.affinity_share), affinity_drift (one
/// affinity component is lower, or higher, in the picks:
/// scoring.affinity.<component>), runway_over_trust (picks take smaller
/// work than a recommendation that fit the runway:
/// health.runway_calibration). From closed beads: size_drift (a size
/// bucket's median hours from claim to close over calibrate.size_drift
/// times calibrate.expected_hours, or under 1/size_drift: the size
/// thresholds in enrich.*).
///
/// A key with a pending suggestion, or one rejected less than
/// vocab.repropose_after_days ago, gets no new one. Logs one `calibrate`
/// event (not with --dry-run).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba calibrate --dry-run\n  gemba calibrate --json | jq '.findings[] | {kind, change, outcome}'\n  gemba suggestions list --kind tune\n  gemba suggestions approve tune-scoring.affinity_share"
)]
pub struct CalibrateArgs {
    /// Print the findings; write no suggestion and log nothing.
    #[arg(long)]
    dry_run: bool,
}

pub fn run(ctx: &Ctx, args: CalibrateArgs) -> CliResult {
    let store = ctx.store()?;
    let mut changes = store.changes();
    let (report, event) = review::calibrate(&mut changes, args.dry_run, &ctx.actor, ctx.now)?;
    ui::log_problems(ctx, &report.problems);
    if let Some(ev) = event {
        if changes.changed().is_empty() {
            drop(changes);
            ui::finished(ctx, crate::store::log::record(&store, &[ev])?);
        } else {
            ui::finished(ctx, changes.finish(&[ev])?);
        }
    }
    if ctx.json {
        ui::json(&report);
        return Ok(());
    }
    let mut out = String::new();
    for r in &report.findings {
        let f = &r.finding;
        let change = match &f.change {
            Some(c) => format!("{}: {} -> {}", c.key, format_number(c.current), c.value()),
            None => "no change to propose".into(),
        };
        let outcome = match (&r.suggestion, r.outcome) {
            (Some(id), "new") => format!("new suggestion {id}"),
            (Some(id), outcome) => format!("{} ({id})", outcome.replace('_', " ")),
            (None, outcome) => outcome.replace('_', " "),
        };
        out.push_str(&format!("{}  {change}  [{outcome}]\n", f.kind));
        out.push_str(&format!("  {}\n", f.reason));
        let evidence: Vec<String> = f
            .evidence
            .iter()
            .map(|(k, v)| format!("{k} {}", format_number(*v)))
            .collect();
        out.push_str(&format!("  evidence: {}\n", evidence.join(", ")));
        if !f.beads.is_empty() {
            const SHOWN: usize = 6;
            let mut ids = f.beads[..f.beads.len().min(SHOWN)].join(", ");
            if f.beads.len() > SHOWN {
                ids.push_str(&format!(" and {} more", f.beads.len() - SHOWN));
            }
            let what = if f.samples == f.beads {
                "beads"
            } else {
                "picked"
            };
            out.push_str(&format!("  {what}: {ids}\n"));
        }
    }
    if !out.is_empty() {
        ui::out(&out);
    }
    let verb = if report.dry_run {
        "would write"
    } else {
        "wrote"
    };
    let would = report
        .findings
        .iter()
        .filter(|r| r.outcome == "new" || r.outcome == "dry_run")
        .count();
    ui::status(
        ctx,
        &format!(
            "{} findings from {} coach picks and {} closed beads; {verb} {would} suggestions",
            report.findings.len(),
            report.picks,
            report.closed,
        ),
    );
    if !report.new.is_empty() {
        ui::status(ctx, "review them with `gemba suggestions list`");
    }
    Ok(())
}
