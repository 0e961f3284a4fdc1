//! Claims: who works on a bead, exactly once.
//!
//! **On one machine** a claim is the file `.gemba/claims/<id>.json`,
//! created with `O_EXCL` ([`Changes::create_new`]): of several racing
//! sessions exactly one creates it, the others get *already taken*. No
//! lock is taken to create one, so a claim never waits on an import.
//!
//! **Changing an existing claim** (renew, release, takeover of an expired
//! lease) happens under the scoped `claims.lock` ([`Scope::Claims`]), held
//! for one read and one write (plus the push, with a remote). Why not
//! lock-free, e.g. rename the expired file aside with `move_new` and then
//! `create_new`? Because a rename acts on a path, not on the contents it
//! judged: a taker that read the expired claim, then stalled, would
//! rename aside the fresh claim a faster taker had just written (and a
//! release would delete it). Under the lock, a taker reads, decides and
//! replaces the file atomically while no other taker, renewer or releaser
//! can act, and a plain claimant cannot create the file meanwhile since it
//! exists throughout: the takeover has exactly one winner, and there is no
//! moment without a claim file for anyone else to win.
//!
//! **Across machines** (`claims.remote`) a claim must also win the ref
//! `refs/gemba/claims/<escaped id>` on that remote, by a push that is a
//! compare-and-swap on the ref: `git push --force-with-lease=<ref>:<expected>`
//! with an empty expected value for "must not exist" (a plain push is not
//! enough: it accepts any fast-forward). The ref points at a commit holding
//! the claim file, built without parents and with a fixed author and the
//! claim's time ([`git::write_file_commit`]), so its id is a function of the
//! file's bytes: whoever has the file knows what the ref must hold, and a
//! release or takeover swaps it on exactly that value. A lost push rolls
//! the local claim back and reports *already taken*; an unreachable remote
//! fails closed unless `claims.on_unreachable: local`.
//!
//! `gemba claims sync` copies the remote's claims into
//! `.gemba/index/remote-claims.json` (derived, never committed), which the
//! [`Snapshot`](crate::store::snapshot::Snapshot) merges with the local
//! files, so selection on every machine skips the others' beads. That copy
//! is a hint: the push is what decides.

use jiff::Timestamp;
use serde::Serialize;

use crate::beads::{self, Patch};
use crate::git;
use crate::model::config::OnUnreachable;
use crate::model::duration::Duration;
use crate::model::session::SessionStatus;
use crate::model::{Claim, Enrichment, Event, EventKind, RemoteClaims, Session, timestamp};
use crate::profile::BeadWork;
use crate::sessions;
use crate::store::kind::{self, CLAIMS, Entity};
use crate::store::lock::Lock;
use crate::store::log::Finished;
use crate::store::snapshot::{self, Claims};
use crate::store::{self, Changes, Handoff, Scope, Store};

use super::remote::{MIRROR_PREFIX, Pushed, Remote};

/// The bead after `in_progress` when its claim is released unfinished.
const RELEASED_STATUS: &str = "open";
const CLAIMED_STATUS: &str = "in_progress";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Beads(#[from] beads::Error),
    #[error(transparent)]
    Git(#[from] git::Error),
    #[error("no session {0:?}")]
    SessionNotFound(String),
    #[error("session {0:?} has ended")]
    SessionEnded(String),
    #[error("bead {0:?} is closed: there is nothing to claim")]
    Closed(String),
    #[error("bead {0:?} is not claimed")]
    NotClaimed(String),
    #[error("bead {bead:?} is claimed by session {holder:?}, not {session:?}")]
    NotHolder {
        bead: String,
        holder: String,
        session: String,
    },
    /// The remote ref went to another session (its lease had expired and
    /// another machine took it over): the claim is lost.
    #[error("bead {bead:?} was taken over on the claims remote by {}", holder.as_deref().unwrap_or("another session"))]
    Lost {
        bead: String,
        holder: Option<String>,
    },
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
    #[error("claims.remote is not set in .gemba/config.yaml: there is no remote to sync with")]
    NoRemote,
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What [`claim`] did.
#[derive(Debug)]
pub enum Claimed {
    /// The bead is ours: the claim file (and with a remote, the ref)
    /// exists, the bead is `in_progress` with the session's agent as
    /// assignee, the session has it in hand with its concepts and files
    /// folded into its profile and its agent's, and the event is logged.
    Won(Won),
    /// Another session holds it (`holder`, when it could be read): a lost
    /// race, not an error. Nothing changed.
    AlreadyTaken { holder: Option<Claim> },
}

#[derive(Debug, Serialize)]
pub struct Won {
    pub claim: Claim,
    /// The expired claim this one replaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub took_over: Option<Claim>,
    /// Things that did not stop the claim (`on_unreachable: local`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(skip)]
    pub finished: Finished,
}

/// Claim `bead` for `session` (whose agent becomes the assignee) until
/// `now + lease` (default `claims.lease`), logging the claim as `actor`.
///
/// This is the one way in, for `gemba claim` and `gemba next --claim`:
/// `Ok(Claimed::AlreadyTaken)` is a lost race (move on to another bead);
/// `Err` is a real failure (no such session or bead, closed bead,
/// unreachable remote with `on_unreachable: fail`, I/O), after which
/// nothing has changed. A claim whose lease has expired is taken over
/// (and the takeover logged with the previous holder).
pub fn claim(
    store: &Store,
    bead: &str,
    session: &str,
    lease: Option<Duration>,
    actor: &str,
    now: Timestamp,
) -> Result<Claimed> {
    let session = live_session(store, session)?;
    let target = store.read_bead(bead)?;
    if target.status == "closed" {
        return Err(Error::Closed(bead.to_string()));
    }
    let config = &store.config().claims;
    let remote = config
        .remote
        .as_deref()
        .map(|name| remote_named(store, name))
        .transpose()?;
    let mut claim = Claim {
        bead: bead.to_string(),
        session: session.id.clone(),
        agent: session.agent.clone(),
        claimed_at: timestamp(now),
        lease_until: lease_end(now, lease.unwrap_or(config.lease))?,
        remote: remote.as_ref().map(|r| r.name.clone()),
    };
    let mut tx = store.changes();

    // 1. This machine.
    let (mut local, lock) = match take_local(&mut tx, &claim, now)? {
        Taking::Taken(holder) => return Ok(Claimed::AlreadyTaken { holder }),
        Taking::Created => (Local::Created, None),
        Taking::Expired {
            previous,
            bytes,
            lock,
        } => (Local::Expired { previous, bytes }, Some(lock)),
    };

    // 2. The remote.
    let mut warnings = Vec::new();
    let mut took_over = match &local {
        Local::Expired { previous, .. } => Some(previous.clone()),
        _ => None,
    };
    let mut pushed = None;
    if let Some(remote) = &remote {
        let bytes = claim.to_bytes();
        let commit = remote.commit_of(&claim, &bytes)?;
        let expected = match &local {
            Local::Expired { previous, bytes }
                if previous.remote.as_ref() == Some(&remote.name) =>
            {
                Some(remote.commit_of(previous, bytes)?)
            }
            _ => None,
        };
        let outcome = remote.push(bead, Some(&commit), expected, |held| {
            held.is_none_or(|c| c.expired(now))
        });
        match outcome {
            Ok(Pushed::Done { before, replaced }) => {
                if replaced.is_some() {
                    took_over = replaced;
                }
                // What to put back should the bead update fail.
                pushed = Some((commit, before));
            }
            Ok(Pushed::Taken { held: holder, .. }) => {
                undo_local(&mut tx, &claim, &local, &lock)?;
                return Ok(Claimed::AlreadyTaken { holder });
            }
            Ok(Pushed::Unreachable(message)) if config.on_unreachable == OnUnreachable::Local => {
                warnings.push(format!(
                    "the claims remote {:?} is unreachable ({message}): claimed on this machine only (claims.on_unreachable: local)",
                    remote.name
                ));
                claim.remote = None;
                if matches!(local, Local::Created) {
                    // Our own live claim: rewrite it without the remote.
                    let _guard = relock(store, &lock)?;
                    tx.write_all(&[(bead, &claim)])?;
                }
            }
            Ok(Pushed::Unreachable(message)) => {
                undo_local(&mut tx, &claim, &local, &lock)?;
                return Err(Error::Unreachable {
                    what: format!("claim {bead}"),
                    remote: remote.name.clone(),
                    message,
                });
            }
            Err(e) => {
                undo_local(&mut tx, &claim, &local, &lock)?;
                return Err(e.into());
            }
        }
    }
    if let Local::Expired { .. } = local {
        tx.write_all(&[(bead, &claim)])?;
        local = match local {
            Local::Expired { bytes, .. } => Local::Replaced { bytes },
            other => other,
        };
    }

    // 3. The bead: in progress, assigned to the session's agent.
    let patch = Patch {
        status: Some(CLAIMED_STATUS.into()),
        assignee: Some(Some(claim.agent.clone())),
        ..Patch::default()
    };
    let bead_event = match beads::update(&mut tx, bead, patch, actor, now) {
        Ok((_, event)) => event,
        Err(e) => {
            // Best effort: the error that stopped us is the one to report.
            if let (Some(remote), Some((ours, before))) = (&remote, &pushed) {
                let _ = remote.push(bead, before.as_deref(), Some(ours.clone()), |_| false);
            }
            let _ = undo_local(&mut tx, &claim, &local, &lock);
            return Err(e.into());
        }
    };
    drop(lock);

    // 4. The sessions: the bead in hand, folded into the session's and its
    // agent's profiles (under `sessions.lock`, taken after `claims.lock`
    // is released); a taken-over holder no longer has it in hand. The
    // claim stands if this fails: the profiles are bookkeeping.
    let work = bead_work(store, &target, &mut warnings);
    if let Err(e) = sessions::record_claim(&mut tx, &claim.session, &work, now) {
        warnings.push(format!(
            "{bead} is claimed, but {}'s profile was not updated: {e}",
            claim.session
        ));
    }
    if let Some(previous) = took_over.as_ref().filter(|p| p.session != claim.session) {
        forget(&mut tx, &previous.session, bead, false, &mut warnings);
    }

    // 5. The log.
    let mut event = match &took_over {
        None => Event::new(
            now,
            actor,
            EventKind::Claim,
            vec![bead.to_string()],
            format!("claim {bead} for {}", claim.session),
        ),
        Some(previous) => Event::new(
            now,
            actor,
            EventKind::ClaimTakeover,
            vec![bead.to_string()],
            format!(
                "claim {bead} for {}, taken over from {} (lease expired {})",
                claim.session, previous.session, previous.lease_until
            ),
        )
        .with("previous", previous),
    };
    event = event
        .with("session", &claim.session)
        .with("agent", &claim.agent)
        .with("lease_until", &claim.lease_until);
    if let Some(remote) = &claim.remote {
        event = event.with("remote", remote);
    }
    let mut events = vec![event];
    events.extend(bead_event);
    let finished = tx.finish(&events)?;
    Ok(Claimed::Won(Won {
        claim,
        took_over,
        warnings,
        finished,
    }))
}

/// What became of the local claim file.
enum Local {
    /// We created it.
    Created,
    /// It holds an expired claim we are taking over (under the lock, not
    /// yet replaced): its claim and bytes.
    Expired { previous: Claim, bytes: Vec<u8> },
    /// We replaced that expired claim, whose bytes these were.
    Replaced { bytes: Vec<u8> },
}

enum Taking {
    Created,
    Expired {
        previous: Claim,
        bytes: Vec<u8>,
        lock: Lock,
    },
    Taken(Option<Claim>),
}

/// Create the claim file, or find it held (a live claim: taken) or
/// expired (then hold `claims.lock` while we take it over).
fn take_local(tx: &mut Changes<'_>, claim: &Claim, now: Timestamp) -> Result<Taking> {
    let store = tx.store();
    for _ in 0..3 {
        if tx.create_new(&claim.bead, claim)? == Handoff::Won {
            return Ok(Taking::Created);
        }
        let lock = store.lock(Scope::Claims)?;
        match read_claim(store, &claim.bead)? {
            // Released between our create and our read: try again.
            None => continue,
            Some((held, _)) if !held.expired(now) => return Ok(Taking::Taken(Some(held))),
            Some((previous, bytes)) => {
                return Ok(Taking::Expired {
                    previous,
                    bytes,
                    lock,
                });
            }
        }
    }
    Ok(Taking::Taken(None))
}

/// Put the local claim file back as it was before [`claim`] touched it.
fn undo_local(
    tx: &mut Changes<'_>,
    claim: &Claim,
    local: &Local,
    lock: &Option<Lock>,
) -> Result<()> {
    let store = tx.store();
    match local {
        Local::Expired { .. } => {}
        Local::Created => {
            let _guard = relock(store, lock)?;
            // Ours unless someone forced it away meanwhile.
            if read_claim(store, &claim.bead)?.is_some_and(|(held, _)| held == *claim) {
                tx.remove(&CLAIMS, &claim.bead)?;
            }
        }
        Local::Replaced { bytes, .. } => {
            let path = store.path(&CLAIMS, &claim.bead)?;
            tx.write_file(&path, bytes)?;
        }
    }
    Ok(())
}

/// The claims lock, unless this process holds it already (a second
/// `flock` on it from here would wait for ourselves).
fn relock(store: &Store, held: &Option<Lock>) -> Result<Option<Lock>> {
    Ok(match held {
        Some(_) => None,
        None => Some(store.lock(Scope::Claims)?),
    })
}

/// What [`release`] did.
#[derive(Debug, Serialize)]
pub struct Released {
    pub claim: Claim,
    /// Released by someone other than its holder (`--force`).
    pub forced: bool,
    /// Whether the bead went back to `open` (it was `in_progress` with the
    /// holder's agent as assignee).
    pub reopened: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(skip)]
    pub finished: Finished,
}

/// Release the claim on `bead`: only its holder `session` may, unless
/// `force`. The claim file (and remote ref) goes; a bead still
/// `in_progress` with the holder's agent as assignee goes back to `open`
/// without assignee, so it is ready again (a closed bead stays closed).
/// The holder's session no longer has it in hand (and marks it closed in
/// its recent beads when the bead is closed).
pub fn release(
    store: &Store,
    bead: &str,
    session: Option<&str>,
    force: bool,
    actor: &str,
    now: Timestamp,
) -> Result<Released> {
    if session.is_none() && !force {
        return Err(Error::Invalid(
            "release needs the holder's session (--session), or --force".into(),
        ));
    }
    let mut tx = store.changes();
    let _lock = store.lock(Scope::Claims)?;
    let (claim, bytes) = read_claim(store, bead)?.ok_or_else(|| Error::NotClaimed(bead.into()))?;
    let by_holder = session == Some(claim.session.as_str());
    if !by_holder && !force {
        return Err(Error::NotHolder {
            bead: bead.into(),
            holder: claim.session.clone(),
            session: session.unwrap_or_default().into(),
        });
    }
    let mut warnings = Vec::new();
    if let Some(name) = &claim.remote {
        let remote = remote_named(store, name)?;
        let ours = remote.commit_of(&claim, &bytes)?;
        let outcome = remote.push(bead, None, Some(ours), |held| {
            held.is_some_and(|c| c.session == claim.session)
        })?;
        match outcome {
            Pushed::Done { .. } => {}
            Pushed::Taken { held: holder, .. } => warnings.push(format!(
                "the remote ref of {bead} now holds {}'s claim: left alone",
                holder.map_or("another session".into(), |h| h.session)
            )),
            Pushed::Unreachable(message)
                if store.config().claims.on_unreachable == OnUnreachable::Local =>
            {
                warnings.push(format!(
                    "the claims remote {name:?} is unreachable ({message}): released on this machine only; the remote claim stays until its lease ends ({})",
                    claim.lease_until
                ));
            }
            Pushed::Unreachable(message) => {
                return Err(Error::Unreachable {
                    what: format!("release {bead}"),
                    remote: name.clone(),
                    message,
                });
            }
        }
    }
    tx.remove(&CLAIMS, bead)?;
    let mut events = vec![];
    let mut reopened = false;
    let current = store.read::<crate::model::Bead>(bead)?;
    let closed = current.as_ref().is_some_and(|b| b.status == "closed");
    forget(&mut tx, &claim.session, bead, closed, &mut warnings);
    if let Some(current) = current
        && current.status == CLAIMED_STATUS
        && current.assignee.as_deref() == Some(claim.agent.as_str())
    {
        let patch = Patch {
            status: Some(RELEASED_STATUS.into()),
            assignee: Some(None),
            ..Patch::default()
        };
        let (_, event) = beads::update(&mut tx, bead, patch, actor, now)?;
        reopened = event.is_some();
        events.extend(event);
    }
    let forced = !by_holder;
    let message = if forced {
        format!("release {bead} (held by {}, forced)", claim.session)
    } else {
        format!("release {bead} by {}", claim.session)
    };
    let event = Event::new(
        now,
        actor,
        EventKind::ClaimRelease,
        vec![bead.to_string()],
        message,
    )
    .with("session", &claim.session)
    .with("agent", &claim.agent)
    .with("forced", forced);
    events.insert(0, event);
    let finished = tx.finish(&events)?;
    Ok(Released {
        claim,
        forced,
        reopened,
        warnings,
        finished,
    })
}

/// What [`renew`] did.
#[derive(Debug, Serialize)]
pub struct Renewed {
    pub claim: Claim,
    /// The lease end before.
    pub previous_lease_until: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(skip)]
    pub finished: Finished,
}

/// Extend `session`'s claim on `bead` to `now + lease` (default
/// `claims.lease`). Only the holder renews; an expired claim that nobody
/// took over yet can still be renewed.
pub fn renew(
    store: &Store,
    bead: &str,
    session: &str,
    lease: Option<Duration>,
    actor: &str,
    now: Timestamp,
) -> Result<Renewed> {
    let live = live_session(store, session)?;
    let lease = lease.unwrap_or(store.config().claims.lease);
    let mut tx = store.changes();
    let _lock = store.lock(Scope::Claims)?;
    let (old, bytes) = read_claim(store, bead)?.ok_or_else(|| Error::NotClaimed(bead.into()))?;
    if old.session != live.id {
        return Err(Error::NotHolder {
            bead: bead.into(),
            holder: old.session,
            session: live.id,
        });
    }
    let claim = Claim {
        lease_until: lease_end(now, lease)?,
        ..old.clone()
    };
    let mut warnings = Vec::new();
    if let Some(name) = &old.remote {
        let remote = remote_named(store, name)?;
        let expected = remote.commit_of(&old, &bytes)?;
        let new = remote.commit_of(&claim, &claim.to_bytes())?;
        // Ours, or gone (forced away with nobody else claiming): ours again.
        let outcome = remote.push(bead, Some(&new), Some(expected), |held| {
            held.is_none_or(|c| c.session == old.session)
        })?;
        match outcome {
            Pushed::Done { .. } => {}
            Pushed::Taken { held: holder, .. } => {
                return Err(Error::Lost {
                    bead: bead.into(),
                    holder: holder.map(|h| h.session),
                });
            }
            Pushed::Unreachable(message)
                if store.config().claims.on_unreachable == OnUnreachable::Local =>
            {
                warnings.push(format!(
                    "the claims remote {name:?} is unreachable ({message}): renewed on this machine only; on the remote the lease still ends {}",
                    old.lease_until
                ));
            }
            Pushed::Unreachable(message) => {
                return Err(Error::Unreachable {
                    what: format!("renew {bead}"),
                    remote: name.clone(),
                    message,
                });
            }
        }
    }
    tx.write_all(&[(bead, &claim)])?;
    let event = Event::new(
        now,
        actor,
        EventKind::ClaimRenew,
        vec![bead.to_string()],
        format!(
            "renew {bead} for {} until {}",
            claim.session, claim.lease_until
        ),
    )
    .with("session", &claim.session)
    .with("previous_lease_until", &old.lease_until)
    .with("lease_until", &claim.lease_until);
    let finished = tx.finish(&[event])?;
    Ok(Renewed {
        claim,
        previous_lease_until: old.lease_until,
        warnings,
        finished,
    })
}

/// One row of `gemba claims list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listed {
    #[serde(flatten)]
    pub claim: Claim,
    /// `local`: a claim file here; `remote`: seen on the claims remote by
    /// the last `gemba claims sync`, with no matching file here.
    pub source: &'static str,
    pub expired: bool,
    /// Seconds until the lease ends (negative: since it ended).
    pub expires_in: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct Listing {
    pub claims: Vec<Listed>,
    /// The configured claims remote and when it was last synced.
    pub remote: Option<String>,
    pub synced_at: Option<String>,
}

/// Every claim this machine knows, by bead: the claim files, then the
/// remote's claims (last sync) that no file here matches.
pub fn list(store: &Store, now: Timestamp) -> Result<Listing> {
    let claims = Claims::load(store)?;
    let row = |claim: &Claim, source| Listed {
        claim: claim.clone(),
        source,
        expired: claim.expired(now),
        expires_in: claim
            .lease_end()
            .map(|end| end.as_second() - now.as_second()),
    };
    let mut rows: Vec<Listed> = claims.local.values().map(|c| row(c, "local")).collect();
    for claim in claims.remote.iter().flat_map(|r| &r.claims) {
        if claims.local.get(&claim.bead) != Some(claim) {
            rows.push(row(claim, "remote"));
        }
    }
    rows.sort_by(|a, b| (&a.claim.bead, a.source).cmp(&(&b.claim.bead, b.source)));
    Ok(Listing {
        claims: rows,
        remote: store.config().claims.remote.clone(),
        synced_at: claims.remote.map(|r| r.synced_at),
    })
}

/// What [`sync`] saw.
#[derive(Debug, Serialize)]
pub struct Synced {
    pub remote: String,
    /// Every claim on the remote, by bead.
    pub claims: Vec<Claim>,
    /// Of those, the beads with no claim file here: other machines' claims.
    pub elsewhere: Vec<String>,
    /// Refs that hold no readable claim (skipped).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Fetch the remote's `refs/gemba/claims/*` and record them in
/// `.gemba/index/remote-claims.json`, where the snapshot (and so `next`)
/// sees them. Writes no tracked file and logs nothing: the copy is derived.
pub fn sync(store: &Store, now: Timestamp) -> Result<Synced> {
    let name = store
        .config()
        .claims
        .remote
        .clone()
        .ok_or(Error::NoRemote)?;
    let remote: Remote<'_, Claim> = remote_named(store, &name)?;
    let (claims, warnings) = match remote.mirror(MIRROR_PREFIX) {
        Ok(m) => (m.records, m.warnings),
        Err(git::Error::Unreachable { message, .. }) => {
            return Err(Error::Unreachable {
                what: "sync claims".into(),
                remote: name,
                message,
            });
        }
        Err(e) => return Err(e.into()),
    };
    let local = Claims::load(store)?.local;
    let elsewhere = claims
        .iter()
        .filter(|c| !local.contains_key(&c.bead))
        .map(|c| c.bead.clone())
        .collect();
    snapshot::write_remote_claims(
        store,
        &RemoteClaims {
            remote: name.clone(),
            synced_at: timestamp(now),
            claims: claims.clone(),
        },
    )?;
    Ok(Synced {
        remote: name,
        claims,
        elsewhere,
        warnings,
    })
}

/// What the claimed bead brings to a profile: its parent epic and the
/// concepts and targets its enrichment declares (none, with a warning,
/// when the enrichment file cannot be read).
fn bead_work(store: &Store, bead: &crate::model::Bead, warnings: &mut Vec<String>) -> BeadWork {
    let enrichment = store.read::<Enrichment>(&bead.id).unwrap_or_else(|e| {
        warnings.push(format!(
            "{e}: the profiles get {} without concepts or files",
            bead.id
        ));
        None
    });
    let e = enrichment.unwrap_or_default();
    BeadWork {
        bead: bead.id.clone(),
        epic: bead.parent_ids().next().map(String::from),
        concepts: e.concept_names().to_vec(),
        files: e
            .target_globs()
            .iter()
            .map(|g| g.as_str().to_string())
            .collect(),
    }
}

/// `session` no longer has `bead` in hand (released, or taken over); a
/// session this machine has no file for (another machine's) is left be.
fn forget(
    tx: &mut Changes<'_>,
    session: &str,
    bead: &str,
    closed: bool,
    warnings: &mut Vec<String>,
) {
    match sessions::record_release(tx, session, bead, closed) {
        Ok(_) | Err(sessions::Error::UnknownSession(_)) => {}
        Err(e) => warnings.push(format!("{bead}: session {session} was not updated: {e}")),
    }
}

/// The claims remote `name`, through the repository holding `.gemba/`.
fn remote_named<'s>(store: &'s Store, name: &str) -> Result<Remote<'s, Claim>> {
    let worktree = store
        .worktree()
        .ok_or_else(|| Error::NoRepository(store.root().display().to_string()))?;
    Ok(Remote::new(worktree, name))
}

/// The session, if it exists and has not ended.
fn live_session(store: &Store, id: &str) -> Result<Session> {
    match store.read::<Session>(id)? {
        None => Err(Error::SessionNotFound(id.into())),
        Some(s) if s.status == SessionStatus::Ended || s.ended_at.is_some() => {
            Err(Error::SessionEnded(id.into()))
        }
        Some(s) => Ok(s),
    }
}

fn lease_end(now: Timestamp, lease: Duration) -> Result<String> {
    now.checked_add(lease.signed())
        .map(timestamp)
        .map_err(|e| Error::Invalid(format!("lease {lease} from {now}: {e}")))
}

/// A claim file and its exact bytes (what a remote ref holding it holds).
fn read_claim(store: &Store, bead: &str) -> Result<Option<(Claim, Vec<u8>)>> {
    let path = store.path(&CLAIMS, bead)?;
    match std::fs::read(&path) {
        Ok(bytes) => Ok(Some((
            kind::parse(&path, &bytes, bead).map_err(store::Error::from)?,
            bytes,
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(store::Error::Io { path, source }.into()),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::path::Path;

    use super::*;

    /// A store in a fresh git repository, with a session `s-<name>` of
    /// agent `<name>` per name and open beads `b-1`, `b-2`.
    pub(in crate::dispatch) fn setup(sessions: &[&str]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let wt = dir.path().canonicalize().unwrap();
        git_in(&wt, &["init", "-q", "-b", "main"]);
        let root = wt.join(".gemba");
        store::init(&root).unwrap();
        let store = Store::open(&root, Some(wt)).unwrap();
        let mut tx = store.changes();
        for id in ["b-1", "b-2"] {
            tx.create_bead(&crate::model::Bead::new(id, id)).unwrap();
        }
        for name in sessions {
            let session = Session {
                id: format!("s-{name}"),
                agent: name.to_string(),
                status: SessionStatus::Live,
                workspace: Default::default(),
                started_at: "2026-11-23T10:00:00Z".into(),
                ended_at: None,
                parent: None,
                telemetry: Default::default(),
                profile: Default::default(),
                intent: None,
            };
            tx.write_all(&[(session.id.as_str(), &session)]).unwrap();
        }
        drop(tx);
        (dir, store)
    }

    fn git_in(dir: &Path, args: &[&str]) -> String {
        let out = std::process::Command::new("git")
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    }

    fn at(t: &str) -> Timestamp {
        t.parse().unwrap()
    }

    const T0: &str = "2026-11-23T12:00:00Z";

    fn won(c: Claimed) -> Won {
        match c {
            Claimed::Won(w) => w,
            other => panic!("expected a win: {other:?}"),
        }
    }

    fn holder(c: Claimed) -> Option<Claim> {
        match c {
            Claimed::AlreadyTaken { holder } => holder,
            other => panic!("expected already taken: {other:?}"),
        }
    }

    #[test]
    fn claim_marks_the_bead_and_a_second_claim_loses() {
        let (_dir, store) = setup(&["a", "b"]);
        let w = won(claim(&store, "b-1", "s-a", None, "t", at(T0)).unwrap());
        assert_eq!(w.claim.agent, "a");
        assert_eq!(w.claim.lease_until, "2026-11-23T14:00:00Z", "default 2h");
        let bead = store.read_bead("b-1").unwrap();
        assert_eq!(
            (bead.status.as_str(), bead.assignee.as_deref()),
            ("in_progress", Some("a"))
        );
        let taken = holder(claim(&store, "b-1", "s-b", None, "t", at(T0)).unwrap());
        assert_eq!(taken.map(|c| c.session).as_deref(), Some("s-a"));
        // Even by its own holder: a claim is made once (renew extends it).
        assert!(holder(claim(&store, "b-1", "s-a", None, "t", at(T0)).unwrap()).is_some());
    }

    #[test]
    fn an_expired_lease_is_taken_over_once() {
        let (_dir, store) = setup(&["a", "b", "c"]);
        let lease = Some(Duration::from_secs(60));
        won(claim(&store, "b-1", "s-a", lease, "t", at(T0)).unwrap());
        let before = at("2026-11-23T12:00:59Z");
        assert!(holder(claim(&store, "b-1", "s-b", None, "t", before).unwrap()).is_some());
        let after = at("2026-11-23T12:01:00Z");
        let w = won(claim(&store, "b-1", "s-b", None, "t", after).unwrap());
        assert_eq!(w.took_over.map(|c| c.session).as_deref(), Some("s-a"));
        assert_eq!(
            store.read_bead("b-1").unwrap().assignee.as_deref(),
            Some("b")
        );
        // The new lease is live: a third session loses.
        let taken = holder(claim(&store, "b-1", "s-c", None, "t", after).unwrap());
        assert_eq!(taken.map(|c| c.session).as_deref(), Some("s-b"));
        let (events, _) = store::log::read(&store, None).unwrap();
        let takeover: Vec<&Event> = events
            .iter()
            .filter(|e| e.kind == EventKind::ClaimTakeover)
            .collect();
        assert_eq!(takeover.len(), 1);
        assert_eq!(takeover[0].data["previous"]["session"], "s-a");
    }

    #[test]
    fn the_holders_session_has_the_bead_in_hand_until_released_or_taken_over() {
        let (_dir, store) = setup(&["a", "b"]);
        let in_hand = |s: &str| store.read::<Session>(s).unwrap().unwrap().telemetry.bead;
        let mut tx = store.changes();
        let e = Enrichment {
            concepts: Some(crate::model::enrichment::Stamped {
                value: vec!["auth".to_string()],
                source: crate::model::enrichment::Source::Operator,
                updated_at: None,
            }),
            ..Enrichment::default()
        };
        tx.write_enrichment("b-1", &e).unwrap();
        drop(tx);
        let lease = Some(Duration::from_secs(60));
        won(claim(&store, "b-1", "s-a", lease, "t", at(T0)).unwrap());
        assert_eq!(in_hand("s-a").as_deref(), Some("b-1"));
        let a = store.read::<Session>("s-a").unwrap().unwrap();
        assert_eq!(a.profile.recent[0].bead, "b-1");
        assert!(a.profile.concepts.contains_key("auth"), "{a:?}");
        // Taken over after the lease: a no longer has it, b does.
        won(claim(&store, "b-1", "s-b", None, "t", at("2026-11-23T13:00:00Z")).unwrap());
        assert_eq!(in_hand("s-a"), None);
        assert_eq!(in_hand("s-b").as_deref(), Some("b-1"));
        // Released: nobody has it.
        release(&store, "b-1", Some("s-b"), false, "t", at(T0)).unwrap();
        assert_eq!(in_hand("s-b"), None);
    }

    /// Many threads take over one expired claim at once: exactly one wins,
    /// and the file holds the winner's claim (the scheme of the module doc).
    #[test]
    fn racing_takeovers_have_one_winner() {
        let names: Vec<String> = (0..8).map(|i| format!("r{i}")).collect();
        let mut all: Vec<&str> = names.iter().map(String::as_str).collect();
        all.push("old");
        let (_dir, store) = setup(&all);
        let lease = Some(Duration::from_secs(60));
        won(claim(&store, "b-1", "s-old", lease, "t", at(T0)).unwrap());
        let later = at("2026-11-23T13:00:00Z");
        let winners: Vec<Won> = std::thread::scope(|s| {
            let handles: Vec<_> = names
                .iter()
                .map(|name| {
                    let store = &store;
                    s.spawn(move || {
                        claim(store, "b-1", &format!("s-{name}"), None, "t", later).unwrap()
                    })
                })
                .collect();
            handles
                .into_iter()
                .filter_map(|h| match h.join().unwrap() {
                    Claimed::Won(w) => Some(w),
                    Claimed::AlreadyTaken { .. } => None,
                })
                .collect()
        });
        assert_eq!(winners.len(), 1, "{winners:?}");
        let (held, _) = read_claim(&store, "b-1").unwrap().unwrap();
        assert_eq!(held, winners[0].claim);
        assert_eq!(
            winners[0].took_over.as_ref().map(|c| c.session.as_str()),
            Some("s-old")
        );
    }

    #[test]
    fn release_by_holder_or_force_reopens_the_bead() {
        let (_dir, store) = setup(&["a", "b"]);
        won(claim(&store, "b-1", "s-a", None, "t", at(T0)).unwrap());
        assert!(matches!(
            release(&store, "b-1", Some("s-b"), false, "t", at(T0)),
            Err(Error::NotHolder { .. })
        ));
        assert!(matches!(
            release(&store, "b-1", None, false, "t", at(T0)),
            Err(Error::Invalid(_))
        ));
        let r = release(&store, "b-1", Some("s-a"), false, "t", at(T0)).unwrap();
        assert!(!r.forced && r.reopened);
        let bead = store.read_bead("b-1").unwrap();
        assert_eq!((bead.status.as_str(), bead.assignee), ("open", None));
        assert!(matches!(
            release(&store, "b-1", Some("s-a"), false, "t", at(T0)),
            Err(Error::NotClaimed(_))
        ));
        won(claim(&store, "b-1", "s-b", None, "t", at(T0)).unwrap());
        let r = release(&store, "b-1", Some("s-a"), true, "t", at(T0)).unwrap();
        assert!(r.forced);
    }

    #[test]
    fn renew_extends_only_the_holders_lease() {
        let (_dir, store) = setup(&["a", "b"]);
        won(claim(&store, "b-1", "s-a", None, "t", at(T0)).unwrap());
        let later = at("2026-11-23T13:00:00Z");
        let r = renew(
            &store,
            "b-1",
            "s-a",
            Some(Duration::from_secs(1800)),
            "t",
            later,
        )
        .unwrap();
        assert_eq!(r.claim.lease_until, "2026-11-23T13:30:00Z");
        assert_eq!(r.previous_lease_until, "2026-11-23T14:00:00Z");
        assert_eq!(r.claim.claimed_at, T0);
        assert!(matches!(
            renew(&store, "b-1", "s-b", None, "t", later),
            Err(Error::NotHolder { .. })
        ));
        assert!(matches!(
            renew(&store, "b-2", "s-a", None, "t", later),
            Err(Error::NotClaimed(_))
        ));
    }

    #[test]
    fn bad_requests_change_nothing() {
        let (_dir, store) = setup(&["a"]);
        let mut ended: Session = store.read("s-a").unwrap().unwrap();
        ended.id = "s-gone".into();
        ended.status = SessionStatus::Ended;
        let mut tx = store.changes();
        tx.write_all(&[("s-gone", &ended)]).unwrap();
        let mut closed = store.read_bead("b-2").unwrap();
        closed.status = "closed".into();
        tx.write_bead(&closed).unwrap();
        drop(tx);
        type Expect = fn(&Error) -> bool;
        let cases: Vec<(&str, &str, Expect)> = vec![
            ("b-1", "s-nobody", |e| {
                matches!(e, Error::SessionNotFound(_))
            }),
            ("b-1", "s-gone", |e| matches!(e, Error::SessionEnded(_))),
            ("b-9", "s-a", |e| {
                matches!(e, Error::Store(store::Error::NotFound { .. }))
            }),
            ("b-2", "s-a", |e| matches!(e, Error::Closed(_))),
            ("../x", "s-a", |e| {
                matches!(e, Error::Store(store::Error::InvalidId(_)))
            }),
        ];
        for (bead, session, expected) in cases {
            let err = claim(&store, bead, session, None, "t", at(T0)).unwrap_err();
            assert!(expected(&err), "{bead} {session}: {err}");
        }
        assert!(Claims::load(&store).unwrap().local.is_empty());
    }
}
