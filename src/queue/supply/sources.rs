//! Demand sources: each kind's output parsed into [`Item`]s (pure), and
//! the filters and the autonomy gate a source configures (pure). Reading
//! a file or running a command is in [`read`], the one I/O here.
//!
//! Every item has a stable key, `<source>:<item key>`, by which `gemba
//! supply` remembers what it enqueued:
//! - backlog: its `id`, else `t-` and a hash of its title;
//! - github: `owner/repo#12` (from its url), else `#12`;
//! - hn: its `objectID`;
//! - todo: `t-` and a hash of the task's text (so editing it makes a new
//!   item; the same text twice is one item);
//! - beads: the bead id.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};

use crate::format::ParseError;
use crate::model::id;
use crate::model::supply::{BacklogItem, Source, SourceKind};

/// One unit of demand, whatever its source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    /// `<source>:<item key>`: never enqueued twice.
    pub key: String,
    pub source: String,
    pub kind: SourceKind,
    /// Its id in the source (backlog id, issue number, objectID, bead id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub title: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Backlog score, Hacker News points.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// Acceptance criteria the item brings (backlog).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub acceptance: Vec<String>,
    /// The bead it is (beads sources).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bead: Option<String>,
    /// Its own priority (a bead's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<u8>,
    /// Where it is, for messages: `ideas.yaml`, `TODO.md:12`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub origin: String,
}

impl Item {
    fn new(source: &Source, key: &str, title: String) -> Item {
        Item {
            // Made full by `keyed`.
            key: key.to_string(),
            source: source.name.clone(),
            kind: source.kind,
            id: None,
            title,
            body: String::new(),
            url: None,
            score: None,
            labels: Vec::new(),
            acceptance: Vec::new(),
            bead: None,
            priority: None,
            origin: String::new(),
        }
    }
}

/// A source's output (its file, or its command's stdout, named by `path`
/// in errors), parsed. Beads sources are read from the store instead.
pub fn parse(source: &Source, path: &Path, text: &str) -> Result<Vec<Item>, ParseError> {
    let items = match source.kind {
        SourceKind::Backlog => backlog(source, path, text)?,
        SourceKind::Github => github(source, path, text)?,
        SourceKind::Hn => hn(source, path, text)?,
        SourceKind::Todo => todo(source, path, text),
        SourceKind::Beads => Vec::new(),
    };
    Ok(keyed(source, items))
}

/// `items` with their keys made full (`<source>:<item key>`): an item key
/// that would not make a valid id (too long once escaped) is replaced by
/// its hash.
pub fn keyed(source: &Source, mut items: Vec<Item>) -> Vec<Item> {
    for item in &mut items {
        let full = format!("{}:{}", source.name, item.key);
        item.key = if id::validate(&full).is_ok() {
            full
        } else {
            format!("{}:{}", source.name, text_key(&item.key))
        };
    }
    items
}

/// `t-` and 10 base36 digits of a hash of `text`, whitespace collapsed and
/// lower-cased (reflowing a line does not make it new).
pub fn text_key(text: &str) -> String {
    let normal: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    format!(
        "t-{}",
        crate::hash::base36(crate::hash::fnv1a(normal.join(" ").as_bytes()), 10)
    )
}

// ------------------------------------------------------------- backlog

fn backlog(source: &Source, path: &Path, text: &str) -> Result<Vec<Item>, ParseError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Items {
        items: Vec<Checked>,
    }
    /// An item whose id and title are checked while parsing, so the
    /// error has the position.
    #[derive(Deserialize)]
    #[serde(transparent)]
    struct Checked(#[serde(deserialize_with = "checked_item")] BacklogItem);

    // A list, or a map holding `items:` (decided by the first token, so
    // the error names what is wrong rather than "matched no form").
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#') && *l != "---");
    let items: Vec<Checked> = match first {
        None => Vec::new(),
        Some(l) if l.starts_with('-') || l.starts_with('[') => {
            crate::format::from_yaml(path, text)?
        }
        Some(_) => crate::format::from_yaml::<Items>(path, text)?.items,
    };
    Ok(items
        .into_iter()
        .map(|Checked(b)| {
            let key = match &b.id {
                Some(id) => id.clone(),
                None => text_key(&b.title),
            };
            let mut item = Item::new(source, &key, b.title.trim().to_string());
            item.id = b.id;
            item.body = b.body;
            item.score = b.score;
            item.labels = b.labels;
            item.url = b.url;
            item.acceptance = b.acceptance;
            item.origin = path.display().to_string();
            item
        })
        .collect())
}

fn checked_item<'de, D: Deserializer<'de>>(d: D) -> Result<BacklogItem, D::Error> {
    use serde::de::Error;
    let item = BacklogItem::deserialize(d)?;
    if item.title.trim().is_empty() {
        return Err(D::Error::custom("title: must not be empty"));
    }
    if let Some(id) = &item.id {
        item_id(id).map_err(D::Error::custom)?;
    }
    if item.score.is_some_and(|s| !s.is_finite()) {
        return Err(D::Error::custom("score: must be a number"));
    }
    Ok(item)
}

/// An item id from a source: it becomes part of a key, which must be a
/// valid id (no `..`, no whitespace, no control characters).
fn item_id(id: &str) -> Result<(), String> {
    id::validate(id).map_err(|e| format!("id {:?}: {}", e.id, e.reason))?;
    if id.contains(':') {
        return Err(format!("id {id:?}: must not contain `:`"));
    }
    Ok(())
}

// -------------------------------------------------------------- github

fn github(source: &Source, path: &Path, text: &str) -> Result<Vec<Item>, ParseError> {
    #[derive(Deserialize)]
    struct Issue {
        number: u64,
        title: String,
        #[serde(default)]
        body: Option<String>,
        #[serde(default)]
        labels: Vec<Label>,
        #[serde(default)]
        url: Option<String>,
    }
    #[derive(Deserialize)]
    struct Label {
        name: String,
    }
    let issues: Vec<Issue> = crate::format::from_json(path, text.as_bytes())?;
    Ok(issues
        .into_iter()
        .filter(|i| !i.title.trim().is_empty())
        .map(|i| {
            let key = match i.url.as_deref().and_then(repo_of) {
                Some(repo) => format!("{repo}#{}", i.number),
                None => format!("#{}", i.number),
            };
            let mut item = Item::new(source, &key, i.title.trim().to_string());
            item.id = Some(i.number.to_string());
            item.body = i.body.unwrap_or_default();
            item.labels = i.labels.into_iter().map(|l| l.name).collect();
            item.url = i.url;
            item.origin = path.display().to_string();
            item
        })
        .collect())
}

/// `owner/repo` of an issue url (`https://github.com/owner/repo/issues/12`,
/// also GitHub Enterprise hosts); `None` when it does not look like one.
fn repo_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let mut parts = rest.split('/');
    let (_host, owner, repo) = (parts.next()?, parts.next()?, parts.next()?);
    let plain = |s: &str| {
        !s.is_empty()
            && s != "."
            && s != ".."
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    (plain(owner) && plain(repo)).then(|| format!("{owner}/{repo}"))
}

// ------------------------------------------------------------------ hn

fn hn(source: &Source, path: &Path, text: &str) -> Result<Vec<Item>, ParseError> {
    #[derive(Deserialize)]
    struct Search {
        hits: Vec<Hit>,
    }
    #[derive(Deserialize)]
    struct Hit {
        #[serde(rename = "objectID", deserialize_with = "object_id")]
        object_id: String,
        #[serde(default)]
        title: Option<String>,
        #[serde(default)]
        url: Option<String>,
        #[serde(default)]
        points: Option<f64>,
        #[serde(default, rename = "_tags")]
        tags: Vec<String>,
        #[serde(default)]
        story_text: Option<String>,
    }
    let search: Search = crate::format::from_json(path, text.as_bytes())?;
    Ok(search
        .hits
        .into_iter()
        // Comments have no title: not demand by themselves.
        .filter_map(|h| {
            let title = h.title.filter(|t| !t.trim().is_empty())?;
            let mut item = Item::new(source, &h.object_id, title.trim().to_string());
            item.url = Some(h.url.filter(|u| !u.is_empty()).unwrap_or_else(|| {
                format!("https://news.ycombinator.com/item?id={}", h.object_id)
            }));
            item.id = Some(h.object_id);
            item.body = h.story_text.unwrap_or_default();
            item.score = h.points;
            item.labels = h.tags;
            item.origin = path.display().to_string();
            Some(item)
        })
        .collect())
}

fn object_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    use serde::de::Error;
    let id = String::deserialize(d)?;
    item_id(&id).map_err(D::Error::custom)?;
    Ok(id)
}

// ---------------------------------------------------------------- todo

/// `- [ ] text` (also `*`, `+`, `1.` markers), open tasks only; indented
/// non-task lines right under a task are its body; `#tag` words are its
/// labels. Never fails: other lines are not tasks.
fn todo(source: &Source, path: &Path, text: &str) -> Vec<Item> {
    let mut items: Vec<Item> = Vec::new();
    // The indentation of the last open task, while its body may follow.
    let mut open: Option<usize> = None;
    for (n, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        match task(line) {
            Some((done, title)) => {
                open = None;
                if done || title.is_empty() {
                    continue;
                }
                let mut item = Item::new(source, &text_key(title), title.to_string());
                item.labels = tags(title);
                item.origin = format!("{}:{}", path.display(), n + 1);
                items.push(item);
                open = Some(indent);
            }
            None => match open {
                Some(at) if indent > at && !line.trim().is_empty() => {
                    let item = items.last_mut().expect("an open task was pushed");
                    if !item.body.is_empty() {
                        item.body.push('\n');
                    }
                    item.body.push_str(line.trim());
                }
                _ => open = None,
            },
        }
    }
    items
}

/// A task line: whether it is done, and its text.
fn task(line: &str) -> Option<(bool, &str)> {
    let t = line.trim_start();
    let rest = if let Some(r) = t
        .strip_prefix("- ")
        .or_else(|| t.strip_prefix("* "))
        .or_else(|| t.strip_prefix("+ "))
    {
        r
    } else {
        let digits = t.bytes().take_while(u8::is_ascii_digit).count();
        let r = t.get(digits..)?;
        if digits == 0 {
            return None;
        }
        r.strip_prefix(". ").or_else(|| r.strip_prefix(") "))?
    };
    let rest = rest.trim_start();
    let (done, text) = if let Some(r) = rest.strip_prefix("[ ]") {
        (false, r)
    } else if let Some(r) = rest
        .strip_prefix("[x]")
        .or_else(|| rest.strip_prefix("[X]"))
    {
        (true, r)
    } else {
        return None;
    };
    Some((done, text.trim()))
}

/// `#tag` words of a task line (not `#12`, an issue reference).
fn tags(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .split_whitespace()
        .filter_map(|w| w.strip_prefix('#'))
        .map(|w| w.trim_end_matches(|c: char| !c.is_alphanumeric() && c != '-' && c != '_'))
        .filter(|w| !w.is_empty() && !w.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_string)
        .collect();
    let mut once = std::collections::HashSet::new();
    out.retain(|t| once.insert(t.clone()));
    out
}

// ---------------------------------------------------- filters and gates

/// Whether the item is demand this source wants: one of its `labels`
/// (when it names any) and one of its `words` (when it names any).
pub fn wanted(source: &Source, item: &Item) -> bool {
    let labelled = source.labels.is_empty()
        || item
            .labels
            .iter()
            .any(|l| source.labels.iter().any(|w| w.eq_ignore_ascii_case(l)));
    if !labelled {
        return false;
    }
    if source.words.is_empty() {
        return true;
    }
    let text = format!("{}\n{}", item.title, item.body).to_lowercase();
    source
        .words
        .iter()
        .any(|w| text.contains(&w.trim().to_lowercase()))
}

/// Why an item may not be dispatched without a person.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Gate {
    /// Below the source's `min_score` (or unscored) and not allowlisted.
    LowScore { score: Option<f64>, min_score: f64 },
    /// The source has an allowlist and no `min_score`, and the item is
    /// not on it.
    NotAllowlisted,
}

impl std::fmt::Display for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Gate::LowScore {
                score: Some(s),
                min_score,
            } => write!(f, "score {s} is below min_score {min_score}"),
            Gate::LowScore {
                score: None,
                min_score,
            } => write!(f, "no score (min_score {min_score})"),
            Gate::NotAllowlisted => f.write_str("not on the allowlist"),
        }
    }
}

/// The autonomy gate: an allowlisted item passes; otherwise, with a
/// `min_score`, an item scoring at least that; with only an allowlist,
/// nothing else.
pub fn gate(source: &Source, item: &Item) -> Option<Gate> {
    if !source.gated() {
        return None;
    }
    let listed = source.allowlist.iter().any(|a| {
        Some(a.as_str()) == item.id.as_deref()
            || *a == item.key
            || item.key.split_once(':').is_some_and(|(_, k)| k == a)
    });
    if listed {
        return None;
    }
    match source.min_score {
        Some(min) if item.score.is_some_and(|s| s >= min) => None,
        Some(min) => Some(Gate::LowScore {
            score: item.score,
            min_score: min,
        }),
        None => Some(Gate::NotAllowlisted),
    }
}

// ------------------------------------------------------------------ I/O

/// Where a source's text came from, for messages: its file, or its
/// command as `$ gh issue list ...`.
pub fn read(source: &Source, repo_root: &Path) -> Result<(PathBuf, String), String> {
    if let Some(path) = &source.path {
        let full = repo_root.join(path);
        let text = std::fs::read_to_string(&full).map_err(|e| format!("{path}: {e}"))?;
        return Ok((PathBuf::from(path), text));
    }
    let timeout = std::time::Duration::from_secs(source.timeout().as_secs().unsigned_abs());
    let out = super::command::run(&source.command, repo_root, None, timeout)
        .map_err(|e| e.to_string())?;
    let shown = format!("$ {}", crate::analysis::external::display(&source.command));
    let text = String::from_utf8(out).map_err(|e| format!("{shown}: output is not UTF-8: {e}"))?;
    Ok((PathBuf::from(shown), text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(kind: SourceKind) -> Source {
        Source::new(kind.as_str(), kind)
    }

    fn p(name: &str) -> &Path {
        Path::new(name)
    }

    /// What `gh issue list --json number,title,body,labels,url` prints.
    const GH: &str = r#"[
  {
    "body": "Login loses the `next` parameter.\n\nSee src/auth/redirect.rs",
    "labels": [
      {"id": "LA_kwDOA1", "name": "bug", "description": "", "color": "d73a4a"},
      {"id": "LA_kwDOA2", "name": "factory-candidate", "description": "", "color": "0e8a16"}
    ],
    "number": 12,
    "title": "Login redirect drops the query string",
    "url": "https://github.com/acme/webapp/issues/12"
  },
  {
    "body": "",
    "labels": [],
    "number": 13,
    "title": "Docs: typo in README",
    "url": "https://github.com/acme/webapp/issues/13"
  }
]"#;

    #[test]
    fn github_issues() {
        let items = parse(&source(SourceKind::Github), p("gh.json"), GH).unwrap();
        assert_eq!(items.len(), 2);
        let a = &items[0];
        assert_eq!(a.key, "github:acme/webapp#12");
        assert_eq!(a.id.as_deref(), Some("12"));
        assert_eq!(a.labels, ["bug", "factory-candidate"]);
        assert_eq!(
            a.url.as_deref(),
            Some("https://github.com/acme/webapp/issues/12")
        );
        assert!(a.body.contains("src/auth/redirect.rs"));
        let mut s = source(SourceKind::Github);
        s.labels = vec!["Factory-Candidate".into()];
        let kept: Vec<&str> = items
            .iter()
            .filter(|i| wanted(&s, i))
            .map(|i| i.key.as_str())
            .collect();
        assert_eq!(kept, ["github:acme/webapp#12"]);
        // No url: the number alone.
        let items = parse(
            &source(SourceKind::Github),
            p("gh.json"),
            r#"[{"number": 7, "title": "T"}]"#,
        )
        .unwrap();
        assert_eq!(items[0].key, "github:#7");
        let err = parse(
            &source(SourceKind::Github),
            p("gh.json"),
            "[\n  {\"number\": \"seven\", \"title\": \"T\"}\n]",
        )
        .unwrap_err();
        assert_eq!((err.line, err.path.as_path()), (2, p("gh.json")), "{err}");
        assert_eq!(
            repo_of("https://ghe.example.com/a/b/issues/1").as_deref(),
            Some("a/b")
        );
        assert_eq!(repo_of("https://github.com/../b/issues/1"), None);
    }

    /// An Algolia search (`hn.algolia.com/api/v1/search?tags=story&query=...`), trimmed.
    const HN: &str = r#"{
  "exhaustive": {"nbHits": false, "typo": false},
  "hits": [
    {
      "_highlightResult": {"title": {"matchLevel": "full", "value": "<em>Git</em> merges"}},
      "_tags": ["story", "author_pg", "story_38812345"],
      "author": "pg",
      "created_at": "2026-11-20T10:00:00Z",
      "num_comments": 120,
      "objectID": "38812345",
      "points": 412,
      "story_id": 38812345,
      "title": "Why git merges of JSONL logs go wrong",
      "updated_at": "2026-11-21T10:00:00Z",
      "url": "https://example.com/jsonl-merges"
    },
    {
      "_tags": ["story", "author_x", "story_38812399", "ask_hn"],
      "objectID": "38812399",
      "points": 8,
      "story_text": "Is there a tool that keeps agents from colliding?",
      "title": "Ask HN: Coordinating coding agents?",
      "url": null
    },
    {
      "_tags": ["comment", "author_y"],
      "comment_text": "Just use locks.",
      "objectID": "38812400",
      "points": null,
      "title": null
    }
  ],
  "hitsPerPage": 20,
  "nbHits": 3,
  "page": 0,
  "query": "git"
}"#;

    #[test]
    fn hacker_news_hits() {
        let items = parse(&source(SourceKind::Hn), p("hn.json"), HN).unwrap();
        assert_eq!(items.len(), 2, "the comment has no title");
        assert_eq!(items[0].key, "hn:38812345");
        assert_eq!(items[0].score, Some(412.0));
        assert_eq!(
            items[1].url.as_deref(),
            Some("https://news.ycombinator.com/item?id=38812399")
        );
        assert!(items[1].body.contains("colliding"));
        let mut s = source(SourceKind::Hn);
        s.labels = vec!["ask_hn".into()];
        assert_eq!(
            items.iter().filter(|i| wanted(&s, i)).count(),
            1,
            "tag filter"
        );
        s.labels = vec!["story".into()];
        s.words = vec!["JSONL".into(), "merge conflict".into()];
        let kept: Vec<&str> = items
            .iter()
            .filter(|i| wanted(&s, i))
            .map(|i| i.key.as_str())
            .collect();
        assert_eq!(kept, ["hn:38812345"], "tag and word filter");
        s.min_score = Some(100.0);
        assert_eq!(gate(&s, &items[0]), None);
        assert_eq!(
            gate(&s, &items[1]),
            Some(Gate::LowScore {
                score: Some(8.0),
                min_score: 100.0
            })
        );
        let err = parse(
            &source(SourceKind::Hn),
            p("hn.json"),
            "{\"hits\": [{\"objectID\": \"../x\", \"title\": \"T\"}]}",
        )
        .unwrap_err();
        assert!(err.message.contains("\"../x\""), "{err}");
        assert_eq!(err.line, 1, "{err}");
    }

    const TODO: &str = "# Inbox

- [ ] Add a --dry-run flag to gemba supply #cli
  It must change nothing.
  Print what would happen.
- [x] Write the design doc
* [ ] Fix the flaky race test in tests/cli/test_queue.rs #tests #12
  - [ ] nested subtask
1. [ ] numbered task
- plain bullet, not a task
- [ ]
-  [X] done with odd spacing
";

    #[test]
    fn todo_lines() {
        let items = parse(&source(SourceKind::Todo), p("TODO.md"), TODO).unwrap();
        let titles: Vec<&str> = items.iter().map(|i| i.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Add a --dry-run flag to gemba supply #cli",
                "Fix the flaky race test in tests/cli/test_queue.rs #tests #12",
                "nested subtask",
                "numbered task",
            ]
        );
        assert_eq!(
            items[0].body,
            "It must change nothing.\nPrint what would happen."
        );
        assert_eq!(items[0].origin, "TODO.md:3");
        assert_eq!(items[0].labels, ["cli"]);
        assert_eq!(items[1].labels, ["tests"], "#12 is a reference, not a tag");
        assert!(items[1].body.is_empty(), "a subtask is its own item");
        assert!(items[0].key.starts_with("todo:t-"));
        // Reflowed or re-cased text is the same item.
        assert_eq!(
            text_key("Add a  --dry-run flag"),
            text_key("add a --dry-run\tflag")
        );
        assert_ne!(text_key("a"), text_key("b"));
    }

    const BACKLOG: &str = "# Ideas, scored by the weekly triage.
items:
  - id: idea-1
    title: Supply from RSS feeds
    body: Read feeds of friction signals.
    score: 0.9
    labels: [supply]
  - title: A web dashboard
    score: 0.3
  - id: idea-3
    title: Burn-down chart in queue status
    acceptance:
      - the chart fits 80 columns
";

    #[test]
    fn backlog_items_and_the_gate() {
        let items = parse(&source(SourceKind::Backlog), p("ideas.yaml"), BACKLOG).unwrap();
        let keys: Vec<&str> = items.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys[0], "backlog:idea-1");
        assert!(keys[1].starts_with("backlog:t-"), "{keys:?}");
        assert_eq!(keys[2], "backlog:idea-3");
        assert_eq!(items[2].acceptance, ["the chart fits 80 columns"]);
        // The list form reads the same.
        let list = BACKLOG.replace("items:\n", "").replace("\n  ", "\n");
        let again = parse(&source(SourceKind::Backlog), p("ideas.yaml"), &list).unwrap();
        assert_eq!(again, items);

        let mut s = source(SourceKind::Backlog);
        s.min_score = Some(0.5);
        s.allowlist = vec!["idea-3".into()];
        let gates: Vec<Option<Gate>> = items.iter().map(|i| gate(&s, i)).collect();
        assert_eq!(
            gates,
            [
                None,
                Some(Gate::LowScore {
                    score: Some(0.3),
                    min_score: 0.5
                }),
                None, // unscored, but allowlisted
            ]
        );
        s.min_score = None;
        assert_eq!(gate(&s, &items[0]), Some(Gate::NotAllowlisted));
        assert_eq!(gate(&s, &items[2]), None);
        s.allowlist = vec!["backlog:idea-1".into()];
        assert_eq!(gate(&s, &items[0]), None, "a full key also allowlists");
    }

    #[test]
    fn malformed_backlogs_name_file_line_and_column() {
        let s = source(SourceKind::Backlog);
        for (text, line, why) in [
            ("items:\n  - title: A\n    scor: 3\n", 3, "scor"),
            (
                "items:\n  - title: A\n  - id: ../x\n    title: B\n",
                3,
                "\"../x\"",
            ),
            ("- title: A\n- title: '  '\n", 2, "title"),
            ("items:\n  - title: [unclosed\n", 2, ""),
            ("- id: a:b\n  title: A\n", 1, "`:`"),
        ] {
            let err = parse(&s, p("ideas.yaml"), text).unwrap_err();
            assert_eq!(err.path, p("ideas.yaml"), "{text}");
            assert_eq!(err.line, line, "{text}: {err}");
            assert!(err.column > 0, "{text}: {err}");
            assert!(err.message.contains(why), "{text}: {err}");
        }
        assert!(parse(&s, p("x"), "# nothing yet\n").unwrap().is_empty());
    }
}
