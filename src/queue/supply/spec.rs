//! An item's packet spec: the template in `supply.template` (pure), or the
//! configured generator command, which reads the item as JSON on stdin
//! and prints the spec as JSON. Targets and concepts the spec does not
//! name come from the extractor.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::command::{self, CommandError};
use super::sources::Item;
use crate::enrich::ops::Context;
use crate::enrich::{ExtractInput, Extractor, Heuristic};
use crate::model::enrichment::Glob;
use crate::model::packet::{MAX_PRIORITY, Spec};
use crate::model::supply::{Piece, Template, pieces};

/// The value of a placeholder for `item`.
fn field(item: &Item, name: &str) -> String {
    match name {
        "title" => item.title.clone(),
        "body" => item.body.trim().to_string(),
        "url" => item.url.clone().unwrap_or_default(),
        "id" => item.id.clone().unwrap_or_default(),
        "key" => item.key.clone(),
        "source" => item.source.clone(),
        "kind" => item.kind.to_string(),
        "score" => item.score.map(|s| s.to_string()).unwrap_or_default(),
        "labels" => item.labels.join(", "),
        _ => String::new(),
    }
}

/// `text` with its placeholders filled in; a line whose placeholders are
/// all empty is left out, and so are the blank lines this leaves at the
/// ends. Templates are checked when the config is read, so an unknown
/// placeholder here is left as written.
pub fn expand(text: &str, item: &Item) -> String {
    let mut lines = Vec::new();
    for line in text.split('\n') {
        let Ok(parts) = pieces(line) else {
            lines.push(line.to_string());
            continue;
        };
        let mut out = String::new();
        let (mut fields, mut empty) = (0, 0);
        for piece in parts {
            match piece {
                Piece::Text(t) => out.push_str(&t),
                Piece::Field(name) => {
                    let value = field(item, name);
                    fields += 1;
                    if value.is_empty() {
                        empty += 1;
                    }
                    out.push_str(&value);
                }
            }
        }
        if fields == 0 || empty < fields {
            lines.push(out);
        }
    }
    let text = lines.join("\n");
    // Dropped lines can leave runs of blank lines: keep at most one.
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.trim().split('\n') {
        blank = if line.trim().is_empty() { blank + 1 } else { 0 };
        if blank < 2 {
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out.trim_end().to_string()
}

/// The template's spec for `item` (no targets or concepts yet).
pub fn from_template(template: &Template, item: &Item) -> Spec {
    let mut title = expand(&template.title, item);
    if title.is_empty() {
        title = item.title.clone();
    }
    let mut acceptance: Vec<String> = template
        .acceptance
        .iter()
        .map(|a| expand(a, item))
        .filter(|a| !a.is_empty())
        .collect();
    acceptance.extend(item.acceptance.iter().cloned());
    Spec {
        // One line: the template's first.
        title: title.lines().next().unwrap_or_default().trim().to_string(),
        body: expand(&template.body, item),
        acceptance,
        targets: Vec::new(),
        concepts: Vec::new(),
    }
}

/// What a generator prints.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Generated {
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub acceptance: Vec<String>,
    #[serde(default)]
    pub targets: Vec<Glob>,
    #[serde(default)]
    pub concepts: Vec<String>,
    /// Overrides the source's priority.
    #[serde(default)]
    pub priority: Option<u8>,
    /// Overrides the source's `requires`.
    #[serde(default)]
    pub requires: Option<String>,
}

/// What the generator reads on stdin: the item, and the template's spec
/// as a draft.
#[derive(Debug, Serialize)]
struct GeneratorInput<'a> {
    item: &'a Item,
    draft: &'a Spec,
}

/// Why an item has no spec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error(transparent)]
    Command(#[from] CommandError),
    #[error("`{command}` printed {message}")]
    Output { command: String, message: String },
}

/// Run the generator for `item`; its spec, checked.
pub fn generate(
    argv: &[String],
    dir: &Path,
    timeout: std::time::Duration,
    item: &Item,
    draft: &Spec,
) -> Result<Generated, SpecError> {
    let input = serde_json::to_vec(&GeneratorInput { item, draft }).expect("items serialize");
    let out = command::run(argv, dir, Some(input), timeout)?;
    parse_generated(&crate::analysis::external::display(argv), &out)
}

/// Check a generator's output. Pure.
pub fn parse_generated(command: &str, stdout: &[u8]) -> Result<Generated, SpecError> {
    let bad = |message: String| SpecError::Output {
        command: command.to_string(),
        message,
    };
    let g: Generated =
        crate::process::json_output(stdout, "a spec as JSON ({\"title\": ...})").map_err(bad)?;
    if g.title.trim().is_empty() {
        return Err(bad("a spec with an empty title".into()));
    }
    if let Some(p) = g.priority
        && p > MAX_PRIORITY
    {
        return Err(bad(format!("priority {p}, out of range 0-4")));
    }
    if let Some(r) = &g.requires
        && (r.trim().is_empty() || r.chars().any(char::is_whitespace))
    {
        return Err(bad(format!("requires {r:?}, not one word")));
    }
    Ok(g)
}

/// Fill in the targets and concepts `spec` lacks from the extractor, run
/// on the spec's own text.
pub fn extract_into(spec: &mut Spec, ctx: &Context) {
    if !spec.targets.is_empty() && !spec.concepts.is_empty() {
        return;
    }
    let acceptance = spec.acceptance.join("\n");
    let found = Heuristic.extract(&ExtractInput {
        title: &spec.title,
        body: &spec.body,
        spec: &acceptance,
        tracked: &ctx.tracked,
        vocabulary: &ctx.vocabulary,
        limits: &ctx.limits,
    });
    if spec.targets.is_empty() {
        spec.targets = found
            .targets
            .iter()
            .filter_map(|t| Glob::new(t).ok())
            .collect();
    }
    if spec.concepts.is_empty() {
        spec.concepts = found.concepts;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::supply::SourceKind;

    fn item() -> Item {
        Item {
            key: "github:acme/webapp#12".into(),
            source: "github".into(),
            kind: SourceKind::Github,
            id: Some("12".into()),
            title: "Login redirect drops the query string".into(),
            body: "See src/auth/redirect.rs\n".into(),
            url: Some("https://github.com/acme/webapp/issues/12".into()),
            score: None,
            labels: vec!["bug".into(), "factory-candidate".into()],
            acceptance: vec!["the query string survives".into()],
            bead: None,
            priority: None,
            origin: String::new(),
        }
    }

    #[test]
    fn the_default_template() {
        let spec = from_template(&Template::default(), &item());
        assert_eq!(spec.title, "Login redirect drops the query string");
        assert_eq!(
            spec.body,
            "See src/auth/redirect.rs\n\nSource: https://github.com/acme/webapp/issues/12"
        );
        assert_eq!(spec.acceptance, ["the query string survives"]);
        // Without a url or body, their lines go.
        let bare = Item {
            url: None,
            body: String::new(),
            ..item()
        };
        assert_eq!(from_template(&Template::default(), &bare).body, "");
    }

    #[test]
    fn a_custom_template() {
        let t = Template {
            title: "[{source} #{id}] {title}".into(),
            body: "{body}\n\nLabels: {labels}\nScore: {score}\n\n{{not a field}}".into(),
            acceptance: vec!["CI is green".into(), "{score}".into()],
        };
        let spec = from_template(&t, &item());
        assert_eq!(
            spec.title,
            "[github #12] Login redirect drops the query string"
        );
        assert_eq!(
            spec.body,
            "See src/auth/redirect.rs\n\nLabels: bug, factory-candidate\n\n{not a field}"
        );
        assert_eq!(
            spec.acceptance,
            ["CI is green", "the query string survives"]
        );
    }

    #[test]
    fn generator_output_is_checked() {
        let g = parse_generated(
            "gen",
            br#"{"title": "T", "targets": ["src/auth/**"], "priority": 1}"#,
        )
        .unwrap();
        assert_eq!(g.targets[0].as_str(), "src/auth/**");
        assert_eq!(g.priority, Some(1));
        for (bad, why) in [
            (&b""[..], "nothing"),
            (b"{\"title\": \"\"}", "empty title"),
            (b"{\"title\": \"T\", \"tittle\": 1}", "tittle"),
            (b"{\"title\": \"T\", \"priority\": 9}", "out of range"),
            (b"{\"title\": \"T\", \"targets\": [\"../x\"]}", "line 1"),
            (b"not json", "invalid JSON"),
        ] {
            let err = parse_generated("gen", bad).unwrap_err().to_string();
            assert!(err.contains(why), "{}: {err}", String::from_utf8_lossy(bad));
            assert!(err.starts_with("`gen` printed"), "{err}");
        }
    }

    #[test]
    fn extraction_fills_what_is_missing() {
        let ctx = Context::new(
            vec!["src/auth/redirect.rs".into(), "README.md".into()],
            &crate::model::Vocabulary::default(),
            Default::default(),
        );
        let mut spec = from_template(&Template::default(), &item());
        extract_into(&mut spec, &ctx);
        let targets: Vec<&str> = spec.targets.iter().map(Glob::as_str).collect();
        assert_eq!(targets, ["src/auth/redirect.rs"]);
        let mut given = Spec {
            title: "T src/auth/redirect.rs".into(),
            targets: vec![Glob::new("docs/**").unwrap()],
            ..Spec::default()
        };
        extract_into(&mut given, &ctx);
        assert_eq!(given.targets[0].as_str(), "docs/**", "given targets stay");
    }
}
