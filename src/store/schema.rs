//! `.gemba/schema/<kind>.schema.json`: the JSON Schema of every file kind,
//! generated at run time from the Rust types ([`crate::schema::all`]), so
//! an editor running the YAML language server validates and completes the
//! YAML files as they are typed. Each YAML file gemba writes names its
//! schema in its first line ([`crate::format::yaml_modeline`]), by a path
//! relative to the file (`../schema/enrichment.schema.json`).
//!
//! `gemba init` writes them ([`refresh`]). After an upgrade, the first
//! command that changes the store rewrites whichever differ from what this
//! binary generates ([`Changes::refresh_schemas`], called from [`Changes::finish`]),
//! so the new schemas are auto-committed with that change; a command that
//! changes nothing (a dry run, bad input) writes nothing. Comparing bytes
//! keeps this cheap. A stray `*.schema.json` (a kind this binary does not
//! have) is removed; other files in the directory are left alone.

use std::io;
use std::path::{Path, PathBuf};

use super::{Changes, IoContext, Result, Written, atomic};

/// The directory under `.gemba/`.
pub const SCHEMA_DIR: &str = "schema";
const SUFFIX: &str = ".schema.json";

/// The file name of `kind`'s schema (`enrichment.schema.json`).
pub fn file_name(kind: &str) -> String {
    format!("{kind}{SUFFIX}")
}

/// The schema files this binary generates: `(file name, bytes)`, sorted,
/// in stable bytes.
pub fn generate() -> Vec<(String, Vec<u8>)> {
    crate::schema::all()
        .into_iter()
        .map(|(kind, schema)| (file_name(kind), crate::format::to_json_bytes(&schema)))
        .collect()
}

/// What `<root>/schema/` needs to match this binary: `(path, Some(bytes))`
/// to write, `(path, None)` to remove. Empty when up to date.
pub fn pending(root: &Path) -> Result<Vec<(PathBuf, Option<Vec<u8>>)>> {
    let dir = root.join(SCHEMA_DIR);
    let generated = generate();
    let mut out = Vec::new();
    for (name, bytes) in &generated {
        let path = dir.join(name);
        match std::fs::read(&path) {
            Ok(old) if old == *bytes => {}
            Ok(_) => out.push((path, Some(bytes.clone()))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => out.push((path, Some(bytes.clone()))),
            Err(e) => return Err(e).at(&path),
        }
    }
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e).at(&dir),
    };
    let mut strays = Vec::new();
    for entry in entries {
        let entry = entry.at(&dir)?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.ends_with(SUFFIX)
            && !atomic::is_temp_name(name)
            && !generated.iter().any(|(n, _)| n == name)
        {
            strays.push((entry.path(), None));
        }
    }
    strays.sort();
    out.extend(strays);
    Ok(out)
}

/// Bring `<root>/schema/` up to date outside a transaction (`gemba init`).
/// Returns what changed: `(path, Written::Created | Updated)`, removals as
/// `Updated`.
pub fn refresh(root: &Path) -> Result<Vec<(PathBuf, Written)>> {
    let mut done = Vec::new();
    for (path, bytes) in pending(root)? {
        match bytes {
            Some(bytes) => {
                let existed = path.exists();
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).at(dir)?;
                }
                atomic::write(&path, &bytes).at(&path)?;
                let written = if existed {
                    Written::Updated
                } else {
                    Written::Created
                };
                done.push((path, written));
            }
            None => {
                remove(&path)?;
                done.push((path, Written::Updated));
            }
        }
    }
    Ok(done)
}

fn remove(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e).at(path),
        _ => Ok(()),
    }
}

impl Changes<'_> {
    /// Bring `.gemba/schema/` up to date under this transaction, so the
    /// files are auto-committed with its change. Returns how many files
    /// were written or removed.
    ///
    /// Once per store handle: a drainer's thousandth `done` need not
    /// regenerate and compare every schema again.
    pub fn refresh_schemas(&mut self) -> Result<usize> {
        if self.store().schemas_checked() {
            return Ok(0);
        }
        let result = self.refresh_schemas_now();
        if result.is_err() {
            self.store().schemas_unchecked(); // the next finish tries again
        }
        result
    }

    fn refresh_schemas_now(&mut self) -> Result<usize> {
        let pending = pending(self.store().root())?;
        if pending.is_empty() {
            return Ok(0);
        }
        let count = pending.len();
        let mut writes = Vec::new();
        for (path, bytes) in pending {
            match bytes {
                Some(bytes) => writes.push((path, bytes)),
                None => {
                    remove(&path)?;
                    self.record(&path, Written::Updated);
                }
            }
        }
        self.write_files(writes)?;
        self.sync_dirs()?;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::kind::{ENRICHMENT, SUGGESTIONS};
    use crate::store::{CONFIG_FILE, VOCABULARY_FILE};

    /// Every YAML file kind names, by a path relative to where the file
    /// lives, a schema this module writes.
    #[test]
    fn modelines_point_at_the_written_schemas() {
        let root = Path::new("/r/.gemba");
        let files: Vec<String> = generate().into_iter().map(|(n, _)| n).collect();
        let cases = [
            (
                root.join(CONFIG_FILE),
                crate::model::config::SCHEMA,
                "config",
            ),
            (
                root.join(VOCABULARY_FILE),
                crate::model::vocabulary::SCHEMA,
                "vocabulary",
            ),
            (
                root.join(ENRICHMENT.dir).join("bd-1.yaml"),
                crate::model::enrichment::SCHEMA,
                "enrichment",
            ),
            (
                root.join(SUGGESTIONS.dir).join("s-1.yaml"),
                crate::model::suggestion::SCHEMA,
                "suggestion",
            ),
        ];
        for (file, schema, kind) in cases {
            let mut resolved = file.parent().unwrap().to_path_buf();
            for part in schema.split('/') {
                if part == ".." {
                    resolved.pop();
                } else {
                    resolved.push(part);
                }
            }
            assert_eq!(
                resolved,
                root.join(SCHEMA_DIR).join(file_name(kind)),
                "{schema}"
            );
            assert!(files.contains(&file_name(kind)), "{kind}");
        }
    }

    #[test]
    fn refresh_writes_missing_and_stale_files_and_removes_strays() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let n = generate().len();
        let first = refresh(root).unwrap();
        assert_eq!(first.len(), n);
        assert!(first.iter().all(|(_, w)| *w == Written::Created));
        assert!(pending(root).unwrap().is_empty());
        let before = std::fs::read(root.join("schema/bead.schema.json")).unwrap();
        assert!(refresh(root).unwrap().is_empty(), "up to date: no writes");

        let dir = root.join(SCHEMA_DIR);
        std::fs::write(dir.join("bead.schema.json"), "{}\n").unwrap();
        std::fs::write(dir.join("gone.schema.json"), "{}\n").unwrap();
        std::fs::write(dir.join("README.md"), "mine\n").unwrap();
        let names: Vec<String> = pending(root)
            .unwrap()
            .iter()
            .map(|(p, b)| {
                format!(
                    "{} {}",
                    p.file_name().unwrap().to_string_lossy(),
                    b.is_some()
                )
            })
            .collect();
        assert_eq!(names, ["bead.schema.json true", "gone.schema.json false"]);
        refresh(root).unwrap();
        assert_eq!(std::fs::read(dir.join("bead.schema.json")).unwrap(), before);
        assert!(!dir.join("gone.schema.json").exists());
        assert!(dir.join("README.md").exists());
    }
}
