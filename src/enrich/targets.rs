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
//!   `src/auth/**`. When its first directory is tracked at the root, an
//!   unknown path is kept only when its parent directory has tracked files
//!   and it looks like a file (it has an extension) or a directory (it ends
//!   in `/`, and becomes `dir/**`); `connectors/discover` (an RPC method
//!   name next to a real `connectors/` directory) is dropped.
//! - Otherwise the path is relative to some directory (`e2e/flow.sh`,
//!   `fcp-sdk/retry.rs`): it is the tracked file or directory whose path
//!   ends in it, also with `src/` after its first component
//!   (`crates/fcp-sdk/src/retry.rs`) and, written without an extension, as
//!   a module (`fcp-mesh/symbol_request` is
//!   `crates/fcp-mesh/src/symbol_request.rs`). Several matches are settled
//!   like bare names (below). No match: it is a list of names
//!   (`fcp-store/fcp-audit`, "Twitter/X connector", `fcp-mesh/new.rs`),
//!   each a package name or not by the rule below.
//! - A glob (`docs/*.md`, `src/auth/**`) is kept when its literal directory
//!   prefix has tracked files; `*.md` and `**/x` have no prefix and are dropped.
//! - A bare file name (`main.go`; any name inside backticks) is a tracked
//!   root-level file, or the single tracked file with that name, or, when
//!   several share it, the single one in a directory that the bead names
//!   elsewhere by a path or package name (`cmd/bd files: doctor.go`), else
//!   the single one somewhere under such a directory (`lib.rs` of the
//!   `fcp-mesh` crate). Unknown bare names are dropped: without a directory
//!   we can't tell where a new file would go.
//! - Package names: a tracked directory at depth 1 or 2 that no other
//!   directory there shares its name with (`crates/fcp-mesh`,
//!   `connectors/plaid`) becomes `dir/**` when a word names it
//!   unmistakably: as written, when the name has an inner `-`, `_` or `.`
//!   (`fcp-mesh`, `beads-mcp`); qualified by a namespace (`fcp.plaid` for
//!   `connectors/plaid`); or, weakest, a plain word (any case) next to its
//!   kind, the singular or plural of the top-level directory it is in when
//!   that one is named by a plural ("Plaid connector", "connectors: plaid",
//!   "mesh docs"; never under `internal/`, `cmd/` or `src/`). Plain words
//!   alone (`daemon`, `config`, `linear`) never count.
//! - Subcommands, in the title or as the first words of inline code in the
//!   body or spec (`` `bd sync --check` ``; bodies run commands in
//!   reproduction steps, in plain text or fenced blocks): `<program> <sub>`,
//!   where `<program>` names a package directory
//!   holding a `main.*` file and `<sub>.*` is a single tracked file in it
//!   (`bd list` is `cmd/bd/list.go`; `bd export/import` names two). A
//!   nested subcommand names its own file when the program has one
//!   (`bd mol squash` is `cmd/bd/mol_squash.go`, not `mol.go`).
//! - The tracker's own data (`.beads/`, `.gemba/`) is never a target: bug
//!   reports quote it, work doesn't change it.
//! - A package glob is dropped when the text names a path inside it: the
//!   path says where in the package.
//! - Deduplicated; targets the text names (paths, globs, file names) come
//!   first, in order of first mention (title, body, spec), then those
//!   inferred from package and subcommand names, in the same order; a plain
//!   word next to its kind counts only when nothing else is found.
//! - A directory holding more than 50 tracked files (a whole program,
//!   `cmd/bd/**`) is dropped when anything else is found: it claims every
//!   file there, so it would collide with every bead in the program.
//! - A bead whose title is about tests (`test`, `tests`, `testing`,
//!   `coverage`) targets test files: a directory becomes the glob of the
//!   test naming convention most of its files follow (`dir/**/*_test.*`,
//!   `dir/**/test_*`, `*.test.*`, `*.spec.*`; kept whole when none is
//!   followed, as in Rust, whose unit tests live in the source), and a
//!   source file brings its tracked test file (`x_test.go`, `test_x.py`,
//!   `x.test.ts`, `tests/x.rs`) right after it.
//! - Then capped.

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

/// Directories where trackers keep their own data (beads, gemba).
const TRACKER_DIRS: &[&str] = &[".beads", ".gemba"];

/// Targets in `sections` (title, body, spec), validated against `tracked`.
pub(super) fn extract<'a>(
    sections: &[&'a str],
    tracked: &'a TrackedFiles,
    max: usize,
) -> Vec<String> {
    let mut tokens = Vec::new();
    for (section, text) in sections.iter().enumerate() {
        tokenize(text, section, &mut tokens);
    }
    let neighbor = |i: usize, j: Option<usize>| {
        let t: &Token<'a> = tokens.get(j?)?;
        (t.section == tokens[i].section).then_some(t.text)
    };

    // Paths, globs, package and command names first: the directories they
    // name help place bare names and ambiguous relative paths.
    let mut context = HashSet::new();
    let mut found: Vec<Found<'a>> = Vec::with_capacity(tokens.len());
    for (i, token) in tokens.iter().enumerate() {
        let start = found.len();
        let near = Neighbors {
            prev: neighbor(i, i.checked_sub(1)),
            next: neighbor(i, Some(i + 1)),
            after_next: neighbor(i, Some(i + 2)),
        };
        match parse(token.text, token.code) {
            Some(Candidate::Path { path, dir }) => {
                resolve_path(path, dir, near, tracked, &mut found);
            }
            Some(Candidate::Glob { glob, prefix }) if tracked.dir_exists(prefix) => {
                found.push(Found::named(glob.to_string(), prefix));
            }
            Some(Candidate::Word { word, code }) => {
                let place = match (token.section, token.quoted) {
                    (0, _) => Place::Title,
                    (_, true) => Place::Quoted,
                    _ => Place::Text,
                };
                resolve_word(word, code, place, near, tracked, &mut found);
            }
            Some(Candidate::Glob { .. }) | None => {}
        }
        for f in &found[start..] {
            if let Found::Target { dir, .. } = f
                && !dir.is_empty()
            {
                context.insert(*dir);
            }
        }
    }
    for f in &mut found {
        if let Found::Choose(choices) = f {
            *f = pick(choices, &context);
        }
    }

    let found: Vec<(&str, Evidence)> = found
        .iter()
        .filter_map(|f| match f {
            Found::Target {
                target, evidence, ..
            } if !is_tracker_data(target) => Some((target.as_str(), *evidence)),
            _ => None,
        })
        .collect();
    // A package the text also names a path in is only where that path is.
    let named: Vec<&str> = found
        .iter()
        .filter(|(_, e)| *e == Evidence::Named)
        .map(|(t, _)| *t)
        .collect();
    let covered = |target: &str| {
        target.strip_suffix("/**").is_some_and(|dir| {
            named.iter().any(|n| {
                n.strip_prefix(dir)
                    .is_some_and(|rest| rest.starts_with('/'))
            })
        })
    };
    let found: Vec<(&str, Evidence)> = found
        .into_iter()
        .filter(|(t, e)| *e == Evidence::Named || !covered(t))
        .collect();
    let strong = found.iter().any(|(_, e)| *e != Evidence::Weak);
    let tiers: &[Evidence] = if strong {
        &[Evidence::Named, Evidence::Inferred]
    } else {
        &[Evidence::Weak]
    };
    let mut seen = HashSet::new();
    let mut targets: Vec<String> = Vec::new();
    for tier in tiers {
        for (target, evidence) in &found {
            if evidence == tier && seen.insert(*target) {
                targets.push(target.to_string());
            }
        }
    }
    let targets = refine(targets, sections.first().copied().unwrap_or(""), tracked);
    let mut seen = HashSet::new();
    targets
        .into_iter()
        .filter(|t| seen.insert(t.clone()))
        .take(max)
        .collect()
}

/// A directory with more tracked files than this is too coarse a target
/// next to anything more precise: `dir/**` on a whole program claims every
/// file of it, so it collides with every other bead there.
const COARSE_DIR_FILES: usize = 50;

/// Rules on the whole list, in order: coarse directories give way to
/// anything more precise; a bead about tests targets test files.
fn refine(targets: Vec<String>, title: &str, tracked: &TrackedFiles) -> Vec<String> {
    let coarse = |t: &str| {
        t.strip_suffix("/**")
            .is_some_and(|dir| tracked.under(dir).len() > COARSE_DIR_FILES)
    };
    let targets = if targets.iter().any(|t| !coarse(t)) {
        targets.into_iter().filter(|t| !coarse(t)).collect()
    } else {
        targets
    };
    if !about_tests(title) {
        return targets;
    }
    let mut out = Vec::with_capacity(targets.len());
    for target in targets {
        if let Some(dir) = target.strip_suffix("/**") {
            let globs = test_globs(dir, tracked);
            if globs.is_empty() {
                out.push(target);
            } else {
                out.extend(globs);
            }
        } else {
            let tests = test_partners(&target, tracked);
            out.push(target);
            out.extend(tests);
        }
    }
    out
}

/// Does the title say the work is about tests (`test`, `tests`, `testing`,
/// `coverage`, as words in any case)?
fn about_tests(title: &str) -> bool {
    title.split(|c: char| !c.is_alphanumeric()).any(|w| {
        ["test", "tests", "testing", "coverage"]
            .iter()
            .any(|k| w.eq_ignore_ascii_case(k))
    })
}

/// Does a file name follow a test naming convention?
type Follows = fn(&str) -> bool;

/// How test files are named, by convention: the glob below a directory
/// for each convention, and whether a file name follows it.
const TEST_CONVENTIONS: &[(&str, Follows)] = &[
    ("**/*_test.*", |name| {
        without_extension(name).ends_with("_test")
    }),
    ("**/test_*", |name| name.starts_with("test_")),
    ("**/*.test.*", |name| name.contains(".test.")),
    ("**/*.spec.*", |name| name.contains(".spec.")),
];

/// Is `path` a test file by name or place (`x_test.go`, `test_x.py`,
/// `x.test.ts`, `x.spec.js`, anything under `tests/`, `test/` or `__tests__/`)?
fn is_test_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    TEST_CONVENTIONS.iter().any(|(_, follows)| follows(name))
        || parent(path)
            .split('/')
            .any(|c| matches!(c, "tests" | "test" | "__tests__"))
}

/// The test files of a directory as a glob for the naming convention most
/// of them follow beside their code (`dir/**/*_test.*`, `dir/**/test_*`,
/// ...; several on a tie). Empty when no file under it follows one:
/// languages whose unit tests live in the source file (Rust) keep `dir/**`.
fn test_globs(dir: &str, tracked: &TrackedFiles) -> Vec<String> {
    let files = tracked.under(dir);
    let counts: Vec<usize> = TEST_CONVENTIONS
        .iter()
        .map(|(_, follows)| {
            files
                .iter()
                .filter(|p| follows(p.rsplit('/').next().unwrap_or(p)))
                .count()
        })
        .collect();
    let most = counts.iter().copied().max().unwrap_or(0);
    TEST_CONVENTIONS
        .iter()
        .zip(counts)
        .filter(|(_, n)| most > 0 && *n == most)
        .map(|((glob, _), _)| format!("{dir}/{glob}"))
        .collect()
}

/// The tracked test files that go with a source file: `x_test.go`,
/// `test_x.py`, `x.test.ts`, `x.spec.ts` beside it, or its name (or
/// `test_` + its name) in a `tests/` directory beside it or one or two
/// levels up (`src/x.rs` and `tests/x.rs`).
fn test_partners(path: &str, tracked: &TrackedFiles) -> Vec<String> {
    if path.contains('*') || is_test_file(path) || !tracked.contains(path) {
        return Vec::new();
    }
    let dir = parent(path);
    let name = path.rsplit('/').next().unwrap_or(path);
    let Some(ext) = extension(name) else {
        return Vec::new();
    };
    let stem = &name[..name.len() - ext.len() - 1];
    let join = |dir: &str, name: &str| match dir {
        "" => name.to_string(),
        _ => format!("{dir}/{name}"),
    };
    let mut candidates = vec![
        join(dir, &format!("{stem}_test.{ext}")),
        join(dir, &format!("test_{name}")),
        join(dir, &format!("{stem}.test.{ext}")),
        join(dir, &format!("{stem}.spec.{ext}")),
    ];
    let mut up = Some(dir);
    for _ in 0..3 {
        let Some(d) = up else { break };
        for t in ["tests", "test"] {
            let tests = join(d, t);
            candidates.push(join(&tests, name));
            candidates.push(join(&tests, &format!("test_{name}")));
        }
        up = (!d.is_empty()).then(|| parent(d));
    }
    candidates
        .into_iter()
        .filter(|c| tracked.contains(c))
        .collect()
}

/// How a target was found, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Evidence {
    /// The text names the path, a glob or a file name.
    Named,
    /// From a package or subcommand name.
    Inferred,
    /// From a plain word next to its kind ("Plaid connector"); used only
    /// when nothing stronger is found.
    Weak,
}

struct Token<'a> {
    text: &'a str,
    /// Inside a backtick span or fenced block.
    code: bool,
    /// The first word of an inline backtick span (`` `bd sync` ``), not of
    /// a fenced block.
    quoted: bool,
    /// Index of the section (title, body, spec) it comes from.
    section: usize,
}

fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '`' | '"' | '\'' | '(' | ')' | '[' | ']' | ',' | ';' | '|' | '='
        )
}

fn tokenize<'a>(text: &'a str, section: usize, out: &mut Vec<Token<'a>>) {
    let mut code = false;
    let mut quoted = false;
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
                quoted,
                section,
            });
            quoted = false;
        }
        // A run of backticks (`, ``, ```) opens or closes one span.
        if c == '`' && !prev_tick {
            code = !code;
            let run = text[i..].bytes().take_while(|b| *b == b'`').count();
            quoted = code && run < 3;
        }
        prev_tick = c == '`';
    }
    if let Some(s) = start {
        out.push(Token {
            text: &text[s..],
            code,
            quoted,
            section,
        });
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Candidate<'a> {
    /// Has a `/`, or ends in one (`dir` is then true).
    Path { path: &'a str, dir: bool },
    /// Contains `*`; `prefix` is its literal directory part.
    Glob { glob: &'a str, prefix: &'a str },
    /// One word: a file name (`main.go`, anything in backticks), or maybe a
    /// package or subcommand name.
    Word { word: &'a str, code: bool },
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
    // `.md` (left of `*.md`) or `.github` outside backticks: not a name.
    let dot_word = s.starts_with('.') && !s.contains('/') && extension(s).is_none();
    if s.starts_with(['/', '~', '-'])
        || (dot_word && !code)
        || !s
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '*' | '+' | '@'))
    {
        return None;
    }
    let dir = s.ends_with('/');
    let s = s.trim_end_matches('/');
    if s.is_empty() {
        return None;
    }
    // Most tokens are single words: no allocation for them.
    let word = [s];
    let split: Vec<&str>;
    let parts: &[&str] = if s.contains('/') {
        split = s.split('/').collect();
        &split
    } else {
        &word
    };
    if parts
        .iter()
        .any(|p| p.is_empty() || p.chars().all(|c| c == '.'))
        || is_prose(parts)
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
    Some(Candidate::Word { word: s, code })
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

fn has_known_extension(name: &str) -> bool {
    extension(name).is_some_and(|ext| KNOWN_EXTENSIONS.iter().any(|k| k.eq_ignore_ascii_case(ext)))
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// `path` minus the extension of its last component, if any.
fn without_extension(path: &str) -> &str {
    let name_at = path.rfind('/').map_or(0, |i| i + 1);
    match path[name_at..].rfind('.') {
        Some(dot) if dot > 0 => &path[..name_at + dot],
        _ => path,
    }
}

/// Does `path` end in `suffix` at a component boundary (and have more)?
fn ends_with_components(path: &str, suffix: &str) -> bool {
    path.len() > suffix.len()
        && path.ends_with(suffix)
        && path.as_bytes()[path.len() - suffix.len() - 1] == b'/'
}

fn is_tracker_data(target: &str) -> bool {
    let top = target.split('/').next().unwrap_or(target);
    TRACKER_DIRS.contains(&top)
}

/// What one token resolved to.
#[derive(Debug)]
enum Found<'a> {
    Nothing,
    Target {
        target: String,
        /// The directory it names or sits in: context for bare names and
        /// ambiguous relative paths; empty for a file found by bare name.
        dir: &'a str,
        evidence: Evidence,
    },
    /// Several tracked paths fit; the directories named elsewhere may pick one.
    Choose(Vec<Choice<'a>>),
}

impl<'a> Found<'a> {
    fn named(target: String, dir: &'a str) -> Self {
        Found::Target {
            target,
            dir,
            evidence: Evidence::Named,
        }
    }

    fn file(path: &'a str) -> Self {
        Found::named(path.to_string(), parent(path))
    }

    /// A file found by its bare name: it names no directory.
    fn bare(path: &'a str) -> Self {
        Found::named(path.to_string(), "")
    }

    fn package(dir: &'a str, evidence: Evidence) -> Self {
        Found::Target {
            target: format!("{dir}/**"),
            dir,
            evidence,
        }
    }

    fn choose(choices: Vec<Choice<'a>>) -> Self {
        match choices.as_slice() {
            [] => Found::Nothing,
            [one] => one.found(),
            _ => Found::Choose(choices),
        }
    }
}

/// A tracked file, or a tracked directory (targeted as `dir/**`).
#[derive(Debug, Clone, Copy)]
struct Choice<'a> {
    path: &'a str,
    dir: bool,
}

impl<'a> Choice<'a> {
    fn found(self) -> Found<'a> {
        if self.dir {
            Found::named(format!("{}/**", self.path), self.path)
        } else {
            Found::file(self.path)
        }
    }
}

/// The single choice in a directory named elsewhere, else the single one
/// somewhere under such a directory.
fn pick<'a>(choices: &[Choice<'a>], context: &HashSet<&str>) -> Found<'a> {
    let near: Vec<&Choice<'a>> = choices
        .iter()
        .filter(|c| context.contains(parent(c.path)))
        .collect();
    let fits = if near.is_empty() {
        choices
            .iter()
            .filter(|c| {
                (c.dir && context.contains(c.path))
                    || c.path
                        .match_indices('/')
                        .any(|(i, _)| context.contains(&c.path[..i]))
            })
            .collect()
    } else {
        near
    };
    match fits.as_slice() {
        [one] => one.found(),
        _ => Found::Nothing,
    }
}

/// The targets for a slash path.
fn resolve_path<'a>(
    path: &'a str,
    dir: bool,
    near: Neighbors<'_>,
    tracked: &'a TrackedFiles,
    out: &mut Vec<Found<'a>>,
) {
    if !dir && tracked.contains(path) {
        return out.push(Found::file(path));
    }
    if tracked.dir_exists(path) {
        return out.push(Found::named(format!("{path}/**"), path));
    }
    let (head, rest) = path.split_once('/').unwrap_or((path, ""));
    if tracked.dir_exists(head) {
        // Anchored at the root: a new file or directory inside a known one.
        let parent = parent(path);
        if parent.is_empty() || !tracked.dir_exists(parent) {
            return;
        }
        let name = path.rsplit('/').next().unwrap_or(path);
        if dir {
            out.push(Found::named(format!("{path}/**"), path));
        } else if extension(name).is_some() {
            out.push(Found::named(path.to_string(), parent));
        }
        return;
    }
    // Relative to a directory somewhere in the tree.
    match relative_matches(path, head, rest, dir, tracked) {
        Found::Nothing if !dir => {
            // Not a path after all: a list of names (`fcp-store/fcp-audit`,
            // "Twitter/X connector").
            out.extend(
                path.split('/')
                    .filter_map(|part| package(part, near, tracked)),
            );
        }
        found => out.push(found),
    }
}

/// Tracked files and directories whose path ends in `path`, or in `path`
/// with `src/` after its first component; without an extension, also
/// files that do once their extension is dropped (`fcp-mesh/node` finds
/// `crates/fcp-mesh/src/node.rs`).
fn relative_matches<'a>(
    path: &str,
    head: &str,
    rest: &str,
    dir: bool,
    tracked: &'a TrackedFiles,
) -> Found<'a> {
    let with_src = (!rest.is_empty()).then(|| format!("{head}/src/{rest}"));
    let fits = |p: &str| {
        ends_with_components(p, path)
            || with_src
                .as_deref()
                .is_some_and(|s| ends_with_components(p, s))
    };
    let name = path.rsplit('/').next().unwrap_or(path);
    let mut choices: Vec<Choice<'a>> = Vec::new();
    if !dir {
        let files = tracked.by_file_name(name).iter().filter(|p| fits(p));
        choices.extend(files.map(|p| Choice {
            path: p,
            dir: false,
        }));
        if choices.is_empty() && extension(name).is_none() {
            let modules = tracked
                .by_stem(name)
                .iter()
                .filter(|p| p.len() != without_extension(p).len() && fits(without_extension(p)));
            choices.extend(modules.map(|p| Choice {
                path: p,
                dir: false,
            }));
        }
    }
    if dir || extension(name).is_none() {
        let dirs = tracked.dirs_by_name(name).iter().filter(|p| fits(p));
        choices.extend(dirs.map(|p| Choice { path: p, dir: true }));
    }
    Found::choose(choices)
}

/// The words around a token, in the same section.
#[derive(Debug, Clone, Copy)]
struct Neighbors<'t> {
    prev: Option<&'t str>,
    next: Option<&'t str>,
    /// The word after `next`: a sub-subcommand (`bd mol squash`).
    after_next: Option<&'t str>,
}

/// Where a word stands, for the subcommand rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Title,
    /// First word of an inline code span in the body or spec.
    Quoted,
    Text,
}

/// The targets for a single word: a file name, a subcommand or a package.
fn resolve_word<'a>(
    word: &'a str,
    code: bool,
    place: Place,
    near: Neighbors<'_>,
    tracked: &'a TrackedFiles,
    out: &mut Vec<Found<'a>>,
) {
    let known = has_known_extension(word);
    if code || known {
        if tracked.contains(word) {
            return out.push(Found::bare(word));
        }
        match tracked.by_file_name(word) {
            // A file we don't track; without an extension, maybe a package.
            [] if known => return,
            [] => {}
            [one] => return out.push(Found::bare(one)),
            many => {
                let choices = many.iter().map(|p| Choice {
                    path: p,
                    dir: false,
                });
                return out.push(Found::Choose(choices.collect()));
            }
        }
    }
    // Titles say which command a bead changes; bodies run commands in
    // reproduction steps (plain text, fenced blocks) and name the ones they
    // change in inline code (`` `bd sync --check` ``).
    if place != Place::Text
        && let Some(next) = near.next
    {
        let before = out.len();
        // `bd mol squash` -> `mol_squash.go` when the program has one:
        // the subcommand's own file, not its parent's.
        let nested = near
            .after_next
            .filter(|_| is_plain_name(next))
            .and_then(|sub| subcommand(word, &format!("{next}_{sub}"), tracked));
        if let Some(file) = nested {
            out.push(Found::Target {
                target: file.to_string(),
                dir: parent(file),
                evidence: Evidence::Inferred,
            });
            return;
        }
        for sub in next.split('/') {
            if let Some(file) = subcommand(word, sub, tracked) {
                out.push(Found::Target {
                    target: file.to_string(),
                    dir: parent(file),
                    evidence: Evidence::Inferred,
                });
            }
        }
        if out.len() > before {
            return;
        }
    }
    out.extend(package(word, near, tracked));
}

/// A name that can't be an ordinary word: an inner `-`, `_` or `.`, and a
/// letter (`fcp-mesh`, `beads_mcp`, not `1-2` or `.github`).
fn is_distinctive(name: &str) -> bool {
    let inner = name
        .char_indices()
        .any(|(i, c)| matches!(c, '-' | '_' | '.') && i > 0 && i + 1 < name.len());
    inner && name.chars().any(|c| c.is_alphabetic())
}

/// Lowercase letters, digits, `-` and `_`, starting with a letter.
fn is_plain_name(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_lowercase())
        && word
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_'))
}

/// The package directory a word names, if it names one unmistakably.
fn package<'a>(word: &str, near: Neighbors<'_>, tracked: &'a TrackedFiles) -> Option<Found<'a>> {
    if has_known_extension(word) {
        return None;
    }
    // `fcp-mesh`, `beads-mcp`: as written.
    if is_distinctive(word)
        && let Some(dir) = tracked.package_dir(word)
    {
        return Some(Found::package(dir, Evidence::Inferred));
    }
    // A package inside a root directory (`connectors/plaid`), named by
    // something that can't be a plain word.
    let nested = |name: &str| {
        tracked
            .package_dir(name)
            .filter(|d| d.contains('/') && !is_tracker_data(d))
    };
    // `fcp.plaid`: qualified by a namespace.
    if let Some((ns, name)) = word.split_once('.') {
        let qualified = ns.starts_with(|c: char| c.is_ascii_alphabetic())
            && ns.chars().all(|c| c.is_ascii_alphanumeric())
            && name.len() >= 3
            && is_plain_name(name);
        return nested(name)
            .filter(|_| qualified)
            .map(|dir| Found::package(dir, Evidence::Inferred));
    }
    // "Plaid connector", "connectors: plaid": next to its kind, the singular
    // or plural of a root directory named by a plural (`connectors/`; not
    // `internal/`, `cmd/` or `src/`).
    if word.len() < 3 || !word.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let neighbors = [near.prev, near.next]
        .map(|w| w.map_or("", |w| w.trim_matches(|c: char| !c.is_alphanumeric())));
    let root = tracked.roots().iter().find(|root| {
        let one = root.strip_suffix('s').filter(|one| one.len() >= 3);
        one.is_some_and(|one| {
            neighbors
                .iter()
                .any(|w| w.eq_ignore_ascii_case(one) || w.eq_ignore_ascii_case(root))
        })
    })?;
    let dir = nested(&word.to_ascii_lowercase())?;
    (parent(dir) == root).then(|| Found::package(dir, Evidence::Weak))
}

/// `bd list` -> `cmd/bd/list.go`: `program` is a package directory with a
/// `main.*` file, `sub` the stem of a single tracked file in it.
fn subcommand<'a>(program: &str, sub: &str, tracked: &'a TrackedFiles) -> Option<&'a str> {
    let sub = sub.trim_end_matches(TRAILING);
    if !is_plain_name(sub) {
        return None;
    }
    let dir = tracked.package_dir(program)?;
    let in_dir = |p: &&String| parent(p) == dir;
    tracked.by_stem("main").iter().find(in_dir)?;
    let mut files = tracked.by_stem(sub).iter().filter(in_dir);
    match (files.next(), files.next()) {
        (Some(one), None) => Some(one),
        _ => None,
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
            (
                "queries.go:1186:2.",
                false,
                Some(Word {
                    word: "queries.go",
                    code: false,
                }),
            ),
            (
                "costs.go:1010-1026",
                false,
                Some(Word {
                    word: "costs.go",
                    code: false,
                }),
            ),
            (
                "docs/CONFIG.md#env",
                false,
                Some(Path {
                    path: "docs/CONFIG.md",
                    dir: false,
                }),
            ),
            (
                "Makefile",
                true,
                Some(Word {
                    word: "Makefile",
                    code: true,
                }),
            ),
            (
                "**fcp.plaid**:",
                false,
                Some(Word {
                    word: "fcp.plaid",
                    code: false,
                }),
            ),
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
        // The tracker's own data is not a target.
        assert!(targets("the .beads/issues.jsonl file and .beads/").is_empty());
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

    /// A workspace with package roots, a program and tracker data.
    fn workspace() -> TrackedFiles {
        TrackedFiles::new(
            [
                "cmd/bd/main.go",
                "cmd/bd/list.go",
                "cmd/bd/export.go",
                "cmd/bd/import.go",
                "internal/daemon/server.go",
                "internal/config/config.go",
                "crates/fcp-mesh/Cargo.toml",
                "crates/fcp-mesh/src/lib.rs",
                "crates/fcp-mesh/src/gossip.rs",
                "crates/fcp-sdk/Cargo.toml",
                "crates/fcp-sdk/src/lib.rs",
                "crates/fcp-sdk/src/retry.rs",
                "crates/fcp-sdk/tests/vectors/a.json",
                "crates/fcp-store/src/lib.rs",
                "connectors/plaid/src/lib.rs",
                "connectors/linear/src/lib.rs",
                "connectors/linear/tests/integration.rs",
                "connectors/gmail/tests/integration.rs",
                "scripts/e2e/replay_flow.sh",
                "docs/mesh/overview.md",
                "tools/a/common/x.rs",
                "tools/b/common/y.rs",
                ".beads/issues.jsonl",
                ".beads/formulas/release.toml",
                ".gemba/config.yaml",
            ]
            .map(String::from),
        )
    }

    fn in_workspace(title: &str, body: &str) -> Vec<String> {
        extract(&[title, body], &workspace(), 20)
    }

    #[test]
    fn test_relative_paths() {
        // Ends a single tracked path, with `src/` after a crate, as a module.
        for (text, want) in [
            ("`e2e/replay_flow.sh`", "scripts/e2e/replay_flow.sh"),
            ("fcp-sdk/retry.rs: jitter", "crates/fcp-sdk/src/retry.rs"),
            (
                "fcp-mesh/gossip: more tests",
                "crates/fcp-mesh/src/gossip.rs",
            ),
            ("see tests/vectors/", "crates/fcp-sdk/tests/vectors/**"),
        ] {
            assert_eq!(in_workspace(text, ""), [want], "{text}");
        }
        // Several fit: the one under a package the bead names, else none.
        assert_eq!(
            in_workspace(
                "Gmail connector",
                "add tests/integration.rs for `fcp.gmail`"
            ),
            ["connectors/gmail/tests/integration.rs"]
        );
        assert!(in_workspace("add tests/integration.rs", "").is_empty());
        // Unknown below a known package: the package.
        assert_eq!(
            in_workspace("fcp-mesh/routing.rs", ""),
            ["crates/fcp-mesh/**"]
        );
    }

    #[test]
    fn test_package_names() {
        // As written when distinctive; qualified; plain words never alone.
        assert_eq!(in_workspace("Migrate fcp-mesh", ""), ["crates/fcp-mesh/**"]);
        assert_eq!(
            in_workspace("fcp.plaid: banking", ""),
            ["connectors/plaid/**"]
        );
        assert!(in_workspace("the daemon config is linear, see mesh notes", "").is_empty());
        // `docs/mesh` is at depth 2, but a qualified word needs a known host.
        assert!(in_workspace("`api.linear.app` and e.g. x.y", "").is_empty());
        // Names shared by two directories at depth 2 name neither.
        assert!(in_workspace("the common-x and `common`", "").is_empty());
        // Next to its kind, only when nothing stronger is found.
        assert_eq!(
            in_workspace("Linear connector", ""),
            ["connectors/linear/**"]
        );
        assert_eq!(
            in_workspace("connectors: linear", ""),
            ["connectors/linear/**"]
        );
        assert_eq!(in_workspace("update the mesh docs", ""), ["docs/mesh/**"]);
        // `internal` is no kind: "internal config" is prose.
        assert!(in_workspace("the internal config", "").is_empty());
        assert_eq!(
            in_workspace("Linear Connector e2e run", "uses fcp-sdk"),
            ["crates/fcp-sdk/**"]
        );
        // A slash list of names.
        assert_eq!(
            in_workspace("fcp-store/fcp-mesh/fcp-nothing", ""),
            ["crates/fcp-store/**", "crates/fcp-mesh/**"]
        );
        assert_eq!(
            in_workspace("Plaid/X Connector", ""),
            ["connectors/plaid/**"]
        );
        // A package the text names a path in adds nothing.
        assert_eq!(
            in_workspace("fcp-mesh: fix crates/fcp-mesh/src/lib.rs", ""),
            ["crates/fcp-mesh/src/lib.rs"]
        );
        // Named targets come before inferred ones under the cap.
        let got = extract(&["fcp-store and fcp-mesh/src/lib.rs"], &workspace(), 1);
        assert_eq!(got, ["crates/fcp-mesh/src/lib.rs"]);
    }

    #[test]
    fn test_package_context_places_bare_names() {
        // Near (in the package) first, then anywhere under it.
        assert_eq!(
            in_workspace("fcp-sdk: `Cargo.toml` and lib.rs", ""),
            ["crates/fcp-sdk/Cargo.toml", "crates/fcp-sdk/src/lib.rs"]
        );
        assert!(in_workspace("`Cargo.toml` and lib.rs", "").is_empty());
    }

    #[test]
    fn test_subcommands() {
        assert_eq!(
            in_workspace("Add a limit to bd list.", ""),
            ["cmd/bd/list.go"]
        );
        assert_eq!(
            in_workspace("bd export/import out of sync", ""),
            ["cmd/bd/export.go", "cmd/bd/import.go"]
        );
        // In the body, only in inline code: bodies run commands in
        // reproduction steps, in plain text or fenced blocks.
        assert!(in_workspace("Daemon hangs", "run bd list, then bd export").is_empty());
        assert!(in_workspace("Daemon hangs", "```\nbd list\n```").is_empty());
        assert_eq!(
            in_workspace(
                "Daemon hangs",
                "make `bd list --all` and ``bd export`` faster"
            ),
            ["cmd/bd/list.go", "cmd/bd/export.go"]
        );
        // Needs a program (a `main.*` file) and a file for the subcommand.
        assert!(in_workspace("bd frobnicate; internal config; daemon server", "").is_empty());
    }

    #[test]
    fn test_nested_subcommands() {
        let tracked = TrackedFiles::new(
            [
                "cmd/bd/main.go",
                "cmd/bd/mol.go",
                "cmd/bd/mol_squash.go",
                "cmd/bd/list.go",
            ]
            .map(String::from),
        );
        let got = |title: &str| extract(&[title], &tracked, 8);
        assert_eq!(got("Basic bd mol squash command"), ["cmd/bd/mol_squash.go"]);
        // No file of its own: the parent command's.
        assert_eq!(got("bd mol burn: ask first"), ["cmd/bd/mol.go"]);
        assert_eq!(got("bd list --all is slow"), ["cmd/bd/list.go"]);
    }

    /// A program with more files than a coarse directory, tests beside the
    /// code, a Rust crate with inline unit tests.
    fn big_tree() -> TrackedFiles {
        let mut files: Vec<String> = (0..60).map(|i| format!("cmd/app/f{i}.go")).collect();
        files.extend(
            [
                "cmd/app/main.go",
                "cmd/app/sync.go",
                "cmd/app/sync_test.go",
                "internal/lock/lock.go",
                "internal/lock/lock_test.go",
                "internal/lock/flock.go",
                "internal/lock/flock_test.go",
                "internal/lock/testdata/test_case.txt",
                "crates/core/src/lib.rs",
                "crates/core/src/retry.rs",
                "crates/core/tests/retry.rs",
                "py/pkg/util.py",
                "py/tests/test_util.py",
            ]
            .map(String::from),
        );
        TrackedFiles::new(files)
    }

    #[test]
    fn test_coarse_directories_give_way() {
        let t = big_tree();
        let got = |title: &str, body: &str| extract(&[title, body], &t, 8);
        assert_eq!(
            got("Sync hangs", "in cmd/app/ see cmd/app/sync.go"),
            ["cmd/app/sync.go"]
        );
        // Alone, it stays: better than nothing.
        assert_eq!(got("Refactor cmd/app/", ""), ["cmd/app/**"]);
        // A small directory is no coarse one.
        assert_eq!(
            got("Locks", "internal/lock/ and cmd/app/sync.go"),
            ["internal/lock/**", "cmd/app/sync.go"]
        );
    }

    #[test]
    fn test_beads_about_tests_target_tests() {
        let t = big_tree();
        let got = |title: &str| extract(&[title], &t, 8);
        assert_eq!(
            got("Improve test coverage for internal/lock"),
            ["internal/lock/**/*_test.*"]
        );
        // Rust unit tests live in the source: the crate stays whole.
        assert_eq!(got("Add tests for crates/core/"), ["crates/core/**"]);
        assert_eq!(
            got("Tests for cmd/app/sync.go and py/pkg/util.py, crates/core/src/retry.rs"),
            [
                "cmd/app/sync.go",
                "cmd/app/sync_test.go",
                "py/pkg/util.py",
                "py/tests/test_util.py",
                "crates/core/src/retry.rs",
                "crates/core/tests/retry.rs",
            ]
        );
        // Not about tests: no test files.
        assert_eq!(got("Fix cmd/app/sync.go"), ["cmd/app/sync.go"]);
        assert_eq!(got("Protest internal/lock"), ["internal/lock/**"]);
    }

    #[test]
    fn test_tracker_data_is_never_a_target() {
        let text = ".beads/issues.jsonl, .beads/formulas/release.toml, .beads/, `issues.jsonl`, .gemba/config.yaml";
        assert!(in_workspace(text, "").is_empty());
    }
}
