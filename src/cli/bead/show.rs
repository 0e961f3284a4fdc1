use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::model::Bead;

/// Show one bead: fields, dependencies, labels, text, and its enrichment
/// with the source of each field.
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
    if ctx.json {
        // The bead's own fields, plus its enrichment under one key.
        let mut value = serde_json::to_value(&bead).map_err(crate::cli::error::CliError::user)?;
        value["enrichment"] =
            serde_json::to_value(&enrichment).map_err(crate::cli::error::CliError::user)?;
        ui::json(&value);
    } else {
        let mut text = render(&bead);
        text.push_str("\nenrichment:\n");
        text.push_str(&super::render_enrichment(&enrichment));
        ui::out(&text);
    }
    Ok(())
}

fn render(b: &Bead) -> String {
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
            s.push_str(&format!("    {:<18} {}\n", d.dep_type, d.depends_on_id));
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
