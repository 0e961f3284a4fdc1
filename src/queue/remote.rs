//! Takes across clones (`claims.remote`): owns the refs
//! `refs/gemba/takes/<escaped packet>` on that remote, their copy under
//! `refs/gemba/remote-takes/` and `.gemba/index/remote-takes.json`.
//!
//! Clones share a queue through ordinary commits, so each clone has its
//! own copy of `ready/`, and the local rename of a take cannot see another
//! clone's. So a take that won its rename must also win the packet's ref
//! on the remote, by the same compare-and-swap push claims use
//! ([`crate::dispatch::remote`]): must-not-exist, so of the clones racing
//! for a packet exactly one wins. The ref holds a commit with one file,
//! the [`RemoteTake`] (packet, agent, session, clone, round, lease), built
//! without parents and with a fixed author, so its id follows from the
//! record: the lease in the packet file keeps it ([`RemoteRef`]), and
//! whoever holds that file can update the ref on exactly that value.
//!
//! - *Lost push*: another clone has the packet. The taker puts its file
//!   back in `ready/` unchanged, notes the holder in the mirror (takes on
//!   this clone then skip the packet without a push, see
//!   [`RemoteTake::blocks`]), and moves on to the next packet; it never
//!   reports the packet as its own.
//! - *Giving back* (a failure requeued, a stage done, an expired lease
//!   recovered) does not delete the ref: it replaces the take by its
//!   release, which names the round the packet is in now (attempts, stage).
//!   A take that finds a release swaps it for its own take only when its
//!   copy of the packet is in that round ([`RemoteTake::admits`]): a clone
//!   that has merged the requeue takes the next attempt, one with a stale
//!   copy cannot redo a round another clone already did.
//! - *Done* (and a last failure, to `failed/`) leaves the ref as it is: a
//!   clone whose `ready/` still has the packet until it merges the `done/`
//!   file loses the push instead of doing the work twice. The ref goes
//!   when `gemba queue archive` removes the finished packet, long after
//!   (30 days by default).
//! - *Unreachable remote*: `claims.on_unreachable` decides. `fail` (the
//!   default): no take, and no give-back, with an error naming the remote;
//!   nothing changed. `local`: taken (or given back) on this clone only,
//!   with a warning. A take of this clone that was given back locally is
//!   this clone's to take again (its own rename decided it), so a later
//!   take replaces the stale record once the remote is back.
//! - Renewals stay local: the record's lease says when it was taken for,
//!   and no clone takes over another clone's take (a clone that is gone
//!   for good leaves its packets taken until a person deletes the ref).
//!
//! `gemba queue sync` refreshes the mirror from the remote.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::Serialize;

use super::{Error, Result};
use crate::dispatch::remote::{Pushed, Record, Remote};
use crate::git;
use crate::model::config::OnUnreachable;
use crate::model::packet::RemoteRef;
use crate::model::take::{Released, RemoteTake, RemoteTakes};
use crate::model::{Packet, timestamp};
use crate::store::index::{self, INDEX_DIR};
use crate::store::kind::PACKETS;
use crate::store::{self, Store};

/// Where takes live on the remote: `refs/gemba/takes/<escaped packet>`.
pub const REF_PREFIX: &str = "refs/gemba/takes/";
/// Where `gemba queue sync` copies them in the local repository.
pub const MIRROR_PREFIX: &str = "refs/gemba/remote-takes/";
/// The file in the git directory naming this clone in take records.
const CLONE_FILE: &str = "gemba-clone";

impl Record for RemoteTake {
    const REF_PREFIX: &'static str = REF_PREFIX;

    fn key(&self) -> &str {
        &self.packet
    }

    fn file_name(key: &str) -> String {
        PACKETS.file_name(key)
    }

    fn parse(shown: &Path, bytes: &[u8], key: &str) -> std::result::Result<Self, String> {
        let take: RemoteTake = crate::format::from_json(shown, bytes).map_err(|e| e.to_string())?;
        take.validate(key)
            .map_err(|m| format!("{}: {m}", shown.display()))?;
        Ok(take)
    }

    fn commit_stamp(&self) -> (i64, String) {
        let secs = |t: &str| t.parse::<Timestamp>().map_or(0, |t| t.as_second());
        match &self.released {
            None => (
                secs(&self.taken_at),
                format!(
                    "gemba: take {} for {} on {}",
                    self.packet, self.agent, self.clone
                ),
            ),
            Some(r) => (
                secs(&r.at),
                format!(
                    "gemba: give back {} (attempt {}) on {}",
                    self.packet, r.attempt, self.clone
                ),
            ),
        }
    }
}

/// The takes remote: `claims.remote`, seen from this clone.
pub(super) struct Takes<'s> {
    store: &'s Store,
    remote: Remote<'s, RemoteTake>,
    /// This clone's name in take records.
    pub clone: String,
    on_unreachable: OnUnreachable,
}

/// What a take's push came to.
pub(super) enum TakePush {
    /// The ref holds our take.
    Won,
    /// Another clone holds the packet (its record, when readable).
    Elsewhere(Option<Box<RemoteTake>>),
    Unreachable(String),
}

impl<'s> Takes<'s> {
    /// The takes remote of `store`; `None` without `claims.remote` (then
    /// takes make no git call at all).
    pub fn of(store: &'s Store) -> Result<Option<Takes<'s>>> {
        match store.config().claims.remote.as_deref() {
            Some(name) => Takes::named(store, name).map(Some),
            None => Ok(None),
        }
    }

    /// The remote `name` (the one a lease names, whatever the config says
    /// now).
    pub fn named(store: &'s Store, name: &str) -> Result<Takes<'s>> {
        let worktree = store
            .worktree()
            .ok_or_else(|| Error::NoRepository(store.root().display().to_string()))?;
        Ok(Takes {
            store,
            remote: Remote::new(worktree, name),
            clone: clone_name(worktree)?,
            on_unreachable: store.config().claims.on_unreachable,
        })
    }

    pub fn name(&self) -> &str {
        &self.remote.name
    }

    /// The take of `packet` (in its current round) by `session` from now
    /// until `until`, and the commit a ref holding it points at.
    pub fn take_of(
        &self,
        packet: &Packet,
        session: Option<&str>,
        now: Timestamp,
        until: &str,
    ) -> Result<(RemoteTake, RemoteRef)> {
        let take = RemoteTake {
            packet: packet.id.clone(),
            agent: packet.agent.clone(),
            session: session.map(String::from),
            clone: self.clone.clone(),
            attempt: packet.attempts,
            stage: packet.stage.clone(),
            taken_at: timestamp(now),
            lease_until: until.to_string(),
            released: None,
        };
        let commit = self.commit(&take)?;
        Ok((take, commit))
    }

    fn commit(&self, take: &RemoteTake) -> Result<RemoteRef> {
        let bytes = crate::format::to_json_bytes(take);
        Ok(RemoteRef {
            remote: self.remote.name.clone(),
            commit: self.remote.commit_of(take, &bytes)?,
        })
    }

    /// Create the ref of `packet` holding `ours`: it must not exist, or
    /// hold a record that admits our copy of the packet.
    pub fn push_take(&self, packet: &Packet, ours: &RemoteRef) -> Result<TakePush> {
        let outcome = self
            .remote
            .push(&packet.id, Some(&ours.commit), None, |held| {
                held.is_none_or(|h| h.admits(packet, &self.clone))
            })?;
        Ok(match outcome {
            Pushed::Done { .. } => TakePush::Won,
            Pushed::Taken { held, .. } => TakePush::Elsewhere(held.map(Box::new)),
            Pushed::Unreachable(message) => TakePush::Unreachable(message),
        })
    }

    /// Whether `claims.on_unreachable: local` lets a take or a give-back
    /// go ahead on this clone alone.
    pub fn local_when_unreachable(&self) -> bool {
        self.on_unreachable == OnUnreachable::Local
    }

    /// The error for an unreachable remote: nothing was changed.
    pub fn unreachable(&self, what: String, message: String) -> Error {
        Error::Unreachable {
            what,
            remote: self.remote.name.clone(),
            message,
        }
    }

    /// Give `before` (in progress, its lease holding the take ref `ours`)
    /// back for another round, `after`: replace the take on the remote by
    /// its release (see the module doc). Returns a warning when the ref
    /// was left as it is (it holds another clone's record, or the remote
    /// is unreachable with `on_unreachable: local`); an unreachable remote
    /// with `on_unreachable: fail` is an error, before anything changed.
    pub fn give_back(
        &self,
        before: &Packet,
        ours: &RemoteRef,
        after: &Packet,
        now: Timestamp,
    ) -> Result<Option<String>> {
        let lease = before.lease.as_ref();
        let release = RemoteTake {
            packet: before.id.clone(),
            agent: before.agent.clone(),
            session: lease.and_then(|l| l.session.clone()),
            clone: self.clone.clone(),
            attempt: before.attempts,
            stage: before.stage.clone(),
            taken_at: lease.map_or_else(|| timestamp(now), |l| l.taken_at.clone()),
            lease_until: lease.map_or_else(|| timestamp(now), |l| l.until.clone()),
            released: Some(Released {
                at: timestamp(now),
                attempt: after.attempts,
                stage: after.stage.clone(),
            }),
        };
        let new = self.commit(&release)?;
        // Gone (deleted by hand), or a release of ours already there (a
        // give-back retried after its local half failed): ours to set.
        let outcome = self.remote.push(
            &before.id,
            Some(&new.commit),
            Some(ours.commit.clone()),
            |held| held.is_none_or(|h| h.clone == self.clone && h.released.is_some()),
        )?;
        match outcome {
            Pushed::Done { .. } => Ok(None),
            Pushed::Taken { held, .. } => Ok(Some(format!(
                "the take ref of {} on {:?} now holds {}: left alone",
                before.id,
                self.remote.name,
                held.map_or("a record this gemba cannot read".into(), |h| format!(
                    "a take by clone {}",
                    h.clone
                ))
            ))),
            Pushed::Unreachable(message) if self.local_when_unreachable() => Ok(Some(format!(
                "the claims remote {:?} is unreachable ({message}): {} given back on this clone only; other clones cannot take it until a take here replaces the ref (claims.on_unreachable: local)",
                self.remote.name, before.id
            ))),
            Pushed::Unreachable(message) => {
                Err(self.unreachable(format!("give back {}", before.id), message))
            }
        }
    }

    /// Delete the ref of `packet`, finished and being archived, whatever
    /// record it holds: by then every clone has long had its `done/` file.
    /// `Ok(Some(message))` when the remote cannot be reached (the caller
    /// keeps the packet, so that a later archive deletes the ref).
    pub fn forget(&self, packet: &str) -> Result<Option<String>> {
        let outcome = self.remote.push(packet, None, None, |held| {
            held.is_none_or(|h| h.packet == packet)
        })?;
        Ok(match outcome {
            Pushed::Done { .. } => None,
            Pushed::Taken { .. } => Some("the ref holds another packet's record".into()),
            Pushed::Unreachable(message) => Some(message),
        })
    }

    /// The mirror of the remote's takes (empty before the first sync or
    /// loss), when it is of this remote.
    pub fn mirror(&self) -> Result<RemoteTakes> {
        Ok(load_mirror(self.store)?
            .filter(|m| m.remote == self.remote.name)
            .unwrap_or_else(|| RemoteTakes {
                remote: self.remote.name.clone(),
                ..RemoteTakes::default()
            }))
    }

    /// Note in the mirror what the remote holds for a packet (the caller
    /// holds `queues.lock`: this is a read-modify-write).
    pub fn note(&self, take: RemoteTake) -> Result<()> {
        let mut mirror = self.mirror()?;
        mirror.put(take);
        write_mirror(self.store, &mirror)
    }
}

/// Before `before` (in progress) moves to `state` as `after`: when that
/// gives it back to `ready/` and its take won a ref on a remote, release
/// the ref for `after`'s round (see the module doc). Returns the warnings;
/// an unreachable remote with `on_unreachable: fail` is an error, and the
/// caller then changes nothing.
pub(super) fn give_back(
    store: &Store,
    before: &Packet,
    after: &Packet,
    state: super::State,
    now: Timestamp,
) -> Result<Vec<String>> {
    let ours = before.lease.as_ref().and_then(|l| l.remote.as_ref());
    let (super::State::Ready, Some(ours)) = (state, ours) else {
        return Ok(Vec::new());
    };
    let takes = Takes::named(store, &ours.remote)?;
    let warning = takes.give_back(before, ours, after, now)?;
    // Our own earlier loss noted for this packet no longer says anything.
    let mut mirror = takes.mirror()?;
    if mirror.get(&before.id).is_some() {
        mirror.takes.retain(|t| t.packet != before.id);
        write_mirror(store, &mirror)?;
    }
    Ok(warning.into_iter().collect())
}

/// This clone's name in take records: `.git/gemba-clone`, made on first
/// use from the host name and a random suffix (a host name alone is not
/// unique: containers and CI runners share them), created with `O_EXCL` so
/// that racing first takes agree on it. Every worktree of the clone shares
/// it, as they share `.gemba/`; it is never committed.
fn clone_name(worktree: &Path) -> Result<String> {
    let path = git::common_dir(worktree)?.join(CLONE_FILE);
    let read = |path: &Path| -> Result<Option<String>> {
        match std::fs::read_to_string(path) {
            Ok(text) if !text.trim().is_empty() => Ok(Some(text.trim().to_string())),
            Ok(_) => Err(Error::Invalid(format!(
                "{} is empty: delete it, and gemba names this clone afresh",
                path.display()
            ))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(store::Error::Io {
                path: path.to_path_buf(),
                source,
            }
            .into()),
        }
    };
    if let Some(name) = read(&path)? {
        return Ok(name);
    }
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(|e| Error::Invalid(format!("no randomness: {e}")))?;
    let name = format!(
        "{}-{}",
        host_name(),
        crate::hash::base36(u64::from_le_bytes(random), 8)
    );
    let io = |source| store::Error::Io {
        path: path.clone(),
        source,
    };
    match store::atomic::create_new(&path, format!("{name}\n").as_bytes()).map_err(io)? {
        store::Handoff::Won => Ok(name),
        // Another first take named it: that name it is.
        store::Handoff::AlreadyTaken => Ok(read(&path)?.unwrap_or(name)),
    }
}

/// The machine's name, reduced to `[A-Za-z0-9.-]` (for people reading
/// the records; uniqueness comes from the random suffix).
fn host_name() -> String {
    let raw = ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default();
    let name: String = raw
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
        .take(40)
        .collect();
    if name.is_empty() {
        "clone".into()
    } else {
        name
    }
}

/// `.gemba/index/remote-takes.json`.
pub fn mirror_path(store: &Store) -> PathBuf {
    store.root().join(INDEX_DIR).join("remote-takes.json")
}

/// The mirror, if there is one (a malformed one fails with its path, line
/// and column; `gemba queue sync` rewrites it).
pub fn load_mirror(store: &Store) -> Result<Option<RemoteTakes>> {
    let path = mirror_path(store);
    match std::fs::read(&path) {
        Ok(bytes) => Ok(Some(
            crate::format::from_json(&path, &bytes).map_err(store::Error::from)?,
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(store::Error::Io { path, source }.into()),
    }
}

fn write_mirror(store: &Store, mirror: &RemoteTakes) -> Result<()> {
    let path = mirror_path(store);
    index::write_cache(&path, &crate::format::to_json_bytes(mirror))
        .map_err(|source| store::Error::Io { path, source }.into())
}

/// What [`sync`] saw.
#[derive(Debug, Serialize)]
pub struct Synced {
    pub remote: String,
    /// Every take on the remote, by packet.
    pub takes: Vec<RemoteTake>,
    /// Packets ready on this clone that the remote says another clone
    /// holds: takes here skip them.
    pub elsewhere: Vec<String>,
    /// Refs that hold no readable take (skipped).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// `gemba queue sync`: fetch the remote's `refs/gemba/takes/*` and make
/// `.gemba/index/remote-takes.json` their copy. Writes no tracked file and
/// logs nothing: the copy is derived.
pub fn sync(store: &Store, now: Timestamp) -> Result<Synced> {
    let takes = Takes::of(store)?.ok_or(Error::NoRemote)?;
    let mirrored = match takes.remote.mirror(MIRROR_PREFIX) {
        Ok(m) => m,
        Err(git::Error::Unreachable { message, .. }) => {
            return Err(takes.unreachable("sync queue takes".into(), message));
        }
        Err(e) => return Err(e.into()),
    };
    let mirror = RemoteTakes {
        remote: takes.name().to_string(),
        synced_at: Some(timestamp(now)),
        takes: mirrored.records,
    };
    let mut elsewhere = Vec::new();
    for agent in store.queue_agents()? {
        for p in super::load_state(store, &agent, super::State::Ready)? {
            if mirror
                .get(&p.id)
                .is_some_and(|t| t.blocks(&p, &takes.clone, now))
            {
                elsewhere.push(p.id);
            }
        }
    }
    elsewhere.sort();
    let _lock = store.lock(store::Scope::Queues)?;
    write_mirror(store, &mirror)?;
    Ok(Synced {
        remote: mirror.remote,
        takes: mirror.takes,
        elsewhere,
        warnings: mirrored.warnings,
    })
}
