use crate::cli::env::Ctx;
use crate::cli::error::{CliError, CliResult};
use crate::cli::ui;
use crate::model::session::IntentScope;
use crate::sessions::{self, Focus, describe_scope};

/// Set what a session should stay on: beads outside the focus are demoted
/// (score × --demotion), never excluded. --clear removes the focus. Every
/// change is logged.
#[derive(Debug, clap::Args)]
#[command(
    group(clap::ArgGroup::new("scope").args(["epic", "label", "regex", "clear"]).required(true)),
    after_help = "Examples:\n  gemba session focus s-alice-3k9x --epic gm-a1b2 --rationale 'ship auth first'\n  gemba session focus s-alice-3k9x --label backend --demotion 0.2\n  gemba session focus s-alice-3k9x --regex '(?i)login|oauth'\n  gemba session focus s-alice-3k9x --clear"
)]
pub struct SessionFocusArgs {
    session: String,
    /// Focus on an epic and its descendants.
    #[arg(long, value_name = "ID")]
    epic: Option<String>,
    /// Focus on beads with this label.
    #[arg(long, value_name = "LABEL")]
    label: Option<String>,
    /// Focus on beads whose title or description matches.
    #[arg(long, value_name = "RE", value_parser = parse_regex)]
    regex: Option<String>,
    /// Remove the focus.
    #[arg(long)]
    clear: bool,
    /// Why (shown with the focus and in the log).
    #[arg(long, value_name = "TEXT", conflicts_with = "clear")]
    rationale: Option<String>,
    /// Score multiplier for beads outside the focus, 0 to 1 [default:
    /// profile.focus_demotion, 0.4].
    #[arg(long, value_name = "X", value_parser = parse_share, conflicts_with = "clear")]
    demotion: Option<f64>,
}

/// A regex that compiles (else a usage error).
fn parse_regex(s: &str) -> Result<String, String> {
    regex::Regex::new(s)
        .map(|_| s.to_string())
        .map_err(|e| format!("not a valid regex: {e}"))
}

fn parse_share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err(format!("expected a number from 0 to 1, got {s:?}")),
    }
}

pub fn run(ctx: &Ctx, args: SessionFocusArgs) -> CliResult {
    let scope = match (args.epic, args.label, args.regex) {
        (Some(e), _, _) => Some(IntentScope::Epic(e)),
        (_, Some(l), _) => Some(IntentScope::Label(l)),
        (_, _, Some(r)) => Some(IntentScope::Regex(r)),
        _ if args.clear => None,
        _ => return Err(CliError::usage("give --epic, --label, --regex or --clear")),
    };
    let focus = scope.map(|scope| Focus {
        scope,
        rationale: args.rationale.unwrap_or_default(),
        demotion: args.demotion,
    });
    let store = ctx.store()?;
    let mut changes = store.changes();
    let (session, event) =
        sessions::focus(&mut changes, &args.session, focus, &ctx.actor, ctx.now)?;
    let changed = event.is_some();
    ui::finished(ctx, changes.finish(event.as_slice())?);
    if ctx.json {
        ui::json(&session);
        return Ok(());
    }
    let text = match &session.intent {
        Some(i) => format!(
            "{}: focus on {} (others x{}){}",
            session.id,
            describe_scope(&i.scope),
            i.demotion,
            if i.rationale.is_empty() {
                String::new()
            } else {
                format!(": {}", i.rationale)
            }
        ),
        None => format!("{}: no focus", session.id),
    };
    ui::out(&format!("{text}\n"));
    if !changed {
        ui::status(ctx, "nothing changed");
    }
    Ok(())
}
