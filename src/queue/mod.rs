//! Per-agent queues, Maildir-style: owns
//! `.gemba/queues/<agent>/{tmp,ready,blocked,in_progress,done,failed}/<packet>.json`
//! and the leases of packets in progress, `.gemba/queues/<agent>/leases/<packet>.json`.
//! Error type [`Error`]; the pure rules (order, cycles, hold-back,
//! unblocking) are in [`dag`], takes across clones in [`remote`].
//!
//! **The protocol.** A packet's state is the directory its file is in, so
//! every state change is one rename and a packet is never in two places,
//! whenever a process dies:
//! - *enqueue* writes `tmp/<id>.json` (`O_EXCL`, whole and fsynced), then
//!   renames it into `ready/`, or into `blocked/` while one of its `after`
//!   packets is not done;
//! - *take* renames `ready/<id>` to `in_progress/<id>` with a rename that
//!   never replaces ([`Store::move_new`]): of several racing takers exactly
//!   one wins, the others move on to the next packet. No lock decides it.
//!   The winner then writes its lease to `leases/<id>.json`, leaving the
//!   packet's file as it was;
//! - *done* and *fail* rename `in_progress/` to `done/`, `ready/` (a
//!   requeue with notes) or `failed/`; done then moves the blocked
//!   packets that waited for it and whose other prerequisites are done to
//!   `ready/`.
//!
//! **Cost per packet.** A take reads no packet but the one it wins:
//! priority, depth, age and targets never change after enqueue and are
//! kept by id (module `keys`: in memory for a store handle's life, and in
//! a derived index under `.gemba/index/queues/` for the next process). It
//! lists its agent's `ready/` (names only) only when that may have changed
//! since its handle last did (module `ready`: an inotify watch on Linux),
//! so a long-lived drainer does not list thousands of names per take. A
//! done finds its packet by probing the state directories ([`locate`]) and
//! reads only blocked packets, by their kept `after`. Directories are fsynced once per
//! command, with its events, not once per rename. So take and done cost
//! the same with 5 or 5,000 packets queued, bar one directory listing.
//!
//! **Locks.** Everything but the take's rename holds the scoped
//! `queues.lock` for a read and a write or rename ([`Scope::Queues`]; a
//! give-back across clones also holds it for its push), so
//! that a renew never rewrites a packet that recover has just moved away
//! (which would leave it in two places), and an enqueue's ready-or-blocked
//! decision never misses the done that unblocks it.
//!
//! **Hold-back across racing takers.** A taker skips packets whose targets
//! overlap a packet in progress. Two takers may still each rename one of
//! two overlapping packets at the same moment, so after its rename a taker
//! checks again under the lock, against the in-progress packets that
//! carry a lease (taken and confirmed): the first to get the lock keeps
//! its packet, the other puts its own back in `ready/` and tries the next.
//!
//! **A take is not fsynced** ([`Changes::lazy`]): one rename, one small
//! lease file and one log line, each atomic, none flushed. A kill loses
//! nothing; a power cut may undo recent takes, leaving their packets in
//! `ready/` or in progress without a lease, exactly what a taker that died
//! leaves. Every other change (enqueue, done, fail, ...) is durable before
//! its command returns. This is what lets one taker take a thousand
//! packets a second (`cargo bench --bench queue`).
//!
//! **Leases.** A taken packet carries a lease (`queue.lease`, 2 h) that
//! `gemba queue renew` extends; `gemba queue recover` returns packets
//! whose lease expired to `ready/`. A packet in progress without a lease
//! (its taker died between rename and lease) expires one lease after it
//! entered `in_progress/` (the file's change time). A take or done by a
//! session also renews that session's other packets in its queue, once
//! their lease is past its first half (so not on every call): one
//! `queue.renew` event lists them, none when nothing was due.
//!
//! **Waiting.** `take --wait` re-takes when the agent's `ready/` or any
//! `in_progress/` changed ([`Watch`]: a few `stat`s a tick) and rescans
//! blocked packets every `queue.idle_rescan` ([`rescan`]).
//!
//! **Across clones** ([`remote`]). Clones share a queue through ordinary
//! commits, so each clone has its own `ready/` and the rename decides only
//! among the takers of one clone. With `claims.remote` set, the winner of
//! the rename (after the lock-held confirm and lease) must also create
//! `refs/gemba/takes/<packet>` on that remote by a must-not-exist push,
//! outside the lock; the lease records the ref's commit. A lost push puts
//! the file back in `ready/` unchanged, notes the holder in
//! `.gemba/index/remote-takes.json` (later takes skip the packet without
//! a push; `gemba queue sync` refreshes the copy) and moves on to the next
//! packet. Giving a packet back to `ready/` (fail, a stage done, recover)
//! replaces the ref, on the commit its lease recorded, by a release into
//! the packet's next round, before the local rename; a take swaps a
//! release for its own take only when its copy is in that round. Done
//! leaves the ref, so a clone that has not merged the `done/` file loses
//! the push instead of doing the work again. `claims.on_unreachable`
//! decides when the remote cannot be reached: `fail`, no take or give-back
//! and nothing changed; `local`, on this clone only, with a warning.
//! Without `claims.remote` a take makes no git call.
//!
//! Every state change logs an event (`queue.*`).

pub mod dag;
pub mod fit;
mod keys;
pub mod ledger;
mod ready;
pub mod remote;
pub mod reroute;
pub mod starving;
pub mod status;
pub mod supply;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::Serialize;

use crate::git;
use crate::model::duration::Duration;
use crate::model::packet::{Lease, Note, Spec, StageDone};
use crate::model::take::RemoteTake;
use crate::model::{Agent, Event, EventKind, Packet, id, timestamp};
use crate::plan::select::Queued;
use crate::store::kind::{self, Entity, LEASES, PACKETS};
use crate::store::log::Finished;
use crate::store::{self, Changes, Handoff, Scope, Store};

pub use dag::Hold;
use keys::Keys;
pub use ledger::Shipped;
use ready::Ready;
use remote::{TakePush, Takes};
pub use reroute::{Rerouted, reroute};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error("{0}")]
    Invalid(String),
    #[error("unknown agent {0:?}")]
    UnknownAgent(String),
    #[error("no packet {0:?} in any queue")]
    UnknownPacket(String),
    #[error("packet {0:?} already exists")]
    Exists(String),
    #[error("dependency cycle: {}", .0.join(" -> "))]
    Cycle(Vec<String>),
    #[error("packet {packet:?} is {state}, not in progress")]
    NotInProgress { packet: String, state: State },
    #[error("packet {packet:?} is held by session {holder:?}, not {session:?}")]
    NotHolder {
        packet: String,
        holder: String,
        session: String,
    },
    /// The agent cannot do the packet (`requires`, its stage's role).
    #[error("agent {agent:?} does not fit: {why}")]
    Unfit { agent: String, why: String },
    #[error(transparent)]
    Git(#[from] git::Error),
    #[error(
        "cannot {what}: the claims remote {remote:?} is unreachable ({message}); nothing was changed"
    )]
    Unreachable {
        what: String,
        remote: String,
        message: String,
    },
    #[error("claims.remote is set but {0} is not inside a git worktree")]
    NoRepository(String),
    #[error(
        "claims.remote is not set in .gemba/config.yaml: there is no remote to sync queue takes with"
    )]
    NoRemote,
    /// One request of [`enqueue_all`] (0-based `index`).
    #[error("item {}: {source}", index + 1)]
    Item { index: usize, source: Box<Error> },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The directory a packet is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Ready,
    Blocked,
    InProgress,
    Done,
    Failed,
}

/// Where enqueue writes a packet before renaming it into its state.
const TMP: &str = "tmp";
/// Where the leases of an agent's packets in progress are kept.
pub const LEASES_DIR: &str = "leases";

impl State {
    pub const ALL: [State; 5] = [
        State::Ready,
        State::Blocked,
        State::InProgress,
        State::Done,
        State::Failed,
    ];

    /// Its directory name under `.gemba/queues/<agent>/`.
    pub fn dir(self) -> &'static str {
        match self {
            State::Ready => "ready",
            State::Blocked => "blocked",
            State::InProgress => "in_progress",
            State::Done => "done",
            State::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.dir() == text)
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.dir())
    }
}

/// Where one packet file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub agent: String,
    pub state: State,
    pub path: PathBuf,
}

/// Every packet file of every queue, by id, from directory listings only
/// (no file is read). A packet found in two places (a hand copy) is an
/// error naming both; one that moved while the directories were listed is
/// where it is now.
pub fn locate_all(store: &Store) -> Result<BTreeMap<String, Located>> {
    let mut all: BTreeMap<String, Located> = BTreeMap::new();
    for agent in store.queue_agents()? {
        for state in State::ALL {
            let dir = store.queue_dir(&agent, state.dir())?;
            for (id, path) in store.list_dir(&dir, &PACKETS)?.entries {
                let here = Located {
                    agent: agent.clone(),
                    state,
                    path,
                };
                if let Some(there) = all.get(&id) {
                    // Listed in one directory, then renamed into the next
                    // one listed (a take runs without the lock): where it
                    // is now decides. Two files that stay are a hand copy.
                    match (there.path.exists(), here.path.exists()) {
                        (true, true) => {
                            return Err(Error::Invalid(format!(
                                "packet {id:?} is in two places: {} and {}",
                                store.show(&there.path),
                                store.show(&here.path)
                            )));
                        }
                        (true, false) => continue,
                        _ => {}
                    }
                }
                all.insert(id, here);
            }
        }
    }
    Ok(all)
}

/// Where packet `id` is, by probing its file name in every state
/// directory (no listing, no read): O(agents) however long the queues.
/// Found in two places: a take that moved it meanwhile (the older place
/// is gone when looked at again), else an error naming both.
pub fn locate(store: &Store, id: &str) -> Result<Option<Located>> {
    id::validate(id).map_err(|e| Error::Invalid(e.to_string()))?;
    let mut found: Option<Located> = None;
    for agent in store.queue_agents()? {
        for state in State::ALL {
            let path = store.queue_file(&agent, state.dir(), id)?;
            if path.symlink_metadata().is_err() {
                continue;
            }
            let here = Located {
                agent: agent.clone(),
                state,
                path,
            };
            found = match found {
                None => Some(here),
                Some(there) if there.path.symlink_metadata().is_err() => Some(here),
                Some(there) if here.path.symlink_metadata().is_err() => Some(there),
                Some(there) => {
                    return Err(Error::Invalid(format!(
                        "packet {id:?} is in two places: {} and {}",
                        store.show(&there.path),
                        store.show(&here.path)
                    )));
                }
            };
        }
    }
    Ok(found)
}

/// The packets of one state directory of one agent, sorted by id; files
/// that vanish while listed (taken meanwhile) are skipped.
fn load_state(store: &Store, agent: &str, state: State) -> Result<Vec<Packet>> {
    let dir = store.queue_dir(agent, state.dir())?;
    let mut packets = Vec::new();
    for (id, path) in store.list_dir(&dir, &PACKETS)?.entries {
        if let Some(p) = read_at(&path, &id)? {
            packets.push(p);
        }
    }
    Ok(packets)
}

/// One packet file, with its lease when in progress; `None` when it is
/// gone.
fn read_at(path: &Path, id: &str) -> Result<Option<Packet>> {
    let Some(mut packet) = read_entity::<Packet>(path, id)? else {
        return Ok(None);
    };
    if let Some(lease) = lease_path(path) {
        // The lease file wins over a lease kept in the packet's file (as
        // takes before leases had their own files wrote it).
        if let Some(l) = read_entity::<Lease>(&lease, id)? {
            packet.lease = Some(l);
        }
    }
    Ok(Some(packet))
}

fn read_entity<E: Entity>(path: &Path, id: &str) -> Result<Option<E>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(
            kind::parse(path, &bytes, id).map_err(store::Error::from)?,
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(store::Error::Io {
            path: path.to_path_buf(),
            source,
        }
        .into()),
    }
}

/// Where the lease of the packet whose file is at `path` is kept, when
/// that file is in `in_progress/`: `<agent>/leases/<packet>.json`.
pub(crate) fn lease_path(path: &Path) -> Option<PathBuf> {
    let dir = path.parent()?;
    if dir.file_name()? != State::InProgress.dir() {
        return None;
    }
    Some(dir.parent()?.join(LEASES_DIR).join(path.file_name()?))
}

/// Write a packet at `path`: in `in_progress/` its lease goes to its own
/// file (removed when it has none), the packet's file is left without.
fn write_packet(tx: &mut Changes<'_>, path: &Path, packet: &Packet) -> Result<()> {
    let Some(lease_file) = lease_path(path) else {
        tx.write_file(path, &packet.to_bytes())?;
        return Ok(());
    };
    let mut bare = packet.clone();
    let lease = bare.lease.take();
    tx.write_file(path, &bare.to_bytes())?;
    match lease {
        Some(l) => tx.write_file(&lease_file, &l.to_bytes())?,
        None => tx.remove_file(&lease_file)?,
    };
    Ok(())
}

/// Remove the lease of the in-progress packet at `path`, before the
/// packet leaves `in_progress/` (so that a crash in between leaves a
/// packet without a lease, which expires, never a stray lease).
fn drop_lease(tx: &mut Changes<'_>, path: &Path) -> Result<()> {
    if let Some(lease_file) = lease_path(path) {
        tx.remove_file(&lease_file)?;
    }
    Ok(())
}

/// The beads with a packet in a queue (ready, blocked, in progress or
/// done, any agent), each with its first packet by id (a live one before
/// a done one). Selection, supply and the STARVING rule leave them out, so
/// that no bead is handed to a second agent (supply enqueues beads without
/// a claim) and no finished bead is handed out again while it waits for
/// its close in the tracker. From the kept keys: listings, and only
/// packets not known yet are read.
pub fn queued_beads(store: &Store) -> store::Result<BTreeMap<String, Queued>> {
    let keys = Keys::of(store);
    let mut out: BTreeMap<String, Queued> = BTreeMap::new();
    for agent in store.queue_agents()? {
        for state in [State::Ready, State::Blocked, State::InProgress, State::Done] {
            let dir = store.queue_dir(&agent, state.dir())?;
            let ids = store.list_ids_unsorted(&dir, &PACKETS)?;
            let listed = keys
                .listed(store, &agent, state, ids, &dir)
                .map_err(|e| match e {
                    Error::Store(e) => e,
                    // Listing reads files only: no other error can come.
                    other => store::Error::Io {
                        path: dir.clone(),
                        source: std::io::Error::other(other.to_string()),
                    },
                })?;
            for (id, key) in listed {
                let Some(bead) = &key.bead else { continue };
                let here = Queued {
                    agent: agent.clone(),
                    packet: id,
                    state: state.to_string(),
                };
                let rank = |q: &Queued| (q.state == "done", q.packet.clone());
                match out.get(bead) {
                    Some(q) if rank(q) <= rank(&here) => {}
                    _ => {
                        out.insert(bead.clone(), here);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// What [`archive`] removed (or would, in a dry run).
#[derive(Debug, Serialize)]
pub struct Archived {
    pub dry_run: bool,
    /// RFC 3339: packets finished before this went.
    pub before: String,
    pub packets: Vec<ArchivedPacket>,
    /// Finished before `before` but kept: their bead is still open.
    pub kept: usize,
    /// With `claims.remote`: take refs that could not be deleted (their
    /// packets stay, for the next archive).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(skip)]
    pub finished: Finished,
}

#[derive(Debug, Serialize)]
pub struct ArchivedPacket {
    pub packet: String,
    pub agent: String,
    pub state: State,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bead: Option<String>,
    /// When it was finished (its `updated_at`).
    pub finished_at: String,
}

/// Remove the packets finished (`done/`, `failed/`) more than `age` ago
/// whose bead is closed (or gone, or that have none), logged as one
/// `queue.archive` event: the queue directories stop growing, the log and
/// git history keep every packet. A done packet of an open bead stays: it
/// is what keeps that bead from being handed out again until the tracker
/// closes it ([`queued_beads`]). With `claims.remote`, each packet's take
/// ref is deleted first; a packet whose ref cannot be deleted stays.
pub fn archive(
    store: &Store,
    age: Duration,
    dry_run: bool,
    actor: &str,
    now: Timestamp,
) -> Result<Archived> {
    let before = now
        .checked_sub(age.signed())
        .map_err(|e| Error::Invalid(format!("--older-than {age}: {e}")))?;
    let takes = Takes::of(store)?;
    let mut tx = store.changes();
    let lock = store.lock(Scope::Queues)?;
    // First what goes (a packet that cannot be read fails the archive
    // before anything changed), then each: its take ref, then its file.
    let mut open: BTreeMap<String, bool> = BTreeMap::new();
    let mut going: Vec<(PathBuf, ArchivedPacket)> = Vec::new();
    let mut kept = 0;
    for agent in store.queue_agents()? {
        for state in [State::Done, State::Failed] {
            let dir = store.queue_dir(&agent, state.dir())?;
            for (id, path) in store.list_dir(&dir, &PACKETS)?.entries {
                let Some(p) = read_at(&path, &id)? else {
                    continue;
                };
                let finished_at = p.updated_at.parse::<Timestamp>().ok();
                if finished_at.is_none_or(|t| t >= before) {
                    continue;
                }
                if let Some(bead) = &p.bead {
                    let is_open = match open.get(bead) {
                        Some(o) => *o,
                        None => {
                            let o = match store.read_bead(bead) {
                                Ok(b) => b.status != "closed",
                                Err(store::Error::NotFound { .. }) => false,
                                Err(e) => return Err(e.into()),
                            };
                            *open.entry(bead.clone()).or_insert(o)
                        }
                    };
                    if is_open {
                        kept += 1;
                        continue;
                    }
                }
                going.push((
                    path,
                    ArchivedPacket {
                        packet: id,
                        agent: agent.clone(),
                        state,
                        bead: p.bead.clone(),
                        finished_at: p.updated_at.clone(),
                    },
                ));
            }
        }
    }
    let mut packets = Vec::new();
    let mut warnings = Vec::new();
    let mut left: Vec<String> = Vec::new();
    let mut refused: Option<String> = None;
    for (path, a) in going {
        if dry_run {
            packets.push(a);
            continue;
        }
        // After one refusal (most likely the remote is down), the rest
        // stay too, without a try each.
        if refused.is_none()
            && let Some(t) = &takes
        {
            refused = t.forget(&a.packet).unwrap_or_else(|e| Some(e.to_string()));
        }
        if refused.is_some() {
            left.push(a.packet);
            continue;
        }
        if let Err(e) = tx.remove_file(&path) {
            // What went is logged below; the rest stays.
            warnings.push(format!("archive stopped at {}: {e}", a.packet));
            break;
        }
        packets.push(a);
    }
    drop(lock);
    if let Some(why) = refused {
        warnings.push(format!(
            "{} stay(s): the take ref on {:?} could not be deleted ({why}); archive again later",
            left.join(", "),
            takes.as_ref().map_or("", Takes::name)
        ));
    }
    let events = if dry_run || packets.is_empty() {
        Vec::new()
    } else {
        let beads: BTreeSet<String> = packets.iter().filter_map(|p| p.bead.clone()).collect();
        vec![
            Event::new(
                now,
                actor,
                EventKind::QueueArchive,
                beads.into_iter().collect(),
                format!(
                    "archive {} packet(s) finished before {}",
                    packets.len(),
                    timestamp(before)
                ),
            )
            .with("before", timestamp(before))
            .with("packets", &packets)
            .with("remote", takes.as_ref().map(Takes::name)),
        ]
    };
    let finished = tx.finish(&events)?;
    Ok(Archived {
        dry_run,
        before: timestamp(before),
        packets,
        kept,
        warnings,
        finished,
    })
}

/// Every packet in progress, in every queue.
fn in_progress(store: &Store) -> Result<Vec<Packet>> {
    let mut busy = Vec::new();
    for agent in store.queue_agents()? {
        busy.extend(load_state(store, &agent, State::InProgress)?);
    }
    Ok(busy)
}

fn lease_end(now: Timestamp, lease: Duration) -> Result<String> {
    now.checked_add(lease.signed())
        .map(timestamp)
        .map_err(|e| Error::Invalid(format!("lease {lease} from {now}: {e}")))
}

fn known_agent(store: &Store, agent: &str) -> Result<()> {
    agent_of(store, agent).map(|_| ())
}

/// An agent's envelope, or [`Error::UnknownAgent`].
fn agent_of(store: &Store, agent: &str) -> Result<Agent> {
    id::validate(agent).map_err(|e| Error::Invalid(format!("agent: {e}")))?;
    store
        .read::<Agent>(agent)?
        .ok_or_else(|| Error::UnknownAgent(agent.to_string()))
}

/// `pk-<6 base36>`: from the title, the time and a unique id;
/// `attempt` lengthens it after collisions.
fn packet_id(title: &str, now: Timestamp, attempt: u32) -> String {
    let mut h = crate::hash::Fnv::default();
    h.write(title.as_bytes())
        .write(&now.as_nanosecond().to_le_bytes())
        .write(crate::model::event::new_id().as_bytes());
    format!(
        "pk-{}",
        crate::hash::base36(h.finish(), 6 + (attempt / 4) as usize)
    )
}

// ---------------------------------------------------------------- enqueue

/// What to enqueue (`gemba queue enqueue`).
#[derive(Debug, Clone)]
pub struct Enqueue {
    pub agent: String,
    /// An explicit packet id (default: a fresh `pk-…`).
    pub id: Option<String>,
    pub bead: Option<String>,
    pub spec: Spec,
    pub priority: u8,
    pub after: Vec<String>,
    pub requires: Option<String>,
    pub stages: Vec<String>,
    /// Keep it for this session of the agent (auto-dispatch claimed its
    /// bead for it): other sessions' takes pass over it.
    pub session: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Enqueued {
    pub packet: Packet,
    /// `ready` or `blocked`.
    pub state: State,
    /// The `after` packets not done yet.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waiting_for: Vec<String>,
    #[serde(skip)]
    pub finished: Finished,
}

/// The spec of a bead: its title, description, acceptance criteria (one
/// per non-empty line) and enrichment's targets and concepts.
pub fn spec_of_bead(store: &Store, bead: &str) -> Result<Spec> {
    let b = store.read_bead(bead)?;
    let e = store.read_enrichment(bead)?;
    Ok(Spec {
        title: b.title.clone(),
        body: b.description.clone(),
        acceptance: b
            .acceptance_criteria
            .lines()
            .map(|l| l.trim().trim_start_matches(['-', '*']).trim().to_string())
            .filter(|l| !l.is_empty())
            .collect(),
        targets: e.target_globs().to_vec(),
        concepts: e.concept_names().to_vec(),
    })
}

/// Put a packet in `agent`'s queue: `ready/`, or `blocked/` while an
/// `after` packet is not done. Unknown agent, unknown `after` packet and a
/// dependency cycle are errors, and then nothing is left behind.
pub fn enqueue(store: &Store, req: Enqueue, actor: &str, now: Timestamp) -> Result<Enqueued> {
    enqueue_sourced(store, req, None, actor, now)
}

/// [`enqueue`] a packet made from a demand source item (`gemba supply`):
/// `source` (`<source>:<item key>`) is kept in the packet and its event.
pub fn enqueue_sourced(
    store: &Store,
    req: Enqueue,
    source: Option<&str>,
    actor: &str,
    now: Timestamp,
) -> Result<Enqueued> {
    let mut packet = new_packet(store, &req, source, now)?;
    let mut tx = store.changes();
    // 1. tmp/: a whole file under a name nobody else has.
    let mut tmp = None;
    for attempt in 0..32 {
        packet.id = match &req.id {
            Some(id) => id.clone(),
            None => packet_id(&packet.spec.title, now, attempt),
        };
        packet
            .validate()
            .map_err(|m| Error::Invalid(format!("packet: {m}")))?;
        let path = store.queue_file(&packet.agent, TMP, &packet.id)?;
        match tx.create_file(&path, &packet.to_bytes())? {
            Handoff::Won => {
                tmp = Some(Tmp(path));
                break;
            }
            Handoff::AlreadyTaken if req.id.is_some() => {
                return Err(Error::Exists(packet.id.clone()));
            }
            Handoff::AlreadyTaken => {}
        }
    }
    let Some(tmp) = tmp else {
        return Err(Error::Invalid("could not find a free packet id".into()));
    };

    // 2. ready/ or blocked/, decided under the lock (a done that would
    //    unblock it either happened before, or sees it in blocked/).
    let lock = store.lock(Scope::Queues)?;
    if locate(store, &packet.id)?.is_some() {
        return Err(Error::Exists(packet.id.clone()));
    }
    let mut waiting_for = Vec::new();
    for after in &packet.after {
        if *after == packet.id {
            continue; // the cycle check names it
        }
        match locate(store, after)? {
            None => return Err(Error::UnknownPacket(after.clone())),
            Some(l) if l.state == State::Done => {}
            Some(_) => waiting_for.push(after.clone()),
        }
    }
    check_cycle(store, &[&packet])?;
    let state = if waiting_for.is_empty() {
        State::Ready
    } else {
        State::Blocked
    };
    let to = store.queue_file(&packet.agent, state.dir(), &packet.id)?;
    if tx.move_new(&tmp.0, &to)? != Handoff::Won {
        return Err(Error::Exists(packet.id.clone()));
    }
    std::mem::forget(tmp);
    drop(lock);
    let event = enqueue_event(&packet, state, &waiting_for, actor, now);
    let finished = tx.finish(&[event])?;
    Ok(Enqueued {
        packet,
        state,
        waiting_for,
        finished,
    })
}

/// A temp file removed unless it was renamed into place.
struct Tmp(PathBuf);

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A new packet from `req` (id still empty), checked: known agent, stage
/// names.
fn new_packet(
    store: &Store,
    req: &Enqueue,
    source: Option<&str>,
    now: Timestamp,
) -> Result<Packet> {
    let envelope = agent_of(store, &req.agent)?;
    if let Some(session) = &req.session {
        id::validate(session).map_err(|e| Error::Invalid(format!("session: {e}")))?;
        match store.read::<crate::model::Session>(session)? {
            Some(s) if s.agent == req.agent => {}
            Some(s) => {
                return Err(Error::Invalid(format!(
                    "session {session:?} is {}'s, not {}'s",
                    s.agent, req.agent
                )));
            }
            None => return Err(Error::Invalid(format!("no session {session:?}"))),
        }
    }
    for stage in &req.stages {
        if stage.trim().is_empty() || stage.contains(',') {
            return Err(Error::Invalid(format!(
                "stages: {stage:?} is not a stage name"
            )));
        }
    }
    let at = timestamp(now);
    let packet = Packet {
        id: String::new(),
        agent: req.agent.clone(),
        bead: req.bead.clone(),
        source: source.map(String::from),
        session: req.session.clone(),
        spec: req.spec.clone(),
        priority: req.priority,
        after: req.after.clone(),
        requires: req.requires.clone(),
        stage: req.stages.first().cloned(),
        stages: req.stages.clone(),
        attempts: 0,
        notes: Vec::new(),
        history: Vec::new(),
        lease: None,
        created_at: at.clone(),
        updated_at: at,
    };
    // What the packet needs, before anything is written.
    let needs = fit::Needs::of(&packet, &store.config().queue.stage_roles);
    if let Some(why) = fit::why_not(&needs, &envelope) {
        return Err(Error::Unfit {
            agent: envelope.name.clone(),
            why,
        });
    }
    Ok(packet)
}

/// Reject new packets that close a cycle with each other or with the
/// packets not yet done. A new cycle must run through a new packet, so
/// only the ancestry of the new packets' `after` packets is read (done
/// packets end a walk: nothing can wait on a new packet through them).
fn check_cycle(store: &Store, new: &[&Packet]) -> Result<()> {
    let mut edges: BTreeMap<String, Vec<String>> = new
        .iter()
        .map(|p| (p.id.clone(), p.after.clone()))
        .collect();
    let mut todo: Vec<String> = new.iter().flat_map(|p| p.after.clone()).collect();
    let keys = Keys::of(store);
    while let Some(id) = todo.pop() {
        if edges.contains_key(&id) {
            continue;
        }
        let after = match locate(store, &id)? {
            Some(loc) if loc.state != State::Done => match keys.get(&id) {
                Some(k) => k.after.clone(),
                None => read_at(&loc.path, &id)?
                    .map(|p| p.after)
                    .unwrap_or_default(),
            },
            _ => Vec::new(),
        };
        todo.extend(after.iter().cloned());
        edges.insert(id, after);
    }
    let edges: dag::Edges<'_> = edges
        .iter()
        .map(|(id, after)| (id.as_str(), after.as_slice()))
        .collect();
    match dag::find_cycle(&edges) {
        Some(cycle) => Err(Error::Cycle(cycle)),
        None => Ok(()),
    }
}

/// What `enqueue_all` did.
#[derive(Debug, Serialize)]
pub struct EnqueuedAll {
    /// In input order.
    pub packets: Vec<Enqueued>,
    #[serde(skip)]
    pub finished: Finished,
}

/// Enqueue many packets at once (`gemba queue enqueue --from FILE`): the
/// same rules as [`enqueue`] for each, decided under one lock; `after` may
/// name packets of the same batch. Files are written in one batch (one
/// flush instead of one fsync per packet) and renamed into place one by
/// one, and each packet gets its `queue.enqueue` event. Any invalid
/// request ([`Error::Item`] says which) fails the whole batch before a
/// file is written.
pub fn enqueue_all(
    store: &Store,
    reqs: Vec<Enqueue>,
    actor: &str,
    now: Timestamp,
) -> Result<EnqueuedAll> {
    let item = |index: usize| {
        move |e: Error| Error::Item {
            index,
            source: Box::new(e),
        }
    };
    let mut packets = Vec::with_capacity(reqs.len());
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for (i, req) in reqs.iter().enumerate() {
        let mut p = new_packet(store, req, None, now).map_err(item(i))?;
        p.id = match &req.id {
            Some(id) => id.clone(),
            // Collisions with the store are checked below, as for ids given.
            None => (0..)
                .map(|attempt| packet_id(&p.spec.title, now, attempt))
                .find(|id| !index.contains_key(id))
                .expect("an unused id"),
        };
        p.validate()
            .map_err(|m| item(i)(Error::Invalid(format!("packet: {m}"))))?;
        if index.insert(p.id.clone(), i).is_some() {
            return Err(item(i)(Error::Exists(p.id.clone())));
        }
        packets.push(p);
    }

    // 1. Checked first, without the lock: bad input writes nothing.
    let refs: Vec<&Packet> = packets.iter().collect();
    place_all(&packets, &index, &locate_all(store)?).map_err(|(i, e)| item(i)(e))?;
    check_cycle(store, &refs)?;

    // 2. The files, in one batch write into a directory of this batch's
    //    own under tmp/ (never another enqueue's tmp/<id>.json), outside
    //    the lock: the slow part of a bulk enqueue holds up nobody.
    let mut tx = store.changes();
    let batch = format!("batch-{}", crate::model::event::new_id());
    let mut jobs = Vec::with_capacity(packets.len());
    let mut dirs: Vec<PathBuf> = Vec::new();
    for p in &packets {
        let dir = store.queue_dir(&p.agent, TMP)?.join(&batch);
        jobs.push((dir.join(PACKETS.file_name(&p.id)), p.to_bytes()));
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    let _dirs = TmpDirs(dirs);
    let tmps: Vec<Tmp> = jobs.iter().map(|(path, _)| Tmp(path.clone())).collect();
    let absent = vec![true; jobs.len()];
    tx.write_files_hinted(jobs, &absent)?;

    // 3. Ready or blocked, decided again under the lock (a racing enqueue
    //    or done may have changed the answer), then one rename each.
    let lock = store.lock(Scope::Queues)?;
    let (states, waiting) =
        place_all(&packets, &index, &locate_all(store)?).map_err(|(i, e)| item(i)(e))?;
    let mut events = Vec::with_capacity(packets.len());
    let mut failed = None;
    for (i, (p, tmp)) in packets.iter().zip(tmps).enumerate() {
        let to = store.queue_file(&p.agent, states[i].dir(), &p.id)?;
        match tx.move_new(&tmp.0, &to) {
            Ok(Handoff::Won) => std::mem::forget(tmp),
            Ok(Handoff::AlreadyTaken) => {
                failed = Some(item(i)(Error::Exists(p.id.clone())));
                break;
            }
            Err(e) => {
                failed = Some(item(i)(e.into()));
                break;
            }
        }
        events.push(enqueue_event(p, states[i], &waiting[i], actor, now));
    }
    drop(lock);
    // What was placed is logged even when a later rename failed.
    let finished = tx.finish(&events)?;
    if let Some(e) = failed {
        return Err(e);
    }
    Keys::of(store).enqueued(store, &packets, &states)?;
    let packets = packets
        .into_iter()
        .zip(states)
        .zip(waiting)
        .map(|((packet, state), waiting_for)| Enqueued {
            packet,
            state,
            waiting_for,
            finished: Finished::default(),
        })
        .collect();
    Ok(EnqueuedAll { packets, finished })
}

/// Where each new packet goes (`ready` or `blocked`) and what it waits
/// for, given every packet's place; an id taken or an unknown `after`
/// is an error for that item. `index`: the batch's ids.
#[allow(clippy::type_complexity)]
fn place_all(
    packets: &[Packet],
    index: &BTreeMap<String, usize>,
    all: &BTreeMap<String, Located>,
) -> Result<(Vec<State>, Vec<Vec<String>>), (usize, Error)> {
    let mut states = Vec::with_capacity(packets.len());
    let mut waiting = Vec::with_capacity(packets.len());
    for (i, p) in packets.iter().enumerate() {
        if all.contains_key(&p.id) {
            return Err((i, Error::Exists(p.id.clone())));
        }
        let mut waiting_for = Vec::new();
        for after in &p.after {
            match all.get(after) {
                Some(l) if l.state == State::Done => {}
                Some(_) => waiting_for.push(after.clone()),
                None if index.contains_key(after) => waiting_for.push(after.clone()),
                None => return Err((i, Error::UnknownPacket(after.clone()))),
            }
        }
        states.push(if waiting_for.is_empty() {
            State::Ready
        } else {
            State::Blocked
        });
        waiting.push(waiting_for);
    }
    Ok((states, waiting))
}

/// Batch directories under `tmp/`, removed when done (empty by then,
/// unless an error left files: those go too).
struct TmpDirs(Vec<PathBuf>);

impl Drop for TmpDirs {
    fn drop(&mut self) {
        for dir in &self.0 {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn enqueue_event(
    p: &Packet,
    state: State,
    waiting_for: &[String],
    actor: &str,
    now: Timestamp,
) -> Event {
    let mut event = Event::new(
        now,
        actor,
        EventKind::QueueEnqueue,
        p.bead.iter().cloned().collect(),
        format!("enqueue {} for {} ({state})", p.id, p.agent),
    )
    .with("packet", &p.id)
    .with("agent", &p.agent)
    .with("state", state)
    .with("priority", p.priority);
    if !waiting_for.is_empty() {
        event = event.with("waiting_for", waiting_for);
    }
    if let Some(source) = &p.source {
        event = event.with("source", source);
    }
    event
}

// ------------------------------------------------------------------- take

#[derive(Debug, Clone)]
pub struct Take {
    pub agent: String,
    pub session: Option<String>,
    /// Take up to this many mutually conflict-free packets (at least 1).
    pub batch: usize,
    /// Default: `queue.lease`.
    pub lease: Option<Duration>,
}

#[derive(Debug, Serialize)]
pub struct Taken {
    /// In take order; empty when there was nothing to take.
    pub packets: Vec<Packet>,
    /// Ready packets held back by a packet in progress.
    pub held: Vec<Held>,
    /// Packets another taker got first (on this clone, or on another
    /// clone through `claims.remote`).
    pub lost: usize,
    /// Ready packets this agent does not fit (`requires`, its stage's
    /// role): they wait for `gemba queue reroute` to find one that does.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unfit: Vec<Unfit>,
    /// Ready here but taken on another clone (`claims.remote`): lost at
    /// the push just now, or skipped since an earlier loss or sync said so.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub elsewhere: Vec<Elsewhere>,
    /// Things that did not stop the take (`claims.on_unreachable: local`,
    /// a batch cut short).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(skip)]
    pub finished: Finished,
}

/// A ready packet its agent cannot do, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Unfit {
    pub packet: String,
    pub why: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Elsewhere {
    pub packet: String,
    /// What the remote's take ref holds (`None`: unreadable).
    pub holder: Option<RemoteTake>,
    /// `push`: lost the push just now; `mirror`: known from an earlier
    /// loss or `gemba queue sync`, not tried.
    pub seen: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Held {
    pub packet: String,
    #[serde(flatten)]
    pub hold: Hold,
}

/// Take up to `batch` ready packets of `agent` (see the module doc),
/// passing over those kept for a session other than `req.session` and
/// those the agent does not fit.
///
/// Cost: at most one listing of the agent's `ready/` (none when the
/// handle's kept order is current); ordering and hold-back come from the
/// kept keys, so only candidates that pass hold-back are read (for what
/// can change after enqueue: stage, round, who it is kept for).
pub fn take(store: &Store, req: &Take, actor: &str, now: Timestamp) -> Result<Taken> {
    let envelope = agent_of(store, &req.agent)?;
    let stage_roles = &store.config().queue.stage_roles;
    if let Some(s) = &req.session {
        id::validate(s).map_err(|e| Error::Invalid(format!("session: {e}")))?;
    }
    let lease = req.lease.unwrap_or(store.config().queue.lease);
    let until = lease_end(now, lease)?;
    let keys = Keys::of(store);
    let ready = Ready::of(store);
    let ready_dir = store.queue_dir(&req.agent, State::Ready.dir())?;
    // Across clones, the remote's take ref too (see `remote`); without
    // `claims.remote` no git call at all.
    let takes = Takes::of(store)?;
    let mirror = takes.as_ref().map(Takes::mirror).transpose()?;

    let mut tx = store.changes();
    // Nothing a take writes is fsynced: lost to a power cut, it leaves its
    // packets in `ready/` or in progress without a lease (expired one
    // lease after the take), the state a crashed taker leaves anyway.
    tx.lazy();
    let mut won: Vec<Packet> = Vec::new();
    let mut held = Vec::new();
    let mut lost = 0;
    let mut unfit = Vec::new();
    let mut elsewhere = Vec::new();
    let mut warnings = Vec::new();
    let mut offline: Option<String> = None;
    let mut local_only = BTreeSet::new();
    // Packets in progress (any agent), listed once, when first needed.
    let mut busy: Option<Vec<Packet>> = None;
    // In take order (module `ready`: kept between takes, listed when it
    // may have changed).
    let mut cursor = None;
    while let Some((id, key, rank)) = ready.next(store, &req.agent, &ready_dir, cursor.as_ref())? {
        cursor = Some(rank);
        if won.len() >= req.batch.max(1) {
            break;
        }
        if !key.targets.is_empty() {
            if busy.is_none() {
                busy = Some(in_progress_keys(store)?);
            }
            let skeleton = key.skeleton(&id, &req.agent);
            let others = busy.iter().flatten().chain(&won);
            if let Some(hold) = dag::held_back_by(&skeleton, others) {
                held.push(Held { packet: id, hold });
                continue;
            }
        }
        let from = store.queue_file(&req.agent, State::Ready.dir(), &id)?;
        let to = store.queue_file(&req.agent, State::InProgress.dir(), &id)?;
        // What the keys do not keep, or can change after enqueue (who it is
        // kept for, its stage, its round): from the file.
        let candidate = match read_at(&from, &id) {
            Ok(Some(p)) => p,
            Ok(None) => {
                ready.gone(&req.agent, &id);
                lost += 1; // taken (or moved) since the listing
                continue;
            }
            Err(e) if won.is_empty() => return Err(e),
            Err(_) => break,
        };
        if !key.matches(&candidate) {
            keys.put(store, &candidate)?; // a hand edit: count it from now on
            ready.forget(&req.agent);
        }
        // Kept for another session (its bead is claimed for that one).
        if candidate.session.is_some() && candidate.session != req.session {
            continue;
        }
        if let Some(why) = fit::why_not(&fit::Needs::of(&candidate, stage_roles), &envelope) {
            unfit.push(Unfit { packet: id, why });
            continue;
        }
        if let (Some(t), Some(m)) = (&takes, &mirror)
            && let Some(holder) = m.get(&id).filter(|h| h.blocks(&candidate, &t.clone, now))
        {
            elsewhere.push(Elsewhere {
                packet: id,
                holder: Some(holder.clone()),
                seen: "mirror",
            });
            continue;
        }
        let ours = match &takes {
            Some(t) => Some(
                t.take_of(&candidate, req.session.as_deref(), now, &until)?
                    .1,
            ),
            None => None,
        };
        let moved = tx.move_new(&from, &to)?;
        ready.gone(&req.agent, &id); // ours or another's: out of ready/
        if moved == Handoff::AlreadyTaken {
            lost += 1;
            continue;
        }
        // Ours. Under the lock, confirm that no overlapping packet was
        // leased meanwhile and write the lease (its own file: the packet's
        // is left as it was).
        let mut packet = candidate.clone();
        let lease = Lease {
            session: req.session.clone(),
            taken_at: timestamp(now),
            until: until.clone(),
            remote: ours.clone(),
            batch: Vec::new(),
        };
        let lease_file = lease_path(&to).expect("an in_progress/ path");
        let lock = store.lock(Scope::Queues)?;
        if !candidate.spec.targets.is_empty() {
            let leased: Vec<Packet> = in_progress(store)?
                .into_iter()
                .filter(|p| p.lease.is_some() && p.id != id)
                .collect();
            if let Some(hold) = dag::held_back_by(&candidate, &leased) {
                // Put it back: nobody else can have a ready/ file of this id.
                tx.move_new(&to, &from)?;
                held.push(Held { packet: id, hold });
                continue;
            }
        }
        if to.symlink_metadata().is_err() {
            continue; // recovered meanwhile (a lease shorter than this take)
        }
        if lease.remote.is_some() {
            // Giving it back releases the take ref on the commit this
            // lease records: that must survive a power cut (a take across
            // clones waits on the network anyway).
            tx.write_file(&lease_file, &lease.to_bytes())?;
        } else {
            tx.write_unsynced(&lease_file, &lease.to_bytes())?;
        }
        packet.lease = Some(lease);
        drop(lock);

        // Across clones: the push, outside the lock (it waits on the
        // network; nobody else on this clone can have this packet now).
        let (Some(t), Some(ours)) = (&takes, &ours) else {
            won.push(packet);
            continue;
        };
        // Once the remote proved unreachable, the rest of the batch does
        // not wait for it again.
        let pushed = match &offline {
            Some(message) => Ok(TakePush::Unreachable(message.clone())),
            None => t.push_take(&candidate, ours),
        };
        let failure = match pushed {
            Ok(TakePush::Won) => {
                won.push(packet);
                continue;
            }
            Ok(TakePush::Elsewhere(holder)) => {
                let _lock = store.lock(Scope::Queues)?;
                put_back(&mut tx, &to, &from)?;
                let holder = holder.map(|h| *h);
                if let Some(h) = &holder {
                    t.note(h.clone())?;
                }
                lost += 1;
                elsewhere.push(Elsewhere {
                    packet: id,
                    holder,
                    seen: "push",
                });
                continue;
            }
            Ok(TakePush::Unreachable(message)) if t.local_when_unreachable() => {
                let _lock = store.lock(Scope::Queues)?;
                if let Some(lease) = packet.lease.as_mut() {
                    lease.remote = None;
                    tx.write_unsynced(&lease_file, &lease.to_bytes())?;
                }
                warnings.push(format!(
                    "the claims remote {:?} is unreachable ({message}): took {} on this clone only (claims.on_unreachable: local)",
                    t.name(),
                    packet.id
                ));
                offline = Some(message);
                local_only.insert(packet.id.clone());
                won.push(packet);
                continue;
            }
            Ok(TakePush::Unreachable(message)) => t.unreachable(format!("take {id}"), message),
            Err(e) => e,
        };
        // The remote failed us: this packet goes back; the ones already
        // won stay won (their refs are pushed), or nothing was changed.
        let _lock = store.lock(Scope::Queues)?;
        put_back(&mut tx, &to, &from)?;
        if won.is_empty() {
            return Err(failure);
        }
        let why = match failure {
            Error::Unreachable {
                remote, message, ..
            } => format!("the claims remote {remote:?} is unreachable ({message})"),
            other => other.to_string(),
        };
        warnings.push(format!(
            "{why}: took {} packet(s), not {id} and the rest of the batch",
            won.len(),
        ));
        break;
    }
    if won.len() > 1 {
        // A parallel batch: each lease names the others, so that the done
        // of the last one is known (the scan scheduler's barrier).
        let ids: Vec<String> = won.iter().map(|p| p.id.clone()).collect();
        for p in &mut won {
            let Some(lease) = p.lease.as_mut() else {
                continue;
            };
            lease.batch = ids.iter().filter(|i| **i != p.id).cloned().collect();
            let to = store.queue_file(&p.agent, State::InProgress.dir(), &p.id)?;
            let file = lease_path(&to).expect("an in_progress/ path");
            if lease.remote.is_some() {
                tx.write_file(&file, &lease.to_bytes())?;
            } else {
                tx.write_unsynced(&file, &lease.to_bytes())?;
            }
        }
    }
    let mut events: Vec<Event> = won
        .iter()
        .map(|p| {
            let e = Event::new(
                now,
                actor,
                EventKind::QueueTake,
                p.bead.iter().cloned().collect(),
                format!(
                    "take {} for {}{}",
                    p.id,
                    p.agent,
                    req.session
                        .as_deref()
                        .map(|s| format!(" ({s})"))
                        .unwrap_or_default()
                ),
            )
            .with("packet", &p.id)
            .with("agent", &p.agent)
            .with("session", &req.session)
            .with("lease_until", &until);
            match p.lease.as_ref().and_then(|l| l.remote.as_ref()) {
                Some(r) => e.with("remote", &r.remote),
                None if local_only.contains(&p.id) => e.with("local_only", true),
                None => e,
            }
        })
        .collect();
    if let Some(session) = req.session.as_deref().filter(|_| !won.is_empty()) {
        let mine: Vec<&str> = won.iter().map(|p| p.id.as_str()).collect();
        events.extend(renew_session(
            store, &mut tx, &req.agent, session, &mine, lease, actor, now,
        )?);
    }
    let finished = tx.finish(&events)?;
    Ok(Taken {
        packets: won,
        held,
        lost,
        unfit,
        elsewhere,
        warnings,
        finished,
    })
}

/// Return a packet this take renamed to `to` (and leased) to `from` in
/// `ready/`, as it was (the caller holds `queues.lock`).
fn put_back(tx: &mut Changes<'_>, to: &Path, from: &Path) -> Result<()> {
    drop_lease(tx, to)?;
    tx.move_new(to, from)?;
    Ok(())
}

/// The `after` edges of `packets` and of every packet behind them, by id
/// (read on demand: only the ancestry of the candidates).
pub(super) fn ancestry(store: &Store, packets: &[Packet]) -> Result<BTreeMap<String, Vec<String>>> {
    let mut edges: BTreeMap<String, Vec<String>> = packets
        .iter()
        .map(|p| (p.id.clone(), p.after.clone()))
        .collect();
    let mut todo: Vec<String> = packets.iter().flat_map(|p| p.after.clone()).collect();
    if todo.is_empty() {
        return Ok(edges);
    }
    let all = locate_all(store)?;
    while let Some(id) = todo.pop() {
        if edges.contains_key(&id) {
            continue;
        }
        let after = match all.get(&id) {
            Some(loc) => read_at(&loc.path, &id)?
                .map(|p| p.after)
                .unwrap_or_default(),
            None => Vec::new(),
        };
        todo.extend(after.iter().cloned());
        edges.insert(id, after);
    }
    Ok(edges)
}

/// The packets in progress in every queue, as their kept keys (targets
/// and ids are all hold-back needs).
fn in_progress_keys(store: &Store) -> Result<Vec<Packet>> {
    let keys = Keys::of(store);
    let mut busy = Vec::new();
    for agent in store.queue_agents()? {
        let dir = store.queue_dir(&agent, State::InProgress.dir())?;
        for (id, path) in store.list_dir(&dir, &PACKETS)?.entries {
            let key = match keys.get(&id) {
                Some(k) => k,
                None => match read_at(&path, &id)? {
                    Some(p) => keys.put(store, &p)?,
                    None => continue,
                },
            };
            busy.push(key.skeleton(&id, &agent));
        }
    }
    Ok(busy)
}

/// How often a waiting take checks whether the queue changed (a few
/// `stat`s).
const TICK: std::time::Duration = std::time::Duration::from_millis(200);

/// Take; while there is nothing to take, wait up to `wait`: each tick
/// look at the queue directories' stamps and take again only when one
/// changed (a done, fail or enqueue shows at once); every
/// `queue.idle_rescan` also rescan (blocked packets whose prerequisites
/// were finished elsewhere, e.g. merged from another clone) and take.
/// `rescanned` gets each rescan's commit outcome. `now` is the clock at
/// the start; later takes add the time waited.
pub fn take_waiting(
    store: &Store,
    req: &Take,
    actor: &str,
    now: Timestamp,
    wait: std::time::Duration,
    mut rescanned: impl FnMut(Finished),
) -> Result<Taken> {
    use std::time::Instant;
    let start = Instant::now();
    let deadline = start + wait;
    let idle_rescan =
        std::time::Duration::from_secs(store.config().queue.idle_rescan.as_secs() as u64);
    // The clock moves on while we wait: leases count from the take that
    // got the packet (the first take uses the caller's clock as is).
    let clock = || {
        let waited = jiff::SignedDuration::try_from(start.elapsed()).unwrap_or_default();
        now.checked_add(waited).unwrap_or(now)
    };
    let mut watch = Watch::new(store, &req.agent)?;
    let mut taken = take(store, req, actor, now)?;
    let mut last_rescan = Instant::now();
    while taken.packets.is_empty() && Instant::now() < deadline {
        std::thread::sleep(TICK.min(deadline.saturating_duration_since(Instant::now())));
        if last_rescan.elapsed() >= idle_rescan {
            let (_, finished) = rescan(store, actor, clock())?;
            rescanned(finished);
            last_rescan = Instant::now();
        } else if !watch.changed(store, &req.agent)? {
            continue;
        }
        watch = Watch::new(store, &req.agent)?;
        taken = take(store, req, actor, clock())?;
    }
    Ok(taken)
}

/// What an idle `take --wait` watches between takes: the agent's
/// `ready/` (an enqueue, a requeue, an unblock adds to it) and every
/// `in_progress/` (a packet finished anywhere may release one held back).
/// A few `stat` calls a tick instead of a take.
#[derive(Debug)]
pub struct Watch {
    stamps: Vec<(PathBuf, Option<crate::store::index::Stamp>)>,
    at_ns: i64,
}

impl Watch {
    /// The directories' stamps now; look before taking, so a change made
    /// during the take shows as a change.
    pub fn new(store: &Store, agent: &str) -> Result<Watch> {
        let mut dirs = vec![store.queue_dir(agent, State::Ready.dir())?];
        for a in store.queue_agents()? {
            dirs.push(store.queue_dir(&a, State::InProgress.dir())?);
        }
        let stamps = dirs
            .into_iter()
            .map(|d| {
                let stamp = std::fs::metadata(&d)
                    .ok()
                    .map(|m| crate::store::index::Stamp::of(&m));
                (d, stamp)
            })
            .collect();
        Ok(Watch {
            stamps,
            at_ns: crate::store::index::now_ns(),
        })
    }

    /// Whether a watched directory changed (or appeared) since [`Watch::new`].
    /// A directory changed shortly before that look counts as changed
    /// (git's racy-clean rule): a later change within the filesystem's
    /// timestamp granularity could leave its stamp the same.
    pub fn changed(&self, store: &Store, agent: &str) -> Result<bool> {
        let now = Watch::new(store, agent)?;
        if now.stamps.len() != self.stamps.len() {
            return Ok(true);
        }
        let racy = crate::store::index::RACY_WINDOW.as_nanos() as i64;
        Ok(self.stamps.iter().zip(&now.stamps).any(|(old, new)| {
            old != new
                || old
                    .1
                    .is_some_and(|s| s.mtime_ns.max(s.ctime_ns) + racy > self.at_ns)
        }))
    }
}

// --------------------------------------------------- done, fail, renew

/// An in-progress packet, read under the lock, checked against the
/// session when one is named.
fn in_progress_packet(
    store: &Store,
    packet: &str,
    session: Option<&str>,
) -> Result<(Packet, Located)> {
    let loc = locate(store, packet)?.ok_or_else(|| Error::UnknownPacket(packet.into()))?;
    if loc.state != State::InProgress {
        return Err(Error::NotInProgress {
            packet: packet.into(),
            state: loc.state,
        });
    }
    let p = read_at(&loc.path, packet)?.ok_or_else(|| Error::UnknownPacket(packet.into()))?;
    if let (Some(session), Some(holder)) =
        (session, p.lease.as_ref().and_then(|l| l.session.as_ref()))
        && holder != session
    {
        return Err(Error::NotHolder {
            packet: packet.into(),
            holder: holder.clone(),
            session: session.into(),
        });
    }
    Ok((p, loc))
}

#[derive(Debug, Serialize)]
pub struct Finish {
    pub packet: Packet,
    /// Where it went: `done`, `ready` (next stage, or a requeue after a
    /// failure) or `failed`.
    pub state: State,
    /// Blocked packets it moved to `ready/`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unblocked: Vec<String>,
    /// Blocked packets that wait for it (after a failure).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dependents: Vec<String>,
    /// The agent its next stage was handed to (another role's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handed_to: Option<String>,
    /// Why its next stage stays in this queue although this agent does
    /// not do its role: no agent does (`gemba queue reroute` moves it
    /// once one does).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting: Option<String>,
    /// What shipped, when this was its last stage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipped: Option<Shipped>,
    /// The whole parallel batch (`take --batch`), when this done finished
    /// its last packet: the scan scheduler's barrier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_done: Option<Vec<String>>,
    /// Things that did not stop it (a take ref left as it was).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(skip)]
    pub finished: Finished,
}

/// `gemba queue done`: the packet's current stage is done (`stage`, when
/// given, must name it), recorded in its history. A stage before the last
/// advances it to the next stage, back to `ready/`: in this queue while
/// this agent does the next stage's role, else in the queue of the best
/// agent that does ([`fit::choose`]), else here, waiting for one. The
/// last stage (or a packet without stages) moves it to `done/`, moves
/// every blocked packet whose prerequisites are now all done to `ready/`,
/// and ships it: a `queue.shipped` event, the artifact ledger.
pub fn done(
    store: &Store,
    packet: &str,
    stage: Option<&str>,
    session: Option<&str>,
    actor: &str,
    now: Timestamp,
) -> Result<Finish> {
    let mut tx = store.changes();
    let lock = store.lock(Scope::Queues)?;
    let (mut p, loc) = in_progress_packet(store, packet, session)?;
    if let Some(stage) = stage
        && p.stage.as_deref() != Some(stage)
    {
        return Err(Error::Invalid(format!(
            "packet {packet:?} is at stage {}, not {stage:?}",
            p.stage
                .as_deref()
                .map_or("(none)".into(), |s| format!("{s:?}"))
        )));
    }
    let before = p.clone();
    let current = p.stage.clone();
    let next_stage = current.as_ref().and_then(|c| {
        let i = p.stages.iter().position(|s| s == c)?;
        p.stages.get(i + 1).cloned()
    });
    p.history.push(StageDone {
        stage: current.clone(),
        agent: p.agent.clone(),
        session: p
            .lease
            .as_ref()
            .and_then(|l| l.session.clone())
            .or(session.map(String::from)),
        at: timestamp(now),
    });
    p.lease = None;
    p.updated_at = timestamp(now);
    let holder = p.agent.clone();
    let (mut handed_to, mut waiting) = (None, None);
    let state = match &next_stage {
        Some(next) => {
            p.stage = Some(next.clone());
            match next_agent(store, &p, now)? {
                NextAgent::Stay => {}
                NextAgent::To(agent) => handed_to = Some(agent),
                NextAgent::Wait(why) => waiting = Some(why),
            }
            State::Ready
        }
        None => State::Done,
    };
    if let Some(to) = &handed_to {
        p.agent = to.clone();
    }
    let warnings = remote::give_back(store, &before, &p, state, now)?;
    if handed_to.is_some() {
        if relocate(store, &mut tx, &loc.path, &p)? != Handoff::Won {
            // Nobody else moves an in-progress packet while we hold the lock.
            return Err(Error::UnknownPacket(p.id.clone()));
        }
    } else {
        let to = store.queue_file(&p.agent, state.dir(), &p.id)?;
        write_packet(&mut tx, &loc.path, &p)?;
        tx.move_new(&loc.path, &to)?;
    }
    let unblocked = if state == State::Done {
        unblock_after(store, &mut tx, &p.id)?
    } else {
        Vec::new()
    };
    let batch_done = match before.lease.as_ref().map(|l| &l.batch) {
        Some(batch) if !batch.is_empty() && state == State::Done => batch_finished(store, batch)?
            .then(|| {
                let mut all = batch.clone();
                all.push(p.id.clone());
                all.sort();
                all
            }),
        _ => None,
    };
    drop(lock);
    let mut message = match (&current, &next_stage) {
        (Some(s), Some(next)) => format!("done {} stage {s}; next stage {next}", p.id),
        (Some(s), None) => format!("done {} stage {s}, the last", p.id),
        (None, _) => format!("done {}", p.id),
    };
    if let Some(to) = &handed_to {
        message.push_str(&format!(", handed to {to}"));
    }
    let mut event = Event::new(
        now,
        actor,
        EventKind::QueueDone,
        p.bead.iter().cloned().collect(),
        message,
    )
    .with("packet", &p.id)
    .with("agent", &holder)
    .with("state", state);
    if let Some(s) = &current {
        event = event.with("stage", s).with("next_stage", &next_stage);
    }
    if let Some(to) = &handed_to {
        event = event.with("to", to);
    }
    if let Some(why) = &waiting {
        event = event.with("waiting", why);
    }
    if !unblocked.is_empty() {
        event = event.with("unblocked", &unblocked);
    }
    let mut events = vec![event];
    let shipped = (state == State::Done).then(|| Shipped::of(&p));
    if let Some(s) = &shipped {
        let mut e = Event::new(
            now,
            actor,
            EventKind::QueueShipped,
            p.bead.iter().cloned().collect(),
            format!("shipped {}: {} ({})", p.id, p.spec.title, s.route()),
        );
        e.data = s.data();
        events.push(e);
    }
    let lease_session = before.lease.as_ref().and_then(|l| l.session.as_deref());
    if let Some(session) = session.or(lease_session) {
        let lease = store.config().queue.lease;
        events.extend(renew_session(
            store,
            &mut tx,
            &holder,
            session,
            &[&p.id],
            lease,
            actor,
            now,
        )?);
    }
    let finished = tx.finish(&events)?;
    Ok(Finish {
        packet: p,
        state,
        unblocked,
        dependents: Vec::new(),
        handed_to,
        waiting,
        shipped,
        batch_done,
        warnings,
        finished,
    })
}

/// Whether none of `batch` is waiting or in progress any more (each done,
/// failed, or gone): the caller, done with the last of it, holds the lock.
fn batch_finished(store: &Store, batch: &[String]) -> Result<bool> {
    for id in batch {
        if let Some(loc) = locate(store, id)?
            && matches!(loc.state, State::Ready | State::Blocked | State::InProgress)
        {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Where a packet's next stage goes.
enum NextAgent {
    /// Its agent does the stage's role.
    Stay,
    To(String),
    /// No agent does: it stays, and why.
    Wait(String),
}

/// The agent for `p`'s (new) current stage: its own while it fits, else
/// the best that does ([`fit::choose`], the choice reroute makes).
fn next_agent(store: &Store, p: &Packet, now: Timestamp) -> Result<NextAgent> {
    let config = &store.config().queue;
    let needs = fit::Needs::of(p, &config.stage_roles);
    if let Some(holder) = store.read::<Agent>(&p.agent)?
        && fit::misfits(&needs, &holder).is_empty()
    {
        return Ok(NextAgent::Stay);
    }
    let fleet = reroute::Fleet::read(store)?;
    let bead = reroute::bead_of(store, p)?;
    let head = bead.as_ref().map(|(b, _)| crate::model::BeadHead::from(b));
    let mut needs = needs;
    needs.bead = head
        .as_ref()
        .map(|h| crate::plan::fit::Needs::of(h, bead.as_ref().map(|(_, e)| e)));
    let candidates = fleet.candidates(now, config.absent_after);
    Ok(match fit::choose(&needs, &candidates, &p.agent, None) {
        Ok(c) => NextAgent::To(c.agent.name.clone()),
        Err(no) => NextAgent::Wait(no.0),
    })
}

/// Move `packet`, whose file is at `from` (ready/ or in_progress/), into
/// the `ready/` of `packet.agent`, rewritten (the caller holds the lock):
/// renamed into that agent's `blocked/` first (`AlreadyTaken` when a
/// taker got it), rewritten there where no taker looks, then renamed into
/// `ready/`. See `reroute`'s module doc for a crash in between.
fn relocate(store: &Store, tx: &mut Changes<'_>, from: &Path, packet: &Packet) -> Result<Handoff> {
    let via = store.queue_file(&packet.agent, State::Blocked.dir(), &packet.id)?;
    drop_lease(tx, from)?;
    if tx.move_new(from, &via)? == Handoff::AlreadyTaken {
        return Ok(Handoff::AlreadyTaken);
    }
    tx.write_file(&via, &packet.to_bytes())?;
    let to = store.queue_file(&packet.agent, State::Ready.dir(), &packet.id)?;
    if tx.move_new(&via, &to)? == Handoff::AlreadyTaken {
        return Err(Error::Exists(packet.id.clone()));
    }
    Ok(Handoff::Won)
}

/// `gemba queue fail`: attempts + 1 and the notes appended; back to
/// `ready/`, or to `failed/` once attempts reach `queue.max_attempts`. Its
/// dependents stay blocked.
pub fn fail(
    store: &Store,
    packet: &str,
    notes: &str,
    session: Option<&str>,
    actor: &str,
    now: Timestamp,
) -> Result<Finish> {
    if notes.trim().is_empty() {
        return Err(Error::Invalid(
            "--notes: say what went wrong, for the next attempt".into(),
        ));
    }
    let max = store.config().queue.max_attempts;
    let mut tx = store.changes();
    let lock = store.lock(Scope::Queues)?;
    let (mut p, loc) = in_progress_packet(store, packet, session)?;
    let before = p.clone();
    p.attempts += 1;
    p.notes.push(Note {
        at: timestamp(now),
        attempt: p.attempts,
        text: notes.trim().to_string(),
    });
    p.lease = None;
    p.updated_at = timestamp(now);
    let state = if p.attempts >= max {
        State::Failed
    } else {
        State::Ready
    };
    let warnings = remote::give_back(store, &before, &p, state, now)?;
    let to = store.queue_file(&p.agent, state.dir(), &p.id)?;
    write_packet(&mut tx, &loc.path, &p)?;
    tx.move_new(&loc.path, &to)?;
    let mut dependents = Vec::new();
    for (id, _, key) in blocked(store)? {
        if key.after.contains(&p.id) {
            dependents.push(id);
        }
    }
    drop(lock);
    let message = match state {
        State::Failed => format!("fail {} (attempt {} of {max}): to failed", p.id, p.attempts),
        _ => format!("fail {} (attempt {} of {max}): requeued", p.id, p.attempts),
    };
    let event = Event::new(
        now,
        actor,
        EventKind::QueueFail,
        p.bead.iter().cloned().collect(),
        message,
    )
    .with("packet", &p.id)
    .with("agent", &p.agent)
    .with("state", state)
    .with("attempts", p.attempts)
    .with("notes", notes.trim())
    .with("dependents", &dependents);
    let finished = tx.finish(&[event])?;
    Ok(Finish {
        packet: p,
        state,
        unblocked: Vec::new(),
        dependents,
        handed_to: None,
        waiting: None,
        shipped: None,
        batch_done: None,
        warnings,
        finished,
    })
}

/// Every blocked packet of every queue: id, where, its kept key. An
/// empty `blocked/` (the usual case) costs one directory read.
fn blocked(store: &Store) -> Result<Vec<(String, Located, std::sync::Arc<keys::Key>)>> {
    let keys = Keys::of(store);
    let mut out = Vec::new();
    for agent in store.queue_agents()? {
        let dir = store.queue_dir(&agent, State::Blocked.dir())?;
        let listing = store.list_dir(&dir, &PACKETS)?.entries;
        if listing.is_empty() {
            continue;
        }
        let ids = listing.into_iter().map(|(id, _)| id).collect();
        for (id, key) in keys.listed(store, &agent, State::Blocked, ids, &dir)? {
            let loc = Located {
                agent: agent.clone(),
                state: State::Blocked,
                path: dir.join(PACKETS.file_name(&id)),
            };
            out.push((id, loc, key));
        }
    }
    Ok(out)
}

/// After `finished` is done: move the blocked packets that wait for it
/// and for nothing else not done to `ready/` (the caller holds the lock).
/// Only their other prerequisites are located, never the whole queue.
fn unblock_after(store: &Store, tx: &mut Changes<'_>, finished: &str) -> Result<Vec<String>> {
    let mut moved = Vec::new();
    for (id, loc, key) in blocked(store)? {
        if !key.after.iter().any(|a| a == finished) {
            continue;
        }
        let mut all_done = true;
        for a in key.after.iter().filter(|a| *a != finished) {
            if locate(store, a)?.is_none_or(|l| l.state != State::Done) {
                all_done = false;
                break;
            }
        }
        if all_done {
            let to = store.queue_file(&loc.agent, State::Ready.dir(), &id)?;
            if tx.move_new(&loc.path, &to)? == Handoff::Won {
                moved.push(id);
            }
        }
    }
    Ok(moved)
}

/// Move every blocked packet whose `after` packets are all done to
/// `ready/` (the caller holds the lock): `gemba queue rescan`, and `take
/// --wait`'s idle rescan. Returns their ids.
fn unblock(store: &Store, tx: &mut Changes<'_>) -> Result<Vec<String>> {
    let waiting = blocked(store)?;
    if waiting.is_empty() {
        return Ok(Vec::new());
    }
    let all = locate_all(store)?;
    let done: BTreeSet<String> = all
        .iter()
        .filter(|(_, l)| l.state == State::Done)
        .map(|(id, _)| id.clone())
        .collect();
    let mut moved = Vec::new();
    for (id, loc) in &all {
        if loc.state != State::Blocked {
            continue;
        }
        let Some(p) = read_at(&loc.path, id)? else {
            continue;
        };
        if dag::unblocked(&p.after, &done) {
            if p.agent != loc.agent || p.lease.is_some() {
                // Left half-moved by an interrupted reroute or handoff:
                // it belongs to the queue it is in.
                let mut p = p;
                p.agent = loc.agent.clone();
                p.lease = None;
                tx.write_file(&loc.path, &p.to_bytes())?;
            }
            let to = store.queue_file(&loc.agent, State::Ready.dir(), id)?;
            if tx.move_new(&loc.path, &to)? == Handoff::Won {
                moved.push(id.clone());
            }
        }
    }
    Ok(moved)
}

/// A take or done by `session` also renews the session's other packets in
/// progress in `agent`'s queue (`skip`: the ones this call handles), so a
/// live session's work does not expire while it drains. Only leases past
/// their first half are rewritten, so a busy session rewrites each lease
/// about once per half lease, not on every call; one `queue.renew` event
/// lists them, none when nothing needed it. Checked without the lock
/// first (most calls find nothing), then under it.
#[allow(clippy::too_many_arguments)]
fn renew_session(
    store: &Store,
    tx: &mut Changes<'_>,
    agent: &str,
    session: &str,
    skip: &[&str],
    lease: Duration,
    actor: &str,
    now: Timestamp,
) -> Result<Option<Event>> {
    let dir = store.queue_dir(agent, State::InProgress.dir())?;
    let due = |p: &Packet| {
        p.lease.as_ref().is_some_and(|l| {
            l.session.as_deref() == Some(session)
                && l.until
                    .parse::<Timestamp>()
                    .is_ok_and(|end| end.as_second() - now.as_second() <= lease.as_secs() / 2)
        })
    };
    let mut candidates = Vec::new();
    for (id, path) in store.list_dir(&dir, &PACKETS)?.entries {
        if skip.contains(&id.as_str()) {
            continue;
        }
        if read_at(&path, &id)?.is_some_and(|p| due(&p)) {
            candidates.push((id, path));
        }
    }
    if candidates.is_empty() {
        return Ok(None);
    }
    let until = lease_end(now, lease)?;
    let _lock = store.lock(Scope::Queues)?;
    let mut renewed = Vec::new();
    for (id, path) in candidates {
        let Some(mut p) = read_at(&path, &id)?.filter(|p| due(p)) else {
            continue; // finished, recovered or renewed meanwhile
        };
        if let Some(l) = p.lease.as_mut() {
            l.until = until.clone();
        }
        write_packet(tx, &path, &p)?;
        renewed.push(id);
    }
    if renewed.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        Event::new(
            now,
            actor,
            EventKind::QueueRenew,
            Vec::new(),
            format!(
                "renew {} until {until} (session {session} is active)",
                renewed.join(", ")
            ),
        )
        .with("packets", &renewed)
        .with("agent", agent)
        .with("session", session)
        .with("lease_until", &until),
    ))
}

#[derive(Debug, Serialize)]
pub struct Renewed {
    pub packet: Packet,
    pub previous_until: Option<String>,
    #[serde(skip)]
    pub finished: Finished,
}

/// Extend an in-progress packet's lease to `now + lease` (default
/// `queue.lease`); with `session`, only its holder's.
pub fn renew(
    store: &Store,
    packet: &str,
    session: Option<&str>,
    lease: Option<Duration>,
    actor: &str,
    now: Timestamp,
) -> Result<Renewed> {
    let until = lease_end(now, lease.unwrap_or(store.config().queue.lease))?;
    let mut tx = store.changes();
    let lock = store.lock(Scope::Queues)?;
    let (mut p, loc) = in_progress_packet(store, packet, session)?;
    let previous = p.lease.take();
    p.lease = Some(Lease {
        session: previous
            .as_ref()
            .and_then(|l| l.session.clone())
            .or(session.map(String::from)),
        taken_at: previous
            .as_ref()
            .map_or_else(|| timestamp(now), |l| l.taken_at.clone()),
        until: until.clone(),
        // The take ref keeps the lease it was taken with (renewals stay
        // on this clone; see `remote`).
        remote: previous.as_ref().and_then(|l| l.remote.clone()),
        batch: Vec::new(),
    });
    write_packet(&mut tx, &loc.path, &p)?;
    drop(lock);
    let event = Event::new(
        now,
        actor,
        EventKind::QueueRenew,
        p.bead.iter().cloned().collect(),
        format!("renew {} until {until}", p.id),
    )
    .with("packet", &p.id)
    .with("agent", &p.agent)
    .with("lease_until", &until);
    let finished = tx.finish(&[event])?;
    Ok(Renewed {
        packet: p,
        previous_until: previous.map(|l| l.until),
        finished,
    })
}

#[derive(Debug, Serialize)]
pub struct Recovered {
    /// The packets returned to `ready/`, with the lease that expired.
    pub packets: Vec<RecoveredPacket>,
    /// Expired packets left in progress (their take ref could not be
    /// released), take refs left as they were.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(skip)]
    pub finished: Finished,
}

#[derive(Debug, Serialize)]
pub struct RecoveredPacket {
    pub packet: String,
    pub agent: String,
    pub lease: Option<Lease>,
}

/// Return every in-progress packet whose lease expired at `now` to
/// `ready/` (see the module doc for packets without a lease).
pub fn recover(store: &Store, actor: &str, now: Timestamp) -> Result<Recovered> {
    let lease = store.config().queue.lease;
    let mut tx = store.changes();
    let lock = store.lock(Scope::Queues)?;
    let mut recovered = Vec::new();
    let mut warnings = Vec::new();
    let mut strays = Vec::new();
    for agent in store.queue_agents()? {
        let dir = store.queue_dir(&agent, State::InProgress.dir())?;
        let working = store.list_dir(&dir, &PACKETS)?.entries;
        // Leases whose packet is no longer in progress (a done or fail
        // removes the lease first, so only a hand edit leaves one).
        let leases = store.list_dir(&store.queue_dir(&agent, LEASES_DIR)?, &LEASES)?;
        for (id, lease) in leases.entries {
            if !working.iter().any(|(w, _)| *w == id) {
                tx.remove_file(&lease)?;
                strays.push(id);
            }
        }
        for (id, path) in working {
            let Some(mut p) = read_at(&path, &id)? else {
                continue;
            };
            let expired = match &p.lease {
                Some(l) => l.expired(now),
                None => entered_before(&path, now, lease),
            };
            if !expired {
                continue;
            }
            let before = p.clone();
            let old = p.lease.take();
            p.updated_at = timestamp(now);
            // A take ref that cannot be released keeps its packet in
            // progress here: recovering it would strand it on every clone.
            match remote::give_back(store, &before, &p, State::Ready, now) {
                Ok(w) => warnings.extend(w),
                Err(e) => {
                    warnings.push(format!("{e}: {id} stays in progress"));
                    continue;
                }
            }
            write_packet(&mut tx, &path, &p)?;
            let to = store.queue_file(&agent, State::Ready.dir(), &id)?;
            tx.move_new(&path, &to)?;
            recovered.push(RecoveredPacket {
                packet: id,
                agent: agent.clone(),
                lease: old,
            });
        }
    }
    drop(lock);
    if !strays.is_empty() {
        warnings.push(format!(
            "removed the leases of {}: not in progress",
            strays.join(", ")
        ));
    }
    let events: Vec<Event> = if recovered.is_empty() && strays.is_empty() {
        Vec::new()
    } else {
        let ids: Vec<String> = recovered.iter().map(|r| r.packet.clone()).collect();
        vec![
            Event::new(
                now,
                actor,
                EventKind::QueueRecover,
                Vec::new(),
                match (ids.is_empty(), strays.is_empty()) {
                    (false, true) => format!("recover {} (lease expired)", ids.join(", ")),
                    (true, _) => format!("remove stray leases of {}", strays.join(", ")),
                    (false, false) => format!(
                        "recover {} (lease expired); remove stray leases of {}",
                        ids.join(", "),
                        strays.join(", ")
                    ),
                },
            )
            .with("packets", &recovered)
            .with("stray_leases", &strays),
        ]
    };
    let finished = tx.finish(&events)?;
    Ok(Recovered {
        packets: recovered,
        warnings,
        finished,
    })
}

/// Whether the file at `path` entered its directory (its change time) at
/// least `lease` before `now`.
fn entered_before(path: &Path, now: Timestamp, lease: Duration) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    let changed = {
        use std::os::unix::fs::MetadataExt;
        Timestamp::from_second(meta.ctime()).ok()
    };
    #[cfg(not(unix))]
    let changed = meta
        .modified()
        .ok()
        .and_then(|t| Timestamp::try_from(t).ok());
    changed.is_some_and(|at| at.as_second() + lease.as_secs() <= now.as_second())
}

/// `gemba queue rescan`: move blocked packets whose prerequisites are all
/// done to `ready/` (done does this itself; this catches packets whose
/// prerequisites were done elsewhere, e.g. merged from another clone).
pub fn rescan(store: &Store, actor: &str, now: Timestamp) -> Result<(Vec<String>, Finished)> {
    let mut tx = store.changes();
    let lock = store.lock(Scope::Queues)?;
    let moved = unblock(store, &mut tx)?;
    drop(lock);
    let events = if moved.is_empty() {
        Vec::new()
    } else {
        vec![
            Event::new(
                now,
                actor,
                EventKind::QueueUnblock,
                Vec::new(),
                format!("unblock {}", moved.join(", ")),
            )
            .with("packets", &moved),
        ]
    };
    let finished = tx.finish(&events)?;
    Ok((moved, finished))
}

// ------------------------------------------------------------------- list

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub packet: Packet,
    pub state: State,
    /// `after` packets not done yet (blocked packets).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waiting_for: Vec<String>,
    /// A ready packet held back by a packet in progress.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_by: Option<Hold>,
    /// Why its agent cannot take this ready packet (`requires`, its
    /// stage's role), so that it waits for `gemba queue reroute`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unfit: Option<String>,
}

/// Every packet of every queue (or of `agent`'s, or in `state`), by
/// agent, state and take order.
pub fn list(store: &Store, agent: Option<&str>, state: Option<State>) -> Result<Vec<Row>> {
    if let Some(a) = agent {
        known_agent(store, a)?;
    }
    let all = locate_all(store)?;
    let busy = in_progress(store)?;
    let stage_roles = &store.config().queue.stage_roles;
    let mut envelopes: BTreeMap<String, Option<Agent>> = BTreeMap::new();
    let mut rows = Vec::new();
    for (id, loc) in &all {
        if agent.is_some_and(|a| a != loc.agent) || state.is_some_and(|s| s != loc.state) {
            continue;
        }
        let Some(p) = read_at(&loc.path, id)? else {
            continue;
        };
        let waiting_for = p
            .after
            .iter()
            .filter(|a| all.get(*a).is_none_or(|l| l.state != State::Done))
            .cloned()
            .collect();
        let held_by = match loc.state {
            State::Ready => dag::held_back_by(&p, &busy),
            _ => None,
        };
        let unfit = match loc.state {
            State::Ready => {
                if !envelopes.contains_key(&loc.agent) {
                    envelopes.insert(loc.agent.clone(), store.read::<Agent>(&loc.agent)?);
                }
                match &envelopes[&loc.agent] {
                    Some(a) => fit::why_not(&fit::Needs::of(&p, stage_roles), a),
                    None => Some(format!("no agent {:?} (its agent file is gone)", loc.agent)),
                }
            }
            _ => None,
        };
        rows.push(Row {
            packet: p,
            state: loc.state,
            waiting_for,
            held_by,
            unfit,
        });
    }
    rows.sort_by(|a, b| {
        (
            &a.packet.agent,
            a.state,
            a.packet.priority,
            &a.packet.created_at,
            &a.packet.id,
        )
            .cmp(&(
                &b.packet.agent,
                b.state,
                b.packet.priority,
                &b.packet.created_at,
                &b.packet.id,
            ))
    });
    Ok(rows)
}

/// The packets of `agent`'s queue that are ready or in progress (sorted by
/// id within each state): what says whether its sessions have work.
pub fn open_packets(store: &Store, agent: &str) -> Result<Vec<(State, Packet)>> {
    let mut out = Vec::new();
    for state in [State::Ready, State::InProgress] {
        out.extend(
            load_state(store, agent, state)?
                .into_iter()
                .map(|p| (state, p)),
        );
    }
    Ok(out)
}
