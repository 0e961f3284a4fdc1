//! What a take needs to know of a ready packet without reading it: its
//! ordering fields (priority, dependency depth, creation time) and its
//! targets (hold-back); and its bead, for selection's `queued` gate
//! ([`super::queued_beads`]). They are fixed when the packet is enqueued (fail,
//! stages, renew and recover never change them), so they are read once
//! per packet and kept:
//!
//! - in memory for the life of a [`Store`] handle ([`Store::memo`]), so a
//!   long-lived library caller (a drainer) reads each packet file once;
//! - in `.gemba/index/queues/<agent>.<state>.keys` (derived, gitignored,
//!   never fsynced) for each agent's ready and blocked packets (and, for
//!   the `queued` gate, in progress and done ones), so a `gemba queue
//!   take`, `done` or `next` process does not read every one of them
//!   either.
//!
//! Never the truth: the directory listing is. Only ids that are in the
//! listing are looked up; an id missing from the keys is read from its
//! file; a torn, stale or foreign index file is ignored and rewritten.
//! The packet a take wins is read from its file, and when its fields differ from the kept ones (a hand edit of a
//! ready packet) the kept ones are replaced, so such an edit counts from
//! the next take on.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use super::{Result, State, read_at};
use crate::model::enrichment::Glob;
use crate::model::{Packet, id};
use crate::store::Store;
use crate::store::index::{INDEX_DIR, write_cache};
use crate::store::kind::PACKETS;

/// A packet's fields that never change after enqueue, as take uses them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    pub priority: u8,
    /// The longest chain of `after` behind it (0: none).
    pub depth: u32,
    pub created_at: String,
    pub after: Vec<String>,
    pub targets: Vec<Glob>,
    /// The bead it is for (selection leaves queued beads out).
    pub bead: Option<String>,
}

impl Key {
    fn of(p: &Packet, depth: u32) -> Key {
        Key {
            priority: p.priority,
            depth,
            created_at: p.created_at.clone(),
            after: p.after.clone(),
            targets: p.spec.targets.clone(),
            bead: p.bead.clone(),
        }
    }

    /// A stand-in packet carrying these fields, for the pure rules
    /// (`dag::held_back_by`) that take packets.
    pub fn skeleton(&self, id: &str, agent: &str) -> Packet {
        Packet {
            id: id.to_string(),
            agent: agent.to_string(),
            bead: self.bead.clone(),
            source: None,
            session: None,
            spec: crate::model::packet::Spec {
                title: id.to_string(),
                targets: self.targets.clone(),
                ..Default::default()
            },
            priority: self.priority,
            after: self.after.clone(),
            requires: None,
            stages: Vec::new(),
            stage: None,
            attempts: 0,
            notes: Vec::new(),
            history: Vec::new(),
            lease: None,
            created_at: self.created_at.clone(),
            updated_at: self.created_at.clone(),
        }
    }

    /// Whether `p` still has these fields (a hand edit changes them).
    pub fn matches(&self, p: &Packet) -> bool {
        self.priority == p.priority
            && self.created_at == p.created_at
            && self.after == p.after
            && self.targets == p.spec.targets
            && self.bead == p.bead
    }
}

/// The keys known to one store handle, shared by its threads.
#[derive(Default)]
pub struct Keys {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    keys: HashMap<String, Arc<Key>>,
    /// The `(agent, state)` index files loaded (or found missing).
    loaded: HashSet<(String, State)>,
}

/// Packets of one `(agent, state)` directory with their keys.
type Listing = Vec<(String, Arc<Key>)>;

/// Index file layout: magic, version, CRC-32 of the payload, payload
/// (postcard of `Vec<(String, Key)>`).
const MAGIC: &[u8; 8] = b"GEMBAQK\0";
const VERSION: u32 = 2;

impl Keys {
    pub fn of(store: &Store) -> Arc<Keys> {
        store.memo::<Keys>()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn get(&self, id: &str) -> Option<Arc<Key>> {
        self.lock().keys.get(id).cloned()
    }

    /// Replace what is kept for `p` (after reading its file).
    pub fn put(&self, store: &Store, p: &Packet) -> Result<Arc<Key>> {
        let depth = self.depth_of(store, p)?;
        let key = Arc::new(Key::of(p, depth));
        self.lock().keys.insert(p.id.clone(), key.clone());
        Ok(key)
    }

    /// The keys of `ids` (the listing of `agent`'s `state` directory `dir`),
    /// reading the files of those not known yet; ids whose file vanished
    /// meanwhile (taken) are left out. Saves the index file of that
    /// directory when it changed materially.
    pub fn listed(
        &self,
        store: &Store,
        agent: &str,
        state: State,
        ids: Vec<String>,
        dir: &Path,
    ) -> Result<Vec<(String, Arc<Key>)>> {
        let path = index_path(store, agent, state)?;
        let first = !self.lock().loaded.contains(&(agent.to_string(), state));
        let file_had = if first {
            let loaded = load_index(&path);
            let n = loaded.len();
            let mut inner = self.lock();
            inner.loaded.insert((agent.to_string(), state));
            for (id, key) in loaded {
                inner.keys.entry(id).or_insert_with(|| Arc::new(key));
            }
            Some(n)
        } else {
            None
        };
        let listed = ids.len();
        let mut out = Vec::with_capacity(listed);
        let mut missing = Vec::new();
        {
            let inner = self.lock();
            for id in ids {
                match inner.keys.get(&id) {
                    Some(k) => out.push((id, k.clone())),
                    None => missing.push(id),
                }
            }
        }
        let mut read = 0usize;
        for id in missing {
            if let Some(p) = read_at(&dir.join(PACKETS.file_name(&id)), &id)? {
                let key = self.put(store, &p)?;
                out.push((id, key));
                read += 1;
            }
        }
        // The file: rewritten when packets had to be read, or when it
        // holds many more entries than the queue (taken since).
        let stale = file_had.is_some_and(|n| n > 2 * listed + 64);
        if read > 0 || stale {
            save_index(&path, &out);
        }
        self.forget_beyond(&out);
        Ok(out)
    }

    /// Keep memory bounded in a drainer that runs for weeks: past
    /// [`MAX_KEPT`] keys, keep only `current` (what was just listed); the
    /// rest is read again if it is ever needed.
    fn forget_beyond(&self, current: &[(String, Arc<Key>)]) {
        let mut inner = self.lock();
        if inner.keys.len() > MAX_KEPT.max(4 * current.len()) {
            inner.keys = current
                .iter()
                .map(|(id, k)| (id.clone(), k.clone()))
                .collect();
        }
    }

    /// Remember packets just enqueued (their files are in place): their
    /// keys, and in each agent's index file the ready ones, so the next
    /// `take` process reads none of them.
    pub fn enqueued(&self, store: &Store, packets: &[Packet], states: &[State]) -> Result<()> {
        // Parents first, so each depth is a lookup.
        let edges: super::dag::Edges<'_> = packets
            .iter()
            .map(|p| (p.id.as_str(), p.after.as_slice()))
            .collect();
        let depth = super::dag::depths(&edges);
        let mut order: Vec<(usize, &Packet, State)> = packets
            .iter()
            .zip(states)
            .map(|(p, s)| (depth.get(p.id.as_str()).copied().unwrap_or(0), p, *s))
            .collect();
        order.sort_by_key(|(d, _, _)| *d);
        let mut listed: HashMap<(&str, State), Listing> = HashMap::new();
        for (_, p, state) in order {
            let key = self.put(store, p)?;
            listed
                .entry((p.agent.as_str(), state))
                .or_default()
                .push((p.id.clone(), key));
        }
        for ((agent, state), mut entries) in listed {
            let path = index_path(store, agent, state)?;
            let new: HashSet<String> = entries.iter().map(|(id, _)| id.clone()).collect();
            entries.extend(
                load_index(&path)
                    .into_iter()
                    .filter(|(id, _)| !new.contains(id))
                    .map(|(id, k)| (id, Arc::new(k))),
            );
            save_index(&path, &entries);
        }
        Ok(())
    }

    /// The dependency depth of `p`: its ancestry's keys, read on demand
    /// (only packets with `after` have any).
    fn depth_of(&self, store: &Store, p: &Packet) -> Result<u32> {
        if p.after.is_empty() {
            return Ok(0);
        }
        let mut best = 0;
        let mut seen = HashSet::new();
        for a in &p.after {
            best = best.max(1 + self.depth_by_id(store, a, &mut seen)?);
        }
        Ok(best)
    }

    fn depth_by_id(&self, store: &Store, id: &str, seen: &mut HashSet<String>) -> Result<u32> {
        if let Some(k) = self.get(id) {
            return Ok(k.depth);
        }
        if !seen.insert(id.to_string()) {
            return Ok(0); // a cycle (hand-made): stop here
        }
        let Some(loc) = super::locate(store, id)? else {
            return Ok(0); // gone: a root
        };
        let Some(p) = read_at(&loc.path, id)? else {
            return Ok(0);
        };
        let mut best = 0;
        for a in &p.after {
            best = best.max(1 + self.depth_by_id(store, a, seen)?);
        }
        self.lock()
            .keys
            .insert(p.id.clone(), Arc::new(Key::of(&p, best)));
        Ok(best)
    }
}

/// `.gemba/index/queues/<escaped agent>.<state>.keys`.
fn index_path(store: &Store, agent: &str, state: State) -> Result<PathBuf> {
    id::validate(agent).map_err(|e| super::Error::Invalid(format!("agent: {e}")))?;
    Ok(store
        .root()
        .join(INDEX_DIR)
        .join("queues")
        .join(format!("{}.{state}.keys", id::escape(agent))))
}

/// How many keys a store handle keeps before it forgets what is not
/// queued any more (about 200 bytes each).
const MAX_KEPT: usize = 50_000;

/// The entries of an index file; empty when it is missing, torn, of
/// another version or otherwise not trustworthy.
fn load_index(path: &Path) -> Vec<(String, Key)> {
    let Ok(bytes) = std::fs::read(path) else {
        return Vec::new();
    };
    decode(&bytes).unwrap_or_default()
}

fn decode(bytes: &[u8]) -> Option<Vec<(String, Key)>> {
    let rest = bytes.strip_prefix(MAGIC.as_slice())?;
    let version = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?);
    let crc = u32::from_le_bytes(rest.get(4..8)?.try_into().ok()?);
    let payload = rest.get(8..)?;
    if version != VERSION || crc32fast::hash(payload) != crc {
        return None;
    }
    let entries: Vec<(String, Key)> = postcard::from_bytes(payload).ok()?;
    // Ids become file names: never trust one that is not an id.
    entries
        .iter()
        .all(|(id, _)| id::validate(id).is_ok())
        .then_some(entries)
}

fn encode(entries: &[(String, Arc<Key>)]) -> Vec<u8> {
    let plain: Vec<(&str, &Key)> = entries.iter().map(|(id, k)| (id.as_str(), &**k)).collect();
    let payload = postcard::to_allocvec(&plain).expect("keys serialize");
    let mut out = Vec::with_capacity(payload.len() + 16);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

/// Best effort: a failed write only costs the next command some reads.
fn save_index(path: &Path, entries: &[(String, Arc<Key>)]) {
    let _ = write_cache(path, &encode(entries));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(priority: u8) -> Arc<Key> {
        Arc::new(Key {
            priority,
            depth: 1,
            created_at: "2026-11-23T12:00:00Z".into(),
            after: vec!["pk-a".into()],
            targets: vec![Glob::new("src/**").unwrap()],
            bead: Some("bd-1".into()),
        })
    }

    #[test]
    fn index_round_trips_and_rejects_damage() {
        let entries = vec![("pk-1".to_string(), key(1)), ("pk-2".to_string(), key(3))];
        let bytes = encode(&entries);
        let back = decode(&bytes).expect("decodes");
        assert_eq!(back.len(), 2);
        assert_eq!(back[1].0, "pk-2");
        assert_eq!(back[1].1, *key(3));
        // A flipped byte, a cut, another version, a hostile id: not trusted.
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(decode(&flipped).is_none());
        assert!(decode(&bytes[..bytes.len() - 3]).is_none());
        let mut other = bytes.clone();
        other[8] = 9;
        assert!(decode(&other).is_none());
        let hostile = encode(&[("../x".to_string(), key(1))]);
        assert!(decode(&hostile).is_none());
        assert!(decode(b"").is_none());
    }
}
