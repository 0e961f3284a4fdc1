use crate::cli::env::Ctx;
use crate::cli::error::CliResult;
use crate::cli::ui;
use crate::model::suggestion::{SuggestionKind, SuggestionStatus};
use crate::retro::review::{self, Filter, KindFilter};

/// List suggestions, oldest first, with what each would change and why.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba suggestions list\n  gemba suggestions list --kind tune --json\n  gemba suggestions list --status all --kind vocabulary"
)]
pub struct SuggestionsListArgs {
    /// pending, approved, rejected or all.
    #[arg(long, value_enum, default_value_t = StatusArg::Pending)]
    status: StatusArg,
    /// tune, vocabulary (merge, rename and delete), or one of those three.
    #[arg(long, value_enum, value_name = "KIND")]
    kind: Option<KindArg>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum StatusArg {
    Pending,
    Approved,
    Rejected,
    All,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum KindArg {
    Tune,
    Vocabulary,
    Merge,
    Rename,
    Delete,
}

pub fn run(ctx: &Ctx, args: SuggestionsListArgs) -> CliResult {
    let store = ctx.store()?;
    let filter = Filter {
        status: match args.status {
            StatusArg::Pending => Some(SuggestionStatus::Pending),
            StatusArg::Approved => Some(SuggestionStatus::Approved),
            StatusArg::Rejected => Some(SuggestionStatus::Rejected),
            StatusArg::All => None,
        },
        kind: args.kind.map(|k| match k {
            KindArg::Tune => KindFilter::One(SuggestionKind::Tune),
            KindArg::Merge => KindFilter::One(SuggestionKind::Merge),
            KindArg::Rename => KindFilter::One(SuggestionKind::Rename),
            KindArg::Delete => KindFilter::One(SuggestionKind::Delete),
            KindArg::Vocabulary => KindFilter::Vocabulary,
        }),
    };
    let list = review::list(&store, filter)?;
    if ctx.json {
        ui::json(&list);
        return Ok(());
    }
    if list.is_empty() {
        ui::status(ctx, "no suggestions");
        return Ok(());
    }
    let rows = list
        .iter()
        .map(|s| {
            let decision = s
                .decision_reason
                .as_deref()
                .map(|r| format!(": {}", ui::clip(r, 40)))
                .unwrap_or_default();
            vec![
                s.id.clone(),
                s.kind.to_string(),
                s.describe(),
                ui::clip(&s.reason, 60),
                format!("{}{decision}", s.status),
            ]
        })
        .collect();
    ui::out(&ui::table(
        &["id", "kind", "change", "reason", "status"],
        rows,
    ));
    Ok(())
}
