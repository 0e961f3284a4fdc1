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
    /// The repository is mid-merge (rebase, cherry-pick, ...) or has
    /// conflicts: committing now would mix gemba's files into that.
    #[error("not committing in {}: {what}; finish or abort it first", worktree.display())]
    InProgress { worktree: PathBuf, what: String },
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

/// The branch checked out in `worktree` (`main`); `None` when HEAD is
/// detached or the repository cannot be read.
pub fn branch(worktree: &Path) -> Option<String> {
    let repo = gix::open(worktree).ok()?;
    let name = repo.head_name().ok()??;
    Some(name.shorten().to_string())
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

/// What a source index of `worktree` depends on in git: the commit HEAD
/// points at and the tracked files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorktreeFiles {
    /// HEAD's commit id (hex); `None` on an unborn branch.
    pub head: Option<String>,
    /// A digest of HEAD's tree without `.gemba/`: equal for two commits
    /// whose sources are the same (gemba's own auto-commits change only
    /// `.gemba/`).
    pub source_tree: Option<String>,
    /// The regular files (no symlinks, no submodules) of the index,
    /// repository-relative with `/`, sorted, each once (a conflicted path
    /// has several entries).
    pub files: Vec<String>,
}

/// HEAD's commit and the tracked regular files of `worktree`.
pub fn worktree_files(worktree: &Path) -> Result<WorktreeFiles, Error> {
    let open_err = |e: &dyn std::fmt::Display| Error::Open {
        path: worktree.to_path_buf(),
        message: e.to_string(),
    };
    let repo = gix::open(worktree).map_err(|e| open_err(&e))?;
    let head = repo
        .head()
        .map_err(|e| open_err(&e))?
        .id()
        .map(|id| id.to_string());
    let source_tree = repo
        .head_commit()
        .ok()
        .and_then(|commit| commit.tree().ok())
        .and_then(|tree| {
            let mut h = crate::hash::Fnv::default();
            for entry in tree.iter() {
                let entry = entry.ok()?;
                if entry.filename() == ".gemba" {
                    continue;
                }
                h.write(entry.filename())
                    .write(b"\0")
                    .write(entry.oid().as_bytes());
            }
            Some(format!("{:016x}", h.finish()))
        });
    let index = repo.index_or_empty().map_err(|e| open_err(&e))?;
    let mut files: Vec<String> = index
        .entries()
        .iter()
        .filter(|e| !e.mode.is_submodule() && e.mode != gix::index::entry::Mode::SYMLINK)
        .map(|e| e.path(&index).to_string())
        .collect();
    files.sort_unstable();
    files.dedup();
    Ok(WorktreeFiles {
        head,
        source_tree,
        files,
    })
}

/// What keeps `worktree` from taking a commit now: an operation in
/// progress (merge, rebase, cherry-pick, revert, `git am`, bisect) or
/// unmerged index entries (conflicts). `None` when a commit is fine.
pub fn in_progress(worktree: &Path) -> Result<Option<String>, Error> {
    use gix::state::InProgress;
    let open_err = |e: &dyn std::fmt::Display| Error::Open {
        path: worktree.to_path_buf(),
        message: e.to_string(),
    };
    let repo = gix::open(worktree).map_err(|e| open_err(&e))?;
    if let Some(state) = repo.state() {
        let what = match state {
            InProgress::ApplyMailbox | InProgress::ApplyMailboxRebase => "`git am` is in progress",
            InProgress::Bisect => "a bisect is in progress",
            InProgress::CherryPick | InProgress::CherryPickSequence => {
                "a cherry-pick is in progress"
            }
            InProgress::Merge => "a merge is in progress",
            InProgress::Rebase | InProgress::RebaseInteractive => "a rebase is in progress",
            InProgress::Revert | InProgress::RevertSequence => "a revert is in progress",
        };
        return Ok(Some(what.into()));
    }
    let index = repo.index_or_empty().map_err(|e| open_err(&e))?;
    let unmerged = index
        .entries()
        .iter()
        .filter(|e| e.stage_raw() != 0)
        .map(|e| e.path(&index).to_string())
        .collect::<std::collections::BTreeSet<_>>();
    if let Some(first) = unmerged.first() {
        return Ok(Some(format!(
            "the index has {} unmerged path(s) ({first}{})",
            unmerged.len(),
            if unmerged.len() > 1 { ", ..." } else { "" }
        )));
    }
    Ok(None)
}

fn refuse_in_progress(worktree: &Path) -> Result<(), Error> {
    match in_progress(worktree)? {
        Some(what) => Err(Error::InProgress {
            worktree: worktree.to_path_buf(),
            what,
        }),
        None => Ok(()),
    }
}

/// Commit exactly `paths` (relative to `worktree`) with `message`, leaving
/// anything else the user has staged alone. Does nothing when none of the
/// paths changed. Refuses ([`Error::InProgress`]), touching nothing, while
/// a merge, rebase, ... is in progress or the index has conflicts.
pub fn commit_paths(worktree: &Path, paths: &[PathBuf], message: &str) -> Result<bool, Error> {
    if paths.is_empty() {
        return Ok(false);
    }
    refuse_in_progress(worktree)?;
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

/// Stage everything under `dir` (relative to `worktree`: new, changed and
/// deleted files; ignored ones stay out) and return the staged paths and
/// the lines the staged changes add to files under `dir/added_in`
/// (`git diff --cached`'s `+` lines). Refuses while a merge, rebase, ... is
/// in progress or the index has conflicts.
pub fn stage_dir(
    worktree: &Path,
    dir: &Path,
    added_in: &Path,
) -> Result<(Vec<String>, Vec<String>), Error> {
    refuse_in_progress(worktree)?;
    let mut add = git(worktree);
    add.args(["add", "-A", "--"]).arg(dir);
    run(add, "add -A")?;
    let mut names = git(worktree);
    names
        .args([
            "diff",
            "--cached",
            "--name-only",
            "-z",
            "--no-renames",
            "--",
        ])
        .arg(dir);
    let files = output(names, "diff --cached --name-only")?
        .split('\0')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let mut diff = git(worktree);
    diff.args([
        "diff",
        "--cached",
        "--no-color",
        "--no-ext-diff",
        "--no-renames",
        "-U0",
        "--",
    ])
    .arg(dir.join(added_in));
    let added = output(diff, "diff --cached")?
        .lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
        .map(|l| l[1..].to_string())
        .collect();
    Ok((files, added))
}

/// Commit what is staged under `dir` (and only that) with `message`; see
/// [`stage_dir`]. Returns the new commit's id.
pub fn commit_dir(worktree: &Path, dir: &Path, message: &str) -> Result<String, Error> {
    refuse_in_progress(worktree)?;
    let mut commit = git(worktree);
    commit
        .args(["commit", "-q", "-m", message, "--only", "--"])
        .arg(dir);
    run(commit, "commit")?;
    let mut head = git(worktree);
    head.args(["rev-parse", "HEAD"]);
    Ok(output(head, "rev-parse HEAD")?.trim().to_string())
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

fn run(cmd: Command, what: &str) -> Result<(), Error> {
    output(cmd, what).map(drop)
}

/// Run; stdout on success, stderr (or stdout) in the error otherwise.
fn output(mut cmd: Command, what: &str) -> Result<String, Error> {
    let out = cmd.output().map_err(|e| Error::Command {
        args: what.into(),
        message: e.to_string(),
    })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
        let stdout = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let message = match (stderr.is_empty(), stdout.is_empty()) {
            (false, _) => stderr,
            (true, false) => stdout,
            (true, true) => out.status.to_string(),
        };
        Err(Error::Command {
            args: what.into(),
            message,
        })
    }
}
