//! The derived cache under `.gemba/index/`: for each entity directory, each
//! file's stat stamp, content hash and a compact record of it, so a command
//! reads 100k beads without parsing 100k files. Never the truth: a missing,
//! corrupt or foreign cache is rebuilt, and every load checks every file
//! against it, like git's index:
//!
//! - a file whose size, mtime (ns), ctime (ns) and inode match its entry is
//!   taken from the cache, unless the entry is *racy*: stamped less than
//!   [`RACY_WINDOW`] before the scan that recorded it, when a later write
//!   within the filesystem's timestamp granularity could leave the stamp
//!   unchanged. A racy entry is re-read and compared by content hash
//!   (git's racy-clean rule);
//! - any other file is read, hashed, and parsed unless its hash matches;
//! - the directory itself is listed only when its own stamp changed (an
//!   added, removed or renamed file changes it) or is racy.
//!
//! The cache is one file per kind, rewritten (temp file + rename, no fsync:
//! it can always be rebuilt) only when something changed. Its layout is a
//! fixed-size table (stamps, hashes, offsets) plus a names area and a
//! records area, so checking 100k files decodes nothing, and records are
//! decoded in place by whoever reads them. A magic header, a version and a
//! CRC-32 keep a torn or stale file from ever being trusted.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::kind::Kind;
use super::{IoContext, Result, Store, atomic, parallel};

/// The directory under `.gemba/`.
pub const INDEX_DIR: &str = "index";
const MAGIC: &[u8; 8] = b"GEMBAIX\0";
/// Bump when the layout or a record type changes: old caches are rebuilt.
const VERSION: u32 = 3;
/// Files stamped this close to a scan are re-checked by content next time.
pub const RACY_WINDOW: Duration = Duration::from_secs(2);

/// What identifies a file's version without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Stamp {
    pub size: u64,
    pub mtime_ns: i64,
    pub ctime_ns: i64,
    pub ino: u64,
}

impl Stamp {
    pub fn of(meta: &std::fs::Metadata) -> Stamp {
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
    pub fn racy(&self, scanned_ns: i64) -> bool {
        let window = RACY_WINDOW.as_nanos() as i64;
        self.mtime_ns >= scanned_ns - window || self.ctime_ns >= scanned_ns - window
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.size.to_le_bytes());
        out.extend_from_slice(&self.mtime_ns.to_le_bytes());
        out.extend_from_slice(&self.ctime_ns.to_le_bytes());
        out.extend_from_slice(&self.ino.to_le_bytes());
    }

    fn read(b: &[u8]) -> Stamp {
        Stamp {
            size: u64_at(b, 0),
            mtime_ns: u64_at(b, 8) as i64,
            ctime_ns: u64_at(b, 16) as i64,
            ino: u64_at(b, 24),
        }
    }
}

/// The files of one directory, looked up by name relative to an open
/// handle of it: one path lookup per file instead of one per component,
/// which is most of what a `stat` of 100k files costs when the kernel's
/// dentry cache is large.
pub(super) struct DirFiles {
    dir: PathBuf,
    #[cfg(target_os = "linux")]
    fd: rustix::fd::OwnedFd,
}

impl DirFiles {
    pub(super) fn open(dir: &Path) -> io::Result<DirFiles> {
        #[cfg(target_os = "linux")]
        let fd = {
            use rustix::fs::{Mode, OFlags};
            rustix::fs::open(
                dir,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )?
        };
        Ok(DirFiles {
            dir: dir.to_path_buf(),
            #[cfg(target_os = "linux")]
            fd,
        })
    }

    pub(super) fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    #[cfg(target_os = "linux")]
    fn stamp(&self, name: &str) -> io::Result<Stamp> {
        let st = rustix::fs::statat(&self.fd, name, rustix::fs::AtFlags::SYMLINK_NOFOLLOW)?;
        Ok(Stamp {
            size: st.st_size as u64,
            mtime_ns: st.st_mtime as i64 * 1_000_000_000 + st.st_mtime_nsec as i64,
            ctime_ns: st.st_ctime as i64 * 1_000_000_000 + st.st_ctime_nsec as i64,
            ino: st.st_ino as u64,
        })
    }

    #[cfg(not(target_os = "linux"))]
    fn stamp(&self, name: &str) -> io::Result<Stamp> {
        Ok(Stamp::of(&std::fs::symlink_metadata(self.path(name))?))
    }

    #[cfg(target_os = "linux")]
    pub(super) fn read(&self, name: &str) -> io::Result<Vec<u8>> {
        use rustix::fs::{Mode, OFlags};
        use std::io::Read;
        let fd = rustix::fs::openat(
            &self.fd,
            name,
            OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let mut bytes = Vec::new();
        std::fs::File::from(fd).read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    #[cfg(not(target_os = "linux"))]
    pub(super) fn read(&self, name: &str) -> io::Result<Vec<u8>> {
        std::fs::read(self.path(name))
    }
}

const STAMP: usize = 32;
/// Header after magic and CRC: version, directory stamp, scan time, count.
const HEADER: usize = 4 + STAMP + 8 + 4;
/// One table row: stamp, hash, name offset and length, record offset and
/// length.
const ROW: usize = STAMP + 8 + 4 + 4 + 4 + 4;
const BODY: usize = MAGIC.len() + 4;

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

/// A loaded cache: the bytes of the file, checked, with accessors. Holds
/// the current records of every file of its kind, in file-name order.
#[derive(Debug, Default)]
pub struct Index {
    buf: Vec<u8>,
    count: usize,
}

impl Index {
    /// Check a cache file's bytes; `None` when they cannot be trusted.
    fn parse(buf: Vec<u8>) -> Option<Index> {
        let body = buf.strip_prefix(MAGIC)?;
        let (crc, rest) = body.split_first_chunk::<4>()?;
        if u32::from_le_bytes(*crc) != crc32fast::hash(rest) || rest.len() < HEADER {
            return None;
        }
        if u32_at(rest, 0) != VERSION {
            return None;
        }
        let count = u32_at(rest, 4 + STAMP + 8) as usize;
        let index = Index { buf, count };
        let table_end = index.table().checked_add(count.checked_mul(ROW)?)?;
        if table_end > index.buf.len() {
            return None;
        }
        for i in 0..count {
            let (name, record) = (index.span(i, 40), index.span(i, 48));
            if name.1 > index.buf.len() || record.1 > index.buf.len() || name.0 < table_end {
                return None;
            }
            std::str::from_utf8(&index.buf[name.0..name.1]).ok()?;
        }
        Some(index)
    }

    fn table(&self) -> usize {
        BODY + HEADER
    }

    fn row(&self, i: usize) -> &[u8] {
        let at = self.table() + i * ROW;
        &self.buf[at..at + ROW]
    }

    /// `(start, end)` of the area a row points at (offset at `at`).
    fn span(&self, i: usize, at: usize) -> (usize, usize) {
        let row = self.row(i);
        let start = u32_at(row, at) as usize;
        (start, start + u32_at(row, at + 4) as usize)
    }

    fn dir(&self) -> Stamp {
        Stamp::read(&self.buf[BODY + 4..])
    }

    fn scanned_ns(&self) -> i64 {
        u64_at(&self.buf, BODY + 4 + STAMP) as i64
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The file name of entry `i` (`<escaped id><suffix>`).
    pub fn name(&self, i: usize) -> &str {
        let (start, end) = self.span(i, 40);
        std::str::from_utf8(&self.buf[start..end]).expect("checked when loaded")
    }

    fn stamp(&self, i: usize) -> Stamp {
        Stamp::read(self.row(i))
    }

    /// FNV-1a of the file's bytes.
    pub fn hash(&self, i: usize) -> u64 {
        u64_at(self.row(i), STAMP)
    }

    /// The record of entry `i`, as the kind's parser encoded it.
    pub fn record(&self, i: usize) -> &[u8] {
        let (start, end) = self.span(i, 48);
        &self.buf[start..end]
    }
}

/// One entry of a cache being written.
struct Row<'a> {
    name: &'a str,
    stamp: Stamp,
    hash: u64,
    record: &'a [u8],
}

fn encode(dir: Stamp, scanned_ns: i64, rows: &[Row<'_>]) -> Vec<u8> {
    let names: usize = rows.iter().map(|r| r.name.len()).sum();
    let records: usize = rows.iter().map(|r| r.record.len()).sum();
    let mut buf = Vec::with_capacity(BODY + HEADER + rows.len() * ROW + names + records);
    buf.extend_from_slice(MAGIC);
    buf.extend_from_slice(&[0; 4]);
    buf.extend_from_slice(&VERSION.to_le_bytes());
    dir.write(&mut buf);
    buf.extend_from_slice(&scanned_ns.to_le_bytes());
    buf.extend_from_slice(&(rows.len() as u32).to_le_bytes());
    let mut name_at = BODY + HEADER + rows.len() * ROW;
    let mut record_at = name_at + names;
    for row in rows {
        row.stamp.write(&mut buf);
        buf.extend_from_slice(&row.hash.to_le_bytes());
        for (at, len) in [(name_at, row.name.len()), (record_at, row.record.len())] {
            buf.extend_from_slice(&(at as u32).to_le_bytes());
            buf.extend_from_slice(&(len as u32).to_le_bytes());
        }
        name_at += row.name.len();
        record_at += row.record.len();
    }
    for row in rows {
        buf.extend_from_slice(row.name.as_bytes());
    }
    for row in rows {
        buf.extend_from_slice(row.record);
    }
    let crc = crc32fast::hash(&buf[BODY..]);
    buf[MAGIC.len()..BODY].copy_from_slice(&crc.to_le_bytes());
    buf
}

/// How a load went, for benchmarks and tests.
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

/// Load the current record of every file of `kind`, from the cache where
/// it is current; `parse(path, bytes, id)` turns a file into its encoded
/// record. A malformed file fails the load, naming it.
pub fn load(
    store: &Store,
    kind: &Kind,
    parse: impl Fn(&Path, &[u8], &str) -> Result<Vec<u8>> + Sync,
) -> Result<(Index, Stats)> {
    let dir = store.dir(kind);
    let path = cache_path(store, kind);
    let scanned_ns = now_ns();
    let mut stats = Stats::default();
    let dir_stamp = match std::fs::metadata(&dir) {
        Ok(meta) => Stamp::of(&meta),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((Index::default(), stats)),
        Err(e) => return Err(e).at(&dir),
    };
    let files = DirFiles::open(&dir).at(&dir)?;
    let old = std::fs::read(&path).ok().and_then(Index::parse);
    let old_scanned = old.as_ref().map_or(i64::MIN, Index::scanned_ns);
    // Each file to look at: its name (unless the old cache has it) and its
    // entry in the old cache. The same listing as last time, unless the
    // directory changed.
    let work: Vec<(Option<String>, Option<usize>)> = match &old {
        Some(old) if old.dir() == dir_stamp && !dir_stamp.racy(old.scanned_ns()) => {
            (0..old.len()).map(|i| (None, Some(i))).collect()
        }
        _ => {
            stats.listed = true;
            let names = store
                .list(kind)?
                .entries
                .into_iter()
                .filter_map(|(_, p)| p.file_name()?.to_str().map(String::from));
            match &old {
                // Both sorted by name: merge.
                Some(old) => {
                    let mut i = 0;
                    names
                        .map(|name| {
                            while i < old.len() && old.name(i) < name.as_str() {
                                i += 1;
                            }
                            let hit = (i < old.len() && old.name(i) == name).then_some(i);
                            (Some(name), hit)
                        })
                        .collect()
                }
                None => names.map(|name| (Some(name), None)).collect(),
            }
        }
    };

    enum Got {
        Cached,
        Rehashed(Stamp),
        Fresh(Stamp, u64, Vec<u8>),
        Gone,
    }
    let check = |item: &(Option<String>, Option<usize>)| -> Result<Got> {
        let name: &str = match (&item.0, item.1, &old) {
            (Some(name), _, _) => name,
            (None, Some(i), Some(old)) => old.name(i),
            _ => unreachable!("a work item has a name or an old entry"),
        };
        // A name the kind would not write (only a damaged cache has one)
        // is not a file of this kind: never joined onto the directory.
        let Some(id) = kind.id_of(name) else {
            return Ok(Got::Gone);
        };
        let stamp = match files.stamp(name) {
            Ok(stamp) => stamp,
            // Removed since the listing: not in this snapshot.
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Got::Gone),
            Err(e) => return Err(e).at(&files.path(name)),
        };
        let old = item.1.zip(old.as_ref());
        if let Some((i, old)) = old
            && old.stamp(i) == stamp
            && !stamp.racy(old_scanned)
        {
            return Ok(Got::Cached);
        }
        let bytes = match files.read(name) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Got::Gone),
            Err(e) => return Err(e).at(&files.path(name)),
        };
        let hash = crate::hash::fnv1a(&bytes);
        // Stamp what was read: a write after the stat shows as a new stamp.
        let stamp = Stamp {
            size: bytes.len() as u64,
            ..stamp
        };
        if old.is_some_and(|(i, old)| old.hash(i) == hash) {
            return Ok(Got::Rehashed(stamp));
        }
        Ok(Got::Fresh(
            stamp,
            hash,
            parse(&files.path(name), &bytes, &id)?,
        ))
    };
    let got = parallel(&work, check)?;

    let mut changed = stats.listed || old.is_none();
    let mut rows: Vec<Row<'_>> = Vec::with_capacity(work.len());
    for ((name, i), got) in work.iter().zip(&got) {
        let name = match (name, i, &old) {
            (Some(name), _, _) => name.as_str(),
            (None, Some(i), Some(old)) => old.name(*i),
            _ => unreachable!("a work item has a name or an old entry"),
        };
        let cached = |i: &Option<usize>| {
            let (i, old) = i.zip(old.as_ref()).expect("cached entries have one");
            (old.stamp(i), old.hash(i), old.record(i))
        };
        let (stamp, hash, record) = match got {
            Got::Cached => cached(i),
            Got::Rehashed(stamp) => {
                stats.read += 1;
                let (was, hash, record) = cached(i);
                changed |= was != *stamp || stamp.racy(old_scanned);
                (*stamp, hash, record)
            }
            Got::Fresh(stamp, hash, record) => {
                stats.read += 1;
                stats.parsed += 1;
                changed = true;
                (*stamp, *hash, record.as_slice())
            }
            Got::Gone => {
                changed = true;
                continue;
            }
        };
        rows.push(Row {
            name,
            stamp,
            hash,
            record,
        });
    }
    stats.files = rows.len();
    let index = match old {
        Some(old) if !changed => old,
        _ => {
            let buf = encode(dir_stamp, scanned_ns, &rows);
            // Best effort: a read-only checkout still works, only slower.
            stats.written = write_cache(&path, &buf).is_ok();
            Index {
                buf,
                count: rows.len(),
            }
        }
    };
    Ok((index, stats))
}

/// Now, in nanoseconds since the epoch: the scan time of a cache.
pub fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// Replace a derived file under `.gemba/index/` (temp file + rename, no
/// fsync: it can always be rebuilt), creating the directory.
pub fn write_cache(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().expect("cache files live in .gemba/index/");
    std::fs::create_dir_all(dir)?;
    atomic::replace_unsynced(path, bytes)
}

/// Where the source-analysis index lives (`crate::analysis` owns its
/// format).
pub fn analysis_path(store: &Store) -> PathBuf {
    store.root().join(INDEX_DIR).join("imports.bin")
}

/// Where a kind's cache lives.
pub fn cache_path(store: &Store, kind: &Kind) -> PathBuf {
    store
        .root()
        .join(INDEX_DIR)
        .join(format!("{}.idx", kind.dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::kind::BEADS;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Write(u8, usize),
        Remove(u8),
        DamageCache,
        DropCache,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0u8..6, 0usize..40).prop_map(|(id, len)| Op::Write(id, len)),
            2 => (0u8..6).prop_map(Op::Remove),
            1 => Just(Op::DamageCache),
            1 => Just(Op::DropCache),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        /// Whatever happened to the files and the cache, a load returns
        /// exactly the files on disk, each with its current bytes.
        #[test]
        fn a_load_always_matches_the_files(ops in proptest::collection::vec(op(), 1..25)) {
            let tmp = tempfile::tempdir().unwrap();
            let store = Store::unchecked(tmp.path());
            let dir = store.dir(&BEADS);
            std::fs::create_dir_all(&dir).unwrap();
            let cache = cache_path(&store, &BEADS);
            for (step, op) in ops.into_iter().enumerate() {
                let file = |id: u8| dir.join(BEADS.file_name(&format!("b-{id}")));
                match op {
                    Op::Write(id, len) => {
                        std::fs::write(file(id), vec![b'a' + (step % 26) as u8; len]).unwrap()
                    }
                    Op::Remove(id) => {
                        let _ = std::fs::remove_file(file(id));
                    }
                    Op::DamageCache => {
                        if let Ok(mut bytes) = std::fs::read(&cache) {
                            let at = bytes.len() / 2;
                            bytes[at] ^= 0xff;
                            std::fs::write(&cache, bytes).unwrap();
                        }
                    }
                    Op::DropCache => {
                        let _ = std::fs::remove_file(&cache);
                    }
                }
                let (index, stats) = load(&store, &BEADS, |_, bytes, _| Ok(bytes.to_vec())).unwrap();
                let mut want: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
                    .unwrap()
                    .map(|e| e.unwrap())
                    .map(|e| (e.file_name().into_string().unwrap(), std::fs::read(e.path()).unwrap()))
                    .collect();
                want.sort();
                let got: Vec<(String, Vec<u8>)> = (0..index.len())
                    .map(|i| (index.name(i).to_string(), index.record(i).to_vec()))
                    .collect();
                prop_assert_eq!(&got, &want);
                for (i, (_, bytes)) in want.iter().enumerate() {
                    prop_assert_eq!(index.hash(i), crate::hash::fnv1a(bytes));
                }
                prop_assert_eq!(stats.files, want.len());
            }
        }
    }

    #[test]
    fn encoded_caches_parse_back_and_damage_is_refused() {
        let stamp = |n: u64| Stamp {
            size: n,
            mtime_ns: n as i64 * 7,
            ctime_ns: -(n as i64),
            ino: n + 1,
        };
        let rows = [
            Row {
                name: "a.json",
                stamp: stamp(1),
                hash: 11,
                record: b"one",
            },
            Row {
                name: "b%2Fc.json",
                stamp: stamp(2),
                hash: 22,
                record: b"",
            },
        ];
        let buf = encode(stamp(9), 123, &rows);
        let index = Index::parse(buf.clone()).expect("parses");
        assert_eq!(
            (index.len(), index.dir(), index.scanned_ns()),
            (2, stamp(9), 123)
        );
        assert_eq!(
            (index.name(1), index.hash(1), index.record(1)),
            ("b%2Fc.json", 22, &b""[..])
        );
        assert_eq!((index.stamp(0), index.record(0)), (stamp(1), &b"one"[..]));
        for cut in [0, 8, 20, buf.len() - 1] {
            assert!(Index::parse(buf[..cut].to_vec()).is_none(), "cut at {cut}");
        }
        let mut flipped = buf.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(Index::parse(flipped).is_none(), "CRC");
        assert!(Index::parse(encode(stamp(0), 0, &[])).is_some_and(|i| i.is_empty()));
    }
}
