//! Selection over the store: everything [`crate::plan::select`] reads,
//! taken from one [`Snapshot`] loaded with sessions (its sessions, agents
//! and claims, the remote's last synced claims included), with a digest
//! naming exactly what was read (the decision event records it, so a
//! decision can be replayed from the files at that commit).

use std::borrow::Cow;
use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::dispatch::take;
use crate::format;
use crate::hash::Fnv;
use crate::model::enrichment::{Glob, normalize_glob};
use crate::model::session::SessionStatus;
use crate::model::{Agent, BeadHead, Claim, Session, Workspace};
use crate::plan::Set;
use crate::plan::conflicts::{Conflict, Targets, semantic_edges, target_edges_across};
use crate::plan::overlap::{Pattern, TrackedPaths};
use crate::plan::select::{self, Candidate, Input, Mode, Other, Queued, Selection};
use crate::profile::health::{self, Advice, Health};
use crate::store::snapshot::{Parts, Snapshot};
use crate::store::{self, Result, Store};

/// The files selection reads besides the snapshot, owned.
#[derive(Debug)]
pub struct World {
    /// bd's ready set.
    pub ready: Vec<String>,
    /// Every session, by id.
    pub sessions: Vec<Session>,
    /// Every agent, by name.
    pub agents: BTreeMap<String, Agent>,
    pub claims: Vec<Claim>,
    /// Beads with a packet in a queue (selection leaves them out).
    pub queued: BTreeMap<String, Queued>,
    /// The main worktree's repository and branch.
    pub home: Workspace,
    /// The snapshot's digest and every session, agent and claim read.
    pub digest: String,
}

impl World {
    /// From a snapshot loaded with sessions ([`Parts::ALL`](crate::store::snapshot::Parts::ALL)).
    pub fn load(store: &Store, snapshot: &Snapshot, now: Timestamp) -> Result<World> {
        let (ready, _) = super::ready::ready(store, snapshot, now, false)?;
        let sessions: Vec<Session> = snapshot.sessions().values().cloned().collect();
        let agents: BTreeMap<String, Agent> = snapshot.agents().clone();
        let claims: Vec<Claim> = snapshot.claims().values().cloned().collect();
        let queued = crate::queue::queued_beads(store)?;
        let home = match store.worktree() {
            Some(wt) => Workspace {
                repo: wt.display().to_string(),
                branch: crate::git::branch(wt).ok().flatten(),
                path: Some(wt.display().to_string()),
            },
            None => Workspace::default(),
        };
        let mut digest = Fnv::default();
        digest.write(snapshot.digest().as_bytes());
        for s in &sessions {
            digest.write(&format::to_json_bytes(s));
        }
        for a in agents.values() {
            digest.write(&format::to_json_bytes(a));
        }
        for c in &claims {
            digest.write(&format::to_json_bytes(c));
        }
        digest.write(&format::to_json_bytes(&queued));
        Ok(World {
            ready: ready.ids,
            sessions,
            agents,
            claims,
            queued,
            home,
            digest: format!("{:016x}", digest.finish()),
        })
    }

    /// A session and its agent, or `NotFound`.
    pub fn session(&self, id: &str) -> Result<(&Session, &Agent)> {
        let session =
            self.sessions
                .iter()
                .find(|s| s.id == id)
                .ok_or_else(|| store::Error::NotFound {
                    kind: "session",
                    id: id.to_string(),
                })?;
        let agent = self
            .agents
            .get(&session.agent)
            .ok_or_else(|| store::Error::NotFound {
                kind: "agent",
                id: session.agent.clone(),
            })?;
        Ok((session, agent))
    }

    /// The live sessions other than `me` whose agent exists.
    pub fn others(&self, me: &str) -> Vec<Other<'_>> {
        self.sessions
            .iter()
            .filter(|s| s.id != me && s.status == SessionStatus::Live)
            .filter_map(|s| {
                let agent = self.agents.get(&s.agent)?;
                Some(Other { session: s, agent })
            })
            .collect()
    }
}

/// Everything a selection for one session reads, loaded once.
pub struct Loaded {
    pub store: Store,
    pub snapshot: Snapshot,
    pub world: World,
}

impl Loaded {
    pub fn load(store: Store, now: Timestamp) -> Result<Loaded> {
        let snapshot = Snapshot::load(&store, Parts::ALL)?;
        let world = World::load(&store, &snapshot, now)?;
        Ok(Loaded {
            store,
            snapshot,
            world,
        })
    }

    /// Read the snapshot and the world again (after a claim), in place.
    pub fn reload(&mut self, now: Timestamp) -> Result<()> {
        let snapshot = Snapshot::load(&self.store, Parts::ALL)?;
        self.world = World::load(&self.store, &snapshot, now)?;
        self.snapshot = snapshot;
        Ok(())
    }
}

/// The asking session's side of a selection: the session, its agent and
/// health, the other live sessions, the ready set, and the conflict edges
/// between ready beads and the beads held elsewhere. `gemba next`, `gemba
/// pick` and the auto-dispatch tick build it the same way.
pub struct Asking<'w> {
    pub session: &'w Session,
    pub agent: &'w Agent,
    pub health: Health,
    others: Vec<Other<'w>>,
    ready: Vec<&'w str>,
    edges: Vec<Conflict>,
}

impl<'w> Asking<'w> {
    /// For `session` (live, checked by the caller) and its `agent`.
    pub fn new(
        loaded: &'w Loaded,
        heads: &[BeadHead<'w>],
        session: &'w Session,
        agent: &'w Agent,
        now: Timestamp,
    ) -> Asking<'w> {
        let world = &loaded.world;
        let others = world.others(&session.id);
        let ready: Vec<&str> = world.ready.iter().map(String::as_str).collect();
        let held: Vec<&str> = select::held(&session.id, &world.claims, &others, now)
            .into_keys()
            .collect();
        let edges = conflicts(&loaded.store, &loaded.snapshot, heads, &ready, &held);
        let config = loaded.store.config();
        let health = health::of_session(session, Some(agent), now, &config.profile, &config.health);
        Asking {
            session,
            agent,
            health,
            others,
            ready,
            edges,
        }
    }

    /// Selection's input; the runway is the session's health's.
    pub fn input(
        &'w self,
        loaded: &'w Loaded,
        heads: &'w [BeadHead<'w>],
        now: Timestamp,
    ) -> Input<'w> {
        Input {
            beads: heads,
            ready: &self.ready,
            enrichment: loaded.snapshot.enrichments(),
            session: self.session,
            agent: self.agent,
            others: &self.others,
            claims: &loaded.world.claims,
            queued: &loaded.world.queued,
            conflicts: &self.edges,
            home: &loaded.world.home,
            runway: Some(self.health.runway.bucket),
            config: loaded.store.config(),
            mode: Mode::Auto,
            now,
        }
    }

    /// Recycle advice for taking `chosen` next.
    pub fn advice(
        &self,
        loaded: &Loaded,
        selection: &Selection<'_>,
        chosen: &Candidate<'_>,
    ) -> Advice {
        let concepts = loaded
            .snapshot
            .enrichments()
            .get(chosen.id)
            .map(|e| e.concept_names())
            .unwrap_or_default();
        take::advice(
            self.session,
            &self.health,
            selection,
            chosen,
            concepts,
            &loaded.store.config().health,
        )
    }
}

/// The hard conflict edges between `ready` beads and the `held` ones (in
/// progress in other sessions): target and may-overlap edges, and semantic
/// ones when the source index is fresh. Only ready beads whose target
/// globs share a directory line with a held bead's are compared for
/// targets, so a large ready set costs little when few beads are held.
pub fn conflicts<'a>(
    store: &Store,
    snapshot: &'a Snapshot,
    heads: &[BeadHead<'a>],
    ready: &[&str],
    held: &[&str],
) -> Vec<Conflict> {
    let enrichments = snapshot.enrichments();
    let targets_of = |id: &str| -> Option<Vec<Pattern>> {
        let globs = enrichments.get(id)?.target_globs();
        (!globs.is_empty()).then(|| globs.iter().map(Pattern::from_glob).collect())
    };
    let held_set: Set<&str> = held.iter().copied().collect();
    let held_targets: Vec<Targets> = heads
        .iter()
        .filter(|b| held_set.contains(b.id))
        .filter_map(|b| {
            Some(Targets {
                id: b.id,
                globs: targets_of(b.id)?,
            })
        })
        .collect();
    if held_targets.is_empty() {
        return Vec::new();
    }
    // Directory lines: a held glob's prefix and each of its ancestors.
    let mut prefixes: Set<&str> = Set::default();
    let mut ancestors: Set<&str> = Set::default();
    for t in &held_targets {
        for g in &t.globs {
            prefixes.insert(g.prefix());
            for a in ancestors_of(g.prefix()) {
                ancestors.insert(a);
            }
        }
    }
    let ready_set: Set<&str> = ready.iter().copied().collect();
    let candidates: Vec<(&str, &[Glob])> = heads
        .iter()
        .filter(|b| ready_set.contains(b.id) && !held_set.contains(b.id))
        .filter_map(|b| {
            let globs = enrichments.get(b.id)?.target_globs();
            (!globs.is_empty()).then_some((b.id, globs))
        })
        .collect();
    // Only a glob on a held glob's directory line can share a path with
    // it: the other beads are not compiled for target edges.
    let near_held = |globs: &[Glob]| {
        globs.iter().any(|g| {
            let prefix = prefix_of(g.as_str());
            ancestors.contains(&*prefix) || ancestors_of(&prefix).any(|a| prefixes.contains(a))
        })
    };
    let compile = |(id, globs): &(&'a str, &[Glob])| Targets {
        id,
        globs: globs.iter().map(Pattern::from_glob).collect(),
    };
    let near: Vec<Targets> = candidates
        .iter()
        .filter(|(_, globs)| near_held(globs))
        .map(compile)
        .collect();
    let tracked = store
        .worktree()
        .and_then(|wt| crate::git::tracked_files(wt).ok())
        .map(TrackedPaths::new);
    let touches_held =
        |c: &Conflict| held_set.contains(c.a.as_str()) != held_set.contains(c.b.as_str());
    let mut edges = target_edges_across(&near, &held_targets, tracked.as_ref());
    // Semantic edges follow imports, not directories: every candidate.
    if let (Some(tracked), Ok(analysis)) = (&tracked, crate::analysis::open(store))
        && let Ok(imports) = analysis.graph()
    {
        let mut all: Vec<Targets> = candidates.iter().map(compile).collect();
        all.extend(held_targets);
        let more = semantic_edges(&all, tracked, imports, &edges);
        edges.extend(more.into_iter().filter(touches_held));
    }
    edges.sort();
    edges
}

/// A glob's literal directory prefix as [`Pattern::prefix`] gives it
/// (`src/auth/` for `src/auth/*.rs`), without building the pattern; a glob
/// in normal form (the usual case) is not copied.
fn prefix_of(glob: &str) -> Cow<'_, str> {
    let normal = !(glob.starts_with(['.', '/', ' '])
        || glob.ends_with(['/', ' '])
        || glob.contains("//")
        || glob.contains("/./"));
    let text: Cow<str> = match normal {
        true => Cow::Borrowed(glob),
        false => Cow::Owned(normalize_glob(glob).unwrap_or_else(|_| glob.to_string())),
    };
    let head = text.find(['*', '?', '[', '{', '\\']).unwrap_or(text.len());
    let end = text[..head].rfind('/').map_or(0, |i| i + 1);
    match text {
        Cow::Borrowed(t) => Cow::Borrowed(&t[..end]),
        Cow::Owned(t) => Cow::Owned(t[..end].to_string()),
    }
}

/// `a/b/` → `a/b/`, `a/`, `` (a glob prefix and its ancestors).
fn ancestors_of(prefix: &str) -> impl Iterator<Item = &str> {
    let mut next = Some(prefix);
    std::iter::from_fn(move || {
        let here = next?;
        next = match here.trim_end_matches('/').rfind('/') {
            Some(i) => Some(&here[..=i]),
            None if here.is_empty() => None,
            None => Some(""),
        };
        Some(here)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_as_patterns_give_them() {
        for glob in [
            "src/auth/*.rs",
            "src/auth/token.rs",
            "src/**",
            "**/x.rs",
            "*.md",
            "Cargo.toml",
            "./src//cli/",
            "src/{a,b}/x",
            "a/b?/c",
        ] {
            let g = Glob::new(glob).unwrap();
            assert_eq!(
                prefix_of(glob),
                Pattern::new(glob).unwrap().prefix(),
                "{glob}"
            );
            assert_eq!(prefix_of(glob), Pattern::from_glob(&g).prefix(), "{glob}");
        }
    }

    #[test]
    fn ancestors() {
        let got: Vec<&str> = ancestors_of("src/auth/").collect();
        assert_eq!(got, ["src/auth/", "src/", ""]);
        assert_eq!(ancestors_of("").collect::<Vec<_>>(), [""]);
    }
}
