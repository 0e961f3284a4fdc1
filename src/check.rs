//! `gemba check`: validate every file under `.gemba/` and report every
//! problem (not just the first) with its path and position. The generated
//! `schema/` directory is not validated, only compared with what this
//! binary generates.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::format::{self, ParseError};
use crate::model::id;
use crate::model::{Bead, Config, Enrichment, Vocabulary};
use crate::plan::deps;
use crate::store::{self, atomic};

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub files_checked: usize,
    pub beads: usize,
    pub errors: Vec<Problem>,
    pub warnings: Vec<Problem>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Problem {
    pub path: PathBuf,
    #[serde(skip_serializing_if = "is_zero")]
    pub line: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub column: usize,
    pub message: String,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl From<ParseError> for Problem {
    fn from(e: ParseError) -> Problem {
        Problem {
            path: e.path,
            line: e.line,
            column: e.column,
            message: e.message,
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}",
            ParseError::new(&self.path, self.line, self.column, self.message.clone())
        )
    }
}

impl Report {
    fn error(&mut self, path: &Path, message: impl Into<String>) {
        self.errors.push(Problem {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            message: message.into(),
        });
    }

    fn warn(&mut self, path: &Path, message: impl Into<String>) {
        self.warnings.push(Problem {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            message: message.into(),
        });
    }
}

/// Check the tree at `root` (need not open as a store: a broken config is
/// one of the things we report).
pub fn run(root: &Path) -> Report {
    let mut report = Report::default();
    check_yaml::<Config>(&mut report, &root.join(store::CONFIG_FILE), true, |c| {
        c.validate().err()
    });
    let vocabulary = check_yaml::<Vocabulary>(
        &mut report,
        &root.join(store::VOCABULARY_FILE),
        false,
        vocabulary_problem,
    );
    let beads = check_beads(&mut report, &root.join(store::BEADS_DIR));
    report.beads = beads.len();
    check_graph(&mut report, root, &beads);
    let vocabulary = vocabulary.unwrap_or_default();
    check_enrichment(
        &mut report,
        &root.join(store::ENRICHMENT_DIR),
        &beads,
        &vocabulary,
    );
    check_suggestions(&mut report, &root.join(store::SUGGESTIONS_DIR));
    check_log(&mut report, &root.join(store::LOG_DIR));
    check_schemas(&mut report, root);
    report
}

/// `.gemba/schema/` is generated, not hand-written: nothing in it is
/// validated; it is only reported when it differs from what this gemba
/// generates (editors would check against stale schemas).
fn check_schemas(report: &mut Report, root: &Path) {
    let dir = root.join(store::schema::SCHEMA_DIR);
    match store::schema::pending(root) {
        Ok(pending) if pending.is_empty() => {}
        Ok(pending) => report.warn(
            &dir,
            format!(
                "{} JSON Schema file(s) missing or out of date with this gemba; \
                 the next change to the store (or `gemba init`) rewrites them",
                pending.len()
            ),
        ),
        Err(e) => report.warn(&dir, e.to_string()),
    }
}

fn read(report: &mut Report, path: &Path) -> Option<Vec<u8>> {
    report.files_checked += 1;
    match std::fs::read(path) {
        Ok(b) => Some(b),
        Err(e) => {
            report.error(path, format!("cannot read: {e}"));
            None
        }
    }
}

fn check_yaml<T: serde::de::DeserializeOwned>(
    report: &mut Report,
    path: &Path,
    required: bool,
    validate: impl Fn(&T) -> Option<String>,
) -> Option<T> {
    if !path.exists() {
        if required {
            report.error(path, "missing (run `gemba init`)");
        }
        return None;
    }
    let bytes = read(report, path)?;
    let text = String::from_utf8_lossy(&bytes);
    match format::from_yaml::<T>(path, &text) {
        Ok(value) => {
            if let Some(message) = validate(&value) {
                report.error(path, message);
            }
            Some(value)
        }
        Err(e) => {
            report.errors.push(e.into());
            None
        }
    }
}

fn vocabulary_problem(v: &Vocabulary) -> Option<String> {
    let mut seen = HashSet::new();
    for term in &v.terms {
        for name in std::iter::once(&term.name).chain(&term.aliases) {
            if !seen.insert(name.to_lowercase()) {
                return Some(format!("{name:?} is defined twice (as a name or alias)"));
            }
        }
    }
    None
}

/// The files of one entity directory, sorted, each with the id its name
/// encodes. Leftover temp files and files whose names are not
/// `<escaped id><suffix>` are warnings and are skipped.
fn entity_files(
    report: &mut Report,
    dir: &Path,
    suffix: &str,
    kind: &str,
) -> Vec<(PathBuf, String)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if atomic::is_temp_name(name) {
            report.warn(
                &path,
                "leftover temporary file from an interrupted write; safe to delete",
            );
            continue;
        }
        match name.strip_suffix(suffix).and_then(id::unescape) {
            Some(id) => out.push((path, id)),
            None => report.warn(
                &path,
                format!("not a {kind} file (expected <id>{suffix}); ignored"),
            ),
        }
    }
    out
}

fn check_beads(report: &mut Report, dir: &Path) -> Vec<Bead> {
    let mut beads = Vec::new();
    for (path, id) in entity_files(report, dir, ".json", "bead") {
        let Some(bytes) = read(report, &path) else {
            continue;
        };
        match store::parse_bead(&path, &bytes, Some(&id)) {
            Ok(bead) => {
                if bead.priority > 4 {
                    report.error(
                        &path,
                        format!("priority {} is out of range 0-4", bead.priority),
                    );
                }
                if format::to_json_bytes(&bead) != bytes {
                    report.warn(&path, "not in canonical form (key order, spacing); the next write will reformat it");
                }
                beads.push(bead);
            }
            Err(store::Error::Parse(e)) => report.errors.push(e.into()),
            Err(e) => report.error(&path, e.to_string()),
        }
    }
    beads
}

fn check_enrichment(report: &mut Report, dir: &Path, beads: &[Bead], vocabulary: &Vocabulary) {
    let ids: HashSet<&str> = beads.iter().map(|b| b.id.as_str()).collect();
    let resolver = crate::model::vocabulary::Resolver::new(vocabulary);
    for (path, id) in entity_files(report, dir, ".yaml", "enrichment") {
        let Some(bytes) = read(report, &path) else {
            continue;
        };
        match format::from_yaml::<Enrichment>(&path, &String::from_utf8_lossy(&bytes)) {
            Ok(e) => {
                if !ids.contains(id.as_str()) {
                    report.warn(
                        &path,
                        format!("enrichment for {id:?}, which is not in the store"),
                    );
                }
                for c in e.concept_names() {
                    if resolver.live(c).is_none() {
                        report.warn(&path, format!("concept {c:?} is not in the vocabulary"));
                    }
                }
            }
            Err(e) => report.errors.push(e.into()),
        }
    }
}

fn check_suggestions(report: &mut Report, dir: &Path) {
    for (path, _) in entity_files(report, dir, ".yaml", "suggestion") {
        let Some(bytes) = read(report, &path) else {
            continue;
        };
        if let Err(e) = crate::vocab::ops::parse_suggestion(&path, &String::from_utf8_lossy(&bytes))
        {
            report.errors.push(e.into());
        }
    }
}

fn check_graph(report: &mut Report, root: &Path, beads: &[Bead]) {
    let ids: HashSet<&str> = beads.iter().map(|b| b.id.as_str()).collect();
    let path_of = |id: &str| {
        root.join(store::BEADS_DIR)
            .join(format!("{}.json", id::escape(id)))
    };
    for bead in beads {
        for dep in &bead.dependencies {
            if !ids.contains(dep.depends_on_id.as_str()) && dep.is_ordering() {
                report.warn(
                    &path_of(&bead.id),
                    format!(
                        "{} dependency on {:?}, which is not in the store",
                        dep.dep_type, dep.depends_on_id
                    ),
                );
            }
        }
    }
    for cycle in deps::cycles(beads) {
        report.error(
            &path_of(&cycle[0]),
            format!("dependency cycle: {}", deps::describe(&cycle)),
        );
    }
}

fn check_log(report: &mut Report, dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: BTreeMap<PathBuf, ()> = BTreeMap::new();
    for e in entries.flatten() {
        files.insert(e.path(), ());
    }
    for path in files.into_keys() {
        if path.extension().is_none_or(|e| e != "jsonl") {
            report.warn(&path, "not a log file (expected YYYY-MM-DD.jsonl); ignored");
            continue;
        }
        let Some(bytes) = read(report, &path) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        let (_, errors) = store::log::parse_file(&path, &text);
        report.errors.extend(errors.into_iter().map(Problem::from));
    }
}
