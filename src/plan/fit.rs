//! Capability fit: whether an agent's envelope covers what a bead needs.
//!
//! A bead needs:
//! - its complexity band (enrichment `complexity`; `routine` when not
//!   estimated), at most the agent's `max_band`;
//! - every tool named by a `tool:<name>` label, among the agent's `tools`;
//! - a role named by a `role:<name>` label, among the agent's `roles` (an
//!   agent that lists no roles takes any work).
//!
//! An agent short of any of these is a misfit: selection excludes the bead
//! in auto mode and warns in coach mode. An agent whose `max_band` is above
//! the bead's band is over-qualified: when a cheaper agent that fits has a
//! live session, selection demotes the bead for the dearer one.
//!
//! Pure: no I/O.

use std::fmt;

use crate::model::{Agent, Band, BeadHead, Enrichment};

/// Label prefixes naming what a bead needs.
pub const TOOL_PREFIX: &str = "tool:";
pub const ROLE_PREFIX: &str = "role:";

/// What a bead needs of an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needs<'a> {
    pub band: Band,
    /// The band was estimated (or set); otherwise `routine` is assumed.
    pub band_known: bool,
    pub tools: Vec<&'a str>,
    pub roles: Vec<&'a str>,
}

impl<'a> Needs<'a> {
    pub fn of(bead: &BeadHead<'a>, enrichment: Option<&Enrichment>) -> Needs<'a> {
        let complexity = enrichment.and_then(|e| e.complexity.as_ref());
        let labelled = |prefix: &str| -> Vec<&'a str> {
            let mut v: Vec<&str> = bead
                .labels
                .iter()
                .filter_map(|l| l.strip_prefix(prefix))
                .filter(|t| !t.is_empty())
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        Needs {
            band: complexity.map_or(Band::Routine, |c| c.value),
            band_known: complexity.is_some(),
            tools: labelled(TOOL_PREFIX),
            roles: labelled(ROLE_PREFIX),
        }
    }
}

/// Why an agent does not fit a bead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Misfit {
    UnderQualified { band: Band, max: Band },
    MissingTools(Vec<String>),
    WrongRole(Vec<String>),
}

impl Misfit {
    /// The key of the why-not summary.
    pub fn key(&self) -> &'static str {
        match self {
            Misfit::UnderQualified { .. } => "under-qualified",
            Misfit::MissingTools(_) => "missing-tool",
            Misfit::WrongRole(_) => "wrong-role",
        }
    }
}

impl fmt::Display for Misfit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Misfit::UnderQualified { band, max } => {
                write!(f, "{band} work is above the agent's max band {max}")
            }
            Misfit::MissingTools(t) => write!(f, "needs {} (the agent lacks it)", t.join(", ")),
            Misfit::WrongRole(r) => write!(
                f,
                "needs role {} (the agent has none of them)",
                r.join(" or ")
            ),
        }
    }
}

/// Every way `agent` falls short of `needs` (empty: it fits).
pub fn misfits(needs: &Needs<'_>, agent: &Agent) -> Vec<Misfit> {
    let mut out = Vec::new();
    if needs.band > agent.max_band {
        out.push(Misfit::UnderQualified {
            band: needs.band,
            max: agent.max_band,
        });
    }
    let missing: Vec<String> = needs
        .tools
        .iter()
        .filter(|t| !agent.tools.iter().any(|a| a == *t))
        .map(|t| t.to_string())
        .collect();
    if !missing.is_empty() {
        out.push(Misfit::MissingTools(missing));
    }
    if !needs.roles.is_empty()
        && !agent.roles.is_empty()
        && !needs
            .roles
            .iter()
            .any(|r| agent.roles.iter().any(|a| a == r))
    {
        out.push(Misfit::WrongRole(
            needs.roles.iter().map(|r| r.to_string()).collect(),
        ));
    }
    out
}

/// [`misfits`] is empty (without building it: this runs per bead and
/// live agent).
pub fn fits(needs: &Needs<'_>, agent: &Agent) -> bool {
    needs.band <= agent.max_band
        && needs
            .tools
            .iter()
            .all(|t| agent.tools.iter().any(|a| a == t))
        && (needs.roles.is_empty()
            || agent.roles.is_empty()
            || needs
                .roles
                .iter()
                .any(|r| agent.roles.iter().any(|a| a == r)))
}

/// The agent's max band is above the bead's band.
pub fn over_qualified(needs: &Needs<'_>, agent: &Agent) -> bool {
    agent.max_band > needs.band
}

/// A cheaper agent among `others` that fits the bead: the cheapest, then
/// by name (deterministic).
pub fn cheaper_fit<'o>(
    needs: &Needs<'_>,
    agent: &Agent,
    others: impl IntoIterator<Item = &'o Agent>,
) -> Option<&'o Agent> {
    others
        .into_iter()
        .filter(|o| o.cost_tier < agent.cost_tier && fits(needs, o))
        .min_by(|a, b| a.cost_tier.cmp(&b.cost_tier).then(a.name.cmp(&b.name)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::enrichment::{Source, Stamped};
    use crate::model::{Bead, CostTier};

    fn agent(name: &str, max: Band, tier: CostTier, tools: &[&str], roles: &[&str]) -> Agent {
        Agent {
            name: name.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            max_band: max,
            cost_tier: tier,
            tools: tools.iter().map(|t| t.to_string()).collect(),
            model: None,
            context_window: None,
            created_at: "2026-11-23T12:00:00Z".into(),
            profile: Default::default(),
        }
    }

    fn needs<'a>(bead: &'a Bead, band: Option<Band>) -> Needs<'a> {
        let e = Enrichment {
            complexity: band.map(|value| Stamped {
                value,
                source: Source::Backfill,
                updated_at: None,
            }),
            ..Default::default()
        };
        Needs::of(&BeadHead::from(bead), Some(&e))
    }

    #[test]
    fn table() {
        let mut b = Bead::new("b", "B");
        b.labels = vec!["tool:docker".into(), "role:build".into(), "area:x".into()];
        let std =
            |max, tools: &[&str], roles: &[&str]| agent("a", max, CostTier::Standard, tools, roles);
        let cases: Vec<(Option<Band>, Agent, Vec<&str>)> = vec![
            (
                Some(Band::Skilled),
                std(Band::Skilled, &["docker"], &["build"]),
                vec![],
            ),
            (
                Some(Band::Expert),
                std(Band::Skilled, &["docker"], &[]),
                vec!["under-qualified"],
            ),
            (None, std(Band::Routine, &["docker"], &[]), vec![]),
            (
                None,
                std(Band::Trivial, &["docker"], &[]),
                vec!["under-qualified"],
            ),
            (
                Some(Band::Trivial),
                std(Band::Expert, &[], &[]),
                vec!["missing-tool"],
            ),
            (
                Some(Band::Trivial),
                std(Band::Expert, &["docker"], &["verify"]),
                vec!["wrong-role"],
            ),
            (
                Some(Band::Decompose),
                std(Band::Expert, &[], &["ship"]),
                vec!["under-qualified", "missing-tool", "wrong-role"],
            ),
        ];
        for (band, a, want) in cases {
            let n = needs(&b, band);
            let got: Vec<&str> = misfits(&n, &a).iter().map(Misfit::key).collect();
            assert_eq!(got, want, "{band:?} {a:?}");
            assert_eq!(fits(&n, &a), want.is_empty());
        }
        let n = needs(&b, None);
        assert!(!n.band_known);
        assert_eq!(
            (n.tools.as_slice(), n.roles.as_slice()),
            (&["docker"][..], &["build"][..])
        );
    }

    #[test]
    fn cheaper_fit_picks_the_cheapest_capable() {
        let b = Bead::new("b", "B");
        let n = needs(&b, Some(Band::Routine));
        let premium = agent("p", Band::Expert, CostTier::Premium, &[], &[]);
        assert!(over_qualified(&n, &premium));
        let others = [
            agent("z-std", Band::Routine, CostTier::Standard, &[], &[]),
            agent("a-eco", Band::Trivial, CostTier::Economy, &[], &[]),
            agent("b-eco", Band::Skilled, CostTier::Economy, &[], &[]),
            agent("c-prem", Band::Expert, CostTier::Premium, &[], &[]),
        ];
        assert_eq!(
            cheaper_fit(&n, &premium, &others).map(|a| a.name.as_str()),
            Some("b-eco")
        );
        let eco = agent("e", Band::Expert, CostTier::Economy, &[], &[]);
        assert!(cheaper_fit(&n, &eco, &others).is_none());
        assert_eq!(
            Misfit::UnderQualified {
                band: Band::Expert,
                max: Band::Skilled
            }
            .to_string(),
            "expert work is above the agent's max band skilled"
        );
    }
}
