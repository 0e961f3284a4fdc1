//! The one module that talks to git: gix for reads (discovery), the `git`
//! CLI for commits (it runs hooks, signing and filters). gix changes its API
//! with each minor release, so nothing else imports it.

use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{} is not inside a git repository (run `git init` first, or pass --gemba-dir)", .0.display())]
    NotARepository(PathBuf),
    #[error("cannot read the git repository at {}: {message}", path.display())]
    Open { path: PathBuf, message: String },
    #[error("`git {args}` failed: {message}")]
    Command { args: String, message: String },
}

/// Where a repository's shared state lives.
#[derive(Debug, Clone)]
pub struct RepoLocation {
    /// The main worktree: every linked worktree shares its `.gemba/`.
    pub main_worktree: PathBuf,
    /// The worktree the command runs in (may be the main one).
    pub current_worktree: PathBuf,
}

/// Find the repository containing `dir` and its main worktree.
pub fn discover(dir: &Path) -> Result<RepoLocation, Error> {
    let dir = dir.canonicalize().map_err(|e| Error::Open {
        path: dir.to_path_buf(),
        message: e.to_string(),
    })?;
    let repo = gix::discover(&dir).map_err(|e| {
        if gix::discover::upwards(&dir).is_err() {
            Error::NotARepository(dir.clone())
        } else {
            Error::Open {
                path: dir.clone(),
                message: e.to_string(),
            }
        }
    })?;
    let current = repo
        .workdir()
        .map(Path::to_path_buf)
        .ok_or_else(|| Error::Open {
            path: dir.clone(),
            message: "bare repository: pass --gemba-dir".into(),
        })?;
    let current = absolute(&dir, &current);
    // A linked worktree's common dir is the main repository's `.git`; its
    // parent is the main worktree. A bare common dir has no worktree of its
    // own, so the state stays in the current one.
    // gix gives a linked worktree's common dir as `<main>/.git/worktrees/<wt>/../..`.
    let common = canonical(absolute(&dir, repo.common_dir()));
    let main = match common.file_name() {
        Some(name) if name == ".git" => common
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or(current.clone()),
        _ => current.clone(),
    };
    Ok(RepoLocation {
        main_worktree: canonical(main),
        current_worktree: canonical(current),
    })
}

fn absolute(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

fn canonical(p: PathBuf) -> PathBuf {
    p.canonicalize().unwrap_or(p)
}

/// The worktree that contains `dir`, if any (for `--gemba-dir` setups that
/// still want auto-commit).
pub fn toplevel_of(dir: &Path) -> Option<PathBuf> {
    discover(dir).ok().map(|l| l.main_worktree)
}

/// Paths of the files tracked in `worktree`'s index, repository-relative
/// with `/` separators.
pub fn tracked_files(worktree: &Path) -> Result<Vec<String>, Error> {
    let open_err = |e: &dyn std::fmt::Display| Error::Open {
        path: worktree.to_path_buf(),
        message: e.to_string(),
    };
    let repo = gix::open(worktree).map_err(|e| open_err(&e))?;
    let index = repo.index_or_empty().map_err(|e| open_err(&e))?;
    Ok(index
        .entries()
        .iter()
        .map(|e| e.path(&index).to_string())
        .collect())
}

/// Commit exactly `paths` (relative to `worktree`) with `message`, leaving
/// anything else the user has staged alone. Does nothing when none of the
/// paths changed.
pub fn commit_paths(worktree: &Path, paths: &[PathBuf], message: &str) -> Result<bool, Error> {
    if paths.is_empty() {
        return Ok(false);
    }
    // Deleted files are staged with `rm --cached` (`add` fails on a path
    // that is neither on disk nor in the index).
    let (present, gone): (Vec<&PathBuf>, Vec<&PathBuf>) =
        paths.iter().partition(|p| worktree.join(p).exists());
    if !present.is_empty() {
        let mut add = git(worktree);
        add.args(["add", "--"]).args(&present);
        run(add, "add")?;
    }
    if !gone.is_empty() {
        let mut rm = git(worktree);
        rm.args(["rm", "-q", "--cached", "--ignore-unmatch", "--"])
            .args(&gone);
        run(rm, "rm")?;
    }
    let mut diff = git(worktree);
    diff.args(["diff", "--cached", "--quiet", "--"]).args(paths);
    let status = diff.status().map_err(|e| Error::Command {
        args: "diff".into(),
        message: e.to_string(),
    })?;
    if status.success() {
        return Ok(false);
    }
    let mut commit = git(worktree);
    commit
        .args(["commit", "-q", "-m", message, "--only", "--"])
        .args(paths);
    run(commit, "commit")?;
    Ok(true)
}

fn git(worktree: &Path) -> Command {
    let mut cmd = Command::new("git");
    // Inside a hook git exports these; they would point at another worktree
    // or a temporary index.
    cmd.current_dir(worktree)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    cmd
}

fn run(mut cmd: Command, what: &str) -> Result<(), Error> {
    let out = cmd.output().map_err(|e| Error::Command {
        args: what.into(),
        message: e.to_string(),
    })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Error::Command {
            args: what.into(),
            message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}
