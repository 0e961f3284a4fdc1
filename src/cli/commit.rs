//! `gemba commit`

use super::env::Ctx;
use super::error::{CliError, CliResult, Kind};
use super::ui;

/// Commit everything pending under `.gemba/`: what an auto-commit could not
/// commit (a failed hook, a merge in progress), or all changes when
/// `git.auto_commit` is off.
///
/// Stages new, changed and deleted files under `.gemba/` and commits only
/// them; anything else you have staged stays staged. Refuses (exit 1) while
/// a merge, rebase, cherry-pick or revert is in progress or the index has
/// conflicts. Exits 3 when nothing is pending. Logs no event, so it leaves
/// nothing pending behind.
///
/// The default message is `gemba: commit N pending files`, with the
/// messages of the log events being committed as its body.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba commit\n  gemba commit -m \"gemba: triage session\"\n  gemba commit --json"
)]
pub struct CommitArgs {
    /// The commit message [default: a summary of the pending events].
    #[arg(long, short, value_name = "MESSAGE")]
    message: Option<String>,
}

pub fn run(ctx: &Ctx, args: CommitArgs) -> CliResult {
    let store = ctx.store()?;
    let committed = crate::store::log::commit_pending(&store, args.message.as_deref())?;
    let Some(committed) = committed else {
        if ctx.json {
            ui::json(&serde_json::json!({"commit": null, "files": []}));
        } else {
            ui::status(ctx, "nothing to commit under .gemba/");
        }
        return Err(CliError::exit(Kind::NothingToDo));
    };
    if ctx.json {
        ui::json(&committed);
    } else {
        let subject = committed.message.lines().next().unwrap_or("");
        let short = committed.commit.get(..12).unwrap_or(&committed.commit);
        ui::out(&format!(
            "[{short}] {subject}\n{} file(s) committed\n",
            committed.files.len()
        ));
    }
    Ok(())
}
