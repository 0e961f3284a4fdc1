//! Target overlap: can one path match a glob of each of two beads? Pure: no
//! I/O; the tracked files are an argument.
//!
//! # Glob semantics
//!
//! As everywhere in gemba, `globset` with `literal_separator(true)`: `*` and
//! `?` never match `/`; `**` as a whole segment matches any number of
//! segments (`a/**` matches below `a/` only, never `a` itself; `**/x`
//! matches `x` too); `{a,b}` alternates, may nest and may contain `/`;
//! `[ab]`, `[a-c]`, `[!a]` classes. A *negated* class matches `/` (globset
//! compiles `[!a]` to `[^a]`). Only real repository paths count as common
//! paths: relative, non-empty, no empty, `.` or `..` segment, no trailing
//! `/`, no NUL byte.
//!
//! Every glob goes through [`normalize_glob`] first (as `Glob::matcher`
//! does): `./src/x`, `src//x`, `/src/x` and `src/./x` are `src/x`; a
//! trailing `/` means the directory's contents (`src/` is `src/**`); `..`
//! is an error.
//!
//! # Answers
//!
//! [`overlap`] answers [`Overlap::Yes`] (with a witness path when one is at
//! hand), [`Overlap::No`] only with a proof, and [`Overlap::Maybe`] when it
//! could not decide (the product search hit its state budget, or a glob's
//! automaton could not be built). In order:
//!
//! 1. equal globs overlap when the glob matches any path at all;
//! 2. *literal head and tail*: every match starts with the text before the
//!    first metacharacter and ends with the text after the last one; two
//!    heads that are not prefix-comparable (`src/**` vs `src-other/**`), or
//!    tails that are not suffix-comparable (`*.go` vs `*.ts`), prove No;
//! 3. a literal glob against another: walk the other's automaton over it;
//! 4. segment-wise, for globs whose `/` are all real separators (no `/` in
//!    braces, no class that can match `/`): segment counts that cannot agree
//!    (`src/*.rs` vs `src/a/b.rs`, `a/**` vs `a`), or two segments at the
//!    same position (counted from the front before the first `**`, or from
//!    the back after the last one) whose heads or tails disagree, prove No;
//! 5. `P/**` (or `**`) against a glob whose head starts with `P/`: Yes,
//!    with any path of the other glob;
//! 6. otherwise the exact test: both globs' regexes (`globset::Glob::regex`)
//!    as lazy DFAs (`regex_automata::hybrid`), and a search of their product
//!    with a small automaton for "valid path", over one byte per joint
//!    equivalence class. Reaching a state where both accept at end of input
//!    gives a common path as the witness (the shortest among those with the
//!    fewest `.`-files: `src/a.rs` rather than `src/.rs`); exhausting the
//!    product proves No; [`STATE_BUDGET`] pair states answer Maybe.
//!
//! Steps 2 and 4 only ever answer No and step 5 only Yes; step 6 alone is
//! exact, so the others are shortcuts, not the definition.
//!
//! # Maybe
//!
//! [`resolve`] settles a Maybe against the tracked files when it can: a
//! tracked path matched by both globs makes it Yes. No tracked path
//! matching both does **not** make it No (the beads may create the file),
//! so it stays Maybe with the reason "may overlap", as it does without a
//! tree. Policy for the conflict graph: Yes is a target conflict, Maybe a
//! conflict of a weaker kind (it still keeps the two beads apart), No none.
//!
//! # Cost
//!
//! A [`Pattern`] is built once per glob: normalized text, head, tail and
//! segment facts at construction; its DFA (and a small pool of DFA caches,
//! so a pattern can be shared across threads) on first use. Steps 1–5 cost
//! string comparisons; step 6 a few microseconds once both DFAs exist. An
//! index over many patterns needs [`Pattern::prefix_segments`] and
//! [`Pattern::is_anchored`]: two globs whose prefixes are not
//! prefix-comparable (segment-wise) never overlap.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use regex_automata::hybrid::LazyStateID;
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson;
use regex_automata::util::start;
use regex_automata::util::syntax;
use regex_automata::{Anchored, MatchKind};
use serde::Serialize;

use super::Map;
use crate::model::enrichment::{Glob, normalize_glob};

/// Pair states the product search may visit before it answers Maybe. Two
/// globs of a few segments and braces make products of tens to hundreds of
/// states; this bound only stops pathological ones.
pub const STATE_BUDGET: usize = 20_000;

/// Whether some path matches both globs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "overlap", rename_all = "lowercase")]
pub enum Overlap {
    /// Some path matches both. `witness` is such a path when one is at hand:
    /// a shortest one when the product search found it (preferring no
    /// `.`-file segments), the literal glob or a tracked file otherwise. `None` only when the path found is not
    /// UTF-8.
    Yes { witness: Option<String> },
    /// Proven: no path matches both.
    No,
    /// Not decided (search budget, or a glob whose automaton failed to
    /// build). Never a proof of anything.
    Maybe,
}

impl Overlap {
    fn yes(witness: impl Into<String>) -> Overlap {
        Overlap::Yes {
            witness: Some(witness.into()),
        }
    }

    pub fn is_yes(&self) -> bool {
        matches!(self, Overlap::Yes { .. })
    }
}

/// A glob that is not a valid target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid glob {glob:?}: {reason}")]
pub struct PatternError {
    pub glob: String,
    pub reason: String,
}

/// A target glob compiled once: its normalized text, the facts the fast
/// paths use, and (built on first use, shared by clones) its DFA.
#[derive(Clone)]
pub struct Pattern {
    text: Box<str>,
    /// `globset`'s regex for `text`; `None` for a glob globset rejects,
    /// which then overlaps everything as Maybe, or when `deferred`.
    regex: Option<Box<str>>,
    /// A glob validated before ([`Pattern::from_glob`]): its regex is built
    /// with its DFA, on first use (most patterns never need one).
    deferred: bool,
    /// `text[..head]` starts every match.
    head: usize,
    /// `text[tail..]` ends every match.
    tail: usize,
    /// `text[..prefix]`: the head cut after its last `/`.
    prefix: usize,
    literal: bool,
    /// `text` is `prefix + "**"`: everything below `prefix`.
    subtree: bool,
    /// Every `/` in `text` is a separator (none in braces, no class can
    /// match `/`): the segment facts below hold.
    simple: bool,
    /// Only literal characters, `*`, `?` and `**`: matched segment by
    /// segment without building an automaton.
    plain: bool,
    min_depth: usize,
    /// `None`: unbounded (a `**` segment), or not `simple`.
    max_depth: Option<usize>,
    lazy: Arc<Lazy>,
}

#[derive(Default)]
struct Lazy {
    compiled: OnceLock<Option<Compiled>>,
    example: OnceLock<Overlap>,
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pattern").field(&self.text).finish()
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.text == other.text
    }
}

impl Eq for Pattern {}

impl Pattern {
    /// Normalizes ([`normalize_glob`]) and validates `text`.
    pub fn new(text: &str) -> Result<Pattern, PatternError> {
        let norm = normalize_glob(text).map_err(|reason| PatternError {
            glob: text.to_string(),
            reason,
        })?;
        let glob = globset::GlobBuilder::new(&norm)
            .literal_separator(true)
            .build()
            .map_err(|e| PatternError {
                glob: text.to_string(),
                reason: e.kind().to_string(),
            })?;
        let regex = glob.regex().into();
        Ok(Pattern::analyse(norm, Some(regex)))
    }

    /// The pattern of a validated target glob. Never fails: a glob that
    /// somehow does not survive normalization compares as Maybe with
    /// everything, never as No.
    pub fn from_glob(glob: &Glob) -> Pattern {
        match normalize_glob(glob.as_str()) {
            Ok(norm) => Pattern {
                deferred: true,
                ..Pattern::analyse(norm, None)
            },
            Err(_) => Pattern::opaque(glob.as_str()),
        }
    }

    fn opaque(text: &str) -> Pattern {
        Pattern {
            text: text.into(),
            regex: None,
            deferred: false,
            head: 0,
            tail: text.len(),
            prefix: 0,
            literal: false,
            subtree: false,
            simple: false,
            plain: false,
            min_depth: 0,
            max_depth: None,
            lazy: Arc::default(),
        }
    }

    fn analyse(text: String, regex: Option<Box<str>>) -> Pattern {
        let bytes = text.as_bytes();
        let first = bytes.iter().position(|&c| is_meta(c));
        let literal = first.is_none();
        let head = first.unwrap_or(text.len());
        let mut tail = bytes.iter().rposition(|&c| is_meta(c)).map_or(0, |i| i + 1);
        // `**/x` matches `x`: the `/` after a metacharacter may belong to it.
        if !literal && text[tail..].starts_with('/') {
            tail += 1;
        }
        let prefix = text[..head].rfind('/').map_or(0, |i| i + 1);
        let subtree = head == prefix && &text[prefix..] == "**";
        let simple = slashes_are_separators(&text);
        let plain = !text.contains(['[', ']', '{', '}', '\\']);
        let (mut min_depth, mut max_depth) = (0, None);
        if simple {
            let segs = text.split('/').count();
            let recursive = text.split('/').filter(|s| *s == "**").count();
            // A trailing `**` needs a segment (`a/**` does not match `a/`),
            // a leading or inner one does not (`**/a` matches `a`).
            min_depth = segs - recursive + usize::from(text.split('/').next_back() == Some("**"));
            max_depth = (recursive == 0).then_some(segs);
        }
        Pattern {
            text: text.into(),
            regex,
            deferred: false,
            head,
            tail,
            prefix,
            literal,
            subtree,
            simple,
            plain,
            min_depth,
            max_depth,
            lazy: Arc::default(),
        }
    }

    /// The normalized glob.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text before the first metacharacter: every match starts with it
    /// (the whole text for a literal).
    pub fn head(&self) -> &str {
        &self.text[..self.head]
    }

    /// Every match ends with this text.
    pub fn tail(&self) -> &str {
        &self.text[self.tail..]
    }

    /// The literal prefix, whole segments only: [`Pattern::head`] cut after
    /// its last `/` (`src/auth/` for `src/auth/*.rs` and for
    /// `src/auth/token.rs`, empty for `**/*.rs` and `*.md`).
    pub fn prefix(&self) -> &str {
        &self.text[..self.prefix]
    }

    /// [`Pattern::prefix`] as segments (`["src", "auth"]`). Two patterns
    /// overlap only if one's segments start the other's.
    pub fn prefix_segments(&self) -> impl Iterator<Item = &str> {
        self.prefix().split('/').filter(|s| !s.is_empty())
    }

    /// The prefix is non-empty: every match lies below a fixed directory.
    /// Otherwise the pattern floats (`**/x`) or sits at the root (`*.md`,
    /// `Cargo.toml`) and an index must compare it with everything.
    pub fn is_anchored(&self) -> bool {
        self.prefix > 0
    }

    /// No metacharacter: the glob is one path.
    pub fn is_literal(&self) -> bool {
        self.literal
    }

    /// Whether `path` matches (globset's semantics, on the normalized
    /// glob). `None` when the automaton could not be built.
    pub fn is_match(&self, path: &str) -> Option<bool> {
        if self.plain {
            let pattern: Vec<&str> = self.text.split('/').collect();
            let path: Vec<&str> = path.split('/').collect();
            return Some(plain_match(&pattern, &path));
        }
        self.walker()?.is_match(path.as_bytes())
    }

    /// Whether the pattern matches any path: Yes with a shortest one, No
    /// when it matches none (`a/[/]/b` only matches `a///b`). Cached.
    pub fn example(&self) -> &Overlap {
        self.lazy.example.get_or_init(|| {
            if self.literal {
                return Overlap::yes(&*self.text);
            }
            if self.plain {
                return Overlap::yes(plain_example(&self.text));
            }
            match (self.walker(), self.walker()) {
                (Some(mut a), Some(mut b)) => product(&mut a, &mut b, STATE_BUDGET),
                _ => Overlap::Maybe,
            }
        })
    }

    fn compiled(&self) -> Option<&Compiled> {
        self.lazy
            .compiled
            .get_or_init(|| match &self.regex {
                Some(regex) => Compiled::build(regex),
                None if self.deferred => {
                    let glob = globset::GlobBuilder::new(&self.text)
                        .literal_separator(true)
                        .build()
                        .ok()?;
                    Compiled::build(glob.regex())
                }
                None => None,
            })
            .as_ref()
    }

    fn walker(&self) -> Option<Walker<'_>> {
        let c = self.compiled()?;
        let cache = c
            .caches
            .lock()
            .ok()
            .and_then(|mut pool| pool.pop())
            .unwrap_or_else(|| c.dfa.create_cache());
        Some(Walker {
            c,
            cache: Some(cache),
        })
    }

    /// Step 4 of [`overlap`]: segment counts or aligned segments that
    /// cannot agree.
    fn segments_disjoint(&self, other: &Pattern) -> bool {
        if !(self.simple && other.simple) {
            return false;
        }
        let below = |p: &Pattern, q: &Pattern| p.max_depth.is_some_and(|max| max < q.min_depth);
        if below(self, other) || below(other, self) {
            return true;
        }
        let disagree = |(a, b): (&str, &str)| -> Option<bool> {
            (a != "**" && b != "**").then(|| !segments_may_agree(a, b))
        };
        let front = self.text.split('/').zip(other.text.split('/'));
        let back = self.text.rsplit('/').zip(other.text.rsplit('/'));
        front.map_while(disagree).any(|d| d) || back.map_while(disagree).any(|d| d)
    }
}

impl From<&Glob> for Pattern {
    fn from(glob: &Glob) -> Pattern {
        Pattern::from_glob(glob)
    }
}

/// Characters that make a glob more than a literal (`\` is rejected, `,`
/// and `!` only mean something inside braces and classes, which start
/// with one of these; a lone `]` counts too, which only costs a shortcut).
fn is_meta(c: u8) -> bool {
    matches!(c, b'*' | b'?' | b'[' | b']' | b'{' | b'}')
}

/// Every `/` of `text` is a path separator: none inside braces, no class
/// that can match `/` or holds one (negated classes, `/` or a range over
/// it), and no non-ASCII class (globset matches those byte by byte).
/// Mirrors globset's class parser.
/// globset's semantics for a glob of literal characters, `*`, `?` and
/// `**`, segment by segment: `**` as a whole segment matches any number of
/// segments (at least one when it ends the glob), elsewhere it is `*`; `*`
/// and `?` never match `/`.
fn plain_match(pattern: &[&str], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((&"**", [])) => !path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|i| plain_match(rest, &path[i..])),
        Some((segment, rest)) => path.split_first().is_some_and(|(first, more)| {
            segment_match(segment.as_bytes(), first.as_bytes()) && plain_match(rest, more)
        }),
    }
}

/// A shortest path a plain glob matches, preferring no `.`-file segment:
/// `*` runs match nothing and `?` is `a`, except that a segment left empty
/// or turned into a `.`-file by a leading `*` gets an `a`; an inner `**`
/// segment is dropped, a final one is `a`.
fn plain_example(glob: &str) -> String {
    let segments: Vec<&str> = glob.split('/').collect();
    let last = segments.len() - 1;
    let mut out: Vec<String> = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        if *segment == "**" && i < last {
            continue;
        }
        let mut s: String = segment
            .chars()
            .filter(|c| *c != '*')
            .map(|c| if c == '?' { 'a' } else { c })
            .collect();
        if s.is_empty() || (segment.starts_with('*') && s.starts_with('.')) {
            s.insert(0, 'a');
        }
        out.push(s);
    }
    out.join("/")
}

/// One segment: `*` (or `**` inside a segment) any run, `?` one byte.
fn segment_match(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(b'*') => {
                while p.get(pi) == Some(&b'*') {
                    pi += 1;
                }
                star = Some((pi, si));
            }
            Some(&c) if c == b'?' || c == s[si] => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

fn slashes_are_separators(text: &str) -> bool {
    let mut chars = text.chars().peekable();
    let mut depth = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            '/' if depth > 0 => return false,
            '[' => {
                let negated = matches!(chars.peek(), Some('!' | '^'));
                if negated {
                    chars.next();
                }
                let mut ranges: Vec<(char, char)> = Vec::new();
                let (mut first, mut in_range) = (true, false);
                loop {
                    let Some(c) = chars.next() else {
                        return false;
                    };
                    match c {
                        ']' if !first => break,
                        '-' if !first && !in_range => in_range = true,
                        c => match ranges.last_mut() {
                            Some(last) if in_range => {
                                last.1 = c;
                                in_range = false;
                            }
                            _ => ranges.push((c, c)),
                        },
                    }
                    first = false;
                }
                if in_range {
                    ranges.push(('-', '-'));
                }
                // A `/` in the class text would also split it as a segment.
                let slash = ranges.iter().any(|&(lo, hi)| lo <= '/' && '/' <= hi);
                let ascii = ranges
                    .iter()
                    .all(|&(lo, hi)| lo.is_ascii() && hi.is_ascii());
                if negated || slash || !ascii {
                    return false;
                }
            }
            _ => {}
        }
    }
    true
}

/// Necessary condition for one path segment to match two segment globs
/// (neither `**`, no `/` inside): equal when both are literal, otherwise
/// comparable heads and tails.
fn segments_may_agree(a: &str, b: &str) -> bool {
    fn parts(s: &str) -> (&str, &str, bool) {
        let first = s.bytes().position(is_meta);
        let last = s.bytes().rposition(is_meta);
        match (first, last) {
            (Some(f), Some(l)) => (&s[..f], &s[l + 1..], false),
            _ => (s, s, true),
        }
    }
    let (ha, ta, la) = parts(a);
    let (hb, tb, lb) = parts(b);
    if la && lb {
        return a == b;
    }
    prefix_comparable(ha, hb) && suffix_comparable(ta, tb)
}

fn prefix_comparable(a: &str, b: &str) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

fn suffix_comparable(a: &str, b: &str) -> bool {
    a.ends_with(b) || b.ends_with(a)
}

/// Whether some path matches both globs; see the module documentation for
/// the steps. Symmetric up to the witness.
pub fn overlap(a: &Pattern, b: &Pattern) -> Overlap {
    if a.text == b.text {
        return a.example().clone();
    }
    if !prefix_comparable(a.head(), b.head()) || !suffix_comparable(a.tail(), b.tail()) {
        return Overlap::No;
    }
    match (a.literal, b.literal) {
        (true, true) => return Overlap::No,
        (true, false) => return matches_literal(b, a),
        (false, true) => return matches_literal(a, b),
        (false, false) => {}
    }
    if a.segments_disjoint(b) {
        return Overlap::No;
    }
    if a.subtree && b.head().starts_with(a.prefix()) {
        return b.example().clone();
    }
    if b.subtree && a.head().starts_with(b.prefix()) {
        return a.example().clone();
    }
    match (a.walker(), b.walker()) {
        (Some(mut wa), Some(mut wb)) => product(&mut wa, &mut wb, STATE_BUDGET),
        _ => Overlap::Maybe,
    }
}

fn matches_literal(glob: &Pattern, literal: &Pattern) -> Overlap {
    match glob.is_match(&literal.text) {
        Some(true) => Overlap::yes(&*literal.text),
        Some(false) => Overlap::No,
        None => Overlap::Maybe,
    }
}

/// The outcome for two sets of globs: the first pair (in order) that
/// overlaps, else the first that may, else No.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetOverlap {
    pub overlap: Overlap,
    /// Indices into the two sets of the pair that decided: `None` for No.
    pub pair: Option<(usize, usize)>,
}

/// Whether some path matches a glob of `a` and a glob of `b`.
pub fn sets_overlap(a: &[Pattern], b: &[Pattern]) -> SetOverlap {
    let mut maybe = None;
    for (i, pa) in a.iter().enumerate() {
        for (j, pb) in b.iter().enumerate() {
            match overlap(pa, pb) {
                Overlap::No => {}
                Overlap::Maybe => {
                    maybe.get_or_insert((i, j));
                }
                yes => {
                    return SetOverlap {
                        overlap: yes,
                        pair: Some((i, j)),
                    };
                }
            }
        }
    }
    SetOverlap {
        overlap: if maybe.is_some() {
            Overlap::Maybe
        } else {
            Overlap::No
        },
        pair: maybe,
    }
}

/// An overlap answer with its reason line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub overlap: Overlap,
    /// `both match src/auth/token.rs`, `may overlap`, `no path matches
    /// both`.
    pub reason: String,
}

impl Verdict {
    fn new(overlap: Overlap, tracked: bool) -> Verdict {
        let reason = match &overlap {
            Overlap::Yes { witness: Some(w) } if tracked => format!("both match tracked {w}"),
            Overlap::Yes { witness: Some(w) } => format!("both match {w}"),
            Overlap::Yes { witness: None } => "overlap".to_string(),
            Overlap::No => "no path matches both".to_string(),
            Overlap::Maybe => "may overlap".to_string(),
        };
        Verdict { overlap, reason }
    }

    /// Yes and Maybe keep two beads apart (Maybe as a weaker kind of
    /// conflict); No does not.
    pub fn is_conflict(&self) -> bool {
        self.overlap != Overlap::No
    }
}

/// [`overlap`], with a Maybe settled against the tracked files when they
/// are given: Yes if a tracked path matches both, else still Maybe ("may
/// overlap": a bead may create the file).
pub fn resolve(a: &Pattern, b: &Pattern, tracked: Option<&TrackedPaths>) -> Verdict {
    settle(a, b, overlap(a, b), tracked)
}

fn settle(a: &Pattern, b: &Pattern, overlap: Overlap, tracked: Option<&TrackedPaths>) -> Verdict {
    if overlap != Overlap::Maybe {
        return Verdict::new(overlap, false);
    }
    match tracked.and_then(|t| t.common(a, b)) {
        Some(path) => Verdict::new(Overlap::yes(path), true),
        None => Verdict::new(Overlap::Maybe, false),
    }
}

/// [`resolve`] for two sets: the verdict and the pair that decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetVerdict {
    pub verdict: Verdict,
    /// Indices into the two sets: `None` for No.
    pub pair: Option<(usize, usize)>,
}

/// [`sets_overlap`], with every Maybe pair settled against the tracked
/// files when they are given.
pub fn resolve_sets(a: &[Pattern], b: &[Pattern], tracked: Option<&TrackedPaths>) -> SetVerdict {
    let first = sets_overlap(a, b);
    if first.overlap != Overlap::Maybe {
        return SetVerdict {
            verdict: Verdict::new(first.overlap, false),
            pair: first.pair,
        };
    }
    if tracked.is_some() {
        for (i, pa) in a.iter().enumerate() {
            for (j, pb) in b.iter().enumerate() {
                if overlap(pa, pb) == Overlap::Maybe {
                    let verdict = settle(pa, pb, Overlap::Maybe, tracked);
                    if verdict.overlap.is_yes() {
                        return SetVerdict {
                            verdict,
                            pair: Some((i, j)),
                        };
                    }
                }
            }
        }
    }
    SetVerdict {
        verdict: Verdict::new(Overlap::Maybe, false),
        pair: first.pair,
    }
}

/// The tracked files of the repository, sorted for prefix range lookups.
/// Built by the caller from the snapshot's repository state.
#[derive(Debug, Clone, Default)]
pub struct TrackedPaths {
    paths: Vec<String>,
}

impl TrackedPaths {
    /// Repository-relative paths with `/`; sorted and deduplicated here.
    pub fn new(paths: impl IntoIterator<Item = String>) -> TrackedPaths {
        let mut paths: Vec<String> = paths.into_iter().collect();
        paths.sort_unstable();
        paths.dedup();
        TrackedPaths { paths }
    }

    pub fn len(&self) -> usize {
        self.paths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// The paths that start with `prefix`: one contiguous sorted range.
    pub fn starting_with(&self, prefix: &str) -> &[String] {
        let start = self.paths.partition_point(|p| p.as_str() < prefix);
        let rest = &self.paths[start..];
        &rest[..rest.partition_point(|p| p.starts_with(prefix))]
    }

    /// The first tracked path both patterns match, looked up in the range
    /// of the longer head.
    pub fn common(&self, a: &Pattern, b: &Pattern) -> Option<&str> {
        let head = if a.head().len() >= b.head().len() {
            a.head()
        } else {
            b.head()
        };
        let tail = if a.tail().len() >= b.tail().len() {
            a.tail()
        } else {
            b.tail()
        };
        let mut candidates = self
            .starting_with(head)
            .iter()
            .filter(|p| p.ends_with(tail));
        if a.plain && b.plain {
            return candidates
                .find(|p| a.is_match(p) == Some(true) && b.is_match(p) == Some(true))
                .map(String::as_str);
        }
        let (mut wa, mut wb) = (a.walker()?, b.walker()?);
        candidates
            .find(|p| {
                wa.is_match(p.as_bytes()) == Some(true) && wb.is_match(p.as_bytes()) == Some(true)
            })
            .map(String::as_str)
    }
}

/// A glob's lazy DFA and a pool of caches (a search needs one mutably; the
/// pool lets threads share a pattern).
struct Compiled {
    dfa: DFA,
    caches: Mutex<Vec<Cache>>,
}

/// Caches kept per pattern for reuse.
const POOLED_CACHES: usize = 2;

impl Compiled {
    /// The regex exactly as globset builds it (`new_regex` in globset:
    /// bytes, `.` matches `\n`), with every match reported (`All`) so no
    /// state dies early.
    fn build(regex: &str) -> Option<Compiled> {
        let dfa = DFA::builder()
            .configure(DFA::config().match_kind(MatchKind::All))
            .syntax(syntax::Config::new().utf8(false).dot_matches_new_line(true))
            .thompson(
                thompson::Config::new()
                    .utf8(false)
                    .nfa_size_limit(Some(10 << 20)),
            )
            .build(regex)
            .ok()?;
        Some(Compiled {
            dfa,
            caches: Mutex::new(Vec::new()),
        })
    }
}

/// A pattern's DFA with a cache taken from its pool (given back on drop).
struct Walker<'p> {
    c: &'p Compiled,
    /// Always `Some` until dropped.
    cache: Option<Cache>,
}

impl Drop for Walker<'_> {
    fn drop(&mut self) {
        if let (Some(cache), Ok(mut pool)) = (self.cache.take(), self.c.caches.lock())
            && pool.len() < POOLED_CACHES
        {
            pool.push(cache);
        }
    }
}

impl Walker<'_> {
    fn start(&mut self) -> Option<LazyStateID> {
        let config = start::Config::new().anchored(Anchored::Yes);
        self.c.dfa.start_state(self.cache.as_mut()?, &config).ok()
    }

    fn next(&mut self, s: LazyStateID, byte: u8) -> Option<LazyStateID> {
        self.c.dfa.next_state(self.cache.as_mut()?, s, byte).ok()
    }

    /// Whether the input read so far (ending in `s`) is a match.
    fn accepts(&mut self, s: LazyStateID) -> Option<bool> {
        let eoi = self.c.dfa.next_eoi_state(self.cache.as_mut()?, s).ok()?;
        Some(eoi.is_match())
    }

    fn is_match(&mut self, path: &[u8]) -> Option<bool> {
        let mut s = self.start()?;
        for &byte in path {
            s = self.next(s, byte)?;
            if s.is_dead() {
                return Some(false);
            }
        }
        self.accepts(s)
    }

    /// How often the cache was cleared: a clear invalidates the state ids
    /// a search holds.
    fn clears(&self) -> usize {
        self.cache.as_ref().map_or(0, Cache::clear_count)
    }
}

// The "valid path" automaton: at the start of a segment, after `.` or `..`
// as the whole segment so far, or inside a real segment (accepting).
const SEG_START: u8 = 0;
const DOT: u8 = 1;
const DOT_DOT: u8 = 2;
const IN_SEG: u8 = 3;

fn path_step(state: u8, byte: u8) -> Option<u8> {
    match byte {
        0 => None,
        b'/' => (state == IN_SEG).then_some(SEG_START),
        b'.' => Some(match state {
            SEG_START => DOT,
            DOT => DOT_DOT,
            _ => IN_SEG,
        }),
        _ => Some(IN_SEG),
    }
}

fn path_class(byte: u8) -> usize {
    match byte {
        b'/' => 0,
        b'.' => 1,
        _ => 2,
    }
}

/// Every byte but NUL, the ones a witness should preferably use first:
/// lowercase letters, digits, uppercase, `_-./`, other printable ASCII,
/// control bytes, then non-ASCII.
static RANKED: [u8; 255] = ranked();

const fn ranked() -> [u8; 255] {
    let mut out = [0u8; 255];
    let mut taken = [false; 256];
    taken[0] = true;
    let mut n = 0;
    let groups: [(u8, u8); 8] = [
        (b'a', b'z'),
        (b'0', b'9'),
        (b'A', b'Z'),
        (b'_', b'_'),
        (b'-', b'.'),
        (b'/', b'/'),
        (b' ', b'~'),
        (1, 255),
    ];
    let mut g = 0;
    while g < groups.len() {
        let (lo, hi) = groups[g];
        let mut b = lo as usize;
        while b <= hi as usize {
            if !taken[b] {
                taken[b] = true;
                out[n] = b as u8;
                n += 1;
            }
            b += 1;
        }
        g += 1;
    }
    out
}

/// One byte per joint class (class in `a`'s DFA, class in `b`'s, and
/// `/`, `.` or other for the path automaton), the best-ranked one.
fn representatives(a: &DFA, b: &DFA) -> Vec<u8> {
    let (ca, cb) = (a.byte_classes(), b.byte_classes());
    let nb = cb.alphabet_len();
    let mut seen = vec![false; ca.alphabet_len() * nb * 3];
    let mut out = Vec::new();
    for &byte in &RANKED {
        let key =
            (usize::from(ca.get(byte)) * nb + usize::from(cb.get(byte))) * 3 + path_class(byte);
        if !seen[key] {
            seen[key] = true;
            out.push(byte);
        }
    }
    out
}

#[derive(Clone, Copy)]
struct Node {
    a: LazyStateID,
    b: LazyStateID,
    path: u8,
    byte: u8,
    parent: u32,
}

/// Search order: fewest segments starting with `.` (so `src/*.rs` gives
/// `src/a.rs`, not the shorter `src/.rs`), then fewest bytes.
type Cost = (u32, u32);

/// Search of the product of both DFAs and the valid-path automaton,
/// cheapest first (Dijkstra over [`Cost`]): a common path, No when the
/// product is exhausted, Maybe past `budget` pair states (or if a DFA cache
/// had to be cleared, which invalidates the state ids held in the queue).
fn product(a: &mut Walker<'_>, b: &mut Walker<'_>, budget: usize) -> Overlap {
    search(a, b, budget).unwrap_or(Overlap::Maybe)
}

fn search(a: &mut Walker<'_>, b: &mut Walker<'_>, budget: usize) -> Option<Overlap> {
    let reps = representatives(&a.c.dfa, &b.c.dfa);
    let clears = (a.clears(), b.clears());
    let first = Node {
        a: a.start()?,
        b: b.start()?,
        path: SEG_START,
        byte: 0,
        parent: u32::MAX,
    };
    if first.a.is_dead() || first.b.is_dead() {
        return Some(Overlap::No);
    }
    let mut nodes = vec![first];
    let mut best: Map<(LazyStateID, LazyStateID, u8), Cost> = Map::default();
    best.insert((first.a, first.b, first.path), (0, 0));
    let mut queue = BinaryHeap::from([Reverse(((0, 0), 0u32))]);
    while let Some(Reverse((cost, i))) = queue.pop() {
        let n = nodes[i as usize];
        if best.get(&(n.a, n.b, n.path)) != Some(&cost) {
            continue; // reached more cheaply since
        }
        if n.path == IN_SEG && a.accepts(n.a)? && b.accepts(n.b)? {
            return Some(witness(&nodes, i as usize));
        }
        if (a.clears(), b.clears()) != clears {
            return None;
        }
        for &byte in &reps {
            let Some(path) = path_step(n.path, byte) else {
                continue;
            };
            let na = a.next(n.a, byte)?;
            if na.is_dead() {
                continue;
            }
            let nb = b.next(n.b, byte)?;
            if (a.clears(), b.clears()) != clears {
                return None;
            }
            if nb.is_dead() {
                continue;
            }
            let hidden = n.path == SEG_START && byte == b'.';
            let next = (cost.0 + u32::from(hidden), cost.1 + 1);
            let slot = best.entry((na, nb, path)).or_insert((u32::MAX, u32::MAX));
            if next < *slot {
                if nodes.len() >= budget {
                    return None;
                }
                *slot = next;
                let id = u32::try_from(nodes.len()).ok()?;
                nodes.push(Node {
                    a: na,
                    b: nb,
                    path,
                    byte,
                    parent: i,
                });
                queue.push(Reverse((next, id)));
            }
        }
    }
    Some(Overlap::No)
}

fn witness(nodes: &[Node], mut i: usize) -> Overlap {
    let mut bytes = Vec::new();
    while nodes[i].parent != u32::MAX {
        bytes.push(nodes[i].byte);
        i = nodes[i].parent as usize;
    }
    bytes.reverse();
    Overlap::Yes {
        witness: String::from_utf8(bytes).ok(),
    }
}

#[cfg(test)]
mod tests;
