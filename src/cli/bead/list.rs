use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;

/// List beads: by default every bead that is not closed.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba bead list\n  gemba bead list --status in_progress --label backend\n  gemba bead list --all --json"
)]
pub struct BeadListArgs {
    /// Only beads with this status (repeatable).
    #[arg(long, short)]
    status: Vec<String>,
    /// Only beads with this label (repeatable: all must match).
    #[arg(long, short)]
    label: Vec<String>,
    /// Only beads of this type (repeatable).
    #[arg(long = "type", short = 't', value_name = "TYPE")]
    issue_type: Vec<String>,
    /// Include closed beads.
    #[arg(long, short)]
    all: bool,
}

pub fn run(ctx: &Ctx, args: BeadListArgs) -> CliResult {
    let store = ctx.store()?;
    let beads = store.load_beads()?;
    let shown: Vec<_> = beads
        .iter()
        .filter(|b| {
            if args.status.is_empty() {
                args.all || b.status != "closed"
            } else {
                args.status.contains(&b.status)
            }
        })
        .filter(|b| args.label.iter().all(|l| b.labels.contains(l)))
        .filter(|b| args.issue_type.is_empty() || args.issue_type.contains(&b.issue_type))
        .collect();
    if ctx.json {
        ui::json(&shown);
    } else {
        let rows = shown
            .iter()
            .map(|b| {
                vec![
                    b.id.clone(),
                    b.status.clone(),
                    format!("P{}", b.priority),
                    b.issue_type.clone(),
                    ui::clip(&b.title, 64),
                ]
            })
            .collect();
        ui::out(&ui::table(&["id", "status", "pri", "type", "title"], rows));
        ui::status(ctx, &format!("{} of {} beads", shown.len(), beads.len()));
    }
    Ok(())
}
