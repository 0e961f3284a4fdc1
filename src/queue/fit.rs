//! Which agent may work on a packet, and which is the best to give one
//! to. Pure: no I/O, no clock.
//!
//! A packet needs:
//! - its `requires` (a role or a capability), which an agent has when it
//!   lists it among its `roles` or its `tools`: an explicit need is met
//!   only explicitly;
//! - the role of its current stage: `queue.stage_roles[stage]`, else the
//!   stage's own name. An agent does the stage when it lists that role,
//!   or when it lists no roles at all (a generalist takes any work, as in
//!   `plan::fit`);
//! - when it comes from a bead, what the bead needs (`plan::fit`: band,
//!   `tool:` and `role:` labels). Only a choice of agent (reroute, a stage
//!   handoff) reads the bead; `take` judges by the packet alone.
//!
//! The best agent for a packet ([`choose`]): among those that fit and are
//! not gone, agents that list the stage's role before generalists, then
//! the least loaded (ready + in progress), then the cheapest, then by
//! name.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::model::{Agent, Packet};
use crate::plan::fit as bead_fit;

/// What a packet needs of an agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs<'a> {
    /// `requires`: a role or tool the agent must list.
    pub requires: Option<&'a str>,
    /// The role of its current stage.
    pub role: Option<&'a str>,
    /// What its bead needs (only where the bead was read).
    pub bead: Option<bead_fit::Needs<'a>>,
}

/// The role that does `stage`.
pub fn stage_role<'a>(stage: &'a str, stage_roles: &'a BTreeMap<String, String>) -> &'a str {
    stage_roles.get(stage).map_or(stage, String::as_str)
}

impl<'a> Needs<'a> {
    /// What the packet itself says it needs (its bead is not read).
    pub fn of(packet: &'a Packet, stage_roles: &'a BTreeMap<String, String>) -> Needs<'a> {
        Needs {
            requires: packet.requires.as_deref(),
            role: packet.stage.as_deref().map(|s| stage_role(s, stage_roles)),
            bead: None,
        }
    }

    /// These needs at `stage` instead of the packet's current stage.
    pub fn at_stage(
        mut self,
        stage: Option<&'a str>,
        stage_roles: &'a BTreeMap<String, String>,
    ) -> Needs<'a> {
        self.role = stage.map(|s| stage_role(s, stage_roles));
        self
    }
}

/// Why an agent does not fit a packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Misfit {
    /// It lists `requires` neither among its roles nor its tools.
    Lacks(String),
    /// It lists roles, not the stage's.
    NoRole(String),
    /// Its envelope falls short of the bead.
    Bead(bead_fit::Misfit),
}

impl fmt::Display for Misfit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Misfit::Lacks(r) => write!(f, "requires {r}"),
            Misfit::NoRole(r) => write!(f, "its stage needs role {r}"),
            Misfit::Bead(m) => write!(f, "its bead {m}"),
        }
    }
}

/// Whether `agent` lists `name` among its roles or tools.
pub fn has(agent: &Agent, name: &str) -> bool {
    agent.roles.iter().chain(&agent.tools).any(|x| x == name)
}

/// Whether `agent` does the work of `role`: it lists it, or lists no
/// roles (a generalist).
pub fn does_role(agent: &Agent, role: &str) -> bool {
    agent.roles.is_empty() || agent.roles.iter().any(|r| r == role)
}

/// Every way `agent` falls short of `needs` (empty: it fits).
pub fn misfits(needs: &Needs<'_>, agent: &Agent) -> Vec<Misfit> {
    let mut out = Vec::new();
    if let Some(r) = needs.requires
        && !has(agent, r)
    {
        out.push(Misfit::Lacks(r.to_string()));
    }
    if let Some(role) = needs.role
        && !does_role(agent, role)
    {
        out.push(Misfit::NoRole(role.to_string()));
    }
    if let Some(bead) = &needs.bead {
        out.extend(bead_fit::misfits(bead, agent).into_iter().map(Misfit::Bead));
    }
    out
}

/// `alice: needs docker; alice has roles build, tools cargo, git`: why
/// `agent` does not fit, naming what it has; `None` when it fits.
pub fn why_not(needs: &Needs<'_>, agent: &Agent) -> Option<String> {
    let misfits = misfits(needs, agent);
    if misfits.is_empty() {
        return None;
    }
    let what: Vec<String> = misfits.iter().map(Misfit::to_string).collect();
    Some(format!(
        "{} ({} has {})",
        what.join("; "),
        agent.name,
        envelope(agent)
    ))
}

/// `roles build, scout; tools cargo` (or `no roles or tools`).
pub fn envelope(agent: &Agent) -> String {
    let mut parts = Vec::new();
    if !agent.roles.is_empty() {
        parts.push(format!("roles {}", agent.roles.join(", ")));
    }
    if !agent.tools.is_empty() {
        parts.push(format!("tools {}", agent.tools.join(", ")));
    }
    if parts.is_empty() {
        "no roles or tools".into()
    } else {
        parts.join("; ")
    }
}

/// An agent that could get a packet, with its load.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub agent: &'a Agent,
    /// Ready + in-progress packets in its queue.
    pub load: usize,
}

/// Why no agent was chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoFit(pub String);

impl fmt::Display for NoFit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The best candidate for a packet with `needs` (see the module doc),
/// other than `except`, whose load stays within `max_load` after taking
/// it (when given). The error says why none is.
pub fn choose<'c, 'a>(
    needs: &Needs<'_>,
    candidates: &'c [Candidate<'a>],
    except: &str,
    max_load: Option<usize>,
) -> Result<&'c Candidate<'a>, NoFit> {
    let others: Vec<&Candidate<'a>> = candidates
        .iter()
        .filter(|c| c.agent.name != except)
        .collect();
    let fitting: Vec<&Candidate<'a>> = others
        .iter()
        .copied()
        .filter(|c| misfits(needs, c.agent).is_empty())
        .collect();
    if fitting.is_empty() {
        return Err(NoFit(no_fit_reason(needs, &others)));
    }
    let roomy: Vec<&Candidate<'a>> = fitting
        .iter()
        .copied()
        .filter(|c| max_load.is_none_or(|max| c.load < max))
        .collect();
    let generalist = |c: &Candidate<'_>| {
        needs
            .role
            .is_some_and(|r| !c.agent.roles.iter().any(|x| x == r))
    };
    roomy
        .into_iter()
        .min_by(|a, b| {
            (generalist(a), a.load, a.agent.cost_tier, &a.agent.name).cmp(&(
                generalist(b),
                b.load,
                b.agent.cost_tier,
                &b.agent.name,
            ))
        })
        .ok_or_else(|| {
            NoFit(format!(
                "every agent that could take it is at the target depth ({}): {}",
                max_load.unwrap_or(0),
                fitting
                    .iter()
                    .map(|c| c.agent.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

/// `no other agent has docker` / `no other agent does role build` / the
/// misfits of the nearest agents.
fn no_fit_reason(needs: &Needs<'_>, others: &[&Candidate<'_>]) -> String {
    if let Some(r) = needs.requires
        && !others.iter().any(|c| has(c.agent, r))
    {
        return format!("no other agent has {r}");
    }
    if let Some(role) = needs.role
        && !others.iter().any(|c| does_role(c.agent, role))
    {
        return format!("no other agent does role {role}");
    }
    if others.is_empty() {
        return "no other agent".into();
    }
    let why: Vec<String> = others
        .iter()
        .filter_map(|c| why_not(needs, c.agent).map(|w| format!("{}: {w}", c.agent.name)))
        .take(3)
        .collect();
    format!("no agent fits ({})", why.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Band, CostTier};

    pub(crate) fn agent(name: &str, roles: &[&str], tools: &[&str]) -> Agent {
        Agent {
            name: name.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            max_band: Band::Skilled,
            cost_tier: CostTier::Standard,
            tools: tools.iter().map(|t| t.to_string()).collect(),
            model: None,
            context_window: None,
            created_at: "2026-11-23T12:00:00Z".into(),
            profile: Default::default(),
        }
    }

    #[test]
    fn misfits_table() {
        let builder = agent("bob", &["build"], &["cargo"]);
        let generalist = agent("gen", &[], &[]);
        let needs = |requires: Option<&'static str>, role: Option<&'static str>| Needs {
            requires,
            role,
            bead: None,
        };
        let cases: [(&str, Needs<'_>, &Agent, &[&str]); 8] = [
            ("nothing", needs(None, None), &builder, &[]),
            ("a role it lists", needs(Some("build"), None), &builder, &[]),
            ("a tool it lists", needs(Some("cargo"), None), &builder, &[]),
            (
                "a capability it lacks",
                needs(Some("docker"), None),
                &builder,
                &["requires docker"],
            ),
            (
                "a generalist lacks explicit requires",
                needs(Some("build"), None),
                &generalist,
                &["requires build"],
            ),
            (
                "its stage's role",
                needs(None, Some("build")),
                &builder,
                &[],
            ),
            (
                "another stage's role",
                needs(None, Some("ship")),
                &builder,
                &["its stage needs role ship"],
            ),
            (
                "a generalist does any stage",
                needs(None, Some("ship")),
                &generalist,
                &[],
            ),
        ];
        for (name, n, a, want) in cases {
            let got: Vec<String> = misfits(&n, a).iter().map(Misfit::to_string).collect();
            assert_eq!(got, want, "{name}");
        }
        let why = why_not(&needs(Some("docker"), None), &builder).unwrap();
        assert_eq!(why, "requires docker (bob has roles build; tools cargo)");
        assert_eq!(envelope(&generalist), "no roles or tools");
    }

    #[test]
    fn stage_roles_map_stages_and_default_to_the_name() {
        let map: BTreeMap<String, String> = [("verify".to_string(), "review".to_string())].into();
        assert_eq!(stage_role("verify", &map), "review");
        assert_eq!(stage_role("build", &map), "build");
    }

    #[test]
    fn choose_fits_then_specialist_then_load_then_cost_then_name() {
        let mut cheap = agent("cheap", &["build"], &[]);
        cheap.cost_tier = CostTier::Economy;
        let agents = [
            agent("alice", &["scout"], &[]),
            agent("bob", &["build"], &["docker"]),
            cheap,
            agent("gen", &[], &["docker"]),
            agent("zed", &["build"], &[]),
        ];
        let cands = |loads: [usize; 5]| -> Vec<Candidate<'_>> {
            agents
                .iter()
                .zip(loads)
                .map(|(agent, load)| Candidate { agent, load })
                .collect()
        };
        let build = Needs {
            role: Some("build"),
            ..Needs::default()
        };
        let docker = Needs {
            requires: Some("docker"),
            ..Needs::default()
        };
        let pick = |needs: &Needs<'_>, loads, except, max| {
            choose(needs, &cands(loads), except, max)
                .map(|c| c.agent.name.clone())
                .map_err(|e| e.0)
        };
        type Case<'n> = (
            &'static str,
            &'n Needs<'n>,
            [usize; 5],
            &'static str,
            Option<usize>,
            Result<&'static str, &'static str>,
        );
        let table: [Case<'_>; 8] = [
            (
                "least loaded specialist",
                &build,
                [0, 2, 1, 0, 1],
                "x",
                None,
                Ok("cheap"),
            ),
            (
                "cheaper on a tie",
                &build,
                [0, 1, 1, 0, 1],
                "x",
                None,
                Ok("cheap"),
            ),
            (
                "name on a full tie",
                &build,
                [0, 1, 2, 0, 1],
                "x",
                None,
                Ok("bob"),
            ),
            (
                "specialists before an idle generalist",
                &build,
                [0, 3, 4, 0, 3],
                "x",
                None,
                Ok("bob"),
            ),
            (
                "never the holder",
                &build,
                [0, 0, 5, 5, 5],
                "bob",
                None,
                Ok("cheap"),
            ),
            (
                "requires: only those who list it",
                &docker,
                [0, 5, 0, 3, 0],
                "x",
                None,
                Ok("gen"),
            ),
            (
                "room below the depth",
                &docker,
                [0, 3, 0, 3, 0],
                "x",
                Some(3),
                Err("every agent that could take it is at the target depth (3): bob, gen"),
            ),
            (
                "requires nobody has",
                &Needs {
                    requires: Some("gpu"),
                    ..Needs::default()
                },
                [0; 5],
                "x",
                None,
                Err("no other agent has gpu"),
            ),
        ];
        for (name, needs, loads, except, max, want) in table {
            let got = pick(needs, loads, except, max);
            assert_eq!(got.as_deref().map_err(|e| e.as_str()), want, "{name}");
        }
        let ship = Needs {
            role: Some("ship"),
            ..Needs::default()
        };
        // The generalist does it; without it, nobody does.
        assert_eq!(pick(&ship, [0; 5], "x", None), Ok("gen".into()));
        assert_eq!(
            pick(&ship, [0; 5], "gen", None),
            Err("no other agent does role ship".into())
        );
    }
}
