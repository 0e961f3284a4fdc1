//! The event log: one line per state change, nothing for reads, `gemba log`
//! filters, and `git.auto_commit`.

use serde_json::Value;

use crate::common::*;

const LOG: &str = ".gemba/log/2026-11-23.jsonl";

fn log_lines(env: &TestEnv) -> Vec<Value> {
    let path = env.root.join(LOG);
    match std::fs::read_to_string(&path) {
        Ok(text) => text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Run `args` (must succeed) and return the log lines it appended.
fn appended(env: &TestEnv, args: &[&str]) -> (String, Vec<Value>) {
    let before = log_lines(env);
    let out = env.ok(args);
    let after = log_lines(env);
    assert_eq!(
        after[..before.len()],
        before[..],
        "{args:?} rewrote earlier log lines"
    );
    (out, after[before.len()..].to_vec())
}

fn kinds(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

fn at_now(env: &TestEnv, now: &str, args: &[&str]) -> String {
    let out = env.cmd(args).env("GEMBA_NOW", now).output().unwrap();
    assert!(out.status.success(), "{args:?}:\n{}", render(&out));
    stdout(&out)
}

#[test]
fn every_mutating_command_appends_exactly_one_line() {
    let env = TestEnv::new();
    let one = |args: &[&str], kind: &str, bead: Option<&str>| -> String {
        let (out, lines) = appended(&env, args);
        assert_eq!(lines.len(), 1, "{args:?}: {lines:?}");
        let e = &lines[0];
        assert_eq!(e["at"], "2026-11-23T12:00:00Z", "{args:?}");
        assert_eq!(e["kind"], kind, "{args:?}");
        assert_eq!(e["actor"], "tester", "{args:?}");
        assert_eq!(e["bead"].as_str(), bead, "{args:?}");
        assert!(!e["message"].as_str().unwrap().is_empty());
        out
    };
    one(&["init"], "init", None);
    env.write(
        "in.jsonl",
        "{\"id\":\"t-1\",\"title\":\"one\"}\n{\"id\":\"t-2\",\"title\":\"two\"}\n",
    );
    one(&["import", "beads", "in.jsonl"], "import", None);
    let id = {
        let (out, lines) = appended(&env, &["bead", "create", "--title", "new"]);
        let id = out.trim().to_string();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["kind"], "bead.create");
        assert_eq!(lines[0]["bead"], id.as_str());
        assert_eq!(lines[0]["actor"], "tester");
        assert_eq!(lines[0]["at"], "2026-11-23T12:00:00Z");
        id
    };
    one(
        &["bead", "update", &id, "--priority", "1"],
        "bead.update",
        Some(&id),
    );
    one(
        &["bead", "close", &id, "--reason", "done"],
        "bead.close",
        Some(&id),
    );
    // --actor names who acted.
    let (_, lines) = appended(
        &env,
        &[
            "--actor", "alice", "bead", "update", "t-1", "--title", "renamed",
        ],
    );
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["actor"], "alice");

    // The import event says what it did.
    let import = &log_lines(&env)[1];
    assert_eq!(import["data"]["created"], 2);
    assert_eq!(import["data"]["beads"], serde_json::json!(["t-1", "t-2"]));
    // Every line has exactly the documented top-level keys (and no others).
    for e in log_lines(&env) {
        for k in e.as_object().unwrap().keys() {
            assert!(
                ["at", "kind", "actor", "bead", "message", "data"].contains(&k.as_str()),
                "{e}"
            );
        }
    }
    assert_eq!(log_lines(&env).len(), 6);
}

#[test]
fn no_op_and_read_only_commands_append_nothing() {
    let env = TestEnv::init();
    env.write("in.jsonl", "{\"id\":\"t-1\",\"title\":\"one\"}\n");
    env.ok(&["import", "beads", "in.jsonl"]);
    let before = env.snapshot();
    let reads: &[&[&str]] = &[
        &["ready"],
        &["ready", "--json"],
        &["bead", "list"],
        &["bead", "list", "--all", "--json"],
        &["bead", "show", "t-1"],
        &["check"],
        &["log"],
        &["log", "--json", "--kind", "import"],
        &["config", "show"],
        // No-ops: nothing changed, nothing logged.
        &["init"],
        &["import", "beads", "in.jsonl"],
        &["import", "beads", "in.jsonl", "--dry-run"],
        &["bead", "update", "t-1", "--title", "one"],
    ];
    for args in reads {
        env.ok(args);
        assert_eq!(env.snapshot(), before, "{args:?} changed .gemba/");
    }
    // A failing command logs nothing either.
    env.fails(1, &["bead", "show", "nope"]);
    env.fails(1, &["bead", "create", "--title", "x", "--dep", "nope"]);
    assert_eq!(env.snapshot(), before);
}

#[test]
fn log_filters_by_kind_bead_and_since() {
    let env = TestEnv::new();
    at_now(&env, "2026-11-20T09:00:00Z", &["init"]);
    env.write("in.jsonl", "{\"id\":\"t-1\",\"title\":\"one\"}\n");
    at_now(
        &env,
        "2026-11-20T10:00:00Z",
        &["import", "beads", "in.jsonl"],
    );
    let a = at_now(
        &env,
        "2026-11-21T10:00:00Z",
        &["bead", "create", "--title", "a"],
    )
    .trim()
    .to_string();
    let b = at_now(
        &env,
        "2026-11-22T10:00:00Z",
        &["bead", "create", "--title", "b"],
    )
    .trim()
    .to_string();
    at_now(
        &env,
        "2026-11-23T10:00:00Z",
        &["bead", "update", &a, "--priority", "1"],
    );
    at_now(&env, "2026-11-23T11:00:00Z", &["bead", "close", &b]);
    env.write("in.jsonl", "{\"id\":\"t-1\",\"title\":\"one, renamed\"}\n");
    at_now(
        &env,
        "2026-11-23T11:30:00Z",
        &["import", "beads", "in.jsonl"],
    );
    // One file per UTC day.
    let mut files: Vec<String> = std::fs::read_dir(env.gemba_dir().join("log"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(
        files,
        vec![
            "2026-11-20.jsonl",
            "2026-11-21.jsonl",
            "2026-11-22.jsonl",
            "2026-11-23.jsonl"
        ]
    );

    let all = env.json(&["log"]);
    assert_eq!(
        kinds(&all),
        vec![
            "init",
            "import",
            "bead.create",
            "bead.create",
            "bead.update",
            "bead.close",
            "import"
        ]
    );
    let ats: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["at"].as_str().unwrap())
        .collect();
    assert_eq!(
        ats,
        vec![
            "2026-11-20T09:00:00Z",
            "2026-11-20T10:00:00Z",
            "2026-11-21T10:00:00Z",
            "2026-11-22T10:00:00Z",
            "2026-11-23T10:00:00Z",
            "2026-11-23T11:00:00Z",
            "2026-11-23T11:30:00Z"
        ]
    );

    let import = env.json(&["log", "--kind", "import"]);
    assert_eq!(kinds(&import), vec!["import", "import"]);
    assert_eq!(import[1]["data"]["updated"], 1);
    assert_eq!(
        kinds(&env.json(&["log", "--kind", "bead"])),
        vec!["bead.create", "bead.create", "bead.update", "bead.close"]
    );
    assert_eq!(
        kinds(&env.json(&["log", "--kind", "bead.create"])),
        vec!["bead.create", "bead.create"]
    );
    // A prefix must end at a dot: `bea` is not `bead`.
    assert_eq!(
        kinds(&env.json(&["log", "--kind", "bea"])),
        Vec::<String>::new()
    );

    let about_a = env.json(&["log", "--bead", &a]);
    assert_eq!(kinds(&about_a), vec!["bead.create", "bead.update"]);
    assert!(
        about_a
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["bead"] == a.as_str())
    );
    assert_eq!(
        kinds(&env.json(&["log", "--bead", &b])),
        vec!["bead.create", "bead.close"]
    );

    assert_eq!(
        kinds(&env.json(&["log", "--since", "2026-11-22"])),
        vec!["bead.create", "bead.update", "bead.close", "import"]
    );
    assert_eq!(
        kinds(&env.json(&["log", "--since", "2026-11-23T11:00:00Z"])),
        vec!["bead.close", "import"]
    );
    assert_eq!(
        kinds(&env.json(&[
            "log",
            "--since",
            "2026-11-21",
            "--kind",
            "bead",
            "--bead",
            &a
        ])),
        vec!["bead.create", "bead.update"]
    );
    assert_eq!(
        kinds(&env.json(&["log", "--since", "2026-11-24"])),
        Vec::<String>::new()
    );
    // A bad --since is a usage error.
    env.fails(2, &["log", "--since", "yesterday"]);

    // Text output: one row per event under a header.
    let text = env.ok(&["log", "--kind", "import"]);
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 3, "{text}");
    assert!(
        rows[1].starts_with(" 2026-11-20T10:00:00Z  import  tester"),
        "{text}"
    );
}

#[test]
fn auto_commit_commits_exactly_the_changed_files() {
    let env = TestEnv::init();
    let config = env
        .read(".gemba/config.yaml")
        .replace("auto_commit: false", "auto_commit: true");
    env.write(".gemba/config.yaml", &config);
    env.git(&["commit", "-q", "-am", "enable auto_commit"]);
    env.write("other.txt", "the user's work\n");
    env.git(&["add", "other.txt"]);
    let head_before = env.git(&["rev-parse", "HEAD"]);

    let id = env
        .ok(&["bead", "create", "--title", "Auto"])
        .trim()
        .to_string();

    let count = env.git(&[
        "rev-list",
        "--count",
        &format!("{}..HEAD", head_before.trim()),
    ]);
    assert_eq!(count, "1\n");
    let subject = env.git(&["log", "-1", "--format=%s"]);
    assert!(subject.starts_with("gemba: create"), "{subject}");
    assert_eq!(subject, format!("gemba: create {id} \"Auto\"\n"));
    let files = env.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(files, format!(".gemba/beads/{id}.json\n{LOG}\n"));
    // The user's staged file is still staged and not committed.
    assert_eq!(env.git(&["diff", "--cached", "--name-only"]), "other.txt\n");
    assert_eq!(env.git(&["status", "--porcelain"]), "A  other.txt\n");

    // An update commits again; a no-op does not.
    env.ok(&["bead", "update", &id, "--priority", "1"]);
    assert_eq!(
        env.git(&["log", "-1", "--format=%s"]),
        format!("gemba: update {id} (priority)\n")
    );
    let head = env.git(&["rev-parse", "HEAD"]);
    env.ok(&["bead", "update", &id, "--priority", "1"]);
    env.ok(&["ready"]);
    assert_eq!(env.git(&["rev-parse", "HEAD"]), head);
    assert_eq!(env.git(&["status", "--porcelain"]), "A  other.txt\n");
}

#[test]
fn without_auto_commit_nothing_is_committed() {
    let env = TestEnv::init();
    let head = env.git(&["rev-parse", "HEAD"]);
    let id = env
        .ok(&["bead", "create", "--title", "Manual"])
        .trim()
        .to_string();
    assert_eq!(env.git(&["rev-parse", "HEAD"]), head);
    let status = env.git(&["status", "--porcelain", "--untracked-files=all"]);
    assert_eq!(status, format!(" M {LOG}\n?? .gemba/beads/{id}.json\n"));
}
