//! `gemba session context`: everything an agent needs to know about where
//! it stands, in one report: its agent (envelope and profile), workspace,
//! session (telemetry and profile), health and runway, intent, and the
//! scope status (git clean or dirty, ahead/behind upstream, source-index
//! freshness).

use std::path::Path;

use jiff::Timestamp;
use serde::Serialize;

use super::{Result, agents};
use crate::analysis::{self, Freshness};
use crate::model::session::{Intent, SessionStatus, Telemetry};
use crate::model::{Band, CostTier, Profile, Session, Workspace};
use crate::profile::{self, health};
use crate::store::Store;

#[derive(Debug, Clone, Serialize)]
pub struct Context {
    pub agent: AgentEnvelope,
    pub workspace: Workspace,
    pub session: SessionState,
    pub session_profile: Profile,
    /// Decayed to now.
    pub agent_profile: Profile,
    pub health: health::Health,
    pub runway: health::Runway,
    pub intent: Option<Intent>,
    pub scope: ScopeStatus,
}

/// The agent without its profile (shown beside it).
#[derive(Debug, Clone, Serialize)]
pub struct AgentEnvelope {
    pub name: String,
    pub roles: Vec<String>,
    pub max_band: Band,
    pub cost_tier: CostTier,
    pub tools: Vec<String>,
    pub model: Option<String>,
    pub context_window: Option<u64>,
}

/// The session without its workspace, profile and intent (shown beside it).
#[derive(Debug, Clone, Serialize)]
pub struct SessionState {
    pub id: String,
    pub status: SessionStatus,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub parent: Option<String>,
    pub telemetry: Telemetry,
}

/// Whether the session's worktree and the source index can be trusted.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeStatus {
    /// The worktree looked at (the session's).
    pub worktree: Option<String>,
    /// `git status` of it, gemba's own `.gemba/` left out; `None` when it
    /// could not be read (`git_error` says why).
    pub git: Option<crate::git::Status>,
    pub clean: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_error: Option<String>,
    /// The source index (`gemba index status`) of the main worktree.
    pub source_index: Freshness,
}

/// Build the context of `session_id` at `now`.
pub fn context(store: &Store, session_id: &str, now: Timestamp) -> Result<Context> {
    let session = super::read(store, session_id)?;
    let agent = agents::read(store, &session.agent)?;
    let config = store.config();
    let health = health::of_session(&session, Some(&agent), now, &config.profile, &config.health);
    let agent_profile = profile::agent::decay_to(&agent.profile, now, &config.profile);
    let scope = scope_status(store, &session);
    let Session {
        id,
        status,
        workspace,
        started_at,
        ended_at,
        parent,
        telemetry,
        profile: session_profile,
        intent,
        ..
    } = session;
    Ok(Context {
        agent: AgentEnvelope {
            name: agent.name,
            roles: agent.roles,
            max_band: agent.max_band,
            cost_tier: agent.cost_tier,
            tools: agent.tools,
            model: agent.model,
            context_window: agent.context_window,
        },
        workspace,
        session: SessionState {
            id,
            status,
            started_at,
            ended_at,
            parent,
            telemetry,
        },
        session_profile,
        agent_profile,
        runway: health.runway.clone(),
        health,
        intent,
        scope,
    })
}

/// Git status of the session's worktree (else the repository's) and the
/// source index's freshness. Problems are reported in the status, never
/// errors: the context is still useful without them.
fn scope_status(store: &Store, session: &Session) -> ScopeStatus {
    let worktree = session
        .workspace
        .path
        .as_deref()
        .or(Some(session.workspace.repo.as_str()))
        .filter(|p| !p.is_empty());
    let (git, git_error) = match worktree {
        Some(dir) if Path::new(dir).is_dir() => match crate::git::status(Path::new(dir)) {
            Ok(status) => (Some(status), None),
            Err(e) => (None, Some(e.to_string())),
        },
        Some(dir) => (
            None,
            Some(format!("{dir} is not a directory on this machine")),
        ),
        None => (None, Some("the session names no worktree".into())),
    };
    let source_index = match analysis::open(store) {
        Ok(analysis) => analysis.describe().freshness,
        Err(e) => Freshness::Missing {
            reason: e.to_string(),
        },
    };
    ScopeStatus {
        worktree: worktree.map(String::from),
        clean: git.as_ref().map(crate::git::Status::is_clean),
        git,
        git_error,
        source_index,
    }
}
