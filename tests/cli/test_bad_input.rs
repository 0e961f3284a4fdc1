//! Bad input changes nothing: hostile ids are rejected before any file is
//! touched, tricky-but-valid ids round-trip through an escaped file name,
//! malformed and unknown-field files fail with `path:line:col`, and
//! dependency cycles in an import are named.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::common::*;

/// The bead in `bead show --json` output, without the enrichment that
/// `show` joins in (not part of the bead file).
fn bead_of(mut shown: Value) -> Value {
    shown.as_object_mut().unwrap().remove("enrichment");
    shown
}

/// One JSONL line for a bead with this (JSON-escaped) id.
fn line(id_json: &str, title: &str) -> String {
    format!("{{\"id\":{id_json},\"title\":\"{title}\"}}")
}

fn import_json(env: &TestEnv, rel: &str, extra: &[&str]) -> (Option<i32>, Value) {
    let mut args = vec!["import", "beads", rel, "--json"];
    args.extend_from_slice(extra);
    let out = env.run(&args);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON from gemba {args:?}: {e}\n{}", render(&out)));
    (out.status.code(), report)
}

fn bead_names(env: &TestEnv) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(env.gemba_dir().join("beads"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// An env with one bead imported, so the log, the lock files and the
/// beads directory already exist and any new path is the import's doing.
fn env_with_one_bead() -> TestEnv {
    let env = TestEnv::init();
    let out = env.import_text(&format!("{}\n", line("\"ok-1\"", "first")));
    assert!(out.status.success(), "{}", render(&out));
    env
}

const HOSTILE: [(&str, &str); 10] = [
    ("\"../x\"", "invalid id \"../x\": has a `.` or `..` segment"),
    (
        "\"../../../escaped\"",
        "invalid id \"../../../escaped\": has a `.` or `..` segment",
    ),
    (
        "\"a/../b\"",
        "invalid id \"a/../b\": has a `.` or `..` segment",
    ),
    (
        "\"/etc/passwd\"",
        "invalid id \"/etc/passwd\": is an absolute path",
    ),
    ("\"\"", "invalid id \"\": empty"),
    (
        "\"a\\u0000b\"",
        "invalid id \"a\\0b\": contains a control character",
    ),
    (
        "\"a\\nb\"",
        "invalid id \"a\\nb\": contains a control character",
    ),
    (
        "\"a\\u001bb\"",
        "invalid id \"a\\u{1b}b\": contains a control character",
    ),
    ("\"..\"", "invalid id \"..\": has a `.` or `..` segment"),
    ("\"a\\\\b\"", "invalid id \"a\\\\b\": contains a backslash"),
];

#[test]
fn hostile_ids_in_an_import_are_line_errors_and_create_nothing_elsewhere() {
    let env = env_with_one_bead();
    // Good lines interleaved with hostile ones: line 2k+1 is good.
    let mut lines = Vec::new();
    for (i, (id, _)) in HOSTILE.iter().enumerate() {
        lines.push(line(&format!("\"good-{i}\""), "fine"));
        lines.push(line(id, "hostile"));
    }
    env.write("hostile.jsonl", &(lines.join("\n") + "\n"));
    let before = tree(env.tmp.path());

    let (code, report) = import_json(&env, "hostile.jsonl", &[]);
    assert_eq!(code, Some(1), "{report}");
    let errors: Vec<Value> = HOSTILE
        .iter()
        .enumerate()
        .map(|(i, (_, message))| json!({"line": 2 * i + 2, "message": message}))
        .collect();
    assert_eq!(
        report,
        json!({
            "created": HOSTILE.len(),
            "updated": 0,
            "unchanged": 0,
            "skipped": {},
            "errors": errors,
            "dry_run": false,
        })
    );

    // Exactly the good beads' files are new, anywhere under the temp dir.
    let after = tree(env.tmp.path());
    let new: Vec<&PathBuf> = after.iter().filter(|p| !before.contains(p)).collect();
    let expected: Vec<PathBuf> = (0..HOSTILE.len())
        .map(|i| PathBuf::from(format!("repo/.gemba/beads/good-{i}.json")))
        .collect();
    assert_eq!(new, expected.iter().collect::<Vec<_>>());
    assert!(before.iter().all(|p| after.contains(p)));
    // The hostile ids' would-be targets do not exist.
    for p in [
        "repo/.gemba/x.json",
        "repo/.gemba/beads/b.json",
        "escaped.json",
    ] {
        assert!(!env.tmp.path().join(p).exists(), "{p}");
    }

    // The human form names each bad line.
    let out = env.run(&["import", "beads", "hostile.jsonl"]);
    assert_eq!(out.status.code(), Some(1), "{}", render(&out));
    let err = stderr(&out);
    assert!(
        err.contains("warning: hostile.jsonl:2: invalid id \"../x\": has a `.` or `..` segment\n"),
        "{err}"
    );
    assert!(
        err.ends_with("gemba: 10 invalid item(s) were not imported\n"),
        "{err}"
    );
}

#[test]
fn hostile_ids_in_dependencies_and_parent_are_line_errors() {
    let env = env_with_one_bead();
    env.write(
        "deps.jsonl",
        concat!(
            "{\"id\":\"d-1\",\"title\":\"t\",\"dependencies\":[{\"depends_on_id\":\"../x\",\"type\":\"blocks\"}]}\n",
            "{\"id\":\"d-2\",\"title\":\"t\",\"parent\":\"/etc/passwd\"}\n",
            "{\"id\":\"d-3\",\"title\":\"t\",\"dependencies\":[{\"depends_on_id\":\"ok-1\",\"type\":\"blocks\"}]}\n",
        ),
    );
    let before = env.snapshot();
    let (code, report) = import_json(&env, "deps.jsonl", &[]);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(
        report["errors"],
        json!([
            {"line": 1, "message": "dependencies: invalid id \"../x\": has a `.` or `..` segment"},
            {"line": 2, "message": "parent: invalid id \"/etc/passwd\": is an absolute path"},
        ])
    );
    assert_eq!(report["created"], json!(1));
    assert_eq!(bead_names(&env), ["d-3.json", "ok-1.json"]);
    assert_ne!(env.snapshot(), before);
}

#[test]
fn strict_import_with_hostile_ids_changes_nothing() {
    let env = env_with_one_bead();
    env.write(
        "mixed.jsonl",
        &format!(
            "{}\n{}\n",
            line("\"good-1\"", "fine"),
            line("\"../x\"", "bad")
        ),
    );
    let before = env.snapshot();
    let tree_before = tree(env.tmp.path());
    let out = env.run(&["import", "beads", "mixed.jsonl", "--strict", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", render(&out));
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(
        err["message"],
        json!(
            "1 invalid item(s); nothing was written (--strict):\n  mixed.jsonl:2: invalid id \"../x\": has a `.` or `..` segment"
        )
    );
    assert_eq!(env.snapshot(), before);
    assert_eq!(tree(env.tmp.path()), tree_before);
}

#[test]
fn hostile_ids_on_the_command_line_change_nothing() {
    let env = env_with_one_bead();
    let before = env.snapshot();
    let cases: Vec<Vec<&str>> = vec![
        vec!["bead", "show", "../x"],
        vec!["bead", "show", "/etc/passwd"],
        vec!["bead", "show", ""],
        vec!["bead", "show", "a\nb"],
        vec!["bead", "show", "a/../b"],
        vec!["bead", "update", "../x", "--title", "y"],
        vec!["bead", "update", "/etc/passwd", "--add-label", "y"],
        vec!["bead", "update", "ok-1", "--parent", "../x"],
        vec!["bead", "update", "ok-1", "--add-dep", "../x"],
        vec!["bead", "update", "ok-1", "--add-dep", "a/../b:related"],
        vec!["bead", "close", "../x"],
        vec!["bead", "create", "--title", "t", "--parent", "../x"],
        vec!["bead", "create", "--title", "t", "--dep", "../x"],
        vec![
            "bead",
            "create",
            "--title",
            "t",
            "--dep",
            "/etc/passwd:blocks",
        ],
    ];
    for args in &cases {
        let out = env.run(args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "gemba {args:?}:\n{}",
            render(&out)
        );
        let err = stderr(&out);
        assert!(
            err.starts_with("gemba: invalid id "),
            "gemba {args:?}: {err}"
        );
        assert_eq!(stdout(&out), "", "gemba {args:?}");
        assert_eq!(env.snapshot(), before, "gemba {args:?} changed the store");
    }
    // The exact message, once.
    let out = env.run(&["bead", "show", "../x", "--json"]);
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(
        err["message"],
        json!("invalid id \"../x\": has a `.` or `..` segment")
    );
    assert_eq!(env.snapshot(), before);
}

/// Valid ids that look like paths, hidden files, temp files or escapes.
const TRICKY: [(&str, &str); 9] = [
    ("gemba/gemba/gm-1", "gemba%2Fgemba%2Fgm-1.json"),
    ("a.b.c", "a.b.c.json"),
    ("x__y", "x__y.json"),
    ("é-1", "%C3%A9-1.json"),
    (".hidden", "%2Ehidden.json"),
    (".gemba-tmp-x", "%2Egemba-tmp-x.json"),
    ("100%", "100%25.json"),
    ("x:y", "x%3Ay.json"),
    ("a.json", "a.json.json"),
];

#[test]
fn tricky_valid_ids_round_trip_through_escaped_file_names() {
    let env = TestEnv::init();
    let text: String = TRICKY
        .iter()
        .enumerate()
        .map(|(i, (id, _))| {
            format!(
                "{{\"id\":{},\"title\":\"tricky {i}\"}}\n",
                serde_json::to_string(id).unwrap()
            )
        })
        .collect();
    env.write("tricky.jsonl", &text);
    let (code, report) = import_json(&env, "tricky.jsonl", &[]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["created"], json!(TRICKY.len()));
    assert_eq!(report["errors"], json!([]));

    // One flat file per id, named by the escape: no subdirectory.
    let mut expected: Vec<&str> = TRICKY.iter().map(|(_, name)| *name).collect();
    expected.sort();
    assert_eq!(bead_names(&env), expected);
    assert_eq!(tree(&env.gemba_dir().join("beads")).len(), TRICKY.len());

    for (i, (id, name)) in TRICKY.iter().enumerate() {
        let shown = bead_of(env.json(&["bead", "show", id]));
        assert_eq!(
            shown,
            json!({"id": id, "title": format!("tricky {i}"), "status": "open", "priority": 2, "issue_type": "task"}),
            "{id}"
        );
        let file: Value = serde_json::from_str(&env.read(&format!(".gemba/beads/{name}"))).unwrap();
        assert_eq!(file, shown, "{id}");
    }
    let listed = env.json(&["bead", "list"]);
    let mut ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    ids.sort();
    let mut want: Vec<&str> = TRICKY.iter().map(|(id, _)| *id).collect();
    want.sort();
    assert_eq!(ids, want);
    let (code, check) = check_report(&env);
    assert_eq!(code, Some(0), "{check}");
    assert_eq!(check["errors"], json!([]));
    assert_eq!(check["warnings"], json!([]));
    assert_eq!(check["beads"], json!(TRICKY.len()));

    // Stable bytes: a re-import rewrites nothing.
    let before = env.snapshot();
    let (code, report) = import_json(&env, "tricky.jsonl", &[]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["unchanged"], json!(TRICKY.len()));
    assert_eq!(env.snapshot(), before);

    // Edits, children and dependencies work on them too.
    env.ok(&["bead", "update", "gemba/gemba/gm-1", "--title", "renamed"]);
    assert_eq!(
        env.json(&["bead", "show", "gemba/gemba/gm-1"])["title"],
        json!("renamed")
    );
    let child = env.json(&[
        "bead",
        "create",
        "--title",
        "child",
        "--parent",
        "gemba/gemba/gm-1",
        "--dep",
        "é-1",
    ]);
    assert_eq!(child["id"], json!("gemba/gemba/gm-1.1"));
    assert!(
        env.gemba_dir()
            .join("beads/gemba%2Fgemba%2Fgm-1.1.json")
            .is_file()
    );
    assert!(!env.gemba_dir().join("beads/gemba").exists());
}

/// A valid id of 80 two-byte characters (160 bytes, the documented
/// maximum) escapes to a 480-byte file name: more than a file system takes.
#[test]
fn id_too_long_for_a_file_name_is_a_line_error() {
    let env = env_with_one_bead();
    let long = "é".repeat(80);
    env.write(
        "long.jsonl",
        &format!(
            "{}\n{}\n{}\n",
            line("\"good-1\"", "fine"),
            line(&serde_json::to_string(&long).unwrap(), "long"),
            line("\"good-2\"", "fine")
        ),
    );
    let (code, report) = import_json(&env, "long.jsonl", &[]);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(report["created"], json!(2), "{report}");
    assert_eq!(report["errors"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(report["errors"][0]["line"], json!(2), "{report}");
    assert_eq!(
        bead_names(&env),
        ["good-1.json", "good-2.json", "ok-1.json"]
    );
    // The writes that happened are in the log.
    let events = env.json(&["log", "--kind", "import"]);
    assert_eq!(events.as_array().unwrap().len(), 2, "{events}");
}

#[test]
fn malformed_bead_file_fails_with_its_position_and_changes_nothing() {
    let env = env_with_one_bead();
    env.write(
        ".gemba/beads/bad-1.json",
        "{\n  \"id\": \"bad-1\",\n  \"title\": \"x\",\n  \"status\": open\n}\n",
    );
    env.write("more.jsonl", &format!("{}\n", line("\"more-1\"", "more")));
    let path = canonical(&env.gemba_dir().join("beads/bad-1.json"));
    let expected = format!("{}:4:13: expected value", path.display());
    let before = env.snapshot();
    for args in [
        vec!["ready"],
        vec!["bead", "list"],
        vec!["bead", "show", "bad-1"],
        vec!["bead", "create", "--title", "new"],
        vec!["import", "beads", "more.jsonl"],
    ] {
        let out = env.run(&args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "gemba {args:?}:\n{}",
            render(&out)
        );
        assert_eq!(
            stderr(&out),
            format!("gemba: {expected}\n"),
            "gemba {args:?}"
        );
        assert_eq!(env.snapshot(), before, "gemba {args:?} changed the store");
    }
    let out = env.run(&["ready", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", render(&out));
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["message"], json!(expected));
    // The other bead is still readable on its own.
    assert_eq!(env.json(&["bead", "show", "ok-1"])["title"], json!("first"));
}

#[test]
fn unknown_field_in_a_bead_file_is_named_with_its_position() {
    let env = env_with_one_bead();
    env.write(
        ".gemba/beads/unk-1.json",
        "{\n  \"id\": \"unk-1\",\n  \"title\": \"x\",\n  \"status\": \"open\",\n  \"priority\": 2,\n  \"issue_type\": \"task\",\n  \"colour\": \"red\"\n}\n",
    );
    let path = canonical(&env.gemba_dir().join("beads/unk-1.json"));
    let before = env.snapshot();
    for args in [
        vec!["bead", "show", "unk-1"],
        vec!["ready"],
        vec!["bead", "update", "unk-1", "--title", "y"],
    ] {
        let out = env.run(&args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "gemba {args:?}:\n{}",
            render(&out)
        );
        let err = stderr(&out);
        let start = format!(
            "gemba: {}:7:10: unknown field `colour`, expected one of `id`, `title`",
            path.display()
        );
        assert!(err.starts_with(&start), "gemba {args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert_eq!(env.snapshot(), before, "gemba {args:?} changed the store");
    }
}

#[test]
fn config_errors_have_positions_and_change_nothing() {
    let env = env_with_one_bead();
    let path = canonical(&env.gemba_dir().join("config.yaml"));
    env.write("more.jsonl", &format!("{}\n", line("\"more-1\"", "more")));
    let cases = [
        (
            "ids:\n  prefix: gm\n  min_hash_len: 4\ngit:\n  auto_comit: true\n",
            "5:3: unknown field `auto_comit`, expected one of auto_commit",
        ),
        (
            "ids:\n  prefx: gm\n",
            "2:3: unknown field `prefx`, expected one of prefix, min_hash_len",
        ),
        ("ids:\n  min_hash_len: lots\n", "2:17: invalid u64"),
        (
            "# comment\ngit:\n  auto_commit: maybe\n",
            "3:16: invalid boolean",
        ),
    ];
    for (config, message) in cases {
        env.write(".gemba/config.yaml", config);
        let before = env.snapshot();
        for args in [
            vec!["ready"],
            vec!["bead", "show", "ok-1"],
            vec!["bead", "create", "--title", "new"],
            vec!["bead", "update", "ok-1", "--title", "y"],
            vec!["import", "beads", "more.jsonl"],
        ] {
            let out = env.run(&args);
            assert_eq!(
                out.status.code(),
                Some(1),
                "gemba {args:?}:\n{}",
                render(&out)
            );
            assert_eq!(
                stderr(&out),
                format!("gemba: {}:{message}\n", path.display()),
                "gemba {args:?} with {config:?}"
            );
            assert_eq!(env.snapshot(), before, "gemba {args:?} changed the store");
        }
        let (code, report) = check_report(&env);
        assert_eq!(code, Some(1), "{report}");
        let (pos, msg) = message.split_once(": ").unwrap();
        let (l, c) = pos.split_once(':').unwrap();
        assert_eq!(
            report["errors"],
            json!([{
                "path": path,
                "line": l.parse::<u64>().unwrap(),
                "column": c.parse::<u64>().unwrap(),
                "message": msg,
            }])
        );
    }
}

#[test]
fn vocabulary_errors_have_positions() {
    let env = env_with_one_bead();
    let path = canonical(&env.gemba_dir().join("vocabulary.yaml"));
    let cases = [
        (
            "terms:\n  - name: auth\n    alias: [login]\n",
            (3, 5),
            "unknown field `alias`, expected one of name, description, aliases, source, created_at, updated_at, retired",
        ),
        (
            "term: []\n",
            (1, 1),
            "unknown field `term`, expected one of terms",
        ),
        (
            "terms:\n  - name: auth\n    retired: often\n",
            (3, 14),
            "invalid boolean",
        ),
        (
            "terms:\n  - name: [a, b]\n",
            (2, 11),
            "expected string scalar",
        ),
    ];
    for (text, (l, c), message) in cases {
        env.write(".gemba/vocabulary.yaml", text);
        let before = env.snapshot();
        let (code, report) = check_report(&env);
        assert_eq!(code, Some(1), "{report}");
        let errors = report["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{report}");
        assert_eq!(errors[0]["path"], json!(path), "{text:?}");
        assert_eq!(
            (errors[0]["line"].as_u64(), errors[0]["column"].as_u64()),
            (Some(l), Some(c)),
            "{text:?}: {report}"
        );
        assert_eq!(errors[0]["message"], json!(message), "{text:?}");
        let out = env.run(&["check"]);
        let err = stderr(&out);
        assert!(
            err.starts_with(&format!("error: .gemba/vocabulary.yaml:{l}:{c}: ")),
            "{err}"
        );
        assert_eq!(env.snapshot(), before);
    }
}

const CYCLE: &str = "\
{\"id\":\"c-a\",\"title\":\"A\",\"dependencies\":[{\"depends_on_id\":\"c-b\",\"type\":\"blocks\"}]}
{\"id\":\"c-free\",\"title\":\"free\"}
{\"id\":\"c-b\",\"title\":\"B\",\"dependencies\":[{\"depends_on_id\":\"c-c\",\"type\":\"blocks\"}]}
{\"id\":\"c-c\",\"title\":\"C\",\"dependencies\":[{\"depends_on_id\":\"c-a\",\"type\":\"parent-child\"}]}
{\"id\":\"c-d\",\"title\":\"D\",\"dependencies\":[{\"depends_on_id\":\"c-free\",\"type\":\"blocks\"}]}
{\"id\":\"c-e\",\"title\":\"E\",\"dependencies\":[{\"depends_on_id\":\"c-d\",\"type\":\"related\"}]}
{\"id\":\"c-f\",\"title\":\"F\",\"dependencies\":[{\"depends_on_id\":\"c-f\",\"type\":\"blocks\"}]}
";

#[test]
fn dependency_cycles_in_an_import_are_named_on_their_lines() {
    let env = env_with_one_bead();
    env.write("cycle.jsonl", CYCLE);
    let (code, report) = import_json(&env, "cycle.jsonl", &[]);
    assert_eq!(code, Some(1), "{report}");
    let abc = "dependency cycle c-a -> c-b -> c-c -> c-a";
    assert_eq!(
        report,
        json!({
            "created": 3,
            "updated": 0,
            "unchanged": 0,
            "skipped": {},
            "errors": [
                {"line": 1, "id": "c-a", "message": abc},
                {"line": 3, "id": "c-b", "message": abc},
                {"line": 4, "id": "c-c", "message": abc},
                {"line": 7, "id": "c-f", "message": "dependency cycle c-f -> c-f"},
            ],
            "dry_run": false,
        })
    );
    assert_eq!(
        bead_names(&env),
        ["c-d.json", "c-e.json", "c-free.json", "ok-1.json"]
    );
    let (code, check) = check_report(&env);
    assert_eq!(code, Some(0), "{check}");
    assert_eq!(check["errors"], json!([]));
}

#[test]
fn an_import_closing_a_cycle_with_stored_beads_is_rejected() {
    let env = env_with_one_bead();
    // s-1 depends on s-2, which is not there yet (a dangling edge).
    let out = env.import_text(
        "{\"id\":\"s-1\",\"title\":\"one\",\"dependencies\":[{\"depends_on_id\":\"s-2\",\"type\":\"blocks\"}]}\n",
    );
    assert!(out.status.success(), "{}", render(&out));
    env.write(
        "close.jsonl",
        "{\"id\":\"s-3\",\"title\":\"three\"}\n{\"id\":\"s-2\",\"title\":\"two\",\"dependencies\":[{\"depends_on_id\":\"s-1\",\"type\":\"waits-for\"}]}\n",
    );
    let (code, report) = import_json(&env, "close.jsonl", &[]);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(
        report["errors"],
        json!([{"line": 2, "id": "s-2", "message": "dependency cycle s-1 -> s-2 -> s-1"}])
    );
    assert_eq!(report["created"], json!(1));
    assert_eq!(bead_names(&env), ["ok-1.json", "s-1.json", "s-3.json"]);
}

#[test]
fn strict_import_with_a_cycle_changes_nothing() {
    let env = env_with_one_bead();
    env.write("cycle.jsonl", CYCLE);
    let before = env.snapshot();
    let out = env.run(&["import", "beads", "cycle.jsonl", "--strict"]);
    assert_eq!(out.status.code(), Some(1), "{}", render(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with("gemba: 4 invalid item(s); nothing was written (--strict):\n  cycle.jsonl:1: dependency cycle "),
        "{err}"
    );
    assert_eq!(err.lines().count(), 5, "one line per invalid item: {err}");
    assert_eq!(env.snapshot(), before);
    // --dry-run reports the same errors and writes nothing either.
    let (code, report) = import_json(&env, "cycle.jsonl", &["--dry-run"]);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(report["errors"].as_array().unwrap().len(), 4, "{report}");
    assert_eq!(report["created"], json!(3));
    assert_eq!(report["dry_run"], json!(true));
    assert_eq!(env.snapshot(), before);
}
