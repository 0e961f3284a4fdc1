//! Event hooks (`hooks.on_<event>`): real scripts that record what they
//! are given; a failing, missing or slow hook never changes the exit code
//! or the state, and never reaches `--json` stdout.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{TestEnv, canonical, render, stderr};

/// `hooks.on_<name>: <argv>` (and `hooks.timeout`) in config.yaml.
pub fn set_hook(env: &TestEnv, name: &str, argv: &[&str]) {
    let key = format!("  on_{name}:");
    let line = format!("{key} {}", serde_json::to_string(argv).unwrap());
    replace_line(env, &key, &line);
}

pub fn set_hook_timeout(env: &TestEnv, timeout: &str) {
    replace_line(env, "  timeout:", &format!("  timeout: {timeout}"));
}

fn replace_line(env: &TestEnv, prefix: &str, line: &str) {
    let config = env.read(".gemba/config.yaml");
    let mut found = 0;
    let text: Vec<String> = config
        .lines()
        .map(|l| {
            if l.starts_with(prefix) {
                found += 1;
                line.to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    assert_eq!(found, 1, "{prefix:?} in config.yaml");
    env.write(".gemba/config.yaml", &(text.join("\n") + "\n"));
}

/// A hook script that appends its stdin and then one line of what it
/// saw (`GEMBA_EVENT=... cwd=...`) to the file named by its argument, and
/// makes noise on stdout and stderr. Returns the argv (run through `sh`,
/// with the script's path relative to the repository root, the hook's
/// working directory; `sh` rather than the script itself: executing a
/// file just written can fail with ETXTBSY while another test forks) and
/// the file it writes.
pub fn recorder(env: &TestEnv) -> (Vec<String>, PathBuf) {
    let script = "{ cat; echo \"GEMBA_EVENT=$GEMBA_EVENT kind=$GEMBA_EVENT_KIND cwd=$(pwd)\"; } >> \"$1\"\n\
        echo NOISE-OUT; echo NOISE-ERR >&2\n";
    env.write("hooks/record.sh", script);
    let out = env.tmp.path().join("hook.out");
    let argv = vec![
        "sh".to_string(),
        "hooks/record.sh".to_string(),
        out.to_str().unwrap().to_string(),
    ];
    (argv, out)
}

/// What the recorder wrote: (event JSON, the line after it).
pub fn recorded(out: &Path) -> Vec<(Value, String)> {
    let text = std::fs::read_to_string(out).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines
        .chunks(2)
        .map(|pair| (serde_json::from_str(pair[0]).unwrap(), pair[1].to_string()))
        .collect()
}

fn setup() -> TestEnv {
    let env = TestEnv::init();
    env.ok(&["agent", "add", "alice"]);
    env
}

fn log(env: &TestEnv, kind: &str) -> Vec<Value> {
    env.json(&["log", "--kind", kind])
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn enqueue_take_done_fail_fire_their_hooks_with_the_event_json() {
    let env = setup();
    let (argv, out) = recorder(&env);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    for name in ["enqueued", "claimed", "done", "failed"] {
        set_hook(&env, name, &argv);
    }

    // --json stdout is the command's document only: the hook's noise is
    // captured, and a hook that succeeds says nothing on stderr.
    let o = env.run(&[
        "--json", "queue", "enqueue", "--target", "alice", "--title", "A", "--id", "a",
    ]);
    assert!(o.status.success(), "{}", render(&o));
    let doc: Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", render(&o)));
    assert_eq!(doc["packet"]["id"], "a");
    assert!(!stderr(&o).contains("NOISE"), "{}", render(&o));

    let rec = recorded(&out);
    assert_eq!(rec.len(), 1);
    let (event, seen) = &rec[0];
    let logged = &log(&env, "queue.enqueue")[0];
    assert_eq!(event, logged, "stdin is the logged event");
    assert_eq!(event["kind"], "queue.enqueue");
    assert_eq!(event["data"]["packet"], "a");
    assert_eq!(
        seen,
        &format!(
            "GEMBA_EVENT=enqueued kind=queue.enqueue cwd={}",
            canonical(&env.root).display()
        )
    );

    env.ok(&[
        "queue", "enqueue", "--target", "alice", "--title", "B", "--id", "b",
    ]);
    env.ok(&["queue", "take", "--agent", "alice"]);
    env.ok(&["queue", "done", "a"]);
    env.ok(&["queue", "take", "--agent", "alice"]);
    env.ok(&["queue", "fail", "b", "--notes", "flaky"]);
    let names: Vec<String> = recorded(&out)
        .iter()
        .map(|(e, seen)| {
            format!(
                "{} {}",
                seen.split(' ').next().unwrap(),
                e["data"]["packet"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            "GEMBA_EVENT=enqueued a",
            "GEMBA_EVENT=enqueued b",
            "GEMBA_EVENT=claimed a",
            "GEMBA_EVENT=done a",
            "GEMBA_EVENT=claimed b",
            "GEMBA_EVENT=failed b",
        ]
    );
    // No hook ran for kinds without one (renew, list, ...), and no
    // failure was logged.
    assert!(log(&env, "hook").is_empty());
}

#[test]
fn failing_missing_and_slow_hooks_change_neither_exit_code_nor_state() {
    let env = setup();
    env.enable_auto_commit();
    set_hook_timeout(&env, "1s");
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "agent and hooks"]);
    let cases: [(&[&str], &str); 3] = [
        (
            &["sh", "-c", "echo 'no route to host' >&2; exit 1"],
            "exit status 1: no route to host",
        ),
        (&["./hooks/missing.sh"], "cannot start"),
        // The shell's `sleep` is killed with it (its own process group).
        (&["sh", "-c", "sleep 30"], "timed out after 1s (killed)"),
    ];
    for (i, (argv, reason)) in cases.iter().enumerate() {
        set_hook(&env, "enqueued", argv);
        env.git(&["commit", "-q", "-am", "hook"]);
        let id = format!("p{i}");
        let started = Instant::now();
        let o = env.run(&[
            "--json", "queue", "enqueue", "--target", "alice", "--title", "T", "--id", &id,
        ]);
        assert!(started.elapsed() < Duration::from_secs(8), "{argv:?}");
        assert!(o.status.success(), "{argv:?}: {}", render(&o));
        let doc: Value =
            serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", render(&o)));
        assert_eq!(doc["state"], "ready");
        // One stderr line, naming the hook, the event and why.
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("warning: hook on_enqueued") && err.contains(reason),
            "{argv:?}: {err}"
        );
        assert!(err.contains("queue.enqueue"), "{err}");
        // The packet is ready, and everything, the failure too, is committed.
        assert!(
            env.gemba_dir()
                .join(format!("queues/alice/ready/{id}.json"))
                .is_file()
        );
        assert_eq!(env.git(&["status", "--porcelain"]), "", "{argv:?}");
        let failed = log(&env, "hook.failed");
        assert_eq!(failed.len(), i + 1);
        let last = &failed[i];
        assert_eq!(last["data"]["hook"], "on_enqueued");
        assert_eq!(last["data"]["event_kind"], "queue.enqueue");
        assert!(
            last["data"]["reason"]
                .as_str()
                .unwrap()
                .contains(reason.split(':').next().unwrap()),
            "{last}"
        );
    }
    assert_eq!(log(&env, "queue.enqueue").len(), 3);
}

#[test]
fn hooks_that_run_gemba_stop_nesting_at_the_depth_limit() {
    let env = setup();
    let gemba = assert_cmd::cargo::cargo_bin("gemba");
    // Each enqueue's hook enqueues again: without the limit, forever.
    set_hook(
        &env,
        "enqueued",
        &[
            gemba.to_str().unwrap(),
            "queue",
            "enqueue",
            "--target",
            "alice",
            "--title",
            "again",
        ],
    );
    let o = env.run(&["queue", "enqueue", "--target", "alice", "--title", "first"]);
    assert!(o.status.success(), "{}", render(&o));
    // The first, then one per nesting level (4).
    assert_eq!(log(&env, "queue.enqueue").len(), 5);
    assert!(log(&env, "hook.failed").is_empty());
}

#[test]
fn bad_hook_config_is_an_error_naming_the_key() {
    let env = setup();
    set_hook(&env, "done", &["", "x"]);
    let o = env.fails(1, &["queue", "list"]);
    assert!(stderr(&o).contains("hooks.on_done"), "{}", render(&o));
    env.write(
        ".gemba/config.yaml",
        &env.read(".gemba/config.yaml")
            .replace("  on_done: [\"\",\"x\"]", "  on_finish: [x]"),
    );
    let o = env.fails(1, &["queue", "list"]);
    assert!(stderr(&o).contains("on_finish"), "{}", render(&o));
    assert!(stderr(&o).contains("config.yaml:"), "{}", render(&o));
}
