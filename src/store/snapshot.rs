//! One read of the store for one command: every bead's planning fields
//! ([`BeadHead`]), every claim ([`Claims`]: always, they are few) and,
//! when asked for, every enrichment, with a digest that names exactly what
//! was read. Commands load it once and hand it to the
//! pure layers (ready work, filters, and later conflicts and selection),
//! which never read files.
//!
//! Loading goes through the derived cache in `.gemba/index/` ([`index`]):
//! only files that changed since the last load are parsed, so reading
//! 100k beads costs a `stat` each, not a parse each.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::index::{self, Index, Stats};
use super::kind::{self, BEADS, CLAIMS, ENRICHMENT};
use super::{Error, IoContext, Result, Store, parallel};
use crate::format::ParseError;
use crate::hash::Fnv;
use crate::model::enrichment::{DispatchStatus, Glob, Size, Source, Stamped};
use crate::model::{Bead, BeadHead, Claim, Enrichment, RemoteClaims};

/// What to load besides the beads.
#[derive(Debug, Clone, Copy, Default)]
pub struct Parts {
    pub enrichment: bool,
}

impl Parts {
    pub const BEADS: Parts = Parts { enrichment: false };
    pub const ALL: Parts = Parts { enrichment: true };
}

#[derive(Debug)]
pub struct Snapshot {
    /// One record (an encoded [`BeadHead`]) per bead file, by file name.
    beads: Index,
    /// Where `beads` is cached, for errors.
    cache: PathBuf,
    enrichment: BTreeMap<String, Enrichment>,
    /// One claim per claimed bead (see [`Claims::merged`]).
    claims: BTreeMap<String, Claim>,
    digest: String,
    pub stats: LoadStats,
}

/// How the load went, per kind.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct LoadStats {
    pub beads: Stats,
    pub enrichment: Option<Stats>,
}

impl Snapshot {
    pub fn load(store: &Store, parts: Parts) -> Result<Snapshot> {
        let (beads, bead_stats) = index::load(store, &BEADS, |path, bytes, id| {
            let bead: Bead = kind::parse(path, bytes, id)?;
            Ok(postcard::to_stdvec(&BeadHead::from(&bead)).expect("heads encode"))
        })?;
        let mut digest = Fnv::default();
        digest.write(b"beads\0");
        for i in 0..beads.len() {
            digest
                .write(beads.name(i).as_bytes())
                .write(&beads.hash(i).to_le_bytes());
        }
        let claims = Claims::load(store)?;
        digest
            .write(b"claims\0")
            .write(&claims.digest.to_le_bytes());
        let mut stats = LoadStats {
            beads: bead_stats,
            enrichment: None,
        };
        let mut enrichment = BTreeMap::new();
        if parts.enrichment {
            let (loaded, enrichment_stats) = enrichment_index(store)?;
            digest.write(b"enrichment\0");
            for i in 0..loaded.len() {
                digest
                    .write(loaded.name(i).as_bytes())
                    .write(&loaded.hash(i).to_le_bytes());
            }
            enrichment = decode_enrichment(store, &loaded)?;
            stats.enrichment = Some(enrichment_stats);
        }
        Ok(Snapshot {
            beads,
            cache: index::cache_path(store, &BEADS),
            enrichment,
            claims: claims.merged(),
            digest: format!("{:016x}", digest.finish()),
            stats,
        })
    }

    /// Every bead's planning fields, sorted by id, decoded from the cache
    /// without copying a string (in parallel: keep the result, don't call
    /// this twice).
    pub fn beads(&self) -> Result<Vec<BeadHead<'_>>> {
        const CHUNK: usize = 4096;
        let chunks: Vec<Range<usize>> = (0..self.beads.len())
            .step_by(CHUNK)
            .map(|start| start..(start + CHUNK).min(self.beads.len()))
            .collect();
        let decoded = parallel(&chunks, |range| {
            range
                .clone()
                .map(|i| postcard::from_bytes::<BeadHead<'_>>(self.beads.record(i)))
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|_| corrupt(&self.cache))?;
        let mut heads: Vec<BeadHead<'_>> = decoded.into_iter().flatten().collect();
        // File-name order is id order unless an id needed escaping.
        if !heads.is_sorted_by(|a, b| a.id <= b.id) {
            heads.sort_unstable_by(|a, b| a.id.cmp(b.id));
        }
        Ok(heads)
    }

    /// Whether a bead with this id is in the snapshot.
    pub fn contains(&self, id: &str) -> bool {
        self.position(id).is_some()
    }

    /// One bead's planning fields, decoded alone.
    pub fn bead(&self, id: &str) -> Result<Option<BeadHead<'_>>> {
        self.position(id)
            .map(|i| postcard::from_bytes(self.beads.record(i)).map_err(|_| corrupt(&self.cache)))
            .transpose()
    }

    /// The entry of `id` (entries are in file-name order).
    fn position(&self, id: &str) -> Option<usize> {
        let name = BEADS.file_name(id);
        let (mut lo, mut hi) = (0, self.beads.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.beads.name(mid).cmp(name.as_str()) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// Every enrichment by bead id (empty unless loaded with `Parts::ALL`).
    pub fn enrichments(&self) -> &BTreeMap<String, Enrichment> {
        &self.enrichment
    }

    /// Every claimed bead's claim, expired ones included (selection
    /// decides with its `now`): this machine's claim files and the remote
    /// claims the last `gemba claims sync` saw.
    pub fn claims(&self) -> &BTreeMap<String, Claim> {
        &self.claims
    }

    /// A fingerprint of every file this snapshot read (names and content
    /// hashes): two decisions with the same digest saw the same store.
    pub fn digest(&self) -> &str {
        &self.digest
    }
}

/// The claims this machine knows about.
#[derive(Debug, Default)]
pub struct Claims {
    /// `.gemba/claims/<id>.json`, by bead.
    pub local: BTreeMap<String, Claim>,
    /// `.gemba/index/remote-claims.json`: the remote's claims at the last
    /// `gemba claims sync` (none before the first).
    pub remote: Option<RemoteClaims>,
    /// Of the names and bytes of those files.
    digest: u64,
}

impl Claims {
    /// Read every claim file (a malformed one fails with its path, line
    /// and column) and the remote claims of the last sync.
    pub fn load(store: &Store) -> Result<Claims> {
        let mut claims = Claims::default();
        let mut digest = Fnv::default();
        for (id, path) in store.list(&CLAIMS)?.entries {
            let bytes = match std::fs::read(&path) {
                Ok(bytes) => bytes,
                // Released while we listed: not claimed.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e).at(&path),
            };
            let claim: Claim = kind::parse(&path, &bytes, &id)?;
            digest.write(id.as_bytes()).write(b"\0").write(&bytes);
            claims.local.insert(id, claim);
        }
        let path = remote_claims_path(store);
        match std::fs::read(&path) {
            Ok(bytes) => {
                digest.write(b"remote\0").write(&bytes);
                claims.remote = Some(crate::format::from_json(&path, &bytes)?);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).at(&path),
        }
        claims.digest = digest.finish();
        Ok(claims)
    }

    /// One claim per bead. Where this machine's file and the remote's last
    /// known claim disagree (one taken over on another machine, one not
    /// yet synced), the one whose lease ends later: the later one is the
    /// newer, and either way the bead is someone's.
    pub fn merged(&self) -> BTreeMap<String, Claim> {
        let mut out = self.local.clone();
        for claim in self.remote.iter().flat_map(|r| &r.claims) {
            let keep_local = out
                .get(&claim.bead)
                .is_some_and(|local| local.lease_end() >= claim.lease_end());
            if !keep_local {
                out.insert(claim.bead.clone(), claim.clone());
            }
        }
        out
    }
}

/// Where `gemba claims sync` keeps the remote's claims (derived: never
/// committed, rebuilt by the next sync).
pub fn remote_claims_path(store: &Store) -> PathBuf {
    store
        .root()
        .join(index::INDEX_DIR)
        .join("remote-claims.json")
}

/// Replace the remote claims `gemba claims sync` saw.
pub fn write_remote_claims(store: &Store, remote: &RemoteClaims) -> Result<()> {
    let path = remote_claims_path(store);
    index::write_cache(&path, &crate::format::to_json_bytes(remote)).at(&path)
}

/// Every enrichment file's cache entry.
fn enrichment_index(store: &Store) -> Result<(Index, Stats)> {
    index::load(store, &ENRICHMENT, |path, bytes, id| {
        let e: Enrichment = kind::parse(path, bytes, id)?;
        Ok(postcard::to_stdvec(&Cached::from(&e)).expect("records encode"))
    })
}

fn decode_enrichment(store: &Store, loaded: &Index) -> Result<BTreeMap<String, Enrichment>> {
    let mut out = BTreeMap::new();
    for i in 0..loaded.len() {
        let Some(id) = ENRICHMENT.id_of(loaded.name(i)) else {
            continue;
        };
        let cached: Cached = postcard::from_bytes(loaded.record(i))
            .map_err(|_| corrupt(&index::cache_path(store, &ENRICHMENT)))?;
        out.insert(id, Enrichment::from(cached));
    }
    Ok(out)
}

/// Every enrichment by bead id, through the cache, without the beads.
pub fn enrichments(store: &Store) -> Result<BTreeMap<String, Enrichment>> {
    decode_enrichment(store, &enrichment_index(store)?.0)
}

/// A record that does not decode although its CRC holds: a cache written
/// by another gemba build with the same format version.
fn corrupt(cache: &Path) -> Error {
    Error::Parse(ParseError::new(
        cache,
        0,
        0,
        "unreadable cache record (written by another gemba build?); delete .gemba/index/ and retry",
    ))
}

/// The bytes of bead files, in the order of `ids` (for JSON output that
/// copies files instead of re-serializing them), read on several threads.
pub fn bead_files(store: &Store, ids: &[&str]) -> Result<Vec<Vec<u8>>> {
    let dir = store.dir(&BEADS);
    let files = index::DirFiles::open(&dir).at(&dir)?;
    parallel(ids, |id| {
        let name = BEADS.file_name(id);
        files.read(&name).at(&files.path(&name))
    })
}

/// An enrichment as the cache keeps it: plain fields (the file type skips
/// empty ones, which a compact binary encoding cannot), globs validated.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Cached {
    targets: Option<(Vec<String>, Source, Option<String>)>,
    concepts: Option<(Vec<String>, Source, Option<String>)>,
    dispatch_status: Option<(DispatchStatus, Source, Option<String>)>,
    estimated_size: Option<(Size, Source, Option<String>)>,
}

fn flat<T: Clone, U>(
    s: &Option<Stamped<T>>,
    f: impl Fn(&T) -> U,
) -> Option<(U, Source, Option<String>)> {
    s.as_ref()
        .map(|s| (f(&s.value), s.source, s.updated_at.clone()))
}

fn stamped<T, U>(t: Option<(T, Source, Option<String>)>, f: impl Fn(T) -> U) -> Option<Stamped<U>> {
    t.map(|(value, source, updated_at)| Stamped {
        value: f(value),
        source,
        updated_at,
    })
}

impl From<&Enrichment> for Cached {
    fn from(e: &Enrichment) -> Cached {
        Cached {
            targets: flat(&e.targets, |globs| {
                globs.iter().map(|g| g.as_str().to_string()).collect()
            }),
            concepts: flat(&e.concepts, Clone::clone),
            dispatch_status: flat(&e.dispatch_status, |s| *s),
            estimated_size: flat(&e.estimated_size, |s| *s),
        }
    }
}

impl From<Cached> for Enrichment {
    fn from(c: Cached) -> Enrichment {
        Enrichment {
            targets: stamped(c.targets, |globs| {
                globs.into_iter().map(Glob::trusted).collect()
            }),
            concepts: stamped(c.concepts, |c| c),
            dispatch_status: stamped(c.dispatch_status, |s| s),
            estimated_size: stamped(c.estimated_size, |s| s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn merged_claims_keep_the_later_lease() {
        let claim = |bead: &str, session: &str, until: &str| Claim {
            bead: bead.into(),
            session: session.into(),
            agent: "a".into(),
            claimed_at: "2026-11-23T10:00:00Z".into(),
            lease_until: until.into(),
            remote: Some("origin".into()),
        };
        let mut claims = Claims::default();
        for c in [
            claim("mine", "s-1", "2026-11-23T12:00:00Z"),
            claim("stale", "s-1", "2026-11-23T11:00:00Z"),
        ] {
            claims.local.insert(c.bead.clone(), c);
        }
        claims.remote = Some(RemoteClaims {
            remote: "origin".into(),
            synced_at: "2026-11-23T10:30:00Z".into(),
            claims: vec![
                claim("mine", "s-1", "2026-11-23T11:00:00Z"),
                claim("stale", "s-2", "2026-11-23T13:00:00Z"),
                claim("theirs", "s-3", "2026-11-23T13:00:00Z"),
            ],
        });
        let merged = claims.merged();
        let holders: Vec<(&str, &str)> = merged
            .iter()
            .map(|(bead, c)| (bead.as_str(), c.session.as_str()))
            .collect();
        assert_eq!(
            holders,
            [("mine", "s-1"), ("stale", "s-2"), ("theirs", "s-3")]
        );
    }

    #[test]
    fn cached_enrichment_round_trips() {
        let text = "targets:\n  value: [src/**]\n  source: operator\nconcepts:\n  value: [auth]\n  source: heuristic\n  updated_at: '2026-01-01T00:00:00Z'\nestimated_size:\n  value: small\n  source: backfill\n";
        let e: Enrichment = crate::format::from_yaml(Path::new("e.yaml"), text).unwrap();
        let bytes = postcard::to_stdvec(&Cached::from(&e)).unwrap();
        let back: Cached = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(Enrichment::from(back), e);
    }
}
