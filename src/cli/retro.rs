//! `gemba retro run|list|show|learn`: the post-merge retrospective and
//! learning targets from history ([`crate::retro`]).

use super::env::Ctx;
use super::error::{CliError, CliResult};
use super::ui;
use crate::retro::{self, Range, records};

/// What really happened after a bead was dispatched.
///
/// A commit belongs to a bead by a `Gemba-Bead: ID` trailer, the bead's id
/// as a whole word of its message, or the branch it was merged from
/// ending in the id (`retro.link` in config.yaml). `retro run` (the
/// post-merge hook runs it) compares each linked bead's files with its
/// declared targets, corrects the targets (unless an operator set them),
/// updates the session's and agent's profiles and grades the dispatch
/// decision; each retro is a `retro` event in the log.
#[derive(Debug, clap::Subcommand)]
pub enum RetroCommand {
    Run(RunArgs),
    List(ListArgs),
    Show(ShowArgs),
    Learn(LearnArgs),
}

/// Retro the beads a range of commits (default: the last merge,
/// ORIG_HEAD..HEAD) worked on.
///
/// For each bead: the files actually touched (a merge against its first
/// parent, a merged branch's commits each against theirs), the declared
/// targets, and the divergence: the share of touched files no declared
/// glob matches, and the share of declared literal paths not touched.
/// Targets are corrected to the files (stamp `retro`) unless an operator
/// set them. Running it again on the same range changes nothing: each
/// retro lists its commits, and commits already covered are skipped.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba retro run                      # ORIG_HEAD..HEAD, after a merge\n  gemba retro run --range main~5..main --json\n  gemba retro run --merge 1a2b3c4"
)]
pub struct RunArgs {
    /// Commits reachable from B but not from A (first-parent line plus
    /// the merged branches' commits).
    #[arg(long, value_name = "A..B", conflicts_with = "merge")]
    range: Option<String>,
    /// One merge commit: itself against its first parent, with the
    /// commits it brought in.
    #[arg(long, value_name = "COMMIT")]
    merge: Option<String>,
}

/// The retros, oldest first.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba retro list\n  gemba retro list --diverged-gt 0.5   # work that went elsewhere than declared\n  gemba retro list --session s-alice-3k9x --json"
)]
pub struct ListArgs {
    /// Only retros whose divergence (the larger of its two shares) is
    /// above this, in [0, 1].
    #[arg(long, value_name = "SHARE")]
    diverged_gt: Option<f64>,
    /// Only retros of this session's work.
    #[arg(long, value_name = "SESSION")]
    session: Option<String>,
}

/// One retro in full: files, targets, divergence, profiles, grade, and
/// the later retros that found rework on the same bead.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba retro show 01JD5X7K2M-3f9a\n  gemba retro show 01JD5X7K2M-3f9a --json"
)]
pub struct ShowArgs {
    /// The retro's id (its event id, as `retro list` shows it).
    id: String,
}

/// Record, from the history, the files each closed bead touched.
///
/// Links every commit since --since (else since the last `retro learn`,
/// else from the root) to its bead, and sets each closed bead's targets to
/// the files its commits changed (stamp `retro`; targets a retro set are
/// extended; an operator's are never touched). One transaction and one
/// `retro.learn` event, whatever the number of commits.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba retro learn                 # incremental: from where the last run got to\n  gemba retro learn --since v1.0 --json"
)]
pub struct LearnArgs {
    /// Start after this commit (exclusive) instead of where the last run
    /// got to.
    #[arg(long, value_name = "REV")]
    since: Option<String>,
}

pub fn run(ctx: &Ctx, cmd: RetroCommand) -> CliResult {
    match cmd {
        RetroCommand::Run(args) => run_retro(ctx, args),
        RetroCommand::List(args) => list(ctx, args),
        RetroCommand::Show(args) => show(ctx, args),
        RetroCommand::Learn(args) => learn(ctx, args),
    }
}

fn run_retro(ctx: &Ctx, args: RunArgs) -> CliResult {
    let range = match (&args.range, &args.merge) {
        (Some(r), _) => Range::parse(r)?,
        (None, Some(m)) => Range::Merge(m.clone()),
        (None, None) => Range::last_merge(),
    };
    let store = ctx.store()?;
    // HEAD and ORIG_HEAD are the worktree's we run in (a linked one too).
    let report = match crate::git::discover(&ctx.cwd) {
        Ok(here) => retro::run_in(&store, &here.current_worktree, &range, &ctx.actor, ctx.now)?,
        Err(_) => retro::run(&store, &range, &ctx.actor, ctx.now)?,
    };
    for w in &report.warnings {
        ui::warn(ctx, w);
    }
    if ctx.json {
        ui::json(&report);
        return Ok(());
    }
    ui::status(
        ctx,
        &format!(
            "{}: {} commit(s), {} linked to beads",
            report.range, report.commits, report.linked_commits
        ),
    );
    for s in &report.skipped {
        ui::status(ctx, &format!("{}: skipped ({})", s.bead, s.reason));
    }
    for id in &report.unknown_beads {
        ui::warn(
            ctx,
            &format!("a trailer names {id:?}, which is no bead here"),
        );
    }
    if report.retros.is_empty() {
        ui::status(ctx, "no new retro");
        return Ok(());
    }
    ui::out(&table(&report.retros));
    Ok(())
}

fn table(retros: &[retro::run::Retro]) -> String {
    let rows = retros
        .iter()
        .map(|r| {
            let d = &r.data;
            vec![
                r.id.clone(),
                r.bead.clone(),
                d.files.len().to_string(),
                format!("{:.2}", d.divergence.score),
                format!("{:.2}", d.divergence.unmatched),
                format!("{:.2}", d.divergence.untouched),
                d.action.clone(),
                d.session.clone().unwrap_or_default(),
            ]
        })
        .collect();
    ui::table(
        &[
            "retro",
            "bead",
            "files",
            "divergence",
            "unmatched",
            "untouched",
            "targets",
            "session",
        ],
        rows,
    )
}

fn list(ctx: &Ctx, args: ListArgs) -> CliResult {
    if let Some(x) = args.diverged_gt
        && !(0.0..=1.0).contains(&x)
    {
        return Err(CliError::invalid_input(format!(
            "--diverged-gt {x}: a share in [0, 1]"
        )));
    }
    let store = ctx.store()?;
    let (events, problems) = crate::store::log::read(&store, None)?;
    ui::log_problems(ctx, &problems);
    let filter = records::Filter {
        diverged_gt: args.diverged_gt,
        session: args.session,
    };
    let (retros, bad) = records::list(&events, &filter);
    for (id, why) in &bad {
        ui::warn(ctx, &format!("retro event {id}: {why}; skipped"));
    }
    if ctx.json {
        ui::json(&retros);
        return Ok(());
    }
    if retros.is_empty() {
        ui::status(ctx, "no retros");
        return Ok(());
    }
    ui::out(&table(&retros));
    Ok(())
}

fn show(ctx: &Ctx, args: ShowArgs) -> CliResult {
    let store = ctx.store()?;
    let (events, problems) = crate::store::log::read(&store, None)?;
    ui::log_problems(ctx, &problems);
    let shown = records::show(&events, &args.id)?;
    if ctx.json {
        ui::json(&shown);
        return Ok(());
    }
    let r = &shown.retro;
    let d = &r.data;
    let list = |items: &[String]| {
        if items.is_empty() {
            "(none)".to_string()
        } else {
            items.join(", ")
        }
    };
    let mut text = format!("retro {} of {} at {} ({})\n", r.id, r.bead, r.at, d.range);
    text.push_str(&format!("commits:    {}\n", list(&d.commits)));
    text.push_str(&format!("linked by:  {}\n", list(&d.rules)));
    text.push_str(&format!("files:      {}\n", list(&d.files)));
    let source = d
        .declared_source
        .map(|s| format!(" ({s})"))
        .unwrap_or_default();
    text.push_str(&format!("declared:   {}{source}\n", list(&d.declared)));
    text.push_str(&format!(
        "divergence: {:.2} (unmatched files {:.2}: {}; untouched paths {:.2}: {})\n",
        d.divergence.score,
        d.divergence.unmatched,
        list(&d.divergence.unmatched_files),
        d.divergence.untouched,
        list(&d.divergence.untouched_paths)
    ));
    text.push_str(&format!("targets:    {}\n", d.action));
    text.push_str(&format!("concepts:   {}\n", list(&d.concepts)));
    text.push_str(&format!(
        "session:    {} (agent {})\n",
        d.session.as_deref().unwrap_or("unknown"),
        d.agent.as_deref().unwrap_or("unknown")
    ));
    text.push_str(&format!("profiles:   {}\n", list(&d.profiles)));
    let g = &d.grade;
    match &g.prediction {
        Some(p) => text.push_str(&format!(
            "predicted:  {} {} at {}: score {}, affinity {}, leverage {}{}\n",
            p.what,
            p.event,
            p.at,
            num(p.score),
            num(p.affinity),
            num(p.leverage),
            if p.conflicts.is_empty() {
                String::new()
            } else {
                format!("; {}", p.conflicts.join("; "))
            }
        )),
        None => text.push_str("predicted:  no logged selection (claimed by hand)\n"),
    }
    let o = &g.outcome;
    text.push_str(&format!(
        "outcome:    claimed {}, landed {}, cycle time {}, rework {} commit(s){}, merge conflicts {}\n",
        o.claimed_at.as_deref().unwrap_or("unknown"),
        o.landed_at,
        o.cycle_time_secs
            .map(|s| format!("{s}s"))
            .unwrap_or_else(|| "unknown".into()),
        o.rework_commits,
        if o.rework_of.is_empty() {
            String::new()
        } else {
            format!(" (after {})", o.rework_of.join(", "))
        },
        match &o.merge_conflicts {
            None => "not detectable (no merge)".to_string(),
            Some(f) if f.is_empty() => "none".to_string(),
            Some(f) => f.join(", "),
        }
    ));
    if !shown.reworked_by.is_empty() {
        text.push_str(&format!("reworked:   {}\n", shown.reworked_by.join(", ")));
    }
    ui::out(&text);
    Ok(())
}

fn num(x: Option<f64>) -> String {
    x.map(|x| format!("{x:.2}")).unwrap_or_else(|| "-".into())
}

fn learn(ctx: &Ctx, args: LearnArgs) -> CliResult {
    let store = ctx.store()?;
    let learned = retro::learn::learn(&store, args.since.as_deref(), &ctx.actor, ctx.now)?;
    for w in &learned.warnings {
        ui::warn(ctx, w);
    }
    if ctx.json {
        ui::json(&learned);
        return Ok(());
    }
    ui::out(&format!(
        "{} commit(s) from {} to {}: {} linked to {} bead(s); closed beads: {} updated, {} unchanged, {} pinned by an operator; {} still open\n",
        learned.commits,
        learned.from.as_deref().unwrap_or("the root"),
        learned.to,
        learned.linked_commits,
        learned.beads,
        learned.updated,
        learned.unchanged,
        learned.pinned,
        learned.open
    ));
    Ok(())
}
