//! `.gemba/index/imports.bin`: the stored analysis. Layout: a magic
//! header, a CRC-32 of the rest, a version, then two postcard sections:
//! [`Meta`] (backend, commit, file stamps, the graph), which every query
//! reads, and each file's [`Parsed`] imports, which only the next build
//! reads. A file whose magic, CRC or version does not match is never
//! trusted: the analysis is missing until rebuilt. Written with temp file
//! + rename and no fsync (derived: it can always be rebuilt).

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::lang::{Lang, Parsed};
use super::{AnalysisConfig, Backend, Description, Freshness, ImportGraph, Indexed, Progress};
use crate::git::WorktreeFiles;
use crate::store::index::Stamp;

const MAGIC: &[u8; 8] = b"GEMBASA\0";
/// Bump when the layout or a parser's output changes: old indexes are
/// rebuilt from scratch.
pub(super) const VERSION: u32 = 2;
/// Magic, CRC, version, length of the meta section.
const HEADER: usize = 8 + 4 + 4 + 4;

/// One indexed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct FileStamp {
    pub path: String,
    /// `None`: tracked, but not in the worktree.
    pub stamp: Option<Stamp>,
    /// FNV-1a of the content (0 when absent).
    pub hash: u64,
}

/// What every query reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Meta {
    pub backend: Backend,
    pub command: Vec<String>,
    /// The commit the index describes (external: as reported).
    pub commit: Option<String>,
    /// HEAD when the build started.
    pub head: Option<String>,
    /// HEAD's tree without `.gemba/` then ([`crate::git::WorktreeFiles`]):
    /// a later commit with the same sources (an auto-commit of gemba's
    /// state) leaves the index fresh.
    pub source_tree: Option<String>,
    /// When the build started (ns since the epoch): files stamped close to
    /// it are compared by content.
    pub scanned_ns: i64,
    /// Sorted by path.
    pub files: Vec<FileStamp>,
    /// The graph: sorted node paths, edges as node indices.
    pub nodes: Vec<String>,
    pub edges: Vec<(u32, u32)>,
    pub unresolved: u64,
    /// FNV-1a of every tracked path (built-in: resolution also names
    /// files it does not index, such as `import './a.css'`): a build whose
    /// files and tracked paths are unchanged keeps the graph as it is.
    pub tracked: u64,
}

/// The `tracked` digest of a list of paths.
pub(super) fn tracked_digest(paths: &[String]) -> u64 {
    let mut h = crate::hash::Fnv::default();
    for p in paths {
        h.write(p.as_bytes()).write(b"\0");
    }
    h.finish()
}

/// A decoded index file: the meta section, and the parsed one when asked
/// for.
pub(super) type Decoded = (Meta, Option<Vec<Option<Parsed>>>);

pub(super) fn encode(meta: &Meta, parsed: &[Option<Parsed>]) -> Vec<u8> {
    let meta = postcard::to_allocvec(meta).expect("serializes");
    let parsed = postcard::to_allocvec(parsed).expect("serializes");
    let mut buf = Vec::with_capacity(HEADER + meta.len() + parsed.len());
    buf.extend_from_slice(MAGIC);
    buf.extend_from_slice(&[0; 4]);
    buf.extend_from_slice(&VERSION.to_le_bytes());
    buf.extend_from_slice(&(meta.len() as u32).to_le_bytes());
    buf.extend_from_slice(&meta);
    buf.extend_from_slice(&parsed);
    let crc = crc32fast::hash(&buf[12..]);
    buf[8..12].copy_from_slice(&crc.to_le_bytes());
    buf
}

/// The meta section (and the parsed one, if asked for) of an index file's
/// bytes; `Err` says why they cannot be trusted.
pub(super) fn decode(buf: &[u8], with_parsed: bool) -> Result<Decoded, String> {
    let damaged = || "damaged".to_string();
    if buf.len() < HEADER || &buf[..8] != MAGIC {
        return Err(damaged());
    }
    let u32_at = |at: usize| u32::from_le_bytes(buf[at..at + 4].try_into().expect("4 bytes"));
    if u32_at(8) != crc32fast::hash(&buf[12..]) {
        return Err(damaged());
    }
    if u32_at(12) != VERSION {
        return Err("written by another version of gemba".into());
    }
    let meta_end = HEADER
        .checked_add(u32_at(16) as usize)
        .filter(|&end| end <= buf.len())
        .ok_or_else(damaged)?;
    let meta: Meta = postcard::from_bytes(&buf[HEADER..meta_end]).map_err(|_| damaged())?;
    let parsed = if with_parsed {
        let parsed: Vec<Option<Parsed>> =
            postcard::from_bytes(&buf[meta_end..]).map_err(|_| damaged())?;
        if parsed.len() != meta.files.len() {
            return Err(damaged());
        }
        Some(parsed)
    } else {
        None
    };
    Ok((meta, parsed))
}

/// Read and decode; `Ok(None)` when there is no index file.
pub(super) fn read(path: &Path, with_parsed: bool) -> Result<Option<Decoded>, String> {
    match std::fs::read(path) {
        Ok(buf) => decode(&buf, with_parsed).map(Some),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

pub(super) fn write(path: &Path, bytes: &[u8]) -> Result<(), super::Error> {
    crate::store::index::write_cache(path, bytes).map_err(|source| super::Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Whether the backend indexes `path` (repository-relative).
pub(super) fn indexes(backend: Backend, path: &str) -> bool {
    if path.starts_with(".gemba/") {
        return false;
    }
    match backend {
        Backend::Builtin => Lang::of(path).is_some(),
        Backend::External => true,
        Backend::None => false,
    }
}

/// The first 7 digits of a commit, for messages.
pub(super) fn short(commit: Option<&str>) -> String {
    match commit {
        Some(c) => c.chars().take(7).collect(),
        None => "(no commit)".into(),
    }
}

/// Whether a commit id as a tool reported it (full or abbreviated, at
/// least 7 hex digits) names `head`.
pub(super) fn same_commit(reported: Option<&str>, head: Option<&str>) -> bool {
    match (reported, head) {
        (None, None) => true,
        (Some(r), Some(h)) => {
            let r = r.to_ascii_lowercase();
            r == h || (r.len() >= 7 && h.starts_with(&r))
        }
        _ => false,
    }
}

/// Up to 3 paths, then "and N more".
fn some_paths(paths: &[&str]) -> String {
    let mut text = paths.iter().take(3).copied().collect::<Vec<_>>().join(", ");
    if paths.len() > 3 {
        text.push_str(&format!(" and {} more", paths.len() - 3));
    }
    text
}

/// Whether `meta` still describes the worktree: pure, given HEAD, the
/// files the backend would index now (sorted) and a check of one indexed
/// file against the worktree (`true`: unchanged).
pub(super) fn freshness(
    meta: &Meta,
    config: &AnalysisConfig,
    head: Option<&str>,
    source_tree: Option<&str>,
    files_now: &[&str],
    unchanged: impl Fn(&FileStamp) -> bool + Sync,
) -> Freshness {
    let stale = |reason: String| Freshness::Stale { reason };
    if meta.backend != config.backend {
        return stale(format!(
            "built by the {} backend, and analysis.backend is {}",
            meta.backend, config.backend
        ));
    }
    if meta.backend == Backend::External && meta.command != config.command {
        return stale("built with another analysis.command".into());
    }
    let same_sources = meta.source_tree.is_some() && meta.source_tree.as_deref() == source_tree;
    let moved = !same_sources
        && match meta.backend {
            Backend::External => !same_commit(meta.commit.as_deref(), head),
            _ => meta.commit.as_deref() != head,
        };
    if moved {
        return stale(match meta.backend {
            Backend::External if meta.head.as_deref() == head => format!(
                "the analysis command indexed {}, and HEAD is {}",
                short(meta.commit.as_deref()),
                short(head)
            ),
            _ => format!(
                "HEAD moved from {} to {}",
                short(meta.commit.as_deref()),
                short(head)
            ),
        });
    }
    let mut added = Vec::new();
    let mut removed = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < meta.files.len() || j < files_now.len() {
        match (meta.files.get(i), files_now.get(j)) {
            (Some(a), Some(b)) if a.path.as_str() == *b => {
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a.path.as_str() < *b => {
                removed.push(a.path.as_str());
                i += 1;
            }
            (Some(a), None) => {
                removed.push(a.path.as_str());
                i += 1;
            }
            (_, Some(b)) => {
                added.push(*b);
                j += 1;
            }
            (None, None) => unreachable!("the loop condition"),
        }
    }
    let checks =
        crate::store::parallel(&meta.files, |f| Ok::<_, ()>(unchanged(f))).expect("infallible");
    let changed: Vec<&str> = meta
        .files
        .iter()
        .zip(checks)
        .filter(|(f, same)| !same && !removed.contains(&f.path.as_str()))
        .map(|(f, _)| f.path.as_str())
        .collect();
    let mut reasons = Vec::new();
    if !added.is_empty() {
        reasons.push(format!("added: {}", some_paths(&added)));
    }
    if !removed.is_empty() {
        reasons.push(format!("removed: {}", some_paths(&removed)));
    }
    if !changed.is_empty() {
        reasons.push(format!("changed: {}", some_paths(&changed)));
    }
    if reasons.is_empty() {
        Freshness::Fresh
    } else {
        stale(format!(
            "files differ from the index: {}",
            reasons.join("; ")
        ))
    }
}

/// The stamp of a worktree file; `None` when it is not there.
fn stamp_of(path: &Path) -> io::Result<Option<Stamp>> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() => Ok(Some(Stamp::of(&meta))),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether an indexed file is as it was: same stamp (unless racy), else
/// same content.
fn unchanged(worktree: &Path, scanned_ns: i64, file: &FileStamp) -> bool {
    let path = worktree.join(&file.path);
    let Ok(now) = stamp_of(&path) else {
        return false;
    };
    match (file.stamp, now) {
        (None, None) => true,
        (Some(was), Some(now)) => {
            (was == now && !now.racy(scanned_ns))
                || std::fs::read(&path).is_ok_and(|b| crate::hash::fnv1a(&b) == file.hash)
        }
        _ => false,
    }
}

fn languages(files: &[FileStamp]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for f in files.iter().filter(|f| f.stamp.is_some()) {
        if let Some(lang) = Lang::of(&f.path) {
            *out.entry(lang.name().to_string()).or_insert(0) += 1;
        }
    }
    out
}

fn timestamp(ns: i64) -> Option<String> {
    jiff::Timestamp::from_nanosecond(i128::from(ns))
        .ok()
        .map(crate::model::timestamp)
}

/// The stored analysis at `path`, checked against the worktree.
pub(super) fn load(
    path: &Path,
    config: &AnalysisConfig,
    worktree: &Path,
    now: &WorktreeFiles,
) -> Indexed {
    let mut description = Description {
        backend: config.backend,
        command: if config.backend == Backend::External {
            config.command.clone()
        } else {
            Vec::new()
        },
        head: now.head.clone(),
        ..Description::disabled()
    };
    let (mut meta, _) = match read(path, false) {
        Ok(Some(found)) => found,
        Ok(None) => {
            description.freshness = Freshness::Missing {
                reason: "no source index yet".into(),
            };
            return Indexed::new(description, ImportGraph::default());
        }
        Err(why) => {
            description.freshness = Freshness::Missing {
                reason: format!("the source index is unreadable ({why})"),
            };
            return Indexed::new(description, ImportGraph::default());
        }
    };
    let nodes = std::mem::take(&mut meta.nodes);
    let graph = match ImportGraph::with_nodes(nodes, meta.edges.iter().copied()) {
        Ok(graph) => graph,
        Err(e) => {
            description.freshness = Freshness::Missing {
                reason: format!("the source index is unreadable ({e})"),
            };
            return Indexed::new(description, ImportGraph::default());
        }
    };
    let files_now: Vec<&str> = now
        .files
        .iter()
        .map(String::as_str)
        .filter(|p| indexes(meta.backend, p))
        .collect();
    description.freshness = freshness(
        &meta,
        config,
        now.head.as_deref(),
        now.source_tree.as_deref(),
        &files_now,
        |f| unchanged(worktree, meta.scanned_ns, f),
    );
    description.commit = meta.commit.clone();
    description.built_at = timestamp(meta.scanned_ns);
    description.files = meta.files.iter().filter(|f| f.stamp.is_some()).count();
    description.edges = graph.edge_count();
    description.unresolved = meta.unresolved as usize;
    if meta.backend == Backend::Builtin {
        description.languages = languages(&meta.files);
    }
    Indexed::new(description, graph)
}

/// The files of a build, each stamped and hashed, and (built-in) parsed,
/// with what came from the previous build.
pub(super) struct Scan {
    pub files: Vec<FileStamp>,
    pub parsed: Vec<Option<Parsed>>,
    /// Files read and parsed (or, without a parser, hashed) anew.
    pub parsed_count: usize,
    pub reused: usize,
    pub missing: usize,
    /// Anything differs from the previous build's files.
    pub changed: bool,
}

/// Stamp, hash and (when `parse`) parse `paths` in `worktree`, taking
/// what the previous build (`old`: its files and parsed imports) already
/// has for files whose stamp (not racy) or content did not change.
pub(super) fn scan(
    worktree: &Path,
    paths: &[&str],
    old: Option<(&Meta, &[Option<Parsed>])>,
    parse: bool,
    progress: &dyn Progress,
) -> Result<Scan, super::Error> {
    enum Got {
        Cached(usize),
        Rehashed(usize, Stamp),
        Fresh(Stamp, u64, Option<Parsed>),
        Missing,
    }
    progress.start(paths.len());
    let lookup = |path: &str| -> Option<usize> {
        let (meta, _) = old?;
        meta.files
            .binary_search_by(|f| f.path.as_str().cmp(path))
            .ok()
    };
    let got = crate::store::parallel(paths, |&path| {
        let full = worktree.join(path);
        let io_err = |source| super::Error::Io {
            path: full.clone(),
            source,
        };
        let result = (|| {
            let Some(stamp) = stamp_of(&full).map_err(io_err)? else {
                return Ok(Got::Missing);
            };
            let previous = lookup(path).zip(old);
            if let Some((i, (meta, parsed))) = previous {
                let was = &meta.files[i];
                let have_parse = !parse || parsed[i].is_some();
                if was.stamp == Some(stamp) && !stamp.racy(meta.scanned_ns) && have_parse {
                    return Ok(Got::Cached(i));
                }
            }
            let bytes = match std::fs::read(&full) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Got::Missing),
                Err(e) => return Err(io_err(e)),
            };
            let hash = crate::hash::fnv1a(&bytes);
            // Stamp what was read: a write after the stat shows as a new
            // stamp next time.
            let stamp = Stamp {
                size: bytes.len() as u64,
                ..stamp
            };
            if let Some((i, (meta, parsed))) = previous
                && meta.files[i].hash == hash
                && meta.files[i].stamp.is_some()
                && (!parse || parsed[i].is_some())
            {
                return Ok(Got::Rehashed(i, stamp));
            }
            let parsed = if parse {
                Lang::of(path).map(|lang| super::lang::parse(lang, &bytes))
            } else {
                None
            };
            Ok(Got::Fresh(stamp, hash, parsed))
        })();
        progress.advance();
        result
    })?;

    let mut scan = Scan {
        files: Vec::with_capacity(paths.len()),
        parsed: Vec::with_capacity(paths.len()),
        parsed_count: 0,
        reused: 0,
        missing: 0,
        changed: old.is_none_or(|(meta, _)| meta.files.len() != paths.len()),
    };
    for (&path, got) in paths.iter().zip(got) {
        let (stamp, hash, parsed) = match got {
            Got::Cached(i) | Got::Rehashed(i, _) => {
                let (meta, parsed) = old.expect("reused entries come from the old index");
                let was = &meta.files[i];
                let stamp = match got {
                    Got::Rehashed(_, now) => {
                        scan.changed |= was.stamp != Some(now) || now.racy(meta.scanned_ns);
                        now
                    }
                    _ => was.stamp.expect("cached entries were present"),
                };
                scan.reused += 1;
                (Some(stamp), was.hash, parsed[i].clone())
            }
            Got::Fresh(stamp, hash, parsed) => {
                scan.parsed_count += 1;
                scan.changed = true;
                (Some(stamp), hash, parsed)
            }
            Got::Missing => {
                scan.missing += 1;
                scan.changed |= lookup(path)
                    .zip(old)
                    .is_none_or(|(i, (meta, _))| meta.files[i].stamp.is_some());
                (None, 0, None)
            }
        };
        scan.files.push(FileStamp {
            path: path.to_string(),
            stamp,
            hash,
        });
        scan.parsed.push(parsed);
    }
    Ok(scan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(n: i64) -> Stamp {
        Stamp {
            size: n as u64,
            mtime_ns: n,
            ctime_ns: n,
            ino: 1,
        }
    }

    fn meta(backend: Backend, commit: Option<&str>, files: &[&str]) -> Meta {
        Meta {
            backend,
            command: Vec::new(),
            commit: commit.map(String::from),
            head: commit.map(String::from),
            source_tree: Some("tree-1".into()),
            scanned_ns: 100,
            files: files
                .iter()
                .map(|p| FileStamp {
                    path: p.to_string(),
                    stamp: Some(stamp(1)),
                    hash: 7,
                })
                .collect(),
            nodes: vec!["a.rs".into(), "b.rs".into()],
            edges: vec![(0, 1)],
            unresolved: 2,
            tracked: 3,
        }
    }

    #[test]
    fn encoded_indexes_decode_and_damage_is_refused() {
        let m = meta(Backend::Builtin, Some("abc"), &["a.rs", "b.rs"]);
        let parsed = vec![Some(Parsed::Js(vec!["./x".into()])), None];
        let buf = encode(&m, &parsed);
        let (back, p) = decode(&buf, true).unwrap();
        assert_eq!(back, m);
        assert_eq!(p.unwrap(), parsed);
        assert_eq!(decode(&buf, false).unwrap().1, None);
        for cut in [0, 7, 12, 20, buf.len() - 1] {
            assert!(decode(&buf[..cut], false).is_err(), "cut at {cut}");
        }
        let mut flipped = buf.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(decode(&flipped, false).unwrap_err(), "damaged");
        let mut other = buf.clone();
        other[12..16].copy_from_slice(&(VERSION + 1).to_le_bytes());
        let crc = crc32fast::hash(&other[12..]);
        other[8..12].copy_from_slice(&crc.to_le_bytes());
        assert_eq!(
            decode(&other, false).unwrap_err(),
            "written by another version of gemba"
        );
    }

    #[test]
    fn freshness_rules() {
        let builtin = AnalysisConfig::default();
        let files = ["a.rs", "b.rs"];
        let m = meta(Backend::Builtin, Some("1111111aaaa"), &files);
        let same = |_: &FileStamp| true;
        let head = Some("1111111aaaa");
        assert_eq!(
            freshness(&m, &builtin, head, None, &files, same),
            Freshness::Fresh
        );
        let line = |f: Freshness| f.line();
        // A later commit with the same sources (gemba's own auto-commit of
        // .gemba/) leaves the index fresh.
        assert_eq!(
            freshness(
                &m,
                &builtin,
                Some("2222222bbbb"),
                Some("tree-1"),
                &files,
                same
            ),
            Freshness::Fresh
        );
        assert_eq!(
            line(freshness(
                &m,
                &builtin,
                Some("2222222bbbb"),
                None,
                &files,
                same
            )),
            "stale: HEAD moved from 1111111 to 2222222"
        );
        assert_eq!(
            line(freshness(
                &m,
                &builtin,
                head,
                None,
                &["a.rs", "b.rs", "c.rs"],
                same
            )),
            "stale: files differ from the index: added: c.rs"
        );
        assert_eq!(
            line(freshness(&m, &builtin, head, None, &["b.rs"], same)),
            "stale: files differ from the index: removed: a.rs"
        );
        assert_eq!(
            line(freshness(&m, &builtin, head, None, &files, |f| f.path != "b.rs")),
            "stale: files differ from the index: changed: b.rs"
        );
        let many: Vec<String> = (0..6).map(|i| format!("f{i}.rs")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let m6 = meta(Backend::Builtin, head, &many);
        assert_eq!(
            line(freshness(&m6, &builtin, head, None, &many, |_| false)),
            "stale: files differ from the index: changed: f0.rs, f1.rs, f2.rs and 3 more"
        );
        let external = AnalysisConfig {
            backend: Backend::External,
            command: vec!["tool".into()],
        };
        assert_eq!(
            line(freshness(&m, &external, head, None, &files, same)),
            "stale: built by the builtin backend, and analysis.backend is external"
        );
        let mut e = meta(Backend::External, Some("1111111"), &files);
        e.command = vec!["tool".into()];
        e.head = Some("1111111aaaa".into());
        assert_eq!(
            freshness(&e, &external, head, None, &files, same),
            Freshness::Fresh
        );
        assert_eq!(
            line(freshness(
                &e,
                &external,
                Some("2222222bbbb"),
                None,
                &files,
                same
            )),
            "stale: HEAD moved from 1111111 to 2222222"
        );
        e.commit = Some("3333333".into());
        assert_eq!(
            line(freshness(&e, &external, head, None, &files, same)),
            "stale: the analysis command indexed 3333333, and HEAD is 1111111"
        );
        let other_command = AnalysisConfig {
            command: vec!["tool".into(), "--other".into()],
            ..external
        };
        assert_eq!(
            line(freshness(&e, &other_command, head, None, &files, same)),
            "stale: built with another analysis.command"
        );
    }

    #[test]
    fn commits_match_in_full_or_abbreviated() {
        let head = Some("0123456789abcdef0123456789abcdef01234567");
        assert!(same_commit(head, head));
        assert!(same_commit(Some("0123456"), head));
        assert!(same_commit(Some("0123456789ABCDEF"), head));
        assert!(!same_commit(Some("012345"), head), "too short");
        assert!(!same_commit(Some("1123456"), head));
        assert!(!same_commit(None, head));
        assert!(same_commit(None, None));
    }
}
