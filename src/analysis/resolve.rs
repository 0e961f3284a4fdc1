//! Resolution: what a file imports (`super::lang::Parsed`) → the tracked
//! files it names. Pure: it sees the repository only as the sorted list of
//! tracked paths and the parsed manifests.
//!
//! The rules, per language (an import that names nothing in the
//! repository, such as a standard library module or a package from a
//! registry, is ignored; one that should be local but names no file is
//! counted as *unresolved*):
//!
//! - **Rust.** A file belongs to the crate whose root is nearest above it
//!   within its package (the directory of the nearest `Cargo.toml`): the
//!   package's `src/lib.rs` (preferred), `src/main.rs`, `build.rs`,
//!   `src/bin/*.rs`, `src/bin/*/main.rs`, `{tests,examples,benches}/*.rs`,
//!   `{tests,examples,benches}/*/main.rs`, and the `path`s of `[lib]`,
//!   `[[bin]]`, `[[test]]`, `[[bench]]`, `[[example]]`; outside any package,
//!   a `lib.rs` or `main.rs`. Its module path is its path below the root's
//!   directory (`src/a/b.rs` and `src/a/b/mod.rs` are `a::b`), plus the
//!   inline modules around a reference. `mod x;` names the child module's
//!   file (`…/x.rs` or `…/x/mod.rs`; unresolved when neither exists). A
//!   path starting with `crate`, `super`/`self` (relative to the module),
//!   the name of a child module, or the crate name of another package of
//!   the repository (`my-lib` → `my_lib`, its library root) names the
//!   file of the longest prefix that is a module with a file
//!   (`crate::a::b::Item` → `a/b.rs`, else `a.rs`), else the crate root.
//!   Other paths (`std::`, crates from crates.io) are ignored.
//! - **Go.** An import path under the `module` of a `go.mod` of the
//!   repository (the longest such module) names the package directory
//!   below that `go.mod`; the import depends on every non-test `.go` file
//!   there (a directory-level edge). Unresolved when the directory has
//!   none; other paths are ignored.
//! - **Python.** `import a.b` names `a/b.py`, else `a/b/__init__.py` (else
//!   `a/b.pyi`), else the longest prefix that is a module, looked up from
//!   the importing file's root (the nearest directory above it without an
//!   `__init__.py`), then the repository root, then the root of every
//!   top-level package called `a`. `from a import x` names the submodule
//!   `a/x` if there is one, else `a`. Relative imports (`from ..m import
//!   x`) start at the file's package; unresolved when nothing matches.
//!   Absolute imports that match nothing are ignored.
//! - **JavaScript/TypeScript.** A relative specifier is joined onto the
//!   importing file's directory and tried as is, then with each of `.ts`,
//!   `.tsx`, `.d.ts`, `.js`, `.jsx`, `.mjs`, `.cjs`, `.mts`, `.cts`,
//!   `.json`, then with `.js`/`.jsx`/`.mjs`/`.cjs` swapped for their
//!   TypeScript twins, then as a directory's `index` with those
//!   extensions. Unresolved when nothing matches (`tsconfig` paths and
//!   workspace package names are not read).

/// foldhash: resolution is mostly hash lookups of paths.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

use super::lang::cargo::Manifest;
use super::lang::python::Import;
use super::lang::rust::Ref;
use super::lang::{Lang, Parsed};

/// The directory of a repository path (`""` at the root).
pub fn dir_of(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// `dir/rest`, or `rest` at the root.
fn join(dir: &str, rest: &str) -> String {
    if dir.is_empty() {
        rest.to_string()
    } else if rest.is_empty() {
        dir.to_string()
    } else {
        format!("{dir}/{rest}")
    }
}

/// `dir` and each directory above it, up to the root (`""`).
fn ancestors(dir: &str) -> impl Iterator<Item = &str> {
    let mut next = Some(dir);
    std::iter::from_fn(move || {
        let d = next?;
        next = (!d.is_empty()).then(|| dir_of(d));
        Some(d)
    })
}

/// Resolve `.` and `..` in a `/`-separated path; `None` when it climbs
/// above the root.
pub fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// The tracked files of a repository, indexed for resolution.
#[derive(Debug)]
pub struct Tree<'a> {
    files: &'a [String],
    index: HashMap<&'a str, u32>,
    /// `(module path, directory)`, longest module first.
    go_modules: Vec<(&'a str, &'a str)>,
    /// Directory → its non-test `.go` files.
    go_packages: HashMap<&'a str, Vec<u32>>,
    /// Directory of a `Cargo.toml` → the manifest.
    manifests: HashMap<&'a str, &'a Manifest>,
    crate_roots: HashSet<u32>,
    /// Directory → the crate roots in it, `lib.rs` first, then `main.rs`.
    roots_by_dir: HashMap<&'a str, Vec<u32>>,
    /// Crate name → its library root.
    crates: HashMap<String, u32>,
    /// Top-level Python package name → the directories holding one.
    py_roots: HashMap<&'a str, Vec<&'a str>>,
}

/// The crate a Rust file belongs to and its module path there.
struct RustCtx<'a> {
    root: u32,
    /// The directory module paths start from.
    dir: &'a str,
    module: Vec<&'a str>,
}

const JS_EXTS: [&str; 10] = [
    ".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts", ".json",
];
const JS_TWINS: [(&str, &[&str]); 4] = [
    (".js", &[".ts", ".tsx"]),
    (".jsx", &[".tsx"]),
    (".mjs", &[".mts"]),
    (".cjs", &[".cts"]),
];

impl<'a> Tree<'a> {
    /// Index `files` (every tracked path, sorted, unique); `manifests`
    /// holds the parsed `go.mod` and `Cargo.toml` files, by index.
    pub fn new(files: &'a [String], manifests: &[(u32, &'a Parsed)]) -> Tree<'a> {
        let index: HashMap<&str, u32> = files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.as_str(), i as u32))
            .collect();
        let mut tree = Tree {
            files,
            index,
            go_modules: Vec::new(),
            go_packages: HashMap::default(),
            manifests: HashMap::default(),
            crate_roots: HashSet::default(),
            roots_by_dir: HashMap::default(),
            crates: HashMap::default(),
            py_roots: HashMap::default(),
        };
        for &(i, parsed) in manifests {
            let dir = dir_of(&files[i as usize]);
            match parsed {
                Parsed::GoMod(Some(module)) => tree.go_modules.push((module.as_str(), dir)),
                Parsed::Cargo(m) => {
                    tree.manifests.insert(dir, m);
                }
                _ => {}
            }
        }
        tree.go_modules
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.cmp(b)));
        for (i, path) in files.iter().enumerate() {
            let i = i as u32;
            match Lang::of(path) {
                Some(Lang::Go) if !path.ends_with("_test.go") => {
                    tree.go_packages.entry(dir_of(path)).or_default().push(i);
                }
                Some(Lang::Rust) if tree.is_crate_root(path) => {
                    tree.crate_roots.insert(i);
                    tree.roots_by_dir.entry(dir_of(path)).or_default().push(i);
                }
                Some(Lang::Python) => {
                    let dir = dir_of(path);
                    let root = tree.py_root(dir);
                    if root != dir {
                        let below = dir[root.len()..].trim_start_matches('/');
                        let top = below.split('/').next().unwrap_or(below);
                        let roots = tree.py_roots.entry(top).or_default();
                        if !roots.contains(&root) {
                            roots.push(root);
                        }
                    }
                }
                _ => {}
            }
        }
        let name = |i: &u32| {
            let path = &files[*i as usize];
            let file = &path[path.rfind('/').map_or(0, |p| p + 1)..];
            (file != "lib.rs", file != "main.rs", path.as_str())
        };
        for roots in tree.roots_by_dir.values_mut() {
            roots.sort_by(|a, b| name(a).cmp(&name(b)));
        }
        for (dir, m) in &tree.manifests {
            let Some(crate_name) = m.crate_name() else {
                continue;
            };
            let lib = match &m.lib_path {
                Some(p) => normalize(&join(dir, p)),
                None => Some(join(dir, "src/lib.rs")),
            };
            if let Some(&lib) = lib.and_then(|l| tree.index.get(l.as_str())) {
                tree.crates.insert(crate_name, lib);
            }
        }
        for roots in tree.py_roots.values_mut() {
            roots.sort_unstable();
        }
        tree
    }

    fn file(&self, path: &str) -> Option<u32> {
        self.index.get(path).copied()
    }

    /// The directory of the nearest `Cargo.toml` at or above `dir`.
    fn package_of(&self, dir: &'a str) -> Option<&'a str> {
        ancestors(dir).find(|d| self.manifests.contains_key(d))
    }

    fn is_crate_root(&self, path: &str) -> bool {
        let dir = dir_of(path);
        let Some(pkg) = self.package_of(dir) else {
            let name = path[dir.len()..].trim_start_matches('/');
            return matches!(name, "lib.rs" | "main.rs");
        };
        let rel = path[pkg.len()..].trim_start_matches('/');
        let parts: Vec<&str> = rel.split('/').collect();
        let standard = matches!(
            parts.as_slice(),
            ["src", "lib.rs" | "main.rs"]
                | ["build.rs"]
                | ["src", "bin", _]
                | ["tests" | "examples" | "benches", _]
                | ["src", "bin", _, "main.rs"]
                | ["tests" | "examples" | "benches", _, "main.rs"]
        );
        standard || {
            let m = self.manifests[pkg];
            m.lib_path
                .iter()
                .chain(&m.targets)
                .any(|p| normalize(p).is_some_and(|p| p == rel))
        }
    }

    /// The file of module `segs` below `dir`: `dir/a/b.rs` or
    /// `dir/a/b/mod.rs`.
    fn rust_module(&self, dir: &str, segs: &[&str]) -> Option<u32> {
        if segs.is_empty() {
            return None;
        }
        let base = join(dir, &segs.join("/"));
        self.file(&format!("{base}.rs"))
            .or_else(|| self.file(&format!("{base}/mod.rs")))
    }

    fn rust_ctx(&self, f: u32) -> RustCtx<'a> {
        let path: &'a str = &self.files[f as usize];
        let dir = dir_of(path);
        if !self.crate_roots.contains(&f) {
            let pkg = self.package_of(dir);
            for d in ancestors(dir) {
                if let Some(roots) = self.roots_by_dir.get(d) {
                    let rel = path[d.len()..].trim_start_matches('/');
                    let rel = rel.strip_suffix(".rs").unwrap_or(rel);
                    let rel = rel.strip_suffix("/mod").unwrap_or(rel);
                    return RustCtx {
                        root: roots[0],
                        dir: d,
                        module: rel.split('/').collect(),
                    };
                }
                if Some(d) == pkg {
                    break;
                }
            }
        }
        RustCtx {
            root: f,
            dir,
            module: Vec::new(),
        }
    }

    fn resolve_rust(&self, f: u32, refs: &[Ref], out: &mut Vec<u32>) -> usize {
        let ctx = self.rust_ctx(f);
        let mut unresolved = 0;
        for r in refs {
            let mut module = ctx.module.clone();
            module.extend(r.inline.iter().map(String::as_str));
            let path: Vec<&str> = r.path.iter().map(String::as_str).collect();
            if r.decl {
                module.extend(path.first());
                match self.rust_module(ctx.dir, &module) {
                    Some(t) => out.push(t),
                    None => unresolved += 1,
                }
                continue;
            }
            let Some(&first) = path.first() else {
                continue;
            };
            // Where the path starts: a crate (its root file and module
            // directory), a module in it, and how many segments that used.
            let start = match first {
                "crate" => Some((ctx.root, ctx.dir, Vec::new(), 1)),
                "self" => Some((ctx.root, ctx.dir, module, 1)),
                "super" => {
                    let supers = path.iter().take_while(|s| **s == "super").count();
                    let mut base = module;
                    base.truncate(base.len().saturating_sub(supers));
                    Some((ctx.root, ctx.dir, base, supers))
                }
                "::" => path
                    .get(1)
                    .and_then(|name| self.crate_named(name))
                    .map(|(root, dir)| (root, dir, Vec::new(), 2)),
                _ => {
                    let mut child = module.clone();
                    child.push(first);
                    if self.rust_module(ctx.dir, &child).is_some() {
                        Some((ctx.root, ctx.dir, module, 0))
                    } else {
                        // Another crate of the repository, or none of ours.
                        self.crate_named(first)
                            .map(|(root, dir)| (root, dir, Vec::new(), 1))
                    }
                }
            };
            let Some((root, dir, mut segs, used)) = start else {
                continue;
            };
            segs.extend_from_slice(&path[used..]);
            let found = (1..=segs.len())
                .rev()
                .find_map(|k| self.rust_module(dir, &segs[..k]));
            out.push(found.unwrap_or(root));
        }
        unresolved
    }

    /// The library root of the repository's crate called `name`, and its
    /// directory.
    fn crate_named(&self, name: &str) -> Option<(u32, &'a str)> {
        let lib = *self.crates.get(name)?;
        Some((lib, dir_of(&self.files[lib as usize])))
    }

    fn go_package(&self, import: &str) -> Option<Option<&[u32]>> {
        let (module, dir) = self.go_modules.iter().find(|(m, _)| {
            import == *m || (import.starts_with(m) && import.as_bytes().get(m.len()) == Some(&b'/'))
        })?;
        let below = import[module.len()..].trim_start_matches('/');
        Some(
            self.go_packages
                .get(join(dir, below).as_str())
                .map(Vec::as_slice),
        )
    }

    fn resolve_go(&self, imports: &[String], out: &mut Vec<u32>) -> usize {
        let mut unresolved = 0;
        for import in imports {
            match self.go_package(import) {
                Some(Some(files)) => out.extend_from_slice(files),
                Some(None) => unresolved += 1,
                None => {}
            }
        }
        unresolved
    }

    /// The nearest directory at or above `dir` without an `__init__.py`.
    fn py_root(&self, dir: &'a str) -> &'a str {
        ancestors(dir)
            .find(|d| d.is_empty() || self.file(&join(d, "__init__.py")).is_none())
            .unwrap_or("")
    }

    fn py_module(&self, dir: &str, segs: &[&str]) -> Option<u32> {
        let base = join(dir, &segs.join("/"));
        if base.is_empty() {
            return self.file("__init__.py");
        }
        self.file(&format!("{base}.py"))
            .or_else(|| self.file(&format!("{base}/__init__.py")))
            .or_else(|| self.file(&format!("{base}.pyi")))
    }

    /// `module` (and `names` in it, which may be submodules) below
    /// `root`: the longest prefix of at least `min` segments that is a
    /// module. `false` when there is none.
    fn py_lookup(
        &self,
        root: &str,
        module: &[&str],
        names: &[String],
        min: usize,
        out: &mut Vec<u32>,
    ) -> bool {
        let found = (min.max(1)..=module.len())
            .rev()
            .find_map(|k| self.py_module(root, &module[..k]).map(|t| (k, t)));
        let Some((k, target)) = found else {
            return false;
        };
        if k < module.len() || names.is_empty() {
            out.push(target);
            return true;
        }
        for name in names {
            let mut sub = module.to_vec();
            sub.push(name);
            out.push(self.py_module(root, &sub).unwrap_or(target));
        }
        true
    }

    fn resolve_python(&self, f: u32, imports: &[Import], out: &mut Vec<u32>) -> usize {
        let dir = dir_of(&self.files[f as usize]);
        let own_root = self.py_root(dir);
        let mut unresolved = 0;
        for import in imports {
            let module: Vec<&str> = if import.module.is_empty() {
                Vec::new()
            } else {
                import.module.split('.').collect()
            };
            if import.level == 0 {
                let Some(&first) = module.first() else {
                    continue;
                };
                let mut roots = vec![own_root, ""];
                roots.extend(self.py_roots.get(first).into_iter().flatten());
                let mut seen = Vec::new();
                for root in roots {
                    if seen.contains(&root) {
                        continue;
                    }
                    seen.push(root);
                    if self.py_lookup(root, &module, &import.names, 1, out) {
                        break;
                    }
                }
                continue;
            }
            let mut base = Some(dir);
            for _ in 1..import.level {
                base = base.filter(|d| !d.is_empty()).map(dir_of);
            }
            let Some(base) = base else {
                unresolved += 1;
                continue;
            };
            if module.is_empty() {
                let package = self.file(&join(base, "__init__.py"));
                let before = out.len();
                for name in &import.names {
                    if let Some(t) = self.py_module(base, &[name]).or(package) {
                        out.push(t);
                    }
                }
                if out.len() == before {
                    unresolved += 1;
                }
            } else if !self.py_lookup(base, &module, &import.names, module.len(), out) {
                unresolved += 1;
            }
        }
        unresolved
    }

    fn js_file(&self, base: &str) -> Option<u32> {
        if let Some(t) = self.file(base) {
            return Some(t);
        }
        for ext in JS_EXTS {
            if let Some(t) = self.file(&format!("{base}{ext}")) {
                return Some(t);
            }
        }
        for (js, twins) in JS_TWINS {
            if let Some(stem) = base.strip_suffix(js) {
                for ts in twins {
                    if let Some(t) = self.file(&format!("{stem}{ts}")) {
                        return Some(t);
                    }
                }
            }
        }
        let index = join(base, "index");
        JS_EXTS
            .iter()
            .find_map(|ext| self.file(&format!("{index}{ext}")))
    }

    fn resolve_js(&self, f: u32, specs: &[String], out: &mut Vec<u32>) -> usize {
        let dir = dir_of(&self.files[f as usize]);
        let mut unresolved = 0;
        for spec in specs {
            // `./x?raw`, `./x#frag`: bundler suffixes.
            let spec = spec.split(['?', '#']).next().unwrap_or(spec);
            match normalize(&join(dir, spec)).and_then(|base| self.js_file(&base)) {
                Some(t) => out.push(t),
                None => unresolved += 1,
            }
        }
        unresolved
    }

    /// The files file `f` imports, appended to `out` (maybe repeated);
    /// returns how many of its local-looking imports named no file.
    pub fn resolve(&self, f: u32, parsed: &Parsed, out: &mut Vec<u32>) -> usize {
        match parsed {
            Parsed::Rust(refs) => self.resolve_rust(f, refs, out),
            Parsed::Go(imports) => self.resolve_go(imports, out),
            Parsed::Python(imports) => self.resolve_python(f, imports, out),
            Parsed::Js(specs) => self.resolve_js(f, specs, out),
            Parsed::GoMod(_) | Parsed::Cargo(_) => 0,
        }
    }
}
