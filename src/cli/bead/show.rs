use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::model::Bead;
use crate::plan::ready::{ExternalBlocker, external_blockers};

/// Show one bead: fields, dependencies, labels, text, and its enrichment
/// with the source of each field. An unresolved `external:` dependency is
/// marked with why it still blocks.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba bead show bd-a1b2\n  gemba bead show bd-a1b2 --json | jq .dependencies"
)]
pub struct BeadShowArgs {
    id: String,
}

pub fn run(ctx: &Ctx, args: BeadShowArgs) -> CliResult {
    let store = ctx.store()?;
    let bead = store.read_bead(&args.id)?;
    let enrichment = store.read_enrichment(&args.id)?;
    let repo_root = ctx.gemba_dir.parent().unwrap_or(&ctx.gemba_dir);
    let one = &[crate::model::BeadHead::from(&bead)];
    let externals = crate::import::external::resolve(store.config(), repo_root, one);
    let blockers = external_blockers(one, &externals);
    if ctx.json {
        // The bead's own fields, plus its enrichment under one key (and its
        // unresolved external dependencies, when it has any).
        let mut value = serde_json::to_value(&bead).map_err(crate::cli::error::CliError::user)?;
        value["enrichment"] =
            serde_json::to_value(&enrichment).map_err(crate::cli::error::CliError::user)?;
        if !blockers.is_empty() {
            value["external_blockers"] =
                serde_json::to_value(&blockers).map_err(crate::cli::error::CliError::user)?;
        }
        ui::json(&value);
    } else {
        let mut text = render(&bead, &blockers);
        text.push_str("\nenrichment:\n");
        text.push_str(&super::render_enrichment(&enrichment));
        ui::out(&text);
    }
    Ok(())
}

fn render(b: &Bead, blockers: &[ExternalBlocker]) -> String {
    let mut s = format!("{}  {}\n", b.id, b.title);
    let mut field = |name: &str, value: &str| s.push_str(&format!("  {name:<12} {value}\n"));
    field("status", &b.status);
    field("priority", &format!("P{}", b.priority));
    field("type", &b.issue_type);
    for (name, value) in [
        ("assignee", &b.assignee),
        ("owner", &b.owner),
        ("parent", &b.parent),
        ("created", &b.created_at),
        ("updated", &b.updated_at),
        ("closed", &b.closed_at),
        ("close reason", &b.close_reason),
        ("deferred to", &b.defer_until),
    ] {
        if let Some(v) = value {
            field(name, v);
        }
    }
    if !b.labels.is_empty() {
        field("labels", &b.labels.join(", "));
    }
    if b.ephemeral {
        field("ephemeral", "yes (never ready)");
    }
    if !b.dependencies.is_empty() {
        s.push_str("  depends on\n");
        for d in &b.dependencies {
            let why = blockers
                .iter()
                .find(|x| x.target == d.depends_on_id && x.dep_type == d.dep_type)
                .map(|x| format!("  (unresolved: {})", x.reason))
                .unwrap_or_default();
            s.push_str(&format!(
                "    {:<18} {}{why}\n",
                d.dep_type, d.depends_on_id
            ));
        }
    }
    for (name, text) in [
        ("description", &b.description),
        ("design", &b.design),
        ("acceptance criteria", &b.acceptance_criteria),
        ("notes", &b.notes),
    ] {
        if !text.is_empty() {
            s.push_str(&format!("\n{name}:\n"));
            for line in text.lines() {
                s.push_str(&format!("  {line}\n"));
            }
        }
    }
    if !b.comments.is_empty() {
        s.push_str(&format!("\n{} comment(s)\n", b.comments.len()));
    }
    s
}
