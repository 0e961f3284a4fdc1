//! `gemba check`: validate every file under `.gemba/` and report every
//! problem (not just the first) with its path and position. The generated
//! `schema/` directory is not validated, only compared with what this
//! binary generates.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::format::{self, ParseError};
use crate::model::suggestion::Suggestion;
use crate::model::{
    Agent, Bead, BeadHead, Claim, Config, Enrichment, Packet, Session, Vocabulary, id,
};
use crate::plan::{deps, external};
use crate::store::atomic::TempWriter;
use crate::store::{Entity, Store, Stray, StrayKind, kind};

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub files_checked: usize,
    pub beads: usize,
    pub errors: Vec<Problem>,
    pub warnings: Vec<Problem>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Problem {
    pub path: PathBuf,
    #[serde(skip_serializing_if = "is_zero")]
    pub line: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub column: usize,
    pub message: String,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl From<ParseError> for Problem {
    fn from(e: ParseError) -> Problem {
        Problem {
            path: e.path,
            line: e.line,
            column: e.column,
            message: e.message,
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}",
            ParseError::new(&self.path, self.line, self.column, self.message.clone())
        )
    }
}

impl Report {
    fn error(&mut self, path: &Path, message: impl Into<String>) {
        self.errors.push(Problem {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            message: message.into(),
        });
    }

    fn warn(&mut self, path: &Path, message: impl Into<String>) {
        self.warnings.push(Problem {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            message: message.into(),
        });
    }
}

/// Check the tree at `root` (need not open as a store: a broken config is
/// one of the things we report).
pub fn run(root: &Path) -> Report {
    let mut report = Report::default();
    let store = Store::unchecked(root);
    let config = check_yaml::<Config>(&mut report, &store.config_path(), true, |c| {
        c.validate().err()
    });
    let vocabulary = check_yaml::<Vocabulary>(
        &mut report,
        &store.vocabulary_path(),
        false,
        vocabulary_problem,
    );
    check_yaml::<crate::model::dispatch::DispatchSwitch>(
        &mut report,
        &store.dispatch_path(),
        false,
        |d| d.validate().err(),
    );
    let beads: Vec<Bead> = entities::<Bead>(&mut report, &store, |report, path, bead, bytes| {
        if bead.priority > 4 {
            report.error(
                path,
                format!("priority {} is out of range 0-4", bead.priority),
            );
        }
        if format::to_json_bytes(bead) != bytes {
            report.warn(
                path,
                "not in canonical form (key order, spacing); the next write will reformat it",
            );
        }
    })
    .into_iter()
    .map(|(_, _, b)| b)
    .collect();
    report.beads = beads.len();
    let heads: Vec<BeadHead> = beads.iter().map(BeadHead::from).collect();
    check_graph(&mut report, &store, &heads);
    check_external(&mut report, &store, &config.unwrap_or_default(), &heads);
    check_enrichment(&mut report, &store, &beads, &vocabulary.unwrap_or_default());
    entities::<Suggestion>(&mut report, &store, |_, _, _, _| {});
    let agents: BTreeSet<String> = entities::<Agent>(&mut report, &store, |_, _, _, _| {})
        .into_iter()
        .map(|(name, _, _)| name)
        .collect();
    entities::<Session>(&mut report, &store, |_, _, _, _| {});
    entities::<Claim>(&mut report, &store, |_, _, _, _| {});
    check_queues(&mut report, &store, &agents);
    entities::<crate::model::supply::Supplied>(&mut report, &store, |_, _, _, _| {});
    check_log(&mut report, &store);
    check_scan_state(&mut report, &store);
    check_schemas(&mut report, root);
    report
}

/// `.gemba/schema/` is generated, not hand-written: nothing in it is
/// validated; it is only reported when it differs from what this gemba
/// generates (editors would check against stale schemas).
fn check_schemas(report: &mut Report, root: &Path) {
    let dir = root.join(crate::store::schema::SCHEMA_DIR);
    match crate::store::schema::pending(root) {
        Ok(pending) if pending.is_empty() => {}
        Ok(pending) => report.warn(
            &dir,
            format!(
                "{} JSON Schema file(s) missing or out of date with this gemba; \
                 the next change to the store (or `gemba init`) rewrites them",
                pending.len()
            ),
        ),
        Err(e) => report.warn(&dir, e.to_string()),
    }
}

fn read(report: &mut Report, path: &Path) -> Option<Vec<u8>> {
    report.files_checked += 1;
    match std::fs::read(path) {
        Ok(b) => Some(b),
        Err(e) => {
            report.error(path, format!("cannot read: {e}"));
            None
        }
    }
}

fn check_yaml<T: serde::de::DeserializeOwned>(
    report: &mut Report,
    path: &Path,
    required: bool,
    validate: impl Fn(&T) -> Option<String>,
) -> Option<T> {
    if !path.exists() {
        if required {
            report.error(path, "missing (run `gemba init`)");
        }
        return None;
    }
    let bytes = read(report, path)?;
    let text = String::from_utf8_lossy(&bytes);
    match format::from_yaml::<T>(path, &text) {
        Ok(value) => {
            if let Some(message) = validate(&value) {
                report.error(path, message);
            }
            Some(value)
        }
        Err(e) => {
            report.errors.push(e.into());
            None
        }
    }
}

fn vocabulary_problem(v: &Vocabulary) -> Option<String> {
    let mut seen = HashSet::new();
    for term in &v.terms {
        for name in std::iter::once(&term.name).chain(&term.aliases) {
            if !seen.insert(name.to_lowercase()) {
                return Some(format!("{name:?} is defined twice (as a name or alias)"));
            }
        }
    }
    None
}

/// Parse every file of `E`'s kind, reporting each malformed one, leftover
/// temp files and names that are not `<escaped id><suffix>`; `more` adds
/// kind-specific checks. Returns `(id, path, value)` of the good ones.
fn entities<E: Entity>(
    report: &mut Report,
    store: &Store,
    more: impl Fn(&mut Report, &Path, &E, &[u8]),
) -> Vec<(String, PathBuf, E)> {
    let listing = match store.list(E::KIND) {
        Ok(listing) => listing,
        Err(e) => {
            report.error(&store.dir(E::KIND), e.to_string());
            return Vec::new();
        }
    };
    strays(report, E::KIND, &listing.strays);
    let mut out = Vec::new();
    for (id, path) in listing.entries {
        let Some(bytes) = read(report, &path) else {
            continue;
        };
        match kind::parse::<E>(&path, &bytes, &id) {
            Ok(value) => {
                more(report, &path, &value, &bytes);
                out.push((id, path, value));
            }
            Err(e) => report.errors.push(e.into()),
        }
    }
    out
}

fn strays(report: &mut Report, kind: &kind::Kind, strays: &[Stray]) {
    for stray in strays {
        let message = match stray.what {
            StrayKind::Temp(TempWriter::Running(pid)) if pid > 0 => {
                format!("temporary file of a write in progress (pid {pid})")
            }
            StrayKind::Temp(TempWriter::Running(_)) => {
                "temporary file of a write in progress, or of an interrupted one".to_string()
            }
            StrayKind::Temp(TempWriter::Gone) => "leftover temporary file of an interrupted \
                write (its writer is gone); the next write here removes it, or delete it"
                .to_string(),
            StrayKind::Foreign => format!(
                "not a {} file (expected <id>{}); ignored",
                kind.name,
                kind.suffix()
            ),
        };
        report.warn(&stray.path, message);
    }
}

fn check_enrichment(report: &mut Report, store: &Store, beads: &[Bead], vocabulary: &Vocabulary) {
    let ids: HashSet<&str> = beads.iter().map(|b| b.id.as_str()).collect();
    let resolver = crate::model::vocabulary::Resolver::new(vocabulary);
    for (id, path, e) in entities::<Enrichment>(report, store, |_, _, _, _| {}) {
        if !ids.contains(id.as_str()) {
            report.warn(
                &path,
                format!("enrichment for {id:?}, which is not in the store"),
            );
        }
        for c in e.concept_names() {
            if resolver.live(c).is_none() {
                report.warn(&path, format!("concept {c:?} is not in the vocabulary"));
            }
        }
    }
}

fn check_graph(report: &mut Report, store: &Store, beads: &[BeadHead<'_>]) {
    let ids: HashSet<&str> = beads.iter().map(|b| b.id).collect();
    let path_of = |id: &str| store.path(&kind::BEADS, id).unwrap_or_default();
    for bead in beads {
        for dep in &bead.dependencies {
            if !ids.contains(dep.depends_on_id)
                && dep.is_ordering()
                && !external::is_external(dep.depends_on_id)
            {
                report.warn(
                    &path_of(bead.id),
                    format!(
                        "{} dependency on {:?}, which is not in the store",
                        dep.dep_type, dep.depends_on_id
                    ),
                );
            }
        }
    }
    for cycle in deps::cycles(beads) {
        report.error(
            &path_of(&cycle[0]),
            format!("dependency cycle: {}", deps::describe(&cycle)),
        );
    }
}

/// Every `external:` edge that keeps a bead from being ready, with why
/// (reads the configured projects' trackers, each at most once).
fn check_external(report: &mut Report, store: &Store, config: &Config, beads: &[BeadHead<'_>]) {
    let repo_root = store.root().parent().unwrap_or(store.root());
    let externals = crate::import::external::resolve(config, repo_root, beads);
    for blocker in crate::plan::ready::external_blockers(beads, &externals) {
        let path = store.path(&kind::BEADS, &blocker.bead).unwrap_or_default();
        let target = blocker
            .target
            .strip_prefix(external::PREFIX)
            .unwrap_or(&blocker.target);
        report.warn(
            &path,
            format!(
                "{} dependency: blocked by external {target} ({})",
                blocker.dep_type, blocker.reason
            ),
        );
    }
}

/// `.gemba/queues/<agent>/<state>/<packet>.json`: every packet parses
/// (path:line:col), names itself and its queue's agent, is in one place
/// only; `after` edges form no cycle and name packets that exist; queues
/// belong to agents that exist.
fn check_queues(report: &mut Report, store: &Store, agents: &BTreeSet<String>) {
    use crate::queue::{State, dag};
    let dir = store.root().join(crate::store::QUEUES_DIR);
    let Some(names) = dir_names(report, &dir) else {
        return;
    };
    let mut places: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    let mut packets: Vec<(PathBuf, State, Packet)> = Vec::new();
    for name in names {
        let agent_dir = dir.join(&name);
        if !agent_dir.is_dir() {
            report.warn(
                &agent_dir,
                "not an agent's queue (expected a directory); ignored",
            );
            continue;
        }
        let Some(agent) = id::unescape(&name) else {
            report.warn(
                &agent_dir,
                "not an agent's queue (the name is no agent name); ignored",
            );
            continue;
        };
        let mut count = 0;
        let mut leases = Vec::new();
        for sub in dir_names(report, &agent_dir).unwrap_or_default() {
            let path = agent_dir.join(&sub);
            if sub == "tmp" {
                for (_, file) in list_or_report(report, store, &path) {
                    report.warn(
                        &file,
                        "a packet an enqueue had not placed yet: in no queue state; \
                         delete it unless an enqueue is running",
                    );
                }
                continue;
            }
            if sub == crate::queue::LEASES_DIR {
                leases.extend(check_leases(report, store, &path));
                continue;
            }
            let Some(state) = State::parse(&sub) else {
                report.warn(
                    &path,
                    "not a queue state (expected ready, blocked, in_progress, done, failed, leases or tmp); ignored",
                );
                continue;
            };
            for (id, file) in list_or_report(report, store, &path) {
                count += 1;
                places.entry(id.clone()).or_default().push(file.clone());
                let Some(bytes) = read(report, &file) else {
                    continue;
                };
                let p = match kind::parse::<Packet>(&file, &bytes, &id) {
                    Ok(p) => p,
                    Err(e) => {
                        report.errors.push(e.into());
                        continue;
                    }
                };
                if p.agent != agent {
                    let fix = if state == State::Blocked {
                        " (left by an interrupted reroute? `gemba queue rescan` repairs it)"
                    } else {
                        ""
                    };
                    report.error(
                        &file,
                        format!(
                            "agent {:?} does not match its queue ({agent}){fix}",
                            p.agent
                        ),
                    );
                }
                packets.push((file, state, p));
            }
        }
        for (id, file) in leases {
            let working = packets.iter().any(|(f, state, p)| {
                *state == State::InProgress && p.id == id && f.starts_with(&agent_dir)
            });
            if !working {
                report.warn(
                    &file,
                    format!(
                        "the lease of {id:?}, which is not in progress here: \
                         `gemba queue recover` removes it"
                    ),
                );
            }
        }
        if !agents.contains(&agent) && count > 0 {
            report.warn(
                &agent_dir,
                format!(
                    "queue of {agent:?}, which has no agent file ({count} packets): \
                     `gemba queue reroute` moves its ready packets to another agent"
                ),
            );
        }
    }
    for (id, at) in &places {
        if let [first, rest @ ..] = at.as_slice()
            && !rest.is_empty()
        {
            let others: Vec<String> = rest.iter().map(|p| store.show(p)).collect();
            report.error(
                first,
                format!(
                    "packet {id:?} is also in {}: a packet is in one place only",
                    others.join(", ")
                ),
            );
        }
    }
    let done: BTreeSet<String> = packets
        .iter()
        .filter(|(_, s, _)| *s == State::Done)
        .map(|(_, _, p)| p.id.clone())
        .collect();
    for (file, state, p) in &packets {
        for after in &p.after {
            if !places.contains_key(after) {
                report.warn(
                    file,
                    format!("after {after:?}, which is in no queue: it can never be done"),
                );
            }
        }
        if *state == State::Blocked && dag::unblocked(&p.after, &done) {
            report.warn(
                file,
                "blocked, but everything it waits for is done: `gemba queue rescan` moves it to ready/",
            );
        }
    }
    let edges: dag::Edges<'_> = packets
        .iter()
        .map(|(_, _, p)| (p.id.as_str(), p.after.as_slice()))
        .collect();
    if let Some(cycle) = dag::find_cycle(&edges)
        && let Some((file, _, _)) = packets.iter().find(|(_, _, p)| p.id == cycle[0])
    {
        report.error(file, format!("dependency cycle: {}", cycle.join(" -> ")));
    }
}

/// The entry names of `dir`, sorted; `None` when it does not exist.
fn dir_names(report: &mut Report, dir: &Path) -> Option<Vec<String>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            report.error(dir, format!("cannot read: {e}"));
            return None;
        }
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Some(names)
}

/// The lease files of one queue's `leases/` (each parses, path:line:col);
/// strays are reported.
fn check_leases(report: &mut Report, store: &Store, dir: &Path) -> Vec<(String, PathBuf)> {
    let listing = match store.list_dir(dir, &kind::LEASES) {
        Ok(listing) => listing,
        Err(e) => {
            report.error(dir, e.to_string());
            return Vec::new();
        }
    };
    strays(report, &kind::LEASES, &listing.strays);
    let mut ok = Vec::new();
    for (id, file) in listing.entries {
        let Some(bytes) = read(report, &file) else {
            continue;
        };
        match kind::parse::<crate::model::packet::Lease>(&file, &bytes, &id) {
            Ok(_) => ok.push((id, file)),
            Err(e) => report.errors.push(e.into()),
        }
    }
    ok
}

/// The packet files of one queue directory; strays are reported.
fn list_or_report(report: &mut Report, store: &Store, dir: &Path) -> Vec<(String, PathBuf)> {
    match store.list_dir(dir, &kind::PACKETS) {
        Ok(listing) => {
            strays(report, &kind::PACKETS, &listing.strays);
            listing.entries
        }
        Err(e) => {
            report.error(dir, e.to_string());
            Vec::new()
        }
    }
}

/// `scan/state.json`, the scan scheduler's state (absent until the first
/// trigger).
fn check_scan_state(report: &mut Report, store: &Store) {
    let path = store.scan_dir().join(crate::scan::STATE_FILE);
    if !path.exists() {
        return;
    }
    let Some(bytes) = read(report, &path) else {
        return;
    };
    if let Err(e) = format::from_json::<crate::scan::State>(&path, &bytes) {
        report.errors.push(e.into());
    }
}

fn check_log(report: &mut Report, store: &Store) {
    let (logs, others) = match crate::store::log::listing(store) {
        Ok(listing) => listing,
        Err(e) => return report.error(&store.log_dir(), e.to_string()),
    };
    for path in others {
        report.warn(&path, "not a log file (expected YYYY-MM-DD.jsonl); ignored");
    }
    for path in logs {
        let Some(bytes) = read(report, &path) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        for (line, parsed) in crate::store::log::parse_lines(&path, &text) {
            match parsed {
                Err(e) => report.errors.push(e.into()),
                Ok(event) if !event.kind.is_known() => report.warnings.push(Problem {
                    path: path.clone(),
                    line,
                    column: 1,
                    message: format!(
                        "unknown event kind {:?} (from a newer gemba?); kept as is",
                        event.kind.as_str()
                    ),
                }),
                Ok(_) => {}
            }
        }
    }
}
