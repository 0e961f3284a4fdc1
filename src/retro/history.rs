//! Targets learned from history (pure): the files that the closed beads
//! most like a bead really touched.
//!
//! A bead's own text names about a quarter of the files it ends up
//! touching; the closed beads about the same things know some of the
//! rest. For a query bead, [`History::propose`]:
//! 1. ranks the past beads closed *before* the query was created (never a
//!    later one: that would be the future leaking into the estimate) by
//!    BM25 over their words (title counted twice, then the start of the
//!    description);
//! 2. keeps the best [`HistoryParams::neighbours`] whose score is at least
//!    [`HistoryParams::min_relative`] of the best one, each weighted by its
//!    score relative to the best and by recency (a lender closed
//!    `half_life_days` before the query counts half);
//! 3. proposes every file touched by at least [`HistoryParams::min_share`]
//!    of that weight, or by [`HistoryParams::min_word_share`] when the
//!    file's name shares a word with the bead's text, heaviest first, at
//!    most [`HistoryParams::max_files`], each with the past beads it came
//!    from.
//!
//! On the beads history a lent file is right about one time in ten, so
//! the backfill asks this only for beads whose own text names no file
//! (docs/QUALITY.md, "Learned from history").

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::text;

pub use crate::model::config::HistoryConfig as HistoryParams;

/// Bytes of a description that count (its start says what it is about).
const MAX_DESCRIPTION: usize = 4096;
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// One closed bead and the files its commits touched.
#[derive(Debug, Clone)]
pub struct Past {
    pub id: String,
    pub title: String,
    pub description: String,
    /// When it was closed, seconds since the epoch.
    pub closed_at: i64,
    /// The files its commits really changed, repository-relative.
    pub files: Vec<String>,
}

/// A proposed target and the past beads that lent it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Proposed {
    pub path: String,
    /// Share of the neighbours' weight that touched it, in (0, 1].
    pub weight: f64,
    pub from: Vec<String>,
}

/// A BM25 index over past beads.
#[derive(Debug, Clone)]
pub struct History {
    past: Vec<Past>,
    /// word → (doc, term frequency)
    postings: HashMap<String, Vec<(usize, u32)>>,
    len: Vec<f64>,
    avg_len: f64,
}

fn doc_words(title: &str, description: &str) -> Vec<String> {
    let mut cut = description.len().min(MAX_DESCRIPTION);
    while !description.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut w = text::words(title);
    w.extend(text::words(title));
    w.extend(text::words(&description[..cut]));
    w
}

impl History {
    /// Indexes the past beads that touched at least one file.
    pub fn new(past: impl IntoIterator<Item = Past>) -> History {
        let past: Vec<Past> = past.into_iter().filter(|p| !p.files.is_empty()).collect();
        let mut postings: HashMap<String, Vec<(usize, u32)>> = HashMap::new();
        let mut len = Vec::with_capacity(past.len());
        for (i, p) in past.iter().enumerate() {
            let words = doc_words(&p.title, &p.description);
            len.push(words.len() as f64);
            let mut tf: HashMap<String, u32> = HashMap::new();
            for w in words {
                *tf.entry(w).or_default() += 1;
            }
            for (w, n) in tf {
                postings.entry(w).or_default().push((i, n));
            }
        }
        let avg_len = if len.is_empty() {
            1.0
        } else {
            (len.iter().sum::<f64>() / len.len() as f64).max(1.0)
        };
        History {
            past,
            postings,
            len,
            avg_len,
        }
    }

    pub fn len(&self) -> usize {
        self.past.len()
    }

    pub fn is_empty(&self) -> bool {
        self.past.is_empty()
    }

    /// The files proposed for a bead with this text, created at
    /// `created_at` (seconds since the epoch); `exclude` (its own id) never
    /// lends.
    pub fn propose(
        &self,
        title: &str,
        description: &str,
        created_at: i64,
        exclude: &str,
        params: &HistoryParams,
    ) -> Vec<Proposed> {
        let eligible = |i: usize| self.past[i].closed_at < created_at && self.past[i].id != exclude;
        let n = self
            .past
            .iter()
            .filter(|p| p.closed_at < created_at)
            .count() as f64;
        if n == 0.0 {
            return Vec::new();
        }
        if !params.enabled {
            return Vec::new();
        }
        let mut query: Vec<String> = doc_words(title, description);
        query.sort();
        query.dedup();
        let mut score: HashMap<usize, f64> = HashMap::new();
        for w in &query {
            let Some(list) = self.postings.get(w) else {
                continue;
            };
            let df = list.iter().filter(|(i, _)| eligible(*i)).count() as f64;
            if df == 0.0 {
                continue;
            }
            let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
            for &(i, tf) in list {
                if !eligible(i) {
                    continue;
                }
                let tf = f64::from(tf);
                let norm = K1 * (1.0 - B + B * self.len[i] / self.avg_len);
                *score.entry(i).or_default() += idf * tf * (K1 + 1.0) / (tf + norm);
            }
        }
        let mut ranked: Vec<(usize, f64)> = score.into_iter().filter(|(_, s)| *s > 0.0).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let Some(&(_, best)) = ranked.first() else {
            return Vec::new();
        };
        ranked.truncate(params.neighbours);
        ranked.retain(|(_, s)| *s >= params.min_relative * best);
        let mut total = 0.0;
        let mut files: BTreeMap<&str, (f64, Vec<String>)> = BTreeMap::new();
        for &(i, s) in &ranked {
            let p = &self.past[i];
            let age_days = (created_at - p.closed_at).max(0) as f64 / 86_400.0;
            let w = (s / best) * 0.5f64.powf(age_days / params.half_life_days.max(1e-9));
            total += w;
            for f in &p.files {
                let e = files.entry(f.as_str()).or_default();
                e.0 += w;
                e.1.push(p.id.clone());
            }
        }
        let mut out: Vec<Proposed> = files
            .into_iter()
            .map(|(path, (w, from))| Proposed {
                path: path.to_string(),
                weight: w / total,
                from,
            })
            .filter(|p| {
                p.weight >= params.min_share
                    || (p.weight >= params.min_word_share && names_a_word(&p.path, &query))
            })
            .collect();
        out.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.path.cmp(&b.path)));
        out.truncate(params.max_files);
        out
    }
}

/// Whether the file's name (without directory and extension) has a word
/// of the query (`sorted`): `cmd/sync_branch.go` for "branch sync hangs".
fn names_a_word(path: &str, sorted: &[String]) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.split_once('.').map_or(name, |(s, _)| s);
    let words: BTreeSet<String> = text::words(stem).into_iter().collect();
    words.iter().any(|w| sorted.binary_search(w).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    fn past(id: &str, title: &str, closed_day: i64, files: &[&str]) -> Past {
        Past {
            id: id.into(),
            title: title.into(),
            description: String::new(),
            closed_at: closed_day * DAY,
            files: files.iter().map(|f| f.to_string()).collect(),
        }
    }

    fn paths(p: &[Proposed]) -> Vec<&str> {
        p.iter().map(|p| p.path.as_str()).collect()
    }

    #[test]
    fn proposes_files_of_similar_closed_beads() {
        let h = History::new([
            past(
                "a",
                "sync daemon export crashes",
                1,
                &["cmd/sync.go", "daemon/export.go"],
            ),
            past(
                "b",
                "sync daemon import slow",
                2,
                &["cmd/sync.go", "daemon/import.go"],
            ),
            past("c", "colour output in list", 3, &["cmd/list.go"]),
            past("d", "nothing", 3, &[]),
        ]);
        assert_eq!(h.len(), 3);
        let got = h.propose(
            "sync daemon hangs",
            "",
            10 * DAY,
            "",
            &HistoryParams::default(),
        );
        assert_eq!(got[0].path, "cmd/sync.go");
        assert_eq!(got[0].from, ["a", "b"]);
        assert!((got[0].weight - 1.0).abs() < 1e-9);
        assert!(!paths(&got).contains(&"cmd/list.go"));
    }

    #[test]
    fn never_borrows_from_the_future_or_itself() {
        let h = History::new([
            past("a", "sync daemon export", 5, &["daemon/export.go"]),
            past("q", "sync daemon export", 1, &["self.go"]),
        ]);
        let p = HistoryParams::default();
        // Created before `a` closed: nothing from it.
        assert!(
            h.propose("sync daemon export", "", 4 * DAY, "q", &p)
                .is_empty()
        );
        assert!(h.propose("sync daemon export", "", DAY, "", &p).is_empty());
        let later = h.propose("sync daemon export", "", 6 * DAY, "q", &p);
        assert_eq!(paths(&later), ["daemon/export.go"]);
        // No shared word: nothing.
        assert!(h.propose("unrelated words", "", 6 * DAY, "", &p).is_empty());
    }

    #[test]
    fn a_file_named_in_the_text_needs_a_smaller_share() {
        let h = History::new([
            past("a", "export hangs", 1, &["cmd/export.go", "daemon/lock.go"]),
            past("b", "export slow", 1, &["cmd/export.go", "daemon/flush.go"]),
            past(
                "c",
                "export wrong",
                1,
                &["cmd/export.go", "daemon/queue.go"],
            ),
        ]);
        let p = HistoryParams {
            min_share: 0.5,
            min_word_share: 0.2,
            ..HistoryParams::default()
        };
        // Each daemon file has a third of the weight: only the one whose
        // name the text says comes with the file all three touched.
        let got = h.propose("export: flush never ends", "", 10 * DAY, "", &p);
        assert_eq!(paths(&got), ["cmd/export.go", "daemon/flush.go"]);
        let strict = HistoryParams {
            min_word_share: 0.5,
            ..p
        };
        let got = h.propose("export: flush never ends", "", 10 * DAY, "", &strict);
        assert_eq!(paths(&got), ["cmd/export.go"]);
        let off = HistoryParams {
            enabled: false,
            ..p
        };
        assert!(h.propose("export flush", "", 10 * DAY, "", &off).is_empty());
        let capped = HistoryParams { max_files: 1, ..p };
        assert_eq!(
            paths(&h.propose("export flush", "", 10 * DAY, "", &capped)),
            ["cmd/export.go"]
        );
    }

    #[test]
    fn recency_and_share_decide() {
        let h = History::new([
            past("old", "sync daemon export", 0, &["old.go"]),
            past("new", "sync daemon export", 399, &["new.go"]),
        ]);
        let p = HistoryParams {
            half_life_days: 30.0,
            ..HistoryParams::default()
        };
        let got = h.propose("sync daemon export", "", 400 * DAY, "", &p);
        assert_eq!(paths(&got), ["new.go"]);
        let even = HistoryParams {
            half_life_days: 1e9,
            min_share: 0.4,
            ..HistoryParams::default()
        };
        let got = h.propose("sync daemon export", "", 400 * DAY, "", &even);
        assert_eq!(paths(&got), ["new.go", "old.go"]);
        assert!((got[0].weight - 0.5).abs() < 1e-6);
    }
}
