//! The derived cache under `.gemba/index/`: for each entity directory, each
//! file's stat stamp, content hash and parsed record, so a command reads
//! 100k beads without parsing 100k files. Never the truth: a missing,
//! corrupt or foreign cache is rebuilt, and every load checks every file
//! against it, like git's index:
//!
//! - a file whose size, mtime (ns), ctime (ns) and inode match its entry is
//!   taken from the cache, unless the entry is *racy*: stamped less than
//!   [`RACY_WINDOW`] before the scan that recorded it, when a later write
//!   within the filesystem's timestamp granularity could have left the
//!   stamp unchanged. A racy entry is re-read and compared by content hash
//!   (git's racy-clean rule);
//! - any other file is read, hashed, and parsed unless its hash matches;
//! - the directory itself is listed only when its own stamp changed (an
//!   added, removed or renamed file changes it) or is racy.
//!
//! The cache is rewritten (temp file + rename, no fsync: it can always be
//! rebuilt) only when something changed. It is guarded by a magic header,
//! a version and a CRC-32, so a torn or stale file is never trusted.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::kind::Kind;
use super::{IoContext, Result, Store, atomic, parallel};

/// The directory under `.gemba/`.
pub const INDEX_DIR: &str = "index";
const MAGIC: &[u8; 8] = b"GEMBAIX\0";
/// Bump when the layout or a record type changes: old caches are rebuilt.
const VERSION: u32 = 1;
/// Files stamped this close to a scan are re-checked by content next time.
pub const RACY_WINDOW: Duration = Duration::from_secs(2);
/// Entries per independently decoded chunk (decoding runs on all cores).
const CHUNK: usize = 8192;

/// What identifies a file's version without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub size: u64,
    pub mtime_ns: i64,
    pub ctime_ns: i64,
    pub ino: u64,
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Stamp {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Stamp {
                size: meta.size(),
                mtime_ns: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
                ctime_ns: meta.ctime() * 1_000_000_000 + meta.ctime_nsec(),
                ino: meta.ino(),
            }
        }
        #[cfg(not(unix))]
        {
            let ns = |t: io::Result<SystemTime>| {
                t.ok()
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos() as i64)
            };
            Stamp {
                size: meta.len(),
                mtime_ns: ns(meta.modified()),
                ctime_ns: ns(meta.created()),
                ino: 0,
            }
        }
    }

    /// Whether a change within the timestamp granularity of `scanned_ns`
    /// could leave this stamp as it is.
    fn racy(&self, scanned_ns: i64) -> bool {
        let window = RACY_WINDOW.as_nanos() as i64;
        self.mtime_ns >= scanned_ns - window || self.ctime_ns >= scanned_ns - window
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry<R> {
    /// The file name (`<escaped id><suffix>`).
    name: String,
    stamp: Stamp,
    /// FNV-1a of the file's bytes.
    hash: u64,
    record: R,
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    version: u32,
    kind: String,
    /// The directory's stamp when it was last listed.
    dir: Option<Stamp>,
    /// When the files were stamped (ns since the epoch, real clock).
    scanned_ns: i64,
}

/// One entity file as loaded: its id, content hash and record.
#[derive(Debug, Clone)]
pub struct Loaded<R> {
    pub id: String,
    pub hash: u64,
    pub record: R,
}

/// How a load went, for benchmarks and `--verbose` output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub files: usize,
    /// Files read (new, changed or racy).
    pub read: usize,
    /// Files parsed (content not in the cache).
    pub parsed: usize,
    /// The directory was listed (its stamp changed).
    pub listed: bool,
    /// The cache file was rewritten.
    pub written: bool,
}

/// Load every file of `kind` as a record, from the cache where it is
/// current; `parse(path, bytes, id)` turns a file into its record. Sorted
/// by file name. A malformed file fails the load, naming it.
pub fn load<R>(
    store: &Store,
    kind: &Kind,
    parse: impl Fn(&Path, &[u8], &str) -> Result<R> + Sync,
) -> Result<(Vec<Loaded<R>>, Stats)>
where
    R: Serialize + DeserializeOwned + Send + Sync,
{
    let dir = store.dir(kind);
    let cache_path = cache_path(store, kind);
    let scanned_ns = now_ns();
    let mut stats = Stats::default();
    let dir_stamp = match std::fs::metadata(&dir) {
        Ok(meta) => Stamp::of(&meta),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((Vec::new(), stats)),
        Err(e) => return Err(e).at(&dir),
    };
    let (old_header, old_entries) = match read_cache::<R>(&cache_path, kind) {
        Some((h, e)) => (Some(h), e),
        None => (None, Vec::new()),
    };
    let old_scanned = old_header.as_ref().map_or(i64::MIN, |h| h.scanned_ns);
    // Each file to look at, with its entry in the old cache. The same
    // listing as last time, unless the directory changed.
    let work: Vec<(String, Option<usize>)> = match &old_header {
        Some(h) if h.dir == Some(dir_stamp) && !dir_stamp.racy(h.scanned_ns) => old_entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.name.clone(), Some(i)))
            .collect(),
        _ => {
            stats.listed = true;
            let old: HashMap<&str, usize> = old_entries
                .iter()
                .enumerate()
                .map(|(i, e)| (e.name.as_str(), i))
                .collect();
            store
                .list(kind)?
                .entries
                .into_iter()
                .filter_map(|(_, p)| p.file_name()?.to_str().map(String::from))
                .map(|name| {
                    let i = old.get(name.as_str()).copied();
                    (name, i)
                })
                .collect()
        }
    };

    enum Got<R> {
        Cached,
        Rehashed(Stamp),
        Fresh(Stamp, u64, R),
        Gone,
    }
    let check = |(name, old): &(String, Option<usize>)| -> Result<Got<R>> {
        let path = dir.join(name);
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            // Removed since the listing: not in this snapshot.
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Got::Gone),
            Err(e) => return Err(e).at(&path),
        };
        let stamp = Stamp::of(&meta);
        let old = old.map(|i| &old_entries[i]);
        if let Some(old) = old
            && old.stamp == stamp
            && !stamp.racy(old_scanned)
        {
            return Ok(Got::Cached);
        }
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Got::Gone),
            Err(e) => return Err(e).at(&path),
        };
        let hash = crate::hash::fnv1a(&bytes);
        // Stamp what was read: a write after the stat shows as a new stamp.
        let stamp = Stamp {
            size: bytes.len() as u64,
            ..stamp
        };
        if old.is_some_and(|old| old.hash == hash) {
            return Ok(Got::Rehashed(stamp));
        }
        let id = kind.id_of(name).expect("listed names are ids");
        Ok(Got::Fresh(stamp, hash, parse(&path, &bytes, &id)?))
    };
    let got = parallel(&work, check)?;

    let mut changed = stats.listed || old_header.is_none() || work.len() != old_entries.len();
    let mut old_entries: Vec<Option<Entry<R>>> = old_entries.into_iter().map(Some).collect();
    let mut take = |i: Option<usize>| {
        old_entries[i.expect("a cached file has an entry")]
            .take()
            .expect("each entry is taken once")
    };
    let mut entries: Vec<Entry<R>> = Vec::with_capacity(work.len());
    for ((name, old), got) in work.into_iter().zip(got) {
        match got {
            Got::Cached => entries.push(take(old)),
            Got::Rehashed(stamp) => {
                stats.read += 1;
                let mut entry = take(old);
                changed |= entry.stamp != stamp || stamp.racy(old_scanned);
                entry.stamp = stamp;
                entries.push(entry);
            }
            Got::Fresh(stamp, hash, record) => {
                stats.read += 1;
                stats.parsed += 1;
                changed = true;
                entries.push(Entry {
                    name,
                    stamp,
                    hash,
                    record,
                });
            }
            Got::Gone => changed = true,
        }
    }
    stats.files = entries.len();
    if changed {
        let header = Header {
            version: VERSION,
            kind: kind.dir.to_string(),
            dir: Some(dir_stamp),
            scanned_ns,
        };
        // Best effort: a read-only checkout still works, only slower.
        stats.written = write_cache(&cache_path, &header, &entries).is_ok();
    }
    let loaded = entries
        .into_iter()
        .map(|e| Loaded {
            id: kind.id_of(&e.name).expect("listed names are ids"),
            hash: e.hash,
            record: e.record,
        })
        .collect();
    Ok((loaded, stats))
}

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// The cache's header and entries, or `None` when it is missing, torn,
/// from another version, or for another kind.
fn read_cache<R: DeserializeOwned + Send>(
    path: &Path,
    kind: &Kind,
) -> Option<(Header, Vec<Entry<R>>)> {
    let bytes = std::fs::read(path).ok()?;
    let body = bytes.strip_prefix(MAGIC)?;
    let (crc, body) = body.split_first_chunk::<4>()?;
    if u32::from_le_bytes(*crc) != crc32fast::hash(body) {
        return None;
    }
    let (header, rest): (Header, &[u8]) = postcard::take_from_bytes(body).ok()?;
    if header.version != VERSION || header.kind != kind.dir {
        return None;
    }
    let (chunks, _): (Vec<&[u8]>, &[u8]) = postcard::take_from_bytes(rest).ok()?;
    let decoded = parallel(&chunks, |chunk| {
        postcard::from_bytes::<Vec<Entry<R>>>(chunk).map_err(|_| ())
    })
    .ok()?;
    Some((header, decoded.into_iter().flatten().collect()))
}

fn write_cache<R: Serialize + Sync>(
    path: &Path,
    header: &Header,
    entries: &[Entry<R>],
) -> io::Result<()> {
    let chunks: Vec<&[Entry<R>]> = entries.chunks(CHUNK).collect();
    let encoded = parallel(&chunks, |chunk| {
        postcard::to_stdvec(chunk).map_err(io::Error::other)
    })?;
    let borrowed: Vec<&[u8]> = encoded.iter().map(Vec::as_slice).collect();
    let mut body = postcard::to_stdvec(header).map_err(io::Error::other)?;
    body.extend(postcard::to_stdvec(&borrowed).map_err(io::Error::other)?);
    let mut bytes = Vec::with_capacity(MAGIC.len() + 4 + body.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    bytes.extend_from_slice(&body);
    let dir = path.parent().expect("cache files live in .gemba/index/");
    std::fs::create_dir_all(dir)?;
    atomic::replace_unsynced(path, &bytes)
}

/// Where a kind's cache lives, for tests and `gemba check`.
pub fn cache_path(store: &Store, kind: &Kind) -> PathBuf {
    store
        .root()
        .join(INDEX_DIR)
        .join(format!("{}.idx", kind.dir))
}
