//! `gemba supply source add|remove`: change `supply.sources` in
//! `config.yaml` without touching anything else in it. The file is edited
//! as text (its comments and layout are the operator's), only the
//! `sources:` entry under `supply:` is rewritten, and the result is read
//! back: unless it parses to exactly the intended configuration, nothing
//! is written.

use crate::model::Config;
use crate::model::supply::{Source, SupplyConfig};

/// `text` (a config.yaml that parses to `old`) with `supply.sources`
/// replaced by `sources`; `Err` when the edit cannot be made safely.
pub fn with_sources(text: &str, old: &Config, sources: &[Source]) -> Result<String, String> {
    let mut want = old.clone();
    want.supply.sources = sources.to_vec();
    let edited = splice(text, &want.supply)?;
    let back: Config = crate::format::from_yaml(std::path::Path::new("config.yaml"), &edited)
        .map_err(|e| format!("the edited file does not parse ({e})"))?;
    if back != want {
        return Err("the edited file does not read back as intended".into());
    }
    Ok(edited)
}

/// Lines of `text`, each with its ending.
fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Blank or a comment: carries no YAML structure.
fn inert(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

/// `sources:` as YAML lines indented by `indent` spaces.
fn sources_block(sources: &[Source], indent: usize) -> String {
    let pad = " ".repeat(indent);
    if sources.is_empty() {
        return format!("{pad}sources: []\n");
    }
    let mut out = format!("{pad}sources:\n");
    for line in crate::format::to_yaml_string(&sources).lines() {
        if line.is_empty() {
            out.push('\n');
        } else {
            out.push_str(&format!("{pad}  {line}\n"));
        }
    }
    out
}

/// Replace or insert the `sources:` entry of the top-level `supply:` map.
fn splice(text: &str, supply: &SupplyConfig) -> Result<String, String> {
    let ls = lines(text);
    let top = |l: &str| !l.starts_with([' ', '\t']) && !inert(l);
    let Some(start) = ls.iter().position(|l| {
        l.strip_prefix("supply:")
            .is_some_and(|rest| rest.trim().is_empty() || rest.trim().starts_with('#'))
    }) else {
        if ls.iter().any(|l| l.starts_with("supply:")) {
            return Err("`supply:` is written in flow style; edit supply.sources by hand".into());
        }
        // No supply section yet: append one.
        let mut out = text.to_string();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str("\nsupply:\n");
        out.push_str(&sources_block(&supply.sources, 2));
        return Ok(out);
    };
    // The section: up to the next top-level key, without the comments and
    // blank lines just before that key (they introduce it).
    let mut end = ls[start + 1..]
        .iter()
        .position(|l| top(l))
        .map_or(ls.len(), |i| start + 1 + i);
    while end > start + 1 && inert(ls[end - 1]) && !ls[end - 1].starts_with(' ') {
        end -= 1;
    }
    let body = start + 1..end;
    let child = ls[body.clone()]
        .iter()
        .find(|l| !inert(l))
        .map_or(2, |l| indent_of(l));
    if child == 0 || ls[body.clone()].iter().any(|l| l.starts_with('\t')) {
        return Err("cannot tell the layout of `supply:`; edit supply.sources by hand".into());
    }
    let key = ls[body.clone()]
        .iter()
        .position(|l| indent_of(l) == child && l.trim_start().strip_prefix("sources:").is_some());
    let (from, to) = match key {
        Some(k) => {
            let k = start + 1 + k;
            // Its value: more-indented lines, or `- ` items at its own
            // indentation (YAML allows both), and inert lines among them.
            let mut to = k + 1;
            let mut last = k + 1;
            while to < end {
                let l = ls[to];
                let more = indent_of(l) > child
                    || (indent_of(l) == child && l.trim_start().starts_with('-'));
                if inert(l) {
                    to += 1;
                } else if more {
                    to += 1;
                    last = to;
                } else {
                    break;
                }
            }
            (k, last)
        }
        None => {
            // After the section's last non-inert line.
            let last = (start + 1..end)
                .rev()
                .find(|&i| !inert(ls[i]))
                .map_or(start + 1, |i| i + 1);
            (last, last)
        }
    };
    let mut out = String::with_capacity(text.len() + 256);
    for l in &ls[..from] {
        out.push_str(l);
    }
    if from > 0 && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&sources_block(&supply.sources, child));
    for l in &ls[to..] {
        out.push_str(l);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::CONFIG_TEMPLATE;
    use crate::model::supply::SourceKind;
    use std::path::Path;

    fn parse(text: &str) -> Config {
        crate::format::from_yaml(Path::new("c"), text).unwrap()
    }

    fn sources() -> Vec<Source> {
        let mut gh = Source::new("gh", SourceKind::Github);
        gh.command = vec![
            "gh".into(),
            "issue".into(),
            "list".into(),
            "--json".into(),
            "number,title,body,labels,url".into(),
        ];
        gh.labels = vec!["factory-candidate".into()];
        let mut ideas = Source::new("ideas", SourceKind::Backlog);
        ideas.path = Some("docs/ideas: v2.yaml".into());
        ideas.min_score = Some(0.7);
        ideas.allowlist = vec!["idea-#1".into()];
        vec![gh, ideas]
    }

    #[test]
    fn the_template_keeps_its_comments() {
        let old = parse(CONFIG_TEMPLATE);
        let text = with_sources(CONFIG_TEMPLATE, &old, &sources()).unwrap();
        assert_eq!(parse(&text).supply.sources, sources());
        // Only the sources line changed: every other line is still there.
        let removed: Vec<&str> = CONFIG_TEMPLATE
            .lines()
            .filter(|l| !text.lines().any(|m| m == *l))
            .collect();
        assert_eq!(removed, ["  sources: []"]);
        // And back.
        let again = with_sources(&text, &parse(&text), &[]).unwrap();
        assert_eq!(again, CONFIG_TEMPLATE);
    }

    #[test]
    fn other_layouts() {
        let cases = [
            // No supply section.
            "queue:\n  max_attempts: 2\n",
            // No trailing newline.
            "queue:\n  max_attempts: 2",
            // A section without sources, and a commented key after it.
            "supply:\n    generator_timeout: 5m\n# the queue\nqueue:\n    max_attempts: 2\n",
            // Items at the key's own indentation, then more keys.
            "supply:\n  sources:\n  - name: old\n    kind: beads\n  # comment\n  generator: []\nqueue: {max_attempts: 2}\n",
            // Items further in, a comment among them.
            "supply:  # demand\n  sources:\n    # the bd tracker\n    - {name: old, kind: beads}\n",
        ];
        for text in cases {
            let old = parse(text);
            let edited =
                with_sources(text, &old, &sources()).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            let back = parse(&edited);
            assert_eq!(back.supply.sources, sources(), "{edited}");
            assert_eq!(back.queue, old.queue, "{edited}");
            assert_eq!(
                back.supply.generator_timeout, old.supply.generator_timeout,
                "{edited}"
            );
        }
        let flow = "supply: {sources: []}\n";
        let err = with_sources(flow, &parse(flow), &sources()).unwrap_err();
        assert!(err.contains("flow style"), "{err}");
    }
}
