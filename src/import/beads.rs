//! `gemba import beads FILE|-`: bd's JSONL export (one issue per line),
//! `bd list --json` / `bd ready --json` arrays, the
//! `{"schema_version":..,"data":[..]}` envelope and `{"issues":[..]}`.
//!
//! Tombstones and infrastructure types are skipped and counted; ephemeral
//! issues are kept (never ready); unknown fields go to `extra`. A bad item
//! is reported with its line and the rest import (all-or-nothing with
//! `--strict`). Unchanged beads are not rewritten; enrichment is never
//! touched.

use std::collections::{BTreeMap, HashMap};
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
use crate::store::{Changes, Scope, Written};

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

/// What one item turned into.
#[derive(Debug, PartialEq)]
pub enum Converted {
    Bead(Box<Bead>),
    Skipped(String),
}

/// Split the input into items. A document that is not JSON at all and not
/// JSONL either is an error with its position.
pub fn parse(path: &Path, text: &str) -> Result<Vec<Item>, ParseError> {
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
                None => Ok(vec![Item {
                    line: line_of(text, raw.get()),
                    value: Ok(parse_value(raw.get())?),
                }]),
            }
        }
        // Not one JSON document: one per line.
        Err(_) => Ok(jsonl_items(text)),
    }
}

fn parse_value(raw: &str) -> Result<Value, ParseError> {
    serde_json::from_str(raw).map_err(|e| {
        ParseError::new(
            Path::new("<item>"),
            e.line(),
            e.column(),
            format::json_message(&e),
        )
    })
}

fn array_items(path: &Path, text: &str, raw: &RawValue) -> Result<Vec<Item>, ParseError> {
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
        .map(|item| Item {
            line: lines.line_of(item.get()),
            value: serde_json::from_str(item.get()).map_err(|e| format::json_message(&e)),
        })
        .collect())
}

fn jsonl_items(text: &str) -> Vec<Item> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| Item {
            line: i + 1,
            value: serde_json::from_str(l)
                .map_err(|e| format!("column {}: {}", e.column(), format::json_message(&e))),
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

/// Convert every item: good beads, skip counts and per-line errors. Pure.
pub fn convert_all(items: Vec<Item>, existing: &[Bead]) -> (Vec<(usize, Bead)>, Report) {
    let mut report = Report::default();
    let mut beads: Vec<(usize, Bead)> = Vec::new();
    let mut first_line: HashMap<String, usize> = HashMap::new();
    for item in items {
        let result = item.value.and_then(convert);
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
    // Cycles among the beads as they will be after the import.
    let imported: HashMap<&str, usize> = beads.iter().map(|(l, b)| (b.id.as_str(), *l)).collect();
    let heads: Vec<BeadHead> = beads
        .iter()
        .map(|(_, b)| b)
        .chain(
            existing
                .iter()
                .filter(|b| !imported.contains_key(b.id.as_str())),
        )
        .map(BeadHead::from)
        .collect();
    let after = heads.iter();
    let mut in_cycle = Vec::new();
    for cycle in deps::cycles(after) {
        let text = deps::describe(&cycle);
        for id in &cycle[..cycle.len() - 1] {
            if let Some(line) = imported.get(id.as_str()) {
                report.errors.push(ItemError {
                    line: *line,
                    id: Some(id.clone()),
                    message: format!("dependency cycle {text}"),
                });
                in_cycle.push(id.clone());
            }
        }
    }
    beads.retain(|(_, b)| !in_cycle.contains(&b.id));
    report.errors.sort_by_key(|e| e.line);
    (beads, report)
}

/// Import `text` through `tx`. With errors and `strict`, or with
/// `dry_run`, nothing is written.
pub fn run(
    tx: &mut Changes<'_>,
    path: &Path,
    text: &str,
    options: &Options,
) -> Result<Report, Error> {
    let items = parse(path, text)?;
    let existing = tx.store().load_beads()?;
    let (beads, mut report) = convert_all(items, &existing);
    report.dry_run = options.dry_run;
    if options.strict && !report.errors.is_empty() {
        return Err(Error::Strict(path.to_path_buf(), report.errors));
    }
    // Compare with the beads just loaded: an unchanged bead is neither
    // re-read nor rewritten (a re-import leaves `git diff` empty).
    let current: HashMap<&str, &Bead> = existing.iter().map(|b| (b.id.as_str(), b)).collect();
    let outcomes: Vec<Written> = beads
        .iter()
        .map(|(_, bead)| match current.get(bead.id.as_str()) {
            None => Written::Created,
            Some(old) if *old == bead => Written::Unchanged,
            Some(_) => Written::Updated,
        })
        .collect();
    if !options.dry_run {
        let changed: Vec<Bead> = beads
            .iter()
            .zip(&outcomes)
            .filter(|(_, o)| **o != Written::Unchanged)
            .map(|((_, b), _)| b.clone())
            .collect();
        // The bead lock is held one batch at a time, so a `bead update`
        // during a long import waits for one batch, not the whole import.
        for batch in changed.chunks(IMPORT_BATCH) {
            let _lock = tx.store().lock(Scope::Beads)?;
            tx.write_beads(batch)?;
        }
    }
    for ((_, bead), outcome) in beads.iter().zip(outcomes) {
        match outcome {
            Written::Created => report.created += 1,
            Written::Updated => report.updated += 1,
            Written::Unchanged => report.unchanged += 1,
        }
        if outcome != Written::Unchanged {
            report.written.push(bead.id.clone());
        }
    }
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

    #[test]
    fn cycles_are_errors_on_their_lines() {
        let text = "{\"id\":\"a\",\"title\":\"A\",\"dependencies\":[{\"depends_on_id\":\"b\",\"type\":\"blocks\"}]}\n{\"id\":\"b\",\"title\":\"B\",\"dependencies\":[{\"depends_on_id\":\"a\",\"type\":\"blocks\"}]}\n{\"id\":\"c\",\"title\":\"C\"}\n";
        let (beads, report) = convert_all(parse(Path::new("in"), text).unwrap(), &[]);
        assert_eq!(beads.len(), 1);
        assert_eq!(
            report.errors.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert!(report.errors[0].message.contains("a -> b -> a"));
    }
}
