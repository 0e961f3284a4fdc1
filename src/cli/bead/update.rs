use super::parse_priority;
use crate::beads::values::Field;
use crate::beads::{self, Patch};
use crate::cli::env::Ctx;
use crate::cli::error::{CliError, CliResult};
use crate::cli::ui;

/// Change fields of a bead. Only the fields given change; a dependency
/// that would close a cycle is rejected with the cycle named.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba bead update gm-a1b2 --status in_progress --assignee alice\n  gemba bead update gm-a1b2 --add-dep gm-c3d4 --add-label backend\n  gemba bead update gm-a1b2 --defer-until 2026-12-01T00:00:00Z"
)]
pub struct BeadUpdateArgs {
    id: String,
    #[arg(long)]
    title: Option<String>,
    /// New description.
    #[arg(long)]
    body: Option<String>,
    #[arg(long)]
    design: Option<String>,
    #[arg(long)]
    acceptance: Option<String>,
    #[arg(long)]
    notes: Option<String>,
    /// open, in_progress, blocked, deferred, closed, pinned, hooked, or a
    /// custom status some bead in the store has.
    #[arg(long, short)]
    status: Option<String>,
    #[arg(long, short, value_parser = parse_priority)]
    priority: Option<u8>,
    /// bug, feature, task, epic, chore, decision, spike, story, milestone,
    /// bd's infrastructure types, or a custom type some bead in the store has.
    #[arg(long = "type", short = 't', value_name = "TYPE")]
    issue_type: Option<String>,
    /// Set the assignee (`--assignee ''` clears it).
    #[arg(long)]
    assignee: Option<String>,
    /// Set the parent (`--parent ''` clears it).
    #[arg(long, value_name = "ID")]
    parent: Option<String>,
    /// RFC 3339 time before which the bead is not ready (`''` clears).
    #[arg(long, value_name = "TIME")]
    defer_until: Option<String>,
    #[arg(long, value_name = "LABEL")]
    add_label: Vec<String>,
    #[arg(long, value_name = "LABEL")]
    remove_label: Vec<String>,
    /// Add a dependency (repeatable); TYPE as in `bead create --dep`
    /// [default: blocks].
    #[arg(long, value_name = "ID[:TYPE]")]
    add_dep: Vec<String>,
    #[arg(long, value_name = "ID")]
    remove_dep: Vec<String>,
}

fn clearable(v: Option<String>) -> Option<Option<String>> {
    v.map(|s| if s.is_empty() { None } else { Some(s) })
}

pub fn run(ctx: &Ctx, args: BeadUpdateArgs) -> CliResult {
    if let Some(s) = &args.status
        && s.trim().is_empty()
    {
        return Err(CliError::usage("--status must not be empty"));
    }
    let add_deps = args
        .add_dep
        .iter()
        .map(|d| beads::parse_dep(d))
        .collect::<Result<Vec<_>, _>>()?;
    let store = ctx.store()?;
    super::check_store_values(
        &store,
        &[
            (
                "status",
                Field::Status,
                args.status.iter().cloned().collect(),
            ),
            (
                "type",
                Field::Type,
                args.issue_type.iter().cloned().collect(),
            ),
            (
                "add-dep",
                Field::DepType,
                add_deps.iter().map(|d| d.1.clone()).collect(),
            ),
        ],
    )?;
    let patch = Patch {
        title: args.title,
        description: args.body,
        design: args.design,
        acceptance_criteria: args.acceptance,
        notes: args.notes,
        status: args.status,
        priority: args.priority,
        issue_type: args.issue_type,
        assignee: clearable(args.assignee),
        parent: clearable(args.parent),
        defer_until: clearable(args.defer_until),
        add_labels: args.add_label,
        remove_labels: args.remove_label,
        add_deps,
        remove_deps: args.remove_dep,
    };
    let mut changes = store.changes();
    let (updated, event) = beads::update(&mut changes, &args.id, patch, &ctx.actor, ctx.now)?;
    ui::finished(ctx, changes.finish(event.as_slice())?);
    if ctx.json {
        ui::json(&updated);
    } else if updated.changed.is_empty() {
        ui::status(ctx, &format!("{}: nothing changed", updated.bead.id));
    } else {
        ui::status(
            ctx,
            &format!(
                "updated {} ({})",
                updated.bead.id,
                updated.changed.join(", ")
            ),
        );
    }
    Ok(())
}
