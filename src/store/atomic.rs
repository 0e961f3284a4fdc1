//! Atomic file replacement: write a temp file in the target's directory,
//! fsync it, rename it over the target, fsync the directory. A reader sees
//! the old file or the new one, never half of either; so does a crash.
//!
//! This module and `lock.rs` are the only callers of these primitives.

use std::io::{self, Write};
use std::path::Path;

use fs_err::File;

const TMP_PREFIX: &str = ".gemba-tmp-";

/// A temp file beside `dir`'s entries, readable like any file the user
/// creates (tempfile's default 0600 would hide state from teammates).
fn temp_in(dir: &Path) -> io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(TMP_PREFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

/// Replace `path` with `bytes` atomically and durably.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_unsynced_dir(path, bytes)?;
    sync_dir(parent(path)?)
}

/// Replace `path` atomically, leaving the directory's fsync to the caller
/// (a batch syncs each directory once, at the end). The file itself is
/// synced before the rename, so a crash still leaves old or new bytes.
pub fn write_unsynced_dir(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp = temp_in(parent(path)?)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Create `path` with `bytes` atomically; fails with `AlreadyExists` when the
/// file is there, so exactly one of several racing creators wins.
pub fn create_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = parent(path)?;
    let mut tmp = temp_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist_noclobber(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

/// Replace several files as one change: every new file is written and
/// fsynced beside its target first; only then are they renamed into place.
/// If preparing fails, nothing has changed. If a rename fails (which needs
/// the disk to fail between two renames), the files already swapped get
/// their old bytes back. `None` as new bytes deletes the file.
pub fn replace_all(changes: &[(&Path, Option<&[u8]>)]) -> io::Result<()> {
    let mut prepared = Vec::with_capacity(changes.len());
    for (path, bytes) in changes {
        let tmp = match bytes {
            Some(bytes) => {
                let mut tmp = temp_in(parent(path)?)?;
                tmp.write_all(bytes)?;
                tmp.as_file().sync_all()?;
                Some(tmp)
            }
            None => None,
        };
        let old = match std::fs::read(path) {
            Ok(b) => Some(b),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        prepared.push((*path, tmp, old));
    }
    let mut done: Vec<(&Path, Option<Vec<u8>>)> = Vec::new();
    let mut failure = None;
    for (path, tmp, old) in prepared {
        let result = match tmp {
            Some(tmp) => tmp.persist(path).map(|_| ()).map_err(|e| e.error),
            None => std::fs::remove_file(path).or_else(|e| {
                if e.kind() == io::ErrorKind::NotFound {
                    Ok(())
                } else {
                    Err(e)
                }
            }),
        };
        match result {
            Ok(()) => done.push((path, old)),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    if let Some(e) = failure {
        for (path, old) in done {
            let _ = match old {
                Some(bytes) => write(path, &bytes),
                None => std::fs::remove_file(path),
            };
        }
        return Err(e);
    }
    let mut dirs: Vec<&Path> = changes.iter().filter_map(|(p, _)| p.parent()).collect();
    dirs.sort();
    dirs.dedup();
    for dir in dirs {
        sync_dir(dir)?;
    }
    Ok(())
}

/// Whether a directory entry is one of our (possibly abandoned) temp files.
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with(TMP_PREFIX)
}

fn parent(path: &Path) -> io::Result<&Path> {
    path.parent()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no parent directory"))
}

pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_all_is_all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::fs::write(&a, b"a1").unwrap();
        std::fs::write(&b, b"b1").unwrap();
        replace_all(&[(&a, Some(b"a2")), (&b, None)]).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), b"a2");
        assert!(!b.exists());
        // A target whose directory is missing fails while preparing:
        // nothing else changes.
        let missing = dir.path().join("nope/c");
        assert!(replace_all(&[(&a, Some(b"a3")), (&missing, Some(b"c"))]).is_err());
        assert_eq!(std::fs::read(&a).unwrap(), b"a2");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "no temp files left: {names:?}");
    }

    #[test]
    fn write_replaces_and_create_new_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        create_new(&p, b"one\n").unwrap();
        let err = create_new(&p, b"two\n").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        write(&p, b"three\n").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"three\n");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "no temp files left: {names:?}");
    }
}
