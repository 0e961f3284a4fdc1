//! `gemba pick`

use serde_json::json;

use super::env::Ctx;
use super::error::{CliError, CliResult};
use super::next::{bead_json, round};
use super::ui;
use crate::dispatch::claims::{self, Claimed};
use crate::model::duration::Duration;
use crate::model::{Event, EventKind, id};
use crate::plan::select::{self, Mode, Options};
use crate::store::log;

/// Claim the bead a person chose for a session, and log what `gemba next`
/// would have chosen, for calibration.
///
/// Claims like `gemba next --claim`, but the bead named (one try: exit 4,
/// `already_taken`, when another session holds it; a bead that selection
/// would leave out, e.g. awaiting design or in conflict with work in
/// progress, is claimed anyway, with a warning). One `decision` event
/// (`what: pick`) records the recommendation (what `next --session S`
/// would pick, with its score), the pick (its score and rank among the
/// candidates, or why selection left it out), whether they agree, and the
/// reason given, also when the claim is lost.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba pick gm-a1b2 --session s-alice-3k9x --reason 'she wrote the parser'\n  gemba pick gm-a1b2 --session s-alice-3k9x --json | jq .recommendation\n  gemba log --kind decision --json | jq 'select(.data.what == \"pick\")'"
)]
pub struct PickArgs {
    /// The bead chosen.
    id: String,
    /// The session it goes to.
    #[arg(long, value_name = "S")]
    session: String,
    /// Why this bead and not the recommendation (kept in the log).
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    /// How long the claim holds unless renewed: 30m, 2h, 1d [default:
    /// claims.lease, 2h].
    #[arg(long, value_name = "DURATION", value_parser = super::claim::parse_lease)]
    lease: Option<Duration>,
}

pub fn run(ctx: &Ctx, args: PickArgs) -> CliResult {
    id::validate(&args.id)?;
    id::validate(&args.session)?;
    let loaded = super::next::load(ctx)?;
    let heads = loaded.snapshot.beads()?;
    let head = heads
        .binary_search_by(|b| b.id.cmp(&args.id))
        .map(|i| &heads[i])
        .map_err(|_| crate::store::Error::NotFound {
            kind: "bead",
            id: args.id.clone(),
        })?;
    if head.is_done() {
        return Err(CliError::invalid_input(format!(
            "{} is {}: there is nothing to pick",
            args.id, head.status
        )));
    }
    let asking = super::next::asking(ctx, &loaded, &heads, &args.session)?;
    let input = asking.input(&loaded, &heads, ctx.now);
    let options = |explain| Options {
        explain,
        reasons: false,
    };
    let mut selection = select::select(&input, &options(1));
    let rank = selection.candidates.iter().position(|c| c.id == args.id);
    if let Some(r) = rank.filter(|r| *r > 0) {
        selection = select::select(&input, &options(r + 1));
    }
    let recommended = selection.candidates.first();
    let picked = rank.map(|r| &selection.candidates[r]);
    // Why selection left the pick out: its gate, or not in the ready set.
    let left_out: Option<(&str, String)> = match selection.excluded.iter().find(|e| e.id == args.id)
    {
        Some(e) => Some((e.reason, e.why.clone())),
        None if rank.is_none() => Some((
            "not-ready",
            format!("not in the ready set (status {}, or blocked)", head.status),
        )),
        None => None,
    };
    let advice = picked.map(|c| asking.advice(&loaded, &selection, c));

    let outcome = claims::claim(
        &loaded.store,
        &args.id,
        &args.session,
        args.lease,
        &ctx.actor,
        ctx.now,
    );
    let (won, holder, error) = match outcome {
        Ok(Claimed::Won(won)) => (Some(won), None, None),
        Ok(Claimed::AlreadyTaken { holder }) => (None, holder, None),
        Err(e) => (None, None, Some(e)),
    };

    let recommendation = recommended
        .map(|c| json!({"id": c.id, "score": round(c.score), "justification": c.justification}));
    let pick = json!({
        "id": args.id,
        "rank": rank.map(|r| r + 1),
        "score": picked.map(|c| round(c.score)),
        "justification": picked.map(|c| c.justification.as_slice()).unwrap_or_default(),
        "excluded": left_out.as_ref().map(|(reason, why)| json!({"reason": reason, "why": why})),
    });
    let agreed = recommended.is_some_and(|c| c.id == args.id);
    let reason = args.reason.as_deref().filter(|r| !r.trim().is_empty());
    let vs = match recommended {
        Some(c) if agreed => format!("as recommended, score {:.3}", c.score),
        Some(c) => format!("recommended {}, score {:.3}", c.id, c.score),
        None => format!("nothing recommended: {}", selection.why_not()),
    };
    let verb = match (&won, &error) {
        (Some(_), _) => "claimed",
        (None, Some(_)) => "claim failed",
        (None, None) => "lost",
    };
    let message = format!(
        "pick for {}: {verb} {} ({vs}){}",
        args.session,
        args.id,
        reason.map(|r| format!(": {r}")).unwrap_or_default()
    );
    let mut event = Event::new(
        ctx.now,
        &ctx.actor,
        EventKind::Decision,
        vec![args.id.clone()],
        message,
    )
    .with("what", "pick")
    .with("session", &args.session)
    .with("mode", Mode::Auto)
    .with("snapshot", loaded.snapshot.digest())
    .with("inputs", &loaded.world.digest)
    .with("now", crate::model::timestamp(ctx.now))
    .with("recommendation", &recommendation)
    .with("pick", &pick)
    .with("agreed", agreed)
    .with("reason", reason)
    .with("claimed", won.is_some());
    if let Some(w) = &won {
        event = event.with("lease_until", &w.claim.lease_until);
    }
    if let Some(h) = &holder {
        event = event.with("holder", &h.session);
    }
    if let Some(e) = &error {
        event = event.with("error", e.to_string());
    }
    if let Some(a) = &advice {
        event = event.with("advice", a);
    }
    let event_id = event.id.clone();
    let finished = log::record(&loaded.store, &[event])?;
    ui::finished(ctx, finished);
    if let Some(e) = error {
        return Err(e.into());
    }
    if let Some(w) = &won {
        ui::finished(ctx, w.finished.clone());
        for warning in &w.warnings {
            ui::warn(ctx, warning);
        }
    }
    if let Some((_, why)) = left_out.as_ref().filter(|_| won.is_some()) {
        ui::warn(
            ctx,
            &format!("`gemba next` leaves {} out ({why}): picked anyway", args.id),
        );
    }

    if ctx.json {
        ui::json(&json!({
            "bead": bead_json(&heads, &args.id),
            "claimed": won.is_some(),
            "claim": won.as_ref().map(|w| &w.claim),
            "session": args.session,
            "recommendation": recommendation,
            "pick": pick,
            "agreed": agreed,
            "reason": reason,
            "decision": event_id,
            "advice": advice,
            "warnings": won.as_ref().map(|w| w.warnings.as_slice()).unwrap_or_default(),
        }));
    } else if let Some(w) = &won {
        let c = &w.claim;
        let mut text = format!(
            "claimed {} for {} (agent {}) until {}\n  {vs}",
            c.bead, c.session, c.agent, c.lease_until
        );
        match (picked, rank) {
            (Some(p), Some(r)) if !agreed => {
                text.push_str(&format!("; the pick ranks {} with {:.3}", r + 1, p.score));
            }
            _ => {}
        }
        text.push('\n');
        if let Some(a) = advice.as_ref().filter(|a| a.recycle) {
            text.push_str("advice: recycle the session (gemba never ends one itself)\n");
            for line in a.justification.iter().filter(|l| l.ends_with(": recycle")) {
                text.push_str(&format!("  {line}\n"));
            }
        }
        ui::out(&text);
    }
    match won {
        Some(_) => Ok(()),
        None => Err(super::claim::taken(&args.id, &args.session, holder)),
    }
}
