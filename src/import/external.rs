//! Reading other projects' trackers for bd's cross-project dependencies
//! (`external:<project>:<capability>`; what bd does is written down in
//! [`crate::plan::external`], which decides the edges without I/O).
//!
//! A project's path comes from `external_projects` in the config, relative
//! to the repository root (the directory holding `.gemba/`) unless
//! absolute, as bd resolves it from the parent of `.beads/`. Its tracker is
//! its `.gemba/beads/` when that directory exists, else bd's
//! `.beads/issues.jsonl` export (split with the bd importer's parser),
//! else unreadable. Only closed beads labelled `provides:<capability>`
//! count; tombstones (`deleted_at`) never do. Each configured project is
//! read at most once per call, and only when an edge of a bead that is
//! neither closed nor pinned needs it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::model::{BeadHead, Config};
use crate::plan::external::{self, Externals};
use crate::store;

/// What the configured projects provide for the external edges of `beads`
/// that can still block (beads neither closed nor pinned, blocking types).
pub fn resolve(config: &Config, repo_root: &Path, beads: &[BeadHead]) -> Externals {
    resolve_projects(config, repo_root, needed_projects(config, beads))
}

/// What `projects` (configured ones) provide.
pub fn resolve_projects<'a>(
    config: &Config,
    repo_root: &Path,
    projects: impl IntoIterator<Item = &'a str>,
) -> Externals {
    let mut out = Externals {
        configured: config.external_projects.keys().cloned().collect(),
        ..Externals::default()
    };
    for project in projects {
        let root = project_path(repo_root, &config.external_projects[project]);
        match read_provided(&root) {
            Ok(capabilities) => out
                .resolved
                .extend(capabilities.into_iter().map(|c| (project.to_string(), c))),
            Err(reason) => {
                out.unreadable
                    .insert(project.to_string(), (root.display().to_string(), reason));
            }
        }
    }
    out
}

/// The configured projects some blocking `external:` edge of a bead that is
/// neither closed nor pinned names, in name order.
pub fn needed_projects<'a>(config: &Config, beads: &[BeadHead<'a>]) -> BTreeSet<&'a str> {
    beads
        .iter()
        .filter(|b| !b.is_done())
        .flat_map(|b| &b.dependencies)
        .filter(|d| external::blocks(d.dep_type))
        .filter_map(|d| external::parse(d.depends_on_id))
        .map(|(project, _)| project)
        .filter(|p| config.external_projects.contains_key(*p))
        .collect()
}

/// A configured project path: absolute as given, else under `repo_root`.
/// Canonical when it exists, for messages that name it.
pub fn project_path(repo_root: &Path, configured: &str) -> PathBuf {
    let path = Path::new(configured);
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        repo_root.join(path)
    };
    std::fs::canonicalize(&joined).unwrap_or(joined)
}

/// The capabilities that closed beads of the tracker at `project_root`
/// provide, or why the tracker cannot be read.
pub fn read_provided(project_root: &Path) -> Result<BTreeSet<String>, String> {
    let gemba = store::Store::unchecked(&project_root.join(store::DIR_NAME));
    let gemba_beads = gemba.dir(&store::kind::BEADS);
    let bd_export = project_root.join(".beads").join("issues.jsonl");
    let items = if gemba_beads.is_dir() {
        read_gemba(&gemba)?
    } else if bd_export.is_file() {
        read_bd_export(&bd_export)?
    } else if !project_root.is_dir() {
        return Err("no such directory".into());
    } else {
        return Err(format!(
            "neither {}/{}/ nor .beads/issues.jsonl exists",
            store::DIR_NAME,
            store::kind::BEADS.dir
        ));
    };
    Ok(items
        .into_iter()
        .filter(|i| i.status == "closed" && !i.deleted)
        .flat_map(|i| i.labels)
        .filter_map(|l| external::provided_capability(&l).map(str::to_string))
        .collect())
}

/// The fields of another tracker's bead that decide what it provides.
#[derive(Debug, Deserialize)]
struct Provider {
    #[serde(default)]
    status: String,
    #[serde(default)]
    labels: Vec<String>,
    #[serde(skip)]
    deleted: bool,
}

/// Every `*.json` bead file of a gemba store (leftover temp files skipped).
/// Only `status` and `labels` are read, so another gemba version's beads
/// still count.
fn read_gemba(gemba: &store::Store) -> Result<Vec<Provider>, String> {
    let listing = gemba.list(&store::kind::BEADS).map_err(|e| e.to_string())?;
    listing
        .entries
        .iter()
        .map(|(_, path)| {
            let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
            serde_json::from_slice::<Provider>(&bytes).map_err(|e| {
                format!(
                    "{}:{}:{}: {}",
                    path.display(),
                    e.line(),
                    e.column(),
                    crate::format::json_message(&e)
                )
            })
        })
        .collect()
}

/// bd's JSONL export (or any form `gemba import beads` reads).
fn read_bd_export(path: &Path) -> Result<Vec<Provider>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let items = super::beads::parse(path, &text).map_err(|e| e.to_string())?;
    items
        .into_iter()
        .map(|item| {
            let value = item
                .value
                .map_err(|m| format!("{}:{}: {m}", path.display(), item.line))?;
            Ok(provider(&value))
        })
        .collect()
}

fn provider(value: &Value) -> Provider {
    let labels = value["labels"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l.as_str().map(str::to_string))
        .collect();
    Provider {
        status: value["status"].as_str().unwrap_or("open").to_string(),
        labels,
        deleted: !value["deleted_at"].is_null(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::Bead;
    use crate::model::Dependency;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn reads_gemba_then_bd_export() {
        let tmp = tempfile::tempdir().unwrap();
        let gemba = tmp.path().join("g");
        write(
            &gemba.join(".gemba/beads/g-1.json"),
            r#"{"id":"g-1","title":"t","status":"closed","priority":2,"issue_type":"task","labels":["provides:auth-api","x"]}"#,
        );
        write(
            &gemba.join(".gemba/beads/g-2.json"),
            r#"{"id":"g-2","title":"t","status":"open","priority":2,"issue_type":"task","labels":["provides:billing"]}"#,
        );
        // A bd export next to it is ignored: .gemba/ wins.
        write(
            &gemba.join(".beads/issues.jsonl"),
            r#"{"id":"b-9","status":"closed","labels":["provides:other"]}"#,
        );
        let bd = tmp.path().join("b");
        write(
            &bd.join(".beads/issues.jsonl"),
            concat!(
                r#"{"id":"b-1","status":"closed","labels":["provides:auth-api"]}"#,
                "\n",
                r#"{"id":"b-2","status":"pinned","labels":["provides:pinned"]}"#,
                "\n",
                r#"{"id":"b-3","status":"closed","deleted_at":"2025-01-01T00:00:00Z","labels":["provides:gone"]}"#,
                "\n"
            ),
        );
        let empty = tmp.path().join("e");
        std::fs::create_dir_all(&empty).unwrap();
        let projects: BTreeMap<String, PathBuf> = [
            ("g".to_string(), gemba),
            ("b".to_string(), bd),
            ("e".to_string(), empty),
            ("n".to_string(), tmp.path().join("nope")),
        ]
        .into();
        let got: BTreeMap<&str, _> = projects
            .iter()
            .map(|(name, root)| (name.as_str(), read_provided(root)))
            .collect();
        assert_eq!(got["g"], Ok(["auth-api".to_string()].into()));
        assert_eq!(got["b"], Ok(["auth-api".to_string()].into()));
        assert!(
            got["e"].as_ref().unwrap_err().contains("neither"),
            "{got:?}"
        );
        assert_eq!(got["n"], Err("no such directory".to_string()));
    }

    #[test]
    fn a_bad_file_makes_the_tracker_unreadable() {
        let tmp = tempfile::tempdir().unwrap();
        write(&tmp.path().join(".gemba/beads/x.json"), "{not json");
        let err = read_provided(tmp.path()).unwrap_err();
        assert!(err.contains("x.json:1:"), "{err}");
    }

    #[test]
    fn reads_only_projects_that_open_edges_need() {
        let tmp = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        for name in ["used", "unused", "closed-only", "link-only"] {
            config
                .external_projects
                .insert(name.into(), format!("{name}-missing-dir"));
        }
        let mut open = Bead::new("a-1", "open");
        open.dependencies = vec![
            Dependency::new("external:used:cap", "blocks"),
            Dependency::new("external:link-only:cap", "related"),
            Dependency::new("external:unconfigured:cap", "blocks"),
        ];
        let mut closed = Bead::new("a-2", "closed");
        closed.status = "closed".into();
        closed.dependencies = vec![Dependency::new("external:closed-only:cap", "blocks")];
        let got = resolve(&config, tmp.path(), &[(&open).into(), (&closed).into()]);
        // Only `used` was looked at (and its directory does not exist).
        assert_eq!(got.unreadable.keys().collect::<Vec<_>>(), vec!["used"]);
        assert_eq!(got.configured.len(), 4);
        assert!(got.resolved.is_empty());
    }
}
