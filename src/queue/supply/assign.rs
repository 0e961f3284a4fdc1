//! Which agent's queue an item goes to. Pure: no I/O, no clock.
//!
//! Among the agents whose capability envelope fits the item's needs
//! ([`crate::plan::fit`]) and whose queue is below `queue.target_depth`:
//! the highest affinity first, then the least loaded, then the cheaper,
//! then by name. Affinity here is the agent's long-lived profile against
//! the item's concepts and targets (an item from outside has no session
//! history): the `concept` and `file` components of
//! [`crate::plan::affinity`], weighted as in `scoring.affinity`, each
//! neutral (0.5) when either side is empty.

use serde::Serialize;

use crate::model::config::AffinityWeights;
use crate::model::enrichment::Glob;
use crate::model::{Agent, Band};
use crate::plan::affinity::Target;
use crate::plan::fit::{self, Misfit, Needs};

/// An agent as the choice sees it: its envelope and (decayed) profile,
/// and its queue.
#[derive(Debug, Clone)]
pub struct Slot {
    pub agent: Agent,
    /// Ready and in-progress packets, including this run's.
    pub depth: usize,
}

/// Where an item goes, or why nowhere.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Choice {
    To {
        /// Index into the slots.
        #[serde(skip)]
        slot: usize,
        agent: String,
        affinity: f64,
        /// One line per reason: fit, affinity components, load.
        why: Vec<String>,
    },
    /// No agent's envelope fits: per agent, why not.
    NoCapableAgent { misfits: Vec<(String, String)> },
    /// Agents fit, but each queue is at the target depth.
    QueuesFull { capable: Vec<String> },
}

/// What an item needs of an agent: its band (a bead's estimate; items
/// from outside are taken as routine), `tool:`/`role:` labels, and the
/// role its source `requires`.
pub fn needs<'a>(band: Option<Band>, labels: &'a [String], requires: Option<&'a str>) -> Needs<'a> {
    let labelled = |prefix: &str| -> Vec<&'a str> {
        let mut v: Vec<&'a str> = labels
            .iter()
            .filter_map(|l| l.strip_prefix(prefix))
            .filter(|t| !t.is_empty())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let mut roles = labelled(fit::ROLE_PREFIX);
    if let Some(r) = requires
        && !roles.contains(&r)
    {
        roles.push(r);
    }
    Needs {
        band: band.unwrap_or(Band::Routine),
        band_known: band.is_some(),
        tools: labelled(fit::TOOL_PREFIX),
        roles,
    }
}

/// Whether any agent fits at all, and whether any capable one has room
/// (cheap: decided before an item's spec is made).
pub fn capable<'s>(needs: &Needs<'_>, slots: &'s [Slot], target: usize) -> (Vec<&'s Slot>, bool) {
    let fitting: Vec<&Slot> = slots
        .iter()
        .filter(|s| fit::fits(needs, &s.agent))
        .collect();
    let room = fitting.iter().any(|s| s.depth < target);
    (fitting, room)
}

/// The choice for an item with `needs`, `concepts` and `targets`.
pub fn choose(
    needs: &Needs<'_>,
    concepts: &[String],
    targets: &[Glob],
    slots: &[Slot],
    target: usize,
    weights: &AffinityWeights,
) -> Choice {
    let fitting: Vec<usize> = (0..slots.len())
        .filter(|&i| fit::fits(needs, &slots[i].agent))
        .collect();
    if fitting.is_empty() {
        return Choice::NoCapableAgent {
            misfits: slots
                .iter()
                .map(|s| {
                    let why: Vec<String> = fit::misfits(needs, &s.agent)
                        .iter()
                        .map(Misfit::to_string)
                        .collect();
                    (s.agent.name.clone(), why.join("; "))
                })
                .collect(),
        };
    }
    let open: Vec<usize> = fitting
        .iter()
        .copied()
        .filter(|&i| slots[i].depth < target)
        .collect();
    if open.is_empty() {
        return Choice::QueuesFull {
            capable: fitting
                .iter()
                .map(|&i| slots[i].agent.name.clone())
                .collect(),
        };
    }
    let targets: Vec<Target> = targets.iter().map(|g| Target::new(g.as_str())).collect();
    let scored: Vec<(usize, Score)> = open
        .into_iter()
        .map(|i| (i, affinity(&slots[i].agent, concepts, &targets, weights)))
        .collect();
    let (best, score) = scored
        .iter()
        .min_by(|(a, sa), (b, sb)| {
            let (x, y) = (&slots[*a], &slots[*b]);
            // Affinities equal to 1e-9 tie (float noise is no preference).
            let by_affinity = if (sa.value - sb.value).abs() < 1e-9 {
                std::cmp::Ordering::Equal
            } else {
                sb.value.total_cmp(&sa.value)
            };
            by_affinity
                .then(x.depth.cmp(&y.depth))
                .then(x.agent.cost_tier.cmp(&y.agent.cost_tier))
                .then(x.agent.name.cmp(&y.agent.name))
        })
        .expect("at least one open agent");
    let slot = &slots[*best];
    let mut why = vec![format!(
        "fits: {} work within max band {}{}",
        needs.band,
        slot.agent.max_band,
        if needs.roles.is_empty() {
            String::new()
        } else {
            format!(", role {}", needs.roles.join(" or "))
        }
    )];
    why.push(format!("affinity {:.2}: {}", score.value, score.why));
    why.push(format!(
        "load {} of {target} (of {} capable with room)",
        slot.depth,
        scored.len()
    ));
    Choice::To {
        slot: *best,
        agent: slot.agent.name.clone(),
        affinity: score.value,
        why,
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Score {
    value: f64,
    why: String,
}

/// The agent profile's concept and file affinity for the item.
fn affinity(agent: &Agent, concepts: &[String], targets: &[Target], w: &AffinityWeights) -> Score {
    let p = &agent.profile;
    let (concept, concept_why) =
        match crate::profile::similarity::cosine_to_set(&p.concepts, concepts) {
            None if concepts.is_empty() => (0.5, "no concepts (neutral)".to_string()),
            None => (0.5, "no concept history (neutral)".to_string()),
            Some(v) => {
                let mut shared: Vec<&str> = concepts
                    .iter()
                    .filter(|c| p.concepts.get(*c).is_some_and(|w| *w > 0.0))
                    .map(String::as_str)
                    .collect();
                shared.sort_unstable();
                shared.dedup();
                let what = if shared.is_empty() {
                    "shares none".to_string()
                } else {
                    format!("shares {}", shared.join(", "))
                };
                // `+ 0.0` turns a -0.0 (no shared weight) into 0.0 for display.
                (v + 0.0, what)
            }
        };
    let (file, file_why) = if targets.is_empty() {
        (0.5, "no targets (neutral)".to_string())
    } else if p.files.is_empty() {
        (0.5, "no file history (neutral)".to_string())
    } else {
        let known: Vec<Target> = p
            .files
            .iter()
            .filter(|(_, w)| **w > 0.0)
            .map(|(f, _)| Target::new(f))
            .collect();
        let familiar = |t: &Target| -> f64 {
            let mut best: f64 = 0.0;
            for k in &known {
                if k.text == t.text {
                    return 1.0;
                }
                // Same directory, or (for a glob) below its directory.
                let near = k.dir == t.dir
                    || (!t.literal
                        && !t.dir.is_empty()
                        && k.dir.starts_with(&format!("{}/", t.dir)));
                if near {
                    best = best.max(0.5);
                }
            }
            best
        };
        let sum: f64 = targets.iter().map(familiar).sum();
        let v = sum / targets.len() as f64;
        (v, format!("{v:.2} of its targets familiar"))
    };
    let total = w.concept.max(0.0) + w.file.max(0.0);
    let value = if total > 0.0 {
        (w.concept.max(0.0) * concept + w.file.max(0.0) * file) / total
    } else {
        0.5
    };
    Score {
        value,
        why: format!("concept {concept:.2} ({concept_why}); file {file:.2} ({file_why})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CostTier;

    fn agent(name: &str, roles: &[&str], max: Band, tier: CostTier) -> Agent {
        Agent {
            name: name.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            max_band: max,
            cost_tier: tier,
            tools: vec!["cargo".into()],
            model: None,
            context_window: None,
            created_at: "2026-11-23T12:00:00Z".into(),
            profile: Default::default(),
        }
    }

    fn slot(a: Agent, depth: usize) -> Slot {
        Slot { agent: a, depth }
    }

    fn to(choice: &Choice) -> &str {
        match choice {
            Choice::To { agent, .. } => agent,
            other => panic!("no agent: {other:?}"),
        }
    }

    #[test]
    fn fit_then_affinity_then_load() {
        let w = AffinityWeights::default();
        let mut auth = agent("auth-expert", &["build"], Band::Skilled, CostTier::Standard);
        auth.profile.concepts.insert("auth".into(), 1.0);
        auth.profile.files.insert("src/auth/token.rs".into(), 1.0);
        let fresh = agent("fresh", &["build"], Band::Skilled, CostTier::Standard);
        let scout = agent("scout", &["scout"], Band::Skilled, CostTier::Economy);
        let slots = vec![slot(auth, 2), slot(fresh, 0), slot(scout, 0)];
        let labels: Vec<String> = vec![];
        let n = needs(None, &labels, Some("build"));
        let concepts = vec!["auth".to_string()];
        let targets = vec![Glob::new("src/auth/redirect.rs").unwrap()];
        // Affinity beats load.
        let c = choose(&n, &concepts, &targets, &slots, 3, &w);
        assert_eq!(to(&c), "auth-expert");
        let Choice::To { why, affinity, .. } = &c else {
            unreachable!()
        };
        assert!(*affinity > 0.5, "{affinity}");
        assert!(why[1].contains("shares auth"), "{why:?}");
        assert!(why[2].starts_with("load 2 of 3"), "{why:?}");
        // Without concepts or targets, all are neutral: least loaded wins.
        assert_eq!(to(&choose(&n, &[], &[], &slots, 3, &w)), "fresh");
        // A full queue is skipped.
        let c = choose(&n, &concepts, &targets, &slots, 2, &w);
        assert_eq!(to(&c), "fresh");
        // Every capable queue full.
        let full = vec![
            slots[0].clone(),
            slot(slots[1].agent.clone(), 2),
            slots[2].clone(),
        ];
        assert_eq!(
            choose(&n, &concepts, &targets, &full, 2, &w),
            Choice::QueuesFull {
                capable: vec!["auth-expert".into(), "fresh".into()]
            }
        );
        // Nobody fits: each agent says why.
        let tool = vec!["tool:docker".to_string()];
        let c = choose(
            &needs(Some(Band::Expert), &tool, None),
            &[],
            &[],
            &slots,
            3,
            &w,
        );
        let Choice::NoCapableAgent { misfits } = c else {
            panic!("{c:?}")
        };
        assert_eq!(misfits.len(), 3);
        assert!(misfits[0].1.contains("max band skilled"), "{misfits:?}");
        assert!(misfits[0].1.contains("docker"), "{misfits:?}");
        // Equal affinity and load: the cheaper agent.
        let eco = agent("z-eco", &[], Band::Skilled, CostTier::Economy);
        let std = agent("a-std", &[], Band::Skilled, CostTier::Standard);
        let pair = vec![slot(std, 1), slot(eco, 1)];
        assert_eq!(
            to(&choose(&needs(None, &[], None), &[], &[], &pair, 3, &w)),
            "z-eco"
        );
    }

    #[test]
    fn needs_from_labels_and_requires() {
        let labels = vec![
            "role:verify".to_string(),
            "tool:browser".into(),
            "bug".into(),
        ];
        let n = needs(None, &labels, Some("build"));
        assert_eq!(n.roles, ["verify", "build"]);
        assert_eq!(n.tools, ["browser"]);
        assert_eq!(n.band, Band::Routine);
        assert!(!n.band_known);
    }
}
