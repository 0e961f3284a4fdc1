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
    /// A remote could not be reached (network, no such repository, auth).
    #[error("cannot reach git remote {remote:?}: {message}")]
    Unreachable { remote: String, message: String },
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

/// The branch checked out in `worktree` (short name, e.g. `main`);
/// `None` when HEAD is detached.
pub fn branch(worktree: &Path) -> Result<Option<String>, Error> {
    let open_err = |e: &dyn std::fmt::Display| Error::Open {
        path: worktree.to_path_buf(),
        message: e.to_string(),
    };
    let repo = gix::open(worktree).map_err(|e| open_err(&e))?;
    let head = repo.head_name().map_err(|e| open_err(&e))?;
    Ok(head.map(|name| name.shorten().to_string()))
}

/// What `git status` says about a worktree, leaving out gemba's own
/// `.gemba/` (its pending files are not the agent's work).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Status {
    /// The checked-out branch; `None` when HEAD is detached.
    pub branch: Option<String>,
    /// The branch's upstream (`origin/main`), when it has one.
    pub upstream: Option<String>,
    /// Commits on the branch not on its upstream, and the other way round
    /// (0 without an upstream).
    pub ahead: u64,
    pub behind: u64,
    /// Paths modified, staged, unmerged or untracked (not ignored).
    pub changed: usize,
}

impl Status {
    pub fn is_clean(&self) -> bool {
        self.changed == 0
    }
}

/// `git status` of `worktree`. The git CLI rather than gix: it applies
/// exactly the user's ignore rules, racy-clean checks and fsmonitor.
pub fn status(worktree: &Path) -> Result<Status, Error> {
    let mut cmd = git(worktree);
    cmd.args([
        "status",
        "--porcelain=v2",
        "--branch",
        "--untracked-files=normal",
        "--",
        ".",
        ":(exclude).gemba",
    ]);
    Ok(parse_status(&output(cmd, "status")?))
}

/// `git status --porcelain=v2 --branch` output (one entry per line: paths
/// with newlines are quoted without `-z`).
fn parse_status(text: &str) -> Status {
    let mut status = Status::default();
    for line in text.lines() {
        if let Some(header) = line.strip_prefix("# ") {
            let (key, value) = header.split_once(' ').unwrap_or((header, ""));
            match key {
                "branch.head" if value != "(detached)" => status.branch = Some(value.into()),
                "branch.upstream" => status.upstream = Some(value.into()),
                "branch.ab" => {
                    for part in value.split_whitespace() {
                        if let Some(n) = part.strip_prefix('+') {
                            status.ahead = n.parse().unwrap_or(0);
                        } else if let Some(n) = part.strip_prefix('-') {
                            status.behind = n.parse().unwrap_or(0);
                        }
                    }
                }
                _ => {}
            }
        } else if !line.is_empty() && !line.starts_with('!') {
            status.changed += 1;
        }
    }
    status
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

/// Write a commit holding one file, `name` with `bytes`, and return its id.
/// The commit has no parent and a fixed author (`gemba`) at `time` (Unix
/// seconds), so its id is a function of its arguments: anyone holding the
/// same file can compute the id a ref holding it must have.
pub fn write_file_commit(
    worktree: &Path,
    name: &str,
    bytes: &[u8],
    message: &str,
    time: i64,
) -> Result<String, Error> {
    let mut blob = git(worktree);
    blob.args(["hash-object", "-w", "--no-filters", "--stdin"]);
    let blob = output_with_input(blob, "hash-object", bytes)?;
    let mut tree = git(worktree);
    tree.arg("mktree");
    let entry = format!("100644 blob {}\t{name}\n", blob.trim());
    let tree = output_with_input(tree, "mktree", entry.as_bytes())?;
    let who = format!("gemba <gemba@invalid> {time} +0000");
    let commit_text = format!(
        "tree {}\nauthor {who}\ncommitter {who}\n\n{message}\n",
        tree.trim()
    );
    let mut commit = git(worktree);
    commit.args(["hash-object", "-t", "commit", "-w", "--stdin"]);
    Ok(
        output_with_input(commit, "hash-object -t commit", commit_text.as_bytes())?
            .trim()
            .to_string(),
    )
}

/// What a guarded push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Push {
    Done,
    /// The remote refused the update: the ref was not at the expected
    /// value (`stale info`), or a hook or lock refused it. The reason as
    /// git gives it.
    Rejected(String),
}

/// Set `refname` on `remote` to `new` (`None` deletes it), only if it is
/// now at `expected` (`None`: only if it does not exist). This is `git
/// push --force-with-lease=<ref>:<expected>`: a compare-and-swap on the
/// remote ref, where a plain push would accept any fast-forward.
pub fn push_ref(
    worktree: &Path,
    remote: &str,
    refname: &str,
    new: Option<&str>,
    expected: Option<&str>,
) -> Result<Push, Error> {
    let mut push = network(worktree);
    push.args(["push", "--porcelain", "--no-verify"])
        .arg(format!(
            "--force-with-lease={refname}:{}",
            expected.unwrap_or("")
        ))
        .arg(remote)
        .arg(format!("{}:{refname}", new.unwrap_or("")));
    let out = push.output().map_err(|e| Error::Command {
        args: "push".into(),
        message: e.to_string(),
    })?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    // `<flag>\t<from>:<to>\t<summary>`; `!` is a refusal. No line for our
    // ref: git never got to talk to the remote.
    let line = stdout.lines().find_map(|line| {
        let mut fields = line.split('\t');
        let flag = fields.next()?;
        let refs = fields.next()?;
        let summary = fields.next().unwrap_or("");
        refs.ends_with(&format!(":{refname}"))
            .then_some((flag, summary))
    });
    match line {
        Some(("!", summary)) => Ok(Push::Rejected(summary.to_string())),
        Some(_) if out.status.success() => Ok(Push::Done),
        Some((_, summary)) => Err(Error::Command {
            args: "push".into(),
            message: format!("{summary}: {}", String::from_utf8_lossy(&out.stderr).trim()),
        }),
        None => Err(Error::Unreachable {
            remote: remote.into(),
            message: last_line(&out.stderr, &out.status),
        }),
    }
}

/// The commit `refname` points at on `remote`, fetched into the local
/// object store so it can be read; `None` when the remote has no such ref.
pub fn fetch_ref(worktree: &Path, remote: &str, refname: &str) -> Result<Option<String>, Error> {
    let mut ls = network(worktree);
    ls.args(["ls-remote", remote, refname]);
    let out = on_remote(ls, "ls-remote", remote)?;
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(oid) = text
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .find(|(_, name)| *name == refname)
        .map(|(oid, _)| oid.to_string())
    else {
        return Ok(None);
    };
    if !has_object(worktree, &oid) {
        let mut fetch = network(worktree);
        fetch
            .args(["fetch", "-q", "--no-tags", "--no-write-fetch-head"])
            .args([remote, refname]);
        on_remote(fetch, "fetch", remote)?;
    }
    Ok(Some(oid))
}

fn has_object(worktree: &Path, oid: &str) -> bool {
    let mut cat = git(worktree);
    cat.args(["cat-file", "-e", oid]);
    cat.stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Make the local refs under `local` (`refs/x/`) a copy of the remote's
/// under `remote_prefix`: fetched, and pruned where the remote has none.
/// Returns `(ref name, commit)` of the copies, by name.
pub fn mirror_refs(
    worktree: &Path,
    remote: &str,
    remote_prefix: &str,
    local: &str,
) -> Result<Vec<(String, String)>, Error> {
    let mut fetch = network(worktree);
    fetch
        .args([
            "fetch",
            "-q",
            "--prune",
            "--no-tags",
            "--no-write-fetch-head",
        ])
        .arg(remote)
        .arg(format!("+{remote_prefix}*:{local}*"));
    on_remote(fetch, "fetch", remote)?;
    let mut list = git(worktree);
    list.args(["for-each-ref", "--format=%(refname)%09%(objectname)", local]);
    Ok(output(list, "for-each-ref")?
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(name, oid)| (name.to_string(), oid.to_string()))
        .collect())
}

/// The contents of `<commit>:<path>` for each `(commit, path)`, in one
/// `git cat-file --batch`; `None` where there is no such file.
pub fn read_files(
    worktree: &Path,
    specs: &[(String, String)],
) -> Result<Vec<Option<Vec<u8>>>, Error> {
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    let input: String = specs
        .iter()
        .map(|(commit, path)| format!("{commit}:{path}\n"))
        .collect();
    let mut cat = git(worktree);
    cat.args(["cat-file", "--batch"]);
    let out = run_with_input(cat, "cat-file --batch", input.as_bytes())?;
    // `<oid> <type> <size>\n<bytes>\n`, or `<spec> missing\n`.
    let mut rest: &[u8] = &out;
    let mut files = Vec::with_capacity(specs.len());
    let bad = || Error::Command {
        args: "cat-file --batch".into(),
        message: "unexpected output".into(),
    };
    for _ in specs {
        let end = rest.iter().position(|&b| b == b'\n').ok_or_else(bad)?;
        let header = String::from_utf8_lossy(&rest[..end]).into_owned();
        rest = &rest[end + 1..];
        if header.ends_with(" missing") || header.ends_with(" ambiguous") {
            files.push(None);
            continue;
        }
        let size: usize = header
            .rsplit(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .ok_or_else(bad)?;
        let body = rest.get(..size).ok_or_else(bad)?;
        files.push(Some(body.to_vec()));
        rest = rest.get(size + 1..).ok_or_else(bad)?;
    }
    Ok(files)
}

/// One commit of a [`history`] walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryCommit {
    /// The commit id (hex).
    pub id: String,
    /// Its parents (hex), first parent first.
    pub parents: Vec<String>,
    pub message: String,
    /// Committer time, Unix seconds.
    pub time: i64,
    /// The paths it changed against its first parent (a root commit: every
    /// path), repository-relative with `/`, sorted; files and symlinks only
    /// (no directories, no submodules). A merge is compared with its first
    /// parent only, like `git log --first-parent --name-only`.
    pub files: Vec<String>,
    /// On the first-parent line of the walk's tip; `false` for the commits
    /// a merge brought in from its other parents.
    pub mainline: bool,
    /// The branch the commit was made on, as far as the history tells: for
    /// a merge, the branch its subject names (`Merge branch 'x'`); for a
    /// commit brought in by a merge, that merge's branch.
    pub branch: Option<String>,
    /// For a commit brought in by a merge: the mainline merge that brought
    /// it (the moment it landed).
    pub landed_by: Option<String>,
}

/// The commit `spec` names (`HEAD`, `ORIG_HEAD`, a branch, an id, ...).
pub fn resolve_commit(worktree: &Path, spec: &str) -> Result<String, Error> {
    let repo = open(worktree)?;
    resolve_in(&repo, spec)
}

fn open(worktree: &Path) -> Result<gix::Repository, Error> {
    gix::open(worktree).map_err(|e| Error::Open {
        path: worktree.to_path_buf(),
        message: e.to_string(),
    })
}

fn resolve_in(repo: &gix::Repository, spec: &str) -> Result<String, Error> {
    let bad = |message: String| Error::Command {
        args: format!("rev-parse {spec}"),
        message,
    };
    let id = repo
        .rev_parse_single(spec)
        .map_err(|e| bad(format!("{spec:?} names no commit ({e})")))?;
    let commit = id
        .object()
        .map_err(|e| bad(e.to_string()))?
        .peel_to_commit()
        .map_err(|_| bad(format!("{spec:?} is not a commit")))?;
    Ok(commit.id.to_string())
}

/// The commits reachable from `to` but not from `from` (every commit
/// reachable from `to` without it), newest first along the first-parent
/// line, each with the files it changed and, for commits that merges
/// brought in, the branch they came from. The first-parent line is what
/// `git log --first-parent A..B` lists; the other commits are those of the
/// merged branches, so that their messages can be linked to beads.
///
/// Order: mainline commits oldest first, each merge followed by the
/// commits it brought in (newest first).
pub fn history(worktree: &Path, from: Option<&str>, to: &str) -> Result<Vec<HistoryCommit>, Error> {
    use std::collections::HashMap;
    let mut repo = open(worktree)?;
    repo.object_cache_size_if_unset(8 * 1024 * 1024);
    let walk_err = |e: &dyn std::fmt::Display| Error::Command {
        args: "log".into(),
        message: e.to_string(),
    };
    let tip =
        gix::ObjectId::from_hex(resolve_in(&repo, to)?.as_bytes()).map_err(|e| walk_err(&e))?;
    let hidden = match from {
        Some(f) => vec![
            gix::ObjectId::from_hex(resolve_in(&repo, f)?.as_bytes()).map_err(|e| walk_err(&e))?,
        ],
        None => Vec::new(),
    };
    // Every commit of the range, with its parents.
    let mut parents: HashMap<gix::ObjectId, Vec<gix::ObjectId>> = HashMap::new();
    let walk = repo
        .rev_walk([tip])
        .with_hidden(hidden)
        .all()
        .map_err(|e| walk_err(&e))?;
    for info in walk {
        let info = info.map_err(|e| walk_err(&e))?;
        parents.insert(info.id, info.parent_ids.iter().copied().collect());
    }
    // The first-parent line, then what each merge brought in: the first
    // parents of its other parents, down to a commit already placed
    // (nested merges are followed the same way).
    let mut order: Vec<(gix::ObjectId, bool, Option<String>, Option<gix::ObjectId>)> = Vec::new();
    let mut placed: std::collections::HashSet<gix::ObjectId> = Default::default();
    let mut at = Some(tip);
    let mut mainline = Vec::new();
    while let Some(id) = at.filter(|id| parents.contains_key(id)) {
        placed.insert(id);
        mainline.push(id);
        at = parents[&id].first().copied();
    }
    let mut messages: HashMap<gix::ObjectId, (String, i64, gix::ObjectId)> = HashMap::new();
    let mut read = |repo: &gix::Repository,
                    id: gix::ObjectId|
     -> Result<(String, i64, gix::ObjectId), Error> {
        if let Some(m) = messages.get(&id) {
            return Ok(m.clone());
        }
        let commit = repo.find_commit(id).map_err(|e| walk_err(&e))?;
        let message = commit
            .message_raw()
            .map(|m| m.to_string())
            .unwrap_or_else(|_| commit.message_raw_sloppy().to_string());
        let time = commit.time().map(|t| t.seconds).unwrap_or(0);
        let tree = commit.tree_id().map_err(|e| walk_err(&e))?.detach();
        let entry = (message, time, tree);
        messages.insert(id, entry.clone());
        Ok(entry)
    };
    // Oldest merge first: a branch merged twice gave its early commits to
    // the first merge, and the second one only brings what came after.
    for &merge in mainline.iter().rev() {
        order.push((merge, true, None, None));
        let mut queue: std::collections::VecDeque<(gix::ObjectId, Option<String>)> =
            Default::default();
        queue.push_back((merge, None));
        while let Some((m, outer)) = queue.pop_front() {
            let ps = &parents[&m];
            if ps.len() < 2 {
                continue;
            }
            let (message, _, _) = read(&repo, m)?;
            let name = merged_branch(&message).or(outer);
            if m == merge {
                order.last_mut().expect("pushed above").2 = name.clone();
            }
            for &side in &ps[1..] {
                let mut at = Some(side);
                while let Some(id) =
                    at.filter(|id| parents.contains_key(id) && !placed.contains(id))
                {
                    placed.insert(id);
                    order.push((id, false, name.clone(), Some(merge)));
                    if parents[&id].len() > 1 {
                        queue.push_back((id, name.clone()));
                    }
                    at = parents[&id].first().copied();
                }
            }
        }
    }
    // Anything left (reachable only in ways the walk above does not
    // follow) still counts, without a branch.
    let mut rest: Vec<gix::ObjectId> = parents
        .keys()
        .filter(|id| !placed.contains(*id))
        .copied()
        .collect();
    rest.sort();
    order.extend(rest.into_iter().map(|id| (id, false, None, None)));

    let mut state = gix::diff::tree::State::default();
    let mut out = Vec::with_capacity(order.len());
    for (id, mainline, branch, landed_by) in order {
        let (message, time, tree) = read(&repo, id)?;
        let parent_tree = match parents[&id].first() {
            Some(p) => Some(read(&repo, *p)?.2),
            None => None,
        };
        let files =
            changed_files(&repo, parent_tree, tree, &mut state).map_err(|e| walk_err(&e))?;
        out.push(HistoryCommit {
            id: id.to_string(),
            parents: parents[&id].iter().map(|p| p.to_string()).collect(),
            message,
            time,
            files,
            mainline,
            branch,
            landed_by: landed_by.map(|m| m.to_string()),
        });
    }
    Ok(out)
}

/// The files (and symlinks) that differ between two trees, sorted.
fn changed_files(
    repo: &gix::Repository,
    old: Option<gix::ObjectId>,
    new: gix::ObjectId,
    state: &mut gix::diff::tree::State,
) -> Result<Vec<String>, String> {
    use gix::diff::tree::recorder::Change;
    let kind = new.kind();
    let empty = gix::ObjectId::empty_tree(kind);
    let old_tree = repo
        .find_tree(old.unwrap_or(empty))
        .map_err(|e| e.to_string())?;
    let new_tree = repo.find_tree(new).map_err(|e| e.to_string())?;
    let mut recorder = gix::diff::tree::Recorder::default();
    gix::diff::tree(
        gix::objs::TreeRefIter::from_bytes(&old_tree.data, kind),
        gix::objs::TreeRefIter::from_bytes(&new_tree.data, kind),
        &mut *state,
        &repo.objects,
        &mut recorder,
    )
    .map_err(|e| e.to_string())?;
    let mut files: Vec<String> = recorder
        .records
        .into_iter()
        .filter_map(|change| {
            let (mode, path) = match change {
                Change::Addition {
                    entry_mode, path, ..
                }
                | Change::Deletion {
                    entry_mode, path, ..
                } => (entry_mode, path),
                Change::Modification {
                    entry_mode, path, ..
                } => (entry_mode, path),
            };
            (!mode.is_tree() && !mode.is_commit()).then(|| path.to_string())
        })
        .collect();
    files.sort_unstable();
    files.dedup();
    Ok(files)
}

/// The branch a merge commit's subject names: `Merge branch 'x'` (`into
/// y` after it or not), `Merge remote-tracking branch 'origin/x'`, `Merge
/// pull request #12 from owner/x`. `None` for other subjects and for
/// octopus merges (`Merge branches 'a' and 'b'`).
pub fn merged_branch(message: &str) -> Option<String> {
    let subject = message.lines().next()?.trim();
    let quoted = |rest: &str| -> Option<String> {
        let rest = rest.strip_prefix('\'')?;
        let end = rest.find('\'')?;
        Some(rest[..end].to_string()).filter(|b| !b.is_empty())
    };
    if let Some(rest) = subject.strip_prefix("Merge branch ") {
        return quoted(rest);
    }
    if let Some(rest) = subject.strip_prefix("Merge remote-tracking branch ") {
        return quoted(rest);
    }
    if let Some(rest) = subject.strip_prefix("Merge pull request ") {
        let (_, from) = rest.split_once(" from ")?;
        return from.split_whitespace().next().map(String::from);
    }
    None
}

/// Whether merging the two parents of `merge` again meets conflicts, and
/// in which files (`git merge-tree --write-tree`, git >= 2.38: the merge
/// the person made is redone without touching the worktree). `None` when
/// it is no two-parent merge or git cannot tell.
pub fn merge_conflicts(worktree: &Path, merge: &HistoryCommit) -> Option<Vec<String>> {
    let [first, second] = merge.parents.as_slice() else {
        return None;
    };
    let mut cmd = git(worktree);
    cmd.args([
        "merge-tree",
        "--write-tree",
        "--name-only",
        "--no-messages",
        first,
        second,
    ]);
    let out = cmd.output().ok()?;
    // Exit 0: clean; 1: conflicts (tree id, then the conflicted paths).
    match out.status.code() {
        Some(0) => Some(Vec::new()),
        Some(1) => {
            let text = String::from_utf8_lossy(&out.stdout);
            let mut files: Vec<String> = text
                .lines()
                .skip(1)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect();
            files.dedup();
            Some(files)
        }
        _ => None,
    }
}

/// The repository's git directory shared by all its worktrees (`.git` of
/// the main worktree): where per-clone state that is never committed lives.
pub fn common_dir(worktree: &Path) -> Result<PathBuf, Error> {
    let repo = gix::open(worktree).map_err(|e| Error::Open {
        path: worktree.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok(absolute(worktree, repo.common_dir()))
}

/// Where git looks for `dir`'s hooks, as git itself resolves it
/// (`core.hooksPath`, relative to the worktree; a linked worktree's hooks
/// are the common dir's), absolute.
pub fn hooks_dir(dir: &Path) -> Result<PathBuf, Error> {
    let mut cmd = git(dir);
    cmd.args(["rev-parse", "--path-format=absolute", "--git-path", "hooks"]);
    let out = output(cmd, "rev-parse --git-path hooks")?;
    Ok(absolute(dir, Path::new(out.trim_end_matches('\n'))))
}

/// The last line git wrote on stderr (its `fatal:` reason), or the status.
/// Run a command that talks to `remote`: a failure is the remote being
/// unreachable (or refusing), said in git's last line of stderr.
fn on_remote(mut cmd: Command, what: &str, remote: &str) -> Result<std::process::Output, Error> {
    let out = cmd.output().map_err(|e| Error::Command {
        args: what.into(),
        message: e.to_string(),
    })?;
    if !out.status.success() {
        return Err(Error::Unreachable {
            remote: remote.into(),
            message: last_line(&out.stderr, &out.status),
        });
    }
    Ok(out)
}

fn last_line(stderr: &[u8], status: &std::process::ExitStatus) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .unwrap_or_else(|| status.to_string())
}

/// A git command that talks to a remote: never prompts (a claim must not
/// hang on a password prompt), and never starts maintenance in a
/// repository many gembas use at once.
fn network(worktree: &Path) -> Command {
    let mut cmd = git(worktree);
    cmd.env("GIT_TERMINAL_PROMPT", "0")
        .args(["-c", "gc.auto=0", "-c", "maintenance.auto=false"])
        .stdin(std::process::Stdio::null());
    cmd
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

/// Run with `input` on stdin; stdout (trimmed of nothing) on success.
fn output_with_input(cmd: Command, what: &str, input: &[u8]) -> Result<String, Error> {
    run_with_input(cmd, what, input).map(|out| String::from_utf8_lossy(&out).into_owned())
}

fn run_with_input(mut cmd: Command, what: &str, input: &[u8]) -> Result<Vec<u8>, Error> {
    use std::io::Write;
    use std::process::Stdio;
    let err = |e: std::io::Error| Error::Command {
        args: what.into(),
        message: e.to_string(),
    };
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(err)?;
    // Write from another thread: a large output could otherwise fill the
    // pipe while we still write the input.
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| err(std::io::ErrorKind::BrokenPipe.into()))?;
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().map_err(err)?;
    writer
        .join()
        .unwrap_or_else(|_| Err(std::io::ErrorKind::BrokenPipe.into()))
        .map_err(err)?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(Error::Command {
            args: what.into(),
            message: last_line(&out.stderr, &out.status),
        })
    }
}

fn run(cmd: Command, what: &str) -> Result<(), Error> {
    output(cmd, what).map(drop)
}

/// How long a git command waits for another one's `index.lock` (two gemba
/// processes auto-committing at once: a hook's and a background scan's).
const INDEX_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Run; stdout on success, stderr (or stdout) in the error otherwise. A
/// command refused because another git process holds the index lock is
/// run again until it gets it (at most [`INDEX_LOCK_WAIT`]).
fn output(mut cmd: Command, what: &str) -> Result<String, Error> {
    let started = std::time::Instant::now();
    let out = loop {
        let out = cmd.output().map_err(|e| Error::Command {
            args: what.into(),
            message: e.to_string(),
        })?;
        let locked = !out.status.success()
            && String::from_utf8_lossy(&out.stderr).contains("index.lock': File exists");
        if !locked || started.elapsed() > INDEX_LOCK_WAIT {
            break out;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A branch merged twice: its first commit landed with the first
    /// merge, its second with the second; merges name their branch.
    #[test]
    fn history_attributes_branch_commits_to_the_merge_that_landed_them() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let git = |args: &[&str]| {
            let out = Command::new("git")
                .current_dir(dir)
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_AUTHOR_NAME", "t")
                .env("GIT_AUTHOR_EMAIL", "t@x")
                .env("GIT_COMMITTER_NAME", "t")
                .env("GIT_COMMITTER_EMAIL", "t@x")
                .args(args)
                .output()
                .unwrap();
            assert!(out.status.success(), "git {args:?}: {out:?}");
            String::from_utf8(out.stdout).unwrap().trim().to_string()
        };
        let commit = |file: &str, message: &str| {
            std::fs::write(dir.join(file), message).unwrap();
            git(&["add", "-A"]);
            git(&["commit", "-q", "-m", message]);
            git(&["rev-parse", "HEAD"])
        };
        git(&["init", "-q", "-b", "main"]);
        let root = commit("a", "root");
        git(&["checkout", "-q", "-b", "feat/x"]);
        let c1 = commit("b", "one");
        git(&["checkout", "-q", "main"]);
        git(&[
            "merge",
            "-q",
            "--no-ff",
            "feat/x",
            "-m",
            "Merge branch 'feat/x'",
        ]);
        let m1 = git(&["rev-parse", "HEAD"]);
        git(&["checkout", "-q", "feat/x"]);
        let c2 = commit("c", "two");
        git(&["checkout", "-q", "main"]);
        git(&[
            "merge",
            "-q",
            "--no-ff",
            "feat/x",
            "-m",
            "Merge branch 'feat/x' into main",
        ]);
        let m2 = git(&["rev-parse", "HEAD"]);

        let all = history(dir, None, "HEAD").unwrap();
        let find = |id: &str| all.iter().find(|c| c.id == id).unwrap();
        assert_eq!(all.len(), 5);
        assert_eq!(find(&c1).landed_by.as_deref(), Some(m1.as_str()));
        assert_eq!(find(&c2).landed_by.as_deref(), Some(m2.as_str()));
        assert_eq!(find(&c1).branch.as_deref(), Some("feat/x"));
        assert!(find(&m1).mainline && !find(&c1).mainline);
        assert_eq!(find(&m2).branch.as_deref(), Some("feat/x"));
        // A merge against its first parent: what the branch brought.
        assert_eq!(find(&m2).files, ["c"]);
        assert_eq!(find(&root).files, ["a"]);
        // A range hides what its start reaches.
        let since: Vec<String> = history(dir, Some(&m1), "HEAD")
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(since, [m2.clone(), c2.clone()]);
        assert_eq!(
            merged_branch("Merge pull request #7 from o/fix-bd-1\n\nx").as_deref(),
            Some("o/fix-bd-1")
        );
        assert_eq!(merged_branch("Merge branches 'a' and 'b'"), None);
        assert_eq!(
            merged_branch("Merge remote-tracking branch 'origin/x'").as_deref(),
            Some("origin/x")
        );
    }

    #[test]
    fn status_lines() {
        let text = "# branch.oid 1a2b\n# branch.head feature\n# branch.upstream origin/feature\n# branch.ab +2 -3\n1 .M N... 100644 100644 100644 a b src/a.rs\n2 R. N... 100644 100644 100644 a b R100 new.rs\told.rs\n? notes.txt\n! target/\n";
        let s = parse_status(text);
        assert_eq!(s.branch.as_deref(), Some("feature"));
        assert_eq!(s.upstream.as_deref(), Some("origin/feature"));
        assert_eq!((s.ahead, s.behind), (2, 3));
        assert_eq!(s.changed, 3);
        let detached = parse_status("# branch.oid 1a2b\n# branch.head (detached)\n");
        assert_eq!(detached.branch, None);
        assert!(detached.is_clean());
        assert_eq!((detached.ahead, detached.behind), (0, 0));
    }
}
