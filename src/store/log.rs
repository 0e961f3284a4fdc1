//! The append-only event log: `.gemba/log/<YYYY-MM-DD>.jsonl`, one event per
//! line, appended under `log.lock`. Listed `merge=union` in `.gitattributes`,
//! so two branches' appends merge without conflict.
//!
//! Reading tolerates what git and other gembas produce: a line that a union
//! merge duplicated is read once (events are keyed by their unique id), a
//! malformed line is reported with `file:line:col` and skipped, and with
//! `since` the day files before it are not opened at all.
//!
//! Also the auto-commit (`git.auto_commit`): a failed commit, or one that
//! must wait because a merge or rebase is in progress, is a warning in
//! [`Finished`], never an error (the change itself is made);
//! [`commit_pending`] (`gemba commit`) commits what was left.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::Serialize;

use super::{Error, IoContext, LOG_DIR, Result, Scope, Store};
use crate::format::{self, ParseError};
use crate::git;
use crate::model::Event;

/// At most this many event messages in the body of `gemba commit`'s message.
const MAX_MESSAGES_IN_BODY: usize = 20;

/// What logging (and auto-committing) did. The change it records is made
/// whatever the warnings say; the CLI prints them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
#[must_use = "print the warnings (cli::ui::finished)"]
pub struct Finished {
    /// An auto-commit was made.
    pub committed: bool,
    /// Problems that did not undo anything: an auto-commit that failed or
    /// had to wait (the files are left for `gemba commit`).
    pub warnings: Vec<String>,
}

/// The log file an event belongs in: the UTC day of its timestamp.
pub fn file_for(store: &Store, event: &Event) -> PathBuf {
    let day = event
        .at
        .get(..10)
        .filter(|d| d.len() == 10)
        .unwrap_or("unknown-day");
    store.log_dir().join(format!("{day}.jsonl"))
}

/// Append one line; returns the log file's path.
pub fn append(store: &Store, event: &Event) -> Result<PathBuf> {
    let dir = store.log_dir();
    std::fs::create_dir_all(&dir).at(&dir)?;
    let _lock = store.lock(Scope::Log)?;
    let path = file_for(store, event);
    let mut line = serde_json::to_vec(event).expect("event serializes");
    line.push(b'\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .at(&path)?;
    // One write of the whole line: with O_APPEND and the lock, lines never
    // interleave.
    file.write_all(&line).at(&path)?;
    file.sync_data().at(&path)?;
    Ok(path)
}

/// Append many events: one write, one flush and one lock per day file
/// (a bulk enqueue logs thousands). Returns the log files written.
pub fn append_all(store: &Store, events: &[Event]) -> Result<Vec<PathBuf>> {
    append_lines(store, events, true)
}

/// [`append_all`], flushed to disk only when `durable`.
fn append_lines(store: &Store, events: &[Event], durable: bool) -> Result<Vec<PathBuf>> {
    if events.len() < 2 && durable {
        return events.iter().map(|e| append(store, e)).collect();
    }
    let dir = store.log_dir();
    std::fs::create_dir_all(&dir).at(&dir)?;
    let mut days: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for event in events {
        let path = file_for(store, event);
        let i = match days.iter().position(|(p, _)| *p == path) {
            Some(i) => i,
            None => {
                days.push((path, Vec::new()));
                days.len() - 1
            }
        };
        serde_json::to_writer(&mut days[i].1, event).expect("event serializes");
        days[i].1.push(b'\n');
    }
    let _lock = store.lock(Scope::Log)?;
    for (path, lines) in &days {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .at(path)?;
        file.write_all(lines).at(path)?;
        if durable {
            file.sync_data().at(path)?;
        }
    }
    Ok(days.into_iter().map(|(p, _)| p).collect())
}

/// Log events that change no other file (a selection decision, ...) and,
/// with `git.auto_commit`, commit the log files they went to; then run
/// their hooks ([`super::hooks`]). Call it holding no lock.
pub fn record(store: &Store, events: &[Event]) -> Result<Finished> {
    let mut finished = append_and_commit(store, events)?;
    super::hooks::fire(store, events, &mut finished);
    Ok(finished)
}

/// [`record`] without the commit: for decisions that happen on a
/// schedule and change nothing (a dispatch tick that fed nobody), so that
/// `git log` is not a commit every 30 seconds. The lines go with the next
/// auto-commit, which takes every pending log line ([`auto_commit`]).
pub fn record_pending(store: &Store, events: &[Event]) -> Result<Finished> {
    for event in events {
        append(store, event)?;
    }
    let mut finished = Finished::default();
    super::hooks::fire(store, events, &mut finished);
    Ok(finished)
}

/// [`record`] without the hooks.
pub(super) fn append_and_commit(store: &Store, events: &[Event]) -> Result<Finished> {
    let mut paths = Vec::new();
    for event in events {
        let path = append(store, event)?;
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    if paths.is_empty() {
        return Ok(Finished::default());
    }
    Ok(auto_commit(store, &paths, &commit_message(events)))
}

/// [`super::Changes::finish`]'s work: log `events` for the files in `changed`
/// and auto-commit them all; then run their hooks.
pub(super) fn finish(
    store: &Store,
    mut changed: Vec<PathBuf>,
    events: &[Event],
    durable: bool,
) -> Result<Finished> {
    for path in append_lines(store, events, durable)? {
        if !changed.contains(&path) {
            changed.push(path);
        }
    }
    let mut finished = auto_commit(store, &changed, &commit_message(events));
    super::hooks::fire(store, events, &mut finished);
    Ok(finished)
}

/// With `git.auto_commit` and a worktree, commit exactly `changed`. Never
/// fails: a commit that cannot be made is a warning.
fn auto_commit(store: &Store, changed: &[PathBuf], message: &str) -> Finished {
    let mut finished = Finished::default();
    let Some(worktree) = store.worktree().filter(|_| store.config().git.auto_commit) else {
        return finished;
    };
    // A log file stands for the whole log: lines left pending by
    // [`record_pending`] (on other days too) go with this commit.
    let log_dir = store.root().join(LOG_DIR);
    let mut rel: Vec<PathBuf> = Vec::new();
    for path in changed {
        let path = if path.starts_with(&log_dir) {
            &log_dir
        } else {
            path
        };
        if let Ok(r) = path.strip_prefix(worktree)
            && !rel.iter().any(|p| p == r)
        {
            rel.push(r.to_path_buf());
        }
    }
    match git::commit_paths(worktree, &rel, message) {
        Ok(committed) => finished.committed = committed,
        Err(git::Error::InProgress { worktree, what }) => finished.warnings.push(format!(
            "auto-commit skipped: {what} in {}; the change is saved, not committed: run `gemba commit` once that is done",
            worktree.display()
        )),
        Err(e) => finished.warnings.push(format!(
            "auto-commit failed: {e}; the change is saved, not committed: `gemba commit` commits it"
        )),
    }
    finished
}

/// The auto-commit message: what the events say happened.
pub(super) fn commit_message(events: &[Event]) -> String {
    match events {
        [one] => format!("gemba: {}", one.message),
        [first, rest @ ..] => format!("gemba: {} (+{} more)", first.message, rest.len()),
        [] => "gemba: update".into(),
    }
}

/// What [`commit_pending`] committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Committed {
    /// The new commit's id.
    pub commit: String,
    /// The files it changed, repository-relative.
    pub files: Vec<String>,
    pub message: String,
}

/// `gemba commit`: stage and commit everything pending under `.gemba/`
/// (new, changed and deleted files; other staged changes are left alone).
/// `None` when nothing is pending. Refuses while a merge, rebase, ... is in
/// progress or the index has conflicts. Logs no event: committing must not
/// leave a new pending change behind.
///
/// The default message is `gemba: commit N pending files`, with the
/// messages of the events that the commit adds to the log as its body.
pub fn commit_pending(store: &Store, message: Option<&str>) -> Result<Option<Committed>> {
    let not_a_repo = || Error::Git(git::Error::NotARepository(store.root().to_path_buf()));
    let worktree = store.worktree().ok_or_else(not_a_repo)?;
    let dir = store
        .root()
        .strip_prefix(worktree)
        .map_err(|_| not_a_repo())?;
    let (files, added) = git::stage_dir(worktree, dir, Path::new(LOG_DIR))?;
    if files.is_empty() {
        return Ok(None);
    }
    let message = match message {
        Some(m) => m.to_string(),
        None => pending_message(files.len(), &added),
    };
    let commit = git::commit_dir(worktree, dir, &message)?;
    Ok(Some(Committed {
        commit,
        files,
        message,
    }))
}

/// `gemba: commit N pending files`, then the messages of the log lines
/// being committed (at most [`MAX_MESSAGES_IN_BODY`]).
fn pending_message(files: usize, added_lines: &[String]) -> String {
    let plural = if files == 1 { "" } else { "s" };
    let mut text = format!("gemba: commit {files} pending file{plural}");
    let messages: Vec<String> = added_lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Event>(l).ok())
        .map(|e| e.message)
        .collect();
    if !messages.is_empty() {
        text.push_str("\n\n");
        for m in messages.iter().take(MAX_MESSAGES_IN_BODY) {
            text.push_str(&format!("- {}\n", m.lines().next().unwrap_or("")));
        }
        if messages.len() > MAX_MESSAGES_IN_BODY {
            text.push_str(&format!(
                "- ... and {} more\n",
                messages.len() - MAX_MESSAGES_IN_BODY
            ));
        }
    }
    text
}

/// The log files, oldest first.
pub fn files(store: &Store) -> Result<Vec<PathBuf>> {
    Ok(listing(store)?.0)
}

/// The log directory's entries: the log files (`*.jsonl`) oldest first,
/// and anything else found there (for `gemba check`), sorted.
pub fn listing(store: &Store) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let dir = store.log_dir();
    let (mut logs, mut others) = (Vec::new(), Vec::new());
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((logs, others)),
        Err(e) => return Err(e).at(&dir),
    };
    for entry in entries {
        let path = entry.at(&dir)?.path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            logs.push(path);
        } else {
            others.push(path);
        }
    }
    logs.sort();
    others.sort();
    Ok((logs, others))
}

/// The UTC day a log file holds, from its name (`2026-11-23.jsonl`).
pub fn file_day(path: &Path) -> Option<jiff::civil::Date> {
    path.file_stem()?.to_str()?.parse().ok()
}

/// Parse one log file: each non-blank line with its 1-based number, as an
/// event or an error with its position.
pub fn parse_lines(path: &Path, text: &str) -> Vec<(usize, Result<Event, ParseError>)> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| (i + 1, parse_line(path, i + 1, line)))
        .collect()
}

/// Line `number` of the log file at `path`.
fn parse_line(path: &Path, number: usize, line: &str) -> Result<Event, ParseError> {
    serde_json::from_str::<Event>(line)
        .map_err(|e| ParseError::new(path, number, e.column(), format::json_message(&e)))
}

/// The events at or after `since` (all without it), oldest first, and the
/// problems met on the way: malformed lines (`file:line:col`, skipped) and
/// unreadable files. Each id is read once (the first copy: a union merge
/// can duplicate a line). Events are ordered by `at`, ties in file order.
/// Day files before `since`'s UTC day are not opened.
pub fn read(store: &Store, since: Option<Timestamp>) -> Result<(Vec<Event>, Vec<ParseError>)> {
    read_lines(store, since, |_| true)
}

/// [`read`], but only the lines that name one of `ids` as a JSON string
/// (`"gm-a1b2"`: in `beads`, or anywhere in `data`; a kind such as
/// `"retro.learn"`), picked before they are parsed: a retro after a merge
/// wants the few beads it merged out of a log of months. Ids and kinds
/// need no JSON escaping, so their JSON form is exact.
pub fn read_mentioning(
    store: &Store,
    since: Option<Timestamp>,
    ids: &[&str],
) -> Result<(Vec<Event>, Vec<ParseError>)> {
    if ids.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let quoted: Vec<String> = ids
        .iter()
        .map(|id| regex::escape(&format!("\"{id}\"")))
        .collect();
    let any = regex::Regex::new(&quoted.join("|")).expect("escaped literals");
    read_lines(store, since, |line| any.is_match(line))
}

fn read_lines(
    store: &Store,
    since: Option<Timestamp>,
    wanted: impl Fn(&str) -> bool,
) -> Result<(Vec<Event>, Vec<ParseError>)> {
    let since_day = since.map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date());
    let mut events = Vec::new();
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for path in files(store)? {
        if let (Some(since_day), Some(day)) = (since_day, file_day(&path))
            && day < since_day
        {
            continue;
        }
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                problems.push(ParseError::new(&path, 0, 0, format!("cannot read: {e}")));
                continue;
            }
        };
        let text = String::from_utf8_lossy(&bytes);
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() || !wanted(line) {
                continue;
            }
            match parse_line(&path, i + 1, line) {
                Ok(event) => {
                    if seen.insert(event.id.clone()) {
                        events.push(event);
                    }
                }
                Err(e) => problems.push(e),
            }
        }
    }
    let mut timed: Vec<(Timestamp, Event)> = events
        .into_iter()
        .filter_map(|e| Some((e.timestamp()?, e)))
        .filter(|(t, _)| since.is_none_or(|s| *t >= s))
        .collect();
    // Stable: same `at` (a pinned clock, one command's events) keeps file order.
    timed.sort_by_key(|(t, _)| *t);
    Ok((timed.into_iter().map(|(_, e)| e).collect(), problems))
}

/// Every event, oldest first; the first malformed line or unreadable file
/// is an error (for callers that must not act on a partial log).
pub fn read_all(store: &Store) -> Result<Vec<Event>> {
    let (events, problems) = read(store, None)?;
    match problems.into_iter().next() {
        Some(first) => Err(Error::Parse(first)),
        None => Ok(events),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EventKind;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join(".gemba");
        super::super::init(&root).unwrap();
        let store = Store::open(&root, None).unwrap();
        (dir, store)
    }

    fn event(at: &str, kind: EventKind, beads: &[&str], message: &str) -> Event {
        Event::new(
            at.parse().unwrap(),
            "t",
            kind,
            beads.iter().map(|b| b.to_string()).collect(),
            message.into(),
        )
    }

    fn line(e: &Event) -> String {
        serde_json::to_string(e).unwrap() + "\n"
    }

    #[test]
    fn reads_each_id_once_sorted_by_time() {
        let (_dir, store) = store();
        let a = event("2026-11-23T10:00:00Z", EventKind::Init, &[], "a");
        let b = event("2026-11-23T09:00:00Z", EventKind::BeadCreate, &["x"], "b");
        let c = event(
            "2026-11-23T10:00:00Z",
            EventKind::Decision,
            &["x", "y"],
            "c",
        );
        let path = store.log_dir().join("2026-11-23.jsonl");
        // A union merge's duplicate, in another order.
        let text = [&a, &b, &c, &a, &c].map(line).concat();
        std::fs::write(&path, text).unwrap();
        let (events, problems) = read(&store, None).unwrap();
        assert_eq!(problems, []);
        let messages: Vec<&str> = events.iter().map(|e| e.message.as_str()).collect();
        // By time; a and c tie and keep file order.
        assert_eq!(messages, ["b", "a", "c"]);
        assert!(events[2].concerns("y"));
    }

    #[test]
    fn read_mentioning_keeps_the_events_naming_an_id() {
        let (_dir, store) = store();
        let named = event("2026-11-23T09:00:00Z", EventKind::Claim, &["gm-1"], "a");
        let in_data = event("2026-11-23T09:01:00Z", EventKind::DispatchTick, &[], "b")
            .with("sessions", serde_json::json!([{"bead": "gm-2"}]));
        let longer = event("2026-11-23T09:02:00Z", EventKind::Claim, &["gm-10"], "c");
        let other = event("2026-11-24T09:00:00Z", EventKind::Claim, &["gm-3"], "d");
        let day = |d: &str| store.log_dir().join(format!("2026-11-{d}.jsonl"));
        std::fs::write(day("23"), [&named, &in_data, &longer].map(line).concat()).unwrap();
        std::fs::write(day("24"), line(&other) + "{not json gm-1\n").unwrap();
        let messages = |ids: &[&str]| {
            let (events, _) = read_mentioning(&store, None, ids).unwrap();
            events.into_iter().map(|e| e.message).collect::<Vec<_>>()
        };
        assert_eq!(messages(&["gm-1", "gm-2"]), ["a", "b"]);
        assert_eq!(messages(&["gm-10"]), ["c"]);
        assert_eq!(messages(&[]), Vec::<String>::new());
        // A malformed line is skipped unless it names the id as a string.
        let (_, problems) = read_mentioning(&store, None, &["gm-3"]).unwrap();
        assert_eq!(problems, []);
        let (all, problems) = read(&store, None).unwrap();
        assert_eq!((all.len(), problems.len()), (4, 1));
    }

    #[test]
    fn malformed_lines_are_reported_and_skipped() {
        let (_dir, store) = store();
        let a = event("2026-11-23T10:00:00Z", EventKind::Init, &[], "a");
        let b = event("2026-11-23T11:00:00Z", EventKind::Init, &[], "b");
        let unknown_field = line(&b).replace("\"message\"", "\"colour\":\"red\",\"message\"");
        let path = store.log_dir().join("2026-11-23.jsonl");
        let text = format!("{}not json\n\n{}{}", line(&a), unknown_field, line(&b));
        std::fs::write(&path, text).unwrap();
        let (events, problems) = read(&store, None).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!((problems[0].line, problems[0].column), (2, 2));
        assert_eq!(problems[1].line, 4);
        assert!(problems[1].message.contains("colour"), "{}", problems[1]);
        assert!(problems[1].to_string().contains("2026-11-23.jsonl:4:"));
        assert!(matches!(read_all(&store), Err(Error::Parse(_))));
    }

    #[test]
    fn legacy_lines_and_unknown_kinds_are_read() {
        let (_dir, store) = store();
        let path = store.log_dir().join("2026-11-22.jsonl");
        let old = r#"{"at":"2026-11-22T12:00:00Z","kind":"bead.close","actor":"t","bead":"gm-1","message":"close gm-1"}"#;
        let newer = r#"{"id":"01KAAAAAAAAAAAAAAAAAAAAAAA","at":"2026-11-22T12:00:00.500Z","kind":"retro.done","actor":"t","message":"retro"}"#;
        std::fs::write(&path, format!("{old}\n{old}\n{newer}\n")).unwrap();
        let (events, problems) = read(&store, None).unwrap();
        assert_eq!(problems, []);
        assert_eq!(events.len(), 2, "the duplicated old line is read once");
        assert_eq!(events[0].beads, ["gm-1"]);
        assert!(events[0].id.starts_with("legacy-"));
        assert_eq!(events[1].kind, EventKind::Other("retro.done".into()));
    }

    #[test]
    fn since_skips_earlier_day_files_unread() {
        let (_dir, store) = store();
        let dir = store.log_dir();
        // Opening this "file" would fail: it is a directory.
        std::fs::create_dir(dir.join("2026-11-20.jsonl")).unwrap();
        std::fs::write(dir.join("2026-11-21.jsonl"), "not json\n").unwrap();
        let late = event("2026-11-22T08:00:00Z", EventKind::Init, &[], "late");
        let early = event("2026-11-22T07:00:00Z", EventKind::Init, &[], "early");
        std::fs::write(
            dir.join("2026-11-22.jsonl"),
            [&early, &late].map(line).concat(),
        )
        .unwrap();
        let since = "2026-11-22T07:30:00Z".parse().unwrap();
        let (events, problems) = read(&store, Some(since)).unwrap();
        assert_eq!(problems, []);
        assert_eq!(events, [late]);
        let (events, problems) = read(&store, None).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].message.starts_with("cannot read"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn record_appends_without_other_changes() {
        let (_dir, store) = store();
        let e = event(
            "2026-11-23T10:00:00Z",
            EventKind::Decision,
            &[],
            "pick nothing",
        )
        .with("digest", "abc")
        .with("result", serde_json::Value::Null);
        let finished = record(&store, std::slice::from_ref(&e)).unwrap();
        assert_eq!(finished, Finished::default());
        assert_eq!(read_all(&store).unwrap(), [e]);
    }

    #[test]
    fn record_auto_commits_the_log_file() {
        let dir = tempfile::tempdir().unwrap();
        let wt = dir.path().canonicalize().unwrap();
        let git = |args: &[&str]| {
            let out = std::process::Command::new("git")
                .current_dir(&wt)
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .args(args)
                .output()
                .unwrap();
            assert!(out.status.success(), "git {args:?}: {out:?}");
            String::from_utf8(out.stdout).unwrap()
        };
        git(&["init", "-q", "-b", "main"]);
        git(&["config", "user.name", "T"]);
        git(&["config", "user.email", "t@example.invalid"]);
        let root = wt.join(".gemba");
        super::super::init(&root).unwrap();
        let config = root.join("config.yaml");
        let text = std::fs::read_to_string(&config).unwrap();
        std::fs::write(
            &config,
            text.replace("auto_commit: false", "auto_commit: true"),
        )
        .unwrap();
        git(&["add", "-A"]);
        git(&["commit", "-q", "-m", "init"]);
        let store = Store::open(&root, Some(wt.clone())).unwrap();
        let e = event(
            "2026-11-23T10:00:00Z",
            EventKind::Decision,
            &[],
            "no work for s-1",
        )
        .with("digest", "abc");
        let finished = record(&store, &[e]).unwrap();
        assert_eq!(finished.warnings, Vec::<String>::new());
        assert!(finished.committed);
        assert_eq!(
            git(&["log", "-1", "--format=%s"]),
            "gemba: no work for s-1\n"
        );
        assert_eq!(
            git(&["show", "--name-only", "--format=", "HEAD"]),
            ".gemba/log/2026-11-23.jsonl\n"
        );
    }

    #[test]
    fn pending_message_lists_event_messages() {
        let a = line(&event(
            "2026-11-23T10:00:00Z",
            EventKind::Init,
            &[],
            "first",
        ));
        let lines: Vec<String> = (0..25)
            .map(|_| a.trim_end().to_string())
            .chain(["not an event".to_string()])
            .collect();
        let text = pending_message(3, &lines);
        assert!(
            text.starts_with("gemba: commit 3 pending files\n\n- first\n"),
            "{text}"
        );
        assert_eq!(text.lines().filter(|l| *l == "- first").count(), 20);
        assert!(text.ends_with("- ... and 5 more\n"), "{text}");
        assert_eq!(pending_message(1, &[]), "gemba: commit 1 pending file");
    }
}
