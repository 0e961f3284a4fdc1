//! The `.gemba/` directory: where each file kind lives ([`kind`]), reading
//! with positions, atomic writes and lock-free handoffs ([`atomic`]), scoped
//! locks ([`lock`]), the change set a command writes ([`Changes`]) and the
//! event log ([`log`]).
//!
//! Owns every path under `.gemba/`: nothing else joins file names onto the
//! state directory or walks it. Error type [`Error`].

pub mod atomic;
mod changes;
pub mod hooks;
pub mod index;
pub mod kind;
pub mod lock;
pub mod log;
pub mod schema;
pub mod snapshot;

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::DeserializeOwned;

pub use atomic::Handoff;
pub use changes::{Changes, Written};
pub use kind::{Entity, Kind};
pub use lock::Scope;

use crate::format::{self, ParseError};
use crate::model::{Bead, Config, Enrichment, Vocabulary, id};

pub const DIR_NAME: &str = ".gemba";
pub const CONFIG_FILE: &str = "config.yaml";
pub const VOCABULARY_FILE: &str = "vocabulary.yaml";
pub const LOG_DIR: &str = "log";
pub const QUEUES_DIR: &str = "queues";
pub const DISPATCH_FILE: &str = "dispatch.yaml";

/// What `gemba init` puts in `.gemba/.gitignore`: derived and transient files.
pub const GITIGNORE: &str = "# Derived or transient: never committed.
index/
tmp/
# This clone's scan scheduler (its runs are in the log).
scan/
*.lock
.gemba-tmp-*
";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no gemba state at {} (run `gemba init`)", .0.display())]
    NotInitialized(PathBuf),
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error(transparent)]
    InvalidId(#[from] id::InvalidId),
    #[error("no {kind} {id:?}")]
    NotFound { kind: &'static str, id: String },
    #[error("{kind} {id:?} already exists")]
    Exists { kind: &'static str, id: String },
    #[error(transparent)]
    Lock(#[from] lock::Error),
    #[error(transparent)]
    Git(#[from] crate::git::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Attach the path to an I/O error (no bare `io::Error` leaves this module).
pub(crate) trait IoContext<T> {
    fn at(self, path: &Path) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn at(self, path: &Path) -> Result<T> {
        self.map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// The files of one entity directory, as its kind names them.
#[derive(Debug, Default)]
pub struct Listing {
    /// `(id, path)`, sorted by file name.
    pub entries: Vec<(String, PathBuf)>,
    /// Entries that are not `<escaped id><suffix>`: left for `gemba check`.
    pub strays: Vec<Stray>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stray {
    pub path: PathBuf,
    pub what: StrayKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrayKind {
    /// A temp file of an atomic write, and whether its writer still runs.
    Temp(atomic::TempWriter),
    /// Not a file name this kind produces.
    Foreign,
}

type OnWait = Box<dyn Fn(&str) + Send + Sync>;

/// An opened `.gemba/` directory.
pub struct Store {
    root: PathBuf,
    /// The git worktree that holds `root`, for auto-commit.
    worktree: Option<PathBuf>,
    config: Config,
    /// Who we are, for other processes waiting on our locks (`gemba import`).
    holder: String,
    /// Told when a lock makes us wait.
    on_wait: OnWait,
    /// Derived facts kept for this handle's life ([`Store::memo`]).
    memo: Memo,
}

/// Values derived from files that a long-lived caller (a drainer looping
/// over `queue take`) should not re-read on every call, one per type.
/// Holds only what its owner can validate or what never changes (a
/// packet's ordering fields): never a substitute for reading state.
#[derive(Default)]
struct Memo {
    slots: std::sync::Mutex<Vec<std::sync::Arc<dyn std::any::Any + Send + Sync>>>,
    /// `schema/` was found or made up to date by this handle.
    schemas_current: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("root", &self.root)
            .field("worktree", &self.worktree)
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Open an initialized `.gemba/` directory and load its config.
    pub fn open(root: &Path, worktree: Option<PathBuf>) -> Result<Store> {
        if !root.join(CONFIG_FILE).is_file() {
            return Err(Error::NotInitialized(root.to_path_buf()));
        }
        let mut store = Store {
            root: root.to_path_buf(),
            worktree,
            config: Config::default(),
            holder: "gemba".into(),
            on_wait: Box::new(|_| {}),
            memo: Memo::default(),
        };
        store.config = store.read_config()?;
        Ok(store)
    }

    /// A store for `gemba check`: default config, nothing read or required.
    pub fn unchecked(root: &Path) -> Store {
        Store {
            root: root.to_path_buf(),
            worktree: None,
            config: Config::default(),
            holder: "gemba check".into(),
            on_wait: Box::new(|_| {}),
            memo: Memo::default(),
        }
    }

    /// Name this process for lock waiters (`gemba import`), and say where
    /// to report that we wait on someone else's lock.
    pub fn with_holder(mut self, holder: String, on_wait: OnWait) -> Store {
        self.holder = holder;
        self.on_wait = on_wait;
        self
    }

    /// This store with `git.auto_commit` off: for a git hook, which runs
    /// while git's own merge or rebase is still in progress (a commit then
    /// is refused) and commits once git is done.
    pub fn without_auto_commit(mut self) -> Store {
        self.config.git.auto_commit = false;
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn worktree(&self) -> Option<&Path> {
        self.worktree.as_deref()
    }

    /// Where configured commands run and relative paths in config are read
    /// from: the git worktree, else the directory that holds `.gemba/`.
    pub fn repo_root(&self) -> PathBuf {
        self.worktree()
            .map(Path::to_path_buf)
            .or_else(|| self.root.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| self.root.clone())
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// This handle's one value of type `T`, made with `T::default()` on
    /// first use and shared by every thread using the handle (`T` brings
    /// its own locking).
    pub fn memo<T: std::any::Any + Send + Sync + Default>(&self) -> std::sync::Arc<T> {
        let mut slots = self
            .memo
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for slot in slots.iter() {
            if let Ok(value) = std::sync::Arc::clone(slot).downcast::<T>() {
                return value;
            }
        }
        let value = std::sync::Arc::new(T::default());
        slots.push(value.clone());
        value
    }

    /// Whether `schema/` was already checked by this handle (see
    /// [`Changes::refresh_schemas`]); marks it checked.
    pub(crate) fn schemas_checked(&self) -> bool {
        self.memo
            .schemas_current
            .swap(true, std::sync::atomic::Ordering::AcqRel)
    }

    pub(crate) fn schemas_unchecked(&self) {
        self.memo
            .schemas_current
            .store(false, std::sync::atomic::Ordering::Release);
    }

    pub fn config_path(&self) -> PathBuf {
        self.root.join(CONFIG_FILE)
    }

    pub fn vocabulary_path(&self) -> PathBuf {
        self.root.join(VOCABULARY_FILE)
    }

    /// `.gemba/dispatch.yaml`, the auto-dispatch switch.
    pub fn dispatch_path(&self) -> PathBuf {
        self.root.join(DISPATCH_FILE)
    }

    /// `.gemba/scan/`: the scan scheduler's state and run lock.
    pub fn scan_dir(&self) -> PathBuf {
        self.root.join("scan")
    }

    pub fn log_dir(&self) -> PathBuf {
        self.root.join(LOG_DIR)
    }

    /// `.gemba/<kind's dir>`.
    pub fn dir(&self, kind: &Kind) -> PathBuf {
        self.root.join(kind.dir)
    }

    /// `.gemba/<dir>/<escaped id><suffix>`; rejects hostile ids.
    pub fn path(&self, kind: &Kind, id: &str) -> Result<PathBuf> {
        id::validate(id)?;
        Ok(self.dir(kind).join(kind.file_name(id)))
    }

    /// A path relative to `.gemba/`, for messages (`.gemba/beads.lock`).
    pub fn show(&self, path: &Path) -> String {
        match path.strip_prefix(&self.root) {
            Ok(rel) => format!("{DIR_NAME}/{}", rel.display()),
            Err(_) => path.display().to_string(),
        }
    }

    /// One entity, `None` when it has no file.
    pub fn read<E: Entity>(&self, id: &str) -> Result<Option<E>> {
        let path = self.path(E::KIND, id)?;
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(kind::parse(&path, &bytes, id)?)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).at(&path),
        }
    }

    /// One bead, or `NotFound`.
    pub fn read_bead(&self, bead_id: &str) -> Result<Bead> {
        self.read(bead_id)?.ok_or_else(|| Error::NotFound {
            kind: "bead",
            id: bead_id.to_string(),
        })
    }

    /// A bead's enrichment; empty when it has no file yet.
    pub fn read_enrichment(&self, bead_id: &str) -> Result<Enrichment> {
        Ok(self.read(bead_id)?.unwrap_or_default())
    }

    pub fn exists(&self, kind: &Kind, id: &str) -> Result<bool> {
        Ok(self.path(kind, id)?.exists())
    }

    /// The files of `kind`'s directory, sorted by name; a missing
    /// directory is empty.
    pub fn list(&self, kind: &Kind) -> Result<Listing> {
        self.list_dir(&self.dir(kind), kind)
    }

    /// `.gemba/queues/<agent>/<state>/`, one state directory of an agent's
    /// queue (`state` is a fixed name: `ready`, `in_progress`, ...).
    pub fn queue_dir(&self, agent: &str, state: &str) -> Result<PathBuf> {
        id::validate(agent)?;
        Ok(self
            .root
            .join(QUEUES_DIR)
            .join(id::escape(agent))
            .join(state))
    }

    /// `.gemba/queues/<agent>/<state>/<escaped packet id>.json`.
    pub fn queue_file(&self, agent: &str, state: &str, packet: &str) -> Result<PathBuf> {
        id::validate(packet)?;
        Ok(self
            .queue_dir(agent, state)?
            .join(kind::PACKETS.file_name(packet)))
    }

    /// The agents that have a queue directory, sorted (names that are no
    /// escaped id are skipped).
    pub fn queue_agents(&self) -> Result<Vec<String>> {
        let dir = self.root.join(QUEUES_DIR);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).at(&dir),
        };
        let mut agents = Vec::new();
        for entry in entries {
            let entry = entry.at(&dir)?;
            if entry.file_type().at(&dir)?.is_dir()
                && let Some(agent) = entry.file_name().to_str().and_then(id::unescape)
            {
                agents.push(agent);
            }
        }
        agents.sort();
        Ok(agents)
    }

    /// The ids of a directory's entities, in the directory's own order,
    /// strays left out: the cheapest listing, for a caller that orders the
    /// entries itself and rarely needs a path (a queue take, every call).
    pub fn list_ids_unsorted(&self, dir: &Path, kind: &Kind) -> Result<Vec<String>> {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).at(dir),
        };
        let mut ids = Vec::new();
        for entry in entries {
            let name = entry.at(dir)?.file_name();
            let Some(text) = name.to_str() else {
                continue;
            };
            if !atomic::is_temp_name(text)
                && let Some(id) = kind.id_of(text)
            {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// The files of `dir` as `kind` names them, sorted by name; a missing
    /// directory is empty.
    pub fn list_dir(&self, dir: &Path, kind: &Kind) -> Result<Listing> {
        let dir = dir.to_path_buf();
        let mut listing = Listing::default();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(listing),
            Err(e) => return Err(e).at(&dir),
        };
        let mut names = Vec::new();
        for entry in entries {
            names.push(entry.at(&dir)?.file_name());
        }
        // Byte order: much cheaper than `Path`'s component-wise order on
        // 100k entries, and the same for names in one directory.
        names.sort_unstable();
        for name in names {
            let path = dir.join(&name);
            let text = name.to_str().unwrap_or("");
            if atomic::is_temp_name(text) {
                let modified = std::fs::symlink_metadata(&path)
                    .and_then(|m| m.modified())
                    .ok();
                listing.strays.push(Stray {
                    path,
                    what: StrayKind::Temp(atomic::temp_writer(text, modified)),
                });
            } else if let Some(id) = kind.id_of(text) {
                listing.entries.push((id, path));
            } else {
                listing.strays.push(Stray {
                    path,
                    what: StrayKind::Foreign,
                });
            }
        }
        Ok(listing)
    }

    /// Every entity of a kind, in file-name order. Fails on the first
    /// malformed file, naming it with line and column.
    pub fn load_all<E: Entity>(&self) -> Result<Vec<(String, E)>> {
        let entries = self.list(E::KIND)?.entries;
        parallel(&entries, |(id, path)| {
            let bytes = std::fs::read(path).at(path)?;
            Ok((id.clone(), kind::parse(path, &bytes, id)?))
        })
    }

    /// Every bead, sorted by id.
    pub fn load_beads(&self) -> Result<Vec<Bead>> {
        let mut beads: Vec<Bead> = self.load_all()?.into_iter().map(|(_, b)| b).collect();
        beads.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(beads)
    }

    /// Every enrichment file, by bead id (through the snapshot cache).
    pub fn load_enrichments(&self) -> Result<BTreeMap<String, Enrichment>> {
        snapshot::enrichments(self)
    }

    /// Create `kind/<id>` unless it exists: of several racing creators
    /// exactly one gets `Won`. Takes no lock, so it never waits on another
    /// command.
    pub fn create_new(&self, kind: &Kind, id: &str, bytes: &[u8]) -> Result<Handoff> {
        let path = self.path(kind, id)?;
        let dir = self.dir(kind);
        std::fs::create_dir_all(&dir).at(&dir)?;
        atomic::create_new(&path, bytes).at(&path)
    }

    /// Move a file to a new place unless that place is taken or the file
    /// is gone: of several racing movers exactly one gets `Won`. No lock.
    pub fn move_new(&self, from: &Path, to: &Path) -> Result<Handoff> {
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).at(dir)?;
        }
        atomic::move_new(from, to).at(from)
    }

    /// Take the lock for one kind of read-modify-write, waiting at most
    /// `store.lock_timeout`; while waiting, say who holds it.
    pub fn lock(&self, scope: Scope) -> Result<lock::Lock> {
        self.lock_for(scope, self.config.store.lock_timeout())
    }

    fn lock_for(&self, scope: Scope, timeout: Duration) -> Result<lock::Lock> {
        let path = self.root.join(scope.file_name());
        Ok(lock::Lock::acquire(
            &path,
            &self.show(&path),
            &self.holder,
            timeout,
            &*self.on_wait,
        )?)
    }

    /// Start the set of files one command writes.
    pub fn changes(&self) -> Changes<'_> {
        Changes::new(self)
    }

    fn read_config(&self) -> Result<Config> {
        let path = self.config_path();
        let config: Config = read_yaml(&path)?;
        config
            .validate()
            .map_err(|m| ParseError::new(&path, 0, 0, m))?;
        Ok(config)
    }

    pub fn read_vocabulary(&self) -> Result<Vocabulary> {
        let path = self.vocabulary_path();
        if !path.exists() {
            return Ok(Vocabulary::default());
        }
        read_yaml(&path)
    }
}

pub fn read_yaml<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).at(path)?;
    Ok(format::from_yaml(path, &text)?)
}

/// Run `f` over `items` on a few threads: work on many small files is
/// dominated by open/read/fsync syscalls, which overlap well. Results keep
/// the input order.
pub(crate) fn parallel<I: Sync, T: Send, E: Send>(
    items: &[I],
    f: impl Fn(&I) -> std::result::Result<T, E> + Sync,
) -> std::result::Result<Vec<T>, E> {
    parallel_with(16, items, f)
}

/// [`parallel`] on at most `threads` threads.
pub(crate) fn parallel_with<I: Sync, T: Send, E: Send>(
    threads: usize,
    items: &[I],
    f: impl Fn(&I) -> std::result::Result<T, E> + Sync,
) -> std::result::Result<Vec<T>, E> {
    const MIN_PER_THREAD: usize = 128;
    if threads < 2 || items.len() < 2 * MIN_PER_THREAD {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                scope.spawn(|| {
                    part.iter()
                        .map(&f)
                        .collect::<std::result::Result<Vec<T>, E>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for handle in handles {
            out.extend(handle.join().expect("worker thread panicked")?);
        }
        Ok(out)
    })
}

/// Create the `.gemba/` tree. Returns the paths it created; an existing
/// file is never overwritten.
pub fn init(root: &Path) -> Result<Vec<PathBuf>> {
    use crate::model::config::CONFIG_TEMPLATE;
    let mut created = Vec::new();
    for dir in [
        root.to_path_buf(),
        root.join(kind::BEADS.dir),
        root.join(LOG_DIR),
    ] {
        if !dir.is_dir() {
            std::fs::create_dir_all(&dir).at(&dir)?;
            created.push(dir);
        }
    }
    let files = [
        (root.join(CONFIG_FILE), CONFIG_TEMPLATE),
        (
            root.join(VOCABULARY_FILE),
            &*Vocabulary::default().to_yaml(),
        ),
        (root.join(".gitignore"), GITIGNORE),
    ];
    for (path, text) in files {
        if atomic::create_new(&path, text.as_bytes()).at(&path)? == Handoff::Won {
            created.push(path);
        }
    }
    Ok(created)
}
