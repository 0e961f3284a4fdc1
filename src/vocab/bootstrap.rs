//! `gemba concepts bootstrap`: propose vocabulary terms from the
//! repository's own structure. Pure: every source is a function of the
//! tracked file list, the root `Cargo.toml` / `package.json` texts (read by
//! the caller) and the beads' labels.
//!
//! Sources, in priority order (the first source to propose a name wins):
//!
//! | source | proposes |
//! |---|---|
//! | `cargo-workspace` | members of `[workspace] members` in the root `Cargo.toml` (globs expanded against tracked `*/Cargo.toml`): the member directory's name |
//! | `cargo-module` | top-level modules of the root crate and of each member: `src/<m>.rs`, `src/<m>/mod.rs` (not `lib`, `main`, `bin`) |
//! | `package-json` | `workspaces` of the root `package.json` (array, or `{packages: [...]}`), expanded against tracked `*/package.json` |
//! | `go-package` | directories holding `.go` files (not the root) |
//! | `python-package` | directories holding `__init__.py` |
//! | `top-level-dir` | directories right under `src/`, `lib/`, `internal/`, `cmd/`, `pkg/`, `app/` |
//! | `bead-label` | labels on beads, most used first; namespaced labels (`gh:788`, `from:alice`) and version labels (`v1.2`) are metadata, not concepts |
//!
//! Names are normalized to lower-case kebab (`TokenStore` stays
//! `tokenstore`, `token_store` becomes `token-store`). Structural names that
//! say nothing about the work (`src`, `tests`, `vendor`, `internal`, ...)
//! and hidden or vendored directories are skipped. Within a source,
//! candidates come in name order (labels: by use, then name), so the
//! result is deterministic.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::vocabulary::normalize_tag;

/// Names that describe layout, not what the work is about.
const STRUCTURAL: &[&str] = &[
    "app",
    "bench",
    "benches",
    "bin",
    "build",
    "cmd",
    "dist",
    "doc",
    "docs",
    "example",
    "examples",
    "fixtures",
    "internal",
    "lib",
    "main",
    "mod",
    "node-modules",
    "out",
    "pkg",
    "pycache",
    "src",
    "target",
    "test",
    "testdata",
    "testing",
    "tests",
    "tmp",
    "vendor",
];

/// Directories whose content is not the project's own.
const SKIPPED_DIRS: &[&str] = &[
    "node_modules",
    "vendor",
    "testdata",
    "target",
    "third_party",
    "__pycache__",
];

/// Top-level directories whose subdirectories name components.
const COMPONENT_ROOTS: &[&str] = &["src", "lib", "internal", "cmd", "pkg", "app"];

/// What bootstrap looks at; the caller reads the files.
#[derive(Debug, Clone, Copy, Default)]
pub struct RepoFacts<'a> {
    /// Tracked paths, repository-relative with `/`.
    pub tracked: &'a [String],
    /// The root `Cargo.toml`, when there is one.
    pub cargo_toml: Option<&'a str>,
    /// The root `package.json`, when there is one.
    pub package_json: Option<&'a str>,
    /// Every bead's labels.
    pub bead_labels: &'a [Vec<String>],
}

/// One proposed term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proposal {
    pub name: String,
    /// `cargo-workspace`, `go-package`, ... (stored as `bootstrap:<source>`).
    pub source: &'static str,
}

/// What bootstrap would add.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// New terms, in source order, at most `max`.
    pub proposals: Vec<Proposal>,
    /// Candidates the vocabulary already has (as a name or alias, retired too).
    pub existing: usize,
    /// New candidates left out by the cap.
    pub over_cap: usize,
}

/// The sources in priority order: `(name, candidates)`.
pub fn sources(facts: &RepoFacts<'_>) -> Vec<(&'static str, Vec<String>)> {
    let workspace = cargo_workspace_dirs(facts);
    vec![
        ("cargo-workspace", names_of_dirs(&workspace)),
        ("cargo-module", cargo_modules(facts, &workspace)),
        ("package-json", names_of_dirs(&package_json_dirs(facts))),
        ("go-package", go_packages(facts.tracked)),
        ("python-package", python_packages(facts.tracked)),
        ("top-level-dir", top_level_dirs(facts.tracked)),
        ("bead-label", bead_labels(facts.bead_labels)),
    ]
}

/// Merge the sources: first source wins on a name, names in `known`
/// (normalized) are skipped, at most `max` new terms.
pub fn plan(facts: &RepoFacts<'_>, known: &BTreeSet<String>, max: usize) -> Plan {
    let mut plan = Plan::default();
    let mut seen = BTreeSet::new();
    for (source, names) in sources(facts) {
        for name in names {
            if !seen.insert(name.clone()) {
                continue;
            }
            if known.contains(&name) {
                plan.existing += 1;
            } else if plan.proposals.len() < max {
                plan.proposals.push(Proposal { name, source });
            } else {
                plan.over_cap += 1;
            }
        }
    }
    plan
}

/// A concept name from a directory or label, or `None` when it names
/// nothing useful: lower-case kebab of ASCII letters, digits and `-`.
pub fn concept_name(raw: &str) -> Option<String> {
    let kebab = normalize_tag(raw);
    let mut out = String::new();
    for c in kebab.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    let useful =
        !out.is_empty() && !out.chars().all(|c| c.is_ascii_digit() || c == '-') && out.len() <= 40;
    useful.then_some(out)
}

fn structural_name(raw: &str) -> Option<String> {
    concept_name(raw).filter(|n| !STRUCTURAL.contains(&n.as_str()))
}

fn last_component(dir: &str) -> &str {
    dir.rsplit('/').next().unwrap_or(dir)
}

/// Sorted, deduplicated concept names of these directories.
fn names_of_dirs(dirs: &[String]) -> Vec<String> {
    let names: BTreeSet<String> = dirs
        .iter()
        .filter_map(|d| structural_name(last_component(d)))
        .collect();
    names.into_iter().collect()
}

/// Whether a path lies in a directory we never look into.
fn skipped(path: &str) -> bool {
    let mut parts: Vec<&str> = path.split('/').collect();
    parts.pop();
    parts
        .iter()
        .any(|p| p.starts_with('.') || SKIPPED_DIRS.contains(p))
}

fn dir_of(path: &str) -> Option<&str> {
    path.rsplit_once('/').map(|(d, _)| d)
}

/// Directories (not the root) that hold a tracked file named `file`.
fn dirs_holding(tracked: &[String], file: &str) -> BTreeSet<String> {
    tracked
        .iter()
        .filter(|p| !skipped(p) && last_component(p) == file)
        .filter_map(|p| dir_of(p))
        .map(String::from)
        .collect()
}

/// Directories matching workspace patterns (`crates/*`, `tools/cli`); `*`
/// stays within one directory, `**` crosses any number.
fn expand(patterns: &[String], candidates: &BTreeSet<String>) -> Vec<String> {
    let matchers: Vec<globset::GlobMatcher> = patterns
        .iter()
        .filter_map(|p| {
            let p = p.trim().trim_start_matches("./").trim_end_matches('/');
            globset::GlobBuilder::new(p)
                .literal_separator(true)
                .build()
                .ok()
        })
        .map(|g| g.compile_matcher())
        .collect();
    candidates
        .iter()
        .filter(|d| matchers.iter().any(|m| m.is_match(d.as_str())))
        .cloned()
        .collect()
}

/// `[workspace] members` of a Cargo.toml: the quoted strings of the
/// `members = [...]` array (which may span lines). A small reader, not a
/// TOML parser: enough for the usual layouts.
pub fn cargo_members(text: &str) -> Vec<String> {
    let mut in_workspace = false;
    let mut collecting = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = strip_toml_comment(line).trim();
        if !collecting && line.starts_with('[') {
            in_workspace = line == "[workspace]";
            continue;
        }
        let rest = if collecting {
            line
        } else if in_workspace
            && let Some(after) = line.strip_prefix("members")
            && let Some(after) = after.trim_start().strip_prefix('=')
        {
            match after.trim_start().strip_prefix('[') {
                Some(r) => {
                    collecting = true;
                    r
                }
                None => continue,
            }
        } else {
            continue;
        };
        let (items, done) = match rest.find(']') {
            Some(i) => (&rest[..i], true),
            None => (rest, false),
        };
        out.extend(quoted_strings(items));
        if done {
            collecting = false;
        }
    }
    out
}

fn strip_toml_comment(line: &str) -> &str {
    let mut in_string = None;
    for (i, c) in line.char_indices() {
        match (c, in_string) {
            ('"' | '\'', None) => in_string = Some(c),
            (q, Some(open)) if q == open => in_string = None,
            ('#', None) => return &line[..i],
            _ => {}
        }
    }
    line
}

fn quoted_strings(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(['"', '\'']) {
        let quote = rest[start..].chars().next().unwrap_or('"');
        let after = &rest[start + 1..];
        match after.find(quote) {
            Some(end) => {
                out.push(after[..end].to_string());
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    out
}

fn cargo_workspace_dirs(facts: &RepoFacts<'_>) -> Vec<String> {
    let Some(text) = facts.cargo_toml else {
        return Vec::new();
    };
    expand(
        &cargo_members(text),
        &dirs_holding(facts.tracked, "Cargo.toml"),
    )
}

fn cargo_modules(facts: &RepoFacts<'_>, members: &[String]) -> Vec<String> {
    let root_crate = facts.tracked.iter().any(|p| p == "Cargo.toml");
    let prefixes: Vec<String> = root_crate
        .then(|| "src/".to_string())
        .into_iter()
        .chain(members.iter().map(|m| format!("{m}/src/")))
        .collect();
    let mut names = BTreeSet::new();
    for path in facts.tracked {
        for prefix in &prefixes {
            let Some(rest) = path.strip_prefix(prefix.as_str()) else {
                continue;
            };
            let module = match rest.split('/').collect::<Vec<_>>().as_slice() {
                [file] => file.strip_suffix(".rs"),
                [dir, "mod.rs"] => Some(*dir),
                _ => None,
            };
            if let Some(name) = module
                .filter(|m| !["lib", "main", "mod", "bin"].contains(m))
                .and_then(structural_name)
            {
                names.insert(name);
            }
        }
    }
    names.into_iter().collect()
}

/// `workspaces` of a package.json: an array of patterns or
/// `{"packages": [...]}`. Malformed JSON proposes nothing.
pub fn package_workspaces(text: &str) -> Vec<String> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    let list = match &value["workspaces"] {
        serde_json::Value::Array(a) => a.clone(),
        serde_json::Value::Object(o) => o
            .get("packages")
            .and_then(|p| p.as_array())
            .cloned()
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    list.iter()
        .filter_map(|v| v.as_str().map(String::from))
        .collect()
}

fn package_json_dirs(facts: &RepoFacts<'_>) -> Vec<String> {
    let Some(text) = facts.package_json else {
        return Vec::new();
    };
    expand(
        &package_workspaces(text),
        &dirs_holding(facts.tracked, "package.json"),
    )
}

fn go_packages(tracked: &[String]) -> Vec<String> {
    let dirs: Vec<String> = tracked
        .iter()
        .filter(|p| p.ends_with(".go") && !skipped(p))
        .filter_map(|p| dir_of(p))
        .map(String::from)
        .collect();
    names_of_dirs(&dirs)
}

fn python_packages(tracked: &[String]) -> Vec<String> {
    names_of_dirs(
        &dirs_holding(tracked, "__init__.py")
            .into_iter()
            .collect::<Vec<_>>(),
    )
}

fn top_level_dirs(tracked: &[String]) -> Vec<String> {
    let dirs: Vec<String> = tracked
        .iter()
        .filter(|p| !skipped(p))
        .filter_map(|p| {
            let mut parts = p.split('/');
            let (root, dir, _rest) = (parts.next()?, parts.next()?, parts.next()?);
            COMPONENT_ROOTS.contains(&root).then(|| dir.to_string())
        })
        .collect();
    names_of_dirs(&dirs)
}

/// Labels by number of beads carrying them (then by name).
fn bead_labels(labels: &[Vec<String>]) -> Vec<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for bead in labels {
        let names: BTreeSet<String> = bead
            .iter()
            .filter(|l| is_concept_label(l))
            .filter_map(|l| concept_name(l))
            .collect();
        for name in names {
            *counts.entry(name).or_default() += 1;
        }
    }
    let mut ranked: Vec<(String, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.into_iter().map(|(n, _)| n).collect()
}

/// `gh:788`, `from:alice`, `v0.30.4` are bookkeeping, not concepts.
fn is_concept_label(label: &str) -> bool {
    let l = label.trim();
    let version = l.strip_prefix(['v', 'V']).unwrap_or(l);
    let is_version = version.starts_with(|c: char| c.is_ascii_digit())
        && version.chars().all(|c| c.is_ascii_digit() || c == '.');
    !l.contains(':') && !is_version
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn paths(list: &[&str]) -> Vec<String> {
        list.iter().map(|p| p.to_string()).collect()
    }

    fn by_source(facts: &RepoFacts<'_>) -> BTreeMap<&'static str, Vec<String>> {
        sources(facts).into_iter().collect()
    }

    #[test]
    fn concept_names() {
        for (raw, want) in [
            ("auth", Some("auth")),
            ("Token_Store", Some("token-store")),
            ("React Query", Some("react-query")),
            ("area.auth", Some("area-auth")),
            ("--x--", Some("x")),
            ("123", None),
            ("v-2", Some("v-2")),
            ("", None),
            ("日本", None),
        ] {
            assert_eq!(concept_name(raw).as_deref(), want, "{raw:?}");
        }
    }

    #[test]
    fn cargo_members_reader() {
        for (text, want) in [
            (
                "[workspace]\nmembers = [\"crates/*\", \"tools/cli\"]\n",
                vec!["crates/*", "tools/cli"],
            ),
            (
                "[workspace]\nmembers = [\n  \"a\", # first\n  'b',\n]\nexclude = [\"c\"]\n",
                vec!["a", "b"],
            ),
            ("[package]\nname = \"x\"\nmembers = [\"no\"]\n", vec![]),
            (
                "[workspace]\nresolver = \"2\"\n[workspace.dependencies]\nmembers = [\"no\"]\n",
                vec![],
            ),
            ("[workspace] # comment\nmembers=[\"a\"]\n", vec!["a"]),
        ] {
            assert_eq!(cargo_members(text), want, "{text}");
        }
    }

    #[test]
    fn package_workspaces_reader() {
        assert_eq!(
            package_workspaces(r#"{"workspaces": ["packages/*"]}"#),
            ["packages/*"]
        );
        assert_eq!(
            package_workspaces(r#"{"workspaces": {"packages": ["apps/web"]}}"#),
            ["apps/web"]
        );
        assert!(package_workspaces("{not json").is_empty());
        assert!(package_workspaces(r#"{"name": "x"}"#).is_empty());
    }

    #[test]
    fn each_source() {
        let tracked = paths(&[
            "Cargo.toml",
            "src/main.rs",
            "src/lib.rs",
            "src/store.rs",
            "src/plan/mod.rs",
            "src/plan/deps.rs",
            "src/cli/mod.rs",
            "src/bin/tool.rs",
            "crates/token_store/Cargo.toml",
            "crates/token_store/src/lib.rs",
            "crates/token_store/src/cache.rs",
            "crates/nocargo/README.md",
            "tools/cli/Cargo.toml",
            "packages/web-ui/package.json",
            "packages/shared/package.json",
            "packages/notlisted.txt",
            "package.json",
            "go/auth/login.go",
            "main.go",
            "vendor/x/y.go",
            "cmd/server/main.go",
            "py/billing/__init__.py",
            "py/billing/tests/__init__.py",
            ".github/hooks/__init__.py",
            "internal/queue/q.go",
            "lib/render/x.js",
            "lib/top.js",
            "app/settings/a.py",
        ]);
        let cargo = "[workspace]\nmembers = [\"crates/*\", \"tools/cli\"]\n";
        let package = r#"{"workspaces": ["packages/*"]}"#;
        let labels = vec![
            vec!["backend".to_string(), "gh:12".into(), "v1.2.3".into()],
            vec!["Auth".to_string(), "backend".into()],
        ];
        let facts = RepoFacts {
            tracked: &tracked,
            cargo_toml: Some(cargo),
            package_json: Some(package),
            bead_labels: &labels,
        };
        let got: BTreeMap<&str, Vec<String>> = by_source(&facts);
        let want: BTreeMap<&str, Vec<&str>> = [
            ("cargo-workspace", vec!["cli", "token-store"]),
            // `lib`, `main` and `src/bin` are not modules.
            ("cargo-module", vec!["cache", "cli", "plan", "store"]),
            ("package-json", vec!["shared", "web-ui"]),
            // Not the root package, not vendored code.
            ("go-package", vec!["auth", "queue", "server"]),
            // `tests` is structural, `.github` hidden.
            ("python-package", vec!["billing"]),
            // `src/bin` is structural; `py/` is not a component root.
            (
                "top-level-dir",
                vec!["cli", "plan", "queue", "render", "server", "settings"],
            ),
            // Most used first; `gh:12` and `v1.2.3` are bookkeeping.
            ("bead-label", vec!["backend", "auth"]),
        ]
        .into();
        let got: BTreeMap<&str, Vec<&str>> = got
            .iter()
            .map(|(k, v)| (*k, v.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn first_source_wins_known_skipped_and_cap() {
        let tracked = paths(&[
            "Cargo.toml",
            "src/cli.rs",
            "src/auth.rs",
            "src/cli/x.rs",
            "src/zeta/y.rs",
        ]);
        let labels = vec![vec!["cli".to_string(), "ops".into()]];
        let facts = RepoFacts {
            tracked: &tracked,
            bead_labels: &labels,
            ..Default::default()
        };
        let known: BTreeSet<String> = ["auth".to_string()].into();
        let p = plan(&facts, &known, 60);
        let got: Vec<(&str, &str)> = p
            .proposals
            .iter()
            .map(|p| (p.name.as_str(), p.source))
            .collect();
        assert_eq!(
            got,
            [
                ("cli", "cargo-module"),
                ("zeta", "top-level-dir"),
                ("ops", "bead-label")
            ]
        );
        assert_eq!(p.existing, 1);
        assert_eq!(p.over_cap, 0);
        let capped = plan(&facts, &known, 2);
        assert_eq!(capped.proposals.len(), 2);
        assert_eq!(capped.over_cap, 1);
        assert_eq!(plan(&facts, &known, 0).proposals, []);
    }

    #[test]
    fn no_manifests_no_workspace_terms() {
        let tracked = paths(&[
            "crates/a/Cargo.toml",
            "crates/a/src/x.rs",
            "packages/b/package.json",
        ]);
        let facts = RepoFacts {
            tracked: &tracked,
            ..Default::default()
        };
        let got = by_source(&facts);
        assert!(got["cargo-workspace"].is_empty());
        assert!(got["cargo-module"].is_empty());
        assert!(got["package-json"].is_empty());
    }

    proptest! {
        #[test]
        fn plan_is_deterministic_unique_and_capped(
            files in proptest::collection::vec("(src|lib|go|py|cmd)/[a-c_]{1,4}/[a-z]{1,3}\\.(rs|go|py)", 0..40),
            labels in proptest::collection::vec(proptest::collection::vec("[a-dA-D_ :]{1,6}", 0..3), 0..10),
            max in 0usize..20,
        ) {
            let facts = RepoFacts { tracked: &files, bead_labels: &labels, ..Default::default() };
            let a = plan(&facts, &BTreeSet::new(), max);
            let b = plan(&facts, &BTreeSet::new(), max);
            prop_assert_eq!(&a, &b);
            prop_assert!(a.proposals.len() <= max);
            let names: BTreeSet<&str> = a.proposals.iter().map(|p| p.name.as_str()).collect();
            prop_assert_eq!(names.len(), a.proposals.len());
            for p in &a.proposals {
                let again = concept_name(&p.name);
                prop_assert_eq!(again.as_deref(), Some(p.name.as_str()));
            }
        }
    }
}
