//! The event log: one line per state change, nothing for reads, `gemba log`
//! filters, and `git.auto_commit`.

use serde_json::{Value, json};

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
        assert_eq!(e["at"], "2026-11-23T12:00:00.000Z", "{args:?}");
        assert_eq!(e["kind"], kind, "{args:?}");
        assert_eq!(e["actor"], "tester", "{args:?}");
        let beads: Vec<&str> = bead.into_iter().collect();
        assert_eq!(
            e.get("beads").cloned().unwrap_or(json!([])),
            json!(beads),
            "{args:?}"
        );
        assert!(!e["message"].as_str().unwrap().is_empty());
        out
    };
    one(&["init"], "init", None);
    env.write(
        "in.jsonl",
        "{\"id\":\"t-1\",\"title\":\"one\"}\n{\"id\":\"t-2\",\"title\":\"two\"}\n",
    );
    let (_, lines) = appended(&env, &["import", "beads", "in.jsonl"]);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["kind"], "import");
    assert_eq!(lines[0]["beads"], json!(["t-1", "t-2"]));
    let id = {
        let (out, lines) = appended(&env, &["bead", "create", "--title", "new"]);
        let id = out.trim().to_string();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["kind"], "bead.create");
        assert_eq!(lines[0]["beads"], json!([id]));
        assert_eq!(lines[0]["actor"], "tester");
        assert_eq!(lines[0]["at"], "2026-11-23T12:00:00.000Z");
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
    assert_eq!(import["beads"], json!(["t-1", "t-2"]));
    // Every line has exactly the documented top-level keys (and no others),
    // in the documented order, and a unique id.
    let mut ids = std::collections::BTreeSet::new();
    let order = ["id", "at", "kind", "actor", "beads", "message", "data"];
    for line in env.read(LOG).lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        for k in e.as_object().unwrap().keys() {
            assert!(order.contains(&k.as_str()), "{line}");
        }
        let positions: Vec<usize> = order
            .iter()
            .filter_map(|k| line.find(&format!("\"{k}\":")))
            .collect();
        assert!(positions.is_sorted(), "fields out of order: {line}");
        assert!(line.starts_with("{\"id\":\""), "{line}");
        assert!(ids.insert(e["id"].as_str().unwrap().to_string()), "{line}");
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
            "2026-11-20T09:00:00.000Z",
            "2026-11-20T10:00:00.000Z",
            "2026-11-21T10:00:00.000Z",
            "2026-11-22T10:00:00.000Z",
            "2026-11-23T10:00:00.000Z",
            "2026-11-23T11:00:00.000Z",
            "2026-11-23T11:30:00.000Z"
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
            .all(|e| e["beads"] == json!([a]))
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
        rows[1].starts_with(" 2026-11-20T10:00:00.000Z  import  tester"),
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

/// The events `gemba log --json` lists (asserting exit 0), and its stderr.
fn log_json(env: &TestEnv, args: &[&str]) -> (Vec<Value>, String) {
    let mut all = vec!["log", "--json"];
    all.extend_from_slice(args);
    let out = env.run(&all);
    assert_eq!(out.status.code(), Some(0), "{}", render(&out));
    let events: Value = serde_json::from_slice(&out.stdout).unwrap();
    (events.as_array().unwrap().clone(), stderr(&out))
}

fn messages(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn ids_are_unique_and_sorted_and_at_has_milliseconds() {
    let env = TestEnv::init();
    env.write(
        "in.jsonl",
        "{\"id\":\"t-1\",\"title\":\"one\"}\n{\"id\":\"t-2\",\"title\":\"two\"}\n",
    );
    env.ok(&["import", "beads", "in.jsonl"]);
    // The pinned clock sets `at`, to the millisecond; ids still differ.
    for n in 0..4 {
        let out = env
            .cmd(&["bead", "create", "--title", &format!("b{n}")])
            .env("GEMBA_NOW", "2026-11-23T12:00:00.123456Z")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", render(&out));
    }
    // The real clock, when nothing pins it.
    let out = env
        .cmd(&["bead", "update", "t-1", "--priority", "0"])
        .env_remove("GEMBA_NOW")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", render(&out));

    let lines: Vec<Value> = std::fs::read_dir(env.gemba_dir().join("log"))
        .unwrap()
        .flat_map(|f| {
            std::fs::read_to_string(f.unwrap().path())
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(lines.len(), 7);
    let mut ids: Vec<&str> = Vec::new();
    for e in &lines {
        let id = e["id"].as_str().unwrap();
        assert_eq!(id.len(), 26, "{e}");
        assert!(
            id.bytes()
                .all(|b| b"0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(&b)),
            "{e}"
        );
        let at = e["at"].as_str().unwrap();
        let ms = at
            .strip_suffix('Z')
            .and_then(|t| t.rsplit_once('.'))
            .map(|(_, ms)| ms);
        assert!(ms.is_some_and(|ms| ms.len() == 3), "{at}");
        ids.push(id);
    }
    let created: Vec<&Value> = lines
        .iter()
        .filter(|e| e["kind"] == "bead.create")
        .collect();
    assert_eq!(created.len(), 4);
    assert!(
        created
            .iter()
            .all(|e| e["at"] == "2026-11-23T12:00:00.123Z")
    );
    // Unique, and (one process after another) in creation order by their
    // time part.
    let unique: std::collections::BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len());
    // The id's first 10 characters are its milliseconds.
    let times: Vec<String> = env
        .json(&["log"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] != "bead.update")
        .map(|e| e["id"].as_str().unwrap()[..10].to_string())
        .collect();
    assert!(times.is_sorted(), "{times:?}");

    // `--bead` finds a batch event that lists the bead among others.
    let (about, _) = log_json(&env, &["--bead", "t-2"]);
    assert_eq!(about.len(), 1, "{about:?}");
    assert_eq!(about[0]["kind"], "import");
    assert_eq!(about[0]["beads"], json!(["t-1", "t-2"]));
    let (about, _) = log_json(&env, &["--bead", "t-1"]);
    assert_eq!(kinds(&json!(about)), ["import", "bead.update"]);
}

/// Commit everything with `message`.
fn commit_all(env: &TestEnv, message: &str) {
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", message]);
}

fn at_ok(env: &TestEnv, now: &str, args: &[&str]) -> String {
    at_now(env, now, args).trim().to_string()
}

#[test]
fn union_merge_of_two_branches_reads_each_event_once() {
    let env = TestEnv::init();
    assert!(
        env.read(".gitattributes")
            .contains(".gemba/log/*.jsonl merge=union")
    );
    env.write("in.jsonl", "{\"id\":\"t-1\",\"title\":\"one\"}\n");
    env.ok(&["import", "beads", "in.jsonl"]);
    commit_all(&env, "base");

    // Two branches append to the same day's log.
    env.git(&["checkout", "-q", "-b", "feature"]);
    let shared = at_ok(
        &env,
        "2026-11-23T13:00:00Z",
        &["bead", "create", "--title", "shared"],
    );
    commit_all(&env, "feature: create shared");
    let shared_commit = env.git(&["rev-parse", "HEAD"]).trim().to_string();
    at_ok(
        &env,
        "2026-11-23T13:05:00Z",
        &["bead", "update", "t-1", "--priority", "1"],
    );
    commit_all(&env, "feature: update");
    at_ok(
        &env,
        "2026-11-23T13:10:00Z",
        &["bead", "create", "--title", "feature only"],
    );
    commit_all(&env, "feature: create");

    env.git(&["checkout", "-q", "main"]);
    at_ok(
        &env,
        "2026-11-23T13:20:00Z",
        &["bead", "create", "--title", "main only"],
    );
    commit_all(&env, "main: create");
    // main also picks feature's first commit, so both sides add its log
    // line, at different places: the union merge keeps both copies.
    env.git(&["cherry-pick", &shared_commit]);

    let merge = env.git_try(&["merge", "-q", "--no-edit", "feature"]);
    assert!(merge.status.success(), "{}", render(&merge));
    assert_eq!(env.git(&["status", "--porcelain"]), "");

    let raw = env.read(LOG);
    let shared_lines = raw
        .lines()
        .filter(|l| l.contains(&format!("create {shared} ")))
        .count();
    assert_eq!(shared_lines, 2, "the union merge kept both copies:\n{raw}");

    let (events, warnings) = log_json(&env, &[]);
    assert_eq!(warnings, "");
    assert_eq!(
        kinds(&json!(events)),
        [
            "init",
            "import",
            "bead.create",
            "bead.update",
            "bead.create",
            "bead.create"
        ]
    );
    let ids: std::collections::BTreeSet<&str> =
        events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), events.len());
    assert_eq!(
        messages(&events)
            .iter()
            .filter(|m| m.contains(&format!("create {shared} ")))
            .count(),
        1
    );

    // A line duplicated by hand is read once too, and is no error.
    let first = raw.lines().nth(2).unwrap().to_string();
    env.write(LOG, &format!("{raw}{first}\n"));
    let (again, warnings) = log_json(&env, &[]);
    assert_eq!(warnings, "");
    assert_eq!(again, events);
    let (code, report) = check_report(&env);
    assert_eq!(code, Some(0), "{report}");
}

#[test]
fn malformed_lines_are_warnings_and_the_rest_is_listed() {
    let env = TestEnv::init();
    env.ok(&["bead", "create", "--title", "kept"]);
    let mut text = env.read(LOG);
    let good = text.lines().last().unwrap().to_string();
    let bad_json = text.lines().count() + 1;
    text.push_str("not json\n");
    let unknown_field = bad_json + 1;
    text.push_str(
        &good
            .replace("\"kept\"", "\"renamed\"")
            .replacen("\"id\":\"", "\"id\":\"X", 1)
            .replace("\"message\"", "\"colour\":\"red\",\"message\""),
    );
    text.push('\n');
    let unknown_kind = unknown_field + 1;
    text.push_str(
        "{\"id\":\"01ZZZZZZZZZZZZZZZZZZZZZZZZ\",\"at\":\"2026-11-23T12:30:00.000Z\",\"kind\":\"retro.done\",\"actor\":\"newer\",\"message\":\"from a newer gemba\"}\n",
    );
    env.write(LOG, &text);

    let (events, warnings) = log_json(&env, &[]);
    assert_eq!(kinds(&json!(events)), ["init", "bead.create", "retro.done"]);
    let lines: Vec<&str> = warnings.lines().collect();
    assert_eq!(lines.len(), 2, "{warnings}");
    assert!(
        lines[0].starts_with(&format!(
            "warning: .gemba/log/2026-11-23.jsonl:{bad_json}:2: expected ident"
        )),
        "{warnings}"
    );
    assert!(
        lines[1].starts_with(&format!(
            "warning: .gemba/log/2026-11-23.jsonl:{unknown_field}:"
        )) && lines[1].contains("unknown field `colour`"),
        "{warnings}"
    );
    // The table too, with the same warnings.
    let out = env.run(&["log"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("retro.done"), "{}", render(&out));
    assert_eq!(stderr(&out), warnings);

    // `check` calls the bad lines errors, the unknown kind a warning.
    let (code, report) = check_report(&env);
    assert_eq!(code, Some(1), "{report}");
    let errors: Vec<u64> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(errors, [bad_json as u64, unknown_field as u64], "{report}");
    assert_eq!(
        report["warnings"][0]["line"],
        json!(unknown_kind),
        "{report}"
    );
    assert!(
        report["warnings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unknown event kind \"retro.done\""),
        "{report}"
    );
}

#[test]
fn since_does_not_open_earlier_day_files() {
    let env = TestEnv::new();
    at_now(&env, "2026-11-21T09:00:00Z", &["init"]);
    at_now(
        &env,
        "2026-11-22T09:00:00Z",
        &["bead", "create", "--title", "a"],
    );
    at_now(
        &env,
        "2026-11-23T09:00:00Z",
        &["bead", "create", "--title", "b"],
    );
    let log = env.gemba_dir().join("log");
    // Day 21 is now garbage and unreadable; day 20 cannot be opened at all.
    let day21 = log.join("2026-11-21.jsonl");
    std::fs::write(&day21, "not json\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&day21, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::create_dir(log.join("2026-11-20.jsonl")).unwrap();

    let (events, warnings) = log_json(&env, &["--since", "2026-11-22"]);
    assert_eq!(warnings, "");
    assert_eq!(kinds(&json!(events)), ["bead.create", "bead.create"]);
    let (events, warnings) = log_json(&env, &["--since", "2026-11-23T08:00:00Z"]);
    assert_eq!(warnings, "");
    assert_eq!(messages(&events).len(), 1);

    // Without --since both are read, reported and skipped.
    let (events, warnings) = log_json(&env, &[]);
    assert_eq!(events.len(), 2);
    assert_eq!(warnings.lines().count(), 2, "{warnings}");
    assert!(
        warnings.contains("2026-11-20.jsonl: cannot read"),
        "{warnings}"
    );
    std::fs::set_permissions(&day21, std::fs::Permissions::from_mode(0o644)).unwrap();
}

#[test]
fn old_format_lines_are_read() {
    let env = TestEnv::init();
    env.write("in.jsonl", "{\"id\":\"t-1\",\"title\":\"one\"}\n");
    env.ok(&["import", "beads", "in.jsonl"]);
    // Lines as gemba wrote them before ids: `bead`, no `id`, seconds only.
    let old = "{\"at\":\"2026-11-22T10:00:00Z\",\"kind\":\"bead.update\",\"actor\":\"old\",\"bead\":\"t-1\",\"message\":\"update t-1 (title)\",\"data\":{\"fields\":[\"title\"]}}\n\
               {\"at\":\"2026-11-22T11:00:00Z\",\"kind\":\"bead.close\",\"actor\":\"old\",\"bead\":\"t-1\",\"message\":\"close t-1\"}\n";
    // The second line twice, as a union merge may leave it.
    let second = old.lines().nth(1).unwrap();
    env.write(".gemba/log/2026-11-22.jsonl", &format!("{old}{second}\n"));

    let (events, warnings) = log_json(&env, &["--bead", "t-1"]);
    assert_eq!(warnings, "");
    assert_eq!(
        kinds(&json!(events)),
        ["bead.update", "bead.close", "import"]
    );
    assert_eq!(events[0]["beads"], json!(["t-1"]));
    assert_eq!(events[0]["at"], "2026-11-22T10:00:00Z");
    assert_eq!(events[0]["data"]["fields"], json!(["title"]));
    assert!(events[0].get("bead").is_none());
    let legacy: Vec<&str> = events[..2]
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert!(
        legacy.iter().all(|id| id.starts_with("legacy-")),
        "{legacy:?}"
    );
    assert_ne!(legacy[0], legacy[1]);
    // Stable across reads.
    let (again, _) = log_json(&env, &["--bead", "t-1"]);
    assert_eq!(again, events);
    let (code, report) = check_report(&env);
    assert_eq!(code, Some(0), "{report}");
}
