//! `gemba next`

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use super::env::Ctx;
use super::error::{CliError, CliResult, Code, Kind};
use super::ui;
use crate::beads::select::World;
use crate::dispatch::take::{self, MAX_TRIES, Taken};
use crate::model::duration::Duration;
use crate::model::session::SessionStatus;
use crate::model::{Agent, BeadHead, Event, EventKind, Session, id};
use crate::plan::select::{self, Candidate, Mode, Options, Selection};
use crate::profile::health::Advice;
use crate::store::log;
use crate::store::snapshot::Snapshot;

/// Candidates shown (and recorded in the decision event) besides the top.
const ALTERNATIVES: usize = 5;

/// What this session should work on next, and why; with --claim, take it.
///
/// Scores every bead of the ready set for the session: 0.7 x affinity
/// (concept, file, workspace, epic, recency, headroom: `gemba affinity`)
/// plus 0.3 x leverage (what finishing it unblocks: `gemba leverage`). Then
/// the gates, in order, each with its line: dispatch status not `ready`,
/// claimed by another session, a packet for it in a queue already (any
/// agent's, unless this session claimed it), a hard conflict edge with a
/// bead in progress in another session, and an agent that does not fit (its max
/// band below the bead's complexity, a `tool:X` label it lacks, a `role:X`
/// label it does not have) exclude the bead; a runway shorter than the
/// bead's size (x0.5; the runway comes from the session's health), a bead
/// outside the session's focus (x its demotion), an over-qualified agent
/// while a cheaper one that fits is live (x0.7) and a bead that an idle
/// session fits clearly better (x0.8) demote it; time in ready adds a
/// little (at most +0.05). Weights and factors: `scoring:` and
/// `selection:` in config.yaml.
///
/// Prints the best candidate; exits 3 with a why-not summary (`0/12
/// eligible: 5 claimed, 4 awaiting-design, 3 conflict`) when none is left.
/// With --claim it claims the bead like `gemba claim` (the claim file is
/// created with O_EXCL, and with `claims.remote` the remote ref too; the
/// bead goes in_progress, the session has it in hand); a lost race moves
/// on to the next candidate, at most 3 claims in all (candidates claimed
/// since the store was read are passed over without one), and exits 4
/// (`already_taken`) when every try lost. Recycle advice for the chosen
/// bead is shown (advice only: gemba never ends a session). Every call
/// logs one `decision` event with the digest of what it read, the result,
/// the justification and what was claimed, even when nothing is.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba next --session s-alice-3k9x\n  gemba next --session s-alice-3k9x --explain\n  gemba next --session s-alice-3k9x --claim --lease 2h\n  gemba next --session s-alice-3k9x --claim --json | jq -r .bead.id\n  gemba next --session s-alice-3k9x --claim; [ $? -eq 4 ] && echo 'lost every race: ask again'"
)]
pub struct NextArgs {
    /// The session asking (`.gemba/sessions/<S>.json`).
    #[arg(long, value_name = "S")]
    session: String,
    /// Show every score component and gate of the choice, the runners-up
    /// and why the excluded beads were left out.
    #[arg(long)]
    explain: bool,
    /// Claim the bead for the session (the next candidate after a lost
    /// race, at most 3 tries; exit 4 when all are lost).
    #[arg(long)]
    claim: bool,
    /// With --claim: how long the claim holds unless renewed: 30m, 2h, 1d
    /// [default: claims.lease, 2h].
    #[arg(long, value_name = "DURATION", value_parser = super::claim::parse_lease, requires = "claim")]
    lease: Option<Duration>,
}

/// `--json`: the chosen bead, or `null` with the why-not summary.
#[derive(Debug, Serialize)]
struct Report<'a> {
    bead: Option<Value>,
    score: Option<f64>,
    justification: &'a [String],
    claimed: bool,
    /// Excluded beads per reason.
    excluded: BTreeMap<&'static str, usize>,
    why_not: String,
    session: &'a str,
    /// The decision event's id.
    decision: &'a str,
    snapshot: &'a str,
    alternatives: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    excluded_beads: Vec<Value>,
    /// With --claim: the claim made.
    #[serde(skip_serializing_if = "Option::is_none")]
    claim: Option<&'a crate::model::Claim>,
    /// With --claim: each claim tried, in order.
    #[serde(skip_serializing_if = "Option::is_none")]
    tries: Option<&'a [take::Try]>,
    /// Candidates claimed by others since the store was read.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    skipped: &'a [String],
    /// Recycle advice for the chosen bead.
    #[serde(skip_serializing_if = "Option::is_none")]
    advice: Option<&'a Advice>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    warnings: &'a [String],
}

/// The session and its agent; an ended session is refused.
pub(super) fn live_session<'w>(
    world: &'w World,
    session: &str,
) -> CliResult<(&'w Session, &'w Agent)> {
    let (s, agent) = world.session(session)?;
    if s.status != SessionStatus::Live {
        return Err(CliError::invalid_input(format!(
            "session {session} has ended{}",
            s.ended_at
                .as_deref()
                .map(|at| format!(" ({at})"))
                .unwrap_or_default()
        ))
        .hint("start a new one with `gemba session start --agent NAME`"));
    }
    Ok((s, agent))
}

pub(super) use crate::beads::select::{Asking, Loaded};

/// The store, its snapshot and what selection reads besides.
pub(super) fn load(ctx: &Ctx) -> CliResult<Loaded> {
    Ok(Loaded::load(ctx.store()?, ctx.now)?)
}

/// The asking side of a selection for `session`, which must be live.
pub(super) fn asking<'w>(
    ctx: &Ctx,
    loaded: &'w Loaded,
    heads: &[BeadHead<'w>],
    session: &str,
) -> CliResult<Asking<'w>> {
    let (session, agent) = live_session(&loaded.world, session)?;
    Ok(Asking::new(loaded, heads, session, agent, ctx.now))
}

/// What `next` decided, for its event and its report.
struct Outcome<'s, 'a> {
    selection: &'s Selection<'a>,
    /// The bead shown (the top one, or the one claimed).
    chosen: Option<&'s Candidate<'a>>,
    /// With --claim.
    taken: Option<&'s Taken>,
    advice: Option<Advice>,
}

pub fn run(ctx: &Ctx, args: NextArgs) -> CliResult {
    id::validate(&args.session)?;
    let loaded = load(ctx)?;
    let heads = loaded.snapshot.beads()?;
    let asking = asking(ctx, &loaded, &heads, &args.session)?;
    let input = asking.input(&loaded, &heads, ctx.now);
    let explain = match (args.explain, args.claim) {
        (true, _) => ALTERNATIVES + 1,
        (false, true) => MAX_TRIES,
        (false, false) => 1,
    };
    let mut selection = select::select(
        &input,
        &Options {
            explain,
            reasons: false,
        },
    );
    let mut taken = args.claim.then(|| {
        let ids: Vec<&str> = selection.candidates.iter().map(|c| c.id).collect();
        take::take_first(
            &loaded.store,
            &ids,
            loaded.snapshot.claims(),
            &args.session,
            args.lease,
            &ctx.actor,
            ctx.now,
        )
    });
    let chosen_at = match &taken {
        Some(t) => t.won.as_ref().map(|(i, _)| *i),
        None => (!selection.candidates.is_empty()).then_some(0),
    };
    // A claim won past the justified candidates: justify it too (selection
    // is pure, so the same input ranks the same).
    if let Some(i) = chosen_at.filter(|i| *i >= explain) {
        selection = select::select(
            &input,
            &Options {
                explain: i + 1,
                reasons: false,
            },
        );
    }
    let chosen = chosen_at.map(|i| &selection.candidates[i]);
    let advice = chosen.map(|c| asking.advice(&loaded, &selection, c));
    let outcome = Outcome {
        selection: &selection,
        chosen,
        taken: taken.as_ref(),
        advice,
    };
    let event = decision(ctx, &args.session, &loaded, &outcome);
    let event_id = event.id.clone();
    let finished = log::record(&loaded.store, &[event])?;
    ui::finished(ctx, finished);
    let won = taken.as_ref().and_then(|t| t.won.as_ref()).map(|(_, w)| w);
    let warnings = won.map(|w| w.warnings.as_slice()).unwrap_or_default();
    if let Some(w) = won {
        ui::finished(ctx, w.finished.clone());
    }
    for w in warnings {
        ui::warn(ctx, w);
    }

    let why_not = selection.why_not();
    if ctx.json {
        ui::json(&report(
            &args,
            &loaded.snapshot,
            &heads,
            &outcome,
            &why_not,
            &event_id,
            warnings,
        ));
    } else {
        if let Some(t) = &taken {
            for line in lost_lines(t) {
                ui::status(ctx, &line);
            }
        }
        if let Some(c) = chosen {
            let mut text = render(&heads, c, &selection, args.explain);
            if let Some(w) = won {
                let claim = &w.claim;
                text.push_str(&format!(
                    "claimed for {} (agent {}) until {}\n",
                    claim.session, claim.agent, claim.lease_until
                ));
            }
            if let Some(a) = &outcome.advice {
                text.push_str(&render_advice(a, args.explain));
            }
            ui::out(&text);
            ui::status(ctx, &format!("({why_not})"));
        } else if args.explain {
            ui::out(&render_excluded(&selection));
        }
    }
    if let Some(e) = taken.as_mut().and_then(|t| t.error.take()) {
        return Err(e.into());
    }
    match (chosen, &taken) {
        (Some(_), _) => Ok(()),
        (None, None) if selection.candidates.is_empty() && ctx.json => {
            Err(CliError::exit(Kind::NothingToDo))
        }
        (None, Some(t)) if !selection.candidates.is_empty() => {
            let lost: Vec<&str> = t
                .tries
                .iter()
                .map(|t| t.bead.as_str())
                .chain(t.skipped.iter().map(String::as_str))
                .collect();
            Err(CliError::already_taken(format!(
                "{} lost every race it tried ({}): other sessions claimed them first",
                args.session,
                lost.join(", ")
            ))
            .hint("ask again: `gemba next --session S --claim` reads the store anew"))
        }
        (None, _) if ctx.json => Err(CliError::exit(Kind::NothingToDo)),
        (None, _) => Err(CliError::new(
            Code::NothingToDo,
            format!("nothing for {} to do: {why_not}", args.session),
        )
        .hint("`gemba next --explain` lists why each bead was left out")),
    }
}

/// `lost db-1 to s-bob`, one per lost try and skipped candidate.
fn lost_lines(t: &Taken) -> Vec<String> {
    let mut out: Vec<String> = t
        .tries
        .iter()
        .filter(|t| t.outcome != "won")
        .map(|t| match (t.outcome, &t.holder) {
            ("closed", _) => format!("{} was closed meanwhile; moved on", t.bead),
            (_, Some(h)) => format!("lost {} to {h}; moved on", t.bead),
            (_, None) => format!("lost {} to another session; moved on", t.bead),
        })
        .collect();
    if !t.skipped.is_empty() {
        out.push(format!(
            "passed over {} (claimed since the store was read)",
            t.skipped.join(", ")
        ));
    }
    out
}

/// Recycle advice: one line when it advises recycling (every rule's line
/// with --explain).
fn render_advice(a: &Advice, explain: bool) -> String {
    let mut out = String::new();
    if a.recycle {
        let when = if a.after_current_bead {
            "once the bead in hand is done"
        } else {
            "before this bead"
        };
        out.push_str(&format!(
            "advice: recycle the session {when} (gemba never ends one itself)\n"
        ));
    }
    if explain {
        out.push_str("\nrecycle advice:\n");
        for line in &a.justification {
            out.push_str(&format!("  {line}\n"));
        }
    } else if a.recycle {
        for line in a.justification.iter().filter(|l| l.ends_with(": recycle")) {
            out.push_str(&format!("  {line}\n"));
        }
    }
    out
}

/// The decision event: what was read (digests), the result, why, and
/// with --claim what was tried and won.
fn decision(ctx: &Ctx, session: &str, loaded: &Loaded, outcome: &Outcome<'_, '_>) -> Event {
    let selection = outcome.selection;
    let chosen = outcome.chosen;
    let why_not = selection.why_not();
    let won = outcome
        .taken
        .and_then(|t| t.won.as_ref())
        .map(|(_, w)| &w.claim);
    let message = match (chosen, outcome.taken) {
        (Some(c), Some(_)) => format!(
            "next for {session}: claimed {} (score {:.3})",
            c.id, c.score
        ),
        (Some(c), None) => format!("next for {session}: {} (score {:.3})", c.id, c.score),
        (None, Some(t)) if t.error.is_some() => format!(
            "next for {session}: claim failed ({})",
            t.error.as_ref().map(|e| e.to_string()).unwrap_or_default()
        ),
        (None, Some(t)) if !selection.candidates.is_empty() => format!(
            "next for {session}: lost every race ({} tried, {} claimed meanwhile)",
            t.tries.len(),
            t.skipped.len()
        ),
        (None, _) => format!("next for {session}: nothing ({why_not})"),
    };
    let beads = chosen.map(|c| vec![c.id.to_string()]).unwrap_or_default();
    let alternatives: Vec<Value> = others(selection, chosen)
        .take(ALTERNATIVES)
        .map(|c| json!({"id": c.id, "score": round(c.score)}))
        .collect();
    let mut event = Event::new(ctx.now, &ctx.actor, EventKind::Decision, beads, message)
        .with("what", "selection")
        .with("session", session)
        .with("mode", Mode::Auto)
        .with("snapshot", loaded.snapshot.digest())
        .with("inputs", &loaded.world.digest)
        .with("now", crate::model::timestamp(ctx.now))
        .with("result", chosen.map(|c| c.id))
        .with("score", chosen.map(|c| round(c.score)))
        .with(
            "justification",
            chosen
                .map(|c| c.justification.as_slice())
                .unwrap_or_default(),
        )
        .with("alternatives", alternatives)
        .with("excluded", selection.excluded_counts())
        .with("why_not", why_not)
        .with("claimed", won.is_some());
    if let Some(t) = outcome.taken {
        event = event.with("tries", &t.tries);
        if !t.skipped.is_empty() {
            event = event.with("skipped", &t.skipped);
        }
        if let Some(claim) = won {
            event = event.with("lease_until", &claim.lease_until);
        }
        if let Some(e) = &t.error {
            event = event.with("error", e.to_string());
        }
    }
    if let Some(a) = &outcome.advice {
        event = event.with("advice", a);
    }
    event
}

/// The candidates other than the chosen one, best first.
fn others<'s, 'a>(
    selection: &'s Selection<'a>,
    chosen: Option<&'s Candidate<'a>>,
) -> impl Iterator<Item = &'s Candidate<'a>> {
    let skip = chosen.map(|c| c.id);
    selection
        .candidates
        .iter()
        .filter(move |c| Some(c.id) != skip)
}

/// Scores to the thousandth in reports (the lines say the same).
pub(super) fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

pub(super) fn bead_json(heads: &[BeadHead<'_>], id: &str) -> Value {
    match heads.binary_search_by(|b| b.id.cmp(id)) {
        Ok(i) => {
            let b = &heads[i];
            json!({"id": b.id, "title": b.title, "priority": b.priority, "issue_type": b.issue_type})
        }
        Err(_) => json!({ "id": id }),
    }
}

fn report<'a>(
    args: &'a NextArgs,
    snapshot: &'a Snapshot,
    heads: &[BeadHead<'_>],
    outcome: &'a Outcome<'_, '_>,
    why_not: &str,
    event_id: &'a str,
    warnings: &'a [String],
) -> Report<'a> {
    let selection = outcome.selection;
    let chosen = outcome.chosen;
    let won = outcome
        .taken
        .and_then(|t| t.won.as_ref())
        .map(|(_, w)| &w.claim);
    Report {
        bead: chosen.map(|c| bead_json(heads, c.id)),
        score: chosen.map(|c| round(c.score)),
        justification: chosen
            .map(|c| c.justification.as_slice())
            .unwrap_or_default(),
        claimed: won.is_some(),
        excluded: selection.excluded_counts(),
        why_not: why_not.to_string(),
        session: &args.session,
        decision: event_id,
        snapshot: snapshot.digest(),
        alternatives: others(selection, chosen)
            .take(if args.explain { ALTERNATIVES } else { 0 })
            .map(|c| {
                json!({
                    "id": c.id,
                    "score": round(c.score),
                    "affinity": round(c.affinity),
                    "leverage": round(c.leverage),
                    "justification": c.justification,
                })
            })
            .collect(),
        excluded_beads: if args.explain {
            selection
                .excluded
                .iter()
                .map(|e| json!({"id": e.id, "reason": e.reason, "why": e.why}))
                .collect()
        } else {
            Vec::new()
        },
        claim: won,
        tries: outcome.taken.map(|t| t.tries.as_slice()),
        skipped: outcome
            .taken
            .map(|t| t.skipped.as_slice())
            .unwrap_or_default(),
        advice: outcome.advice.as_ref(),
        warnings,
    }
}

fn render(
    heads: &[BeadHead<'_>],
    top: &Candidate<'_>,
    selection: &Selection<'_>,
    explain: bool,
) -> String {
    let title = |id: &str| match heads.binary_search_by(|b| b.id.cmp(id)) {
        Ok(i) => ui::clip(heads[i].title, 70),
        Err(_) => String::new(),
    };
    let mut out = format!("{}  {:.3}  {}\n", top.id, top.score, title(top.id));
    if !explain {
        return out;
    }
    for line in &top.justification {
        out.push_str(&format!("  {line}\n"));
    }
    let rest: Vec<&Candidate> = others(selection, Some(top)).take(ALTERNATIVES).collect();
    if !rest.is_empty() {
        out.push_str("\nrunners-up:\n");
        let rows = rest
            .iter()
            .map(|c| {
                vec![
                    c.id.to_string(),
                    format!("{:.3}", c.score),
                    format!("{:.2}", c.affinity),
                    format!("{:.2}", c.leverage),
                    title(c.id),
                ]
            })
            .collect();
        for line in ui::table(&["id", "score", "affinity", "leverage", "title"], rows).lines() {
            out.push_str(&format!("  {line}\n"));
        }
    }
    out.push_str(&render_excluded(selection));
    out
}

/// Excluded beads by reason, the first few of each with their line.
fn render_excluded(selection: &Selection<'_>) -> String {
    const SHOWN: usize = 3;
    let mut out = String::new();
    let counts = selection.excluded_counts();
    if counts.is_empty() {
        return out;
    }
    out.push_str(&format!("\n{}:\n", selection.why_not()));
    for (reason, n) in counts {
        let of: Vec<_> = selection
            .excluded
            .iter()
            .filter(|e| e.reason == reason)
            .collect();
        out.push_str(&format!("  {reason} ({n})\n"));
        for e in of.iter().take(SHOWN) {
            out.push_str(&format!("    {}: {}\n", e.id, e.why));
        }
        if n > SHOWN {
            out.push_str(&format!("    ... {} more\n", n - SHOWN));
        }
    }
    out
}
