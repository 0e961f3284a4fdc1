use crate::beads::filter::Filter;
use crate::beads::values::Field;
use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::model::enrichment::DispatchStatus;
use crate::store::snapshot::{Parts, Snapshot};

/// List beads: by default every bead that is not closed.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba bead list\n  gemba bead list --status in_progress --label backend\n  gemba bead list --all --json"
)]
pub struct BeadListArgs {
    /// Only beads with this status (repeatable): open, in_progress, blocked,
    /// deferred, closed, pinned, hooked, or a custom status some bead in the
    /// store has.
    #[arg(long, short)]
    status: Vec<String>,
    /// Only beads with this label (repeatable: all must match).
    #[arg(long, short)]
    label: Vec<String>,
    /// Only beads of this type (repeatable): bug, feature, task, epic,
    /// chore, decision, spike, story, milestone, bd's infrastructure types,
    /// or a custom type some bead in the store has.
    #[arg(long = "type", short = 't', value_name = "TYPE")]
    issue_type: Vec<String>,
    /// Include closed beads.
    #[arg(long, short)]
    all: bool,
    /// Only beads tagged with this concept (repeatable: all must match).
    #[arg(long, value_name = "TAG")]
    concept: Vec<String>,
    /// Only beads whose target globs match this path.
    #[arg(long, value_name = "PATH")]
    target: Option<String>,
    /// Only beads with this dispatch status (absent counts as `ready`).
    #[arg(long, value_name = "STATUS", value_parser = super::one_of(&DispatchStatus::ALL, DispatchStatus::as_str))]
    dispatch_status: Option<DispatchStatus>,
    /// Only beads without any enrichment.
    #[arg(long)]
    unenriched: bool,
}

pub fn run(ctx: &Ctx, args: BeadListArgs) -> CliResult {
    let store = ctx.store()?;
    let vocabulary = store.read_vocabulary()?;
    // Concepts as typed resolve through the vocabulary (aliases included).
    let (concepts, _) =
        crate::model::vocabulary::Resolver::new(&vocabulary).canonical(&args.concept);
    let filter = Filter {
        statuses: args.status,
        all: args.all,
        labels: args.label,
        types: args.issue_type,
        concepts,
        target: args.target,
        dispatch_status: args.dispatch_status,
        unenriched: args.unenriched,
    };
    let parts = Parts {
        enrichment: filter.needs_enrichment(),
        ..Parts::BEADS
    };
    let snapshot = Snapshot::load(&store, parts)?;
    let beads = snapshot.beads()?;
    super::check_values("status", Field::Status, &filter.statuses, &beads)?;
    super::check_values("type", Field::Type, &filter.types, &beads)?;
    let shown = filter.apply(&beads, snapshot.enrichments());
    if ctx.json {
        let ids: Vec<&str> = shown.iter().map(|b| b.id).collect();
        ui::bead_files(&store, &ids)?;
    } else {
        let rows = shown
            .iter()
            .map(|b| {
                vec![
                    b.id.to_string(),
                    b.status.to_string(),
                    format!("P{}", b.priority),
                    b.issue_type.to_string(),
                    ui::clip(b.title, 64),
                ]
            })
            .collect();
        ui::out(&ui::table(&["id", "status", "pri", "type", "title"], rows));
        ui::status(ctx, &format!("{} of {} beads", shown.len(), beads.len()));
    }
    Ok(())
}
