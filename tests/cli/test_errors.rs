//! With `--json`, errors are one JSON object on stderr whose `code` names
//! the failure, so an agent can branch on it: the documented set, exit codes
//! and `retryable`.

use serde_json::Value;

use crate::common::*;

/// Run `args --json`, expect exit `code`, and parse stderr as the error.
fn json_error(env: &TestEnv, exit: i32, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = env.fails(exit, &all);
    assert_eq!(stdout(&out), "", "{}", render(&out));
    let err: Value = serde_json::from_slice(&out.stderr)
        .unwrap_or_else(|e| panic!("stderr is not one JSON object: {e}\n{}", render(&out)));
    let keys: Vec<&str> = err
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(keys, ["code", "hint", "message", "retryable"], "{err}");
    assert!(!err["message"].as_str().unwrap().is_empty(), "{err}");
    err
}

#[test]
fn missing_bead_is_not_found() {
    let env = TestEnv::init();
    let err = json_error(&env, 1, &["bead", "show", "nope"]);
    assert_eq!(err["code"], "not_found", "{err}");
    assert_eq!(err["retryable"], false);
    assert_eq!(err["message"], "no bead \"nope\"");
}

#[test]
fn malformed_file_is_parse_error() {
    let env = TestEnv::init();
    env.write(
        ".gemba/beads/gm-bad.json",
        "{\"id\": \"gm-bad\",\n  \"title\": 3\n}\n",
    );
    let err = json_error(&env, 1, &["bead", "list"]);
    assert_eq!(err["code"], "parse_error", "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("gm-bad.json:2:"),
        "{err}"
    );
    let err = json_error(&env, 1, &["bead", "show", "gm-bad"]);
    assert_eq!(err["code"], "parse_error", "{err}");
    env.write(".gemba/config.yaml", "ids:\n  prefx: x\n");
    let err = json_error(&env, 1, &["ready"]);
    assert_eq!(err["code"], "parse_error", "{err}");
}

#[test]
fn bad_id_is_invalid_input() {
    let env = TestEnv::init();
    for id in ["../etc/passwd", "a\u{7}b", ""] {
        let err = json_error(&env, 1, &["bead", "show", id]);
        assert_eq!(err["code"], "invalid_input", "{id:?}: {err}");
    }
    let err = json_error(&env, 1, &["bead", "create", "--title", " "]);
    assert_eq!(err["code"], "invalid_input", "{err}");
}

#[test]
fn uninitialized_is_not_initialized() {
    let env = TestEnv::new();
    for args in [
        &["bead", "show", "gm-a"][..],
        &["bead", "list"],
        &["ready"],
        &["check"],
    ] {
        let err = json_error(&env, 1, args);
        assert_eq!(err["code"], "not_initialized", "{args:?}: {err}");
        assert!(
            err["hint"].as_str().unwrap().contains("gemba init"),
            "{err}"
        );
    }
}

#[test]
fn outside_git_is_git() {
    let env = TestEnv::new();
    let dir = env.tmp.path().join("plain");
    std::fs::create_dir(&dir).unwrap();
    let mut cmd = env.cmd_in(&dir, &["bead", "list", "--json"]);
    let out = cmd
        .env("GIT_CEILING_DIRECTORIES", env.tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", render(&out));
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["code"], "git", "{err}");
}

#[test]
fn dependency_cycle_is_a_conflict() {
    let env = TestEnv::init();
    let a = env
        .ok(&["bead", "create", "--title", "A"])
        .trim()
        .to_string();
    let b = env
        .ok(&["bead", "create", "--title", "B", "--dep", &a])
        .trim()
        .to_string();
    let err = json_error(&env, 1, &["bead", "update", &a, "--add-dep", &b]);
    assert_eq!(err["code"], "conflict", "{err}");
    assert!(err["message"].as_str().unwrap().contains("cycle"), "{err}");
}

#[test]
fn usage_errors_are_json_with_exit_2() {
    let env = TestEnv::init();
    let err = json_error(&env, 2, &["bead", "list", "--no-such-flag"]);
    assert_eq!(err["code"], "usage", "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("--no-such-flag"),
        "{err}"
    );
    let err = json_error(&env, 2, &["bead", "list", "--dispatch-status", "bogus"]);
    assert_eq!(err["code"], "usage", "{err}");
    // Without --json, clap's own text.
    let out = env.fails(2, &["bead", "list", "--no-such-flag"]);
    assert!(stderr(&out).starts_with("error: "), "{}", render(&out));
}

#[test]
fn nothing_to_do_is_exit_3_without_an_error() {
    let env = TestEnv::init();
    let out = env.fails(3, &["ready", "--json"]);
    assert_eq!(stdout(&out).trim(), "[]");
    assert_eq!(stderr(&out), "");
}

#[test]
fn help_documents_exit_codes_and_error_codes() {
    let env = TestEnv::new();
    let help = env.ok(&["--help"]);
    assert!(help.contains("4  lost a race"), "{help}");
    for code in [
        "not_found",
        "invalid_input",
        "parse_error",
        "conflict",
        "already_taken",
        "lock_timeout",
        "io",
        "not_initialized",
        "git",
        "usage",
        "nothing_to_do",
    ] {
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(code)),
            "{code} missing from --help:\n{help}"
        );
    }
}
