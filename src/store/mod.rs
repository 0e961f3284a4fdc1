//! The `.gemba/` directory: where each file kind lives, reading with
//! positions, atomic writes, the store lock and the event log.
//!
//! Owns every path under `.gemba/`; error type [`Error`].

pub mod atomic;
pub mod lock;
pub mod log;
pub mod schema;

use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::format::{self, ParseError};
use crate::model::{Bead, Config, Enrichment, Event, Vocabulary, id};

pub const DIR_NAME: &str = ".gemba";
pub const CONFIG_FILE: &str = "config.yaml";
pub const VOCABULARY_FILE: &str = "vocabulary.yaml";
pub const BEADS_DIR: &str = "beads";
pub const ENRICHMENT_DIR: &str = "enrichment";
pub const SUGGESTIONS_DIR: &str = "suggestions";
pub const LOG_DIR: &str = "log";
const STORE_LOCK: &str = "store.lock";

/// What `gemba init` puts in `.gemba/.gitignore`: derived and transient files.
pub const GITIGNORE: &str = "# Derived or transient: never committed.
index/
tmp/
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
    #[error("no bead {0:?}")]
    BeadNotFound(String),
    #[error("bead {0:?} already exists")]
    BeadExists(String),
    #[error("auto-commit failed: {0}")]
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

/// What a write did, so re-imports can count and skip unchanged files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Created,
    Updated,
    Unchanged,
}

/// An opened `.gemba/` directory.
#[derive(Debug)]
pub struct Store {
    root: PathBuf,
    /// The git worktree that holds `root`, for auto-commit.
    worktree: Option<PathBuf>,
    config: Config,
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
        };
        store.config = store.read_config()?;
        Ok(store)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn worktree(&self) -> Option<&Path> {
        self.worktree.as_deref()
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn config_path(&self) -> PathBuf {
        self.root.join(CONFIG_FILE)
    }

    pub fn vocabulary_path(&self) -> PathBuf {
        self.root.join(VOCABULARY_FILE)
    }

    pub fn beads_dir(&self) -> PathBuf {
        self.root.join(BEADS_DIR)
    }

    pub fn log_dir(&self) -> PathBuf {
        self.root.join(LOG_DIR)
    }

    pub fn enrichment_dir(&self) -> PathBuf {
        self.root.join(ENRICHMENT_DIR)
    }

    /// `.gemba/enrichment/<escaped id>.yaml`; rejects hostile ids.
    pub fn enrichment_path(&self, bead_id: &str) -> Result<PathBuf> {
        id::validate(bead_id)?;
        Ok(self
            .enrichment_dir()
            .join(format!("{}.yaml", id::escape(bead_id))))
    }

    /// A bead's enrichment; empty when it has no file yet.
    pub fn read_enrichment(&self, bead_id: &str) -> Result<Enrichment> {
        let path = self.enrichment_path(bead_id)?;
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(format::from_yaml(&path, &text)?),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Enrichment::default()),
            Err(e) => Err(e).at(&path),
        }
    }

    /// Every enrichment file, by bead id. Fails on the first malformed
    /// file, naming it with line and column.
    pub fn load_enrichments(&self) -> Result<std::collections::BTreeMap<String, Enrichment>> {
        let files = list_dir(&self.enrichment_dir(), ".yaml")?;
        let parsed = parallel(&files, |path| {
            let text = std::fs::read_to_string(path).at(path)?;
            let id = expected_id(path).ok_or_else(|| {
                ParseError::new(
                    path,
                    0,
                    0,
                    "file name is not an escaped bead id (see `gemba check`)",
                )
            })?;
            Ok((id, format::from_yaml::<Enrichment>(path, &text)?))
        })?;
        Ok(parsed.into_iter().collect())
    }

    /// `.gemba/beads/<escaped id>.json`; rejects hostile ids.
    pub fn bead_path(&self, bead_id: &str) -> Result<PathBuf> {
        id::validate(bead_id)?;
        Ok(self
            .beads_dir()
            .join(format!("{}.json", id::escape(bead_id))))
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

    /// One bead, or `BeadNotFound`.
    pub fn read_bead(&self, bead_id: &str) -> Result<Bead> {
        let path = self.bead_path(bead_id)?;
        match std::fs::read(&path) {
            Ok(bytes) => parse_bead(&path, &bytes, Some(bead_id)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Err(Error::BeadNotFound(bead_id.to_string()))
            }
            Err(e) => Err(e).at(&path),
        }
    }

    pub fn bead_exists(&self, bead_id: &str) -> Result<bool> {
        Ok(self.bead_path(bead_id)?.exists())
    }

    /// The paths of every bead file, sorted by name (temp files and other
    /// stray entries are left to `gemba check`).
    pub fn bead_files(&self) -> Result<Vec<PathBuf>> {
        list_dir(&self.beads_dir(), ".json")
    }

    /// Every bead, sorted by id. Fails on the first malformed file, naming it.
    pub fn load_beads(&self) -> Result<Vec<Bead>> {
        let files = self.bead_files()?;
        let mut beads = parallel(&files, |path| {
            let bytes = std::fs::read(path).at(path)?;
            let expected = expected_id(path);
            parse_bead(path, &bytes, expected.as_deref())
        })?;
        beads.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(beads)
    }

    /// Take the store lock: every mutating command holds it from read to
    /// write, so concurrent updates of one bead never lose each other.
    pub fn begin(&self) -> Result<Tx<'_>> {
        let path = self.root.join(STORE_LOCK);
        let lock = lock::Lock::acquire(&path).at(&path)?;
        Ok(Tx {
            store: self,
            _lock: lock,
            changed: Vec::new(),
            unsynced_dirs: Vec::new(),
        })
    }
}

/// The files in `dir` ending in `suffix`, sorted (temp files excluded;
/// a missing directory is empty).
fn list_dir(dir: &Path, suffix: &str) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e).at(dir),
    };
    for entry in entries {
        let entry = entry.at(dir)?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.ends_with(suffix) && !atomic::is_temp_name(name) {
            out.push(entry.path());
        }
    }
    // Byte order: same result for one directory's names, and much cheaper
    // than `Path`'s component-wise comparison on 10k entries.
    out.sort_unstable_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
    Ok(out)
}

/// The file stem's id, when the name is one `id::escape` produced.
fn expected_id(path: &Path) -> Option<String> {
    path.file_stem()
        .and_then(|s| s.to_str())
        .and_then(id::unescape)
}

/// Parse a bead file and check that it is the bead its name says.
pub fn parse_bead(path: &Path, bytes: &[u8], expected_id: Option<&str>) -> Result<Bead> {
    let bead: Bead = format::from_json(path, bytes)?;
    id::validate(&bead.id).map_err(|e| ParseError::new(path, 0, 0, e.to_string()))?;
    match expected_id {
        Some(expected) if expected == bead.id => Ok(bead),
        _ => Err(ParseError::new(
            path,
            0,
            0,
            format!(
                "id {:?} does not match the file name (expected {}.json)",
                bead.id,
                id::escape(&bead.id)
            ),
        )
        .into()),
    }
}

pub fn read_yaml<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).at(path)?;
    Ok(format::from_yaml(path, &text)?)
}

/// Run `f` over `items` on a few threads: work on many small files is
/// dominated by open/read/fsync syscalls, which overlap well. Results keep
/// the input order.
pub(crate) fn parallel<I: Sync, T: Send>(
    items: &[I],
    f: impl Fn(&I) -> Result<T> + Sync,
) -> Result<Vec<T>> {
    const MIN_PER_THREAD: usize = 128;
    let threads = 16;
    if items.len() < 2 * MIN_PER_THREAD {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&f).collect::<Result<Vec<T>>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for handle in handles {
            out.extend(handle.join().expect("worker thread panicked")?);
        }
        Ok(out)
    })
}

/// A set of changes made under the store lock. `finish` logs the events
/// and, with `git.auto_commit`, commits exactly the files touched.
#[derive(Debug)]
pub struct Tx<'s> {
    store: &'s Store,
    _lock: lock::Lock,
    changed: Vec<PathBuf>,
    /// Directories with renames not yet fsynced (synced once, at the end).
    unsynced_dirs: Vec<PathBuf>,
}

impl Tx<'_> {
    pub fn store(&self) -> &Store {
        self.store
    }

    /// Write `bytes` to `path` unless the file already holds exactly them.
    pub fn write_file(&mut self, path: &Path, bytes: &[u8]) -> Result<Written> {
        Ok(self.write_files(vec![(path.to_path_buf(), bytes.to_vec())])?[0])
    }

    fn record(&mut self, path: &Path, written: Written) {
        if written == Written::Unchanged {
            return;
        }
        self.changed.push(path.to_path_buf());
        if let Some(dir) = path.parent()
            && !self.unsynced_dirs.iter().any(|d| d == dir)
        {
            self.unsynced_dirs.push(dir.to_path_buf());
        }
    }

    /// Serialize and write a bead (stable bytes; unchanged beads are not
    /// rewritten, so a re-import leaves `git diff` empty).
    pub fn write_bead(&mut self, bead: &Bead) -> Result<Written> {
        Ok(self.write_beads(std::slice::from_ref(bead))?[0])
    }

    /// Write many beads at once (see [`Tx::write_files`]).
    pub fn write_beads(&mut self, beads: &[Bead]) -> Result<Vec<Written>> {
        let jobs = beads
            .iter()
            .map(|b| Ok((self.store.bead_path(&b.id)?, format::to_json_bytes(b))))
            .collect::<Result<_>>()?;
        self.write_files(jobs)
    }

    /// Write many enrichment files at once (see [`Tx::write_files`]).
    pub fn write_enrichments(&mut self, items: &[(String, Enrichment)]) -> Result<Vec<Written>> {
        let jobs = items
            .iter()
            .map(|(id, e)| Ok((self.store.enrichment_path(id)?, e.to_yaml().into_bytes())))
            .collect::<Result<_>>()?;
        self.write_files(jobs)
    }

    /// Write many files at once, each only if its bytes changed. Files are
    /// written (and fsynced) on several threads, since fsync latency
    /// dominates and overlaps well; each directory is fsynced once.
    pub fn write_files(&mut self, jobs: Vec<(PathBuf, Vec<u8>)>) -> Result<Vec<Written>> {
        let mut dirs: Vec<&Path> = jobs.iter().filter_map(|(p, _)| p.parent()).collect();
        dirs.dedup();
        for dir in dirs {
            std::fs::create_dir_all(dir).at(dir)?;
        }
        let results = parallel(&jobs, |(path, bytes)| write_if_changed(path, bytes))?;
        for ((path, _), written) in jobs.iter().zip(&results) {
            self.record(path, *written);
        }
        Ok(results)
    }

    fn sync_dirs(&mut self) -> Result<()> {
        for dir in std::mem::take(&mut self.unsynced_dirs) {
            atomic::sync_dir(&dir).at(&dir)?;
        }
        Ok(())
    }

    /// Create a bead that must not exist yet (exactly one racing creator wins).
    pub fn create_bead(&mut self, bead: &Bead) -> Result<()> {
        let path = self.store.bead_path(&bead.id)?;
        let dir = self.store.beads_dir();
        std::fs::create_dir_all(&dir).at(&dir)?;
        match atomic::create_new(&path, &format::to_json_bytes(bead)) {
            Ok(()) => {
                self.changed.push(path);
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                Err(Error::BeadExists(bead.id.clone()))
            }
            Err(e) => Err(e).at(&path),
        }
    }

    pub fn write_yaml<T: Serialize>(&mut self, path: &Path, value: &T) -> Result<Written> {
        self.write_file(path, format::to_yaml_string(value).as_bytes())
    }

    /// Replace several files as one all-or-nothing change (see
    /// [`atomic::replace_all`]); `None` deletes. Unchanged files are skipped.
    pub fn replace_all(&mut self, changes: Vec<(PathBuf, Option<Vec<u8>>)>) -> Result<usize> {
        let changes: Vec<(PathBuf, Option<Vec<u8>>)> = changes
            .into_iter()
            .filter(|(path, new)| std::fs::read(path).ok() != *new)
            .collect();
        let refs: Vec<(&Path, Option<&[u8]>)> = changes
            .iter()
            .map(|(p, b)| (p.as_path(), b.as_deref()))
            .collect();
        let first = refs
            .first()
            .map(|(p, _)| p.to_path_buf())
            .unwrap_or_else(|| self.store.root.clone());
        atomic::replace_all(&refs).at(&first)?;
        for (path, _) in &changes {
            self.changed.push(path.clone());
        }
        Ok(changes.len())
    }

    /// Write a bead's enrichment; an empty one removes the file.
    pub fn write_enrichment(&mut self, bead_id: &str, enrichment: &Enrichment) -> Result<Written> {
        let path = self.store.enrichment_path(bead_id)?;
        if enrichment.is_empty() {
            return match std::fs::remove_file(&path) {
                Ok(()) => {
                    self.record(&path, Written::Updated);
                    Ok(Written::Updated)
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Written::Unchanged),
                Err(e) => Err(e).at(&path),
            };
        }
        self.write_file(&path, enrichment.to_yaml().as_bytes())
    }

    pub fn changed(&self) -> &[PathBuf] {
        &self.changed
    }

    /// Append the events to the log and auto-commit what changed. A command
    /// that changed nothing logs nothing.
    pub fn finish(mut self, events: &[Event]) -> Result<()> {
        self.sync_dirs()?;
        if self.changed.is_empty() || events.is_empty() {
            return Ok(());
        }
        self.refresh_schemas()?; // editors' schemas, after an upgrade (store/schema.rs)
        for event in events {
            let path = log::append(self.store, event)?;
            if !self.changed.contains(&path) {
                self.changed.push(path);
            }
        }
        if self.store.config.git.auto_commit
            && let Some(worktree) = &self.store.worktree
        {
            let rel: Vec<PathBuf> = self
                .changed
                .iter()
                .filter_map(|p| p.strip_prefix(worktree).ok().map(Path::to_path_buf))
                .collect();
            let message = commit_message(events);
            crate::git::commit_paths(worktree, &rel, &message)?;
        }
        Ok(())
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        // Best effort on error paths: what was renamed should also be durable.
        let _ = self.sync_dirs();
    }
}

/// Write `bytes` unless the file holds exactly them; the caller has
/// created the directory.
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<Written> {
    let written = match std::fs::read(path) {
        Ok(old) if old == bytes => return Ok(Written::Unchanged),
        Ok(_) => Written::Updated,
        Err(e) if e.kind() == io::ErrorKind::NotFound => Written::Created,
        Err(e) => return Err(e).at(path),
    };
    atomic::write_unsynced_dir(path, bytes).at(path)?;
    Ok(written)
}

fn commit_message(events: &[Event]) -> String {
    match events {
        [one] => format!("gemba: {}", one.message),
        [first, rest @ ..] => format!("gemba: {} (+{} more)", first.message, rest.len()),
        [] => "gemba: update".into(),
    }
}

/// Create the `.gemba/` tree. Returns the paths it created; an existing
/// file is never overwritten.
pub fn init(root: &Path) -> Result<Vec<PathBuf>> {
    use crate::model::config::CONFIG_TEMPLATE;
    let mut created = Vec::new();
    for dir in [root.to_path_buf(), root.join(BEADS_DIR), root.join(LOG_DIR)] {
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
        match atomic::create_new(&path, text.as_bytes()) {
            Ok(()) => created.push(path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e).at(&path),
        }
    }
    Ok(created)
}
