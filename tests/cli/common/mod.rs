//! The test environment: a temp dir holding a fresh git repository, a
//! hermetic environment (no global git config, fixed identities and dates,
//! a pinned clock) and helpers to run the real binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use assert_cmd::cargo::CommandCargoExt;

/// The real data sets (read-only). Missing data fails the test loudly:
/// a test that cannot see its data must not pass.
pub fn shared_data(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/beads")
        .join(name);
    assert!(
        path.is_file(),
        "missing test data {}: keep ../shared beside this checkout",
        path.display()
    );
    path
}

/// A file of the real history data (read-only).
pub fn shared_history(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/history")
        .join(name);
    assert!(
        path.is_file(),
        "missing test data {}: keep ../shared beside this checkout",
        path.display()
    );
    path
}

/// Every issue of a shared data file, as raw JSON.
pub fn read_issues(name: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(shared_data(name))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub const FLYWHEEL: &str = "Dicklesworthstone__flywheel_connectors__issues.jsonl";
pub const BEADS: &str = "steveyegge__beads__issues.jsonl";

/// bd's infrastructure types, written out here (not taken from the
/// library) so the tests' expectations stay independent of the code.
pub const INFRASTRUCTURE: [&str; 9] = [
    "event",
    "message",
    "agent",
    "role",
    "rig",
    "molecule",
    "merge-request",
    "gate",
    "convoy",
];

/// The clock every command sees unless a test sets another.
pub const NOW: &str = "2026-11-23T12:00:00Z";

pub struct TestEnv {
    pub tmp: tempfile::TempDir,
    /// The main worktree.
    pub root: PathBuf,
}

impl TestEnv {
    /// A fresh git repo with one commit, not yet `gemba init`ed.
    pub fn new() -> TestEnv {
        let tmp = tempfile::Builder::new()
            .prefix("gemba-test-")
            .tempdir()
            .unwrap();
        let root = tmp.path().join("repo");
        std::fs::create_dir(&root).unwrap();
        let env = TestEnv { tmp, root };
        env.git(&["init", "-q", "-b", "main"]);
        env.write("README.md", "test repo\n");
        env.git(&["add", "README.md"]);
        env.git(&["commit", "-q", "-m", "initial"]);
        env
    }

    /// A fresh repo with `gemba init` done and committed.
    pub fn init() -> TestEnv {
        let env = TestEnv::new();
        env.ok(&["init"]);
        env.git(&["add", "-A"]);
        env.git(&["commit", "-q", "-m", "gemba init"]);
        env
    }

    pub fn gemba_dir(&self) -> PathBuf {
        self.root.join(".gemba")
    }

    fn hermetic(&self, cmd: &mut Command) {
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.tmp.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.invalid")
            .env("GIT_AUTHOR_DATE", "2026-11-23T12:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-11-23T12:00:00Z")
            .env("GEMBA_NOW", NOW)
            .env("GEMBA_ACTOR", "tester")
            .env("NO_COLOR", "1");
    }

    /// `gemba ARGS` in the main worktree.
    pub fn cmd(&self, args: &[&str]) -> Command {
        self.cmd_in(&self.root, args)
    }

    /// `gemba ARGS` in `dir`.
    pub fn cmd_in(&self, dir: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("gemba").unwrap();
        self.hermetic(&mut cmd);
        cmd.current_dir(dir).args(args);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    /// Run and assert exit 0; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "gemba {args:?} failed:\n{}",
            render(&out)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Run with `--json` and parse stdout.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = args.to_vec();
        all.push("--json");
        let out = self.run(&all);
        assert!(
            out.status.success() || out.status.code() == Some(3),
            "gemba {all:?} failed:\n{}",
            render(&out)
        );
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("bad JSON from {all:?}: {e}\n{}", render(&out)))
    }

    /// Run and assert the exit code; returns the output.
    pub fn fails(&self, code: i32, args: &[&str]) -> Output {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "gemba {args:?}:\n{}",
            render(&out)
        );
        out
    }

    pub fn git(&self, args: &[&str]) -> String {
        self.git_in(&self.root, args)
    }

    /// The records on the bare repository `remote` under
    /// `refs/gemba/<kind>/` (claims, takes): name -> the JSON file the
    /// ref's commit holds (`<name>.json`).
    pub fn remote_records(
        &self,
        remote: &Path,
        kind: &str,
    ) -> std::collections::BTreeMap<String, serde_json::Value> {
        let prefix = format!("refs/gemba/{kind}/");
        let refs = self.git_in(remote, &["for-each-ref", "--format=%(refname)", &prefix]);
        refs.lines()
            .map(|r| {
                let id = r.strip_prefix(&prefix).unwrap().to_string();
                let text = self.git_in(remote, &["show", &format!("{r}:{id}.json")]);
                (id, serde_json::from_str(&text).unwrap())
            })
            .collect()
    }

    pub fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        let mut cmd = Command::new("git");
        self.hermetic(&mut cmd);
        let out = cmd.current_dir(dir).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "git {args:?} failed:\n{}",
            render(&out)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// `git ARGS` in the main worktree, without asserting success (for
    /// merges that are meant to stop on a conflict).
    pub fn git_try(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new("git");
        self.hermetic(&mut cmd);
        cmd.current_dir(&self.root).args(args).output().unwrap()
    }

    /// `git ARGS` in `dir` with `path` as PATH, without asserting success
    /// (git's hooks find `gemba` on PATH: see [`gemba_path`]).
    pub fn git_with_path(&self, dir: &Path, path: &std::ffi::OsStr, args: &[&str]) -> Output {
        let mut cmd = Command::new("git");
        self.hermetic(&mut cmd);
        cmd.env("PATH", path)
            .current_dir(dir)
            .args(args)
            .output()
            .unwrap()
    }

    /// Set `git.auto_commit: true` in config.yaml and commit that.
    pub fn enable_auto_commit(&self) {
        let config = self
            .read(".gemba/config.yaml")
            .replace("auto_commit: false", "auto_commit: true");
        self.write(".gemba/config.yaml", &config);
        self.git(&["commit", "-q", "-am", "enable auto_commit"]);
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.root.join(rel)).unwrap()
    }

    /// Every file under `.gemba/` (except locks and the derived cache in
    /// `index/`) with its bytes, for "nothing changed" assertions.
    pub fn snapshot(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![self.gemba_dir()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries {
                let p = e.unwrap().path();
                if p.is_dir() {
                    if p.file_name().is_none_or(|n| n != "index") {
                        stack.push(p);
                    }
                } else if p.extension().is_none_or(|x| x != "lock") {
                    out.push((p.clone(), std::fs::read(&p).unwrap()));
                }
            }
        }
        out.sort();
        out
    }

    /// Import a JSONL text written to a file in the repo.
    pub fn import_text(&self, text: &str) -> Output {
        self.write("import.jsonl", text);
        self.run(&["import", "beads", "import.jsonl"])
    }
}

/// PATH with the directory of the `gemba` under test first, as for a user
/// who installed it.
pub fn gemba_path() -> std::ffi::OsString {
    let bin = assert_cmd::cargo::cargo_bin("gemba");
    let mut dirs = vec![bin.parent().unwrap().to_path_buf()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).unwrap()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// stdout, stderr and exit status, for failure messages.
pub fn render(out: &Output) -> String {
    format!(
        "{}------- stderr -------\n{}[exit status: {:?}]",
        stdout(out),
        stderr(out),
        out.status.code()
    )
}

/// Every path under `dir` (files and directories; symlinks are not
/// followed), relative to `dir`, sorted: for "nothing was created
/// elsewhere" assertions. The derived cache `.gemba/index/` is left out.
pub fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if p.ends_with(".gemba/index") {
                continue;
            }
            out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

/// `path` as gemba prints it in errors: gemba resolves the repository
/// through `canonicalize`, so absolute paths in its messages are canonical.
pub fn canonical(path: &Path) -> PathBuf {
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) if !path.exists() => canonical(parent).join(name),
        _ => std::fs::canonicalize(path).unwrap(),
    }
}

/// `gemba check --json` (which exits 1 when there are errors): the exit
/// code and the parsed report.
pub fn check_report(env: &TestEnv) -> (Option<i32>, serde_json::Value) {
    let out = env.run(&["check", "--json"]);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON from gemba check: {e}\n{}", render(&out)));
    (out.status.code(), report)
}

/// A bead file in gemba's canonical form: what gemba writes for an open
/// P2 task with these `blocks` dependencies.
pub fn bead_file(id: &str, title: &str, blocks: &[&str]) -> String {
    let mut s = format!(
        "{{\n  \"id\": {},\n  \"title\": {},\n  \"status\": \"open\",\n  \"priority\": 2,\n  \"issue_type\": \"task\"",
        serde_json::to_string(id).unwrap(),
        serde_json::to_string(title).unwrap()
    );
    if !blocks.is_empty() {
        let deps: Vec<String> = blocks
            .iter()
            .map(|to| {
                format!(
                    "    {{\n      \"depends_on_id\": {},\n      \"type\": \"blocks\"\n    }}",
                    serde_json::to_string(to).unwrap()
                )
            })
            .collect();
        s.push_str(&format!(
            ",\n  \"dependencies\": [\n{}\n  ]",
            deps.join(",\n")
        ));
    }
    s.push_str("\n}\n");
    s
}

/// Start every command before waiting for any, so they really race.
pub fn race_all(cmds: Vec<Command>) -> Vec<Output> {
    let children: Vec<std::process::Child> = cmds
        .into_iter()
        .map(|mut c| {
            c.stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

/// Wait for the background scan a hook started, so the test's repository
/// outlives it.
pub fn wait_for_scan(env: &TestEnv) {
    for _ in 0..100 {
        if !env
            .json(&["log", "--kind", "scan.run"])
            .as_array()
            .unwrap()
            .is_empty()
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("the background scan never finished");
}
