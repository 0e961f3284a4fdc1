//! `gemba init`, state-dir resolution (worktrees, `--gemba-dir`,
//! `GEMBA_DIR`) and `gemba config show`.

use std::path::{Path, PathBuf};

use crate::common::*;

const GITATTRIBUTES_LINE: &str = ".gemba/log/*.jsonl merge=union\n";

/// The relative paths of every file under `dir` (sorted), for "which files
/// exist" assertions.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

fn bead_files(gemba_dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(gemba_dir.join("beads"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn init_creates_the_tree() {
    let env = TestEnv::new();
    let out = env.ok(&["init"]);
    assert!(out.starts_with("initialized .gemba\n"), "{out}");
    let g = env.gemba_dir();
    assert!(g.join("beads").is_dir());
    assert!(g.join("log").is_dir());
    for f in ["config.yaml", "vocabulary.yaml", ".gitignore"] {
        assert!(g.join(f).is_file(), "{f} missing");
    }
    // Exactly these files (locks aside): the init event is logged.
    let files: Vec<String> = files_under(&g)
        .into_iter()
        .filter(|f| !f.ends_with(".lock"))
        .collect();
    assert_eq!(
        files,
        vec![
            ".gitignore",
            "config.yaml",
            "log/2026-11-23.jsonl",
            "schema/agent.schema.json",
            "schema/backlog.schema.json",
            "schema/bead.schema.json",
            "schema/claim.schema.json",
            "schema/config.schema.json",
            "schema/dispatch.schema.json",
            "schema/enrichment.schema.json",
            "schema/event.schema.json",
            "schema/lease.schema.json",
            "schema/packet.schema.json",
            "schema/scan-state.schema.json",
            "schema/session.schema.json",
            "schema/suggestion.schema.json",
            "schema/supplied.schema.json",
            "schema/vocabulary.schema.json",
            "vocabulary.yaml"
        ]
    );
    assert_eq!(env.read(".gitattributes"), GITATTRIBUTES_LINE);

    let gitignore = env.read(".gemba/.gitignore");
    for line in ["index/", "tmp/", "*.lock"] {
        assert!(
            gitignore.lines().any(|l| l == line),
            "{line} not in .gitignore:\n{gitignore}"
        );
    }
    // The config is commented and holds the defaults.
    let config = env.read(".gemba/config.yaml");
    assert!(config.starts_with('#'), "{config}");
    assert!(config.lines().any(|l| l == "  prefix: gm"), "{config}");
    assert!(
        config.lines().any(|l| l == "  auto_commit: false"),
        "{config}"
    );
    // The vocabulary is empty.
    let vocab = env.read(".gemba/vocabulary.yaml");
    let data: Vec<&str> = vocab
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect();
    assert_eq!(data, vec!["terms: []"]);

    // Nothing init writes is ignored by git except the lock files.
    env.git(&["add", "-A"]);
    let staged = env.git(&["diff", "--cached", "--name-only"]);
    assert_eq!(
        staged,
        ".gemba/.gitignore\n.gemba/config.yaml\n.gemba/log/2026-11-23.jsonl\n\
         .gemba/schema/agent.schema.json\n.gemba/schema/backlog.schema.json\n.gemba/schema/bead.schema.json\n\
         .gemba/schema/claim.schema.json\n.gemba/schema/config.schema.json\n\
         .gemba/schema/dispatch.schema.json\n.gemba/schema/enrichment.schema.json\n.gemba/schema/event.schema.json\n\
         .gemba/schema/lease.schema.json\n.gemba/schema/packet.schema.json\n.gemba/schema/scan-state.schema.json\n.gemba/schema/session.schema.json\n.gemba/schema/suggestion.schema.json\n\
         .gemba/schema/supplied.schema.json\n.gemba/schema/vocabulary.schema.json\n.gemba/vocabulary.yaml\n.gitattributes\n"
    );
    // The freshly initialized tree passes `gemba check`.
    env.ok(&["check"]);
}

#[test]
fn gitattributes_line_is_appended_to_an_existing_file() {
    let env = TestEnv::new();
    env.write(".gitattributes", "*.png binary");
    env.ok(&["init"]);
    assert_eq!(
        env.read(".gitattributes"),
        format!("*.png binary\n{GITATTRIBUTES_LINE}")
    );
    // git sees the attribute on a log file.
    let attr = env.git(&["check-attr", "merge", "--", ".gemba/log/2026-11-23.jsonl"]);
    assert_eq!(attr, ".gemba/log/2026-11-23.jsonl: merge: union\n");
}

#[test]
fn second_init_changes_nothing_and_says_so() {
    let env = TestEnv::new();
    env.ok(&["init"]);
    let before = env.snapshot();
    let attrs_before = std::fs::read(env.root.join(".gitattributes")).unwrap();

    let out = env.run(&["init"]);
    assert_eq!(out.status.code(), Some(0), "{}", render(&out));
    assert_eq!(
        stdout(&out),
        "gemba is already initialized at .gemba; nothing changed\n"
    );
    assert_eq!(env.snapshot(), before);
    assert_eq!(
        std::fs::read(env.root.join(".gitattributes")).unwrap(),
        attrs_before
    );

    let report = env.json(&["init"]);
    assert_eq!(report["created"], serde_json::json!([]));
    assert_eq!(report["gitattributes"], false);
    assert_eq!(env.snapshot(), before);
    assert_eq!(
        std::fs::read(env.root.join(".gitattributes")).unwrap(),
        attrs_before
    );
}

#[test]
fn init_keeps_a_hand_edited_config() {
    let env = TestEnv::init();
    env.write(".gemba/config.yaml", "ids:\n  prefix: xy\n");
    let out = env.ok(&["init"]);
    assert!(out.contains("nothing changed"), "{out}");
    assert_eq!(env.read(".gemba/config.yaml"), "ids:\n  prefix: xy\n");
}

#[test]
fn outside_a_git_repository_is_a_clear_error() {
    let env = TestEnv::new();
    let plain = env.tmp.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    for args in [&["init"][..], &["ready"], &["bead", "list"]] {
        let out = env.cmd_in(&plain, args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", render(&out));
        let err = stderr(&out);
        assert!(
            err.contains("not inside a git repository"),
            "{args:?}: {err}"
        );
        assert!(err.contains("git init"), "{args:?}: {err}");
        assert_eq!(stdout(&out), "");
    }
    assert!(!plain.join(".gemba").exists());
    assert_eq!(std::fs::read_dir(&plain).unwrap().count(), 0);
}

#[test]
fn linked_worktree_resolves_the_main_worktrees_state() {
    let env = TestEnv::new();
    let wt = env.tmp.path().join("wt");
    env.git(&["worktree", "add", "-q", "../wt", "-b", "wt"]);
    assert!(wt.join(".git").is_file());

    let run_in_wt = |args: &[&str]| {
        let out = env.cmd_in(&wt, args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?} in the worktree:\n{}",
            render(&out)
        );
        stdout(&out)
    };
    run_in_wt(&["init"]);
    assert!(env.gemba_dir().join("config.yaml").is_file());
    assert_eq!(env.read(".gitattributes"), GITATTRIBUTES_LINE);
    assert!(!wt.join(".gemba").exists());
    assert!(!wt.join(".gitattributes").exists());

    std::fs::write(
        wt.join("in.jsonl"),
        "{\"id\":\"t-1\",\"title\":\"From wt\"}\n",
    )
    .unwrap();
    run_in_wt(&["import", "beads", "in.jsonl"]);
    let created = run_in_wt(&["bead", "create", "--title", "Made in wt"]);
    let new_id = created.trim().to_string();
    assert!(new_id.starts_with("gm-"), "{created}");
    assert_eq!(
        bead_files(&env.gemba_dir()),
        vec![format!("{new_id}.json"), "t-1.json".into()]
    );
    assert!(!wt.join(".gemba").exists());

    // The main worktree and the linked one see the same state.
    let from_wt = run_in_wt(&["ready", "--json"]);
    let from_main = env.ok(&["ready", "--json"]);
    assert_eq!(from_wt, from_main);
    let ids: Vec<String> = serde_json::from_str::<serde_json::Value>(&from_main)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_string())
        .collect();
    let mut expected = vec![new_id, "t-1".to_string()];
    expected.sort();
    let mut got = ids.clone();
    got.sort();
    assert_eq!(got, expected);
    assert!(!wt.join(".gemba").exists());
}

#[test]
fn gemba_dir_flag_overrides_discovery() {
    let env = TestEnv::new();
    let state: PathBuf = env.tmp.path().join("state");
    let dir = state.to_str().unwrap();
    env.ok(&["--gemba-dir", dir, "init"]);
    assert!(state.join("config.yaml").is_file());
    assert!(state.join("beads").is_dir());
    assert!(!env.gemba_dir().exists());
    // A state dir outside the worktree gets no .gitattributes line.
    assert!(!env.root.join(".gitattributes").exists());

    let id = env.ok(&["--gemba-dir", dir, "bead", "create", "--title", "x"]);
    assert_eq!(bead_files(&state), vec![format!("{}.json", id.trim())]);
    assert!(!env.gemba_dir().exists());
    // Without the flag the repo has no state.
    let out = env.fails(1, &["bead", "list"]);
    assert!(stderr(&out).contains("gemba init"), "{}", render(&out));
}

#[test]
fn gemba_dir_env_overrides_discovery_and_the_flag_wins() {
    let env = TestEnv::new();
    // Relative to the current directory.
    let out = env
        .cmd(&["init"])
        .env("GEMBA_DIR", "envstate")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", render(&out));
    let state = env.root.join("envstate");
    assert!(state.join("config.yaml").is_file());
    assert!(!env.gemba_dir().exists());

    let out = env
        .cmd(&["bead", "create", "--title", "x"])
        .env("GEMBA_DIR", &state)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", render(&out));
    let id = stdout(&out).trim().to_string();
    assert_eq!(bead_files(&state), vec![format!("{id}.json")]);

    // --gemba-dir beats GEMBA_DIR.
    let other = env.tmp.path().join("other");
    let out = env
        .cmd(&["--gemba-dir", other.to_str().unwrap(), "init"])
        .env("GEMBA_DIR", &state)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", render(&out));
    assert!(other.join("config.yaml").is_file());
    assert_eq!(bead_files(&other), Vec::<String>::new());

    // --gemba-dir also works outside any git repository.
    let plain = env.tmp.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    let out = env
        .cmd_in(&plain, &["bead", "list", "--json"])
        .env("GEMBA_DIR", &state)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", render(&out));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], id.as_str());
}

#[test]
fn config_show_prints_the_defaults() {
    let env = TestEnv::init();
    let shown = env.json(&["config", "show"]);
    let defaults = env.json(&["config", "show", "--defaults"]);
    // The template init writes is exactly the defaults.
    assert_eq!(shown, defaults);
    assert_eq!(
        shown["ids"],
        serde_json::json!({"prefix": "gm", "min_hash_len": 4})
    );
    assert_eq!(shown["git"], serde_json::json!({"auto_commit": false}));
    // Every section of the defaults is written (commented) in config.yaml:
    // one place for every default (an empty map as `key: {}`).
    let config = env.read(".gemba/config.yaml");
    let mut sections: Vec<&str> = config
        .lines()
        .filter_map(|l| l.strip_suffix(':').or_else(|| l.strip_suffix(": {}")))
        .filter(|k| !k.starts_with([' ', '#']))
        .collect();
    sections.sort();
    let keys: Vec<&str> = shown
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(sections, keys);
    // Without --json: the same values as YAML.
    let text = env.ok(&["config", "show"]);
    assert!(
        text.contains("ids:\n  prefix: gm\n  min_hash_len: 4\n"),
        "{text}"
    );
    assert!(text.contains("git:\n  auto_commit: false\n"), "{text}");

    // The effective config follows the file; --defaults does not.
    env.write(".gemba/config.yaml", "ids:\n  prefix: xy\n");
    let effective = env.json(&["config", "show"]);
    assert_eq!(
        effective["ids"],
        serde_json::json!({"prefix": "xy", "min_hash_len": 4})
    );
    let mut rest = effective.clone();
    rest.as_object_mut().unwrap().remove("ids");
    let mut default_rest = defaults.clone();
    default_rest.as_object_mut().unwrap().remove("ids");
    assert_eq!(rest, default_rest);
    assert_eq!(env.json(&["config", "show", "--defaults"]), defaults);
}

#[test]
fn config_typo_is_an_error_with_line_and_column() {
    let env = TestEnv::init();
    let config = env.read(".gemba/config.yaml");
    let line = config
        .lines()
        .position(|l| l == "  min_hash_len: 4")
        .expect("template line")
        + 1;
    env.write(
        ".gemba/config.yaml",
        &config.replace("  min_hash_len: 4", "  min_hash_lenn: 4"),
    );
    for args in [&["config", "show"][..], &["ready"], &["bead", "list"]] {
        let out = env.fails(1, args);
        let err = stderr(&out);
        assert!(
            err.contains(&format!("config.yaml:{line}:3")),
            "{args:?}: {err}"
        );
        assert!(err.contains("min_hash_lenn"), "{args:?}: {err}");
        assert_eq!(stdout(&out), "");
    }
    // A typo at the top level.
    env.write(
        ".gemba/config.yaml",
        "ids:\n  prefix: xy\ngti:\n  auto_commit: true\n",
    );
    let out = env.fails(1, &["config", "show"]);
    assert!(stderr(&out).contains("config.yaml:3:1"), "{}", render(&out));
    assert!(stderr(&out).contains("gti"), "{}", render(&out));
}

#[test]
fn from_a_subdirectory_the_repository_root_is_used() {
    let env = TestEnv::new();
    let sub = env.root.join("a/b");
    std::fs::create_dir_all(&sub).unwrap();
    let out = env.cmd_in(&sub, &["init"]).output().unwrap();
    assert!(out.status.success(), "{}", render(&out));
    assert!(env.gemba_dir().join("config.yaml").is_file());
    assert!(!sub.join(".gemba").exists());
    assert_eq!(env.read(".gitattributes"), GITATTRIBUTES_LINE);
    let out = env
        .cmd_in(&sub, &["bead", "create", "--title", "x"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", render(&out));
    let id = stdout(&out).trim().to_string();
    assert_eq!(bead_files(&env.gemba_dir()), vec![format!("{id}.json")]);
}
