//! `gemba next`

use serde::Serialize;
use serde_json::{Value, json};

use super::env::Ctx;
use super::error::{CliError, CliResult, Code, Kind};
use super::ui;
use crate::beads::select::{World, conflicts};
use crate::model::session::SessionStatus;
use crate::model::{Agent, Event, EventKind, Session, id};
use crate::plan::select::{self, Candidate, Input, Mode, Options, Selection};
use crate::store::log;
use crate::store::snapshot::{Parts, Snapshot};

/// Candidates shown (and recorded in the decision event) besides the top.
const ALTERNATIVES: usize = 5;

/// What this session should work on next, and why.
///
/// Scores every bead of the ready set for the session: 0.7 x affinity
/// (concept, file, workspace, epic, recency, headroom: `gemba affinity`)
/// plus 0.3 x leverage (what finishing it unblocks: `gemba leverage`). Then
/// the gates, in order, each with its line: dispatch status not `ready`,
/// claimed by another session, a hard conflict edge with a bead in
/// progress in another session, and an agent that does not fit (its max
/// band below the bead's complexity, a `tool:X` label it lacks, a `role:X`
/// label it does not have) exclude the bead; a runway shorter than the
/// bead's size (x0.5), a bead outside the session's focus (x its
/// demotion), an over-qualified agent while a cheaper one that fits is
/// live (x0.7) and a bead that an idle session fits clearly better (x0.8)
/// demote it; time in ready adds a little (at most +0.05). Weights and
/// factors: `scoring:` and `selection:` in config.yaml.
///
/// Prints the best candidate; exits 3 with a why-not summary (`0/12
/// eligible: 5 claimed, 4 awaiting-design, 3 conflict`) when none is left.
/// Every call logs a `decision` event with the digest of what it read, the
/// result and the justification, even when nothing is selected.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba next --session s-alice-3k9x\n  gemba next --session s-alice-3k9x --explain\n  gemba next --session s-alice-3k9x --json | jq -r .bead.id"
)]
pub struct NextArgs {
    /// The session asking (`.gemba/sessions/<S>.json`).
    #[arg(long, value_name = "S")]
    session: String,
    /// Show every score component and gate of the choice, the runners-up
    /// and why the excluded beads were left out.
    #[arg(long)]
    explain: bool,
    // Seam for `--claim` (claims): take `selection.candidates` in order,
    // claim each with `create_new` until one wins (at most 3 tries; all
    // lost: exit 4), then set `claimed` in the report and the event.
}

/// `--json`: the chosen bead, or `null` with the why-not summary.
#[derive(Debug, Serialize)]
struct Report<'a> {
    bead: Option<Value>,
    score: Option<f64>,
    justification: &'a [String],
    claimed: bool,
    /// Excluded beads per reason.
    excluded: std::collections::BTreeMap<&'static str, usize>,
    why_not: String,
    session: &'a str,
    /// The decision event's id.
    decision: &'a str,
    snapshot: &'a str,
    alternatives: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    excluded_beads: Vec<Value>,
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

pub fn run(ctx: &Ctx, args: NextArgs) -> CliResult {
    id::validate(&args.session)?;
    let store = ctx.store()?;
    let snapshot = Snapshot::load(&store, Parts::ALL)?;
    let heads = snapshot.beads()?;
    let world = World::load(&store, &snapshot, ctx.now)?;
    let (session, agent) = live_session(&world, &args.session)?;
    let others = world.others(&session.id);
    let ready: Vec<&str> = world.ready.iter().map(String::as_str).collect();
    let held: Vec<&str> = select::held(&session.id, &world.claims, &others, ctx.now)
        .into_keys()
        .collect();
    let edges = conflicts(&store, &snapshot, &heads, &ready, &held);
    let input = Input {
        beads: &heads,
        ready: &ready,
        enrichment: snapshot.enrichments(),
        session,
        agent,
        others: &others,
        claims: &world.claims,
        conflicts: &edges,
        home: &world.home,
        // Seam for the session profile's runway (profile/): unknown until
        // then, so the runway gate says so and demotes nothing.
        runway: None,
        config: store.config(),
        mode: Mode::Auto,
        now: ctx.now,
    };
    let explain = if args.explain { ALTERNATIVES + 1 } else { 1 };
    let selection = select::select(&input, &Options { explain });
    let top = selection.candidates.first();
    let event = decision(ctx, &args.session, &snapshot, &world, &selection);
    let event_id = event.id.clone();
    let finished = log::record(&store, &[event])?;
    ui::finished(ctx, finished);

    let why_not = selection.why_not();
    if ctx.json {
        ui::json(&report(
            &args, &snapshot, &heads, &selection, &why_not, &event_id,
        ));
    } else if let Some(top) = top {
        ui::out(&render(&heads, top, &selection, args.explain));
        ui::status(ctx, &format!("({why_not})"));
    } else if args.explain {
        ui::out(&render_excluded(&selection));
    }
    match top {
        Some(_) => Ok(()),
        None if ctx.json => Err(CliError::exit(Kind::NothingToDo)),
        None => Err(CliError::new(
            Code::NothingToDo,
            format!("nothing for {} to do: {why_not}", args.session),
        )
        .hint("`gemba next --explain` lists why each bead was left out")),
    }
}

/// The decision event: what was read (digests), the result and why.
fn decision(
    ctx: &Ctx,
    session: &str,
    snapshot: &Snapshot,
    world: &World,
    selection: &Selection<'_>,
) -> Event {
    let top = selection.candidates.first();
    let why_not = selection.why_not();
    let message = match top {
        Some(c) => format!("next for {session}: {} (score {:.3})", c.id, c.score),
        None => format!("next for {session}: nothing ({why_not})"),
    };
    let beads = top.map(|c| vec![c.id.to_string()]).unwrap_or_default();
    let alternatives: Vec<Value> = selection
        .candidates
        .iter()
        .skip(1)
        .take(ALTERNATIVES)
        .map(|c| json!({"id": c.id, "score": round(c.score)}))
        .collect();
    Event::new(ctx.now, &ctx.actor, EventKind::Decision, beads, message)
        .with("what", "selection")
        .with("session", session)
        .with("mode", Mode::Auto)
        .with("snapshot", snapshot.digest())
        .with("inputs", &world.digest)
        .with("now", crate::model::timestamp(ctx.now))
        .with("result", top.map(|c| c.id))
        .with("score", top.map(|c| round(c.score)))
        .with(
            "justification",
            top.map(|c| c.justification.as_slice()).unwrap_or_default(),
        )
        .with("alternatives", alternatives)
        .with("excluded", selection.excluded_counts())
        .with("why_not", why_not)
        .with("claimed", false)
}

/// Scores to the thousandth in reports (the lines say the same).
fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn bead_json(heads: &[crate::model::BeadHead<'_>], id: &str) -> Value {
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
    heads: &[crate::model::BeadHead<'_>],
    selection: &'a Selection<'_>,
    why_not: &str,
    event_id: &'a str,
) -> Report<'a> {
    let top = selection.candidates.first();
    Report {
        bead: top.map(|c| bead_json(heads, c.id)),
        score: top.map(|c| round(c.score)),
        justification: top.map(|c| c.justification.as_slice()).unwrap_or_default(),
        claimed: false,
        excluded: selection.excluded_counts(),
        why_not: why_not.to_string(),
        session: &args.session,
        decision: event_id,
        snapshot: snapshot.digest(),
        alternatives: selection
            .candidates
            .iter()
            .skip(1)
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
    }
}

fn render(
    heads: &[crate::model::BeadHead<'_>],
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
    let rest: Vec<&Candidate> = selection
        .candidates
        .iter()
        .skip(1)
        .take(ALTERNATIVES)
        .collect();
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
