//! `gemba check`: validates every file under `.gemba/`, reports every
//! problem (not just the first) with path, line and column, exits 1 on any
//! error and 0 when there are only warnings.

use std::path::Path;

use serde_json::{Value, json};

use crate::common::*;

/// One expected problem: path relative to `.gemba/`, line and column
/// (`None`: the field is absent from the JSON), and the message's start.
struct Want {
    path: &'static str,
    line: Option<u64>,
    column: Option<u64>,
    message: String,
}

fn want(path: &'static str, pos: Option<(u64, u64)>, message: impl Into<String>) -> Want {
    Want {
        path,
        line: pos.map(|p| p.0),
        column: pos.map(|p| p.1),
        message: message.into(),
    }
}

/// Compare a `errors`/`warnings` array with `wanted`, in order. A message
/// ending in `…` is a prefix (for serde's long "expected one of" lists).
fn assert_problems(env: &TestEnv, got: &Value, wanted: &[Want], what: &str) {
    let got = got
        .as_array()
        .unwrap_or_else(|| panic!("{what} is not an array: {got}"));
    let dir = canonical(&env.gemba_dir());
    let summary = || serde_json::to_string_pretty(got).unwrap();
    assert_eq!(got.len(), wanted.len(), "{what}:\n{}", summary());
    for (g, w) in got.iter().zip(wanted) {
        let keys: Vec<&str> = g.as_object().unwrap().keys().map(String::as_str).collect();
        for k in &keys {
            assert!(
                ["path", "line", "column", "message"].contains(k),
                "unexpected field {k} in {g}"
            );
        }
        assert_eq!(
            g["path"].as_str(),
            Some(dir.join(w.path).to_str().unwrap()),
            "{what}: {g}"
        );
        assert_eq!(g["line"].as_u64(), w.line, "{what} line: {g}");
        assert_eq!(g["column"].as_u64(), w.column, "{what} column: {g}");
        let msg = g["message"].as_str().unwrap();
        match w.message.strip_suffix('…') {
            Some(prefix) => assert!(
                msg.starts_with(prefix),
                "{what}: {msg:?} should start with {prefix:?}"
            ),
            None => assert_eq!(msg, w.message, "{what}: {g}"),
        }
    }
}

const GOOD: &str = "\
{\"id\":\"ok-1\",\"title\":\"first\",\"status\":\"closed\",\"closed_at\":\"2026-11-01T00:00:00Z\"}
{\"id\":\"ok-2\",\"title\":\"second\",\"dependencies\":[{\"depends_on_id\":\"ok-1\",\"type\":\"blocks\"}]}
{\"id\":\"ok-3\",\"title\":\"third\",\"dependencies\":[{\"depends_on_id\":\"ok-2\",\"type\":\"blocks\"}]}
";

#[test]
fn clean_store_has_no_problems() {
    let env = TestEnv::init();
    let out = env.import_text(GOOD);
    assert!(out.status.success(), "{}", render(&out));
    // The hand-written bead files of the other tests are byte-identical to
    // what gemba writes, so they draw no "not canonical" warning.
    env.import_text("{\"id\":\"ok-4\",\"title\":\"fourth\",\"dependencies\":[{\"depends_on_id\":\"ok-3\",\"type\":\"blocks\"},{\"depends_on_id\":\"ok-1\",\"type\":\"blocks\"}]}\n");
    assert_eq!(
        env.read(".gemba/beads/ok-4.json"),
        bead_file("ok-4", "fourth", &["ok-3", "ok-1"])
    );

    let (code, report) = check_report(&env);
    assert_eq!(code, Some(0), "{report}");
    // config, vocabulary, four beads, one log file.
    assert_eq!(
        report,
        json!({"files_checked": 7, "beads": 4, "errors": [], "warnings": []})
    );
    let out = env.run(&["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", render(&out));
    assert_eq!(
        stdout(&out),
        "checked 7 files (4 beads): 0 error(s), 0 warning(s)\n"
    );
    assert_eq!(stderr(&out), "");
}

#[test]
fn clean_real_import_has_no_errors() {
    let env = TestEnv::init();
    let data = shared_data(FLYWHEEL);
    env.ok(&["import", "beads", data.to_str().unwrap()]);
    let before = env.snapshot();
    let (code, report) = check_report(&env);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["errors"], json!([]));
    assert_eq!(report["beads"], json!(1201));
    // Every warning is about a dependency target outside the export.
    for w in report["warnings"].as_array().unwrap() {
        assert!(
            w["message"]
                .as_str()
                .unwrap()
                .ends_with("which is not in the store"),
            "{w}"
        );
    }
    assert_eq!(env.snapshot(), before, "check must not write");
}

#[test]
fn every_problem_is_reported_with_its_position() {
    let env = TestEnv::init();
    let out = env.import_text(GOOD);
    assert!(out.status.success(), "{}", render(&out));

    // 1. A misspelled config key.
    env.write(".gemba/config.yaml", "ids:\n  prefx: gm\n");
    // 2. A vocabulary term with a wrong type.
    env.write(
        ".gemba/vocabulary.yaml",
        "terms:\n  - name: auth\n    retired: often\n",
    );
    // 3. A bead file that is not JSON.
    env.write(
        ".gemba/beads/bad-1.json",
        "{\n  \"id\": \"bad-1\",\n  \"title\": \"x\",\n  \"status\": open\n}\n",
    );
    // 4. A bead file with an unknown field.
    env.write(
        ".gemba/beads/unk-1.json",
        "{\n  \"id\": \"unk-1\",\n  \"title\": \"x\",\n  \"status\": \"open\",\n  \"priority\": 2,\n  \"issue_type\": \"task\",\n  \"colour\": \"red\"\n}\n",
    );
    // 5. A bead whose id is not its file name.
    env.write(".gemba/beads/x-1.json", &bead_file("x-2", "misnamed", &[]));
    // 6. A cycle written by hand into two bead files.
    env.write(
        ".gemba/beads/cyc-a.json",
        &bead_file("cyc-a", "A", &["cyc-b"]),
    );
    env.write(
        ".gemba/beads/cyc-b.json",
        &bead_file("cyc-b", "B", &["cyc-a"]),
    );
    // 7. A log line that is not JSON, after the two good ones.
    let log = ".gemba/log/2026-11-23.jsonl";
    let mut text = env.read(log);
    let bad_line = text.lines().count() as u64 + 1;
    assert!(bad_line >= 3, "init and import were logged: {text}");
    text.push_str("not json\n");
    env.write(log, &text);
    // And one warning, reported alongside.
    env.write(".gemba/beads/README", "notes\n");

    let before = env.snapshot();
    let (code, report) = check_report(&env);
    assert_eq!(code, Some(1), "{report}");
    assert_problems(
        &env,
        &report["errors"],
        &[
            want(
                "config.yaml",
                Some((2, 3)),
                "unknown field `prefx`, expected one of prefix, min_hash_len",
            ),
            want("vocabulary.yaml", Some((3, 14)), "invalid boolean"),
            want("beads/bad-1.json", Some((4, 13)), "expected value"),
            want(
                "beads/unk-1.json",
                Some((7, 10)),
                "unknown field `colour`, expected one of `id`, …",
            ),
            want(
                "beads/x-1.json",
                None,
                "id \"x-2\" does not match the file name (expected x-2.json)",
            ),
            want(
                "beads/cyc-a.json",
                None,
                "dependency cycle: cyc-a -> cyc-b -> cyc-a",
            ),
            want(
                "log/2026-11-23.jsonl",
                Some((bad_line, 2)),
                "expected ident",
            ),
        ],
        "errors",
    );
    assert_problems(
        &env,
        &report["warnings"],
        &[want(
            "beads/README",
            None,
            "not a bead file (expected <id>.json); ignored",
        )],
        "warnings",
    );
    // ok-1..3, cyc-a, cyc-b parse; bad-1, unk-1, x-1 do not.
    assert_eq!(report["beads"], json!(5));

    // The human report: one line per problem with path:line:col.
    let out = env.run(&["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", render(&out));
    assert_eq!(
        stdout(&out),
        "checked 11 files (5 beads): 7 error(s), 1 warning(s)\n"
    );
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    let starts = [
        "error: .gemba/config.yaml:2:3: unknown field `prefx`",
        "error: .gemba/vocabulary.yaml:3:14: invalid boolean",
        "error: .gemba/beads/bad-1.json:4:13: expected value",
        "error: .gemba/beads/unk-1.json:7:10: unknown field `colour`",
        "error: .gemba/beads/x-1.json: id \"x-2\" does not match the file name",
        "error: .gemba/beads/cyc-a.json: dependency cycle: cyc-a -> cyc-b -> cyc-a",
        &format!("error: .gemba/log/2026-11-23.jsonl:{bad_line}:2: expected ident"),
        "warning: .gemba/beads/README: not a bead file",
    ];
    assert_eq!(lines.len(), starts.len(), "{err}");
    for (line, start) in lines.iter().zip(starts) {
        assert!(
            line.starts_with(start),
            "{line:?} should start with {start:?}"
        );
    }
    assert_eq!(env.snapshot(), before, "check must not write");
}

#[test]
fn warnings_alone_exit_zero() {
    let env = TestEnv::init();
    let out = env.import_text(
        "{\"id\":\"a-1\",\"title\":\"A\",\"dependencies\":[{\"depends_on_id\":\"gone-1\",\"type\":\"blocks\"}]}\n",
    );
    assert!(out.status.success(), "{}", render(&out));
    env.write(".gemba/beads/notes.txt", "scratch\n");
    // A temp file whose writer is gone (no process has a pid above
    // Linux's limit), and one whose writer runs (pid 1 always does).
    env.write(
        ".gemba/beads/.gemba-tmp-4194304-Ab12Cd",
        "{\n  \"id\": \"a-",
    );
    env.write(".gemba/beads/.gemba-tmp-1-Zz99Yy", "{");

    let (code, report) = check_report(&env);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["errors"], json!([]));
    assert_eq!(report["beads"], json!(1));
    assert_problems(
        &env,
        &report["warnings"],
        &[
            want(
                "beads/.gemba-tmp-1-Zz99Yy",
                None,
                "temporary file of a write in progress (pid 1)",
            ),
            want(
                "beads/.gemba-tmp-4194304-Ab12Cd",
                None,
                "leftover temporary file of an interrupted write (its writer is gone); the next write here removes it, or delete it",
            ),
            want(
                "beads/notes.txt",
                None,
                "not a bead file (expected <id>.json); ignored",
            ),
            want(
                "beads/a-1.json",
                None,
                "blocks dependency on \"gone-1\", which is not in the store",
            ),
        ],
        "warnings",
    );
    let out = env.run(&["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", render(&out));
    assert_eq!(
        stdout(&out),
        "checked 4 files (1 beads): 0 error(s), 4 warning(s)\n"
    );
    // A dangling `related` link is not an ordering edge: no warning.
    env.write(
        ".gemba/beads/a-1.json",
        &bead_file("a-1", "A", &[]).replace(
            "\"task\"\n",
            "\"task\",\n  \"dependencies\": [\n    {\n      \"depends_on_id\": \"gone-1\",\n      \"type\": \"related\"\n    }\n  ]\n",
        ),
    );
    let (code, report) = check_report(&env);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["warnings"].as_array().unwrap().len(), 3, "{report}");
}

#[test]
fn missing_config_is_an_error() {
    let env = TestEnv::init();
    std::fs::remove_file(env.gemba_dir().join("config.yaml")).unwrap();
    let (code, report) = check_report(&env);
    assert_eq!(code, Some(1), "{report}");
    assert_problems(
        &env,
        &report["errors"],
        &[want("config.yaml", None, "missing (run `gemba init`)")],
        "errors",
    );
    assert!(Path::new(&env.gemba_dir()).is_dir());
}

#[test]
fn malformed_suggestion_is_an_error_with_its_position() {
    let env = TestEnv::init();
    env.write(
        ".gemba/suggestions/merge-x.yaml",
        "id: merge-x\nkind: merge\nstatuss: pending\n",
    );
    let (code, report) = check_report(&env);
    assert_eq!(code, Some(1), "{report}");
    let err = &report["errors"][0];
    assert!(
        err["path"]
            .as_str()
            .unwrap()
            .ends_with(".gemba/suggestions/merge-x.yaml"),
        "{report}"
    );
    assert!(err["line"].as_u64().is_some(), "{report}");
    assert!(
        err["message"].as_str().unwrap().contains("statuss"),
        "{report}"
    );
}
