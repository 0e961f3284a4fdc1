//! `gemba import beads FILE|-`: bd's JSONL export (one issue per line),
//! `bd list --json` / `bd ready --json` arrays, the
//! `{"schema_version":..,"data":[..]}` envelope and `{"issues":[..]}`.
//!
//! Tombstones and infrastructure types are skipped and counted; ephemeral
//! issues are kept (never ready); unknown fields go to `extra`. A bad item
//! is reported with its line and the rest import (all-or-nothing with
//! `--strict`). Unchanged beads are not rewritten; enrichment is never
//! touched.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::Error;
use crate::format::{self, ParseError};
use crate::model::bead::INFRASTRUCTURE_TYPES;
use crate::model::id;
use crate::model::{Bead, BeadHead, Comment, Dependency};
use crate::plan::deps;
use crate::store::snapshot::{Parts, Snapshot};
use crate::store::{self, Changes, Entity, Scope, Written, kind};

mod fast;

/// Beads written per hold of the bead lock.
const IMPORT_BATCH: usize = 4096;

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Write nothing when any item is invalid.
    pub strict: bool,
    /// Report what would happen; write nothing.
    pub dry_run: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// `tombstone` or `type:<t>` → count.
    pub skipped: BTreeMap<String, usize>,
    pub errors: Vec<ItemError>,
    pub dry_run: bool,
    /// Ids written (created or updated), for the log.
    #[serde(skip)]
    pub written: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemError {
    /// 1-based line of the input where the item starts.
    pub line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub message: String,
}

/// One item of the input and where it starts.
#[derive(Debug)]
pub struct Item {
    pub line: usize,
    pub value: Result<Value, String>,
}

/// One item of the input, not parsed yet: its JSON text and where it
/// starts.
#[derive(Debug, Clone, Copy)]
pub struct RawItem<'a> {
    pub line: usize,
    pub text: &'a str,
    /// A JSONL line, whose syntax errors name the column (an element of
    /// one JSON document was checked with the whole document).
    jsonl: bool,
}

impl RawItem<'_> {
    pub fn value(&self) -> Result<Value, String> {
        serde_json::from_str(self.text).map_err(|e| {
            if self.jsonl {
                format!("column {}: {}", e.column(), format::json_message(&e))
            } else {
                format::json_message(&e)
            }
        })
    }

    /// The item as a bead, or why it is skipped or invalid: the typed fast
    /// path, else [`convert`] on its `Value` (same result, slower).
    pub fn convert(&self) -> Result<Converted, String> {
        match fast::convert(self.text) {
            Some(converted) => Ok(converted),
            None => self.value().and_then(convert),
        }
    }
}

/// What one item turned into.
#[derive(Debug, PartialEq)]
pub enum Converted {
    Bead(Box<Bead>),
    Skipped(String),
}

/// Split the input into items, each parsed to a `Value` (see
/// [`parse_raw`]).
pub fn parse(path: &Path, text: &str) -> Result<Vec<Item>, ParseError> {
    Ok(parse_raw(path, text)?
        .iter()
        .map(|item| Item {
            line: item.line,
            value: item.value(),
        })
        .collect())
}

/// Split the input into items. A document that is not JSON at all and not
/// JSONL either is an error with its position.
pub fn parse_raw<'a>(path: &Path, text: &'a str) -> Result<Vec<RawItem<'a>>, ParseError> {
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    match serde_json::from_str::<&RawValue>(text) {
        Ok(raw) if trimmed.starts_with('[') => array_items(path, text, raw),
        Ok(raw) => {
            #[derive(serde::Deserialize)]
            struct Envelope<'a> {
                #[serde(borrow)]
                data: Option<&'a RawValue>,
                #[serde(borrow)]
                issues: Option<&'a RawValue>,
            }
            let env: Envelope<'_> =
                serde_json::from_str(raw.get()).map_err(|e| ParseError::from_json(path, &e))?;
            match env.data.or(env.issues) {
                Some(list) => array_items(path, text, list),
                // A single issue object.
                None => Ok(vec![RawItem {
                    line: line_of(text, raw.get()),
                    text: raw.get(),
                    jsonl: false,
                }]),
            }
        }
        // Not one JSON document: one per line.
        Err(_) => Ok(jsonl_items(text)),
    }
}

fn array_items<'a>(
    path: &Path,
    text: &'a str,
    raw: &'a RawValue,
) -> Result<Vec<RawItem<'a>>, ParseError> {
    let items: Vec<&RawValue> = serde_json::from_str(raw.get()).map_err(|e| {
        let base = line_of(text, raw.get());
        ParseError::new(
            path,
            base + e.line() - 1,
            e.column(),
            format!("expected an array of issues: {}", format::json_message(&e)),
        )
    })?;
    // Items come in text order: count newlines from one item to the next
    // (counting from the start for each would be quadratic).
    let mut lines = LineCounter::new(text);
    Ok(items
        .into_iter()
        .map(|item| RawItem {
            line: lines.line_of(item.get()),
            text: item.get(),
            jsonl: false,
        })
        .collect())
}

fn jsonl_items(text: &str) -> Vec<RawItem<'_>> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| RawItem {
            line: i + 1,
            text: l,
            jsonl: true,
        })
        .collect()
}

/// The 1-based line where `inner` (a slice of `text`) starts.
/// Line numbers of slices of `text` met in increasing order.
struct LineCounter<'a> {
    text: &'a str,
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            text,
            offset: 0,
            line: 1,
        }
    }

    fn line_of(&mut self, inner: &str) -> usize {
        let offset = (inner.as_ptr() as usize)
            .saturating_sub(self.text.as_ptr() as usize)
            .min(self.text.len());
        if offset < self.offset {
            return line_of(self.text, inner);
        }
        self.line += self.text.as_bytes()[self.offset..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.offset = offset;
        self.line
    }
}

fn line_of(text: &str, inner: &str) -> usize {
    let offset = (inner.as_ptr() as usize)
        .saturating_sub(text.as_ptr() as usize)
        .min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Fields bd computes for `bd list --json` that are not data: keeping them
/// would make every re-import a change.
const COMPUTED_FIELDS: [&str; 3] = ["dependency_count", "dependent_count", "comment_count"];

/// Turn one bd issue object into a bead, or say why it is skipped.
pub fn convert(value: Value) -> Result<Converted, String> {
    let Value::Object(mut obj) = value else {
        return Err("expected a JSON object".into());
    };
    let id = take_string(&mut obj, "id")?.ok_or("missing field `id`")?;
    id::validate(&id).map_err(|e| e.to_string())?;
    let status = take_string(&mut obj, "status")?.unwrap_or_else(|| "open".into());
    let deleted = obj.get("deleted_at").is_some_and(|v| !v.is_null());
    if status == "tombstone" || deleted {
        return Ok(Converted::Skipped("tombstone".into()));
    }
    let issue_type = take_string(&mut obj, "issue_type")?.unwrap_or_else(|| "task".into());
    if INFRASTRUCTURE_TYPES.contains(&issue_type.as_str()) {
        return Ok(Converted::Skipped(format!("type:{issue_type}")));
    }
    let mut bead = Bead::new(
        id,
        take_string(&mut obj, "title")?.ok_or("missing field `title`")?,
    );
    bead.status = status;
    bead.issue_type = issue_type;
    bead.priority = match obj.remove("priority") {
        None | Some(Value::Null) => 2,
        Some(Value::Number(n)) => {
            n.as_u64()
                .filter(|p| *p <= 4)
                .ok_or_else(|| format!("priority: expected 0-4, found {n}"))? as u8
        }
        Some(other) => return Err(format!("priority: expected an integer 0-4, found {other}")),
    };
    for (field, slot) in [
        ("description", &mut bead.description),
        ("design", &mut bead.design),
        ("acceptance_criteria", &mut bead.acceptance_criteria),
        ("notes", &mut bead.notes),
    ] {
        *slot = take_string(&mut obj, field)?.unwrap_or_default();
    }
    for (field, slot) in [
        ("assignee", &mut bead.assignee),
        ("owner", &mut bead.owner),
        ("created_by", &mut bead.created_by),
        ("parent", &mut bead.parent),
        ("created_at", &mut bead.created_at),
        ("updated_at", &mut bead.updated_at),
        ("started_at", &mut bead.started_at),
        ("closed_at", &mut bead.closed_at),
        ("due_at", &mut bead.due_at),
        ("defer_until", &mut bead.defer_until),
        ("close_reason", &mut bead.close_reason),
    ] {
        *slot = take_string(&mut obj, field)?.filter(|s| !s.is_empty());
    }
    if let Some(parent) = &bead.parent {
        id::validate(parent).map_err(|e| format!("parent: {e}"))?;
    }
    bead.ephemeral = take_bool(&mut obj, "ephemeral")?;
    bead.pinned = take_bool(&mut obj, "pinned")?;
    bead.labels = match obj.remove("labels") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                other => Err(format!("labels: expected strings, found {other}")),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(format!("labels: expected an array, found {other}")),
    };
    bead.dependencies = take_objects(&mut obj, "dependencies")?
        .into_iter()
        .map(|d| dependency(&bead.id, d))
        .collect::<Result<_, _>>()?;
    bead.comments = take_objects(&mut obj, "comments")?
        .into_iter()
        .map(|c| comment(&bead.id, c))
        .collect::<Result<_, _>>()?;
    for field in COMPUTED_FIELDS {
        obj.remove(field);
    }
    bead.extra = obj.into_iter().collect();
    Ok(Converted::Bead(Box::new(bead)))
}

fn dependency(bead_id: &str, mut obj: Map<String, Value>) -> Result<Dependency, String> {
    let to = take_string(&mut obj, "depends_on_id")?
        .ok_or("dependencies: missing field `depends_on_id`")?;
    id::validate(&to).map_err(|e| format!("dependencies: {e}"))?;
    let mut dep = Dependency::new(
        to,
        take_string(&mut obj, "type")?.unwrap_or_else(|| "blocks".into()),
    );
    dep.created_at = take_string(&mut obj, "created_at")?;
    dep.created_by = take_string(&mut obj, "created_by")?;
    // `issue_id` repeats the bead's own id: derivable, so not stored.
    if obj.get("issue_id").and_then(Value::as_str) == Some(bead_id) {
        obj.remove("issue_id");
    }
    dep.extra = obj.into_iter().collect();
    Ok(dep)
}

fn comment(bead_id: &str, mut obj: Map<String, Value>) -> Result<Comment, String> {
    if obj.get("issue_id").and_then(Value::as_str) == Some(bead_id) {
        obj.remove("issue_id");
    }
    Ok(Comment {
        id: obj.remove("id"),
        author: take_string(&mut obj, "author")?,
        text: take_string(&mut obj, "text")?.unwrap_or_default(),
        created_at: take_string(&mut obj, "created_at")?,
        extra: obj.into_iter().collect(),
    })
}

fn take_string(obj: &mut Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match obj.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!("{key}: expected a string, found {other}")),
    }
}

fn take_bool(obj: &mut Map<String, Value>, key: &str) -> Result<bool, String> {
    match obj.remove(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(b),
        Some(other) => Err(format!("{key}: expected true or false, found {other}")),
    }
}

fn take_objects(
    obj: &mut Map<String, Value>,
    key: &str,
) -> Result<Vec<Map<String, Value>>, String> {
    match obj.remove(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|v| match v {
                Value::Object(o) => Ok(o),
                other => Err(format!("{key}: expected objects, found {other}")),
            })
            .collect(),
        Some(other) => Err(format!("{key}: expected an array, found {other}")),
    }
}

/// Convert every item and check cycles with the `existing` beads (those
/// the import replaces are ignored): good beads, skip counts and per-line
/// errors. Pure.
pub fn convert_all(items: &[RawItem<'_>], existing: &[Bead]) -> (Vec<(usize, Bead)>, Report) {
    let (mut beads, mut report) = convert_items(items);
    let existing: Vec<BeadHead> = existing.iter().map(BeadHead::from).collect();
    drop_cycles(&mut beads, &mut report, &existing);
    (beads, report)
}

/// Convert every item (on every core): good beads in input order, skip
/// counts and per-line errors; of two items with one id the first wins.
fn convert_items(items: &[RawItem<'_>]) -> (Vec<(usize, Bead)>, Report) {
    let results = on_all_cores(items, RawItem::convert);
    let mut report = Report::default();
    let mut beads: Vec<(usize, Bead)> = Vec::with_capacity(results.len());
    let mut first_line: HashMap<String, usize> = HashMap::with_capacity(results.len());
    for (item, result) in items.iter().zip(results) {
        match result {
            Ok(Converted::Bead(bead)) => {
                if let Some(first) = first_line.get(&bead.id) {
                    report.errors.push(ItemError {
                        line: item.line,
                        id: Some(bead.id.clone()),
                        message: format!(
                            "duplicate id {:?} (first at line {first}); this copy is ignored",
                            bead.id
                        ),
                    });
                    continue;
                }
                first_line.insert(bead.id.clone(), item.line);
                beads.push((item.line, *bead));
            }
            Ok(Converted::Skipped(reason)) => *report.skipped.entry(reason).or_default() += 1,
            Err(message) => report.errors.push(ItemError {
                line: item.line,
                id: None,
                message,
            }),
        }
    }
    (beads, report)
}

/// Drop the beads in a dependency cycle among the beads as they will be
/// after the import (the imported ones, and the `existing` ones they do
/// not replace), with an error on each one's line.
fn drop_cycles(beads: &mut Vec<(usize, Bead)>, report: &mut Report, existing: &[BeadHead<'_>]) {
    let imported: HashMap<&str, usize> = beads.iter().map(|(l, b)| (b.id.as_str(), *l)).collect();
    let heads: Vec<BeadHead> = beads.iter().map(|(_, b)| BeadHead::from(b)).collect();
    let after = heads
        .iter()
        .chain(existing.iter().filter(|b| !imported.contains_key(b.id)));
    let mut in_cycle = HashSet::new();
    for cycle in deps::cycles(after) {
        let text = deps::describe(&cycle);
        for id in &cycle[..cycle.len() - 1] {
            if let Some(line) = imported.get(id.as_str()) {
                report.errors.push(ItemError {
                    line: *line,
                    id: Some(id.clone()),
                    message: format!("dependency cycle {text}"),
                });
                in_cycle.insert(id.clone());
            }
        }
    }
    if !in_cycle.is_empty() {
        beads.retain(|(_, b)| !in_cycle.contains(&b.id));
    }
    report.errors.sort_by_key(|e| e.line);
}

/// `f` over `items` on every core, results in input order: for CPU work
/// (file work uses [`store::parallel`]).
fn on_all_cores<I: Sync, T: Send>(items: &[I], f: impl Fn(&I) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || items.len() < 1024 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&f).collect::<Vec<T>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for handle in handles {
            out.extend(handle.join().expect("worker thread panicked"));
        }
        out
    })
}

/// Import `text` through `tx`. With errors and `strict`, or with
/// `dry_run`, nothing is written.
///
/// A bead counts as unchanged when its file already holds exactly the
/// bytes it would be written as (such a file is neither rewritten nor
/// logged, so a re-import leaves `git diff` empty); a dry run compares the
/// same way.
pub fn run(
    tx: &mut Changes<'_>,
    path: &Path,
    text: &str,
    options: &Options,
) -> Result<Report, Error> {
    let items = parse_raw(path, text)?;
    let (mut beads, mut report) = convert_items(&items);
    drop(items);
    let listing = tx.store().list(&kind::BEADS)?;
    // The existing beads' dependency edges, from the snapshot cache (a
    // re-import of the same export replaces them all).
    if !listing.entries.is_empty() {
        let snapshot = Snapshot::load(tx.store(), Parts::BEADS)?;
        drop_cycles(&mut beads, &mut report, &snapshot.beads()?);
    } else {
        drop_cycles(&mut beads, &mut report, &[]);
    }
    report.dry_run = options.dry_run;
    if options.strict && !report.errors.is_empty() {
        return Err(Error::Strict(path.to_path_buf(), report.errors));
    }
    let store = tx.store();
    std::thread::scope(|scope| -> Result<(), Error> {
        // The next batch is serialized while this one is written, by a
        // thread that owns the beads and the listing and frees them as it
        // goes, so that is not left for the end either.
        let (send, serialized) = std::sync::mpsc::sync_channel(1);
        scope.spawn(move || {
            // Beads without a file when we looked: not read to compare (a
            // file that appears meanwhile is still compared before it is
            // replaced).
            let existing: HashSet<&str> =
                listing.entries.iter().map(|(id, _)| id.as_str()).collect();
            let mut beads = beads.into_iter().map(|(_, bead)| bead);
            loop {
                let batch: Vec<Bead> = beads.by_ref().take(IMPORT_BATCH).collect();
                if batch.is_empty() {
                    break;
                }
                let jobs = on_all_cores(&batch, |bead| {
                    Ok((store.path(&kind::BEADS, &bead.id)?, bead.to_bytes()))
                })
                .into_iter()
                .collect::<Result<Vec<_>, store::Error>>();
                let absent: Vec<bool> = batch
                    .iter()
                    .map(|b| !existing.contains(b.id.as_str()))
                    .collect();
                let ids: Vec<String> = batch.into_iter().map(|b| b.id).collect();
                if send.send((ids, absent, jobs)).is_err() {
                    break; // the writer stopped on an error
                }
            }
        });
        // The bead lock is held one batch at a time, so a `bead update`
        // during a long import waits for one batch, not the whole import.
        for (ids, absent, jobs) in serialized {
            let jobs = jobs?;
            let outcomes = if options.dry_run {
                tx.compare_files(&jobs, &absent)?
            } else {
                let _lock = store.lock(Scope::Beads)?;
                tx.write_files_hinted(jobs, &absent)?
            };
            for (id, outcome) in ids.into_iter().zip(outcomes) {
                match outcome {
                    Written::Created => report.created += 1,
                    Written::Updated => report.updated += 1,
                    Written::Unchanged => report.unchanged += 1,
                }
                if outcome != Written::Unchanged {
                    report.written.push(id);
                }
            }
        }
        Ok(())
    })?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<(usize, String)> {
        parse(Path::new("in"), text)
            .unwrap()
            .into_iter()
            .map(|i| {
                (
                    i.line,
                    i.value
                        .map(|v| v["id"].as_str().unwrap_or("?").to_string())
                        .unwrap_or_else(|e| e),
                )
            })
            .collect()
    }

    #[test]
    fn formats() {
        let one = r#"{"id":"a","title":"A"}"#;
        let two = r#"{"id":"b","title":"B"}"#;
        let expected = vec![(1, "a".to_string()), (2, "b".to_string())];
        assert_eq!(ids(&format!("{one}\n{two}\n")), expected, "jsonl");
        assert_eq!(ids(&format!("[{one},\n{two}]")), expected, "array");
        assert_eq!(
            ids(&format!(
                "{{\"schema_version\":1,\"data\":[{one},\n{two}]}}"
            )),
            expected,
            "envelope"
        );
        assert_eq!(
            ids(&format!("{{\"issues\":[{one},\n{two}]}}")),
            expected,
            "issues object"
        );
        assert_eq!(
            ids(&format!("[\n  {one},\n\n  {two}\n]")),
            vec![(2, "a".into()), (4, "b".into())],
            "pretty array lines"
        );
        assert_eq!(ids(one), vec![(1, "a".into())], "single object");
        assert_eq!(ids(""), vec![], "empty");
    }

    #[test]
    fn bad_jsonl_line_is_an_item_error() {
        let items = parse(Path::new("in"), "{\"id\":\"a\",\"title\":\"A\"}\n{oops\n").unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].line, 2);
        assert!(items[1].value.is_err());
    }

    #[test]
    fn convert_keeps_unknown_fields_and_skips_infrastructure() {
        let v: Value = serde_json::from_str(
            r#"{"id":"bd-1","title":"T","status":"open","priority":1,"issue_type":"bug","source_repo":".","dependencies":[{"issue_id":"bd-1","depends_on_id":"bd-2","type":"blocks","metadata":"{}"}],"dependency_count":3}"#,
        )
        .unwrap();
        let Converted::Bead(b) = convert(v).unwrap() else {
            panic!()
        };
        assert_eq!(b.extra.keys().collect::<Vec<_>>(), vec!["source_repo"]);
        assert_eq!(
            b.dependencies[0].extra.keys().collect::<Vec<_>>(),
            vec!["metadata"]
        );
        for (json, why) in [
            (
                r#"{"id":"x","title":"t","status":"tombstone"}"#,
                "tombstone",
            ),
            (
                r#"{"id":"x","title":"t","deleted_at":"2025-01-01T00:00:00Z"}"#,
                "tombstone",
            ),
            (
                r#"{"id":"x","title":"t","issue_type":"molecule"}"#,
                "type:molecule",
            ),
        ] {
            assert_eq!(
                convert(serde_json::from_str(json).unwrap()).unwrap(),
                Converted::Skipped(why.into())
            );
        }
    }

    #[test]
    fn convert_rejects_bad_items() {
        for json in [
            r#"{"title":"no id"}"#,
            r#"{"id":"../x","title":"t"}"#,
            r#"{"id":"a","title":"t","priority":"high"}"#,
            r#"{"id":"a","title":"t","priority":9}"#,
            r#"{"id":"a"}"#,
            r#"{"id":"a","title":"t","labels":"x"}"#,
            r#"{"id":"a","title":"t","dependencies":[{"type":"blocks"}]}"#,
            r#"[1]"#,
        ] {
            assert!(
                convert(serde_json::from_str(json).unwrap()).is_err(),
                "{json}"
            );
        }
    }

    /// The fast path gives what the slow path gives, or passes.
    fn check_same(text: &str) -> bool {
        let slow = serde_json::from_str(text)
            .map_err(|e| e.to_string())
            .and_then(convert);
        match fast::convert(text) {
            Some(fast) => {
                assert_eq!(Ok(&fast), slow.as_ref(), "{text}");
                true
            }
            None => {
                assert!(
                    !matches!(slow, Ok(Converted::Bead(_))),
                    "the fast path passed on a good bead: {text}"
                );
                false
            }
        }
    }

    #[test]
    fn fast_path_is_the_slow_path() {
        for text in [
            r#"{"id":"a","title":"t"}"#,
            r#"{"id":"a","title":""}"#,
            r#"{"id":"a","title":"t","deleted_at":null,"status":null,"priority":null,"labels":null}"#,
            r#"{"id":"a","title":"t","priority":0,"ephemeral":true,"pinned":false,"ephemeral":null}"#,
            r#"{"id":"a","title":"t","title":"second wins","extra":{"x":1},"zz":[1,{"a":null}]}"#,
            r#"{"id":"a","ti\u0074le":"escaped key","descr\u0069ption":"d\n\u00e9"}"#,
            r#"{"id":"a","title":"t","assignee":"","owner":"o","parent":"","notes":null,"design":""}"#,
            r#"{"id":"a","title":"t","parent":"p-1","dependency_count":3,"comment_count":"x"}"#,
            r#"{"id":"a","title":"t","dependencies":[{"issue_id":"a","depends_on_id":"b","type":null,"created_at":"","metadata":"{}"}]}"#,
            r#"{"id":"a","title":"t","dependencies":[{"issue_id":"other","depends_on_id":"b"},{"issue_id":7,"depends_on_id":"c","id":1}]}"#,
            r#"{"id":"a","title":"t","comments":[{"id":null,"issue_id":"a","author":null,"text":null},{"id":5,"text":"x","created_at":"c","issue_id":"b"}]}"#,
            r#"{"id":"a","title":"t","comments":[{"id":"c1","id":null}],"dependencies":[]}"#,
            r#"{"id":"a","deleted_at":"2025-01-01T00:00:00Z"}"#,
            r#"{"id":"a","issue_type":"molecule"}"#,
            r#"{"id":"a","issue_type":"custom","title":"t","status":"custom"}"#,
        ] {
            assert!(check_same(text), "the fast path passed: {text}");
        }
        // Errors, and skips of items with bad fields: the slow path decides.
        for text in [
            r#"{"id":"a","title":"t","status":"tombstone","priority":"high"}"#,
            r#"{"id":"a","deleted_at":5,"title":7}"#,
            r#"{"title":"no id"}"#,
            r#"{"id":"../x","title":"t"}"#,
            r#"{"id":"a","title":"t","priority":5}"#,
            r#"{"id":"a","title":"t","priority":-1}"#,
            r#"{"id":"a","title":"t","priority":1.0}"#,
            r#"{"id":"a","title":"t","parent":"../p"}"#,
            r#"{"id":"a","title":"t","labels":["x",1]}"#,
            r#"{"id":"a","title":"t","dependencies":[{"type":"blocks"}]}"#,
            r#"{"id":"a","title":"t","dependencies":[{"depends_on_id":"/abs"}]}"#,
            r#"{"id":"a","title":"t","dependencies":[1]}"#,
            r#"{"id":"a","title":"t","comments":{"id":1}}"#,
            r#"{"id":"a","title":null}"#,
            r#"{"id":5,"title":"t"}"#,
            r#"{"id":"a","title":"t","status":5,"deleted_at":"x"}"#,
            r#"[1]"#,
            r#""a""#,
        ] {
            assert!(!check_same(text), "{text}");
        }
        // Real exports: every item, and the fast path takes nearly all.
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/beads");
        for name in [
            "Dicklesworthstone__flywheel_connectors__issues.jsonl",
            "steveyegge__beads__issues.jsonl",
        ] {
            let text = std::fs::read_to_string(dir.join(name))
                .unwrap_or_else(|e| panic!("{name}: {e} (keep ../shared beside this checkout)"));
            let items = parse_raw(Path::new(name), &text).unwrap();
            let fast = items.iter().filter(|i| check_same(i.text)).count();
            assert_eq!(fast, items.len(), "{name}: items left to the slow path");
        }
    }

    #[test]
    fn cycles_are_errors_on_their_lines() {
        let text = "{\"id\":\"a\",\"title\":\"A\",\"dependencies\":[{\"depends_on_id\":\"b\",\"type\":\"blocks\"}]}\n{\"id\":\"b\",\"title\":\"B\",\"dependencies\":[{\"depends_on_id\":\"a\",\"type\":\"blocks\"}]}\n{\"id\":\"c\",\"title\":\"C\"}\n";
        let (beads, report) = convert_all(&parse_raw(Path::new("in"), text).unwrap(), &[]);
        assert_eq!(beads.len(), 1);
        assert_eq!(
            report.errors.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert!(report.errors[0].message.contains("a -> b -> a"));
    }
}
