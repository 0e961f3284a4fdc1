//! Git hooks that call gemba (`gemba hooks install|uninstall|status`): the
//! scripts of the repository's `hooks/` (built in), telling ours from
//! someone else's, and installing beside an existing hook by chaining to it.
//!
//! Not `.gemba/` state: these files live in git's hooks directory (found by
//! the caller with [`crate::git::hooks_dir`], which honours
//! `core.hooksPath` and linked worktrees). A hook already there is never
//! overwritten: it is renamed to `<name>.gemba-chained` (a rename keeps its
//! bytes and mode), our script runs it first, and uninstall renames it back.
//! What to do with each hook is decided by a pure function of what is
//! there ([`plan_install`], [`plan_uninstall`]); [`install`] and
//! [`uninstall`] check every hook before touching any. Error type [`Error`].

use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// The hooks gemba installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Hook {
    PostMerge,
    PostRewrite,
}

pub const HOOKS: [Hook; 2] = [Hook::PostMerge, Hook::PostRewrite];

/// The line that makes a hook ours (the scripts' second line).
pub const MARKER: &str = "# gemba-managed-hook: ";

/// What the hook we replaced is renamed to, beside ours.
pub const CHAINED_SUFFIX: &str = ".gemba-chained";

impl Hook {
    pub fn name(self) -> &'static str {
        match self {
            Hook::PostMerge => "post-merge",
            Hook::PostRewrite => "post-rewrite",
        }
    }

    /// The script, from the repository's `hooks/`.
    pub fn script(self) -> &'static str {
        match self {
            Hook::PostMerge => include_str!("../hooks/post-merge"),
            Hook::PostRewrite => include_str!("../hooks/post-rewrite"),
        }
    }
}

impl std::fmt::Display for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    /// Installing would lose a file: a foreign hook and a chained one both
    /// exist (ours was replaced after it was installed).
    #[error(
        "{}: not gemba's hook, and {} exists too: cannot keep both; move one away and retry",
        hook.display(), chained.display()
    )]
    Conflict { hook: PathBuf, chained: PathBuf },
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Whether a hook file's bytes are one of gemba's scripts (any version):
/// the marker line among the first lines.
pub fn is_ours(bytes: &[u8]) -> bool {
    bytes
        .split(|b| *b == b'\n')
        .take(5)
        .any(|line| line.starts_with(MARKER.as_bytes()))
}

/// What a hook's slot in the hooks directory holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub hook: Hook,
    /// The hook file's bytes (a symlink's target's; an unreadable file is
    /// empty, hence foreign); `None` when there is no file.
    pub current: Option<Vec<u8>>,
    /// `<name>.gemba-chained` exists.
    pub chained: bool,
}

/// A hook's state, as `gemba hooks status` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum State {
    /// Ours, with no hook of someone else's behind it.
    #[serde(rename = "installed")]
    Installed,
    /// Ours, running the hook it replaced first.
    #[serde(rename = "installed+chained")]
    InstalledChained,
    /// Someone else's hook, not ours.
    #[serde(rename = "foreign")]
    Foreign,
    #[serde(rename = "absent")]
    Absent,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Installed => "installed",
            State::InstalledChained => "installed+chained",
            State::Foreign => "foreign",
            State::Absent => "absent",
        }
    }
}

impl Found {
    pub fn state(&self) -> State {
        match &self.current {
            None => State::Absent,
            Some(bytes) if !is_ours(bytes) => State::Foreign,
            Some(_) if self.chained => State::InstalledChained,
            Some(_) => State::Installed,
        }
    }

    /// Ours, and byte-identical to this binary's script.
    pub fn up_to_date(&self) -> bool {
        self.current.as_deref() == Some(self.hook.script().as_bytes())
    }
}

/// What install or uninstall does to one hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Write our script where there was none.
    Write,
    /// Rename the existing hook to `.gemba-chained`, then write ours.
    Chain,
    /// Ours, but another version: rewrite it.
    Update,
    /// Nothing to do (ours and current; or, uninstalling, nothing there).
    Keep,
    /// Uninstall: remove ours.
    Remove,
    /// Uninstall: rename `.gemba-chained` back over ours (or into the
    /// empty slot).
    Restore,
    /// Uninstall: not ours, left alone.
    LeaveForeign,
    /// Install cannot proceed without losing a file ([`Error::Conflict`]).
    Refuse,
}

/// Install: never overwrite a hook that is not ours.
pub fn plan_install(found: &Found) -> Action {
    match (found.state(), found.chained) {
        (State::Absent, _) => Action::Write,
        (State::Foreign, true) => Action::Refuse,
        (State::Foreign, false) => Action::Chain,
        (State::Installed | State::InstalledChained, _) if found.up_to_date() => Action::Keep,
        (State::Installed | State::InstalledChained, _) => Action::Update,
    }
}

/// Uninstall: remove ours, put the chained hook back exactly.
pub fn plan_uninstall(found: &Found) -> Action {
    match (found.state(), found.chained) {
        (State::Foreign, _) => Action::LeaveForeign,
        (_, true) => Action::Restore,
        (State::Installed | State::InstalledChained, false) => Action::Remove,
        (State::Absent, false) => Action::Keep,
    }
}

pub fn hook_path(dir: &Path, hook: Hook) -> PathBuf {
    dir.join(hook.name())
}

pub fn chained_path(dir: &Path, hook: Hook) -> PathBuf {
    dir.join(format!("{}{CHAINED_SUFFIX}", hook.name()))
}

/// What `dir` holds for `hook`.
pub fn inspect(dir: &Path, hook: Hook) -> Result<Found, Error> {
    let path = hook_path(dir, hook);
    let chained = exists(&chained_path(dir, hook))?;
    let current = if exists(&path)? {
        // A dangling symlink or an unreadable file still is someone's hook.
        Some(std::fs::read(&path).unwrap_or_default())
    } else {
        None
    };
    Ok(Found {
        hook,
        current,
        chained,
    })
}

/// Whether anything (a dangling symlink too) is at `path`.
fn exists(path: &Path) -> Result<bool, Error> {
    match std::fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_at(path)(e)),
    }
}

/// One hook's report (`gemba hooks status|install|uninstall`).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub hook: Hook,
    pub path: PathBuf,
    pub state: State,
    /// The hook ours runs first, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chained: Option<PathBuf>,
    /// Ours and the same as this binary's script (`false` for a foreign or
    /// absent hook, or an older version of ours: `install` updates it).
    pub up_to_date: bool,
    /// What install or uninstall did (absent for status).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
}

fn report(dir: &Path, found: &Found, action: Option<Action>) -> Report {
    Report {
        hook: found.hook,
        path: hook_path(dir, found.hook),
        state: found.state(),
        chained: found.chained.then(|| chained_path(dir, found.hook)),
        up_to_date: found.up_to_date(),
        action,
    }
}

/// Every hook's state in `dir`.
pub fn status(dir: &Path) -> Result<Vec<Report>, Error> {
    HOOKS
        .iter()
        .map(|h| Ok(report(dir, &inspect(dir, *h)?, None)))
        .collect()
}

/// Install every hook into `dir` (created when missing). Idempotent. A
/// conflict on any hook fails before any file is touched.
pub fn install(dir: &Path) -> Result<Vec<Report>, Error> {
    let found: Vec<Found> = HOOKS
        .iter()
        .map(|h| inspect(dir, *h))
        .collect::<Result<_, _>>()?;
    if let Some(f) = found.iter().find(|f| plan_install(f) == Action::Refuse) {
        return Err(Error::Conflict {
            hook: hook_path(dir, f.hook),
            chained: chained_path(dir, f.hook),
        });
    }
    std::fs::create_dir_all(dir).map_err(io_at(dir))?;
    let mut reports = Vec::new();
    for f in found {
        let action = plan_install(&f);
        let path = hook_path(dir, f.hook);
        match action {
            Action::Write | Action::Update => write_script(&path, f.hook)?,
            Action::Chain => {
                let chained = chained_path(dir, f.hook);
                match crate::store::atomic::move_new(&path, &chained).map_err(io_at(&path))? {
                    crate::store::Handoff::Won => {}
                    crate::store::Handoff::AlreadyTaken => {
                        return Err(Error::Conflict {
                            hook: path,
                            chained,
                        });
                    }
                }
                if let Err(e) = write_script(&path, f.hook) {
                    // Put the user's hook back rather than leave none.
                    let _ = std::fs::rename(&chained, &path);
                    return Err(e);
                }
            }
            Action::Keep => {}
            Action::Remove | Action::Restore | Action::LeaveForeign | Action::Refuse => {
                unreachable!("not an install action")
            }
        }
        reports.push(report(dir, &inspect(dir, f.hook)?, Some(action)));
    }
    Ok(reports)
}

/// Remove our hooks from `dir` and put back the ones they replaced,
/// byte-for-byte and with their mode (a rename). Foreign hooks stay.
pub fn uninstall(dir: &Path) -> Result<Vec<Report>, Error> {
    let mut reports = Vec::new();
    for hook in HOOKS {
        let found = inspect(dir, hook)?;
        let action = plan_uninstall(&found);
        let path = hook_path(dir, hook);
        match action {
            Action::Restore => {
                let chained = chained_path(dir, hook);
                std::fs::rename(&chained, &path).map_err(io_at(&chained))?;
            }
            Action::Remove => std::fs::remove_file(&path).map_err(io_at(&path))?,
            Action::Keep | Action::LeaveForeign => {}
            Action::Write | Action::Chain | Action::Update | Action::Refuse => {
                unreachable!("not an uninstall action")
            }
        }
        reports.push(report(dir, &inspect(dir, hook)?, Some(action)));
    }
    Ok(reports)
}

/// Our script at `path`, executable, replacing what is there at once.
fn write_script(path: &Path, hook: Hook) -> Result<(), Error> {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".gemba-hook-")
        .tempfile_in(dir)
        .map_err(io_at(dir))?;
    tmp.write_all(hook.script().as_bytes())
        .and_then(|()| {
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o755))
        })
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(io_at(path))?;
    tmp.persist(path).map_err(|e| io_at(path)(e.error))?;
    Ok(())
}

/// After a hook: wait (up to `wait`) until git's merge or rebase in
/// `worktree` is finished, then commit `paths` (repository-relative files
/// or directories: all their changes) with `message`, as auto-commit would
/// have; git refuses any commit while its operation is in progress.
/// Whether a commit was made; nothing is committed when the wait runs out.
pub fn settle(
    worktree: &Path,
    paths: &[PathBuf],
    message: &str,
    wait: std::time::Duration,
) -> Result<bool, crate::git::Error> {
    let started = std::time::Instant::now();
    while !matches!(crate::git::in_progress(worktree), Ok(None)) {
        if started.elapsed() > wait {
            return Ok(false);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    crate::git::commit_paths(worktree, paths, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(current: Option<&str>, chained: bool) -> Found {
        Found {
            hook: Hook::PostMerge,
            current: current.map(|s| s.as_bytes().to_vec()),
            chained,
        }
    }

    #[test]
    fn the_scripts_carry_the_marker_and_call_gemba() {
        for hook in HOOKS {
            let script = hook.script();
            assert!(script.starts_with("#!/bin/sh\n"), "{hook}");
            assert_eq!(
                script.lines().nth(1),
                Some(format!("{MARKER}{hook}").as_str()),
                "{hook}: the marker is the second line"
            );
            assert!(is_ours(script.as_bytes()), "{hook}");
            assert!(
                script.contains(&format!("gemba hook {hook} \"$@\"")),
                "{hook} passes git's arguments on"
            );
            assert!(
                script.contains(&format!("\"$0{CHAINED_SUFFIX}\"")),
                "{hook} runs the hook it replaced"
            );
            assert!(
                script.contains("command -v gemba"),
                "{hook}: gemba missing from PATH is not an error"
            );
        }
    }

    #[test]
    fn ours_is_told_by_the_marker_only() {
        let cases: [(&str, bool); 6] = [
            ("#!/bin/sh\n# gemba-managed-hook: post-merge\n", true),
            // An older version of ours: still ours.
            (
                "#!/bin/sh\n# gemba-managed-hook: post-merge\necho old\n",
                true,
            ),
            ("#!/bin/sh\necho 'gemba hook post-merge'\n", false),
            ("#!/bin/sh\n# runs gemba-managed-hook: later\n", false),
            ("", false),
            (
                "#!/bin/sh\n\n\n\n\n# gemba-managed-hook: post-merge\n",
                false,
            ),
        ];
        for (text, want) in cases {
            assert_eq!(is_ours(text.as_bytes()), want, "{text:?}");
        }
    }

    #[test]
    fn states_and_plans() {
        let ours = Hook::PostMerge.script();
        let old = "#!/bin/sh\n# gemba-managed-hook: post-merge\necho v0\n";
        let user = "#!/bin/sh\necho mine\n";
        // (what is there, chained file, state, install, uninstall)
        let cases = [
            (None, false, State::Absent, Action::Write, Action::Keep),
            (None, true, State::Absent, Action::Write, Action::Restore),
            (
                Some(ours),
                false,
                State::Installed,
                Action::Keep,
                Action::Remove,
            ),
            (
                Some(ours),
                true,
                State::InstalledChained,
                Action::Keep,
                Action::Restore,
            ),
            (
                Some(old),
                false,
                State::Installed,
                Action::Update,
                Action::Remove,
            ),
            (
                Some(old),
                true,
                State::InstalledChained,
                Action::Update,
                Action::Restore,
            ),
            (
                Some(user),
                false,
                State::Foreign,
                Action::Chain,
                Action::LeaveForeign,
            ),
            (
                Some(user),
                true,
                State::Foreign,
                Action::Refuse,
                Action::LeaveForeign,
            ),
            // An unreadable hook reads as empty: someone else's.
            (
                Some(""),
                false,
                State::Foreign,
                Action::Chain,
                Action::LeaveForeign,
            ),
        ];
        for (current, chained, state, install, uninstall) in cases {
            let f = found(current, chained);
            assert_eq!(f.state(), state, "{current:?} chained={chained}");
            assert_eq!(plan_install(&f), install, "{current:?} chained={chained}");
            assert_eq!(
                plan_uninstall(&f),
                uninstall,
                "{current:?} chained={chained}"
            );
        }
    }

    #[test]
    fn install_then_uninstall_restores_a_user_hook_exactly() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("hooks");
        std::fs::create_dir(&dir).unwrap();
        let user = dir.join("post-rewrite");
        let bytes = b"#!/bin/bash\r\necho \xff not utf-8\n\n";
        std::fs::write(&user, bytes).unwrap();
        std::fs::set_permissions(&user, std::fs::Permissions::from_mode(0o740)).unwrap();

        let first = install(&dir).unwrap();
        let states: Vec<State> = first.iter().map(|r| r.state).collect();
        assert_eq!(states, [State::Installed, State::InstalledChained]);
        let again = install(&dir).unwrap();
        assert!(
            again.iter().all(|r| r.action == Some(Action::Keep)),
            "{again:?}"
        );
        assert_eq!(
            std::fs::read(chained_path(&dir, Hook::PostRewrite)).unwrap(),
            bytes
        );
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode(&hook_path(&dir, Hook::PostMerge)), 0o755);

        let out = uninstall(&dir).unwrap();
        let actions: Vec<_> = out.iter().map(|r| r.action.unwrap()).collect();
        assert_eq!(actions, [Action::Remove, Action::Restore]);
        assert_eq!(std::fs::read(&user).unwrap(), bytes);
        assert_eq!(mode(&user), 0o740);
        let mut left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        left.sort();
        assert_eq!(left, ["post-rewrite"]);
    }

    #[test]
    fn a_conflict_touches_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::write(dir.join("post-rewrite"), "#!/bin/sh\necho mine\n").unwrap();
        std::fs::write(dir.join("post-rewrite.gemba-chained"), "#!/bin/sh\nold\n").unwrap();
        let err = install(dir).unwrap_err();
        assert!(matches!(err, Error::Conflict { .. }), "{err}");
        assert!(
            !dir.join("post-merge").exists(),
            "checked before writing any"
        );
    }
}
