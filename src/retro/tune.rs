//! `gemba tune KEY=VALUE --reason T`: set one weight or threshold in
//! `.gemba/config.yaml` and log it (event `tune`). Approving a `tune`
//! suggestion (`gemba suggestions approve`) calls the same code.
//!
//! [`plan`] is pure: the key must name a scalar of the effective config
//! (`scoring.affinity.concept`), the value must have its type and pass the
//! config's own validation. The file is edited as text, so the operator's
//! comments and layout stay: the key's line gets the new value in place
//! (its comment kept, aligned where it fits), or, when the file does not
//! set the key, one line is added under its section (the missing sections
//! too). The result must read back as exactly the intended config, or
//! nothing is written.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use crate::model::{Config, Event, EventKind};
use crate::store::{self, Changes, Scope};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error("unknown config key {key:?}{}", known_hint(.known))]
    UnknownKey { key: String, known: Vec<String> },
    #[error("{key} is a section, not a value: tune one of its keys ({})", .keys.join(", "))]
    NotScalar { key: String, keys: Vec<String> },
    #[error("{key}={value}: {message}")]
    BadValue {
        key: String,
        value: String,
        message: String,
    },
    #[error("{key} is already {value}: nothing to change")]
    Unchanged { key: String, value: String },
    #[error("cannot edit {path} safely ({message}); edit {key} by hand")]
    Edit {
        path: String,
        key: String,
        message: String,
    },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Vocab(#[from] crate::vocab::Error),
}

fn known_hint(known: &[String]) -> String {
    if known.is_empty() {
        String::new()
    } else {
        format!(" (known here: {})", known.join(", "))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How the file was changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum How {
    /// The key's line got the new value (1-based line number).
    InPlace { line: usize },
    /// The file did not set the key: lines added from this one.
    Added { line: usize },
}

impl std::fmt::Display for How {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            How::InPlace { line } => write!(f, "edited line {line} in place"),
            How::Added { line } => write!(f, "added at line {line} (the file did not set it)"),
        }
    }
}

/// A planned change of one key.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub key: String,
    pub old: Value,
    pub new: Value,
    pub config: Config,
    pub text: String,
    pub how: How,
}

/// A JSON scalar as people write it: `0.6`, `true`, `2h`.
pub fn show(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n
            .as_f64()
            .map_or_else(|| n.to_string(), super::calibrate::format_number),
        other => other.to_string(),
    }
}

/// Every scalar key under `value`, dotted, sorted.
fn scalar_keys(prefix: &str, value: &Value, out: &mut Vec<String>) {
    if let Value::Object(map) = value {
        for (k, v) in map {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                Value::Object(_) => scalar_keys(&key, v, out),
                Value::Array(_) => {}
                _ => out.push(key),
            }
        }
    }
}

/// `text` (config.yaml, which parses to `config`) with `key` set to `raw`.
pub fn plan(text: &str, config: &Config, key: &str, raw: &str) -> Result<Plan> {
    let path: Vec<&str> = key.split('.').collect();
    let mut json = serde_json::to_value(config).map_err(|e| Error::Invalid(e.to_string()))?;
    // Find the current value.
    let mut at = &json;
    for (i, seg) in path.iter().enumerate() {
        let next = at.as_object().and_then(|m| m.get(*seg));
        let Some(next) = next else {
            let mut known: Vec<String> = at
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            known.sort();
            if i == 0 {
                known.clear(); // every section: too long to list; `gemba config show`
            }
            return Err(Error::UnknownKey {
                key: key.to_string(),
                known,
            });
        };
        at = next;
    }
    let old = at.clone();
    if let Value::Object(_) = old {
        let mut keys = Vec::new();
        scalar_keys("", &old, &mut keys);
        return Err(Error::NotScalar {
            key: key.to_string(),
            keys,
        });
    }
    if let Value::Array(_) = old {
        return Err(Error::BadValue {
            key: key.to_string(),
            value: raw.to_string(),
            message: "only numbers, booleans and words can be tuned; edit lists by hand".into(),
        });
    }
    let bad = |message: String| Error::BadValue {
        key: key.to_string(),
        value: raw.to_string(),
        message,
    };
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(bad("the value is empty".into()));
    }
    let parsed: Value = crate::format::from_yaml(Path::new("VALUE"), raw)
        .map_err(|e| bad(format!("not a YAML scalar ({})", e.message)))?;
    let new = match (&old, parsed) {
        // A word where a word is expected, even one that reads as a number.
        (Value::String(_), Value::Number(_) | Value::Bool(_)) => Value::String(raw.to_string()),
        (_, Value::Array(_) | Value::Object(_) | Value::Null) => {
            // (An unset optional key is null; setting one back to null is
            // done by deleting its line.)
            return Err(bad("not a single value".into()));
        }
        (_, v) => v,
    };
    // Set it, and let the config's own types and validation judge.
    let mut slot = &mut json;
    for seg in &path {
        slot = &mut slot[*seg];
    }
    *slot = new.clone();
    let wanted: Config = serde_json::from_value(json).map_err(|e| bad(e.to_string()))?;
    wanted.validate().map_err(bad)?;
    if wanted == *config {
        return Err(Error::Unchanged {
            key: key.to_string(),
            value: show(&old),
        });
    }
    let scalar = crate::format::to_yaml_string(&new).trim_end().to_string();
    let (edited, how) = splice(text, &path, &scalar)?;
    let back: Config = crate::format::from_yaml(Path::new("config.yaml"), &edited)
        .map_err(|e| Error::Invalid(format!("the edited file does not parse ({e})")))?;
    if back != wanted {
        return Err(Error::Invalid(
            "the edited file does not read back as intended".into(),
        ));
    }
    Ok(Plan {
        key: key.to_string(),
        old,
        new,
        config: wanted,
        text: edited,
        how,
    })
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Blank or a comment: carries no YAML structure.
fn inert(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

/// What follows `key:` on `line`, if the line is that key.
fn after_key<'l>(line: &'l str, key: &str) -> Option<&'l str> {
    let rest = line.trim_start().strip_prefix(key)?.strip_prefix(':')?;
    (rest.is_empty() || rest.starts_with([' ', '\n', '\r'])).then_some(rest)
}

/// Where the comment of a value starts (` #`), outside quotes.
fn comment_at(rest: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for (i, c) in rest.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if (c == '\'' || c == '"') && prev == ' ' => quote = Some(c),
            None if c == '#' && prev == ' ' => return Some(i),
            None => {}
        }
        prev = c;
    }
    None
}

/// `text` with the scalar at `path` set to `scalar`: in place, or added.
fn splice(text: &str, path: &[&str], scalar: &str) -> Result<(String, How)> {
    let cant = |message: &str| Error::Edit {
        path: "config.yaml".into(),
        key: path.join("."),
        message: message.to_string(),
    };
    let ls: Vec<&str> = text.split_inclusive('\n').collect();
    if ls.iter().any(|l| l.starts_with('\t')) {
        return Err(cant("tab indentation"));
    }
    // The block being searched: lines (start..end), its children's indent.
    let (mut start, mut end) = (0, ls.len());
    let mut parent_indent: Option<usize> = None;
    for (depth, seg) in path.iter().enumerate() {
        let child = ls[start..end]
            .iter()
            .find(|l| !inert(l))
            .map(|l| indent_of(l))
            .unwrap_or(parent_indent.map_or(0, |p| p + 2));
        if parent_indent.is_some_and(|p| child <= p) {
            return Err(cant("unexpected indentation"));
        }
        let found = (start..end).find(|&i| {
            !inert(ls[i]) && indent_of(ls[i]) == child && after_key(ls[i], seg).is_some()
        });
        let leaf = depth + 1 == path.len();
        let Some(i) = found else {
            return Ok(add(&ls, start, end, child, &path[depth..], scalar));
        };
        let rest = after_key(ls[i], seg).unwrap_or_default();
        let value = match comment_at(rest) {
            Some(c) => &rest[..c],
            None => rest,
        };
        if leaf {
            if value.trim().is_empty() {
                return Err(cant("the value is not on the key's line"));
            }
            return Ok((replace(&ls, i, seg, scalar), How::InPlace { line: i + 1 }));
        }
        if !value.trim().is_empty() {
            return Err(cant(&format!("`{seg}:` is written in flow style")));
        }
        // The section's block: up to the next line at its indent or less.
        let block_end = (i + 1..end)
            .find(|&j| !inert(ls[j]) && indent_of(ls[j]) <= child)
            .unwrap_or(end);
        parent_indent = Some(child);
        start = i + 1;
        end = block_end;
    }
    Err(cant("empty key"))
}

/// Line `i` (`key: old  # comment`) with `scalar` for the value; the
/// comment keeps its column when the new value fits.
fn replace(ls: &[&str], i: usize, key: &str, scalar: &str) -> String {
    let line = ls[i];
    let ending = &line[line.trim_end_matches(['\n', '\r']).len()..];
    let body = line.trim_end_matches(['\n', '\r']);
    let indent = indent_of(body);
    let rest = after_key(body, key).unwrap_or_default();
    let head = format!("{}{key}: {scalar}", " ".repeat(indent));
    let new = match comment_at(rest) {
        Some(c) => {
            let column = body.len() - rest.len() + c;
            let pad = column.saturating_sub(head.len()).max(1);
            format!("{head}{}{}", " ".repeat(pad), &rest[c..])
        }
        None => head,
    };
    let mut out = String::new();
    for (j, l) in ls.iter().enumerate() {
        if j == i {
            out.push_str(&new);
            out.push_str(ending);
        } else {
            out.push_str(l);
        }
    }
    out
}

/// Add `path` (its first segment missing from the block `start..end`,
/// whose children sit at `indent`) after the block's last structural line.
fn add(
    ls: &[&str],
    start: usize,
    end: usize,
    indent: usize,
    path: &[&str],
    scalar: &str,
) -> (String, How) {
    let at = (start..end)
        .rev()
        .find(|&i| !inert(ls[i]))
        .map_or(if start == 0 { ls.len() } else { start }, |i| i + 1);
    let mut lines = String::new();
    for (d, seg) in path.iter().enumerate() {
        let pad = " ".repeat(indent + 2 * d);
        if d + 1 == path.len() {
            lines.push_str(&format!("{pad}{seg}: {scalar}\n"));
        } else {
            lines.push_str(&format!("{pad}{seg}:\n"));
        }
    }
    let mut out = String::new();
    for l in &ls[..at] {
        out.push_str(l);
    }
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&lines);
    for l in &ls[at..] {
        out.push_str(l);
    }
    (out, How::Added { line: at + 1 })
}

/// What `gemba tune` did.
#[derive(Debug, Clone, Serialize)]
pub struct TuneReport {
    pub key: String,
    pub old: Value,
    pub new: Value,
    pub reason: String,
    /// `in_place` or `added`, with the line.
    pub how: How,
    /// The suggestion approved, when it came from one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

/// Read config.yaml, plan the change, write it (with `also`, all or
/// nothing) and return the `tune` event (the caller finishes the
/// transaction). `suggestion`: the tune suggestion being approved.
#[allow(clippy::too_many_arguments)]
pub fn tune(
    tx: &mut Changes<'_>,
    key: &str,
    value: &str,
    reason: &str,
    suggestion: Option<&str>,
    also: Vec<(PathBuf, Option<Vec<u8>>)>,
    actor: &str,
    now: Timestamp,
) -> Result<(TuneReport, Event)> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::Invalid("a tune needs a reason (--reason)".into()));
    }
    let store = tx.store();
    // `supply source add|remove` edits config.yaml under this lock too.
    let _lock = store.lock(Scope::Supply)?;
    let path = store.config_path();
    let text = std::fs::read_to_string(&path).map_err(|source| store::Error::Io {
        path: path.clone(),
        source,
    })?;
    let current: Config = crate::format::from_yaml(&path, &text).map_err(store::Error::from)?;
    let plan = plan(&text, &current, key, value).map_err(|e| match e {
        Error::Edit { key, message, .. } => Error::Edit {
            path: store.show(&path),
            key,
            message,
        },
        other => other,
    })?;
    let mut changes = vec![(path, Some(plan.text.clone().into_bytes()))];
    changes.extend(also);
    tx.replace_all(changes)?;
    let (old, new) = (show(&plan.old), show(&plan.new));
    let from = suggestion
        .map(|s| format!(" (suggestion {s})"))
        .unwrap_or_default();
    let event = Event::new(
        now,
        actor,
        EventKind::Tune,
        Vec::new(),
        format!("tune {key}: {old} -> {new}{from}: {reason}"),
    )
    .with("key", key)
    .with("old", &plan.old)
    .with("new", &plan.new)
    .with("reason", reason)
    .with("how", plan.how)
    .with("suggestion", suggestion);
    Ok((
        TuneReport {
            key: key.to_string(),
            old: plan.old,
            new: plan.new,
            reason: reason.to_string(),
            how: plan.how,
            suggestion: suggestion.map(String::from),
        },
        event,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::CONFIG_TEMPLATE;

    fn parse(text: &str) -> Config {
        crate::format::from_yaml(Path::new("c"), text).unwrap()
    }

    /// Same line count: the lines of `b` that differ, and those of `a`.
    fn diff(a: &str, b: &str) -> (Vec<String>, Vec<String>) {
        assert_eq!(a.lines().count(), b.lines().count());
        let pairs: Vec<(&str, &str)> = a.lines().zip(b.lines()).filter(|(x, y)| x != y).collect();
        (
            pairs.iter().map(|(_, y)| y.to_string()).collect(),
            pairs.iter().map(|(x, _)| x.to_string()).collect(),
        )
    }

    #[test]
    fn the_template_changes_one_line() {
        let config = parse(CONFIG_TEMPLATE);
        for (key, value, added, removed) in [
            (
                "scoring.affinity.concept",
                "0.3",
                "    concept: 0.3     # concept overlap (cosine) with the session and agent profiles",
                "    concept: 0.25    # concept overlap (cosine) with the session and agent profiles",
            ),
            (
                "scoring.affinity_share",
                "0.6",
                "  affinity_share: 0.6",
                "  affinity_share: 0.7",
            ),
            ("claims.lease", "30m", "  lease: 30m", "  lease: 2h"),
            (
                "git.auto_commit",
                "true",
                "  auto_commit: true",
                "  auto_commit: false",
            ),
            (
                "enrich.size_small_max_chars",
                "200",
                "  size_small_max_chars: 200",
                "  size_small_max_chars: 400",
            ),
            ("ids.prefix", "123", "  prefix: \"123\"", "  prefix: gm"),
        ] {
            let p = plan(CONFIG_TEMPLATE, &config, key, value).unwrap();
            assert_eq!(
                diff(CONFIG_TEMPLATE, &p.text),
                (vec![added.to_string()], vec![removed.to_string()]),
                "{key}"
            );
            assert!(matches!(p.how, How::InPlace { .. }), "{key}");
            assert_eq!(CONFIG_TEMPLATE.lines().count(), p.text.lines().count());
        }
        let p = plan(CONFIG_TEMPLATE, &config, "scoring.affinity_share", "0.6").unwrap();
        assert_eq!(p.config.scoring.affinity_share, 0.6);
        assert_eq!(p.old, serde_json::json!(0.7));
        assert_eq!(p.new, serde_json::json!(0.6));
    }

    /// Every scalar of the template can be tuned to a valid other value,
    /// and each edit changes exactly that key's line.
    #[test]
    fn every_template_key_is_one_line() {
        let config = parse(CONFIG_TEMPLATE);
        let mut keys = Vec::new();
        scalar_keys("", &serde_json::to_value(&config).unwrap(), &mut keys);
        assert!(keys.len() > 60, "{keys:?}");
        let mut stuck = Vec::new();
        let mut added_keys = Vec::new();
        for key in &keys {
            let leaf = key.rsplit('.').next().unwrap();
            let candidates = [
                "1", "0.5", "0.6", "0.9", "3", "7", "5000", "true", "false", "3h", "xq", "local",
                "none", "origin",
            ];
            let Some(p) = candidates
                .iter()
                .find_map(|v| plan(CONFIG_TEMPLATE, &config, key, v).ok())
            else {
                stuck.push(key.clone());
                continue;
            };
            let line = match p.how {
                How::InPlace { line } => {
                    let (added, removed) = diff(CONFIG_TEMPLATE, &p.text);
                    assert_eq!((added.len(), removed.len()), (1, 1), "{key}");
                    line
                }
                // Keys the template leaves to their default: one line more.
                How::Added { line } => {
                    assert_eq!(
                        CONFIG_TEMPLATE.lines().count() + 1,
                        p.text.lines().count(),
                        "{key}"
                    );
                    added_keys.push(key.clone());
                    line
                }
            };
            let text = p.text.lines().nth(line - 1).unwrap();
            assert!(
                text.trim_start().starts_with(&format!("{leaf}: ")),
                "{key}: {text}"
            );
        }
        // queue.absent_after, idle_rescan and target_depth, today.
        assert!(added_keys.len() <= 4, "{added_keys:?}");
        assert!(stuck.is_empty(), "{stuck:?}");
    }

    #[test]
    fn absent_keys_are_added() {
        for (text, key, want) in [
            (
                "# mine\nscoring:\n    leverage_k: 2  # steep\n\n# next\nqueue:\n    max_attempts: 2\n",
                "scoring.affinity_share",
                "# mine\nscoring:\n    leverage_k: 2  # steep\n    affinity_share: 0.6\n\n# next\nqueue:\n    max_attempts: 2\n",
            ),
            (
                "queue:\n  max_attempts: 2\n",
                "scoring.affinity.file",
                "queue:\n  max_attempts: 2\nscoring:\n  affinity:\n    file: 0.6\n",
            ),
            ("{}\n", "scoring.affinity_share", ""),
            (
                "scoring:\n  affinity:\n    concept: 0.5\n",
                "scoring.affinity.file",
                "scoring:\n  affinity:\n    concept: 0.5\n    file: 0.6\n",
            ),
            (
                "scoring:\n  affinity_share: 0.5",
                "scoring.affinity_share",
                "scoring:\n  affinity_share: 0.6",
            ),
        ] {
            let config = parse(text);
            match plan(text, &config, key, "0.6") {
                Ok(p) => {
                    assert_eq!(p.text, want, "{text:?}");
                    let mut expect = config.clone();
                    match key {
                        "scoring.affinity_share" => expect.scoring.affinity_share = 0.6,
                        _ => expect.scoring.affinity.file = 0.6,
                    }
                    assert_eq!(parse(&p.text), expect);
                }
                // A flow-style document cannot take a block line.
                Err(e) => assert!(want.is_empty(), "{text:?}: {e}"),
            }
        }
    }

    #[test]
    fn bad_keys_and_values_change_nothing() {
        let config = parse(CONFIG_TEMPLATE);
        for (key, value, want) in [
            ("scoring.affinity.concpt", "0.3", "unknown config key"),
            ("scorin.affinity_share", "0.3", "unknown config key"),
            ("scoring.affinity", "0.3", "is a section"),
            ("scoring.affinity_share", "1.5", "between 0 and 1"),
            ("scoring.affinity_share", "high", "invalid type"),
            ("scoring.affinity_share", "[1]", "not a single value"),
            ("scoring.affinity_share", "", "empty"),
            ("scoring.affinity_share", "0.7", "already 0.7"),
            ("enrich.size_small_max_chars", "-3", "invalid value"),
            (
                "enrich.size_small_max_chars",
                "5000",
                "below enrich.size_large_min_chars",
            ),
            ("claims.lease", "soon", ""),
            ("hooks.on_done", "x", "lists"),
        ] {
            let err = plan(CONFIG_TEMPLATE, &config, key, value).unwrap_err();
            assert!(err.to_string().contains(want), "{key}={value}: {err}");
        }
        let err = plan(CONFIG_TEMPLATE, &config, "scoring.affinity.concpt", "1").unwrap_err();
        assert!(err.to_string().contains("concept, epic, file"), "{err}");
    }

    #[test]
    fn flow_style_is_refused() {
        let text = "scoring: {affinity_share: 0.5}\n";
        let err = plan(text, &parse(text), "scoring.affinity_share", "0.6").unwrap_err();
        assert!(err.to_string().contains("flow style"), "{err}");
    }

    #[test]
    fn comments_with_quotes_and_hashes() {
        let text = "retro:\n  link:\n    trailer: 'A#B'   # the key\n";
        let p = plan(text, &parse(text), "retro.link.trailer", "Fixes").unwrap();
        assert_eq!(p.text, "retro:\n  link:\n    trailer: Fixes   # the key\n");
    }
}
