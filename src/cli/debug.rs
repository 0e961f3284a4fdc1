//! `gemba debug`: hidden commands that exercise store primitives from a
//! shell, for tests and for checking a filesystem's behaviour by hand.

use std::path::{Component, Path, PathBuf};

use super::env::Ctx;
use super::error::{CliError, CliResult};
use super::ui;
use crate::store::snapshot::{Parts, Snapshot};
use crate::store::{Handoff, kind};

#[derive(Debug, clap::Subcommand)]
pub enum DebugCommand {
    /// Create `.gemba/<KIND>/<ID>` with O_EXCL semantics: prints `won`, or
    /// exits 4 (`already_taken`) when it exists.
    CreateNew {
        /// An entity directory: beads, enrichment, suggestions, claims.
        kind: String,
        id: String,
        /// File content (default: `{"id": ID, "pid": <pid>}`).
        #[arg(long)]
        content: Option<String>,
    },
    /// Move FROM to TO (paths inside `.gemba/`) unless TO exists or FROM is
    /// gone: prints `won`, or exits 4 (`already_taken`).
    MoveNew { from: PathBuf, to: PathBuf },
    /// Load the snapshot and print its digest and how the cache served it
    /// (files read and parsed, directory listed, cache rewritten).
    Snapshot {
        /// Load the enrichment too.
        #[arg(long)]
        enrichment: bool,
        /// Load the sessions and agents too.
        #[arg(long)]
        sessions: bool,
    },
}

pub fn run(ctx: &Ctx, cmd: DebugCommand) -> CliResult {
    let store = ctx.store()?;
    let outcome = match cmd {
        DebugCommand::Snapshot {
            enrichment,
            sessions,
        } => {
            let snapshot = Snapshot::load(
                &store,
                Parts {
                    enrichment,
                    sessions,
                },
            )?;
            ui::json(&serde_json::json!({
                "digest": snapshot.digest(),
                "beads": snapshot.beads()?.len(),
                "sessions": snapshot.sessions().len(),
                "live_sessions": snapshot.live_sessions().count(),
                "agents": snapshot.agents().len(),
                "stats": snapshot.stats,
            }));
            return Ok(());
        }
        DebugCommand::CreateNew { kind, id, content } => {
            let kind = kind::ALL
                .into_iter()
                .find(|k| k.dir == kind)
                .ok_or_else(|| CliError::usage(format!("unknown kind {kind:?}")))?;
            let content = content.unwrap_or_else(|| {
                format!(
                    "{}\n",
                    serde_json::json!({"id": id, "pid": std::process::id()})
                )
            });
            store.create_new(kind, &id, content.as_bytes())?
        }
        DebugCommand::MoveNew { from, to } => {
            let (from, to) = (inside(store.root(), &from)?, inside(store.root(), &to)?);
            store.move_new(&from, &to)?
        }
    };
    match outcome {
        Handoff::Won => {
            if ctx.json {
                ui::json(&serde_json::json!({"result": "won"}));
            } else {
                ui::out("won\n");
            }
            Ok(())
        }
        Handoff::AlreadyTaken => Err(CliError::already_taken("already taken")),
    }
}

/// `rel` joined onto `.gemba/`, refusing anything that would leave it.
fn inside(root: &Path, rel: &Path) -> CliResult<PathBuf> {
    if rel.components().all(|c| matches!(c, Component::Normal(_))) {
        Ok(root.join(rel))
    } else {
        Err(CliError::usage(format!(
            "{}: expected a relative path inside .gemba/",
            rel.display()
        )))
    }
}
