//! `gemba init`

use std::path::Path;

use serde::Serialize;

use super::env::Ctx;
use super::error::{CliError, CliResult};
use super::ui;
use crate::store::{self, atomic};

/// Create the `.gemba/` state directory in this repository.
///
/// Writes config.yaml, vocabulary.yaml and .gitignore, the JSON Schemas
/// editors use to check hand edits (schema/*.schema.json; each YAML file
/// names its schema in its first line), and the `merge=union` line for the
/// event log in `.gitattributes`.
///
/// Idempotent: a second run changes nothing and says so. From a linked
/// worktree it initializes the main worktree's `.gemba/`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  gemba init\n  gemba --gemba-dir /tmp/state init")]
pub struct InitArgs {}

#[derive(Serialize)]
struct Report {
    gemba_dir: String,
    created: Vec<String>,
    gitattributes: bool,
}

pub const ATTRIBUTE: &str = "log/*.jsonl merge=union";

pub fn run(ctx: &Ctx, _args: InitArgs) -> CliResult {
    let mut created: Vec<String> = store::init(&ctx.gemba_dir)?
        .iter()
        .map(|p| ctx.show_path(p).into_owned())
        .collect();
    // Also refreshes the schemas of a store an older gemba initialized.
    for (path, written) in store::schema::refresh(&ctx.gemba_dir)? {
        let shown = ctx.show_path(&path);
        created.push(match written {
            store::Written::Created => shown.into_owned(),
            _ => format!("{shown} (updated)"),
        });
    }
    let gitattributes = match &ctx.worktree {
        Some(wt) => add_attribute(wt, &ctx.gemba_dir)?,
        None => false,
    };
    if gitattributes {
        created.push(".gitattributes (merge=union for the event log)".into());
    }
    let store = ctx.store()?;
    if !created.is_empty() {
        let ev = crate::model::Event::new(
            ctx.now,
            &ctx.actor,
            crate::model::EventKind::Init,
            vec![],
            "init".into(),
        );
        crate::store::log::append(&store, &ev)?;
    }
    let report = Report {
        gemba_dir: ctx.gemba_dir.display().to_string(),
        created,
        gitattributes,
    };
    if ctx.json {
        ui::json(&report);
    } else if report.created.is_empty() {
        ui::out(&format!(
            "gemba is already initialized at {}; nothing changed\n",
            ctx.show_path(&ctx.gemba_dir)
        ));
    } else {
        let mut text = format!("initialized {}\n", ctx.show_path(&ctx.gemba_dir));
        for c in &report.created {
            text.push_str(&format!("  created {c}\n"));
        }
        ui::out(&text);
    }
    Ok(())
}

/// Add `<dir>/log/*.jsonl merge=union` to the worktree's `.gitattributes`
/// unless it is there. Returns whether the file changed.
fn add_attribute(worktree: &Path, gemba_dir: &Path) -> CliResult<bool> {
    let Ok(rel) = gemba_dir.strip_prefix(worktree) else {
        return Ok(false);
    };
    let line = format!("{}/{ATTRIBUTE}", rel.to_string_lossy().replace('\\', "/"));
    let path = worktree.join(".gitattributes");
    let old = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(CliError::io(format!("{}: {e}", path.display()))),
    };
    if old.lines().any(|l| l.trim() == line) {
        return Ok(false);
    }
    let mut new = old;
    if !new.is_empty() && !new.ends_with('\n') {
        new.push('\n');
    }
    new.push_str(&line);
    new.push('\n');
    atomic::write(&path, new.as_bytes())
        .map_err(|e| CliError::io(format!("{}: {e}", path.display())))?;
    Ok(true)
}
