//! Concepts: which vocabulary terms a bead's text mentions.
//!
//! Text and terms are normalised the same way: lowercased, split into
//! words at every character that is not a letter or digit. So `-`, `_`,
//! spaces and other punctuation all separate words alike (`React Query`,
//! `react_query` and `react-query` are the same phrase), and a term only
//! matches whole words (`auth` matches `auth/` but not `author` or `oauth`).
//! A phrase never spans two sections (title, body, spec).
//!
//! Each word of the text is looked up once in a map from a phrase's first
//! word, so the cost is one hash lookup per word, whatever the vocabulary size.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use super::VocabTerm;

/// Canonical names of the terms in `vocabulary` that `sections` mention,
/// ordered by first mention, deduplicated, at most `max`.
pub(super) fn extract(sections: &[&str], vocabulary: &[VocabTerm], max: usize) -> Vec<String> {
    if max == 0 || vocabulary.is_empty() {
        return Vec::new();
    }

    // (term index, normalised words) for every name and alias.
    let phrases: Vec<(usize, Vec<String>)> = vocabulary
        .iter()
        .enumerate()
        .flat_map(|(term, v)| {
            std::iter::once(&v.name)
                .chain(&v.aliases)
                .map(move |p| (term, p))
        })
        .map(|(term, phrase)| (term, normalize_phrase(phrase)))
        .filter(|(_, words)| !words.is_empty())
        .collect();
    let mut by_first_word: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, (_, words)) in phrases.iter().enumerate() {
        by_first_word.entry(words[0].as_str()).or_default().push(i);
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
        let Some(candidates) = by_first_word.get(word) else {
            continue;
        };
        for &p in candidates {
            let (term, phrase) = &phrases[p];
            let rest = &words[at..];
            let matches =
                rest.len() >= phrase.len() && phrase.iter().zip(rest).all(|(a, b)| a == b);
            if matches && first_at[*term].is_none() {
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
            buf.extend(c.to_lowercase());
        } else if let Some(s) = start.take() {
            ranges.push(s..buf.len());
        }
    }
    if let Some(s) = start {
        ranges.push(s..buf.len());
    }
}

fn normalize_phrase(phrase: &str) -> Vec<String> {
    let mut buf = String::new();
    let mut ranges = Vec::new();
    normalize_into(phrase, &mut buf, &mut ranges);
    ranges.into_iter().map(|r| buf[r].to_string()).collect()
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
            VocabTerm::new("", ["--"]),
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
