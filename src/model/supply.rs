//! The supply pipeline's files: `supply:` in `config.yaml` (demand
//! sources, the spec template, the generator), the idea backlog format a
//! `backlog` source reads, and `.gemba/supply/seen/<key>.json`, one file per
//! source item `gemba supply` has enqueued (so it never enqueues it again).
//!
//! ```yaml
//! supply:
//!   sources:
//!   - name: github
//!     kind: github
//!     command: [gh, issue, list, --json, "number,title,body,labels,url"]
//!     labels: [factory-candidate]
//!   - name: ideas
//!     kind: backlog
//!     path: ideas.yaml
//!     min_score: 0.7
//!     allowlist: [idea-12]
//! ```

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::duration::Duration;

/// `supply:` in `config.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SupplyConfig {
    /// Where demand comes from, read in this order (the order also ranks
    /// items of equal priority when queues have fewer free places than
    /// there are items).
    pub sources: Vec<Source>,
    /// How an item becomes a packet spec, unless a generator is set.
    pub template: Template,
    /// A command (argv, no shell) that reads an item as JSON on stdin and
    /// prints its packet spec as JSON; empty: the template. A source's own
    /// `generator` overrides it.
    pub generator: Vec<String>,
    /// How long the generator may run for one item.
    pub generator_timeout: Duration,
}

impl Default for SupplyConfig {
    fn default() -> SupplyConfig {
        SupplyConfig {
            sources: Vec::new(),
            template: Template::default(),
            generator: Vec::new(),
            generator_timeout: Duration::from_secs(120),
        }
    }
}

/// How long a source command may run unless its `timeout` says otherwise.
pub const DEFAULT_SOURCE_TIMEOUT: Duration = Duration::from_secs(60);

/// One demand source: a file or a command whose output is read, or
/// gemba's own ready beads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Letters, digits, `-`, `_`, `.`; unique. The first part of every
    /// item key (`<name>:<item key>`), so renaming a source makes its
    /// items new.
    pub name: String,
    pub kind: SourceKind,
    /// A file to read (relative to the repository root unless absolute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// A command (argv, no shell) whose stdout is read, run in the
    /// repository root.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// How long the command may run [default: 60s].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// Only items carrying one of these labels (GitHub labels, Hacker News
    /// `_tags`, backlog `labels`, bead labels, `#tags` in a TODO line).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// Only items whose title or body contains one of these words or
    /// phrases (case-insensitive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<String>,
    /// Autonomous dispatch: only items scoring at least this (backlog
    /// `score`, Hacker News points), or allowlisted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_score: Option<f64>,
    /// Autonomous dispatch: item ids (or full keys) that may go whatever
    /// their score. With an allowlist and no `min_score`, only these go.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowlist: Vec<String>,
    /// The packets' priority, 0 (most urgent) to 4 [default: 2; beads
    /// keep their own].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 4))]
    pub priority: Option<u8>,
    /// The role or capability its packets need (`requires`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires: Option<String>,
    /// This source's spec generator (argv), instead of `supply.generator`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub generator: Vec<String>,
}

impl Source {
    /// A source of `kind` named `name`, reading nothing yet.
    pub fn new(name: &str, kind: SourceKind) -> Source {
        Source {
            name: name.to_string(),
            kind,
            path: None,
            command: Vec::new(),
            timeout: None,
            labels: Vec::new(),
            words: Vec::new(),
            min_score: None,
            allowlist: Vec::new(),
            priority: None,
            requires: None,
            generator: Vec::new(),
        }
    }

    pub fn timeout(&self) -> Duration {
        self.timeout.unwrap_or(DEFAULT_SOURCE_TIMEOUT)
    }

    /// Whether autonomy is gated (a minimum score or an allowlist).
    pub fn gated(&self) -> bool {
        self.min_score.is_some() || !self.allowlist.is_empty()
    }

    /// Rules serde cannot express; `at` names it in messages.
    fn validate(&self, at: &str) -> Result<(), String> {
        validate_name(&self.name).map_err(|e| format!("{at}.name: {e}"))?;
        let has_path = self.path.is_some();
        let has_command = !self.command.is_empty();
        match (self.kind, has_path, has_command) {
            (SourceKind::Beads, false, false) => {}
            (SourceKind::Beads, _, _) => {
                return Err(format!(
                    "{at}: a beads source reads the store; it takes no path or command"
                ));
            }
            (_, true, true) => {
                return Err(format!("{at}: give a path or a command, not both"));
            }
            (kind, false, false) => {
                return Err(format!("{at}: a {kind} source needs a path or a command"));
            }
            _ => {}
        }
        if self.path.as_deref().is_some_and(|p| p.trim().is_empty()) {
            return Err(format!("{at}.path: empty"));
        }
        argv(&self.command).map_err(|e| format!("{at}.command: {e}"))?;
        argv(&self.generator).map_err(|e| format!("{at}.generator: {e}"))?;
        if self.timeout.is_some() && !has_command {
            return Err(format!("{at}.timeout: only a command source has a timeout"));
        }
        for (field, items) in [
            ("labels", &self.labels),
            ("words", &self.words),
            ("allowlist", &self.allowlist),
        ] {
            if let Some(bad) = items.iter().find(|i| i.trim().is_empty()) {
                return Err(format!("{at}.{field}: {bad:?} is empty"));
            }
        }
        if let Some(min) = self.min_score
            && !min.is_finite()
        {
            return Err(format!("{at}.min_score: must be a number"));
        }
        if let Some(p) = self.priority
            && p > super::packet::MAX_PRIORITY
        {
            return Err(format!("{at}.priority: {p} is out of range 0-4"));
        }
        if let Some(r) = &self.requires
            && (r.trim().is_empty() || r.chars().any(char::is_whitespace))
        {
            return Err(format!("{at}.requires: {r:?} must be one word"));
        }
        Ok(())
    }
}

/// A command line: empty (none), or a program that is not blank.
fn argv(argv: &[String]) -> Result<(), String> {
    match argv.first() {
        Some(program) if program.trim().is_empty() => Err("the program name is empty".into()),
        _ => Ok(()),
    }
}

/// Longest source name.
pub const MAX_NAME_LEN: usize = 64;

/// A source name: letters, digits, `-`, `_`, `.`, starting with a letter or
/// digit (it starts every item key, which must be a valid id).
pub fn validate_name(name: &str) -> Result<(), String> {
    let ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && name.len() <= MAX_NAME_LEN;
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a source name: use letters, digits, `-`, `_` and `.`, starting with a letter or digit, at most {MAX_NAME_LEN} characters"
        ))
    }
}

/// What a source's output looks like.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// An idea backlog (YAML): items with `id`, `title`, `body`, `score`,
    /// `labels`, `url`, `acceptance` (see schema/backlog.schema.json).
    Backlog,
    /// GitHub issues as `gh issue list --json
    /// number,title,body,labels,url` prints them.
    Github,
    /// Hacker News stories as the Algolia search API returns them: `hits`
    /// with `objectID`, `title`, `url`, `points`, `_tags`.
    Hn,
    /// Markdown task lines: `- [ ] ...` (done ones, `- [x]`, are skipped).
    Todo,
    /// gemba's own ready beads that nobody has claimed.
    Beads,
}

impl SourceKind {
    pub const ALL: [SourceKind; 5] = [
        SourceKind::Backlog,
        SourceKind::Github,
        SourceKind::Hn,
        SourceKind::Todo,
        SourceKind::Beads,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Backlog => "backlog",
            SourceKind::Github => "github",
            SourceKind::Hn => "hn",
            SourceKind::Todo => "todo",
            SourceKind::Beads => "beads",
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A packet spec from an item's fields. Placeholders: `{title}`, `{body}`,
/// `{url}`, `{id}`, `{key}`, `{source}`, `{kind}`, `{score}`, `{labels}`;
/// `{{` and `}}` are literal braces. A line whose placeholders are all
/// empty is left out (`Source: {url}` for an item without a url).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Template {
    pub title: String,
    pub body: String,
    /// Acceptance criteria, one per entry (the item's own follow).
    pub acceptance: Vec<String>,
}

impl Default for Template {
    fn default() -> Template {
        Template {
            title: "{title}".into(),
            body: "{body}\n\nSource: {url}".into(),
            acceptance: Vec::new(),
        }
    }
}

/// The placeholders a template may use.
pub const PLACEHOLDERS: [&str; 9] = [
    "title", "body", "url", "id", "key", "source", "kind", "score", "labels",
];

/// A template text as literal and placeholder pieces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(std::borrow::Cow<'a, str>),
    Field(&'a str),
}

/// Split a template text; an unknown placeholder or an unclosed `{` is an
/// error naming it.
pub fn pieces(text: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        literal.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("{{") {
            literal.push('{');
            rest = after;
        } else if let Some(after) = tail.strip_prefix("}}") {
            literal.push('}');
            rest = after;
        } else if tail.starts_with('}') {
            return Err(format!("a lone `}}` in {text:?} (write `}}}}`)"));
        } else {
            let end = tail
                .find('}')
                .ok_or_else(|| format!("an unclosed `{{` in {text:?}"))?;
            let name = &tail[1..end];
            if !PLACEHOLDERS.contains(&name) {
                return Err(format!(
                    "unknown placeholder {{{name}}} in {text:?} (known: {})",
                    PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
                ));
            }
            if !literal.is_empty() {
                out.push(Piece::Text(std::mem::take(&mut literal).into()));
            }
            out.push(Piece::Field(name));
            rest = &tail[end + 1..];
        }
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        out.push(Piece::Text(literal.into()));
    }
    Ok(out)
}

impl SupplyConfig {
    pub fn validate(&self) -> Result<(), String> {
        let mut names = std::collections::BTreeSet::new();
        for (i, source) in self.sources.iter().enumerate() {
            source.validate(&format!("supply.sources[{i}]"))?;
            if !names.insert(source.name.as_str()) {
                return Err(format!(
                    "supply.sources[{i}].name: {:?} is used twice",
                    source.name
                ));
            }
        }
        let t = &self.template;
        pieces(&t.title).map_err(|e| format!("supply.template.title: {e}"))?;
        pieces(&t.body).map_err(|e| format!("supply.template.body: {e}"))?;
        for (i, a) in t.acceptance.iter().enumerate() {
            pieces(a).map_err(|e| format!("supply.template.acceptance[{i}]: {e}"))?;
        }
        if t.title.trim().is_empty() {
            return Err("supply.template.title: empty (\"{title}\" is the default)".into());
        }
        argv(&self.generator).map_err(|e| format!("supply.generator: {e}"))?;
        Ok(())
    }

    pub fn source(&self, name: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.name == name)
    }
}

/// An idea backlog: a list of items, or `items:` holding one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Backlog {
    pub items: Vec<BacklogItem>,
}

/// The backlog file's two forms, for its JSON Schema (reading picks the
/// form by the first token, so errors name the field that is wrong).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "BacklogFile")]
pub enum BacklogFile {
    List(Vec<BacklogItem>),
    Items(Backlog),
}

/// One idea.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BacklogItem {
    /// A stable id (its key; allowlists name it). Without one the key is
    /// a hash of the title, so editing the title makes a new item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub body: String,
    /// How promising it is; with the source's `min_score`, decides
    /// whether it may be dispatched without a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Acceptance criteria, one per entry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acceptance: Vec<String>,
}

/// `.gemba/supply/seen/<key>.json`: a source item `gemba supply`
/// enqueued. Its existence is what keeps the item from being enqueued
/// again, whatever becomes of the packet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Supplied {
    /// `<source>:<item key>`; also the file name.
    pub key: String,
    /// The packet it became.
    pub packet: String,
    pub agent: String,
    pub title: String,
    /// RFC 3339, UTC.
    pub at: String,
}

impl Supplied {
    pub fn validate(&self) -> Result<(), String> {
        super::id::validate(&self.key).map_err(|e| format!("key: {e}"))?;
        super::id::validate(&self.packet).map_err(|e| format!("packet: {e}"))?;
        super::id::validate(&self.agent).map_err(|e| format!("agent: {e}"))?;
        if self.at.parse::<jiff::Timestamp>().is_err() {
            return Err(format!("at: {:?} is not an RFC 3339 time", self.at));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SupplyConfig, String> {
        let c: SupplyConfig =
            crate::format::from_yaml(std::path::Path::new("c"), text).map_err(|e| e.to_string())?;
        c.validate()?;
        Ok(c)
    }

    #[test]
    fn sources_are_checked() {
        let ok = parse(
            "sources:\n- {name: gh, kind: github, command: [gh, issue, list], labels: [factory-candidate], timeout: 30s}\n- {name: ideas, kind: backlog, path: ideas.yaml, min_score: 0.7, allowlist: [idea-1]}\n- {name: beads, kind: beads}\n",
        )
        .unwrap();
        assert_eq!(ok.sources.len(), 3);
        assert_eq!(ok.sources[0].timeout().as_secs(), 30);
        assert_eq!(ok.sources[1].timeout(), DEFAULT_SOURCE_TIMEOUT);
        assert!(ok.sources[1].gated() && !ok.sources[0].gated());
        for (bad, why) in [
            ("- {name: a, kind: todo}", "needs a path or a command"),
            ("- {name: a, kind: todo, path: x, command: [y]}", "not both"),
            ("- {name: a, kind: beads, path: x}", "takes no path"),
            ("- {name: ../x, kind: todo, path: x}", "not a source name"),
            ("- {name: 'a:b', kind: todo, path: x}", "not a source name"),
            (
                "- {name: a, kind: todo, path: x}\n- {name: a, kind: hn, path: y}",
                "used twice",
            ),
            (
                "- {name: a, kind: todo, path: x, priority: 7}",
                "out of range",
            ),
            (
                "- {name: a, kind: todo, path: x, timeout: 5s}",
                "only a command source",
            ),
            ("- {name: a, kind: todo, command: ['']}", "program name"),
            ("- {name: a, kind: todo, path: x, labels: ['']}", "empty"),
            (
                "- {name: a, kind: todo, path: x, requires: 'two words'}",
                "one word",
            ),
        ] {
            let err = parse(&format!("sources:\n{bad}\n")).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
        let err = parse("sources:\n- {name: a, kind: rss, path: x}\n").unwrap_err();
        assert!(err.contains("rss"), "{err}");
        let err = parse("sources:\n- {name: a, kind: todo, path: x, lables: [y]}\n").unwrap_err();
        assert!(err.contains("lables"), "a typo is an error: {err}");
    }

    #[test]
    fn template_placeholders_are_checked() {
        let p = pieces("Fix {title} {{literal}} at {url}").unwrap();
        assert_eq!(
            p,
            [
                Piece::Text("Fix ".into()),
                Piece::Field("title"),
                Piece::Text(" {literal} at ".into()),
                Piece::Field("url"),
            ]
        );
        for (bad, why) in [
            ("{tilte}", "unknown placeholder {tilte}"),
            ("{title", "unclosed"),
            ("a } b", "lone"),
        ] {
            let err = pieces(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
        let err = parse("template:\n  body: '{bdoy}'\n").unwrap_err();
        assert!(err.contains("supply.template.body"), "{err}");
        assert_eq!(parse("{}\n").unwrap(), SupplyConfig::default());
    }
}
