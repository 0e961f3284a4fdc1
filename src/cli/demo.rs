//! `gemba demo`: a guided tour on a sample tracker compiled into the binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::error::{CliError, CliResult};

/// A small realistic tracker (derived from the flywheel_connectors bd
/// export in ../shared/data): an epic, its tasks, blockers, a tombstone and
/// an infrastructure event.
pub const SAMPLE: &str = include_str!("../../examples/demo-tracker.jsonl");

/// The tracked files of the sample project, so extraction has real paths
/// to find (the sample beads name these).
const SKELETON: &[(&str, &str)] = &[
    (
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/fcp-core\", \"crates/fcp-sdk\", \"crates/fcp-cli\", \"crates/fcp-mesh\"]\n",
    ),
    (
        "crates/fcp-core/Cargo.toml",
        "[package]\nname = \"fcp-core\"\n",
    ),
    (
        "crates/fcp-sdk/Cargo.toml",
        "[package]\nname = \"fcp-sdk\"\n",
    ),
    (
        "crates/fcp-cli/Cargo.toml",
        "[package]\nname = \"fcp-cli\"\n",
    ),
    (
        "crates/fcp-mesh/Cargo.toml",
        "[package]\nname = \"fcp-mesh\"\n",
    ),
    ("crates/fcp-core/src/lib.rs", "//! Core types.\n"),
    ("crates/fcp-sdk/src/lib.rs", "//! Connector SDK.\n"),
    ("crates/fcp-cli/src/main.rs", "fn main() {}\n"),
    ("crates/fcp-cli/src/policy/mod.rs", "//! Policy bundles.\n"),
    ("crates/fcp-mesh/src/lib.rs", "//! Mesh networking.\n"),
    ("docs/fcp_model_connectors_rust.md", "# Model connectors\n"),
    ("scripts/e2e/connector_rollout_flow.sh", "#!/bin/sh\n"),
    ("scripts/e2e/policy_bundle_flow.sh", "#!/bin/sh\n"),
];

/// A guided tour of every capability on a built-in sample tracker.
///
/// Creates a throwaway git repository, then runs init (with
/// `git.auto_commit` on) → import → concepts bootstrap → backfill → ready →
/// targets → show → list → index build → conflicts → plan → agent add →
/// session start → next --explain → next --claim → coach → create →
/// close → ready → concepts → drift → check → log, printing each command
/// and its output, and ends with
/// `git log --oneline -- .gemba`: every change is a commit a person can
/// review.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba demo\n  gemba demo /tmp/gemba-demo   # keep the repository to explore"
)]
pub struct DemoArgs {
    /// Where to create the demo repository (must not exist or be empty)
    /// [default: a temporary directory, removed afterwards].
    dir: Option<PathBuf>,
}

pub fn run(args: &DemoArgs) -> CliResult {
    let tmp;
    let dir = match &args.dir {
        Some(d) => {
            if d.exists() && d.read_dir().map(|mut e| e.next().is_some()).unwrap_or(true) {
                return Err(CliError::invalid_input(format!(
                    "{} exists and is not empty",
                    d.display()
                )));
            }
            std::fs::create_dir_all(d)
                .map_err(|e| CliError::io(format!("{}: {e}", d.display())))?;
            d.clone()
        }
        None => {
            tmp = tempfile::Builder::new()
                .prefix("gemba-demo-")
                .tempdir()
                .map_err(CliError::io)?;
            tmp.path().to_path_buf()
        }
    };
    let exe = std::env::current_exe().map_err(CliError::io)?;
    let demo = Demo {
        dir: &dir,
        exe: &exe,
    };
    demo.say(&format!("gemba demo in {}", dir.display()));
    demo.git(&["init", "-q", "-b", "main"])?;
    for (path, text) in SKELETON {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(CliError::io)?;
        }
        std::fs::write(path, text).map_err(CliError::io)?;
    }
    demo.git(&["add", "-A"])?;
    demo.git(&["commit", "-q", "-m", "skeleton of the sample project"])?;
    std::fs::write(dir.join("tracker.jsonl"), SAMPLE).map_err(CliError::io)?;

    demo.step(
        "Create the .gemba/ state directory (config, vocabulary, JSON Schemas, .gitignore, merge=union log)",
        &["init"],
    )?;
    demo.say(
        "\n## Turn on git.auto_commit: every change below becomes a commit saying what happened",
    );
    let config = dir.join(".gemba").join(crate::store::CONFIG_FILE);
    let text = std::fs::read_to_string(&config)
        .map_err(|e| CliError::io(format!("{}: {e}", config.display())))?;
    let on = text.replace("auto_commit: false", "auto_commit: true");
    if on == text {
        return Err(CliError::invalid_input(format!(
            "{}: no `auto_commit: false` to turn on",
            config.display()
        )));
    }
    std::fs::write(&config, on).map_err(|e| CliError::io(format!("{}: {e}", config.display())))?;
    demo.say("$ sed -i 's/auto_commit: false/auto_commit: true/' .gemba/config.yaml");
    demo.git(&["add", "-A", "--", ".gemba", ".gitattributes"])?;
    demo.git(&["commit", "-q", "-m", "gemba init (auto_commit on)"])?;
    demo.say("$ git add .gemba .gitattributes && git commit -m 'gemba init (auto_commit on)'");
    demo.step(
        "Import a bd tracker export (tombstones and infrastructure types are skipped)",
        &["import", "beads", "tracker.jsonl"],
    )?;
    demo.step(
        "Re-import: idempotent, nothing rewritten",
        &["import", "beads", "tracker.jsonl"],
    )?;
    demo.step(
        "Propose concept tags from the repository's structure and the beads' labels",
        &["concepts", "bootstrap", "--max", "20"],
    )?;
    demo.step(
        "Enrich every open bead: target files, concepts, size (stamped `backfill`)",
        &["bead", "backfill"],
    )?;
    demo.step("What can start now (bd's ready rule)", &["ready"])?;
    let first = demo.capture(&["ready", "--limit", "1", "--json"])?;
    let first: serde_json::Value = serde_json::from_str(&first).map_err(CliError::parse_error)?;
    let first_id = first[0]["id"].as_str().unwrap_or("fc-1").to_string();
    let ready = demo.capture(&["ready", "--json"])?;
    let ready: serde_json::Value = serde_json::from_str(&ready).map_err(CliError::parse_error)?;
    let second_id = ready[1]["id"].as_str().unwrap_or(&first_id).to_string();
    demo.step(
        "Pin targets by hand: operator values survive every later extraction",
        &["bead", "targets", "add", &first_id, "crates/fcp-sdk/src/**"],
    )?;
    demo.step(
        "Look at the top bead, with each enrichment field's source",
        &["bead", "show", &first_id],
    )?;
    demo.step(
        "Which open beads are expected to touch the SDK?",
        &["bead", "list", "--target", "crates/fcp-sdk/src/lib.rs"],
    )?;
    demo.step(
        "Index the sources: which file imports which (for semantic conflicts)",
        &["index", "build"],
    )?;
    demo.step(
        "Another ready bead will touch the SDK's lib.rs too",
        &[
            "bead",
            "targets",
            "add",
            &second_id,
            "crates/fcp-sdk/src/lib.rs",
        ],
    )?;
    demo.step(
        "Which ready beads must not run at the same time, and why",
        &["conflicts"],
    )?;
    demo.step(
        "Waves of parallel-safe batches for three agents, each placement with its reason",
        &["plan", "--agents", "3"],
    )?;
    demo.step(
        "Register an agent: its capability envelope (max band, tools, context window)",
        &[
            "agent",
            "add",
            "alice",
            "--role",
            "build",
            "--max-band",
            "skilled",
            "--context-window",
            "200000",
        ],
    )?;
    let session = demo.step(
        "Start a session for it (workspace, branch and worktree detected from here)",
        &["session", "start", "--agent", "alice"],
    )?;
    let session = session.trim().to_string();
    demo.step(
        "What should this session do next, and why: every score component and gate",
        &["next", "--session", &session, "--explain"],
    )?;
    demo.step(
        "Claim it: the claim file is created with O_EXCL, so of racing sessions exactly one wins",
        &["next", "--session", &session, "--claim"],
    )?;
    demo.step(
        "Coach mode: every live session, and each ready bead scored for each of them",
        &["coach"],
    )?;
    demo.say("\n## Queues and the supply pipeline");
    std::fs::write(
        dir.join("TODO.md"),
        "# Inbox\n- [ ] Retry failed connector syncs with backoff\n- [ ] Document the CLI flags in crates/fcp-cli/src/main.rs\n- [x] Set up CI\n",
    )
    .map_err(CliError::io)?;
    demo.git(&["add", "TODO.md"])?;
    demo.git(&["commit", "-q", "-m", "a TODO list"])?;
    demo.step(
        "A TODO list as a demand source (also: idea backlogs, GitHub issues, Hacker News, ready beads)",
        &["supply", "source", "add", "todo", "TODO.md"],
    )?;
    demo.step(
        "Supply: each new item becomes a packet in a capable agent's queue, topped up to queue.target_depth",
        &["supply"],
    )?;
    demo.step("The queues, per agent and state", &["queue", "list"])?;
    let took = demo.step(
        "alice takes her top packet: one rename, so of racing takers exactly one wins",
        &["queue", "take", "--agent", "alice", "--session", &session],
    )?;
    let packet = took
        .split_whitespace()
        .nth(1)
        .ok_or_else(|| CliError::io("the demo's take printed no packet"))?
        .to_string();
    demo.step(
        "Done: its last stage logs a queue.shipped event (and runs the on_done/on_shipped hooks, if set)",
        &["queue", "done", &packet],
    )?;
    demo.step(
        "The artifact ledger: what shipped, from which item, through whom",
        &["ledger"],
    )?;
    demo.step(
        "Per agent: ready, in progress, utilization, idle since, and STARVING while work it fits waits",
        &["queue", "status"],
    )?;
    demo.step(
        "Auto-dispatch (off by default), as a dry run: what one tick would feed each idle session",
        &["dispatch", "tick", "--dry-run"],
    )?;
    demo.step(
        "Install git's post-merge and post-rewrite hooks (an existing hook would be chained, never overwritten)",
        &["hooks", "install"],
    )?;
    // A bead whose targets came from extraction: the retro corrects them.
    let worked = ready[2]["id"].as_str().unwrap_or(&second_id).to_string();
    let branch = format!("work/{worked}");
    demo.say(&format!(
        "\n## An agent works on {worked} on a branch; a plain `git merge` runs the hook\n\
         $ git checkout -b {branch} && edit && git commit -m '... ({worked})'\n\
         $ git checkout main && git merge --no-ff {branch}"
    ));
    demo.git(&["checkout", "-q", "-b", &branch])?;
    for (path, text) in [
        (
            "crates/fcp-sdk/src/lib.rs",
            "//! Connector SDK.\npub mod lifecycle;\n",
        ),
        (
            "crates/fcp-sdk/src/lifecycle.rs",
            "//! Connector lifecycle.\n",
        ),
    ] {
        std::fs::write(dir.join(path), text).map_err(CliError::io)?;
    }
    demo.git(&["add", "crates"])?;
    demo.git(&[
        "commit",
        "-q",
        "-m",
        &format!("Connector lifecycle in the SDK ({worked})"),
    ])?;
    demo.git(&["checkout", "-q", "main"])?;
    demo.merge(&branch)?;
    demo.step(
        "The post-merge hook's retrospective: files touched vs declared targets, targets corrected (stamp retro)",
        &["retro", "list"],
    )?;
    demo.step(
        "Its targets now are the files the merge touched, stamped retro",
        &["bead", "show", &worked],
    )?;
    demo.step("The retro in the log", &["log", "--kind", "retro"])?;
    demo.step(
        "The hook also counted the merge for the source-analysis scan scheduler",
        &["scan", "status"],
    )?;
    demo.step(
        "Calibration: coach picks and times to close become tuning suggestions (none apply silently)",
        &["calibrate", "--dry-run"],
    )?;
    demo.step(
        "Create a native bead that depends on it",
        &[
            "bead",
            "create",
            "--title",
            "Document the connector lifecycle",
            "--type",
            "task",
            "--dep",
            &first_id,
            "--label",
            "docs",
        ],
    )?;
    demo.step(
        "Close the top bead: the new bead becomes ready",
        &["bead", "close", &first_id, "--reason", "done in the demo"],
    )?;
    demo.step("Ready again", &["ready", "--limit", "5"])?;
    demo.step("Concept usage", &["concepts", "list"])?;
    demo.step(
        "Vocabulary drift: near-duplicate and stale terms become suggestions (never applied silently)",
        &["concepts", "drift"],
    )?;
    demo.step("Validate every file under .gemba/", &["check"])?;
    demo.step("The event log", &["log"])?;
    demo.say(
        "\n## The history a person reviews: one commit per change\n$ git log --oneline -- .gemba",
    );
    let log = demo.git_output(&["log", "--oneline", "--", ".gemba"])?;
    demo.say(log.trim_end());
    demo.say(
        "\ndone: every state change above is a plain file under .gemba/ and a commit that says what happened.",
    );
    Ok(())
}

struct Demo<'a> {
    dir: &'a Path,
    exe: &'a Path,
}

impl Demo<'_> {
    fn say(&self, text: &str) {
        super::ui::out(&format!("{text}\n"));
    }

    fn git(&self, args: &[&str]) -> CliResult {
        self.git_output(args).map(drop)
    }

    /// Run git in the demo repository; its stdout.
    fn git_output(&self, args: &[&str]) -> CliResult<String> {
        let mut cmd = Command::new("git");
        cmd.args(args).current_dir(self.dir);
        identity(&mut cmd);
        let out = cmd
            .output()
            .map_err(|e| CliError::git(format!("cannot run git: {e}")))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(CliError::git(format!(
                "git {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            )))
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(self.exe);
        cmd.args(args)
            .current_dir(self.dir)
            .env_remove("GEMBA_DIR")
            .env("GEMBA_ACTOR", "demo")
            .env("NO_COLOR", "1");
        // gemba's auto-commits need an identity even where git has none.
        identity(&mut cmd);
        cmd
    }

    /// Run and show one step; its stdout.
    fn step(&self, title: &str, args: &[&str]) -> CliResult<String> {
        let shown: Vec<String> = args.iter().map(|a| shell_quote(a)).collect();
        self.say(&format!("\n## {title}\n$ gemba {}", shown.join(" ")));
        let out = self.command(args).output().map_err(CliError::io)?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        super::ui::out(&stdout);
        let err = String::from_utf8_lossy(&out.stderr);
        if !err.is_empty() {
            super::ui::out(&err);
        }
        match out.status.code() {
            Some(0) | Some(3) => Ok(stdout),
            _ => Err(CliError::invalid_input(format!(
                "`gemba {}` failed in the demo",
                args.join(" ")
            ))),
        }
    }

    /// `git merge --no-ff` with this gemba first on PATH, so the installed
    /// hook finds it; then wait (at most 10 s) until the hook's detached
    /// auto-commit has committed what it changed.
    fn merge(&self, branch: &str) -> CliResult {
        let mut path = vec![self.exe.parent().unwrap_or(self.dir).to_path_buf()];
        path.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        let path = std::env::join_paths(path).map_err(CliError::io)?;
        let mut cmd = Command::new("git");
        cmd.args(["merge", "-q", "--no-ff", branch, "-m"])
            .arg(format!("Merge branch '{branch}'"))
            .current_dir(self.dir)
            .env("PATH", path)
            .env("GEMBA_ACTOR", "demo");
        identity(&mut cmd);
        let out = cmd.output().map_err(CliError::io)?;
        super::ui::out(&String::from_utf8_lossy(&out.stderr));
        if !out.status.success() {
            return Err(CliError::git(format!("git merge {branch} failed")));
        }
        for _ in 0..100 {
            if self
                .git_output(&["status", "--porcelain"])?
                .trim()
                .is_empty()
            {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Ok(())
    }

    fn capture(&self, args: &[&str]) -> CliResult<String> {
        let out = self.command(args).output().map_err(CliError::io)?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// The demo's git identity, so commits work on a machine without one.
fn identity(cmd: &mut Command) {
    cmd.env("GIT_AUTHOR_NAME", "gemba demo")
        .env("GIT_AUTHOR_EMAIL", "demo@example.invalid")
        .env("GIT_COMMITTER_NAME", "gemba demo")
        .env("GIT_COMMITTER_EMAIL", "demo@example.invalid");
}

/// Quote an argument the way a reader would type it.
fn shell_quote(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@".contains(c))
    {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}
