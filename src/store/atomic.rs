//! Atomic file operations. Replacing a file: write a temp file in the
//! target's directory, fsync it, rename it over the target, fsync the
//! directory; a reader sees the old file or the new one, never half of
//! either, and so does a crash. Handing a file over: `create_new` and
//! `move_new` never replace an existing file, so exactly one of several
//! racing processes wins, without any lock.
//!
//! Temp files are named `.gemba-tmp-<pid>-<random>`: a process killed
//! mid-write leaves one behind, and the next write in that directory
//! removes those whose writer is gone ([`sweep`]). A large batch on Linux
//! writes the files it creates as unnamed `O_TMPFILE` inodes instead and
//! links them into place once flushed ([`write_batch`]): those leave
//! nothing behind.

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use fs_err::File;

const TMP_PREFIX: &str = ".gemba-tmp-";
/// A batch of at least this many files is flushed with one `syncfs`
/// instead of one `fsync` per file.
const BATCH_SYNC_MIN: usize = 32;

/// The result of a handoff: `AlreadyTaken` is a lost race, not an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handoff {
    Won,
    AlreadyTaken,
}

/// A temp file beside `dir`'s entries, readable like any file the user
/// creates (tempfile's default 0600 would hide state from teammates).
fn temp_in(dir: &Path) -> io::Result<tempfile::NamedTempFile> {
    sweep(dir);
    let mut builder = tempfile::Builder::new();
    builder.prefix(temp_prefix());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

/// `.gemba-tmp-<pid>-`: the start of every temp file this process writes.
fn temp_prefix() -> &'static str {
    static PREFIX: OnceLock<String> = OnceLock::new();
    PREFIX.get_or_init(|| format!("{TMP_PREFIX}{}-", std::process::id()))
}

fn temp_with(dir: &Path, bytes: &[u8], sync: bool) -> io::Result<tempfile::NamedTempFile> {
    let mut tmp = temp_in(dir)?;
    tmp.write_all(bytes)?;
    if sync {
        tmp.as_file().sync_all()?;
    }
    Ok(tmp)
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
    temp_with(parent(path)?, bytes, true)?
        .persist(path)
        .map_err(|e| e.error)?;
    Ok(())
}

/// Replace `path` atomically but not durably (derived data that can be
/// rebuilt, a queue lease: a crash may lose it, a reader never sees half
/// of it).
pub fn replace_unsynced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    temp_with(parent(path)?, bytes, false)?
        .persist(path)
        .map_err(|e| e.error)?;
    Ok(())
}

/// How [`write_batch`] placed one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placed {
    /// There was no file: it is new.
    Created,
    /// It replaced whatever was there.
    Replaced,
    /// A file expected absent was there with exactly these bytes: left
    /// alone.
    Same,
}

/// Replace many files, each atomically; directories are left for the
/// caller to fsync. A large batch writes every temp file first, flushes
/// them all with one `syncfs`, then renames: the same guarantee as
/// [`write_unsynced_dir`] per file (data is durable before its rename) for
/// one flush instead of thousands of fsyncs.
///
/// `absent[i]`: the caller saw no file at `jobs[i]`'s path (and did not
/// read it). It is linked with a rename that never replaces; should a file
/// have appeared meanwhile, that one is compared, then replaced
/// ([`Placed::Replaced`]) or, with the same bytes, left alone
/// ([`Placed::Same`]). Other files are renamed over their target
/// (`Placed::Replaced`).
pub fn write_batch(jobs: &[(PathBuf, Vec<u8>)], absent: &[bool]) -> io::Result<Vec<Placed>> {
    assert_eq!(jobs.len(), absent.len(), "one `absent` per job");
    #[cfg(target_os = "linux")]
    if jobs.len() >= BATCH_SYNC_MIN {
        return batch::write(jobs, absent);
    }
    let indices: Vec<usize> = (0..jobs.len()).collect();
    super::parallel(&indices, |&i| {
        let (path, bytes) = &jobs[i];
        let tmp = temp_with(parent(path)?, bytes, true)?;
        if !absent[i] {
            tmp.persist(path).map_err(|e| e.error)?;
            return Ok(Placed::Replaced);
        }
        let tmp = match tmp.persist_noclobber(path) {
            Ok(_) => return Ok(Placed::Created),
            Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => e.file,
            Err(e) => return Err(e.error),
        };
        if same_bytes(std::fs::read(path), bytes)? {
            return Ok(Placed::Same); // the temp file goes with `tmp`
        }
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(Placed::Replaced)
    })
}

/// Whether a read of an existing file gave exactly `bytes` (a file gone
/// since is not the same).
fn same_bytes(read: io::Result<Vec<u8>>, bytes: &[u8]) -> io::Result<bool> {
    match read {
        Ok(old) => Ok(old == bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// The large-batch path of [`write_batch`]: files named relative to an
/// open directory (no path walk per call), temp files written on a few
/// threads, one `syncfs` per directory and round, then the renames.
///
/// A file expected absent is written as an unnamed `O_TMPFILE` inode and
/// linked under its name once durable: no temp name to create, look up,
/// rename and remove, no directory lock while writing, and nothing left
/// behind when the process dies first. It stays open until linked, so a
/// round holds at most [`fd_budget`] of them.
#[cfg(target_os = "linux")]
mod batch {
    use std::cell::Cell;
    use std::ffi::OsStr;
    use std::fs::File;
    use std::io::{self, Read, Write};
    use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

    use rustix::fs::{AtFlags, CWD, Mode, OFlags, RenameFlags};
    use rustix::io::Errno;

    use super::{Placed, parent, same_bytes, sweep, temp_prefix};

    /// Threads that create and write temp files. Every named create takes
    /// the directory's lock, so more threads mostly spin on it.
    const WRITE_THREADS: usize = 2;

    pub(super) fn write(jobs: &[(PathBuf, Vec<u8>)], absent: &[bool]) -> io::Result<Vec<Placed>> {
        let mut dirs: Vec<(&Path, OwnedFd)> = Vec::new();
        let mut targets: Vec<(usize, &OsStr)> = Vec::with_capacity(jobs.len());
        for (path, _) in jobs {
            let dir = parent(path)?;
            let name = path.file_name().ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "path has no file name")
            })?;
            let d = match dirs.iter().position(|(d, _)| *d == dir) {
                Some(d) => d,
                None => {
                    sweep(dir);
                    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
                    dirs.push((dir, rustix::fs::open(dir, flags, Mode::empty())?));
                    dirs.len() - 1
                }
            };
            targets.push((d, name));
        }
        let mut placed = Vec::with_capacity(jobs.len());
        let indices: Vec<usize> = (0..jobs.len()).collect();
        for round in indices.chunks(fd_budget()) {
            let temps = super::super::parallel_with(WRITE_THREADS, round, |&i| {
                Temp::write(dirs[targets[i].0].1.as_fd(), &jobs[i].1, absent[i])
            })?;
            for (_, fd) in &dirs {
                rustix::fs::syncfs(fd)?;
            }
            for (&i, temp) in round.iter().zip(temps) {
                let (d, name) = targets[i];
                placed.push(temp.place(dirs[d].1.as_fd(), name, &jobs[i].1, absent[i])?);
            }
        }
        Ok(placed)
    }

    /// How many `O_TMPFILE` files a round may hold open: half of what
    /// the open-file limit leaves.
    fn fd_budget() -> usize {
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
            .current
            .unwrap_or(u64::MAX);
        (limit.saturating_sub(64) / 2).clamp(16, 4096) as usize
    }

    /// A written temp file, removed (or freed) when dropped unless placed.
    enum Temp<'d> {
        Named(Named<'d>),
        /// An `O_TMPFILE` inode: linked under a name that must be free.
        Unnamed(File),
    }

    impl<'d> Temp<'d> {
        /// A new temp file holding `bytes` (not synced): unnamed for a
        /// target expected absent, where the filesystem can.
        fn write(dir: BorrowedFd<'d>, bytes: &[u8], absent: bool) -> io::Result<Temp<'d>> {
            if absent && TMPFILE.load(Ordering::Relaxed) != NO {
                let flags = OFlags::WRONLY | OFlags::TMPFILE | OFlags::CLOEXEC;
                match rustix::fs::openat(dir, ".", flags, Mode::from_raw_mode(0o666)) {
                    Ok(fd) => {
                        let mut file = File::from(fd);
                        file.write_all(bytes)?;
                        return Ok(Temp::Unnamed(file));
                    }
                    // Not on this kernel or filesystem: named temp files.
                    Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL | Errno::NOENT) => {
                        TMPFILE.store(NO, Ordering::Relaxed);
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            Ok(Temp::Named(Named::write(dir, bytes, false)?))
        }

        /// Put the file in place as `name` in `dir`, holding `bytes`
        /// (see [`super::write_batch`]).
        fn place(
            self,
            dir: BorrowedFd<'_>,
            name: &OsStr,
            bytes: &[u8],
            absent: bool,
        ) -> io::Result<Placed> {
            let temp = match self {
                Temp::Named(temp) if !absent => {
                    temp.rename(dir, name)?;
                    return Ok(Placed::Replaced);
                }
                Temp::Named(temp) => temp,
                Temp::Unnamed(file) => match link(&file, dir, name) {
                    Ok(()) => {
                        LINKED.store(true, Ordering::Release);
                        return Ok(Placed::Created);
                    }
                    Err(Errno::EXIST) => return replace_if_changed(dir, name, bytes, None),
                    // Cannot link here after all: a named temp file,
                    // synced on its own.
                    Err(_) => {
                        TMPFILE.store(NO, Ordering::Relaxed);
                        Named::write(dir, bytes, true)?
                    }
                },
            };
            match rustix::fs::renameat_with(
                temp.dir,
                temp.name.as_str(),
                dir,
                name,
                RenameFlags::NOREPLACE,
            ) {
                Ok(()) => {
                    temp.keep();
                    Ok(Placed::Created)
                }
                Err(Errno::EXIST | Errno::INVAL | Errno::NOSYS) => {
                    replace_if_changed(dir, name, bytes, Some(temp))
                }
                Err(e) => Err(e.into()),
            }
        }
    }

    /// A file expected absent is there (or the no-replace rename is not
    /// supported): compare, then leave it or replace it with `temp`, or
    /// with a named temp file synced on its own.
    fn replace_if_changed(
        dir: BorrowedFd<'_>,
        name: &OsStr,
        bytes: &[u8],
        temp: Option<Named<'_>>,
    ) -> io::Result<Placed> {
        let old = read_at(dir, name);
        let existed = old.is_ok();
        if same_bytes(old, bytes)? {
            return Ok(Placed::Same); // dropping `temp` removes it
        }
        let temp = match temp {
            Some(temp) => temp,
            None => Named::write(dir, bytes, true)?,
        };
        temp.rename(dir, name)?;
        Ok(if existed {
            Placed::Replaced
        } else {
            Placed::Created
        })
    }

    /// `.gemba-tmp-<pid>-<random>` in `dir`, removed when dropped unless
    /// renamed.
    struct Named<'d> {
        dir: BorrowedFd<'d>,
        name: String,
        /// Renamed into place: nothing to remove.
        kept: bool,
    }

    impl<'d> Named<'d> {
        fn write(dir: BorrowedFd<'d>, bytes: &[u8], sync: bool) -> io::Result<Named<'d>> {
            let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC;
            loop {
                let name = temp_name();
                match rustix::fs::openat(dir, &name, flags, Mode::from_raw_mode(0o666)) {
                    Ok(fd) => {
                        let temp = Named {
                            dir,
                            name,
                            kept: false,
                        };
                        let mut file = File::from(fd);
                        file.write_all(bytes)?;
                        if sync {
                            file.sync_all()?;
                        }
                        return Ok(temp);
                    }
                    Err(Errno::EXIST) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
        }

        fn rename(self, dir: BorrowedFd<'_>, target: &OsStr) -> io::Result<()> {
            rustix::fs::renameat(self.dir, self.name.as_str(), dir, target)?;
            self.keep();
            Ok(())
        }

        fn keep(mut self) {
            self.kept = true;
        }
    }

    impl Drop for Named<'_> {
        fn drop(&mut self) {
            if !self.kept {
                let _ = rustix::fs::unlinkat(self.dir, self.name.as_str(), AtFlags::empty());
            }
        }
    }

    /// Files were linked from `O_TMPFILE` since the last [`super::sync_dir`]:
    /// a link count lives in the file's inode, which a directory fsync
    /// does not write on a filesystem without a journal, so that sync
    /// flushes the filesystem first. (Each round's `syncfs` covers the
    /// links of the rounds before it.)
    pub(super) static LINKED: AtomicBool = AtomicBool::new(false);

    /// Whether `O_TMPFILE` works here, and how to link such a file:
    /// `AT_EMPTY_PATH` needs a capability on older kernels, `/proc/self/fd`
    /// needs procfs.
    pub(super) static TMPFILE: AtomicU8 = AtomicU8::new(UNTRIED);
    pub(super) const UNTRIED: u8 = 0;
    const EMPTY_PATH: u8 = 1;
    pub(super) const PROC: u8 = 2;
    pub(super) const NO: u8 = 3;

    /// Give an `O_TMPFILE` inode the name `name` in `dir`; `EXIST` when taken.
    fn link(file: &File, dir: BorrowedFd<'_>, name: &OsStr) -> Result<(), Errno> {
        let how = TMPFILE.load(Ordering::Relaxed);
        if how != PROC {
            match rustix::fs::linkat(file, "", dir, name, AtFlags::EMPTY_PATH) {
                Ok(()) => {
                    TMPFILE.store(EMPTY_PATH, Ordering::Relaxed);
                    return Ok(());
                }
                Err(Errno::NOENT | Errno::PERM | Errno::INVAL) if how == UNTRIED => {
                    TMPFILE.store(PROC, Ordering::Relaxed);
                }
                Err(e) => return Err(e),
            }
        }
        let fd_path = format!("/proc/self/fd/{}", file.as_raw_fd());
        rustix::fs::linkat(CWD, fd_path.as_str(), dir, name, AtFlags::SYMLINK_FOLLOW)
    }

    fn read_at(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<Vec<u8>> {
        let fd = rustix::fs::openat(dir, name, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
        let mut bytes = Vec::new();
        File::from(fd).read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    /// `.gemba-tmp-<pid>-<10 random letters and digits>`.
    fn temp_name() -> String {
        thread_local! {
            static STATE: Cell<u64> = Cell::new(seed());
        }
        const ALPHABET: &[u8; 62] =
            b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let mut x = STATE.with(|s| {
            // xorshift64*
            let mut x = s.get();
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            s.set(x);
            x.wrapping_mul(0x2545_F491_4F6C_DD1D)
        });
        let mut name = String::with_capacity(temp_prefix().len() + 10);
        name.push_str(temp_prefix());
        for _ in 0..10 {
            name.push(ALPHABET[(x % 62) as usize] as char);
            x /= 62;
        }
        name
    }

    /// Per thread: std's hasher keys are random per process and thread.
    fn seed() -> u64 {
        use std::hash::BuildHasher;
        std::collections::hash_map::RandomState::new().hash_one(0u8) | 1
    }
}

/// Create `path` with `bytes` unless it exists: of several racing
/// creators exactly one gets `Won`, the others `AlreadyTaken`. The file
/// appears whole (written and fsynced before it is linked into place).
pub fn create_new(path: &Path, bytes: &[u8]) -> io::Result<Handoff> {
    let dir = parent(path)?;
    match temp_with(dir, bytes, true)?.persist_noclobber(path) {
        Ok(_) => {
            sync_dir(dir)?;
            Ok(Handoff::Won)
        }
        Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => Ok(Handoff::AlreadyTaken),
        Err(e) => Err(e.error),
    }
}

/// Move `from` to `to` unless `to` exists or `from` is gone: of several
/// racing movers of one file exactly one gets `Won`. Uses
/// `renameat2(RENAME_NOREPLACE)`, or where the filesystem lacks it a hard
/// link plus unlink, where the one whose unlink succeeds wins.
pub fn move_new(from: &Path, to: &Path) -> io::Result<Handoff> {
    let result = move_new_unsynced(from, to)?;
    if result == Handoff::Won {
        sync_dir(parent(to)?)?;
        if parent(from)? != parent(to)? {
            sync_dir(parent(from)?)?;
        }
    }
    Ok(result)
}

/// [`move_new`] leaving both directories' fsync to the caller.
pub fn move_new_unsynced(from: &Path, to: &Path) -> io::Result<Handoff> {
    match rename_noreplace(from, to) {
        Some(Ok(())) => Ok(Handoff::Won),
        Some(Err(e)) if e.kind() == io::ErrorKind::AlreadyExists => Ok(Handoff::AlreadyTaken),
        // The source is gone: another mover took it. (Unless it is still
        // there, and the target's directory is what is missing.)
        Some(Err(e)) if e.kind() == io::ErrorKind::NotFound && !from.exists() => {
            Ok(Handoff::AlreadyTaken)
        }
        Some(Err(e)) => Err(e),
        None => link_then_unlink(from, to),
    }
}

/// `None` when the filesystem or platform has no no-replace rename.
#[cfg(target_os = "linux")]
fn rename_noreplace(from: &Path, to: &Path) -> Option<io::Result<()>> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
        Err(rustix::io::Errno::INVAL) | Err(rustix::io::Errno::NOSYS) => None,
        other => Some(other.map_err(io::Error::from)),
    }
}

#[cfg(not(target_os = "linux"))]
fn rename_noreplace(_from: &Path, _to: &Path) -> Option<io::Result<()>> {
    None
}

fn link_then_unlink(from: &Path, to: &Path) -> io::Result<Handoff> {
    match std::fs::hard_link(from, to) {
        Ok(()) => {}
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::AlreadyExists | io::ErrorKind::NotFound
            ) =>
        {
            return Ok(Handoff::AlreadyTaken);
        }
        Err(e) => return Err(e),
    }
    // Two movers to different targets may both have linked; exactly one
    // unlink of the source succeeds, and that one wins.
    match std::fs::remove_file(from) {
        Ok(()) => Ok(Handoff::Won),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            std::fs::remove_file(to)?;
            Ok(Handoff::AlreadyTaken)
        }
        Err(e) => Err(e),
    }
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
            Some(bytes) => Some(temp_with(parent(path)?, bytes, true)?),
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

/// Who is behind a temp file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TempWriter {
    /// Process `pid` is alive: probably still writing.
    Running(u32),
    /// The writer is gone: the file is garbage.
    Gone,
}

/// Temp files of old versions carry no pid: garbage once this old.
const UNOWNED_TEMP_MAX_AGE: Duration = Duration::from_secs(600);

/// Whether the writer of temp file `name` (modified at `modified`) lives.
pub fn temp_writer(name: &str, modified: Option<SystemTime>) -> TempWriter {
    let pid = name
        .strip_prefix(TMP_PREFIX)
        .and_then(|rest| rest.split_once('-'))
        .and_then(|(pid, _)| pid.parse::<u32>().ok());
    match pid {
        Some(pid) if pid == std::process::id() || process_alive(pid) => TempWriter::Running(pid),
        Some(_) => TempWriter::Gone,
        None => {
            let age = modified.and_then(|m| SystemTime::now().duration_since(m).ok());
            if age.is_some_and(|a| a > UNOWNED_TEMP_MAX_AGE) {
                TempWriter::Gone
            } else {
                TempWriter::Running(0)
            }
        }
    }
}

#[cfg(target_os = "linux")]
fn process_alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

#[cfg(not(target_os = "linux"))]
fn process_alive(_pid: u32) -> bool {
    // Cannot tell cheaply: keep the file (`gemba check` still lists it).
    true
}

/// Remove the temp files in `dir` whose writer is gone; once per directory
/// per process, so a batch pays for one directory scan. Best effort: a
/// failure here never fails the write that triggered it.
pub fn sweep(dir: &Path) {
    static SWEPT: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());
    {
        let mut swept = SWEPT.lock().unwrap_or_else(|e| e.into_inner());
        if !swept.insert(dir.to_path_buf()) {
            return;
        }
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !is_temp_name(name) {
            continue;
        }
        let modified = entry.metadata().and_then(|m| m.modified()).ok();
        if temp_writer(name, modified) == TempWriter::Gone {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn parent(path: &Path) -> io::Result<&Path> {
    path.parent()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no parent directory"))
}

pub fn sync_dir(dir: &Path) -> io::Result<()> {
    let file = File::open(dir)?;
    #[cfg(target_os = "linux")]
    if batch::LINKED.swap(false, std::sync::atomic::Ordering::AcqRel) {
        rustix::fs::syncfs(&file)?;
    }
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

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
        assert_eq!(names(dir.path()), ["a"], "no temp files left");
    }

    #[test]
    fn write_replaces_and_create_new_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        assert_eq!(create_new(&p, b"one\n").unwrap(), Handoff::Won);
        assert_eq!(create_new(&p, b"two\n").unwrap(), Handoff::AlreadyTaken);
        write(&p, b"three\n").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"three\n");
        assert_eq!(names(dir.path()), ["a.json"], "no temp files left");
    }

    #[test]
    fn move_new_never_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            dir.path().join("a"),
            dir.path().join("b"),
            dir.path().join("c"),
        );
        std::fs::write(&a, b"a").unwrap();
        std::fs::write(&c, b"c").unwrap();
        assert_eq!(move_new(&a, &c).unwrap(), Handoff::AlreadyTaken);
        assert_eq!(std::fs::read(&c).unwrap(), b"c", "target kept");
        assert_eq!(move_new(&a, &b).unwrap(), Handoff::Won);
        assert_eq!(
            move_new(&a, &b).unwrap(),
            Handoff::AlreadyTaken,
            "source gone"
        );
        assert_eq!(std::fs::read(&b).unwrap(), b"a");
        assert!(move_new(&b, &dir.path().join("no/such/dir")).is_err());
        // The fallback behaves the same.
        std::fs::write(&a, b"a2").unwrap();
        assert_eq!(link_then_unlink(&a, &c).unwrap(), Handoff::AlreadyTaken);
        assert_eq!(
            link_then_unlink(&a, &dir.path().join("d")).unwrap(),
            Handoff::Won
        );
        assert_eq!(
            link_then_unlink(&a, &dir.path().join("e")).unwrap(),
            Handoff::AlreadyTaken
        );
        assert_eq!(names(dir.path()), ["b", "c", "d"]);
    }

    #[test]
    fn racing_movers_have_one_winner() {
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("packet");
        std::fs::write(&from, b"p").unwrap();
        let wins: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..16)
                .map(|i| {
                    let (from, to) = (&from, dir.path().join(format!("taken-{i}")));
                    s.spawn(move || move_new(from, &to).unwrap() == Handoff::Won)
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap() as usize)
                .sum()
        });
        assert_eq!(wins, 1);
        assert_eq!(names(dir.path()).len(), 1);
    }

    #[test]
    fn batch_writes_every_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let jobs: Vec<(PathBuf, Vec<u8>)> = (0..BATCH_SYNC_MIN * 2)
            .map(|i| (dir.path().join(format!("{i:03}")), vec![b'x'; i]))
            .collect();
        write_batch(&jobs, &vec![false; jobs.len()]).unwrap();
        for (path, bytes) in &jobs {
            assert_eq!(&std::fs::read(path).unwrap(), bytes);
        }
        assert_eq!(names(dir.path()).len(), jobs.len());
    }

    /// Files expected absent: created, or compared when they are there
    /// after all; other files replaced.
    fn check_batch_with_absent_files() {
        // Small batches (one file at a time) and large ones (the batch path).
        for n in [4, BATCH_SYNC_MIN * 2] {
            let dir = tempfile::tempdir().unwrap();
            let jobs: Vec<(PathBuf, Vec<u8>)> = (0..n)
                .map(|i| {
                    (
                        dir.path().join(format!("{i:03}")),
                        format!("new {i}").into_bytes(),
                    )
                })
                .collect();
            // 0: there after all, same bytes; 1: there, other bytes;
            // 2: really absent; 3: not expected absent, replaced.
            std::fs::write(&jobs[0].0, &jobs[0].1).unwrap();
            std::fs::write(&jobs[1].0, b"old").unwrap();
            std::fs::write(&jobs[3].0, b"old").unwrap();
            let mut absent = vec![true; n];
            absent[3] = false;
            let placed = write_batch(&jobs, &absent).unwrap();
            assert_eq!(
                placed[..4],
                [
                    Placed::Same,
                    Placed::Replaced,
                    Placed::Created,
                    Placed::Replaced
                ],
                "batch of {n}"
            );
            assert!(placed[4..].iter().all(|p| *p == Placed::Created));
            for (path, bytes) in &jobs {
                assert_eq!(&std::fs::read(path).unwrap(), bytes);
            }
            assert_eq!(names(dir.path()).len(), n, "no temp files left");
            sync_dir(dir.path()).unwrap();
        }
    }

    #[test]
    fn batch_links_files_expected_absent_without_replacing_blindly() {
        check_batch_with_absent_files();
        #[cfg(target_os = "linux")]
        {
            use std::sync::atomic::Ordering;
            // Other ways, whatever this kernel allows (other tests may run
            // meanwhile: every way is correct). Linking through
            // /proc/self/fd, as where AT_EMPTY_PATH needs a capability:
            batch::TMPFILE.store(batch::PROC, Ordering::Relaxed);
            check_batch_with_absent_files();
            // Where O_TMPFILE is not available: named temp files and
            // no-replace renames.
            batch::TMPFILE.store(batch::NO, Ordering::Relaxed);
            check_batch_with_absent_files();
            batch::TMPFILE.store(batch::UNTRIED, Ordering::Relaxed);
        }
    }

    #[test]
    fn sweep_removes_temp_files_of_dead_writers_only() {
        let dir = tempfile::tempdir().unwrap();
        // pid 4194304 is above Linux's pid_max limit: never alive.
        let dead = dir.path().join(".gemba-tmp-4194304-abc123");
        let mine = dir
            .path()
            .join(format!(".gemba-tmp-{}-abc123", std::process::id()));
        let fresh_legacy = dir.path().join(".gemba-tmp-Xy12Zq");
        for p in [&dead, &mine, &fresh_legacy] {
            std::fs::write(p, b"partial").unwrap();
        }
        assert_eq!(
            temp_writer(".gemba-tmp-4194304-abc123", None),
            TempWriter::Gone
        );
        sweep(dir.path());
        assert!(!dead.exists());
        assert!(mine.exists() && fresh_legacy.exists());
        let old = SystemTime::now() - Duration::from_secs(3600);
        assert_eq!(
            temp_writer(".gemba-tmp-Xy12Zq", Some(old)),
            TempWriter::Gone
        );
    }
}
