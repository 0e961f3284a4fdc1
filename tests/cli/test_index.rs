//! `gemba index build|status|deps|dependents`: the source import graph on
//! real temp repositories with real source files, and its freshness: a
//! commit that moves HEAD, an edit, an added file or a changed backend
//! make it stale, and queries then refuse with a one-line reason.

use serde::Deserialize;

use crate::common::*;

/// `gemba index status --json`, pinned: unknown fields fail the test.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Status {
    backend: String,
    #[serde(default)]
    command: Vec<String>,
    commit: Option<String>,
    head: Option<String>,
    built_at: Option<String>,
    files: usize,
    edges: usize,
    unresolved: usize,
    languages: std::collections::BTreeMap<String, usize>,
    freshness: Freshness,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Freshness {
    state: String,
    reason: Option<String>,
}

/// `gemba index deps|dependents --json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Query {
    query: String,
    commit: Option<String>,
    results: Vec<Answer>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Answer {
    path: String,
    known: bool,
    files: Vec<String>,
}

/// `gemba index build --json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Build {
    backend: String,
    #[serde(default)]
    command: Vec<String>,
    commit: Option<String>,
    head: Option<String>,
    files: usize,
    parsed: usize,
    reused: usize,
    missing: usize,
    edges: usize,
    unresolved: usize,
    languages: std::collections::BTreeMap<String, usize>,
    written: bool,
    warnings: Vec<String>,
    /// Part of the contract, not asserted (wall time).
    #[allow(dead_code)]
    elapsed_ms: u64,
}

fn status(env: &TestEnv) -> Status {
    serde_json::from_value(env.json(&["index", "status"])).unwrap()
}

fn build(env: &TestEnv) -> Build {
    serde_json::from_value(env.json(&["index", "build"])).unwrap()
}

/// The files of one path's answer (`deps` or `dependents`).
fn files(env: &TestEnv, query: &str, path: &str) -> Vec<String> {
    let q: Query = serde_json::from_value(env.json(&["index", query, path])).unwrap();
    assert_eq!(q.results.len(), 1);
    assert_eq!(q.results[0].path, path);
    q.results.into_iter().next().unwrap().files
}

fn head(env: &TestEnv) -> String {
    env.git(&["rev-parse", "HEAD"]).trim().to_string()
}

/// A query that must refuse: exit 1, `index_unavailable`, and one line
/// (text) naming the reason.
fn refuses(env: &TestEnv, query: &str, path: &str, reason: &str) {
    let out = env.fails(1, &["index", query, path]);
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("gemba: "), "{err}");
    assert!(err.contains(reason), "{reason:?} not in {err}");
    assert!(err.contains("gemba index build"), "{err}");
    assert!(stdout(&out).is_empty());
    let out = env.fails(1, &["index", query, path, "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(json["code"], "index_unavailable");
    assert!(json["message"].as_str().unwrap().contains(reason), "{json}");
}

/// A repository with two modules that import one another, in each of the
/// four languages, committed.
fn polyglot() -> TestEnv {
    let env = TestEnv::init();
    // Rust: a crate whose `store` and `plan` modules use each other.
    env.write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\n",
    );
    env.write("src/lib.rs", "pub mod plan;\npub mod store;\n");
    env.write(
        "src/store.rs",
        "//! Store.\nuse crate::plan::Plan;\n\npub struct Store;\n",
    );
    env.write(
        "src/plan.rs",
        "use crate::store::Store;\nuse std::collections::BTreeMap;\n\npub struct Plan;\n\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\n",
    );
    // Go: package db imports package model and back through an interface
    // package.
    env.write("go.mod", "module example.com/svc\n\ngo 1.22\n");
    env.write(
        "cmd/svc/main.go",
        "package main\n\nimport (\n\t\"fmt\"\n\t\"example.com/svc/internal/db\"\n)\n\nfunc main() { fmt.Println(db.Open()) }\n",
    );
    env.write(
        "internal/db/db.go",
        "package db\n\nimport \"example.com/svc/internal/model\"\n\nfunc Open() model.Row { return model.Row{} }\n",
    );
    env.write(
        "internal/model/model.go",
        "package model\n\n// import \"example.com/svc/internal/db\" (commented out)\ntype Row struct{}\n",
    );
    // Python: a package whose modules import each other.
    env.write("py/app/__init__.py", "");
    env.write(
        "py/app/users.py",
        "\"\"\"Users.\n\nimport nothing_here\n\"\"\"\nfrom .orders import Order\nimport os\n",
    );
    env.write("py/app/orders.py", "from app.users import User\n");
    // TypeScript.
    env.write(
        "web/src/api.ts",
        "import { render } from './view';\nimport React from 'react';\nexport const api = 1;\n",
    );
    env.write(
        "web/src/view.tsx",
        "import { api } from './api';\nexport function render() {}\n",
    );
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "sources"]);
    env
}

#[test]
fn test_files_that_import_one_another_are_edges_after_a_build() {
    let env = polyglot();
    let st = status(&env);
    assert_eq!(st.backend, "builtin");
    assert_eq!(st.freshness.state, "missing");
    assert_eq!(st.freshness.reason.as_deref(), Some("no source index yet"));
    refuses(&env, "deps", "src/store.rs", "no source index yet");

    let b = build(&env);
    let head = head(&env);
    assert_eq!(b.commit.as_deref(), Some(head.as_str()));
    assert_eq!(b.head.as_deref(), Some(head.as_str()));
    assert_eq!(
        (b.backend.as_str(), b.parsed, b.reused),
        ("builtin", b.files, 0)
    );
    assert!(b.written && b.warnings.is_empty() && b.missing == 0);
    assert_eq!(
        b.languages,
        [("go", 4), ("js/ts", 2), ("python", 3), ("rust", 4)]
            .map(|(k, v)| (k.to_string(), v))
            .into()
    );

    // Rust: both directions, and the crate root declares both.
    assert_eq!(files(&env, "deps", "src/store.rs"), ["src/plan.rs"]);
    assert_eq!(files(&env, "deps", "src/plan.rs"), ["src/store.rs"]);
    assert_eq!(
        files(&env, "dependents", "src/store.rs"),
        ["src/lib.rs", "src/plan.rs"]
    );
    // Go: a package import is an edge to the package's files; the
    // commented-out import is not one.
    assert_eq!(
        files(&env, "deps", "cmd/svc/main.go"),
        ["internal/db/db.go"]
    );
    assert_eq!(
        files(&env, "dependents", "internal/model/model.go"),
        ["internal/db/db.go"]
    );
    assert!(files(&env, "deps", "internal/model/model.go").is_empty());
    // Python: relative and absolute (from the package's root); the
    // docstring's import is not one.
    assert_eq!(files(&env, "deps", "py/app/users.py"), ["py/app/orders.py"]);
    assert_eq!(files(&env, "deps", "py/app/orders.py"), ["py/app/users.py"]);
    // TypeScript: extension resolution; the package import is ignored.
    assert_eq!(files(&env, "deps", "web/src/api.ts"), ["web/src/view.tsx"]);
    assert_eq!(
        files(&env, "dependents", "web/src/api.ts"),
        ["web/src/view.tsx"]
    );

    let st = status(&env);
    assert_eq!(st.freshness.state, "fresh");
    assert_eq!(st.freshness.reason, None);
    assert_eq!(st.commit.as_deref(), Some(head.as_str()));
    assert_eq!(st.head.as_deref(), Some(head.as_str()));
    assert_eq!(st.files, b.files);
    assert_eq!(st.edges, b.edges);
    assert_eq!((st.unresolved, b.unresolved), (0, 0));
    assert_eq!(st.languages, b.languages);
    assert!(st.built_at.is_some() && st.command.is_empty());

    // Text output: one dependency a line; several paths as a table.
    assert_eq!(env.ok(&["index", "deps", "src/store.rs"]), "src/plan.rs\n");
    let table = env.ok(&["index", "dependents", "src/store.rs", "src/plan.rs"]);
    assert!(table.contains("IMPORTED BY"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.split_whitespace().eq(["src/plan.rs", "src/store.rs"])),
        "{table}"
    );

    // The index is derived: gitignored, nothing to commit.
    assert!(env.root.join(".gemba/index/imports.bin").is_file());
    assert_eq!(env.git(&["status", "--porcelain"]), "");
}

#[test]
fn test_a_commit_that_moves_head_makes_the_index_stale() {
    let env = polyglot();
    build(&env);
    let before = head(&env);
    env.write("NOTES.md", "not source\n");
    env.git(&["add", "NOTES.md"]);
    env.git(&["commit", "-q", "-m", "notes"]);
    let after = head(&env);
    let st = status(&env);
    assert_eq!(st.freshness.state, "stale");
    let reason = format!("HEAD moved from {} to {}", &before[..7], &after[..7]);
    assert_eq!(st.freshness.reason.as_deref(), Some(reason.as_str()));
    refuses(&env, "deps", "src/store.rs", &reason);
    refuses(&env, "dependents", "src/plan.rs", &reason);
    let text = env.ok(&["index", "status"]);
    assert!(
        text.contains(&format!("freshness  stale: {reason}\n")),
        "{text}"
    );

    // A rebuild parses nothing (no source changed) and is fresh again.
    let b = build(&env);
    assert_eq!((b.parsed, b.reused), (0, b.files));
    assert_eq!(b.commit.as_deref(), Some(after.as_str()));
    assert_eq!(status(&env).freshness.state, "fresh");
    assert_eq!(files(&env, "deps", "src/store.rs"), ["src/plan.rs"]);
}

#[test]
fn test_an_edit_of_an_indexed_file_makes_it_stale_and_a_build_reparses_only_that_file() {
    let env = polyglot();
    let first = build(&env);
    // Drop the import of store from plan, without committing.
    env.write("src/plan.rs", "pub struct Plan;\n");
    let st = status(&env);
    assert_eq!(st.freshness.state, "stale");
    let reason = "files differ from the index: changed: src/plan.rs";
    assert_eq!(st.freshness.reason.as_deref(), Some(reason));
    refuses(&env, "dependents", "src/store.rs", reason);

    let b = build(&env);
    assert_eq!((b.parsed, b.reused), (1, first.files - 1));
    assert_eq!(b.edges, first.edges - 1);
    assert_eq!(files(&env, "dependents", "src/store.rs"), ["src/lib.rs"]);
    assert_eq!(files(&env, "deps", "src/store.rs"), ["src/plan.rs"]);

    // A file touched but not changed stays fresh (compared by content).
    let path = env.root.join("src/plan.rs");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(status(&env).freshness.state, "fresh");

    // A deleted file is a change too.
    std::fs::remove_file(env.root.join("web/src/view.tsx")).unwrap();
    let st = status(&env);
    assert_eq!(
        st.freshness.reason.as_deref(),
        Some("files differ from the index: changed: web/src/view.tsx")
    );
    let b = build(&env);
    assert_eq!(b.missing, 1);
    assert!(files(&env, "deps", "web/src/api.ts").is_empty());
}

#[test]
fn test_added_and_removed_source_files_make_it_stale() {
    let env = polyglot();
    build(&env);
    // Untracked files are not sources of the repository.
    env.write("src/scratch.rs", "use crate::store::Store;\n");
    assert_eq!(status(&env).freshness.state, "fresh");
    env.git(&["add", "src/scratch.rs"]);
    let st = status(&env);
    assert_eq!(
        st.freshness.reason.as_deref(),
        Some("files differ from the index: added: src/scratch.rs")
    );
    build(&env);
    // Not declared with `mod`, but its `use` still names store.rs.
    assert_eq!(
        files(&env, "dependents", "src/store.rs"),
        ["src/lib.rs", "src/plan.rs", "src/scratch.rs"]
    );
    env.git(&["rm", "-q", "--cached", "src/scratch.rs"]);
    assert_eq!(
        status(&env).freshness.reason.as_deref(),
        Some("files differ from the index: removed: src/scratch.rs")
    );
}

#[test]
fn test_a_damaged_index_is_missing_until_rebuilt() {
    let env = polyglot();
    build(&env);
    let path = env.root.join(".gemba/index/imports.bin");
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let st = status(&env);
    assert_eq!(st.freshness.state, "missing");
    assert_eq!(
        st.freshness.reason.as_deref(),
        Some("the source index is unreadable (damaged)")
    );
    refuses(
        &env,
        "deps",
        "src/store.rs",
        "the source index is unreadable (damaged)",
    );
    let b = build(&env);
    assert_eq!(b.reused, 0, "nothing is taken from a damaged index");
    assert_eq!(status(&env).freshness.state, "fresh");
    std::fs::remove_file(&path).unwrap();
    assert_eq!(status(&env).freshness.state, "missing");
}

#[test]
fn test_paths_are_relative_to_the_current_directory() {
    let env = polyglot();
    build(&env);
    let out = env
        .cmd_in(
            &env.root.join("src"),
            &["index", "deps", "store.rs", "--json"],
        )
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", render(&out));
    let q: Query = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(q.query, "dependencies");
    assert_eq!(q.commit.as_deref(), Some(head(&env).as_str()));
    assert_eq!(q.results[0].path, "src/store.rs");
    assert_eq!(q.results[0].files, ["src/plan.rs"]);
    let abs = env.root.join("src/plan.rs");
    let q: Query = serde_json::from_value(env.json(&[
        "index",
        "dependents",
        abs.to_str().unwrap(),
        "README.md",
    ]))
    .unwrap();
    assert_eq!(q.results[0].path, "src/plan.rs");
    assert_eq!(q.results[0].files, ["src/lib.rs", "src/store.rs"]);
    assert!(!q.results[1].known && q.results[1].files.is_empty());
    let out = env.run(&["index", "deps", "README.md"]);
    assert!(out.status.success());
    assert!(stderr(&out).contains("README.md is not in the source index"));
    let out = env.fails(1, &["index", "deps", "../elsewhere.rs"]);
    assert!(stderr(&out).contains("not a path inside the repository"));
}

#[test]
fn test_a_linked_worktree_reads_the_main_worktrees_index() {
    let env = polyglot();
    build(&env);
    let linked = env.tmp.path().join("linked");
    env.git(&[
        "worktree",
        "add",
        "-q",
        "--detach",
        linked.to_str().unwrap(),
    ]);
    let out = env
        .cmd_in(&linked.join("src"), &["index", "deps", "store.rs"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", render(&out));
    assert_eq!(stdout(&out), "src/plan.rs\n");
}

#[test]
fn test_backend_none_turns_analysis_off() {
    let env = polyglot();
    let config = env
        .read(".gemba/config.yaml")
        .replace("  backend: builtin\n", "  backend: none\n");
    env.write(".gemba/config.yaml", &config);
    let st = status(&env);
    assert_eq!(
        (st.backend.as_str(), st.freshness.state.as_str()),
        ("none", "disabled")
    );
    let out = env.fails(3, &["index", "build"]);
    assert!(stderr(&out).contains("source analysis is off (analysis.backend: none)"));
    let out = env.fails(1, &["index", "deps", "src/store.rs"]);
    assert_eq!(
        stderr(&out),
        "gemba: source analysis is off (analysis.backend: none)\n"
    );
    // Back to builtin: never built.
    let config = config.replace("  backend: none\n", "  backend: builtin\n");
    env.write(".gemba/config.yaml", &config);
    assert_eq!(status(&env).freshness.state, "missing");
}

/// Configure the external backend with `script` (run by `sh -c`).
fn external(env: &TestEnv, script: &str) {
    let config = env
        .read(".gemba/config.yaml")
        .replace("  backend: builtin\n", "  backend: external\n");
    let command = serde_json::to_string(&["sh", "-c", script]).unwrap();
    let config: String = config
        .lines()
        .map(|line| {
            if line.starts_with("  command: ") {
                format!("  command: {command}\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    env.write(".gemba/config.yaml", &config);
}

#[test]
fn test_an_external_command_supplies_the_edges() {
    let env = polyglot();
    // The tool reports HEAD and two edges (one written with `./`).
    external(
        &env,
        r#"printf '{"commit": "%s", "tool": "fake", "edges": [{"from": "./src/a.rs", "to": "src/b.rs"}, {"from": "src/b.rs", "to": "src/a.rs"}]}' "$(git rev-parse HEAD)""#,
    );
    let b = build(&env);
    assert_eq!(b.backend, "external");
    assert_eq!(b.command[..2], ["sh", "-c"]);
    assert_eq!(b.edges, 2);
    assert_eq!(b.commit.as_deref(), Some(head(&env).as_str()));
    assert!(b.warnings.is_empty(), "{:?}", b.warnings);
    assert_eq!(files(&env, "deps", "src/a.rs"), ["src/b.rs"]);
    assert_eq!(files(&env, "dependents", "src/a.rs"), ["src/b.rs"]);
    let st = status(&env);
    assert_eq!(
        (st.backend.as_str(), st.freshness.state.as_str()),
        ("external", "fresh")
    );
    assert_eq!(st.command, b.command);
    let text = env.ok(&["index", "status"]);
    assert!(text.contains("command    sh -c "), "{text}");

    // Any tracked file's edit makes it stale (the tool's languages are
    // unknown to gemba).
    env.write("README.md", "changed\n");
    assert_eq!(
        status(&env).freshness.reason.as_deref(),
        Some("files differ from the index: changed: README.md")
    );
    refuses(&env, "deps", "src/a.rs", "changed: README.md");

    // A tool that analysed another commit: built, but stale, and said so.
    external(
        &env,
        r#"echo '{"commit": "0123456789abcdef0123456789abcdef01234567", "edges": []}'"#,
    );
    let b = build(&env);
    assert_eq!(b.warnings.len(), 1, "{:?}", b.warnings);
    assert!(
        b.warnings[0].contains("reported commit 0123456"),
        "{:?}",
        b.warnings
    );
    let reason = format!(
        "the analysis command indexed 0123456, and HEAD is {}",
        &head(&env)[..7]
    );
    assert_eq!(
        status(&env).freshness.reason.as_deref(),
        Some(reason.as_str())
    );
}

#[test]
fn test_external_command_failures_name_the_command() {
    let env = polyglot();
    external(&env, "echo 'tool exploded' >&2; exit 2");
    let out = env.fails(1, &["index", "build"]);
    let err = stderr(&out);
    assert!(
        err.starts_with(
            "gemba: the analysis command `sh -c 'echo '\\''tool exploded'\\'' >&2; exit 2'` failed (exit status 2): tool exploded\n"
        ),
        "{err}"
    );
    assert!(err.contains("hint: analysis.command"), "{err}");
    let out = env.fails(1, &["index", "build", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(json["code"], "command_failed");
    assert!(
        !env.root.join(".gemba/index/imports.bin").exists(),
        "nothing written"
    );

    external(&env, "echo not json");
    let err = stderr(&env.fails(1, &["index", "build"]));
    assert!(
        err.contains("`sh -c 'echo not json'` printed invalid JSON"),
        "{err}"
    );
    external(
        &env,
        r#"echo '{"commit": "abcdef1", "edges": [{"from": "/etc/passwd", "to": "a"}]}'"#,
    );
    let err = stderr(&env.fails(1, &["index", "build"]));
    assert!(
        err.contains("invalid path in edges[0].from: \"/etc/passwd\""),
        "{err}"
    );

    // A config without a command is refused when it is read.
    let config = env.read(".gemba/config.yaml");
    let start = config.find("  command: [").unwrap();
    let end = start + config[start..].find('\n').unwrap() + 1;
    env.write(
        ".gemba/config.yaml",
        &format!("{}  command: []\n{}", &config[..start], &config[end..]),
    );
    let err = stderr(&env.fails(1, &["index", "status"]));
    assert!(
        err.contains("analysis.command: the external backend needs a command"),
        "{err}"
    );
}

#[test]
fn test_help_documents_the_external_contract() {
    let env = TestEnv::new();
    let help = env.ok(&["index", "build", "--help"]);
    assert!(
        help.contains("\"edges\": [{\"from\": \"src/a.rs\", \"to\": \"src/b.rs\"}"),
        "{help}"
    );
    assert!(help.contains("Examples:"), "{help}");
    for sub in ["status", "deps", "dependents"] {
        let help = env.ok(&["index", sub, "--help"]);
        assert!(help.contains("Examples:"), "{sub}: {help}");
    }
}

#[test]
fn test_a_rebuild_sees_newly_tracked_files_that_imports_name() {
    let env = polyglot();
    env.write(
        "web/src/app.ts",
        "import './theme.css';\nimport { api } from './api';\n",
    );
    env.git(&["add", "web/src/app.ts"]);
    let b = build(&env);
    assert_eq!(b.unresolved, 1, "theme.css is not tracked yet");
    assert_eq!(files(&env, "deps", "web/src/app.ts"), ["web/src/api.ts"]);
    // Only a non-source file is added: nothing to parse, but the import
    // now names a file.
    env.write("web/src/theme.css", "body {}\n");
    env.git(&["add", "web/src/theme.css"]);
    let b = build(&env);
    assert_eq!((b.parsed, b.unresolved), (0, 0));
    assert_eq!(
        files(&env, "deps", "web/src/app.ts"),
        ["web/src/api.ts", "web/src/theme.css"]
    );
    assert_eq!(
        files(&env, "dependents", "web/src/theme.css"),
        ["web/src/app.ts"]
    );
}
