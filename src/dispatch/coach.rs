//! Coach mode (`gemba coach`): what a person dispatching by hand needs on
//! one page. The **context strip**: one card per live session (agent,
//! context pressure, drift, runway, the bead in hand, focus). The
//! **dispatch grid**: every ready bead against every live session, each
//! cell the bead's score for that session and the one reason that says
//! most about it, or why it is excluded; beads joined by hard conflict
//! edges share a group letter (give them to one session, or one at a
//! time). Selection runs in coach mode: a capability misfit is a warning
//! in its cell, not an exclusion.
//!
//! Pure: it takes what the command loaded (heads, ready set, enrichment,
//! sessions, agents, claims, conflict edges, config, `now`).

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use crate::beads::select::World;
use crate::model::{BeadHead, Config, Enrichment, Workspace};
use crate::plan::Map;
use crate::plan::conflicts::{Conflict, hard_groups};
use crate::plan::select::{self, Input, Mode, Options};
use crate::profile::health::{self, Health};

/// The whole page.
#[derive(Debug, Serialize)]
pub struct Coach {
    /// Beads in bd's ready set.
    pub ready: usize,
    /// Live sessions, by id; `column` numbers them for the grid.
    pub sessions: Vec<Card>,
    /// Every ready bead, best first (by its best cell's score).
    pub beads: Vec<Row>,
    /// Beads joined by hard edges, lettered.
    pub groups: Vec<Group>,
}

/// One live session.
#[derive(Debug, Serialize)]
pub struct Card {
    /// Its column in the grid, from 1.
    pub column: usize,
    pub session: String,
    pub agent: String,
    pub workspace: Workspace,
    pub health: Health,
    /// `session focus`, as `label ui`, `epic gm-4`, `regex /auth/`.
    pub focus: Option<String>,
}

/// One ready bead against every session.
#[derive(Debug, Serialize)]
pub struct Row {
    pub id: String,
    pub title: String,
    pub priority: u8,
    /// Its conflict group's letter.
    pub group: Option<String>,
    /// The session it scores best for (no warning preferred).
    pub best: Option<Best>,
    /// One per session, in the order of [`Coach::sessions`].
    pub cells: Vec<Cell>,
}

#[derive(Debug, Serialize)]
pub struct Best {
    pub session: String,
    pub column: usize,
    pub score: f64,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct Cell {
    pub session: String,
    /// `None` when excluded for this session.
    pub score: Option<f64>,
    /// The candidate's reason, or the gate's line that excluded it.
    pub reason: String,
    /// The exclusion's key (`claimed`, `conflict`, a dispatch status).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded: Option<&'static str>,
    /// A capability misfit (coach mode warns instead of excluding).
    pub warning: bool,
}

#[derive(Debug, Serialize)]
pub struct Group {
    pub group: String,
    pub beads: Vec<String>,
    /// The hard edges among them.
    pub edges: Vec<Conflict>,
}

/// What coach reads.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub beads: &'a [BeadHead<'a>],
    pub ready: &'a [&'a str],
    pub enrichment: &'a BTreeMap<String, Enrichment>,
    pub world: &'a World,
    /// Edges between ready beads and held ones (the conflict gate).
    pub held_edges: &'a [Conflict],
    /// Edges among the ready beads (the groups; soft ones are ignored).
    pub ready_edges: &'a [Conflict],
    pub config: &'a Config,
    pub now: Timestamp,
}

/// `A` … `Z`, `AA`, `AB`, …
fn letter(mut i: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

pub fn coach(input: &Inputs<'_>) -> Coach {
    let world = input.world;
    let config = input.config;
    // Every live session whose agent exists, by id.
    let live = world.others("");
    let mut cards = Vec::with_capacity(live.len());
    let mut ready: Vec<&str> = input.ready.to_vec();
    ready.sort_unstable();
    ready.dedup();
    let position: Map<&str, usize> = ready.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    // Each ready bead's cells, by its position in `ready`.
    let mut cells: Vec<Vec<Cell>> = (0..ready.len()).map(|_| Vec::new()).collect();
    for (n, s) in live.iter().enumerate() {
        let session = s.session;
        let health = health::of_session(
            session,
            Some(s.agent),
            input.now,
            &config.profile,
            &config.health,
        );
        let others = world.others(&session.id);
        let select_input = Input {
            beads: input.beads,
            ready: input.ready,
            enrichment: input.enrichment,
            session,
            agent: s.agent,
            others: &others,
            claims: &world.claims,
            queued: &world.queued,
            conflicts: input.held_edges,
            home: &world.home,
            runway: Some(health.runway.bucket),
            config,
            mode: Mode::Coach,
            now: input.now,
        };
        let selection = select::select(
            &select_input,
            &Options {
                explain: 0,
                reasons: true,
            },
        );
        for c in selection.candidates {
            let Some(&at) = position.get(c.id) else {
                continue;
            };
            cells[at].push(Cell {
                session: session.id.clone(),
                score: Some(c.score),
                warning: c.reason.starts_with("warning:"),
                reason: c.reason,
                excluded: None,
            });
        }
        for e in selection.excluded {
            let Some(&at) = position.get(e.id) else {
                continue;
            };
            cells[at].push(Cell {
                session: session.id.clone(),
                score: None,
                reason: e.why,
                excluded: Some(e.reason),
                warning: false,
            });
        }
        cards.push(Card {
            column: n + 1,
            session: session.id.clone(),
            agent: session.agent.clone(),
            workspace: session.workspace.clone(),
            health,
            focus: session
                .intent
                .as_ref()
                .map(|i| crate::sessions::describe_scope(&i.scope)),
        });
    }

    let groups = hard_groups(&ready, input.ready_edges);
    let mut group_of: Map<&str, String> = Map::default();
    let groups: Vec<Group> = groups
        .iter()
        .enumerate()
        .map(|(i, beads)| {
            let name = letter(i);
            for b in beads {
                group_of.insert(b, name.clone());
            }
            let mut edges: Vec<Conflict> = input
                .ready_edges
                .iter()
                .filter(|e| e.kind.is_hard())
                .filter(|e| beads.contains(&e.a.as_str()) && beads.contains(&e.b.as_str()))
                .cloned()
                .collect();
            edges.sort();
            Group {
                group: name,
                beads: beads.iter().map(|b| b.to_string()).collect(),
                edges,
            }
        })
        .collect();

    let by_id: Map<&str, &BeadHead> = input.beads.iter().map(|b| (b.id, b)).collect();
    let column: Map<&str, usize> = cards
        .iter()
        .map(|c| (c.session.as_str(), c.column))
        .collect();
    let mut rows: Vec<Row> = ready
        .iter()
        .zip(cells)
        .map(|(id, mut row_cells)| {
            row_cells.sort_by_key(|c| column.get(c.session.as_str()).copied());
            // The best cell: no warning first, then score, then column.
            let best = row_cells
                .iter()
                .filter_map(|c| c.score.map(|s| (c, s)))
                .max_by(|(a, x), (b, y)| {
                    (!a.warning)
                        .cmp(&!b.warning)
                        .then(x.total_cmp(y))
                        .then(column[b.session.as_str()].cmp(&column[a.session.as_str()]))
                })
                .map(|(c, score)| Best {
                    session: c.session.clone(),
                    column: column[c.session.as_str()],
                    score,
                    reason: c.reason.clone(),
                });
            let head = by_id.get(id);
            Row {
                id: id.to_string(),
                title: head.map(|b| b.title.to_string()).unwrap_or_default(),
                priority: head.map_or(u8::MAX, |b| b.priority),
                group: group_of.get(id).cloned(),
                best,
                cells: row_cells,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        let score = |r: &Row| r.best.as_ref().map(|b| b.score);
        score(b)
            .is_some()
            .cmp(&score(a).is_some())
            .then(score(b).unwrap_or(0.0).total_cmp(&score(a).unwrap_or(0.0)))
            .then(a.priority.cmp(&b.priority))
            .then(a.id.cmp(&b.id))
    });
    Coach {
        ready: ready.len(),
        sessions: cards,
        beads: rows,
        groups,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters() {
        let got: Vec<String> = [0, 1, 25, 26, 27, 51, 52, 701, 702]
            .into_iter()
            .map(letter)
            .collect();
        assert_eq!(got, ["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]);
    }
}
