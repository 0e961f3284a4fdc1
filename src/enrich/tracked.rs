//! The repository's tracked files, indexed for O(1) lookups.

use std::collections::{HashMap, HashSet};

/// Repo-relative tracked paths (`/`-separated, as git prints them).
///
/// Built once per run and shared by every bead, so all lookups are hash
/// lookups.
#[derive(Debug, Clone, Default)]
pub struct TrackedFiles {
    files: HashSet<String>,
    /// Every proper ancestor directory of a tracked file, without the root.
    dirs: HashSet<String>,
    /// Last path component -> tracked paths ending in it, sorted.
    by_name: HashMap<String, Vec<String>>,
}

impl TrackedFiles {
    /// Indexes `paths`. A leading `./` is dropped; empty entries and
    /// duplicates are ignored.
    pub fn new(paths: impl IntoIterator<Item = String>) -> Self {
        let mut tracked = Self::default();
        for path in paths {
            let path = match path.strip_prefix("./") {
                Some(rest) => rest.to_string(),
                None => path,
            };
            if path.is_empty() || tracked.files.contains(&path) {
                continue;
            }
            for (i, _) in path.match_indices('/') {
                tracked.dirs.insert(path[..i].to_string());
            }
            let name = path.rsplit('/').next().unwrap_or(&path).to_string();
            tracked.by_name.entry(name).or_default().push(path.clone());
            tracked.files.insert(path);
        }
        // Sorted, so callers never see insertion order leak into output.
        for paths in tracked.by_name.values_mut() {
            paths.sort();
        }
        tracked
    }

    /// Is `path` a tracked file?
    pub fn contains(&self, path: &str) -> bool {
        self.files.contains(path)
    }

    /// Is any tracked file under `dir`? A trailing `/` is ignored; the empty
    /// string is the repository root.
    pub fn dir_exists(&self, dir: &str) -> bool {
        let dir = dir.trim_end_matches('/');
        if dir.is_empty() {
            return !self.files.is_empty();
        }
        self.dirs.contains(dir)
    }

    /// All tracked paths whose last component is `name`, sorted.
    pub fn by_file_name(&self, name: &str) -> &[String] {
        self.by_name.get(name).map_or(&[], Vec::as_slice)
    }

    /// Number of tracked files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> TrackedFiles {
        TrackedFiles::new(
            [
                "./cmd/bd/main.go",
                "internal/rpc/server.go",
                "cmd/bd/main.go",
                "README.md",
                "internal/daemon/server.go",
                "",
            ]
            .map(String::from),
        )
    }

    #[test]
    fn test_contains() {
        let t = fixture();
        assert_eq!(t.len(), 4);
        assert!(t.contains("cmd/bd/main.go"));
        assert!(t.contains("README.md"));
        assert!(!t.contains("cmd/bd"));
        assert!(!t.contains("./cmd/bd/main.go"));
    }

    #[test]
    fn test_dir_exists() {
        let t = fixture();
        for dir in ["cmd", "cmd/bd", "cmd/bd/", "internal", "internal/rpc", ""] {
            assert!(t.dir_exists(dir), "{dir}");
        }
        for dir in [
            "cmd/b",
            "cmd/bd/main.go",
            "internal/rp",
            "README.md",
            "docs",
        ] {
            assert!(!t.dir_exists(dir), "{dir}");
        }
        assert!(!TrackedFiles::default().dir_exists(""));
    }

    #[test]
    fn test_by_file_name() {
        let t = fixture();
        assert_eq!(t.by_file_name("main.go"), ["cmd/bd/main.go"]);
        assert_eq!(
            t.by_file_name("server.go"),
            ["internal/daemon/server.go", "internal/rpc/server.go"]
        );
        assert_eq!(t.by_file_name("README.md"), ["README.md"]);
        assert!(t.by_file_name("bd").is_empty());
    }
}
