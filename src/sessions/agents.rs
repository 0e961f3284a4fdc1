//! `.gemba/agents/<name>.yaml`: adding and editing agents' capability
//! envelopes. Their profiles are written by [`super::record_claim`].

use jiff::Timestamp;

use super::{Error, Result};
use crate::model::{Agent, Band, CostTier, Event, EventKind, Profile, id, timestamp};
use crate::store::{Changes, Handoff, Scope, Store};

/// Longest agent name: it is also part of session ids and queue paths.
pub const MAX_NAME_LEN: usize = 64;

/// An agent name: letters, digits, `-`, `_` and `.`, starting with a
/// letter or digit (it appears in session ids, file and directory names).
pub fn validate_name(name: &str) -> Result<()> {
    id::validate(name).map_err(|e| Error::Invalid(e.to_string()))?;
    let ok_start = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !ok_start || !ok_chars || name.len() > MAX_NAME_LEN {
        return Err(Error::Invalid(format!(
            "invalid agent name {name:?}: use letters, digits, `-`, `_` and `.`, starting with a letter or digit, at most {MAX_NAME_LEN} characters"
        )));
    }
    Ok(())
}

/// The envelope fields of `agent add` / `agent edit`: `None` leaves a
/// field as it is (`add`: the default).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Envelope {
    /// Replaces the roles when given.
    pub roles: Option<Vec<String>>,
    pub max_band: Option<Band>,
    pub cost_tier: Option<CostTier>,
    /// Replaces the tools when given.
    pub tools: Option<Vec<String>>,
    pub model: Option<String>,
    pub context_window: Option<u64>,
}

impl Envelope {
    fn check(&self) -> Result<()> {
        for (what, items) in [("role", &self.roles), ("tool", &self.tools)] {
            for item in items.iter().flatten() {
                if item.trim().is_empty() || item.chars().any(char::is_whitespace) {
                    return Err(Error::Invalid(format!(
                        "--{what} {item:?}: must be one word (no spaces)"
                    )));
                }
            }
        }
        if self.model.as_deref().is_some_and(|m| m.trim().is_empty()) {
            return Err(Error::Invalid("--model must not be empty".into()));
        }
        if self.context_window == Some(0) {
            return Err(Error::Invalid("--context-window must be above 0".into()));
        }
        Ok(())
    }

    /// Apply to `agent`; returns the names of the fields that changed.
    fn apply(self, agent: &mut Agent) -> Vec<&'static str> {
        let mut changed = Vec::new();
        fn set<T: PartialEq>(
            field: &mut T,
            new: Option<T>,
            name: &'static str,
            changed: &mut Vec<&'static str>,
        ) {
            if let Some(new) = new
                && *field != new
            {
                *field = new;
                changed.push(name);
            }
        }
        set(
            &mut agent.roles,
            self.roles.map(dedup),
            "roles",
            &mut changed,
        );
        set(&mut agent.max_band, self.max_band, "max_band", &mut changed);
        set(
            &mut agent.cost_tier,
            self.cost_tier,
            "cost_tier",
            &mut changed,
        );
        set(
            &mut agent.tools,
            self.tools.map(dedup),
            "tools",
            &mut changed,
        );
        set(
            &mut agent.model,
            self.model.map(Some),
            "model",
            &mut changed,
        );
        set(
            &mut agent.context_window,
            self.context_window.map(Some),
            "context_window",
            &mut changed,
        );
        changed
    }
}

fn dedup(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// `gemba agent add`: create `agents/<name>.yaml` (`O_EXCL`: adding a name
/// that exists is an error, never an overwrite).
pub fn add(
    tx: &mut Changes<'_>,
    name: &str,
    envelope: Envelope,
    actor: &str,
    now: Timestamp,
) -> Result<(Agent, Event)> {
    validate_name(name)?;
    envelope.check()?;
    let mut agent = Agent {
        name: name.to_string(),
        roles: Vec::new(),
        max_band: Band::default(),
        cost_tier: CostTier::default(),
        tools: Vec::new(),
        model: None,
        context_window: None,
        created_at: timestamp(now),
        profile: Profile::default(),
    };
    envelope.apply(&mut agent);
    if tx.create(name, &agent)? == Handoff::AlreadyTaken {
        return Err(Error::AgentExists(name.to_string()));
    }
    let event = Event::new(
        now,
        actor,
        EventKind::AgentAdd,
        vec![],
        format!("add agent {name}"),
    )
    .with("agent", name)
    .with("max_band", agent.max_band)
    .with("cost_tier", agent.cost_tier);
    Ok((agent, event))
}

/// `gemba agent edit`: change the envelope fields given. No event when
/// nothing changed.
pub fn edit(
    tx: &mut Changes<'_>,
    name: &str,
    envelope: Envelope,
    actor: &str,
    now: Timestamp,
) -> Result<(Agent, Option<Event>)> {
    validate_name(name)?;
    envelope.check()?;
    let _lock = tx.store().lock(Scope::Sessions)?;
    let mut agent = read(tx.store(), name)?;
    let changed = envelope.apply(&mut agent);
    if changed.is_empty() {
        return Ok((agent, None));
    }
    tx.write_all(&[(name, &agent)])?;
    let event = Event::new(
        now,
        actor,
        EventKind::AgentEdit,
        vec![],
        format!("edit agent {name} ({})", changed.join(", ")),
    )
    .with("agent", name)
    .with("fields", &changed);
    Ok((agent, Some(event)))
}

/// One agent, or [`Error::UnknownAgent`].
pub fn read(store: &Store, name: &str) -> Result<Agent> {
    validate_name(name)?;
    store
        .read::<Agent>(name)?
        .ok_or_else(|| Error::UnknownAgent(name.to_string()))
}

/// Every agent, by name.
pub fn list(store: &Store) -> Result<Vec<Agent>> {
    Ok(store
        .load_all::<Agent>()?
        .into_iter()
        .map(|(_, a)| a)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_names() {
        for ok in ["alice", "claude-1", "a.b_c", "X9"] {
            validate_name(ok).unwrap();
        }
        for bad in [
            "",
            "../x",
            "a/b",
            ".hidden",
            "-flag",
            "a b",
            "é",
            &"a".repeat(65),
        ] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
    }
}
