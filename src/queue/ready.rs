//! The ready packets of each agent in take order, kept by a store handle
//! between takes, so that a long-lived drainer does not list `ready/` on
//! every take (with thousands of packets ready, that listing was most of
//! a take's cost).
//!
//! Kept only while it is known to be current: on Linux an inotify watch on
//! the agent's `ready/`, added (at the handle's second take) before the
//! listing it keeps, reports every change since. A packet leaving `ready/` is dropped from the order;
//! anything else (a packet arriving, a file written, the directory
//! replaced, the event queue overflowing) makes the next take list again.
//! Without inotify (another OS, or its limits reached) every take lists,
//! as before.
//!
//! Never the truth: the take still renames the file, and a packet that
//! another process took meanwhile is simply lost by this one.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use super::keys::{Key, Keys};
use super::{Result, State};
use crate::store::Store;
use crate::store::kind::PACKETS;

/// Take order: highest priority (lowest number), then lowest dependency
/// depth, oldest, smallest id.
pub type Rank = (u8, u32, String, String);

fn rank(id: &str, key: &Key) -> Rank {
    (
        key.priority,
        key.depth,
        key.created_at.clone(),
        id.to_string(),
    )
}

/// The kept orders of one store handle, shared by its threads.
#[derive(Default)]
pub struct Ready {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    agents: HashMap<String, Kept>,
    watch: watch::Watcher,
}

#[derive(Default)]
struct Kept {
    order: BTreeMap<Rank, Arc<Key>>,
    rank_of: HashMap<String, Rank>,
    /// Listed since the watch began, with every change applied since.
    current: bool,
    /// Listed at least once by this handle.
    listed: bool,
}

impl Kept {
    fn remove(&mut self, id: &str) {
        if let Some(r) = self.rank_of.remove(id) {
            self.order.remove(&r);
        }
    }
}

impl Ready {
    pub fn of(store: &Store) -> Arc<Ready> {
        store.memo::<Ready>()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The first ready packet of `agent` after `after` in take order
    /// (from the start when `None`: a new take, which first brings the
    /// kept order up to date, listing `dir` when it must).
    pub fn next(
        &self,
        store: &Store,
        agent: &str,
        dir: &Path,
        after: Option<&Rank>,
    ) -> Result<Option<(String, Arc<Key>, Rank)>> {
        let mut inner = self.lock();
        if after.is_none() {
            let Inner { agents, watch } = &mut *inner;
            watch.drain(|agent, change| {
                let kept = agents.entry(agent.to_string()).or_default();
                match change {
                    Change::Gone(id) => kept.remove(&id),
                    Change::Unknown => kept.current = false,
                }
            });
            let kept = agents.entry(agent.to_string()).or_default();
            // Watched from the second take on: a one-shot take (a `gemba
            // queue take` process) lists once, because closing an inotify
            // instance waits for the kernel (10-15 ms here).
            let watched = kept.listed && watch.ensure(agent, dir);
            if !(watched && kept.current) {
                let ids = store.list_ids_unsorted(dir, &PACKETS)?;
                let listed = Keys::of(store).listed(store, agent, State::Ready, ids, dir)?;
                kept.order.clear();
                kept.rank_of.clear();
                for (id, key) in listed {
                    let r = rank(&id, &key);
                    kept.rank_of.insert(id, r.clone());
                    kept.order.insert(r, key);
                }
                kept.current = watched;
                kept.listed = true;
            }
        }
        let Some(kept) = inner.agents.get(agent) else {
            return Ok(None);
        };
        let mut range = match after {
            Some(r) => kept
                .order
                .range((std::ops::Bound::Excluded(r), std::ops::Bound::Unbounded)),
            None => kept.order.range(..),
        };
        Ok(range
            .next()
            .map(|(r, key)| (r.3.clone(), key.clone(), r.clone())))
    }

    /// `id` left `agent`'s `ready/` (this take won or lost it).
    pub fn gone(&self, agent: &str, id: &str) {
        if let Some(kept) = self.lock().agents.get_mut(agent) {
            kept.remove(id);
        }
    }

    /// List `agent`'s `ready/` again at its next take (its kept keys were
    /// found stale).
    pub fn forget(&self, agent: &str) {
        if let Some(kept) = self.lock().agents.get_mut(agent) {
            kept.current = false;
        }
    }
}

/// What the watch saw happen in an agent's `ready/`.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
enum Change {
    /// This packet's file left.
    Gone(String),
    /// Something else: list again.
    Unknown,
}

#[cfg(target_os = "linux")]
mod watch {
    use std::collections::HashMap;
    use std::mem::MaybeUninit;
    use std::os::fd::OwnedFd;
    use std::path::Path;

    use rustix::fs::inotify::{self, CreateFlags, ReadFlags, WatchFlags};

    use super::Change;
    use crate::store::kind::PACKETS;

    /// One inotify instance per store handle, a watch per agent's `ready/`.
    #[derive(Default)]
    pub(super) struct Watcher {
        /// `None` until first needed; `Some(None)` when inotify is not
        /// available (every take lists).
        fd: Option<Option<OwnedFd>>,
        agent_of: HashMap<i32, String>,
        wd_of: HashMap<String, i32>,
    }

    impl Watcher {
        /// Whether `agent`'s `ready/` (at `dir`) is watched, starting the
        /// watch if need be (it fails while the directory does not exist).
        pub(super) fn ensure(&mut self, agent: &str, dir: &Path) -> bool {
            if self.wd_of.contains_key(agent) {
                return true;
            }
            let fd = self.fd.get_or_insert_with(|| {
                inotify::init(CreateFlags::CLOEXEC | CreateFlags::NONBLOCK).ok()
            });
            let Some(fd) = fd else {
                return false;
            };
            let flags = WatchFlags::CREATE
                | WatchFlags::MOVED_TO
                | WatchFlags::MOVED_FROM
                | WatchFlags::DELETE
                | WatchFlags::CLOSE_WRITE
                | WatchFlags::DELETE_SELF
                | WatchFlags::MOVE_SELF
                | WatchFlags::ONLYDIR;
            match inotify::add_watch(&*fd, dir, flags) {
                Ok(wd) => {
                    // Two names for one directory share a watch: keep the
                    // newest; the other lists on every take.
                    if let Some(old) = self.agent_of.insert(wd, agent.to_string()) {
                        self.wd_of.remove(&old);
                    }
                    self.wd_of.insert(agent.to_string(), wd);
                    true
                }
                Err(_) => false,
            }
        }

        /// Hand every change reported since the last call to `apply`.
        pub(super) fn drain(&mut self, mut apply: impl FnMut(&str, Change)) {
            let Some(Some(fd)) = &self.fd else {
                return;
            };
            let mut buf = [MaybeUninit::<u8>::uninit(); 8192];
            let mut reader = inotify::Reader::new(fd, &mut buf);
            let mut dropped = Vec::new();
            loop {
                let event = match reader.next() {
                    Ok(e) => e,
                    Err(rustix::io::Errno::INTR) => continue,
                    Err(rustix::io::Errno::AGAIN) => break, // nothing more
                    Err(_) => {
                        for agent in self.wd_of.keys() {
                            apply(agent, Change::Unknown);
                        }
                        break;
                    }
                };
                let flags = event.events();
                if flags.contains(ReadFlags::QUEUE_OVERFLOW) {
                    for agent in self.wd_of.keys() {
                        apply(agent, Change::Unknown);
                    }
                    continue;
                }
                let Some(agent) = self.agent_of.get(&event.wd()) else {
                    continue;
                };
                if flags.intersects(
                    ReadFlags::IGNORED
                        | ReadFlags::DELETE_SELF
                        | ReadFlags::MOVE_SELF
                        | ReadFlags::UNMOUNT,
                ) {
                    dropped.push(event.wd());
                    apply(agent, Change::Unknown);
                    continue;
                }
                let gone = flags.intersects(ReadFlags::MOVED_FROM | ReadFlags::DELETE);
                let id = event
                    .file_name()
                    .and_then(|n| n.to_str().ok())
                    .and_then(|n| PACKETS.id_of(n));
                match id {
                    Some(id) if gone => apply(agent, Change::Gone(id)),
                    // A temp file leaving changes nothing.
                    None if gone => {}
                    _ => apply(agent, Change::Unknown),
                }
            }
            for wd in dropped {
                if let Some(agent) = self.agent_of.remove(&wd) {
                    self.wd_of.remove(&agent);
                }
                if let Some(Some(fd)) = &self.fd {
                    let _ = inotify::remove_watch(fd, wd);
                }
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod watch {
    use std::path::Path;

    use super::Change;

    /// No watch: every take lists.
    #[derive(Default)]
    pub(super) struct Watcher;

    impl Watcher {
        pub(super) fn ensure(&mut self, _agent: &str, _dir: &Path) -> bool {
            false
        }

        pub(super) fn drain(&mut self, _apply: impl FnMut(&str, Change)) {}
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;
    use proptest::prelude::*;

    use crate::model::packet::Spec;
    use crate::queue::{self, Enqueue, State, Take};
    use crate::sessions::agents::{self, Envelope};
    use crate::store::{self, Store};

    const AGENT: &str = "alice";

    /// What another process (or a person, or `git pull`) does to the
    /// queue between two takes of the long-lived handle.
    #[derive(Debug, Clone)]
    enum Op {
        /// Enqueue a packet of this priority through another handle.
        Enqueue(u8),
        /// Another handle takes (its own kept order).
        TakeElsewhere,
        /// Another handle fails a packet in progress: back to `ready/`.
        FailElsewhere,
        /// A ready packet's file removed by hand.
        Remove(usize),
        /// The long-lived handle takes.
        Take,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0u8..4).prop_map(Op::Enqueue),
            1 => Just(Op::TakeElsewhere),
            1 => Just(Op::FailElsewhere),
            1 => (0usize..8).prop_map(Op::Remove),
            3 => Just(Op::Take),
        ]
    }

    fn at(step: usize) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + step as i64).unwrap()
    }

    fn take(store: &Store, step: usize) -> Option<String> {
        let req = Take {
            agent: AGENT.into(),
            session: None,
            batch: 1,
            lease: None,
        };
        let taken = queue::take(store, &req, "test", at(step)).unwrap();
        taken.packets.first().map(|p| p.id.clone())
    }

    /// The packet a take must get now: the first of `ready/` in take
    /// order, from the files themselves.
    fn first_ready(store: &Store) -> Option<String> {
        let dir = store.queue_dir(AGENT, State::Ready.dir()).unwrap();
        let mut ready: Vec<(u8, String, String)> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .map(|p| {
                let v: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
                let id = v["id"].as_str().unwrap().to_string();
                (
                    v["priority"].as_u64().unwrap() as u8,
                    v["created_at"].as_str().unwrap().to_string(),
                    id,
                )
            })
            .collect();
        ready.sort();
        ready.into_iter().next().map(|(_, _, id)| id)
    }

    fn ready_files(store: &Store) -> Vec<std::path::PathBuf> {
        let dir = store.queue_dir(AGENT, State::Ready.dir()).unwrap();
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Whatever happens to `ready/` between its takes, a handle that
        /// keeps its order takes exactly what a fresh listing says is
        /// first.
        #[test]
        fn a_kept_order_takes_what_a_fresh_listing_would(ops in prop::collection::vec(op(), 1..24)) {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path().join(".gemba");
            store::init(&root).unwrap();
            let drainer = Store::open(&root, None).unwrap();
            {
                let mut tx = drainer.changes();
                let (_, e) = agents::add(&mut tx, AGENT, Envelope::default(), "test", at(0)).unwrap();
                let _ = tx.finish(&[e]).unwrap();
            }
            let mut taken_elsewhere = Vec::new();
            for (step, op) in ops.into_iter().enumerate() {
                let step = step + 1;
                // Another process: a handle of its own each time.
                let other = Store::open(&root, None).unwrap();
                match op {
                    Op::Enqueue(priority) => {
                        let req = Enqueue {
                            agent: AGENT.into(),
                            id: Some(format!("pk-{step:03}")),
                            bead: None,
                            spec: Spec { title: format!("packet {step}"), ..Spec::default() },
                            priority,
                            after: Vec::new(),
                            requires: None,
                            stages: Vec::new(),
                            session: None,
                        };
                        queue::enqueue(&other, req, "test", at(step)).unwrap();
                    }
                    Op::TakeElsewhere => taken_elsewhere.extend(take(&other, step)),
                    Op::FailElsewhere => {
                        if let Some(id) = taken_elsewhere.pop() {
                            queue::fail(&other, &id, "again", None, "test", at(step)).unwrap();
                        }
                    }
                    Op::Remove(i) => {
                        let files = ready_files(&other);
                        if !files.is_empty() {
                            std::fs::remove_file(&files[i % files.len()]).unwrap();
                        }
                    }
                    Op::Take => {
                        let want = first_ready(&other);
                        prop_assert_eq!(take(&drainer, step), want);
                    }
                }
            }
        }
    }
}
