//! The files one command writes, then its events and its commit.
//!
//! A `Changes` holds no lock: operations take the [`Scope`](super::Scope)
//! lock for the read-modify-write they do (a long command, per batch), so
//! a claim or a queue take never waits on an import.

use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::kind::{self, Entity};
use super::{Error, Handoff, IoContext, Result, Store, atomic, log, parallel};
use crate::format;
use crate::model::{Bead, Enrichment, Event};

/// What a write did, so re-imports can count and skip unchanged files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Created,
    Updated,
    Unchanged,
}

/// The files one command changed: `finish` logs its events and, with
/// `git.auto_commit`, commits exactly those files.
#[derive(Debug)]
pub struct Changes<'s> {
    store: &'s Store,
    changed: Vec<PathBuf>,
    /// Files [`Changes::create_file`] created that are still where it
    /// put them: one moved away again (a `tmp/` file renamed into place)
    /// was never anything to commit.
    created: Vec<PathBuf>,
    /// Directories with renames not yet fsynced (synced once, at the end).
    unsynced_dirs: Vec<PathBuf>,
    /// Nothing is fsynced (see [`Changes::lazy`]).
    lazy: bool,
}

impl<'s> Changes<'s> {
    pub(super) fn new(store: &'s Store) -> Changes<'s> {
        Changes {
            store,
            changed: Vec::new(),
            created: Vec::new(),
            unsynced_dirs: Vec::new(),
            lazy: false,
        }
    }

    /// Fsync neither the directories this change renames in nor its log
    /// lines (files it writes with [`Changes::write_unsynced`] are not
    /// flushed either; [`Changes::write_file`] still flushes its file): for
    /// a change whose loss to a power cut is harmless and that must be fast
    /// (a queue take: lost, its packet is back in `ready/`, as after its
    /// lease expired). A killed process loses nothing (the kernel has it
    /// all), and readers still never see half a file (every write is a
    /// rename).
    pub fn lazy(&mut self) {
        self.lazy = true;
    }

    pub fn store(&self) -> &'s Store {
        self.store
    }

    pub(super) fn record(&mut self, path: &Path, written: Written) {
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

    /// Write `bytes` to `path` unless the file already holds exactly them.
    pub fn write_file(&mut self, path: &Path, bytes: &[u8]) -> Result<Written> {
        Ok(self.write_files(vec![(path.to_path_buf(), bytes.to_vec())])?[0])
    }

    /// Write many files, each only if its bytes changed, each atomically
    /// (see [`atomic::write_batch`]); each directory is fsynced once, at
    /// the end.
    pub fn write_files(&mut self, jobs: Vec<(PathBuf, Vec<u8>)>) -> Result<Vec<Written>> {
        let absent = vec![false; jobs.len()];
        self.write_files_hinted(jobs, &absent)
    }

    /// [`Changes::write_files`] for a caller that listed the directories
    /// just before: `absent[i]` says there was no file at `jobs[i]`'s
    /// path, so it is not read to compare; should one have appeared
    /// meanwhile, it is compared before it is replaced (and left alone
    /// when it holds the same bytes), so the outcomes are exact either way.
    pub fn write_files_hinted(
        &mut self,
        jobs: Vec<(PathBuf, Vec<u8>)>,
        absent: &[bool],
    ) -> Result<Vec<Written>> {
        let mut dirs: Vec<&Path> = jobs.iter().filter_map(|(p, _)| p.parent()).collect();
        dirs.dedup();
        for dir in dirs {
            std::fs::create_dir_all(dir).at(dir)?;
        }
        let mut outcomes = self.compare_files(&jobs, absent)?;
        let mut changed: Vec<(PathBuf, Vec<u8>)> = Vec::new();
        let mut changed_absent: Vec<bool> = Vec::new();
        let mut index: Vec<usize> = Vec::new();
        for (i, job) in jobs.into_iter().enumerate() {
            if outcomes[i] != Written::Unchanged {
                changed.push(job);
                changed_absent.push(absent[i]);
                index.push(i);
            }
        }
        let first = changed.first().map(|(p, _)| p.clone()).unwrap_or_default();
        let placed = atomic::write_batch(&changed, &changed_absent).at(&first)?;
        for (((path, _), placed), i) in changed.iter().zip(placed).zip(index) {
            // Files read to compare keep the outcome the read gave.
            if absent[i] {
                outcomes[i] = match placed {
                    atomic::Placed::Created => Written::Created,
                    atomic::Placed::Replaced => Written::Updated,
                    atomic::Placed::Same => Written::Unchanged,
                };
            }
            self.record(path, outcomes[i]);
        }
        Ok(outcomes)
    }

    /// What [`Changes::write_files_hinted`] would do with each file,
    /// writing nothing (a dry run).
    pub fn compare_files(
        &self,
        jobs: &[(PathBuf, Vec<u8>)],
        absent: &[bool],
    ) -> Result<Vec<Written>> {
        assert_eq!(jobs.len(), absent.len(), "one `absent` per job");
        let indices: Vec<usize> = (0..jobs.len()).collect();
        parallel(&indices, |&i| {
            if absent[i] {
                return Ok(Written::Created);
            }
            let (path, bytes) = &jobs[i];
            compare(path, bytes)
        })
    }

    /// Write entities (stable bytes; unchanged ones are not rewritten).
    pub fn write_all<E: Entity>(&mut self, items: &[(&str, &E)]) -> Result<Vec<Written>> {
        let jobs = items
            .iter()
            .map(|(id, value)| Ok((self.store.path(E::KIND, id)?, value.to_bytes())))
            .collect::<Result<_>>()?;
        self.write_files(jobs)
    }

    pub fn write_bead(&mut self, bead: &Bead) -> Result<Written> {
        Ok(self.write_beads(std::slice::from_ref(bead))?[0])
    }

    pub fn write_beads(&mut self, beads: &[Bead]) -> Result<Vec<Written>> {
        let items: Vec<(&str, &Bead)> = beads.iter().map(|b| (b.id.as_str(), b)).collect();
        self.write_all(&items)
    }

    /// Write enrichment files; an empty enrichment removes its file.
    pub fn write_enrichments(&mut self, items: &[(String, Enrichment)]) -> Result<Vec<Written>> {
        let (empty, full): (Vec<_>, Vec<_>) = items.iter().partition(|(_, e)| e.is_empty());
        for (id, _) in empty {
            self.remove(&kind::ENRICHMENT, id)?;
        }
        let items: Vec<(&str, &Enrichment)> = full.iter().map(|(id, e)| (id.as_str(), e)).collect();
        self.write_all(&items)
    }

    pub fn write_enrichment(&mut self, bead_id: &str, enrichment: &Enrichment) -> Result<Written> {
        if enrichment.is_empty() {
            return self.remove(&kind::ENRICHMENT, bead_id);
        }
        Ok(self.write_all(&[(bead_id, enrichment)])?[0])
    }

    /// Replace `path` with `bytes` without fsyncing them (atomically: a
    /// reader sees the old file or the new one): for files whose loss to a
    /// power cut is harmless (a lease: its packet is then one without).
    pub fn write_unsynced(&mut self, path: &Path, bytes: &[u8]) -> Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).at(dir)?;
        }
        atomic::replace_unsynced(path, bytes).at(path)?;
        self.record(path, Written::Updated);
        Ok(())
    }

    /// Delete an entity's file (`Unchanged` when there was none).
    pub fn remove(&mut self, kind: &kind::Kind, id: &str) -> Result<Written> {
        let path = self.store.path(kind, id)?;
        self.remove_file(&path)
    }

    /// Delete a file (`Unchanged` when there was none).
    pub fn remove_file(&mut self, path: &Path) -> Result<Written> {
        let path = path.to_path_buf();
        match std::fs::remove_file(&path) {
            Ok(()) => {
                self.record(&path, Written::Updated);
                Ok(Written::Updated)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Written::Unchanged),
            Err(e) => Err(e).at(&path),
        }
    }

    /// Create an entity's file unless it exists: of several racing
    /// creators exactly one gets `Won` (a claim, a bead id). No lock.
    pub fn create_new<E: Entity>(&mut self, id: &str, value: &E) -> Result<Handoff> {
        let outcome = self.store.create_new(E::KIND, id, &value.to_bytes())?;
        if outcome == Handoff::Won {
            self.changed.push(self.store.path(E::KIND, id)?);
        }
        Ok(outcome)
    }

    /// Create a bead that must not exist yet (exactly one racing creator wins).
    pub fn create_bead(&mut self, bead: &Bead) -> Result<()> {
        match self.create_new(&bead.id, bead)? {
            Handoff::Won => Ok(()),
            Handoff::AlreadyTaken => Err(Error::Exists {
                kind: "bead",
                id: bead.id.clone(),
            }),
        }
    }

    /// Create an entity file that must not exist yet (`O_EXCL`: of several
    /// racing creators exactly one gets `Won`); recorded only when won.
    pub fn create<E: Entity>(&mut self, id: &str, value: &E) -> Result<Handoff> {
        let handoff = self.store.create_new(E::KIND, id, &value.to_bytes())?;
        if handoff == Handoff::Won {
            self.changed.push(self.store.path(E::KIND, id)?);
        }
        Ok(handoff)
    }

    /// Move a file unless its new place is taken or it is gone (see
    /// [`Store::move_new`]): of several racing movers exactly one gets
    /// `Won`; both paths are recorded only when won (`from` not at all
    /// when this change created it: git never knew it, and naming it to
    /// `git commit` would fail). Both directories are fsynced with the
    /// others at [`Changes::finish`] (before its events are logged), not
    /// per move: a queue take and its lease, or a `done` and the packets it
    /// unblocks, cost one fsync per directory.
    pub fn move_new(&mut self, from: &Path, to: &Path) -> Result<Handoff> {
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).at(dir)?;
        }
        let outcome = atomic::move_new_unsynced(from, to).at(from)?;
        if outcome == Handoff::Won {
            if let Some(i) = self.created.iter().position(|c| c == from) {
                self.created.swap_remove(i);
                self.changed.retain(|c| c != from);
            } else {
                self.record(from, Written::Updated);
            }
            self.record(to, Written::Updated);
        }
        Ok(outcome)
    }

    /// Create a file at `path` unless one exists (`O_EXCL`; the file
    /// appears whole); recorded only when won.
    pub fn create_file(&mut self, path: &Path, bytes: &[u8]) -> Result<Handoff> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).at(dir)?;
        }
        let outcome = atomic::create_new(path, bytes).at(path)?;
        if outcome == Handoff::Won {
            self.changed.push(path.to_path_buf());
            self.created.push(path.to_path_buf());
        }
        Ok(outcome)
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

    pub fn changed(&self) -> &[PathBuf] {
        &self.changed
    }

    pub(super) fn sync_dirs(&mut self) -> Result<()> {
        if self.lazy {
            self.unsynced_dirs.clear();
        }
        for dir in std::mem::take(&mut self.unsynced_dirs) {
            atomic::sync_dir(&dir).at(&dir)?;
        }
        Ok(())
    }

    /// Append the events to the log and, with `git.auto_commit`, commit
    /// what changed; then run the events' hooks (`hooks.on_<event>`, see
    /// [`super::hooks`]), so call it holding no lock. A command that
    /// changed nothing logs nothing. A commit that fails or must wait
    /// (merge in progress), or a hook that fails, is a warning in the
    /// result, never an error: the change is made (see [`log::Finished`]).
    pub fn finish(mut self, events: &[Event]) -> Result<log::Finished> {
        self.sync_dirs()?;
        if self.changed.is_empty() || events.is_empty() {
            return Ok(log::Finished::default());
        }
        self.refresh_schemas()?; // editors' schemas, after an upgrade (store/schema.rs)
        log::finish(
            self.store,
            std::mem::take(&mut self.changed),
            events,
            !self.lazy,
        )
    }
}

impl Drop for Changes<'_> {
    fn drop(&mut self) {
        // Best effort on error paths: what was renamed should also be durable.
        let _ = self.sync_dirs();
    }
}

/// Whether `path` already holds exactly `bytes`. Reads at most one byte
/// more than `bytes` (a longer file differs), into a buffer reused per
/// thread: a re-import compares every file.
fn compare(path: &Path, bytes: &[u8]) -> Result<Written> {
    use std::io::Read;
    thread_local! {
        static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Written::Created),
        Err(e) => return Err(e).at(path),
    };
    BUF.with_borrow_mut(|buf| {
        buf.clear();
        let limit = bytes.len() as u64 + 1;
        (&mut file).take(limit).read_to_end(buf).at(path)?;
        Ok(if buf.as_slice() == bytes {
            Written::Unchanged
        } else {
            Written::Updated
        })
    })
}
