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
    /// Last path component without its extension (`lib` for `src/lib.rs`)
    /// -> tracked paths, sorted.
    by_stem: HashMap<String, Vec<String>>,
    /// Last component of a directory in `dirs` -> those directories, sorted.
    dirs_by_name: HashMap<String, Vec<String>>,
    /// Top-level directories, sorted.
    roots: Vec<String>,
    /// Every tracked path, sorted bytewise: a directory's files are a range.
    sorted: Vec<String>,
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
                let dir = &path[..i];
                if tracked.dirs.insert(dir.to_string()) {
                    if !dir.contains('/') {
                        tracked.roots.push(dir.to_string());
                    }
                    let name = dir.rsplit('/').next().unwrap_or(dir).to_string();
                    tracked
                        .dirs_by_name
                        .entry(name)
                        .or_default()
                        .push(dir.to_string());
                }
            }
            let name = path.rsplit('/').next().unwrap_or(&path);
            let stem = match name.rsplit_once('.') {
                Some((stem, _)) if !stem.is_empty() => stem,
                _ => name,
            };
            tracked
                .by_stem
                .entry(stem.to_string())
                .or_default()
                .push(path.clone());
            tracked
                .by_name
                .entry(name.to_string())
                .or_default()
                .push(path.clone());
            tracked.files.insert(path);
        }
        // Sorted, so callers never see insertion order leak into output.
        for paths in tracked
            .by_name
            .values_mut()
            .chain(tracked.by_stem.values_mut())
            .chain(tracked.dirs_by_name.values_mut())
        {
            paths.sort();
        }
        tracked.roots.sort();
        tracked.sorted = tracked.files.iter().cloned().collect();
        tracked.sorted.sort();
        tracked
    }

    /// Tracked files anywhere below `dir` (a trailing `/` is ignored; the
    /// empty string is the root), sorted.
    pub fn under(&self, dir: &str) -> &[String] {
        let dir = dir.trim_end_matches('/');
        if dir.is_empty() {
            return &self.sorted;
        }
        // Paths sharing the prefix `dir/` are one contiguous run.
        let prefix = format!("{dir}/");
        let start = self
            .sorted
            .partition_point(|p| p.as_str() < prefix.as_str());
        let len = self.sorted[start..]
            .iter()
            .take_while(|p| p.starts_with(&prefix))
            .count();
        &self.sorted[start..start + len]
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

    /// All tracked paths whose last component without its extension is
    /// `stem` (`lib` finds `src/lib.rs`; `Makefile` is its own stem), sorted.
    pub fn by_stem(&self, stem: &str) -> &[String] {
        self.by_stem.get(stem).map_or(&[], Vec::as_slice)
    }

    /// All directories holding tracked files whose last component is
    /// `name`, sorted.
    pub fn dirs_by_name(&self, name: &str) -> &[String] {
        self.dirs_by_name.get(name).map_or(&[], Vec::as_slice)
    }

    /// Top-level directories holding tracked files, sorted.
    pub fn roots(&self) -> &[String] {
        &self.roots
    }

    /// The package directory called `name`: the only directory with that
    /// name at depth 1 or 2 (`crates/fcp-mesh`, `connectors/plaid`,
    /// `npm-package`). `None` when there is none or more than one.
    pub fn package_dir(&self, name: &str) -> Option<&str> {
        let mut shallow = self
            .dirs_by_name(name)
            .iter()
            .filter(|d| d.matches('/').count() <= 1);
        match (shallow.next(), shallow.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        }
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

    #[test]
    fn test_by_stem_and_dirs_by_name() {
        let t = fixture();
        assert_eq!(t.by_stem("main"), ["cmd/bd/main.go"]);
        assert_eq!(t.by_stem("README"), ["README.md"]);
        assert!(t.by_stem("main.go").is_empty());
        let t = TrackedFiles::new(["Makefile", "a/.env", "x/lib.rs", "y/lib.rs"].map(String::from));
        assert_eq!(t.by_stem("Makefile"), ["Makefile"]);
        assert_eq!(t.by_stem(".env"), ["a/.env"]);
        assert_eq!(t.by_stem("lib"), ["x/lib.rs", "y/lib.rs"]);
        let t = fixture();
        assert_eq!(t.dirs_by_name("rpc"), ["internal/rpc"]);
        assert_eq!(t.dirs_by_name("bd"), ["cmd/bd"]);
        assert!(t.dirs_by_name("server.go").is_empty());
        assert_eq!(t.roots(), ["cmd", "internal"]);
    }

    #[test]
    fn test_under() {
        let t = TrackedFiles::new(
            [
                "a/x.go", "a/b/y.go", "a-b/z.go", "a.go", "ab/w.go", "c/v.go",
            ]
            .map(String::from),
        );
        assert_eq!(t.under("a"), ["a/b/y.go", "a/x.go"]);
        assert_eq!(t.under("a/"), ["a/b/y.go", "a/x.go"]);
        assert_eq!(t.under("a/b"), ["a/b/y.go"]);
        assert!(t.under("a/x.go").is_empty());
        assert!(t.under("d").is_empty());
        assert_eq!(t.under("").len(), 6);
    }

    #[test]
    fn test_package_dir() {
        let t = TrackedFiles::new(
            [
                "crates/fcp-mesh/src/lib.rs",
                "crates/fcp-mesh/tests/mesh.rs",
                "connectors/plaid/src/lib.rs",
                "npm-package/package.json",
                "a/common/x.rs",
                "b/common/y.rs",
                "a/deep/er/plaid2/z.rs",
            ]
            .map(String::from),
        );
        assert_eq!(t.package_dir("fcp-mesh"), Some("crates/fcp-mesh"));
        assert_eq!(t.package_dir("plaid"), Some("connectors/plaid"));
        assert_eq!(t.package_dir("npm-package"), Some("npm-package"));
        // Shared by two directories; deeper than two; a file, not a directory.
        assert_eq!(t.package_dir("common"), None);
        assert_eq!(t.package_dir("plaid2"), None);
        assert_eq!(t.package_dir("src"), None);
        assert_eq!(t.package_dir("lib.rs"), None);
    }
}
