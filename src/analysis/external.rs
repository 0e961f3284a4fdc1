//! The external backend: an analysis tool of your choice (a code-graph
//! indexer, a language server dump, a script) behind a small contract.
//!
//! `gemba index build` runs `analysis.command` (an argv: no shell, so
//! quote nothing) with the repository root (the main worktree) as its
//! working directory and stdin closed. It must exit 0 and print one JSON
//! object on stdout:
//!
//! ```json
//! {"commit": "<the commit it analysed>",
//!  "edges": [{"from": "src/a.rs", "to": "src/b.rs"}]}
//! ```
//!
//! - `commit`: the commit id (hex, full or at least 7 digits) of the tree
//!   the tool analysed. When it is not HEAD the index is stale.
//! - `edges`: `from` depends on (imports, calls into) `to`. Paths are
//!   repository-relative with `/` (a leading `./` is dropped; absolute
//!   paths and `..` are refused). Order and duplicates do not matter.
//! - Other fields are ignored, so a tool may print more.
//!
//! A non-zero exit, output that is not such an object, or a bad path fails
//! the build with an error naming the command; the previous index is left
//! as it was. The edges are stored with the stamps of every tracked file
//! outside `.gemba/`, so editing any of them makes the index stale, as
//! does a new HEAD.

use std::path::Path;

use serde::Deserialize;

use super::index::{self, Meta};
use super::{Backend, BuildReport, Error, ImportGraph, Progress};

/// The external command failed or broke the contract.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("cannot run the analysis command `{command}`: {message}")]
    Spawn { command: String, message: String },
    #[error("the analysis command `{command}` failed ({status}){}", crate::process::stderr_suffix(.stderr))]
    Failed {
        command: String,
        status: String,
        stderr: String,
    },
    #[error("the analysis command `{command}` printed {message}")]
    Output { command: String, message: String },
}

/// The command as a person would type it, for messages.
pub fn display(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if !a.is_empty()
                && a.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Debug, Deserialize)]
struct RawOutput {
    commit: String,
    edges: Vec<RawEdge>,
}

#[derive(Debug, Deserialize)]
struct RawEdge {
    from: String,
    to: String,
}

/// What the command said, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub commit: String,
    pub edges: Vec<(String, String)>,
}

/// A path of the contract, normalized: `None` when it is not a
/// repository-relative `/` path.
fn repo_relative(path: &str) -> Option<String> {
    let path = path.strip_prefix("./").unwrap_or(path);
    let ok = !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.contains('\0')
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..");
    ok.then(|| path.to_string())
}

/// Check the command's stdout against the contract. Pure.
pub fn parse_output(command: &str, stdout: &[u8]) -> Result<Output, CommandError> {
    let bad = |message: String| CommandError::Output {
        command: command.to_string(),
        message,
    };
    let raw: RawOutput =
        crate::process::json_output(stdout, "{\"commit\": ..., \"edges\": [...]}").map_err(bad)?;
    let commit = raw.commit.trim().to_ascii_lowercase();
    if !(7..=64).contains(&commit.len()) || !commit.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad(format!(
            "\"commit\": {:?}, expected a commit id (7 to 64 hex digits)",
            raw.commit
        )));
    }
    let mut edges = Vec::with_capacity(raw.edges.len());
    for (i, edge) in raw.edges.into_iter().enumerate() {
        let check = |field: &str, path: &str| {
            repo_relative(path).ok_or_else(|| {
                bad(format!(
                    "an invalid path in edges[{i}].{field}: {path:?} (expected a repository-relative path with /, no ..)"
                ))
            })
        };
        edges.push((check("from", &edge.from)?, check("to", &edge.to)?));
    }
    Ok(Output { commit, edges })
}

/// At most this much of the command's stderr goes into an error.
const STDERR_SHOWN: usize = 600;

/// Run the command in `worktree`; its stdout. No timeout: Ctrl-C stops it.
fn run(worktree: &Path, argv: &[String]) -> Result<Vec<u8>, CommandError> {
    let command = display(argv);
    let spawn = |message: String| CommandError::Spawn {
        command: command.clone(),
        message,
    };
    if argv.is_empty() {
        return Err(spawn("analysis.command is empty".into()));
    }
    let ran = crate::process::run(argv, worktree, Default::default())
        .map_err(|e| spawn(e.to_string()))?;
    if !ran.status.success() {
        return Err(CommandError::Failed {
            status: ran.status_text(),
            stderr: ran.stderr_head(STDERR_SHOWN),
            command,
        });
    }
    Ok(ran.stdout)
}

pub(super) fn build(
    worktree: &Path,
    path: &Path,
    argv: &[String],
    progress: &dyn Progress,
) -> Result<BuildReport, Error> {
    let scanned_ns = crate::store::index::now_ns();
    let now = crate::git::worktree_files(worktree)?;
    // Stamp the files before the command runs: an edit while it runs shows
    // as a change.
    let old = index::read(path, false)
        .ok()
        .flatten()
        .filter(|(meta, _)| meta.backend == Backend::External);
    let paths: Vec<&str> = now
        .files
        .iter()
        .map(String::as_str)
        .filter(|p| index::indexes(Backend::External, p))
        .collect();
    let no_parsed = vec![None; old.as_ref().map_or(0, |(m, _)| m.files.len())];
    let old_ref = old.as_ref().map(|(meta, _)| (meta, no_parsed.as_slice()));
    let scan = index::scan(worktree, &paths, old_ref, false, progress)?;

    let stdout = run(worktree, argv)?;
    let output = parse_output(&display(argv), &stdout)?;
    let graph = ImportGraph::from_edges(output.edges);
    let mut warnings = Vec::new();
    if !index::same_commit(Some(&output.commit), now.head.as_deref()) {
        warnings.push(format!(
            "the analysis command reported commit {}, and HEAD is {}: the index stays stale until they agree",
            index::short(Some(&output.commit)),
            index::short(now.head.as_deref())
        ));
    }
    // The sources the command saw are HEAD's only if it indexed HEAD.
    let source_tree = index::same_commit(Some(&output.commit), now.head.as_deref())
        .then(|| now.source_tree.clone())
        .flatten();
    let meta = Meta {
        backend: Backend::External,
        command: argv.to_vec(),
        commit: Some(output.commit),
        head: now.head.clone(),
        source_tree,
        scanned_ns,
        files: scan.files,
        nodes: graph.nodes().to_vec(),
        edges: graph.edge_indices(),
        unresolved: 0,
        tracked: index::tracked_digest(&now.files),
    };
    let parsed = vec![None; meta.files.len()];
    index::write(path, &index::encode(&meta, &parsed))?;
    Ok(BuildReport {
        backend: Backend::External,
        command: argv.to_vec(),
        commit: meta.commit,
        head: now.head,
        files: meta.files.len() - scan.missing,
        parsed: scan.parsed_count,
        reused: scan.reused,
        missing: scan.missing,
        edges: graph.edge_count(),
        unresolved: 0,
        languages: Default::default(),
        written: true,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_contract() {
        let ok = parse_output(
            "tool",
            br#"{"commit": "ABCDEF1234", "edges": [{"from": "./src/a.rs", "to": "src/b.rs"}], "tool": "x"}"#,
        )
        .unwrap();
        assert_eq!(ok.commit, "abcdef1234");
        assert_eq!(ok.edges, [("src/a.rs".to_string(), "src/b.rs".to_string())]);
        let table: &[(&[u8], &str)] = &[
            (
                b"",
                "the analysis command `tool` printed nothing; expected {\"commit\": ..., \"edges\": [...]}",
            ),
            (
                b"not json",
                "the analysis command `tool` printed invalid JSON (line 1, column 2): expected ident",
            ),
            (
                br#"{"edges": []}"#,
                "the analysis command `tool` printed invalid JSON (line 1, column 13): missing field `commit`",
            ),
            (
                br#"{"commit": "HEAD", "edges": []}"#,
                "the analysis command `tool` printed \"commit\": \"HEAD\", expected a commit id (7 to 64 hex digits)",
            ),
            (
                br#"{"commit": "abcdef1", "edges": [{"from": "a", "to": "../b"}]}"#,
                "the analysis command `tool` printed an invalid path in edges[0].to: \"../b\" (expected a repository-relative path with /, no ..)",
            ),
            (
                br#"{"commit": "abcdef1", "edges": [{"from": "/etc/x", "to": "b"}]}"#,
                "the analysis command `tool` printed an invalid path in edges[0].from: \"/etc/x\" (expected a repository-relative path with /, no ..)",
            ),
            (
                br#"{"commit": "abcdef1", "edges": [{"from": "a//b", "to": "b"}]}"#,
                "the analysis command `tool` printed an invalid path in edges[0].from: \"a//b\" (expected a repository-relative path with /, no ..)",
            ),
        ];
        for (stdout, want) in table {
            assert_eq!(
                parse_output("tool", stdout).unwrap_err().to_string(),
                *want,
                "{}",
                String::from_utf8_lossy(stdout)
            );
        }
    }

    #[test]
    fn commands_are_shown_as_typed() {
        let argv = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            display(&argv(&["tool", "--json", "-o=x"])),
            "tool --json -o=x"
        );
        assert_eq!(
            display(&argv(&["my tool", "it's", ""])),
            "'my tool' 'it'\\''s' ''"
        );
    }

    #[test]
    fn failures_name_the_command() {
        let dir = tempfile::tempdir().unwrap();
        let argv = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let err = run(dir.path(), &argv(&["gemba-no-such-tool-x"])).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot run the analysis command `gemba-no-such-tool-x`: "),
            "{err}"
        );
        let err = run(dir.path(), &argv(&["sh", "-c", "echo broken >&2; exit 3"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the analysis command `sh -c 'echo broken >&2; exit 3'` failed (exit status 3): broken"
        );
        let out = run(dir.path(), &argv(&["sh", "-c", "pwd"])).unwrap();
        assert_eq!(
            Path::new(String::from_utf8(out).unwrap().trim())
                .canonicalize()
                .unwrap(),
            dir.path().canonicalize().unwrap()
        );
    }
}
