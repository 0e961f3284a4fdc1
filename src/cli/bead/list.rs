use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::model::Enrichment;

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
    /// Only beads tagged with this concept (repeatable: all must match).
    #[arg(long, value_name = "TAG")]
    concept: Vec<String>,
    /// Only beads whose target globs match this path.
    #[arg(long, value_name = "PATH")]
    target: Option<String>,
    /// Only beads with this dispatch status (absent counts as `ready`).
    #[arg(long, value_name = "STATUS")]
    dispatch_status: Option<String>,
    /// Only beads without any enrichment.
    #[arg(long)]
    unenriched: bool,
}

pub fn run(ctx: &Ctx, args: BeadListArgs) -> CliResult {
    let store = ctx.store()?;
    let beads = store.load_beads()?;
    let dispatch_status = args
        .dispatch_status
        .as_deref()
        .map(super::status::parse_status)
        .transpose()?;
    let by_enrichment = args.target.is_some()
        || !args.concept.is_empty()
        || args.dispatch_status.is_some()
        || args.unenriched;
    let enrichments = if by_enrichment {
        store.load_enrichments()?
    } else {
        Default::default()
    };
    let none = Enrichment::default();
    let enrichment_of = |id: &str| enrichments.get(id).unwrap_or(&none);
    let concepts: Vec<String> = args
        .concept
        .iter()
        .map(|c| crate::enrich::ops::normalize_tag(c))
        .collect();
    let target = args
        .target
        .as_deref()
        .map(|t| t.strip_prefix("./").unwrap_or(t));
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
        .filter(|b| !args.unenriched || enrichment_of(&b.id).is_empty())
        .filter(|b| {
            concepts
                .iter()
                .all(|c| enrichment_of(&b.id).concept_names().contains(c))
        })
        .filter(|b| {
            target.is_none_or(|t| {
                enrichment_of(&b.id)
                    .target_globs()
                    .iter()
                    .any(|g| g.matcher().is_match(t))
            })
        })
        .filter(|b| dispatch_status.is_none_or(|s| enrichment_of(&b.id).status() == s))
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
