//! Targets: the files, directories and globs a bead's text names.
//!
//! Rules, in order:
//! - The text is split into tokens at whitespace, backticks, quotes,
//!   brackets, parentheses and `,;|=`. Markdown emphasis (`**x**`), a
//!   leading `<`, trailing `.,:;!?>`, a `:line`, `:line-line` or `#anchor`
//!   suffix and a leading `./` are stripped.
//! - Not paths: URLs (`://`, `www.`, `github.com/…`); an `@` anywhere but
//!   at the start of a directory (e-mail, `mod@v1.2`, `@org/pkg`; while
//!   `packages/@org/pkg/` is fine); absolute or home paths (`/…`, `~/…`,
//!   `$VAR/…`); flags (`-…`); characters other than letters, digits and
//!   `/._-*+@` (templates like `connectors/<name>/`); `.`/`..` components;
//!   numbers, fractions and dates (`1/2`, `2025/01/02`); versions
//!   (`v1.2.3`); `and/or`; acronym pairs (`I/O`, `TCP/IP`).
//! - A token with a `/`: a tracked file is kept as written; a tracked
//!   directory (`src/auth`, `src/auth/`, Go's `./src/auth/...`) becomes
//!   `src/auth/**`; an unknown path is kept only when its parent directory
//!   has tracked files and it looks like a file (it has an extension) or a
//!   directory (it ends in `/`, and becomes `dir/**`). `connectors/discover`
//!   (an RPC method name next to a real `connectors/` directory) is dropped.
//! - A glob (`docs/*.md`, `src/auth/**`) is kept when its literal directory
//!   prefix has tracked files; `*.md` and `**/x` have no prefix and are dropped.
//! - A bare name (`main.go`; any name inside backticks) is a tracked
//!   root-level file, or the single tracked file with that name, or, when
//!   several share it, the single one in a directory that the bead names
//!   elsewhere (`cmd/bd files: doctor.go`). Unknown bare names are dropped:
//!   without a directory we can't tell where a new file would go.
//! - Deduplicated in order of first mention (title, body, spec), then capped.

use std::collections::HashSet;

use super::TrackedFiles;

/// Extensions that make a bare word outside backticks worth looking up.
const KNOWN_EXTENSIONS: &[&str] = &[
    "rs", "go", "py", "ts", "tsx", "js", "jsx", "mjs", "cjs", "md", "toml", "yaml", "yml", "json",
    "jsonl", "sh", "sql", "proto", "c", "h", "cc", "cpp", "hpp", "java", "kt", "rb", "swift",
    "nix", "mod", "sum", "lock", "txt", "html", "css", "scss", "vue", "svelte", "lua", "zig", "cs",
    "php", "ex", "exs",
];

/// Top-level domains that mark `github.com/owner/repo` as a URL, not a path.
const DOMAINS: &[&str] = &[".com", ".org", ".net", ".io", ".dev", ".ai", ".app", ".co"];

/// Trailing punctuation that ends a sentence rather than a path.
const TRAILING: &[char] = &['.', ',', ':', ';', '!', '?', '>'];

/// Targets in `sections` (title, body, spec), validated against `tracked`.
pub(super) fn extract(sections: &[&str], tracked: &TrackedFiles, max: usize) -> Vec<String> {
    let mut tokens = Vec::new();
    for section in sections {
        tokenize(section, &mut tokens);
    }
    let candidates: Vec<Candidate<'_>> = tokens
        .iter()
        .filter_map(|t| parse(t.text, t.code))
        .collect();

    // Paths and globs first: the directories they name help place bare names.
    let mut context_dirs = HashSet::new();
    let mut resolved: Vec<Option<String>> = candidates
        .iter()
        .map(|candidate| {
            let (target, dir) = match *candidate {
                Candidate::Path { path, dir } => resolve_path(path, dir, tracked)?,
                Candidate::Glob { glob, prefix } => tracked
                    .dir_exists(prefix)
                    .then(|| (glob.to_string(), prefix))?,
                Candidate::Name(_) => return None,
            };
            context_dirs.insert(dir);
            Some(target)
        })
        .collect();
    for (slot, candidate) in resolved.iter_mut().zip(&candidates) {
        if let Candidate::Name(name) = *candidate {
            *slot = resolve_name(name, tracked, &context_dirs);
        }
    }

    let mut seen = HashSet::new();
    let mut targets = Vec::new();
    for target in resolved.into_iter().flatten() {
        if targets.len() >= max {
            break;
        }
        if seen.insert(target.clone()) {
            targets.push(target);
        }
    }
    targets
}

struct Token<'a> {
    text: &'a str,
    /// Inside a backtick span or fenced block.
    code: bool,
}

fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '`' | '"' | '\'' | '(' | ')' | '[' | ']' | ',' | ';' | '|' | '='
        )
}

fn tokenize<'a>(text: &'a str, out: &mut Vec<Token<'a>>) {
    let mut code = false;
    let mut prev_tick = false;
    let mut start = None;
    for (i, c) in text.char_indices() {
        if !is_separator(c) {
            start.get_or_insert(i);
            prev_tick = false;
            continue;
        }
        if let Some(s) = start.take() {
            out.push(Token {
                text: &text[s..i],
                code,
            });
        }
        // A run of backticks (`, ``, ```) opens or closes one span.
        if c == '`' && !prev_tick {
            code = !code;
        }
        prev_tick = c == '`';
    }
    if let Some(s) = start {
        out.push(Token {
            text: &text[s..],
            code,
        });
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Candidate<'a> {
    /// Has a `/`, or ends in one (`dir` is then true).
    Path { path: &'a str, dir: bool },
    /// Contains `*`; `prefix` is its literal directory part.
    Glob { glob: &'a str, prefix: &'a str },
    /// A bare file name.
    Name(&'a str),
}

fn parse(raw: &str, code: bool) -> Option<Candidate<'_>> {
    let starts_www = raw.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("www."));
    // `@` only as an npm scope directory: `packages/@scope/pkg`.
    let stray_at = raw
        .match_indices('@')
        .any(|(i, _)| !raw[..i].ends_with('/'));
    if starts_www || stray_at || raw.contains("://") {
        return None;
    }
    let s = strip_decoration(raw);
    // `path:line`, `path:line-line`, `path:line:col`, `path#anchor`.
    let mut s = s.split([':', '#']).next().unwrap_or_default();
    while let Some(rest) = s.strip_prefix("./") {
        s = rest;
    }
    if s.starts_with(['/', '~', '-'])
        || !s
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '*' | '+' | '@'))
    {
        return None;
    }
    // Most words: neither a path nor a file name.
    if !code && !s.contains(['/', '.']) {
        return None;
    }
    let dir = s.ends_with('/');
    let s = s.trim_end_matches('/');
    if s.is_empty() {
        return None;
    }
    let parts: Vec<&str> = s.split('/').collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || p.chars().all(|c| c == '.'))
        || is_prose(&parts)
    {
        return None;
    }
    if let Some(glob_at) = parts.iter().position(|p| p.contains('*')) {
        if glob_at == 0 {
            return None;
        }
        let prefix_len = parts[..glob_at].iter().map(|p| p.len() + 1).sum::<usize>() - 1;
        return Some(Candidate::Glob {
            glob: s,
            prefix: &s[..prefix_len],
        });
    }
    if parts.len() > 1 || dir {
        return Some(Candidate::Path { path: s, dir });
    }
    let known = extension(s)
        .is_some_and(|ext| KNOWN_EXTENSIONS.iter().any(|k| k.eq_ignore_ascii_case(ext)));
    (code || known).then_some(Candidate::Name(s))
}

/// Strips markdown emphasis and sentence punctuation around a token.
fn strip_decoration(raw: &str) -> &str {
    let s = raw.trim_start_matches('<');
    let body = s.trim_start_matches('*');
    let stars = s.len() - body.len();
    let mut s = body.trim_end_matches(TRAILING);
    // `**cmd/bd/main.go**` is bold; `src/auth/**` is a glob.
    for _ in 0..stars {
        match s.strip_suffix('*') {
            Some(rest) => s = rest,
            None => break,
        }
    }
    s.trim_end_matches(TRAILING)
}

/// Slash-separated words that are not paths: numbers, dates, fractions,
/// versions, `and/or`, `I/O`, `TCP/IP`, `github.com/owner/repo`.
fn is_prose(parts: &[&str]) -> bool {
    let all_digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
    let acronym = |p: &str| p.len() <= 4 && p.chars().all(|c| c.is_ascii_uppercase());
    parts.iter().all(|p| all_digits(p))
        || parts
            .iter()
            .any(|p| is_version(p) || p.eq_ignore_ascii_case("and") || p.eq_ignore_ascii_case("or"))
        || (parts.len() > 1 && parts.iter().all(|p| acronym(p)))
        || (parts.len() > 1
            && DOMAINS
                .iter()
                .any(|d| parts[0].to_ascii_lowercase().ends_with(d)))
}

/// `1.2`, `1.2.3`, `v0.30.4`.
fn is_version(part: &str) -> bool {
    let digits = part.strip_prefix(['v', 'V']).unwrap_or(part);
    digits.contains('.')
        && digits
            .split('.')
            .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// The extension of a file name: after the last `.`, not leading, with a letter.
fn extension(name: &str) -> Option<&str> {
    let (stem, ext) = name.rsplit_once('.')?;
    let plausible = !stem.is_empty()
        && (1..=10).contains(&ext.len())
        && ext.chars().all(|c| c.is_ascii_alphanumeric())
        && ext.chars().any(|c| c.is_ascii_alphabetic());
    plausible.then_some(ext)
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// The target for a slash path, and the directory it names (context for
/// bare names).
fn resolve_path<'a>(path: &'a str, dir: bool, tracked: &TrackedFiles) -> Option<(String, &'a str)> {
    if !dir && tracked.contains(path) {
        return Some((path.to_string(), parent(path)));
    }
    if tracked.dir_exists(path) {
        return Some((format!("{path}/**"), path));
    }
    let parent = parent(path);
    if parent.is_empty() || !tracked.dir_exists(parent) {
        return None;
    }
    // A new file or directory inside a known one.
    let name = path.rsplit('/').next().unwrap_or(path);
    if dir {
        Some((format!("{path}/**"), path))
    } else if extension(name).is_some() {
        Some((path.to_string(), parent))
    } else {
        None
    }
}

fn resolve_name(
    name: &str,
    tracked: &TrackedFiles,
    context_dirs: &HashSet<&str>,
) -> Option<String> {
    if tracked.contains(name) {
        return Some(name.to_string());
    }
    match tracked.by_file_name(name) {
        [] => None,
        [only] => Some(only.clone()),
        many => {
            let mut near = many.iter().filter(|p| context_dirs.contains(parent(p)));
            match (near.next(), near.next()) {
                (Some(one), None) => Some(one.clone()),
                _ => None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracked() -> TrackedFiles {
        TrackedFiles::new(
            [
                "README.md",
                "cmd/bd/main.go",
                "cmd/bd/doctor.go",
                "cmd/bd/doctor/fix/hooks.go",
                "cmd/bd/doctor/doctor.go",
                "docs/CONFIG.md",
                "internal/rpc/server.go",
                "internal/daemon/server.go",
                "src/auth/mod.rs",
                ".beads/issues.jsonl",
                "cmd/bd/templates/hooks/pre-commit",
            ]
            .map(String::from),
        )
    }

    fn targets(text: &str) -> Vec<String> {
        extract(&[text], &tracked(), 20)
    }

    #[test]
    fn test_parse_candidates() {
        use Candidate::*;
        let cases: &[(&str, bool, Option<Candidate<'_>>)] = &[
            (
                "src/auth/mod.rs",
                false,
                Some(Path {
                    path: "src/auth/mod.rs",
                    dir: false,
                }),
            ),
            (
                "./src/auth/",
                false,
                Some(Path {
                    path: "src/auth",
                    dir: true,
                }),
            ),
            (
                "./cmd/bd/...",
                false,
                Some(Path {
                    path: "cmd/bd",
                    dir: true,
                }),
            ),
            (
                "**cmd/bd/main.go**:",
                false,
                Some(Path {
                    path: "cmd/bd/main.go",
                    dir: false,
                }),
            ),
            (
                "src/auth/**",
                false,
                Some(Glob {
                    glob: "src/auth/**",
                    prefix: "src/auth",
                }),
            ),
            (
                "docs/*.md.",
                false,
                Some(Glob {
                    glob: "docs/*.md",
                    prefix: "docs",
                }),
            ),
            ("queries.go:1186:2.", false, Some(Name("queries.go"))),
            ("costs.go:1010-1026", false, Some(Name("costs.go"))),
            (
                "docs/CONFIG.md#env",
                false,
                Some(Path {
                    path: "docs/CONFIG.md",
                    dir: false,
                }),
            ),
            ("Makefile", true, Some(Name("Makefile"))),
            ("Makefile", false, None),
            ("*.md", false, None),
            ("**/*.rs", false, None),
            ("v1.2.3", true, None),
            ("1.2.3", false, None),
            ("release/v0.30.4", false, None),
            ("https://github.com/steveyegge/beads", false, None),
            ("www.example.com/x.md", false, None),
            ("github.com/steveyegge/beads", false, None),
            ("steve.yegge@gmail.com", false, None),
            ("github.com/anthropics/mol-code-review@v1.2.0", false, None),
            ("@beads/bd", false, None),
            (
                "packages/@beads/bd/package.json",
                false,
                Some(Path {
                    path: "packages/@beads/bd/package.json",
                    dir: false,
                }),
            ),
            ("and/or", false, None),
            ("I/O", false, None),
            ("TCP/IP", false, None),
            ("2025/01/02", false, None),
            ("1/2", false, None),
            ("975/976", false, None),
            ("42", true, None),
            ("/Users/stevey/gt/beads/cmd/bd/mol_run.go:130", false, None),
            ("~/gt/docs/hop/PROPERTY-LAYERS.md.", false, None),
            ("--db", false, None),
            ("connectors/<name>/", false, None),
            ("../other/file.rs", false, None),
            ("a//b.rs", false, None),
            ("23.9%", false, None),
        ];
        for (raw, code, want) in cases {
            assert_eq!(parse(raw, *code), *want, "{raw}");
        }
    }

    #[test]
    fn test_tracked_and_directories() {
        assert_eq!(
            targets("see src/auth/mod.rs and src/auth"),
            ["src/auth/mod.rs", "src/auth/**"]
        );
        assert_eq!(
            targets("in `src/auth/` (and cmd/bd/...)"),
            ["src/auth/**", "cmd/bd/**"]
        );
        assert_eq!(
            targets("the .beads/issues.jsonl file"),
            [".beads/issues.jsonl"]
        );
    }

    #[test]
    fn test_unknown_paths_need_a_known_parent_and_a_shape() {
        assert_eq!(targets("create src/auth/token.rs"), ["src/auth/token.rs"]);
        assert_eq!(
            targets("new package internal/merge/"),
            ["internal/merge/**"]
        );
        // No extension, no trailing slash: probably not a path.
        assert!(targets("call internal/discover").is_empty());
        // Parent unknown.
        assert!(targets("src/billing/mod.rs delivered/signed/voided").is_empty());
    }

    #[test]
    fn test_globs_need_a_literal_prefix_that_exists() {
        assert_eq!(
            targets("all of docs/*.md and src/**/*.rs"),
            ["docs/*.md", "src/**/*.rs"]
        );
        assert!(targets("split into doctor/checks/*.go, touch *.md").is_empty());
    }

    #[test]
    fn test_bare_names() {
        // Unique name, root file, ambiguous, unknown.
        assert_eq!(
            targets("fix main.go and README.md"),
            ["cmd/bd/main.go", "README.md"]
        );
        assert!(targets("fix server.go and nothing.go").is_empty());
        // Ambiguous, but the bead names the directory elsewhere.
        assert_eq!(
            targets("doctor.go in cmd/bd/main.go"),
            ["cmd/bd/doctor.go", "cmd/bd/main.go"]
        );
        assert_eq!(
            targets("server.go under internal/rpc/"),
            ["internal/rpc/server.go", "internal/rpc/**"]
        );
        // Names without a known extension only count in backticks.
        assert!(targets("the pre-commit hook").is_empty());
        assert_eq!(
            targets("the `pre-commit` hook"),
            ["cmd/bd/templates/hooks/pre-commit"]
        );
    }

    #[test]
    fn test_dedupe_and_cap() {
        let text = "main.go cmd/bd/main.go `cmd/bd/main.go` docs/CONFIG.md src/auth/mod.rs";
        assert_eq!(
            extract(&[text], &tracked(), 2),
            ["cmd/bd/main.go", "docs/CONFIG.md"]
        );
        assert!(extract(&[text], &tracked(), 0).is_empty());
    }

    #[test]
    fn test_sections_keep_order_and_own_backticks() {
        // An unclosed backtick in the title doesn't leak into the body.
        let got = extract(
            &["fix `README.md", "Makefile docs/CONFIG.md"],
            &tracked(),
            8,
        );
        assert_eq!(got, ["README.md", "docs/CONFIG.md"]);
    }
}
