//! Everything gemba reads from the environment, in one place: the clock
//! (`GEMBA_NOW` pins it for tests and replays), the actor, the state dir.

use std::path::{Path, PathBuf};

use jiff::Timestamp;

use super::error::{CliError, CliResult};
use crate::store::{self, Store};

/// The resolved context every command runs in.
#[derive(Debug)]
pub struct Ctx {
    pub cwd: PathBuf,
    /// The `.gemba/` directory.
    pub gemba_dir: PathBuf,
    /// The git worktree holding it (for auto-commit and `.gitattributes`).
    pub worktree: Option<PathBuf>,
    pub json: bool,
    pub quiet: bool,
    pub actor: String,
    pub now: Timestamp,
    pub color: bool,
    /// `gemba bead update`: named to processes waiting on our locks.
    pub command: String,
}

impl Ctx {
    pub fn new(
        gemba_dir: Option<PathBuf>,
        actor: Option<String>,
        json: bool,
        quiet: bool,
        command: String,
    ) -> CliResult<Ctx> {
        let cwd = std::env::current_dir()
            .map_err(|e| CliError::io(format!("cannot read the current directory: {e}")))?;
        let (gemba_dir, worktree) = match gemba_dir {
            Some(dir) => {
                let dir = if dir.is_absolute() {
                    dir
                } else {
                    cwd.join(dir)
                };
                let worktree = dir
                    .parent()
                    .and_then(|p| p.exists().then(|| crate::git::toplevel_of(p)).flatten());
                (dir, worktree)
            }
            None => {
                let loc = crate::git::discover(&cwd)?;
                (
                    loc.main_worktree.join(store::DIR_NAME),
                    Some(loc.main_worktree),
                )
            }
        };
        let actor = actor
            .or_else(|| std::env::var("GEMBA_ACTOR").ok())
            .or_else(|| std::env::var("USER").ok())
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| "unknown".into());
        Ok(Ctx {
            cwd,
            gemba_dir,
            worktree,
            json,
            quiet,
            actor,
            now: now()?,
            color: color_enabled(),
            command,
        })
    }

    /// The opened store; waiting on another command's lock is said on
    /// stderr (even with `--quiet`: a silent hang is worse).
    pub fn store(&self) -> CliResult<Store> {
        let store = Store::open(&self.gemba_dir, self.worktree.clone())?;
        Ok(store.with_holder(
            self.command.clone(),
            Box::new(|message| eprintln!("gemba: {message}")),
        ))
    }

    /// A path for messages: relative to the current directory when inside it.
    pub fn show_path<'a>(&self, p: &'a Path) -> std::borrow::Cow<'a, str> {
        match p.strip_prefix(&self.cwd) {
            Ok(rel) if !rel.as_os_str().is_empty() => rel.to_string_lossy(),
            _ => p.to_string_lossy(),
        }
    }
}

/// `GEMBA_NOW` (RFC 3339) or the system clock; a loop (`gemba dispatch
/// run`) reads it again for every round.
pub(super) fn now() -> CliResult<Timestamp> {
    match std::env::var("GEMBA_NOW") {
        Ok(text) => text.parse().map_err(|e| {
            CliError::usage(format!(
                "GEMBA_NOW={text:?} is not an RFC 3339 timestamp: {e}"
            ))
        }),
        Err(_) => Ok(Timestamp::now()),
    }
}

/// Colour only on a terminal, never with `NO_COLOR`.
fn color_enabled() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}
