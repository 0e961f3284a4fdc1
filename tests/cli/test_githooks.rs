//! `gemba hooks install|uninstall|status` and `gemba hook …` on real git
//! repositories: real merges run the installed hooks.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::common::*;

/// A user's own hook: appends its name, arguments and stdin to `log`.
fn user_hook(name: &str, log: &Path) -> String {
    format!(
        "#!/bin/sh\n# the user's own {name}\nprintf '%s %s [%s]\\n' {name} \"$*\" \"$(cat)\" >> '{}'\n",
        log.display()
    )
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn hook_states(status: &serde_json::Value) -> Vec<String> {
    status["hooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            format!(
                "{} {}",
                h["hook"].as_str().unwrap(),
                h["state"].as_str().unwrap()
            )
        })
        .collect()
}

/// A branch `name` with one commit adding `file`, then back on main.
fn branch_with_commit(env: &TestEnv, dir: &Path, name: &str, file: &str) {
    env.git_in(dir, &["checkout", "-q", "-b", name]);
    std::fs::write(dir.join(file), format!("{file}\n")).unwrap();
    env.git_in(dir, &["add", file]);
    env.git_in(dir, &["commit", "-q", "-m", &format!("add {file}")]);
    env.git_in(dir, &["checkout", "-q", "-"]);
}

/// Wait for the background scan a hook started, so the test's repository
/// outlives it.
fn wait_for_scan(env: &TestEnv) {
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

#[test]
fn install_and_uninstall_round_trip_a_user_hook_exactly() {
    let env = TestEnv::init();
    let hooks = env.root.join(".git/hooks");
    let user = hooks.join("post-merge");
    // Not UTF-8, CRLF, odd mode: all must come back as they were.
    let bytes = b"#!/bin/sh\r\n# caf\xe9\r\nexit 0\r\n".to_vec();
    std::fs::write(&user, &bytes).unwrap();
    std::fs::set_permissions(&user, std::fs::Permissions::from_mode(0o750)).unwrap();

    let before = hook_states(&env.json(&["hooks", "status"]));
    assert_eq!(before, ["post-merge foreign", "post-rewrite absent"]);
    let installed = env.json(&["hooks", "install"]);
    assert_eq!(
        hook_states(&installed),
        ["post-merge installed+chained", "post-rewrite installed"]
    );
    let again = env.json(&["hooks", "install"]);
    assert!(
        again["hooks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["action"] == "keep"),
        "install is idempotent: {again}"
    );
    assert_eq!(
        std::fs::read(hooks.join("post-merge.gemba-chained")).unwrap(),
        bytes
    );
    assert!(
        std::fs::read_to_string(&user)
            .unwrap()
            .contains("gemba hook post-merge")
    );
    assert_eq!(mode(&hooks.join("post-rewrite")), 0o755);

    let removed = env.json(&["hooks", "uninstall"]);
    assert_eq!(
        hook_states(&removed),
        ["post-merge foreign", "post-rewrite absent"]
    );
    assert_eq!(std::fs::read(&user).unwrap(), bytes, "byte-for-byte");
    assert_eq!(mode(&user), 0o750, "mode kept");
    assert!(!hooks.join("post-merge.gemba-chained").exists());
    assert!(!hooks.join("post-rewrite").exists());
    // Install and uninstall were logged.
    let logged = env.json(&["log", "--kind", "githook"]);
    assert_eq!(logged.as_array().unwrap().len(), 2, "{logged}");
}

#[test]
fn a_foreign_hook_is_never_overwritten() {
    let env = TestEnv::init();
    let hooks = env.root.join(".git/hooks");
    std::fs::write(hooks.join("post-rewrite"), "#!/bin/sh\necho mine\n").unwrap();
    std::fs::write(hooks.join("post-rewrite.gemba-chained"), "#!/bin/sh\nold\n").unwrap();
    let out = env.fails(1, &["hooks", "install"]);
    assert!(
        stderr(&out).contains("post-rewrite.gemba-chained"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        env.read(".git/hooks/post-rewrite"),
        "#!/bin/sh\necho mine\n"
    );
    assert!(!hooks.join("post-merge").exists(), "nothing was installed");
    // Uninstall leaves someone else's hook alone.
    env.ok(&["hooks", "uninstall"]);
    assert_eq!(
        env.read(".git/hooks/post-rewrite"),
        "#!/bin/sh\necho mine\n"
    );
}

#[test]
fn core_hooks_path_is_respected() {
    let env = TestEnv::init();
    let log = env.tmp.path().join("user.log");
    env.write(".githooks/post-merge", &user_hook("post-merge", &log));
    let user = env.root.join(".githooks/post-merge");
    std::fs::set_permissions(&user, std::fs::Permissions::from_mode(0o755)).unwrap();
    let original = std::fs::read(&user).unwrap();
    env.git(&["config", "core.hooksPath", ".githooks"]);

    let installed = env.json(&["hooks", "install"]);
    assert_eq!(
        installed["hooks_dir"],
        canonical(&env.root.join(".githooks")).display().to_string()
    );
    assert_eq!(
        hook_states(&installed),
        ["post-merge installed+chained", "post-rewrite installed"]
    );
    assert!(
        !env.root.join(".git/hooks/post-merge").exists(),
        "nothing in .git/hooks"
    );
    // A merge runs the user's hook through ours.
    branch_with_commit(&env, &env.root, "feature", "f.txt");
    let merge = env.git_with_path(
        &env.root,
        &gemba_path(),
        &["merge", "-q", "--no-ff", "-m", "merge feature", "feature"],
    );
    assert!(merge.status.success(), "{}", render(&merge));
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "post-merge 0 []\n");
    wait_for_scan(&env);

    env.ok(&["hooks", "uninstall"]);
    assert_eq!(std::fs::read(&user).unwrap(), original);
}

#[test]
fn a_real_merge_runs_the_chained_hook_then_logs_and_triggers_a_scan() {
    let env = TestEnv::init();
    let log = env.tmp.path().join("user.log");
    env.write(".git/hooks/post-merge", &user_hook("post-merge", &log));
    env.write(".git/hooks/post-rewrite", &user_hook("post-rewrite", &log));
    for h in ["post-merge", "post-rewrite"] {
        let p = env.root.join(".git/hooks").join(h);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    env.ok(&["hooks", "install"]);
    branch_with_commit(&env, &env.root, "feature", "f.txt");
    let path = gemba_path();
    let merge = env.git_with_path(
        &env.root,
        &path,
        &["merge", "-q", "--no-ff", "-m", "merge feature", "feature"],
    );
    assert!(merge.status.success(), "{}", render(&merge));
    assert_eq!(stderr(&merge), "", "a clean run says nothing");
    wait_for_scan(&env);
    // A rewrite: git's list reaches both the user's hook and gemba.
    let amend = env.git_with_path(
        &env.root,
        &path,
        &["commit", "-q", "--amend", "-m", "merge feature (amended)"],
    );
    assert!(amend.status.success(), "{}", render(&amend));

    let user_log = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = user_log.lines().collect();
    assert_eq!(lines[0], "post-merge 0 []", "{user_log}");
    assert!(
        lines[1].starts_with("post-rewrite amend [") && lines[1].len() > 90,
        "the user's post-rewrite got the rewritten pair on stdin: {user_log}"
    );

    let hooks = env.json(&["log", "--kind", "githook"]);
    let runs: Vec<&serde_json::Value> = hooks
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["data"]["hook"].is_string())
        .collect();
    assert_eq!(runs.len(), 2, "{hooks}");
    assert_eq!(runs[0]["data"]["hook"], "post-merge");
    assert_eq!(runs[0]["data"]["ok"], true, "{}", runs[0]);
    let steps: Vec<&str> = runs[0]["data"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["retro", "scan"]);
    assert_eq!(runs[1]["data"]["hook"], "post-rewrite");
    assert_eq!(runs[1]["data"]["rewritten"], 1, "{}", runs[1]);
    // The merge is the first ever: a scan runs; the rewrite right after
    // counts as a merge but falls in the cooldown.
    let triggers = env.json(&["log", "--kind", "scan.trigger"]);
    let decisions: Vec<&str> = triggers
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["data"]["decision"].as_str().unwrap())
        .collect();
    assert_eq!(decisions, ["run", "skipped-cooldown"], "{triggers}");
    assert_eq!(
        env.json(&["scan", "status"])["merges"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn install_from_a_linked_worktree_serves_every_worktree() {
    let env = TestEnv::init();
    let wt = env.tmp.path().join("wt");
    env.git(&["worktree", "add", "-q", "-b", "side", wt.to_str().unwrap()]);
    let out = env
        .cmd_in(&wt, &["hooks", "install", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", render(&out));
    assert!(
        env.root.join(".git/hooks/post-merge").is_file(),
        "installed in the common hooks directory"
    );
    assert_eq!(
        hook_states(&env.json(&["hooks", "status"])),
        ["post-merge installed", "post-rewrite installed"]
    );
    // A merge in the linked worktree logs to the one shared .gemba/.
    branch_with_commit(&env, &wt, "feature", "f.txt");
    let merge = env.git_with_path(
        &wt,
        &gemba_path(),
        &["merge", "-q", "--no-ff", "-m", "merge feature", "feature"],
    );
    assert!(merge.status.success(), "{}", render(&merge));
    let hooks = env.json(&["log", "--kind", "githook"]);
    let merged: Vec<_> = hooks
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["data"]["hook"] == "post-merge")
        .collect();
    assert_eq!(merged.len(), 1, "{hooks}");
    assert_eq!(merged[0]["data"]["ok"], true, "{}", merged[0]);
    wait_for_scan(&env);
}

#[test]
fn a_broken_config_never_blocks_git() {
    let env = TestEnv::init();
    env.ok(&["hooks", "install"]);
    env.write(".gemba/config.yaml", "scoring:\n  affinity: [oops\n");
    env.git(&["commit", "-q", "-am", "break the config"]);

    let out = env.run(&["hook", "post-merge", "0"]);
    assert_eq!(out.status.code(), Some(0), "{}", render(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("post-merge hook") && err.contains("config.yaml:2:"),
        "says what is wrong, where: {err}"
    );
    // Logged anyway (`gemba log` cannot read the broken config: read the file).
    let day = std::fs::read_dir(env.gemba_dir().join("log"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect::<String>();
    let event: serde_json::Value = day
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["kind"] == "githook" && e["data"]["hook"] == "post-merge")
        .expect("a githook event");
    assert_eq!(event["data"]["ok"], false);
    assert!(
        event["data"]["error"]
            .as_str()
            .unwrap()
            .contains("config.yaml"),
        "{event}"
    );

    branch_with_commit(&env, &env.root, "feature", "f.txt");
    let merge = env.git_with_path(
        &env.root,
        &gemba_path(),
        &["merge", "-q", "--no-ff", "-m", "merge feature", "feature"],
    );
    assert!(merge.status.success(), "{}", render(&merge));
    assert_eq!(stderr(&merge).lines().count(), 1, "{}", render(&merge));
    assert!(env.root.join("f.txt").is_file(), "merged");
}

#[test]
fn no_gemba_state_or_no_gemba_binary_is_one_line_and_exit_0() {
    let env = TestEnv::new();
    let out = env.run(&["hook", "post-rewrite", "rebase"]);
    assert_eq!(out.status.code(), Some(0), "{}", render(&out));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", render(&out));
    assert!(stderr(&out).contains("gemba init"), "{}", render(&out));
    assert!(!env.gemba_dir().exists(), "nothing created");

    // Installed, then gemba is not on PATH: git still merges.
    env.ok(&["hooks", "install"]);
    branch_with_commit(&env, &env.root, "feature", "f.txt");
    let only_git = env.tmp.path().join("only-git");
    std::fs::create_dir(&only_git).unwrap();
    let git = which_git();
    std::os::unix::fs::symlink(&git, only_git.join("git")).unwrap();
    let merge = env.git_with_path(
        &env.root,
        only_git.as_os_str(),
        &["merge", "-q", "--no-ff", "-m", "merge feature", "feature"],
    );
    assert!(merge.status.success(), "{}", render(&merge));
    assert!(
        stderr(&merge).contains("gemba: not on PATH"),
        "{}",
        render(&merge)
    );
    assert!(env.root.join("f.txt").is_file(), "merged");
}

fn which_git() -> std::path::PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap())
        .map(|d| d.join("git"))
        .find(|p| p.is_file())
        .expect("git on PATH")
}

#[test]
fn with_auto_commit_the_hook_commits_its_log_once_git_is_done() {
    let env = TestEnv::init();
    env.enable_auto_commit();
    env.ok(&["hooks", "install"]);
    branch_with_commit(&env, &env.root, "feature", "f.txt");
    let merge = env.git_with_path(
        &env.root,
        &gemba_path(),
        &["merge", "-q", "--no-ff", "-m", "merge feature", "feature"],
    );
    assert!(merge.status.success(), "{}", render(&merge));
    // git's merge is in progress while its hook runs: the commit comes
    // from a detached process once git is done.
    // The commit that adds the hook's `githook` line: the settle's own, or
    // the background scan's when that one committed the log first.
    let mut adding = String::new();
    for _ in 0..150 {
        adding = env.git(&[
            "log",
            "--format=%H %p",
            "-S\"kind\":\"githook\"",
            "--",
            ".gemba/log",
        ]);
        if !adding.trim().is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let line = adding.lines().next().unwrap_or_default();
    assert!(!line.is_empty(), "the hook's log line was never committed");
    assert_eq!(
        line.split_whitespace().count(),
        2,
        "committed after the merge commit, not into it: {adding}"
    );
    wait_for_scan(&env);
}
