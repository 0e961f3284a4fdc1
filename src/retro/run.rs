//! `gemba retro run`: the retrospective of a range of commits (the
//! post-merge hook runs it on `ORIG_HEAD..HEAD`).
//!
//! For each bead the range's commits link to ([`super::link_commits`]):
//! 1. the files actually touched (gix; a merge compared with its first
//!    parent, a merged branch's commits each with theirs), the declared
//!    targets, and their [`divergence`];
//! 2. the targets corrected to the actual files (stamp `retro`), unless an
//!    operator set them: then only the divergence is recorded;
//! 3. the session that worked on it (from the `claim`, `claim.takeover` or
//!    `queue.take` events for the bead) and its agent: their profiles get
//!    the actual files and the concepts inferred from them (vocabulary
//!    terms named as whole words of the paths, the rule concept extraction
//!    uses for text) in place of what was declared at claim time;
//! 4. a grade: the prediction at dispatch time (the `decision` or
//!    `dispatch.tick` event that handed the bead out: score, affinity,
//!    leverage, the conflict lines) joined with the outcome (cycle time
//!    from claim to landing, rework, merge conflicts met).
//!
//! One `retro` event per bead (its id is the retro's id), all in one
//! transaction. **Idempotent:** each event lists the commits it covered;
//! a commit a bead's earlier retro covered is never counted again, so a
//! second run on the same range finds nothing new and changes nothing.
//! Commits for a bead that already had a retro are **rework**: the later
//! retro records them (`grade.outcome.rework_commits`, `rework_of`).
//!
//! **Merge conflicts** are detected by redoing each merge that brought the
//! bead's commits in with `git merge-tree --write-tree` on its two
//! parents (nothing is written to the worktree): the paths that conflict
//! are the conflicts the person merging met. A bead whose commits landed
//! without a merge (fast-forward, direct commits) has `null`: not
//! detectable.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::divergence::{Divergence, divergence};
use super::{Error, Result, link_commits};
use crate::enrich::{ExtractInput, Extractor, Heuristic, TrackedFiles, VocabTerm};
use crate::git::{self, HistoryCommit};
use crate::model::enrichment::{Glob, Source, Stamped};
use crate::model::{Agent, Event, EventKind, Session, timestamp};
use crate::profile;
use crate::store::{Changes, Scope, Store, kind, log};

/// Which commits to look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Range {
    /// `A..B`: reachable from B, not from A.
    Between { from: String, to: String },
    /// One merge commit (or any commit): itself against its first parent,
    /// with the commits it brought in.
    Merge(String),
}

impl Range {
    /// `A..B`; an empty side means `HEAD` (as git reads it).
    pub fn parse(text: &str) -> Result<Range> {
        let Some((from, to)) = text.split_once("..") else {
            return Err(Error::Invalid(format!(
                "--range {text:?}: expected A..B (e.g. ORIG_HEAD..HEAD)"
            )));
        };
        if to.starts_with('.') {
            return Err(Error::Invalid(format!(
                "--range {text:?}: A...B (symmetric difference) is not a retro range; use A..B"
            )));
        }
        let side = |s: &str| if s.is_empty() { "HEAD" } else { s }.to_string();
        Ok(Range::Between {
            from: side(from),
            to: side(to),
        })
    }

    /// `ORIG_HEAD..HEAD`: what the last merge (or pull) brought in.
    pub fn last_merge() -> Range {
        Range::Between {
            from: "ORIG_HEAD".into(),
            to: "HEAD".into(),
        }
    }

    /// The range as given (`A..B`, or the commit).
    pub fn describe(&self) -> String {
        match self {
            Range::Between { from, to } => format!("{from}..{to}"),
            Range::Merge(commit) => commit.clone(),
        }
    }

    /// The commits of the range, resolved: `(from, to)` ids.
    fn resolve(&self, worktree: &std::path::Path) -> Result<(Option<String>, String)> {
        match self {
            Range::Between { from, to } => Ok((
                Some(super::resolve(worktree, from)?),
                super::resolve(worktree, to)?,
            )),
            Range::Merge(commit) => {
                let id = super::resolve(worktree, commit)?;
                // A root commit has no first parent: all of it counts.
                let first = git::resolve_commit(worktree, &format!("{id}^1")).ok();
                Ok((first, id))
            }
        }
    }
}

/// What `retro run` did.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The range as given.
    pub range: String,
    pub from: Option<String>,
    pub to: String,
    /// Commits in the range (mainline and merged branches).
    pub commits: usize,
    /// Of those, commits linked to at least one bead.
    pub linked_commits: usize,
    /// One per bead with new commits.
    pub retros: Vec<Retro>,
    /// Beads whose commits earlier retros already covered.
    pub skipped: Vec<Skipped>,
    /// Ids a `Gemba-Bead:` trailer names that are no bead here.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown_beads: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// An auto-commit was made.
    pub committed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub bead: String,
    pub reason: String,
    /// The retros that already covered its commits.
    pub retros: Vec<String>,
}

/// One retro: the `retro` event's id, time and bead, and its data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Retro {
    pub id: String,
    pub at: String,
    pub bead: String,
    #[serde(flatten)]
    pub data: RetroData,
}

/// A `retro` event's `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetroData {
    /// The range (or merge) the retro ran on.
    pub range: String,
    /// The commits of this retro (new ones: earlier retros' are left out).
    pub commits: Vec<String>,
    /// How they were linked (`trailer`, `token`, `branch`).
    pub rules: Vec<String>,
    /// Every file the bead touched so far (earlier retros' too), sorted.
    pub files: Vec<String>,
    /// The targets before this retro, and who set them.
    pub declared: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared_source: Option<Source>,
    pub divergence: Divergence,
    /// `corrected` (targets set to the files, stamp `retro`), `pinned`
    /// (an operator's targets: only the divergence recorded) or
    /// `unchanged` (the targets already were the files; stamped `retro`
    /// if they were not).
    pub action: String,
    /// Vocabulary terms the files' paths name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub concepts: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The profiles updated (`session s-1`, `agent alice`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
    pub grade: Grade,
}

/// The prediction at dispatch time joined with what happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grade {
    /// `None`: claimed without a logged selection (a manual claim).
    pub prediction: Option<Prediction>,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prediction {
    /// The `decision` or `dispatch.tick` event.
    pub event: String,
    /// `selection`, `pick` or `dispatch`.
    pub what: String,
    pub at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leverage: Option<f64>,
    /// The justification's conflict lines then.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    /// The claim (or queue take) the work started with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_at: Option<String>,
    /// When the bead's last commit landed on the mainline.
    pub landed_at: String,
    /// `landed_at - claimed_at`; `None` without a claim (or a clock that
    /// puts the landing first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cycle_time_secs: Option<i64>,
    /// Commits after an earlier retro of the same bead (0 the first time).
    pub rework_commits: usize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rework_of: Vec<String>,
    /// The files whose merge conflicted (empty: clean); `None` when no
    /// merge brought the commits in (not detectable).
    pub merge_conflicts: Option<Vec<String>>,
}

/// Retro every bead `range` worked on, the range read in the store's
/// (main) worktree; see the module docs and [`run_in`].
pub fn run(store: &Store, range: &Range, actor: &str, now: Timestamp) -> Result<Report> {
    let worktree = store
        .worktree()
        .ok_or_else(|| Error::NoRepository(store.root().display().to_string()))?
        .to_path_buf();
    run_in(store, &worktree, range, actor, now)
}

/// [`run`] with the range read in the git worktree `repo`: `HEAD` and
/// `ORIG_HEAD` belong to a worktree, so a merge made in a linked worktree
/// is read there (the post-merge hook passes the worktree it runs in).
pub fn run_in(
    store: &Store,
    repo: &std::path::Path,
    range: &Range,
    actor: &str,
    now: Timestamp,
) -> Result<Report> {
    let worktree = store
        .worktree()
        .ok_or_else(|| Error::NoRepository(store.root().display().to_string()))?
        .to_path_buf();
    let (from, to) = range.resolve(repo)?;
    let commits = git::history(repo, from.as_deref(), &to)?;
    let known: HashSet<String> = store
        .list(&kind::BEADS)?
        .entries
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let config = store.config().clone();
    let state_dir = store
        .root()
        .strip_prefix(&worktree)
        .ok()
        .map(|p| p.to_string_lossy().replace('\\', "/"));
    let linked = link_commits(&commits, state_dir.as_deref(), &config.retro.link, &|id| {
        known.contains(id)
    });
    let linked_commits: HashSet<&String> = linked.values().flat_map(|b| &b.commits).collect();
    let mut report = Report {
        range: range.describe(),
        from,
        to,
        commits: commits.len(),
        linked_commits: linked_commits.len(),
        retros: Vec::new(),
        skipped: Vec::new(),
        unknown_beads: linked
            .keys()
            .filter(|b| !known.contains(*b))
            .cloned()
            .collect(),
        warnings: Vec::new(),
        committed: false,
    };
    // Only what the log says about the merged beads (earlier retros,
    // claims, decisions): picked from the lines before parsing, so a
    // merge's retro does not parse months of log.
    let merged: Vec<&str> = linked
        .keys()
        .filter(|b| known.contains(*b))
        .map(String::as_str)
        .collect();
    let (events, problems) = log::read_mentioning(store, None, &merged)?;
    if let Some(first) = problems.first() {
        report.warnings.push(format!(
            "{} malformed log line(s) skipped (first: {first})",
            problems.len()
        ));
    }
    let history = History::of(&events);
    let vocabulary: Vec<VocabTerm> = store
        .read_vocabulary()?
        .terms
        .into_iter()
        .filter(|t| !t.retired)
        .map(|t| VocabTerm::new(t.name, t.aliases))
        .collect();
    let by_id: BTreeMap<&str, &HistoryCommit> =
        commits.iter().map(|c| (c.id.as_str(), c)).collect();

    // Plan every bead first (pure but for git's merge-tree), then write.
    let mut plans: Vec<Plan> = Vec::new();
    for (bead, work) in &linked {
        if !known.contains(bead) {
            continue;
        }
        let earlier = history.retros_of(bead);
        let seen: HashSet<&String> = earlier.iter().flat_map(|r| &r.data.commits).collect();
        let new: BTreeSet<String> = work
            .commits
            .iter()
            .filter(|c| !seen.contains(c))
            .cloned()
            .collect();
        if new.is_empty() {
            report.skipped.push(Skipped {
                bead: bead.clone(),
                reason: "every commit already covered by an earlier retro".into(),
                retros: earlier.iter().map(|r| r.id.clone()).collect(),
            });
            continue;
        }
        let mut files: BTreeSet<String> = earlier
            .iter()
            .flat_map(|r| r.data.files.iter().cloned())
            .collect();
        files.extend(work.files_of(Some(&new)));
        let files: Vec<String> = files.into_iter().collect();
        let merges: Vec<&HistoryCommit> = work
            .merges
            .iter()
            .filter_map(|m| by_id.get(m.as_str()).copied())
            .collect();
        plans.push(Plan {
            bead: bead.clone(),
            commits: work
                .commits
                .iter()
                .filter(|c| new.contains(*c))
                .cloned()
                .collect(),
            rules: work.rules.iter().map(|r| r.to_string()).collect(),
            concepts: infer_concepts(&files, &vocabulary, config.enrich.max_concepts),
            files,
            rework_of: earlier.iter().map(|r| r.id.clone()).collect(),
            landed_at: work.landed_at,
            conflicts: merge_conflicts(repo, &merges),
        });
    }

    let mut tx = store.changes();
    let mut events_out = Vec::new();
    {
        let _lock = store.lock(Scope::Enrichment)?;
        let mut writes = Vec::new();
        for plan in &plans {
            let old = store.read_enrichment(&plan.bead)?;
            let (declared, declared_source) = match &old.targets {
                Some(t) => (t.value.clone(), Some(t.source)),
                None => (Vec::new(), None),
            };
            let div = divergence(&plan.files, &declared);
            let action = if declared_source.is_some_and(Source::is_operator) {
                "pinned"
            } else {
                let globs: Vec<Glob> = plan.files.iter().filter_map(|f| literal_glob(f)).collect();
                let unchanged = globs == declared;
                // Targets that were right still get the `retro` stamp: they
                // are the files now, and history lends only those.
                if !(unchanged && declared_source == Some(Source::Retro)) {
                    let mut new = old.clone();
                    new.targets = Some(Stamped {
                        value: globs,
                        source: Source::Retro,
                        updated_at: Some(timestamp(now)),
                    });
                    writes.push((plan.bead.clone(), new));
                }
                if unchanged { "unchanged" } else { "corrected" }
            };
            let (session, agent, claim) = history.claim_of(&plan.bead);
            let prediction = history.prediction_of(&plan.bead, session.as_deref());
            let landed = Timestamp::from_second(plan.landed_at).unwrap_or(now);
            let claimed = claim.as_ref().and_then(|c| c.timestamp());
            let data = RetroData {
                range: range.describe(),
                commits: plan.commits.clone(),
                rules: plan.rules.clone(),
                files: plan.files.clone(),
                declared: declared.iter().map(|g| g.as_str().to_string()).collect(),
                declared_source,
                divergence: div,
                action: action.into(),
                concepts: plan.concepts.clone(),
                session: session.clone(),
                agent: agent.clone(),
                profiles: Vec::new(),
                grade: Grade {
                    prediction,
                    outcome: Outcome {
                        claimed_at: claim.as_ref().map(|c| c.at.clone()),
                        landed_at: timestamp(landed),
                        cycle_time_secs: claimed
                            .map(|c| landed.as_second() - c.as_second())
                            .filter(|s| *s >= 0),
                        rework_commits: if plan.rework_of.is_empty() {
                            0
                        } else {
                            plan.commits.len()
                        },
                        rework_of: plan.rework_of.clone(),
                        merge_conflicts: plan.conflicts.clone(),
                    },
                },
            };
            events_out.push((plan, data));
        }
        tx.write_enrichments(&writes)?;
    }

    // Profiles: the session and its agent, under the sessions lock.
    {
        let _lock = store.lock(Scope::Sessions)?;
        for (plan, data) in &mut events_out {
            update_profiles(&mut tx, plan, data, now, &mut report.warnings)?;
        }
    }

    let events: Vec<Event> = events_out
        .into_iter()
        .map(|(plan, data)| {
            let message = format!(
                "retro {}: {} file(s), divergence {:.2}, targets {}",
                plan.bead,
                data.files.len(),
                data.divergence.score,
                data.action
            );
            let event = Event::new(
                now,
                actor,
                EventKind::Retro,
                vec![plan.bead.clone()],
                message,
            );
            let retro = Retro {
                id: event.id.clone(),
                at: event.at.clone(),
                bead: plan.bead.clone(),
                data,
            };
            let mut event = event;
            if let Ok(Value::Object(map)) = serde_json::to_value(&retro.data) {
                event.data = map.into_iter().collect();
            }
            report.retros.push(retro);
            event
        })
        .collect();
    if events.is_empty() {
        return Ok(report);
    }
    let finished = if tx.changed().is_empty() {
        drop(tx);
        log::record(store, &events)?
    } else {
        tx.finish(&events)?
    };
    report.committed = finished.committed;
    report.warnings.extend(finished.warnings);
    Ok(report)
}

/// One bead's retro before anything is written.
struct Plan {
    bead: String,
    commits: Vec<String>,
    rules: Vec<String>,
    files: Vec<String>,
    concepts: Vec<String>,
    rework_of: Vec<String>,
    landed_at: i64,
    conflicts: Option<Vec<String>>,
}

/// Replace the bead's declared contribution in its session's and agent's
/// profiles with the actual one. A bead no longer in a ring, or a session
/// or agent file that is gone, is a warning: the retro stands.
fn update_profiles(
    tx: &mut Changes<'_>,
    plan: &Plan,
    data: &mut RetroData,
    now: Timestamp,
    warnings: &mut Vec<String>,
) -> Result<()> {
    let store = tx.store();
    let config = store.config().profile.clone();
    let Some(session_id) = data.session.clone() else {
        return Ok(());
    };
    let mut agent_name = data.agent.clone();
    match store.read::<Session>(&session_id)? {
        Some(mut session) => {
            agent_name.get_or_insert(session.agent.clone());
            match profile::session::replace_contribution(
                &session.profile,
                &plan.bead,
                &plan.concepts,
                &plan.files,
                &config,
            ) {
                Ok(p) => {
                    session.profile = p;
                    tx.write_all(&[(session_id.as_str(), &session)])?;
                    data.profiles.push(format!("session {session_id}"));
                }
                Err(e) => warnings.push(format!("session {session_id}: {e}; profile left as is")),
            }
        }
        None => warnings.push(format!(
            "session {session_id} has no file: its profile was not updated"
        )),
    }
    data.agent = agent_name.clone();
    if let Some(name) = agent_name {
        match store.read::<Agent>(&name)? {
            Some(mut agent) => match profile::agent::replace_contribution(
                &agent.profile,
                &plan.bead,
                &plan.concepts,
                &plan.files,
                now,
                &config,
            ) {
                Ok(p) => {
                    agent.profile = p;
                    tx.write_all(&[(name.as_str(), &agent)])?;
                    data.profiles.push(format!("agent {name}"));
                }
                Err(e) => warnings.push(format!("agent {name}: {e}; profile left as is")),
            },
            None => warnings.push(format!(
                "agent {name} has no file: its profile was not updated"
            )),
        }
    }
    Ok(())
}

/// A file path as a target glob, if it is one literally (a path with glob
/// metacharacters would match other files: left out).
pub(crate) fn literal_glob(path: &str) -> Option<Glob> {
    if path.contains(['*', '?', '[', ']', '{', '}']) {
        return None;
    }
    Glob::new(path).ok()
}

/// The vocabulary terms whose name or alias the paths name as whole words
/// (`src/auth/token.rs` names `auth`), first named first.
pub(crate) fn infer_concepts(
    files: &[String],
    vocabulary: &[VocabTerm],
    max: usize,
) -> Vec<String> {
    if files.is_empty() || vocabulary.is_empty() {
        return Vec::new();
    }
    let text = files.join("\n");
    let tracked = TrackedFiles::new(Vec::<String>::new());
    let limits = crate::model::config::Limits {
        max_concepts: max,
        ..Default::default()
    };
    Heuristic
        .extract(&ExtractInput {
            title: "",
            body: &text,
            spec: "",
            tracked: &tracked,
            vocabulary,
            limits: &limits,
        })
        .concepts
}

/// Redo the merges that brought a bead in: the conflicted files of all of
/// them; `None` without a merge or when git cannot tell.
fn merge_conflicts(worktree: &std::path::Path, merges: &[&HistoryCommit]) -> Option<Vec<String>> {
    if merges.is_empty() {
        return None;
    }
    let mut files = BTreeSet::new();
    for merge in merges {
        files.extend(git::merge_conflicts(worktree, merge)?);
    }
    Some(files.into_iter().collect())
}

/// What the log says about beads: earlier retros, claims, decisions.
pub(crate) struct History<'e> {
    events: &'e [Event],
}

impl<'e> History<'e> {
    pub(crate) fn of(events: &'e [Event]) -> History<'e> {
        History { events }
    }

    /// The bead's earlier retros, oldest first.
    pub(crate) fn retros_of(&self, bead: &str) -> Vec<Retro> {
        self.events
            .iter()
            .filter(|e| e.kind == EventKind::Retro && e.concerns(bead))
            .filter_map(|e| super::records::parse(e).ok())
            .collect()
    }

    /// The session and agent of the bead's last claim (or queue take),
    /// and that event.
    fn claim_of(&self, bead: &str) -> (Option<String>, Option<String>, Option<&'e Event>) {
        let claim = self.events.iter().rev().find(|e| {
            matches!(
                e.kind,
                EventKind::Claim | EventKind::ClaimTakeover | EventKind::QueueTake
            ) && e.concerns(bead)
        });
        let text = |e: &Event, key: &str| e.data.get(key).and_then(Value::as_str).map(String::from);
        match claim {
            Some(e) => (text(e, "session"), text(e, "agent"), Some(e)),
            None => (None, None, None),
        }
    }

    /// The last decision that handed the bead out (to `session`, when
    /// known): a `decision` that claimed it, or a `dispatch.tick` that
    /// dispatched it.
    fn prediction_of(&self, bead: &str, session: Option<&str>) -> Option<Prediction> {
        for e in self.events.iter().rev() {
            match e.kind {
                EventKind::Decision if e.concerns(bead) => {
                    let claimed = e.data.get("claimed").and_then(Value::as_bool) == Some(true);
                    let who = e.data.get("session").and_then(Value::as_str);
                    if !claimed || session.is_some_and(|s| who != Some(s)) {
                        continue;
                    }
                    let what = e
                        .data
                        .get("what")
                        .and_then(Value::as_str)
                        .unwrap_or("selection");
                    let (score, lines) = if what == "pick" {
                        let pick = e.data.get("pick");
                        (
                            pick.and_then(|p| p.get("score")).and_then(Value::as_f64),
                            pick.and_then(|p| p.get("justification")),
                        )
                    } else {
                        (
                            e.data.get("score").and_then(Value::as_f64),
                            e.data.get("justification"),
                        )
                    };
                    return Some(prediction(e, what, score, lines));
                }
                EventKind::DispatchTick => {
                    let Some(entries) = e.data.get("sessions").and_then(Value::as_array) else {
                        continue;
                    };
                    let entry = entries.iter().find(|s| {
                        s.get("outcome").and_then(Value::as_str) == Some("dispatched")
                            && s.get("bead").and_then(Value::as_str) == Some(bead)
                            && session.is_none_or(|want| {
                                s.get("session").and_then(Value::as_str) == Some(want)
                            })
                    });
                    if let Some(entry) = entry {
                        let score = entry.get("score").and_then(Value::as_f64);
                        return Some(prediction(e, "dispatch", score, entry.get("justification")));
                    }
                }
                _ => {}
            }
        }
        None
    }
}

/// A prediction from a decision's score and justification lines
/// (`score 0.61 = 0.7 x affinity 0.50 + 0.3 x leverage 0.86`, the
/// `conflict…` lines).
fn prediction(e: &Event, what: &str, score: Option<f64>, lines: Option<&Value>) -> Prediction {
    let lines: Vec<&str> = lines
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let after = |word: &str| {
        lines.iter().find_map(|l| {
            let rest = l.split_once(word)?.1;
            rest.split_whitespace().next()?.parse::<f64>().ok()
        })
    };
    Prediction {
        event: e.id.clone(),
        what: what.into(),
        at: e.at.clone(),
        score,
        affinity: after("x affinity "),
        leverage: after("x leverage "),
        conflicts: lines
            .iter()
            .filter(|l| l.starts_with("conflict"))
            .map(|l| l.to_string())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(
            Range::parse("a..b").unwrap(),
            Range::Between {
                from: "a".into(),
                to: "b".into()
            }
        );
        assert_eq!(Range::parse("a..").unwrap().describe(), "a..HEAD");
        assert!(Range::parse("a").is_err());
        assert!(Range::parse("a...b").is_err());
        assert_eq!(Range::last_merge().describe(), "ORIG_HEAD..HEAD");
    }

    #[test]
    fn predictions_parse_the_score_line() {
        let e = Event::new(
            Timestamp::UNIX_EPOCH,
            "t",
            EventKind::Decision,
            vec!["b".into()],
            "m".into(),
        );
        let lines = serde_json::json!([
            "score 0.610 = 0.7 x affinity 0.50 + 0.3 x leverage 0.86",
            "conflicts: none with work in progress elsewhere"
        ]);
        let p = prediction(&e, "selection", Some(0.61), Some(&lines));
        assert_eq!(p.affinity, Some(0.5));
        assert_eq!(p.leverage, Some(0.86));
        assert_eq!(
            p.conflicts,
            ["conflicts: none with work in progress elsewhere"]
        );
    }

    #[test]
    fn literal_globs_only() {
        assert!(literal_glob("src/a.rs").is_some());
        assert!(literal_glob("src/[x].rs").is_none());
        assert!(literal_glob("docs/*.md").is_none());
    }

    #[test]
    fn concepts_from_paths() {
        let vocab = [
            VocabTerm::new("auth", ["authentication"]),
            VocabTerm::new("storage", Vec::<String>::new()),
        ];
        let got = infer_concepts(
            &["src/auth/token.rs".into(), "src/author.rs".into()],
            &vocab,
            8,
        );
        assert_eq!(got, ["auth"]);
    }
}
