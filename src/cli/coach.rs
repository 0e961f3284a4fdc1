//! `gemba coach`

use super::env::Ctx;
use super::error::{CliError, CliResult};
use super::session::measure;
use super::ui;
use crate::beads::conflicts::hard_edges;
use crate::beads::select::conflicts;
use crate::dispatch::coach::{self, Coach, Inputs, Row};
use crate::model::id;
use crate::plan::select;

/// For a person dispatching by hand: every live session, and every ready
/// bead scored for each of them.
///
/// The context strip: one card per live session (agent, context pressure
/// and drift with their levels, runway, the bead in hand and for how long,
/// focus). The dispatch grid: ready beads (rows, best first) by live
/// sessions (columns, numbered as in the strip); each cell is the bead's
/// score for that session as `gemba next` would compute it (`!`: the agent
/// does not fit it, a warning here where `next` would exclude it; `-`:
/// excluded, e.g. claimed or in conflict with work in progress), and BEST
/// names the best column with the one reason that says most about its
/// score. Beads joined by hard conflict edges share a group letter: give
/// them to one session, or one at a time. `--limit` and `--sessions`
/// trim the table, never `--json`, which has every card, row and cell.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba coach\n  gemba coach --limit 50 --sessions 12\n  gemba coach --session s-alice-3k9x --session s-bob-7m2q\n  gemba coach --json | jq '.beads[0].best'"
)]
pub struct CoachArgs {
    /// Show at most this many beads (0: all).
    #[arg(long, default_value_t = 20, value_name = "N")]
    limit: usize,
    /// Show at most this many session columns (0: all).
    #[arg(long, default_value_t = 8, value_name = "N")]
    sessions: usize,
    /// Show only these sessions' columns (repeatable).
    #[arg(long, value_name = "S")]
    session: Vec<String>,
}

pub fn run(ctx: &Ctx, args: CoachArgs) -> CliResult {
    for s in &args.session {
        id::validate(s)?;
    }
    let loaded = super::next::load(ctx)?;
    let heads = loaded.snapshot.beads()?;
    let world = &loaded.world;
    for s in &args.session {
        super::next::live_session(world, s)?;
    }
    let ready: Vec<&str> = world.ready.iter().map(String::as_str).collect();
    // What any live session holds: each session's conflict gate keeps the
    // edges to beads held by the others.
    let everyone = world.others("");
    let held: Vec<&str> = select::held("", &world.claims, &everyone, ctx.now)
        .into_keys()
        .collect();
    let held_edges = conflicts(&loaded.store, &loaded.snapshot, &heads, &ready, &held);
    let wanted: crate::plan::Set<&str> = ready.iter().copied().collect();
    let ready_heads: Vec<_> = heads.iter().filter(|b| wanted.contains(b.id)).collect();
    let ready_edges = hard_edges(&loaded.store, &loaded.snapshot, &ready_heads);
    let page = coach::coach(&Inputs {
        beads: &heads,
        ready: &ready,
        enrichment: loaded.snapshot.enrichments(),
        world,
        held_edges: &held_edges,
        ready_edges: &ready_edges,
        config: loaded.store.config(),
        now: ctx.now,
    });
    if ctx.json {
        ui::json(&page);
        return Ok(());
    }
    if page.sessions.is_empty() {
        return Err(CliError::invalid_input("no live sessions to coach")
            .hint("start one with `gemba session start --agent NAME`"));
    }
    ui::out(&render(&page, &args));
    Ok(())
}

fn render(page: &Coach, args: &CoachArgs) -> String {
    let mut out = format!("{}\n", count(page.sessions.len(), "live session"));
    let cards = page
        .sessions
        .iter()
        .map(|c| {
            let h = &c.health;
            vec![
                c.column.to_string(),
                c.session.clone(),
                c.agent.clone(),
                measure(h.pressure, h.pressure_level),
                measure(h.drift, h.drift_level),
                h.runway.bucket.to_string(),
                match (&h.bead, h.bead_hours) {
                    (Some(b), Some(hours)) => format!("{b} ({hours:.1} h)"),
                    (Some(b), None) => b.clone(),
                    _ => "-".into(),
                },
                c.focus.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let table = ui::table(
        &[
            "#", "session", "agent", "pressure", "drift", "runway", "in hand", "focus",
        ],
        cards,
    );
    for line in table.lines() {
        out.push_str(&format!("  {line}\n"));
    }

    // Columns: the sessions asked for, else the first `--sessions`.
    let columns: Vec<usize> = page
        .sessions
        .iter()
        .enumerate()
        .filter(|(_, c)| args.session.is_empty() || args.session.contains(&c.session))
        .map(|(i, _)| i)
        .take(if args.sessions == 0 {
            usize::MAX
        } else {
            args.sessions
        })
        .collect();
    let rows: Vec<&Row> = page
        .beads
        .iter()
        .take(if args.limit == 0 {
            usize::MAX
        } else {
            args.limit
        })
        .collect();
    out.push_str(&format!(
        "\ndispatch grid: {} x {} (score per session; ! the agent does not fit it; - excluded)\n",
        count(page.ready, "ready bead"),
        count(page.sessions.len(), "session")
    ));
    let mut header: Vec<String> = vec!["grp".into(), "bead".into()];
    header.extend(columns.iter().map(|i| page.sessions[*i].column.to_string()));
    header.push("best".into());
    let table_rows = rows
        .iter()
        .map(|r| {
            let mut row = vec![r.group.clone().unwrap_or_default(), r.id.clone()];
            for i in &columns {
                row.push(match r.cells.get(*i) {
                    Some(c) => match c.score {
                        Some(s) if c.warning => format!("{s:.3}!"),
                        Some(s) => format!("{s:.3}"),
                        None => "-".into(),
                    },
                    None => String::new(),
                });
            }
            row.push(match (&r.best, r.cells.first()) {
                (Some(b), _) => ui::clip(&format!("{}: {}", b.column, b.reason), 60),
                (None, Some(c)) => ui::clip(&format!("none: {}", c.reason), 60),
                (None, None) => "none".into(),
            });
            row
        })
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    for line in ui::table(&header, table_rows).lines() {
        out.push_str(&format!("  {line}\n"));
    }
    let (shown_rows, shown_cols) = (rows.len(), columns.len());
    if shown_rows < page.beads.len() || shown_cols < page.sessions.len() {
        out.push_str(&format!(
            "  (showing {shown_rows} of {} beads and {shown_cols} of {} sessions: --limit 0 --sessions 0 for all, or --json)\n",
            page.beads.len(),
            page.sessions.len()
        ));
    }
    if !page.groups.is_empty() {
        out.push_str("\nconflict groups (hard edges: not at the same time):\n");
        for g in &page.groups {
            let why = g
                .edges
                .first()
                .map(|e| format!(": {} {}", e.kind, ui::clip(&e.reason, 70)))
                .unwrap_or_default();
            const SHOWN: usize = 8;
            let mut beads = g.beads[..g.beads.len().min(SHOWN)].join(", ");
            if g.beads.len() > SHOWN {
                beads.push_str(&format!(" and {} more", g.beads.len() - SHOWN));
            }
            out.push_str(&format!("  {}  {beads}{why}\n", g.group));
        }
    }
    out
}

/// `1 session`, `2 sessions`.
fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}
