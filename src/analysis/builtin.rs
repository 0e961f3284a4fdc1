//! The built-in backend's build: scan the tracked source files (parsing
//! only those whose content changed since the last build), resolve every
//! file's imports against the whole tree, store the graph.

use std::path::Path;

use super::index::{self, Meta};
use super::lang::Parsed;
use super::resolve::Tree;
use super::{Backend, BuildReport, Error, ImportGraph, Progress};

/// Nodes (sorted paths) and edges (node indices) of the files `sources`
/// (indices into `files`, with their parsed imports) import; and how many
/// imports named no file.
pub(super) fn resolve_all(files: &[String], sources: &[(u32, &Parsed)]) -> (ImportGraph, usize) {
    let manifests: Vec<(u32, &Parsed)> = sources
        .iter()
        .filter(|(_, p)| matches!(p, Parsed::GoMod(_) | Parsed::Cargo(_)))
        .copied()
        .collect();
    let tree = Tree::new(files, &manifests);
    let mut edges = Vec::new();
    let mut targets = Vec::new();
    let mut unresolved = 0;
    for &(f, parsed) in sources {
        targets.clear();
        unresolved += tree.resolve(f, parsed, &mut targets);
        edges.extend(targets.iter().map(|&t| (f, t)));
    }
    // Nodes: every source file and every target, in `files` order (sorted).
    let mut used = vec![false; files.len()];
    for &(f, _) in sources {
        used[f as usize] = true;
    }
    for &(_, t) in &edges {
        used[t as usize] = true;
    }
    let mut remap = vec![u32::MAX; files.len()];
    let mut nodes = Vec::new();
    for (i, path) in files.iter().enumerate() {
        if used[i] {
            remap[i] = nodes.len() as u32;
            nodes.push(path.clone());
        }
    }
    let edges = edges
        .into_iter()
        .map(|(a, b)| (remap[a as usize], remap[b as usize]));
    let graph = ImportGraph::with_nodes(nodes, edges).expect("nodes from sorted tracked files");
    (graph, unresolved)
}

/// Resolve the parsed files of `scan` against the tracked `files` that are
/// in the worktree.
fn resolve_present(files: &[String], scan: &index::Scan) -> (ImportGraph, usize) {
    // Resolve against the files in the worktree: an indexed file that is
    // tracked but deleted names nothing.
    let gone: std::collections::HashSet<&str> = scan
        .files
        .iter()
        .filter(|f| f.stamp.is_none())
        .map(|f| f.path.as_str())
        .collect();
    let present: Vec<String> = files
        .iter()
        .filter(|p| !gone.contains(p.as_str()))
        .cloned()
        .collect();
    let at = |path: &str| {
        present
            .binary_search_by(|p| p.as_str().cmp(path))
            .expect("present files are sorted") as u32
    };
    let sources: Vec<(u32, &Parsed)> = scan
        .files
        .iter()
        .zip(&scan.parsed)
        .filter_map(|(f, parsed)| {
            let parsed = parsed.as_ref()?;
            Some((at(&f.path), parsed))
        })
        .collect();
    resolve_all(&present, &sources)
}

pub(super) fn build(
    worktree: &Path,
    path: &Path,
    progress: &dyn Progress,
) -> Result<BuildReport, Error> {
    let scanned_ns = crate::store::index::now_ns();
    let now = crate::git::worktree_files(worktree)?;
    let old = index::read(path, true)
        .ok()
        .flatten()
        .filter(|(meta, _)| meta.backend == Backend::Builtin);
    let old_ref = old
        .as_ref()
        .and_then(|(meta, parsed)| Some((meta, parsed.as_deref()?)));
    let paths: Vec<&str> = now
        .files
        .iter()
        .map(String::as_str)
        .filter(|p| index::indexes(Backend::Builtin, p))
        .collect();
    let scan = index::scan(worktree, &paths, old_ref, true, progress)?;

    let tracked = index::tracked_digest(&now.files);
    // Nothing changed but (maybe) HEAD: the graph is what it was.
    let kept = old_ref
        .filter(|(old, _)| !scan.changed && old.tracked == tracked)
        .map(|(old, _)| {
            let graph = ImportGraph::with_nodes(old.nodes.clone(), old.edges.iter().copied());
            graph.map(|g| (g, old.unresolved as usize))
        })
        .and_then(Result::ok);
    let (graph, unresolved) = match kept {
        Some(kept) => kept,
        None => resolve_present(&now.files, &scan),
    };
    let meta = Meta {
        backend: Backend::Builtin,
        command: Vec::new(),
        commit: now.head.clone(),
        head: now.head.clone(),
        source_tree: now.source_tree.clone(),
        scanned_ns,
        files: scan.files,
        nodes: graph.nodes().to_vec(),
        edges: graph.edge_indices(),
        unresolved: unresolved as u64,
        tracked,
    };
    let changed = scan.changed
        || old_ref.is_none_or(|(old, _)| {
            old.commit != meta.commit
                || old.tracked != meta.tracked
                || old.nodes != meta.nodes
                || old.edges != meta.edges
        });
    if changed {
        index::write(path, &index::encode(&meta, &scan.parsed))?;
    }
    let mut languages = std::collections::BTreeMap::new();
    for f in meta.files.iter().filter(|f| f.stamp.is_some()) {
        if let Some(lang) = super::lang::Lang::of(&f.path) {
            *languages.entry(lang.name().to_string()).or_insert(0) += 1;
        }
    }
    Ok(BuildReport {
        backend: Backend::Builtin,
        command: Vec::new(),
        commit: meta.commit,
        head: now.head,
        files: meta.files.len() - scan.missing,
        parsed: scan.parsed_count,
        reused: scan.reused,
        missing: scan.missing,
        edges: graph.edge_count(),
        unresolved,
        languages,
        written: changed,
        warnings: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::lang::{Lang, parse};

    /// Resolve a whole tree of `(path, source)` files: its edges.
    fn edges(tree: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut files: Vec<String> = tree.iter().map(|(p, _)| p.to_string()).collect();
        files.sort();
        let parsed: Vec<(u32, Parsed)> = files
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let src = tree.iter().find(|(q, _)| q == p).unwrap().1;
                Some((i as u32, parse(Lang::of(p)?, src.as_bytes())))
            })
            .collect();
        let sources: Vec<(u32, &Parsed)> = parsed.iter().map(|(i, p)| (*i, p)).collect();
        let (graph, _) = resolve_all(&files, &sources);
        graph
            .edges()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    fn has(edges: &[(String, String)], from: &str, to: &str) -> bool {
        edges.iter().any(|(a, b)| a == from && b == to)
    }

    /// `(tree, expected edges, edges that must not be there)`.
    type Case<'a> = (
        &'a [(&'a str, &'a str)],
        &'a [(&'a str, &'a str)],
        &'a [(&'a str, &'a str)],
    );

    fn check(name: &str, (tree, want, not): Case<'_>) {
        let got = edges(tree);
        for (a, b) in want {
            assert!(has(&got, a, b), "{name}: missing {a} -> {b}; got {got:?}");
        }
        for (a, b) in not {
            assert!(
                !has(&got, a, b),
                "{name}: unexpected {a} -> {b}; got {got:?}"
            );
        }
    }

    #[test]
    fn rust_resolution() {
        let cargo = "[package]\nname = \"app\"\n";
        check(
            "mod and use crate",
            (
                &[
                    ("Cargo.toml", cargo),
                    ("src/lib.rs", "pub mod store;\nmod util;\n"),
                    (
                        "src/store/mod.rs",
                        "pub mod index;\nuse crate::util::helper;\n",
                    ),
                    (
                        "src/store/index.rs",
                        "use super::Thing;\nuse crate::util;\n",
                    ),
                    (
                        "src/util.rs",
                        "use crate::store::index::load;\nuse crate::Missing;\n",
                    ),
                ],
                &[
                    ("src/lib.rs", "src/store/mod.rs"),
                    ("src/lib.rs", "src/util.rs"),
                    ("src/store/mod.rs", "src/store/index.rs"),
                    ("src/store/mod.rs", "src/util.rs"),
                    ("src/store/index.rs", "src/store/mod.rs"),
                    ("src/store/index.rs", "src/util.rs"),
                    ("src/util.rs", "src/store/index.rs"),
                    // An item of the crate root: the root file.
                    ("src/util.rs", "src/lib.rs"),
                ],
                &[],
            ),
        );
        check(
            "inline test modules, self, child modules without crate::",
            (
                &[
                    ("Cargo.toml", cargo),
                    (
                        "src/main.rs",
                        "mod a;\nuse a::run;\nfn main() { self::a::run(); }\n",
                    ),
                    (
                        "src/a.rs",
                        "mod b;\nuse self::b::X;\n#[cfg(test)]\nmod tests {\n    use super::*;\n    use super::super::a;\n}\n",
                    ),
                    ("src/a/b.rs", "use super::super::a::thing;\n"),
                ],
                &[
                    ("src/main.rs", "src/a.rs"),
                    ("src/a.rs", "src/a/b.rs"),
                    ("src/a/b.rs", "src/a.rs"),
                ],
                &[("src/a.rs", "src/main.rs")],
            ),
        );
        check(
            "workspace crates, bins, tests and std",
            (
                &[
                    ("Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n"),
                    (
                        "crates/core-lib/Cargo.toml",
                        "[package]\nname = \"core-lib\"\n",
                    ),
                    ("crates/core-lib/src/lib.rs", "pub mod model;\n"),
                    (
                        "crates/core-lib/src/model.rs",
                        "use std::fmt;\nuse serde::Serialize;\n",
                    ),
                    (
                        "crates/cli/Cargo.toml",
                        "[package]\nname = \"cli\"\n[[test]]\nname = \"it\"\npath = \"tests/it/main.rs\"\n",
                    ),
                    (
                        "crates/cli/src/main.rs",
                        "use core_lib::model::Bead;\nuse ::core_lib::Other;\n",
                    ),
                    ("crates/cli/src/bin/tool.rs", "mod helper;\n"),
                    ("crates/cli/src/bin/helper.rs", ""),
                    ("crates/cli/tests/it/main.rs", "mod common;\n"),
                    ("crates/cli/tests/it/common/mod.rs", "use cli_missing::x;\n"),
                ],
                &[
                    ("crates/cli/src/main.rs", "crates/core-lib/src/model.rs"),
                    ("crates/cli/src/main.rs", "crates/core-lib/src/lib.rs"),
                    ("crates/cli/src/bin/tool.rs", "crates/cli/src/bin/helper.rs"),
                    (
                        "crates/cli/tests/it/main.rs",
                        "crates/cli/tests/it/common/mod.rs",
                    ),
                ],
                &[],
            ),
        );
        let got = edges(&[
            ("Cargo.toml", cargo),
            ("src/lib.rs", "mod gone;\nuse std::io;\n"),
        ]);
        assert!(got.is_empty(), "{got:?}");
    }

    #[test]
    fn go_resolution() {
        check(
            "module imports are package directories",
            (
                &[
                    ("go.mod", "module example.com/app\n\ngo 1.22\n"),
                    (
                        "main.go",
                        "package main\nimport (\n\t\"fmt\"\n\t\"example.com/app/internal/db\"\n)\n",
                    ),
                    (
                        "internal/db/db.go",
                        "package db\nimport \"example.com/app/internal/model\"\n",
                    ),
                    ("internal/db/conn.go", "package db\n"),
                    ("internal/db/db_test.go", "package db\nimport \"testing\"\n"),
                    ("internal/model/model.go", "package model\n"),
                    ("tools/go.mod", "module example.com/app/tools\n"),
                    (
                        "tools/gen/gen.go",
                        "package gen\nimport \"example.com/app/internal/db\"\n",
                    ),
                    (
                        "tools/main.go",
                        "package main\nimport \"example.com/app/tools/gen\"\n",
                    ),
                ],
                &[
                    ("main.go", "internal/db/db.go"),
                    ("main.go", "internal/db/conn.go"),
                    ("internal/db/db.go", "internal/model/model.go"),
                    ("tools/gen/gen.go", "internal/db/db.go"),
                    ("tools/main.go", "tools/gen/gen.go"),
                ],
                &[("main.go", "internal/db/db_test.go")],
            ),
        );
    }

    #[test]
    fn python_resolution() {
        check(
            "absolute, from, relative, src layout",
            (
                &[
                    ("app/__init__.py", ""),
                    (
                        "app/main.py",
                        "import app.models\nfrom app import util\nfrom app.models import User\nimport os, sys\n",
                    ),
                    (
                        "app/models/__init__.py",
                        "from .user import User\nfrom . import base\n",
                    ),
                    (
                        "app/models/user.py",
                        "from ..util import helper\nfrom .base import Base\n",
                    ),
                    ("app/models/base.py", ""),
                    ("app/util.py", "import app.models.user as u\n"),
                    (
                        "scripts/run.py",
                        "import helpers\nfrom app.main import main\n",
                    ),
                    ("scripts/helpers.py", ""),
                    ("src/lib_pkg/__init__.py", ""),
                    ("src/lib_pkg/core.py", "from lib_pkg import extra\n"),
                    ("src/lib_pkg/extra.py", ""),
                    ("tests/test_core.py", "from lib_pkg.core import thing\n"),
                ],
                &[
                    ("app/main.py", "app/models/__init__.py"),
                    ("app/main.py", "app/util.py"),
                    ("app/models/__init__.py", "app/models/user.py"),
                    ("app/models/__init__.py", "app/models/base.py"),
                    ("app/models/user.py", "app/util.py"),
                    ("app/models/user.py", "app/models/base.py"),
                    ("app/util.py", "app/models/user.py"),
                    ("scripts/run.py", "scripts/helpers.py"),
                    ("scripts/run.py", "app/main.py"),
                    ("src/lib_pkg/core.py", "src/lib_pkg/extra.py"),
                    ("tests/test_core.py", "src/lib_pkg/core.py"),
                ],
                &[],
            ),
        );
    }

    #[test]
    fn js_resolution() {
        check(
            "extensions, index files, TS twins, packages ignored",
            (
                &[
                    (
                        "web/src/app.tsx",
                        "import { Button } from './components';\nimport util from '../lib/util.js';\nimport React from 'react';\nimport './styles.css';\n",
                    ),
                    ("web/src/components/index.ts", "export * from './button'\n"),
                    (
                        "web/src/components/button.tsx",
                        "import type { T } from '../types'\n",
                    ),
                    ("web/src/types.d.ts", ""),
                    ("web/src/styles.css", ""),
                    ("web/lib/util.ts", "const x = require('./data.json');\n"),
                    ("web/lib/data.json", "{}"),
                    ("web/server.cjs", "const app = require('./src/app');\n"),
                ],
                &[
                    ("web/src/app.tsx", "web/src/components/index.ts"),
                    ("web/src/app.tsx", "web/lib/util.ts"),
                    ("web/src/app.tsx", "web/src/styles.css"),
                    (
                        "web/src/components/index.ts",
                        "web/src/components/button.tsx",
                    ),
                    ("web/src/components/button.tsx", "web/src/types.d.ts"),
                    ("web/lib/util.ts", "web/lib/data.json"),
                    ("web/server.cjs", "web/src/app.tsx"),
                ],
                &[],
            ),
        );
    }

    #[test]
    fn unresolved_local_imports_are_counted() {
        let files: Vec<String> = ["Cargo.toml", "a.py", "b.js", "c.go", "go.mod", "src/lib.rs"]
            .map(String::from)
            .to_vec();
        let sources = [
            (0, Parsed::Cargo(Default::default())),
            (
                1,
                Parsed::Python(crate::analysis::lang::python::parse(
                    "from .gone import x\nimport os\n",
                )),
            ),
            (2, Parsed::Js(vec!["./gone".into()])),
            (
                3,
                Parsed::Go(vec!["example.com/m/gone".into(), "fmt".into()]),
            ),
            (4, Parsed::GoMod(Some("example.com/m".into()))),
            (
                5,
                Parsed::Rust(crate::analysis::lang::rust::parse(
                    "mod gone;\nuse std::io;\n",
                )),
            ),
        ];
        let refs: Vec<(u32, &Parsed)> = sources.iter().map(|(i, p)| (*i, p)).collect();
        let (graph, unresolved) = resolve_all(&files, &refs);
        assert_eq!(unresolved, 4);
        assert_eq!(graph.edge_count(), 0);
    }
}
