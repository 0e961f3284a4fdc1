//! Concepts: which vocabulary terms a bead's text mentions.
//!
//! Text and terms are normalised the same way: lowercased, split into
//! words at every character that is not a letter or digit. So `-`, `_`,
//! spaces and other punctuation all separate words alike (`React Query`,
//! `react_query` and `react-query` are the same phrase), and a term only
//! matches whole words (`auth` matches `auth/` but not `author` or `oauth`).
//! A phrase never spans two sections (title, body, spec).
//!
//! Per bead, the vocabulary is indexed by each phrase's first word (one
//! pass over the terms), then each word of the text costs one hash lookup,
//! whatever the vocabulary size. 4,200 real beads x 60 terms take about
//! 0.1 s of CPU in a release build.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use super::VocabTerm;

/// Canonical names of the terms in `vocabulary` that `sections` mention,
/// ordered by first mention, deduplicated, at most `max`.
pub(super) fn extract(sections: &[&str], vocabulary: &[VocabTerm], max: usize) -> Vec<String> {
    if max == 0 || vocabulary.is_empty() {
        return Vec::new();
    }

    // Every name and alias, normalised into one buffer (one allocation, not
    // one per phrase: this runs once per bead). `phrases` holds
    // (term index, range into `pwords`).
    let mut pbuf = String::new();
    let mut pranges = Vec::new();
    let mut phrases: Vec<(usize, Range<usize>)> = Vec::new();
    for (term, v) in vocabulary.iter().enumerate() {
        // A nameless term could only ever emit "".
        if v.name.trim().is_empty() {
            continue;
        }
        for phrase in std::iter::once(&v.name).chain(&v.aliases) {
            let start = pranges.len();
            normalize_into(phrase, &mut pbuf, &mut pranges);
            if pranges.len() > start {
                phrases.push((term, start..pranges.len()));
            }
        }
    }
    let pwords: Vec<&str> = pranges.iter().map(|r| &pbuf[r.clone()]).collect();
    // Group phrases by first word; the map points at each group.
    phrases.sort_unstable_by(|a, b| pwords[a.1.start].cmp(pwords[b.1.start]).then(a.0.cmp(&b.0)));
    let mut by_first_word: HashMap<&str, Range<usize>> = HashMap::with_capacity(phrases.len());
    for (i, (_, r)) in phrases.iter().enumerate() {
        by_first_word
            .entry(pwords[r.start])
            .and_modify(|group| group.end = i + 1)
            .or_insert(i..i + 1);
    }

    let mut buf = String::new();
    let mut ranges = Vec::new();
    for section in sections {
        normalize_into(section, &mut buf, &mut ranges);
        // An empty word: no phrase word is empty, so no phrase crosses it.
        ranges.push(buf.len()..buf.len());
    }
    let words: Vec<&str> = ranges.into_iter().map(|r| &buf[r]).collect();

    let mut first_at: Vec<Option<usize>> = vec![None; vocabulary.len()];
    for (at, word) in words.iter().enumerate() {
        let Some(group) = by_first_word.get(word) else {
            continue;
        };
        for (term, range) in &phrases[group.clone()] {
            if first_at[*term].is_none() && words[at..].starts_with(&pwords[range.clone()]) {
                first_at[*term] = Some(at);
            }
        }
    }

    let mut hits: Vec<(usize, usize)> = first_at
        .iter()
        .enumerate()
        .filter_map(|(term, at)| at.map(|at| (at, term)))
        .collect();
    hits.sort_unstable();
    let mut seen = HashSet::new();
    hits.into_iter()
        .map(|(_, term)| &vocabulary[term].name)
        .filter(|name| seen.insert(name.as_str()))
        .take(max)
        .cloned()
        .collect()
}

/// Appends the lowercased words of `text` to `buf`, recording each word's range.
fn normalize_into(text: &str, buf: &mut String, ranges: &mut Vec<Range<usize>>) {
    let mut start = None;
    for c in text.chars() {
        if c.is_alphanumeric() {
            start.get_or_insert(buf.len());
            if c.is_ascii() {
                buf.push(c.to_ascii_lowercase());
            } else {
                buf.extend(c.to_lowercase());
            }
        } else if let Some(s) = start.take() {
            ranges.push(s..buf.len());
        }
    }
    if let Some(s) = start {
        ranges.push(s..buf.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vec<VocabTerm> {
        vec![
            VocabTerm::new("react-query", ["tanstack query"]),
            VocabTerm::new("auth", ["authentication", "login flow"]),
            VocabTerm::new("sqlite", ["sqlite3"]),
            VocabTerm::new("git-hooks", ["pre-commit", "post_merge", "git hook"]),
            VocabTerm::new("i18n", ["internationalization"]),
            VocabTerm::new("c++", Vec::<String>::new()),
            VocabTerm::new("", ["--", "nameless"]),
        ]
    }

    fn concepts(sections: &[&str]) -> Vec<String> {
        extract(sections, &vocab(), 8)
    }

    #[test]
    fn test_concept_cases() {
        let cases: &[(&str, &[&str])] = &[
            ("Migrate to React Query", &["react-query"]),
            ("react_query cache keys", &["react-query"]),
            ("REACT-QUERY devtools", &["react-query"]),
            ("react\n  query", &["react-query"]),
            ("reactquery", &[]),
            ("Use TanStack Query v5", &["react-query"]),
            ("fix auth in src/auth/mod.rs", &["auth"]),
            ("auth.", &["auth"]),
            ("(auth)", &["auth"]),
            ("the author wrote it", &[]),
            ("add OAuth support", &[]),
            ("authentication flow", &["auth"]),
            ("the Login-Flow breaks", &["auth"]),
            ("login", &[]),
            ("sqlite3 busy timeout", &["sqlite"]),
            ("sqlite3x", &[]),
            ("install the pre_commit hook", &["git-hooks"]),
            ("post-merge runs import", &["git-hooks"]),
            ("Add a git  hook", &["git-hooks"]),
            ("i18n for the UI", &["i18n"]),
            // Non-alphanumerics in a term are boundaries too: `c++` is `c`.
            ("written in C", &["c++"]),
            ("", &[]),
            ("a nameless alias", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(concepts(&[text]), *want, "{text:?}");
        }
    }

    #[test]
    fn test_order_of_first_mention_across_sections() {
        let got = concepts(&[
            "sqlite locking",
            "auth then sqlite again",
            "pre-commit; React Query",
        ]);
        assert_eq!(got, ["sqlite", "auth", "git-hooks", "react-query"]);
        // Vocabulary order does not matter, text order does.
        let got = concepts(&["git hook before auth"]);
        assert_eq!(got, ["git-hooks", "auth"]);
    }

    #[test]
    fn test_phrases_do_not_span_sections() {
        assert!(concepts(&["migrate to react", "query the cache"]).is_empty());
    }

    #[test]
    fn test_dedupe_and_cap() {
        let text = "auth sqlite authentication react query sqlite3 i18n pre-commit";
        assert_eq!(extract(&[text], &vocab(), 2), ["auth", "sqlite"]);
        assert_eq!(
            extract(&[text], &vocab(), 8),
            ["auth", "sqlite", "react-query", "i18n", "git-hooks"]
        );
        assert!(extract(&[text], &vocab(), 0).is_empty());
        // Two entries with one name emit it once.
        let twice = [
            VocabTerm::new("auth", ["login"]),
            VocabTerm::new("auth", ["session"]),
        ];
        assert_eq!(extract(&["session then login"], &twice, 8), ["auth"]);
    }

    #[test]
    fn test_unicode_lowercase() {
        let vocab = [VocabTerm::new("über-cache", Vec::<String>::new())];
        assert_eq!(extract(&["Fix ÜBER CACHE"], &vocab, 8), ["über-cache"]);
    }
}
