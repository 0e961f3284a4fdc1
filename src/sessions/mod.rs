//! Agents and sessions over the store: owns `.gemba/agents/<name>.yaml`
//! ([`agents`]) and `.gemba/sessions/<id>.json`. Starting, heartbeats,
//! ending, handing off, focus, and folding a claimed bead into the
//! session's and the agent's profiles ([`record_claim`]). The profile and
//! health arithmetic is pure and lives in [`crate::profile`]; this is its
//! I/O edge. Every read-modify-write holds the `sessions.lock` scope lock;
//! creating a session is an `O_EXCL` create. Error type [`Error`].
//!
//! Events: `session.start`, `session.end`, `session.handoff`,
//! `session.focus`, `agent.add`, `agent.edit`. A heartbeat logs
//! `session.heartbeat` only when it moves the context pressure to another
//! level: agents beat every few minutes, and one log line (and one
//! auto-commit) per beat would bury the log; the session file still holds
//! the latest telemetry. [`record_claim`] logs nothing itself: the claim
//! event its caller logs covers the files it changes.

pub mod agents;
pub mod context;

use std::path::Path;

use jiff::Timestamp;

use crate::model::config::Config;
use crate::model::session::{Intent, IntentScope, SessionStatus, Telemetry};
use crate::model::{Agent, Event, EventKind, Profile, Session, Workspace, id, timestamp};
use crate::profile::{self, BeadWork, health};
use crate::store::{self, Changes, Handoff, Scope, Store, kind};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Git(#[from] crate::git::Error),
    #[error("{0}")]
    Invalid(String),
    #[error("unknown agent {0:?}")]
    UnknownAgent(String),
    #[error("agent {0:?} already exists")]
    AgentExists(String),
    #[error("no session {0:?}")]
    UnknownSession(String),
    #[error("session {0} has ended")]
    Ended(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One session, or [`Error::UnknownSession`].
pub fn read(store: &Store, id: &str) -> Result<Session> {
    id::validate(id).map_err(|e| Error::Invalid(e.to_string()))?;
    store
        .read::<Session>(id)?
        .ok_or_else(|| Error::UnknownSession(id.to_string()))
}

/// A session that has not ended.
fn read_live(store: &Store, id: &str) -> Result<Session> {
    let session = read(store, id)?;
    if session.status == SessionStatus::Ended {
        return Err(Error::Ended(id.to_string()));
    }
    Ok(session)
}

/// Every session file, by id; `live_only` keeps those not ended.
pub fn list(store: &Store, live_only: bool) -> Result<Vec<Session>> {
    Ok(store
        .load_all::<Session>()?
        .into_iter()
        .map(|(_, s)| s)
        .filter(|s| !live_only || s.status == SessionStatus::Live)
        .collect())
}

/// The workspace of a session started in `dir`: the repository (its main
/// worktree), the branch checked out there (unless `branch` is given) and
/// the worktree. A directory outside git is its own repository, with no
/// branch unless given.
pub fn detect_workspace(dir: &Path, branch: Option<String>) -> Result<Workspace> {
    match crate::git::discover(dir) {
        Ok(loc) => {
            let branch = match branch {
                Some(b) => Some(b),
                None => crate::git::branch(&loc.current_worktree)?,
            };
            Ok(Workspace {
                repo: loc.main_worktree.display().to_string(),
                branch,
                path: Some(loc.current_worktree.display().to_string()),
            })
        }
        Err(crate::git::Error::NotARepository(_)) => {
            let dir = dir
                .canonicalize()
                .map_err(|e| Error::Invalid(format!("{}: {e}", dir.display())))?;
            Ok(Workspace {
                repo: dir.display().to_string(),
                branch,
                path: Some(dir.display().to_string()),
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// `s-<agent>-<4 base36>`: from the agent, the time and the workspace;
/// `attempt` varies it after a collision.
fn session_id(agent: &str, now: Timestamp, workspace: &Workspace, attempt: u32) -> String {
    let mut h = crate::hash::Fnv::default();
    h.write(agent.as_bytes())
        .write(&now.as_nanosecond().to_le_bytes())
        .write(workspace.path.as_deref().unwrap_or("").as_bytes())
        .write(&attempt.to_le_bytes());
    let digits = 4 + (attempt / 8) as usize; // longer after repeated collisions
    format!("s-{agent}-{}", crate::hash::base36(h.finish(), digits))
}

/// Create a new live session file (`O_EXCL`, a fresh id on collision).
fn create_session(tx: &mut Changes<'_>, mut session: Session, now: Timestamp) -> Result<Session> {
    for attempt in 0..64 {
        session.id = session_id(&session.agent, now, &session.workspace, attempt);
        if tx.create(&session.id.clone(), &session)? == Handoff::Won {
            return Ok(session);
        }
    }
    Err(Error::Invalid(format!(
        "could not find a free session id for agent {} (64 collisions)",
        session.agent
    )))
}

/// `gemba session start`: a new live session of a known agent with an
/// empty profile.
pub fn start(
    tx: &mut Changes<'_>,
    agent: &str,
    workspace: Workspace,
    actor: &str,
    now: Timestamp,
) -> Result<(Session, Event)> {
    agents::read(tx.store(), agent)?;
    let session = create_session(
        tx,
        Session {
            id: String::new(),
            agent: agent.to_string(),
            status: SessionStatus::Live,
            workspace,
            started_at: timestamp(now),
            ended_at: None,
            parent: None,
            telemetry: Telemetry::default(),
            profile: Profile::default(),
            intent: None,
        },
        now,
    )?;
    let event = Event::new(
        now,
        actor,
        EventKind::SessionStart,
        vec![],
        format!("start session {} for {agent}", session.id),
    )
    .with("session", &session.id)
    .with("agent", agent)
    .with("workspace", &session.workspace);
    Ok((session, event))
}

/// What a heartbeat did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Beat {
    pub session: Session,
    pub health: health::Health,
    /// The pressure level before, when the beat changed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level_was: Option<health::Level>,
}

/// `gemba session heartbeat`: record the context's tokens (and window).
/// Logs an event only when the pressure level changes (see the module
/// docs).
pub fn heartbeat(
    tx: &mut Changes<'_>,
    id: &str,
    tokens: u64,
    context_window: Option<u64>,
    actor: &str,
    now: Timestamp,
) -> Result<(Beat, Option<Event>)> {
    if context_window == Some(0) {
        return Err(Error::Invalid("--context-window must be above 0".into()));
    }
    let config = tx.store().config().clone();
    let _lock = tx.store().lock(Scope::Sessions)?;
    let mut session = read_live(tx.store(), id)?;
    let agent = tx.store().read::<Agent>(&session.agent)?;
    let before = health::of_session(
        &session,
        agent.as_ref(),
        now,
        &config.profile,
        &config.health,
    );
    session.telemetry.tokens = tokens;
    if context_window.is_some() {
        session.telemetry.context_window = context_window;
    }
    session.telemetry.heartbeat_at = Some(timestamp(now));
    tx.write_all(&[(id, &session)])?;
    let after = health::of_session(
        &session,
        agent.as_ref(),
        now,
        &config.profile,
        &config.health,
    );
    let changed = before.pressure_level != after.pressure_level;
    let event = changed.then(|| {
        Event::new(
            now,
            actor,
            EventKind::SessionHeartbeat,
            vec![],
            format!(
                "session {id}: context pressure {} ({} -> {})",
                after
                    .pressure
                    .map_or("unknown".into(), |p| format!("{p:.2}")),
                before.pressure_level,
                after.pressure_level
            ),
        )
        .with("session", id)
        .with("tokens", tokens)
        .with("context_window", after.context_window)
        .with("pressure", after.pressure)
        .with("level", after.pressure_level)
        .with("level_was", before.pressure_level)
    });
    Ok((
        Beat {
            session,
            health: after,
            level_was: changed.then_some(before.pressure_level),
        },
        event,
    ))
}

/// End `session` in memory (status, time).
fn mark_ended(session: &mut Session, now: Timestamp) {
    session.status = SessionStatus::Ended;
    session.ended_at = Some(timestamp(now));
}

/// `gemba session end`. A bead still in hand stays claimed: the caller
/// warns (`Session::telemetry.bead`).
pub fn end(
    tx: &mut Changes<'_>,
    id: &str,
    actor: &str,
    now: Timestamp,
) -> Result<(Session, Event)> {
    let _lock = tx.store().lock(Scope::Sessions)?;
    let mut session = read_live(tx.store(), id)?;
    mark_ended(&mut session, now);
    tx.write_all(&[(id, &session)])?;
    let event = Event::new(
        now,
        actor,
        EventKind::SessionEnd,
        vec![],
        format!("end session {id}"),
    )
    .with("session", id)
    .with("agent", &session.agent);
    Ok((session, event))
}

/// `gemba session handoff`: end `id` and start a new session of the same
/// agent in the same workspace, with the same focus and context window,
/// whose profile inherits the agent's profile (decayed to now) plus
/// `profile.handoff_share` of the old session's ([`profile::session::inherit`]).
/// Returns `(old, new)`.
pub fn handoff(
    tx: &mut Changes<'_>,
    id: &str,
    actor: &str,
    now: Timestamp,
) -> Result<((Session, Session), Event)> {
    let config = tx.store().config().profile.clone();
    let _lock = tx.store().lock(Scope::Sessions)?;
    let mut old = read_live(tx.store(), id)?;
    let agent = agents::read(tx.store(), &old.agent)?;
    let agent_profile = profile::agent::decay_to(&agent.profile, now, &config);
    let new = Session {
        id: String::new(),
        agent: old.agent.clone(),
        status: SessionStatus::Live,
        workspace: old.workspace.clone(),
        started_at: timestamp(now),
        ended_at: None,
        parent: Some(old.id.clone()),
        telemetry: Telemetry {
            context_window: old.telemetry.context_window,
            ..Telemetry::default()
        },
        profile: profile::session::inherit(&agent_profile, &old.profile, &config),
        intent: old.intent.clone(),
    };
    let new = create_session(tx, new, now)?;
    mark_ended(&mut old, now);
    tx.write_all(&[(id, &old)])?;
    let event = Event::new(
        now,
        actor,
        EventKind::SessionHandoff,
        vec![],
        format!("hand off session {id} to {}", new.id),
    )
    .with("from", id)
    .with("to", &new.id)
    .with("agent", &new.agent)
    .with("inherited_concepts", new.profile.concepts.len());
    Ok(((old, new), event))
}

/// A focus to set (`None`: clear it).
#[derive(Debug, Clone, PartialEq)]
pub struct Focus {
    pub scope: IntentScope,
    pub rationale: String,
    /// `None`: `profile.focus_demotion`.
    pub demotion: Option<f64>,
}

/// Check a focus scope: the epic exists, the label is a word, the regex
/// compiles.
pub fn check_scope(store: &Store, scope: &IntentScope) -> Result<()> {
    match scope {
        IntentScope::Epic(epic) => {
            id::validate(epic).map_err(|e| Error::Invalid(e.to_string()))?;
            if !store.exists(&kind::BEADS, epic)? {
                return Err(Error::Store(store::Error::NotFound {
                    kind: "bead",
                    id: epic.clone(),
                }));
            }
        }
        IntentScope::Label(label) => {
            if label.trim().is_empty() {
                return Err(Error::Invalid("--label must not be empty".into()));
            }
        }
        IntentScope::Regex(re) => {
            regex::Regex::new(re)
                .map_err(|e| Error::Invalid(format!("--regex {re:?} is not a valid regex: {e}")))?;
        }
    }
    Ok(())
}

/// `gemba session focus`: set or clear the session's intent. No event when
/// nothing changed (clearing no focus, setting the same one).
pub fn focus(
    tx: &mut Changes<'_>,
    id: &str,
    focus: Option<Focus>,
    actor: &str,
    now: Timestamp,
) -> Result<(Session, Option<Event>)> {
    let default_demotion = tx.store().config().profile.focus_demotion;
    if let Some(f) = &focus {
        check_scope(tx.store(), &f.scope)?;
        if let Some(d) = f.demotion
            && !(0.0..=1.0).contains(&d)
        {
            return Err(Error::Invalid(format!(
                "--demotion {d}: must be between 0 and 1"
            )));
        }
    }
    let _lock = tx.store().lock(Scope::Sessions)?;
    let mut session = read_live(tx.store(), id)?;
    let intent = focus.map(|f| Intent {
        scope: f.scope,
        rationale: f.rationale,
        demotion: f.demotion.unwrap_or(default_demotion),
        set_at: timestamp(now),
    });
    let same = match (&session.intent, &intent) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            a.scope == b.scope && a.rationale == b.rationale && a.demotion == b.demotion
        }
        _ => false,
    };
    if same {
        return Ok((session, None));
    }
    let was = session.intent.take();
    session.intent = intent;
    tx.write_all(&[(id, &session)])?;
    let message = match &session.intent {
        Some(i) => format!("focus session {id} on {}", describe_scope(&i.scope)),
        None => format!("clear the focus of session {id}"),
    };
    let mut event = Event::new(now, actor, EventKind::SessionFocus, vec![], message)
        .with("session", id)
        .with("intent", &session.intent);
    if let Some(was) = was {
        event = event.with("was", was);
    }
    if let Some(IntentScope::Epic(epic)) = session.intent.as_ref().map(|i| &i.scope) {
        event.beads = vec![epic.clone()];
    }
    Ok((session, Some(event)))
}

/// `epic gm-a1b2`, `label backend`, `regex /auth/`.
pub fn describe_scope(scope: &IntentScope) -> String {
    match scope {
        IntentScope::Epic(e) => format!("epic {e}"),
        IntentScope::Label(l) => format!("label {l}"),
        IntentScope::Regex(r) => format!("regex /{r}/"),
    }
}

/// A session took `work.bead` (its claim won): set the bead in hand and
/// since when, and fold the bead's declared concepts and files into the
/// session's profile and its agent's. Writes through `tx` and logs
/// nothing: the caller's claim event covers it. Folding a bead already in
/// the ring (a renewed or retried claim) leaves the profiles as they are.
pub fn record_claim(
    tx: &mut Changes<'_>,
    session_id: &str,
    work: &BeadWork,
    now: Timestamp,
) -> Result<Session> {
    id::validate(&work.bead).map_err(|e| Error::Invalid(e.to_string()))?;
    let config = tx.store().config().profile.clone();
    let _lock = tx.store().lock(Scope::Sessions)?;
    let mut session = read_live(tx.store(), session_id)?;
    if session.telemetry.bead.as_deref() != Some(work.bead.as_str()) {
        session.telemetry.bead = Some(work.bead.clone());
        session.telemetry.bead_since = Some(timestamp(now));
    }
    session.profile = profile::session::fold_claim(&session.profile, work, &config);
    tx.write_all(&[(session_id, &session)])?;
    if let Some(mut agent) = tx.store().read::<Agent>(&session.agent)? {
        agent.profile = profile::agent::fold_bead(&agent.profile, work, now, &config);
        tx.write_all(&[(session.agent.as_str(), &agent)])?;
    }
    Ok(session)
}

/// A session let go of `bead` (closed it, released it, lost it to a lease
/// takeover): clear the bead in hand if it is that one, and mark it closed
/// in the ring when `closed`. Logs nothing (the caller's event covers it);
/// works on ended sessions too (a late release).
pub fn record_release(
    tx: &mut Changes<'_>,
    session_id: &str,
    bead: &str,
    closed: bool,
) -> Result<Session> {
    let _lock = tx.store().lock(Scope::Sessions)?;
    let mut session = read(tx.store(), session_id)?;
    if session.telemetry.bead.as_deref() == Some(bead) {
        session.telemetry.bead = None;
        session.telemetry.bead_since = None;
    }
    if closed {
        profile::session::mark_closed(&mut session.profile, bead);
    }
    tx.write_all(&[(session_id, &session)])?;
    Ok(session)
}

/// Health of every given session (its window from the heartbeat, else
/// its agent's).
pub fn health_of(
    sessions: &[Session],
    agents: &[Agent],
    config: &Config,
    now: Timestamp,
) -> Vec<(String, health::Health)> {
    sessions
        .iter()
        .map(|s| {
            let agent = agents.iter().find(|a| a.name == s.agent);
            (
                s.id.clone(),
                health::of_session(s, agent, now, &config.profile, &config.health),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::profile::ProfileSource;

    fn at(t: &str) -> Timestamp {
        t.parse().unwrap()
    }

    fn store() -> (tempfile::TempDir, Store) {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join(".gemba");
        store::init(&root).unwrap();
        let store = Store::open(&root, None).unwrap();
        (tmp, store)
    }

    fn work(bead: &str, concepts: &[&str], files: &[&str]) -> BeadWork {
        BeadWork {
            bead: bead.into(),
            epic: Some("gm-epic".into()),
            concepts: concepts.iter().map(|s| s.to_string()).collect(),
            files: files.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// An agent `alice` (window 1000) and one live session of hers.
    fn started(store: &Store) -> Session {
        let now = at("2026-01-01T00:00:00Z");
        let mut tx = store.changes();
        let envelope = agents::Envelope {
            context_window: Some(1000),
            ..Default::default()
        };
        agents::add(&mut tx, "alice", envelope, "t", now).unwrap();
        let ws = Workspace {
            repo: "/r".into(),
            ..Workspace::default()
        };
        start(&mut tx, "alice", ws, "t", now).unwrap().0
    }

    #[test]
    fn record_claim_folds_into_session_and_agent() {
        let (_tmp, store) = store();
        let s = started(&store);
        let mut tx = store.changes();
        let t1 = at("2026-01-01T01:00:00Z");
        record_claim(
            &mut tx,
            &s.id,
            &work("gm-1", &["auth"], &["src/auth.rs"]),
            t1,
        )
        .unwrap();
        let t2 = at("2026-01-01T02:00:00Z");
        let after = record_claim(&mut tx, &s.id, &work("gm-2", &["db"], &[]), t2).unwrap();
        assert_eq!(after.telemetry.bead.as_deref(), Some("gm-2"));
        assert_eq!(
            after.telemetry.bead_since.as_deref(),
            Some("2026-01-01T02:00:00Z")
        );
        assert_eq!(after.profile.events, 2);
        assert_eq!(after.profile.recent[0].source, ProfileSource::Declared);
        assert_eq!(after.profile.recent[1].epic.as_deref(), Some("gm-epic"));
        assert!((after.profile.concepts["auth"] - 0.5f64.powf(0.2)).abs() < 1e-9);
        assert_eq!(
            read(&store, &s.id).unwrap(),
            after,
            "written to the session file"
        );
        let agent = agents::read(&store, "alice").unwrap();
        assert_eq!(agent.profile.events, 2);
        assert!(
            (agent.profile.concepts["db"] - 0.5).abs() < 1e-9,
            "1 / 2 lifetime beads"
        );

        // A renewed claim of the bead in hand changes neither profile nor `bead_since`.
        let again = record_claim(
            &mut tx,
            &s.id,
            &work("gm-2", &["db"], &[]),
            at("2026-01-01T03:00:00Z"),
        )
        .unwrap();
        assert_eq!(again, after);
        assert_eq!(agents::read(&store, "alice").unwrap().profile.events, 2);

        let released = record_release(&mut tx, &s.id, "gm-2", true).unwrap();
        assert_eq!(released.telemetry.bead, None);
        assert!(released.profile.recent[1].closed);
        // Releasing another bead leaves the one in hand alone.
        record_claim(&mut tx, &s.id, &work("gm-3", &[], &[]), t2).unwrap();
        let other = record_release(&mut tx, &s.id, "gm-1", false).unwrap();
        assert_eq!(other.telemetry.bead.as_deref(), Some("gm-3"));
    }

    #[test]
    fn heartbeats_log_only_level_changes() {
        let (_tmp, store) = store();
        let s = started(&store);
        let mut tx = store.changes();
        let now = at("2026-01-01T00:10:00Z");
        // (tokens, logged?, level)
        for (tokens, logged, level) in [
            (100, false, health::Level::Ok),
            (500, false, health::Level::Ok),
            (650, true, health::Level::Warn),
            (700, false, health::Level::Warn),
            (900, true, health::Level::Recycle),
            (100, true, health::Level::Ok),
        ] {
            let (beat, event) = heartbeat(&mut tx, &s.id, tokens, None, "t", now).unwrap();
            assert_eq!(event.is_some(), logged, "{tokens}");
            assert_eq!(beat.health.pressure_level, level, "{tokens}");
            assert_eq!(beat.session.telemetry.tokens, tokens);
        }
        assert!(heartbeat(&mut tx, &s.id, 1, Some(0), "t", now).is_err());
    }

    #[test]
    fn handoff_ends_the_old_session_and_inherits() {
        let (_tmp, store) = store();
        let s = started(&store);
        let mut tx = store.changes();
        let t = at("2026-01-01T01:00:00Z");
        record_claim(&mut tx, &s.id, &work("gm-1", &["auth"], &[]), t).unwrap();
        let focus_on = Focus {
            scope: IntentScope::Label("backend".into()),
            rationale: String::new(),
            demotion: None,
        };
        focus(&mut tx, &s.id, Some(focus_on), "t", t).unwrap();
        let ((old, new), event) = handoff(&mut tx, &s.id, "t", t).unwrap();
        assert_eq!(old.status, SessionStatus::Ended);
        assert_eq!(new.parent.as_deref(), Some(s.id.as_str()));
        assert_ne!(new.id, s.id);
        // Agent (auth 1, scaled to max 1) + half the session (auth 1).
        assert!(
            (new.profile.concepts["auth"] - 1.5).abs() < 1e-9,
            "{:?}",
            new.profile
        );
        assert_eq!(new.profile.events, 0);
        assert_eq!(new.intent.as_ref().map(|i| i.demotion), Some(0.4));
        assert_eq!(event.data["to"], new.id.as_str());
        assert!(matches!(
            handoff(&mut tx, &s.id, "t", t),
            Err(Error::Ended(_))
        ));
        assert!(matches!(end(&mut tx, &s.id, "t", t), Err(Error::Ended(_))));
    }

    #[test]
    fn focus_changes_are_events_and_repeats_are_not() {
        let (_tmp, store) = store();
        let s = started(&store);
        let mut tx = store.changes();
        let t = at("2026-01-01T01:00:00Z");
        let label = |l: &str| Focus {
            scope: IntentScope::Label(l.into()),
            rationale: "r".into(),
            demotion: Some(0.2),
        };
        assert!(
            focus(&mut tx, &s.id, None, "t", t).unwrap().1.is_none(),
            "nothing to clear"
        );
        assert!(
            focus(&mut tx, &s.id, Some(label("a")), "t", t)
                .unwrap()
                .1
                .is_some()
        );
        assert!(
            focus(&mut tx, &s.id, Some(label("a")), "t", t)
                .unwrap()
                .1
                .is_none()
        );
        let (_, ev) = focus(&mut tx, &s.id, Some(label("b")), "t", t).unwrap();
        assert_eq!(ev.unwrap().data["was"]["scope"]["label"], "a");
        assert!(focus(&mut tx, &s.id, None, "t", t).unwrap().1.is_some());
        let bad = Focus {
            scope: IntentScope::Regex("(".into()),
            rationale: String::new(),
            demotion: None,
        };
        assert!(matches!(
            focus(&mut tx, &s.id, Some(bad), "t", t),
            Err(Error::Invalid(_))
        ));
        let epic = Focus {
            scope: IntentScope::Epic("gm-none".into()),
            rationale: String::new(),
            demotion: None,
        };
        assert!(matches!(
            focus(&mut tx, &s.id, Some(epic), "t", t),
            Err(Error::Store(_))
        ));
    }

    #[test]
    fn session_ids_avoid_collisions() {
        let (_tmp, store) = store();
        let a = started(&store);
        let mut tx = store.changes();
        // Same agent, same time, same workspace: a second id all the same.
        let (b, _) = start(
            &mut tx,
            "alice",
            a.workspace.clone(),
            "t",
            at("2026-01-01T00:00:00Z"),
        )
        .unwrap();
        assert_ne!(a.id, b.id);
        assert!(
            a.id.starts_with("s-alice-") && a.id.len() == "s-alice-".len() + 4,
            "{}",
            a.id
        );
        assert!(matches!(
            start(
                &mut tx,
                "bob",
                a.workspace.clone(),
                "t",
                at("2026-01-01T00:00:00Z")
            ),
            Err(Error::UnknownAgent(_))
        ));
    }
}
