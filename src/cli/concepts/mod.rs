//! `gemba concepts …`: the controlled concept vocabulary
//! (`.gemba/vocabulary.yaml`) and its review queue
//! (`.gemba/suggestions/<id>.yaml`). Thin: the work is in `crate::vocab`.

mod approve;
mod bootstrap;
mod drift;
mod list;
mod log;
mod reject;
mod review;

use super::env::Ctx;
use super::error::CliResult;
use super::ui;
use crate::model::suggestion::Suggestion;

/// Manage the concept vocabulary.
///
/// Propose terms from the repository, count their use, and review
/// suggested merges, renames and deletions.
///
/// Suggestions are files in .gemba/suggestions/; `drift` writes them,
/// a person approves or rejects them. Nothing changes the vocabulary
/// without review (except `bootstrap`, which only adds terms).
#[derive(Debug, clap::Subcommand)]
pub enum ConceptsCommand {
    Bootstrap(bootstrap::ConceptsBootstrapArgs),
    List(list::ConceptsListArgs),
    Drift(drift::ConceptsDriftArgs),
    Review(review::ConceptsReviewArgs),
    Approve(approve::ConceptsApproveArgs),
    Reject(reject::ConceptsRejectArgs),
    Log(log::ConceptsLogArgs),
}

pub fn run(ctx: &Ctx, cmd: ConceptsCommand) -> CliResult {
    match cmd {
        ConceptsCommand::Bootstrap(args) => bootstrap::run(ctx, args),
        ConceptsCommand::List(args) => list::run(ctx, args),
        ConceptsCommand::Drift(args) => drift::run(ctx, args),
        ConceptsCommand::Review(args) => review::run(ctx, args),
        ConceptsCommand::Approve(args) => approve::run(ctx, args),
        ConceptsCommand::Reject(args) => reject::run(ctx, args),
        ConceptsCommand::Log(args) => log::run(ctx, args),
    }
}

/// Suggestions as an aligned table.
fn suggestion_table(list: &[Suggestion], with_status: bool) -> String {
    let mut header = vec!["id", "change", "reason", "created"];
    if with_status {
        header.push("status");
    }
    let rows = list
        .iter()
        .map(|s| {
            let mut row = vec![
                s.id.clone(),
                s.describe(),
                ui::clip(&s.reason, 60),
                s.created_at.clone(),
            ];
            if with_status {
                let decision = s
                    .decision_reason
                    .as_deref()
                    .map(|r| format!(": {}", ui::clip(r, 40)))
                    .unwrap_or_default();
                row.push(format!("{}{decision}", s.status));
            }
            row
        })
        .collect();
    ui::table(&header, rows)
}
