//! Which bead a commit belongs to (pure).
//!
//! A commit belongs to a bead when (each rule can be switched off in
//! `retro.link`, [`LinkConfig`]):
//! 1. its message has a trailer `Gemba-Bead: ID` (key configurable, case
//!    insensitive, in the message's last paragraph; several ids may be
//!    given, comma separated). An explicit trailer is the whole answer: the
//!    other rules are not consulted for that commit;
//! 2. its message names a known bead id as a whole token (`fix sync
//!    (bd-a1b2)`): delimited by anything but letters, digits, `-`, `_`
//!    and `.`, a trailing `.` (end of sentence) ignored;
//! 3. the branch it was merged from ends in a known id (`alice/bd-a1b2`,
//!    `fix-bd-a1b2`), after a `/`, `-`, `_` or `.` or at the start.
//!
//! Only ids the caller knows count (`known`), so `v1-2` in a message is not
//! taken for a bead unless a bead has that id. Trailer ids are kept even
//! when unknown: a person wrote them on purpose, and the caller reports them.

use std::collections::BTreeSet;

use crate::model::config::LinkConfig;

/// Why a commit was linked to a bead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    Trailer,
    Token,
    Branch,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Trailer => "trailer",
            Rule::Token => "token",
            Rule::Branch => "branch",
        }
    }
}

/// One bead a commit belongs to, and the first rule that said so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub bead: String,
    pub rule: Rule,
}

/// The beads `message` (and the branch it came from, when known) belong
/// to, each once, in the order found: trailer ids, else message tokens,
/// then the branch.
pub fn link(
    message: &str,
    branch: Option<&str>,
    config: &LinkConfig,
    known: &dyn Fn(&str) -> bool,
) -> Vec<Link> {
    let mut out: Vec<Link> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut push = |bead: &str, rule: Rule, out: &mut Vec<Link>| {
        if seen.insert(bead.to_string()) {
            out.push(Link {
                bead: bead.to_string(),
                rule,
            });
        }
    };
    if !config.trailer.is_empty() {
        for id in trailer_ids(message, &config.trailer) {
            push(&id, Rule::Trailer, &mut out);
        }
        if !out.is_empty() {
            return out;
        }
    }
    if config.message_token {
        for tok in tokens(message) {
            if known(tok) {
                push(tok, Rule::Token, &mut out);
            }
        }
    }
    if config.branch_suffix
        && let Some(id) = branch.and_then(|b| branch_id(b, known))
    {
        push(id, Rule::Branch, &mut out);
    }
    out
}

/// The ids of every `key: ID[, ID]` line of the message's last paragraph.
pub fn trailer_ids(message: &str, key: &str) -> Vec<String> {
    let trimmed = message.trim_end();
    let last = trimmed
        .rsplit_once("\n\n")
        .map_or(trimmed, |(_, last)| last);
    let mut out = Vec::new();
    for line in last.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        if !k.trim().eq_ignore_ascii_case(key) {
            continue;
        }
        for id in v.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()) {
            if !out.iter().any(|o| o == id) {
                out.push(id.to_string());
            }
        }
    }
    out
}

fn id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// The whole tokens of `text` that could be ids, trailing dots dropped.
fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !id_char(c))
        .map(|t| t.trim_end_matches('.').trim_start_matches(['-', '.']))
        .filter(|t| t.len() >= 2)
}

/// The longest known id `branch` ends in, at a boundary.
fn branch_id<'b>(branch: &'b str, known: &dyn Fn(&str) -> bool) -> Option<&'b str> {
    let branch = branch.strip_prefix("refs/heads/").unwrap_or(branch);
    let mut start = 0;
    loop {
        let tail = &branch[start..];
        if tail.len() >= 2 && known(tail) {
            return Some(tail);
        }
        let next = branch[start..].find(['/', '-', '_', '.'])?;
        start += next + 1;
        if start >= branch.len() {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(id: &str) -> bool {
        ["bd-a1b2", "bd-a1b2.1", "bd-9z", "gb-1", "d-a1b2"].contains(&id)
    }

    fn run(message: &str, branch: Option<&str>) -> Vec<(String, &'static str)> {
        link(message, branch, &LinkConfig::default(), &known)
            .into_iter()
            .map(|l| (l.bead, l.rule.as_str()))
            .collect()
    }

    #[test]
    fn table() {
        type Case<'a> = (&'a str, Option<&'a str>, &'a [(&'a str, &'a str)]);
        let cases: &[Case] = &[
            ("fix sync (bd-a1b2)", None, &[("bd-a1b2", "token")]),
            ("bd-a1b2: fix sync", None, &[("bd-a1b2", "token")]),
            ("closes bd-a1b2.", None, &[("bd-a1b2", "token")]),
            ("part bd-a1b2.1 done", None, &[("bd-a1b2.1", "token")]),
            // Not a whole token: a longer id or a word around it.
            ("xbd-a1b2 and bd-a1b2x", None, &[]),
            ("bd-a1b23", None, &[]),
            // Unknown ids are ignored in text.
            ("fix bd-zzzz", None, &[]),
            (
                "fix bd-a1b2 and gb-1 and bd-a1b2",
                None,
                &[("bd-a1b2", "token"), ("gb-1", "token")],
            ),
            (
                "Subject\n\nbody mentions gb-1\n\nGemba-Bead: bd-9z",
                None,
                &[("bd-9z", "trailer")],
            ),
            (
                "Subject\n\ngemba-bead: bd-9z, bd-new\nSigned-off-by: x",
                Some("f/gb-1"),
                &[("bd-9z", "trailer"), ("bd-new", "trailer")],
            ),
            // A trailer-like line in the body (not the last paragraph).
            (
                "Subject\n\nGemba-Bead: bd-9z\n\nmore text",
                None,
                &[("bd-9z", "token")],
            ),
            (
                "Merge branch 'x'",
                Some("alice/bd-a1b2"),
                &[("bd-a1b2", "branch")],
            ),
            ("wip", Some("fix-bd-a1b2"), &[("bd-a1b2", "branch")]),
            ("wip", Some("refs/heads/bd-9z"), &[("bd-9z", "branch")]),
            ("wip", Some("bd-a1b2.1"), &[("bd-a1b2.1", "branch")]),
            // Longest id at a boundary wins over a shorter suffix.
            ("wip", Some("x/bd-a1b2"), &[("bd-a1b2", "branch")]),
            ("wip", Some("bd-a1b2-old"), &[]),
            (
                "gb-1 x",
                Some("bd-9z"),
                &[("gb-1", "token"), ("bd-9z", "branch")],
            ),
            ("gb-1 x", Some("t/gb-1"), &[("gb-1", "token")]),
        ];
        for (message, branch, want) in cases {
            let want: Vec<(String, &str)> = want.iter().map(|(b, r)| (b.to_string(), *r)).collect();
            assert_eq!(run(message, *branch), want, "{message:?} on {branch:?}");
        }
    }

    #[test]
    fn rules_switch_off() {
        let off = LinkConfig {
            trailer: String::new(),
            message_token: false,
            branch_suffix: false,
        };
        assert!(link("x\n\nGemba-Bead: bd-9z", Some("bd-a1b2"), &off, &known).is_empty());
        assert!(link("fix bd-a1b2", None, &off, &known).is_empty());
        let custom = LinkConfig {
            trailer: "Issue".into(),
            ..LinkConfig::default()
        };
        let got = link("x\n\nIssue: gb-1", None, &custom, &known);
        assert_eq!(
            got,
            [Link {
                bead: "gb-1".into(),
                rule: Rule::Trailer
            }]
        );
        assert_eq!(trailer_ids("Gemba-Bead: bd-9z", "Gemba-Bead"), ["bd-9z"]);
        assert!(trailer_ids("fix: bd-9z", "Gemba-Bead").is_empty());
    }
}
