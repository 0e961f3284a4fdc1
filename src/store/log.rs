//! The append-only event log: `.gemba/log/<YYYY-MM-DD>.jsonl`, one event per
//! line, appended under `log.lock`. Listed `merge=union` in `.gitattributes`,
//! so two branches' appends merge without conflict.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Error, IoContext, Result, Scope, Store};
use crate::format::{self, ParseError};
use crate::model::Event;

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

/// The log files, oldest first.
pub fn files(store: &Store) -> Result<Vec<PathBuf>> {
    let dir = store.log_dir();
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e).at(&dir),
    };
    for entry in entries {
        let path = entry.at(&dir)?.path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// Parse one log file; each bad line is an error with its position.
pub fn parse_file(path: &Path, text: &str) -> (Vec<Event>, Vec<ParseError>) {
    let mut events = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Event>(line) {
            Ok(e) => events.push(e),
            Err(e) => errors.push(ParseError::new(
                path,
                i + 1,
                e.column(),
                format::json_message(&e),
            )),
        }
    }
    (events, errors)
}

/// Every event in the log, oldest first. A malformed line is an error.
pub fn read_all(store: &Store) -> Result<Vec<Event>> {
    let mut all = Vec::new();
    for path in files(store)? {
        let text = std::fs::read_to_string(&path).at(&path)?;
        let (events, errors) = parse_file(&path, &text);
        if let Some(first) = errors.into_iter().next() {
            return Err(Error::Parse(first));
        }
        all.extend(events);
    }
    all.sort_by(|a, b| a.at.cmp(&b.at));
    Ok(all)
}
