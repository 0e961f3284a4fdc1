use super::parse_priority;
use crate::beads::values::Field;
use crate::beads::{self, NewBead};
use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;

/// Create a bead with a fresh hash id (`<prefix>-<hash>`, prefix from
/// `ids.prefix` in config); children of --parent get `<parent>.<n>`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba bead create --title 'Fix login redirect' --type bug --priority 1\n  gemba bead create --title 'Write docs' --parent gm-a1b2 --dep gm-c3d4 --label docs"
)]
pub struct BeadCreateArgs {
    #[arg(long)]
    title: String,
    /// Description.
    #[arg(long, default_value = "")]
    body: String,
    /// 0 (highest) to 4 [default: 2].
    #[arg(long, short, value_parser = parse_priority)]
    priority: Option<u8>,
    /// bug, feature, task, epic, chore, decision, spike, story, milestone,
    /// bd's infrastructure types, or a custom type some bead in the store
    /// has [default: task].
    #[arg(long = "type", short = 't', value_name = "TYPE")]
    issue_type: Option<String>,
    /// Parent bead (adds a parent-child dependency).
    #[arg(long, value_name = "ID")]
    parent: Option<String>,
    /// Depends on ID (repeatable). TYPE: blocks (the default),
    /// conditional-blocks, waits-for, parent-child, or a link (related,
    /// discovered-from, relates-to, replies-to, duplicates, supersedes, or a
    /// custom type some dependency in the store has).
    #[arg(long = "dep", value_name = "ID[:TYPE]")]
    deps: Vec<String>,
    /// Label; repeatable.
    #[arg(long = "label", short = 'l', value_name = "LABEL")]
    labels: Vec<String>,
    #[arg(long)]
    assignee: Option<String>,
}

pub fn run(ctx: &Ctx, args: BeadCreateArgs) -> CliResult {
    let deps = args
        .deps
        .iter()
        .map(|d| beads::parse_dep(d))
        .collect::<Result<Vec<_>, _>>()?;
    let store = ctx.store()?;
    super::check_store_values(
        &store,
        &[
            (
                "type",
                Field::Type,
                args.issue_type.iter().cloned().collect(),
            ),
            (
                "dep",
                Field::DepType,
                deps.iter().map(|d| d.1.clone()).collect(),
            ),
        ],
    )?;
    let mut changes = store.changes();
    let new = NewBead {
        title: args.title,
        description: args.body,
        priority: args.priority,
        issue_type: args.issue_type,
        parent: args.parent,
        deps,
        labels: args.labels,
        assignee: args.assignee,
    };
    let (bead, event) = beads::create(&mut changes, new, &ctx.actor, ctx.now)?;
    ui::finished(ctx, changes.finish(&[event])?);
    if ctx.json {
        ui::json(&bead);
    } else {
        ui::out(&format!("{}\n", bead.id));
        ui::status(ctx, &format!("created {} \"{}\"", bead.id, bead.title));
    }
    Ok(())
}
