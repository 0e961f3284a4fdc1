//! `gemba supply`: feed the agents' queues from the demand sources;
//! `gemba supply source add|list|remove`: manage those sources.

use std::path::{Path, PathBuf};

use super::env::Ctx;
use super::error::{CliError, CliResult, Code};
use super::ui;
use crate::cli::bead::one_of;
use crate::model::duration::Duration;
use crate::model::packet::MAX_PRIORITY;
use crate::model::supply::{Source, SourceKind};
use crate::queue::supply::{self, Reason, Report};

/// Fill every capable agent's queue from the demand sources.
///
/// Reads every source in `supply.sources` (config.yaml): idea backlogs,
/// GitHub issues (`gh issue list --json number,title,body,labels,url`),
/// Hacker News searches, TODO markdown (`- [ ] ...`) and gemba's own ready
/// beads. A source that fails (missing file, failing or slow command,
/// malformed output, named with file:line:col) is reported and skipped.
///
/// An item is never enqueued twice: its key (`<source>:<item key>`) is
/// remembered in .gemba/supply/seen/. New items the source wants
/// (`labels`, `words`) and may dispatch autonomously (`min_score`,
/// `allowlist`) become packets (the spec template in config, or the
/// generator command; targets from the extractor) and go to the agent
/// whose envelope fits, then with the highest affinity, then the least
/// loaded, until each queue holds `queue.target_depth` packets (ready and
/// in progress). Everything else is held back, with the reason: low score,
/// not allowlisted, not dispatchable, no capable agent, queues full,
/// generator failed.
///
/// Logs one `supply` event. Exit 3 when nothing was (or, with --dry-run,
/// would be) enqueued. --dry-run also runs the source commands and the
/// generator, but writes and logs nothing.
#[derive(Debug, clap::Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  gemba supply source add github --label factory-candidate --command gh issue list --json number,title,body,labels,url\n  gemba supply --dry-run\n  gemba supply --json | jq '.held_counts'\n  gemba supply || [ $? -eq 3 ]   # 3: nothing to enqueue (queues full, nothing new)\n\nOn a schedule: examples/systemd/gemba-supply.{service,timer}, or cron:\n  */15 * * * * cd /srv/project && gemba supply --quiet >/dev/null"
)]
pub struct SupplyArgs {
    /// Show what would be enqueued; change nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(subcommand)]
    command: Option<SupplyCommand>,
}

#[derive(Debug, clap::Subcommand)]
enum SupplyCommand {
    #[command(subcommand)]
    Source(SourceCommand),
}

/// Manage the demand sources (`supply.sources` in config.yaml).
#[derive(Debug, clap::Subcommand)]
enum SourceCommand {
    Add(SourceAddArgs),
    List(SourceListArgs),
    Remove(SourceRemoveArgs),
}

/// Add a demand source to config.yaml (the rest of the file, comments
/// included, is left as it is).
///
/// KIND is backlog (idea backlog YAML), github (`gh issue list --json
/// number,title,body,labels,url` output), hn (Hacker News Algolia search
/// JSON), todo (markdown `- [ ]` lines) or beads (gemba's own ready beads:
/// no PATH or --command). The source is a file (PATH, kept relative to the
/// repository root) or a command whose stdout is read (--command: argv,
/// no shell, run in the repository root; it takes the rest of the line,
/// so give it last).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba supply source add backlog ideas.yaml --min-score 0.7 --allowlist idea-12\n  gemba supply source add todo TODO.md --name inbox --label gemba\n  gemba supply source add beads --priority 1\n  gemba supply source add hn --name hn-git --label story --word git --min-score 100 --command curl -s 'https://hn.algolia.com/api/v1/search?tags=story&query=git'\n  gemba supply source add github --label factory-candidate --command gh issue list --json number,title,body,labels,url"
)]
#[command(group(clap::ArgGroup::new("from").args(["path", "command"])))]
struct SourceAddArgs {
    #[arg(value_name = "KIND", value_parser = one_of(&SourceKind::ALL, SourceKind::as_str))]
    kind: SourceKind,
    /// The file to read.
    #[arg(value_name = "PATH")]
    path: Option<PathBuf>,
    /// The command whose stdout is read (the rest of the line).
    #[arg(long, value_name = "ARGV", num_args = 1.., allow_hyphen_values = true)]
    command: Vec<String>,
    /// Its name, unique; the first part of its items' keys [default: KIND,
    /// or KIND-2, ...].
    #[arg(long)]
    name: Option<String>,
    /// Only items with this label (GitHub label, HN tag, backlog or bead
    /// label, TODO #tag); repeatable.
    #[arg(long = "label", value_name = "LABEL")]
    labels: Vec<String>,
    /// Only items whose title or body contains this word or phrase;
    /// repeatable.
    #[arg(long = "word", value_name = "WORD")]
    words: Vec<String>,
    /// Dispatch autonomously only items scoring at least this (backlog
    /// score, HN points), or allowlisted.
    #[arg(long, value_name = "X")]
    min_score: Option<f64>,
    /// An item id that may be dispatched whatever its score; repeatable.
    #[arg(long = "allowlist", value_name = "ID")]
    allowlist: Vec<String>,
    /// Its packets' priority, 0 (most urgent) to 4 [default: 2; beads keep
    /// theirs].
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u8).range(0..=MAX_PRIORITY as i64))]
    priority: Option<u8>,
    /// The role its packets need.
    #[arg(long, value_name = "ROLE")]
    requires: Option<String>,
    /// How long the command may run: 30s, 2m [default: 60s].
    #[arg(long, value_name = "DURATION",
          value_parser = |s: &str| s.parse::<Duration>())]
    timeout: Option<Duration>,
}

/// List the demand sources.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gemba supply source list\n  gemba supply source list --json | jq -r '.[].name'"
)]
struct SourceListArgs {}

/// Remove a demand source from config.yaml. What it supplied stays
/// supplied (its items are still remembered as seen).
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  gemba supply source remove github")]
struct SourceRemoveArgs {
    name: String,
}

pub fn run(ctx: &Ctx, args: SupplyArgs) -> CliResult {
    match args.command {
        None => run_supply(ctx, args.dry_run),
        Some(SupplyCommand::Source(SourceCommand::Add(a))) => add(ctx, a),
        Some(SupplyCommand::Source(SourceCommand::List(_))) => list(ctx),
        Some(SupplyCommand::Source(SourceCommand::Remove(a))) => remove(ctx, a),
    }
}

fn run_supply(ctx: &Ctx, dry_run: bool) -> CliResult {
    let store = ctx.store()?;
    if store.config().supply.sources.is_empty() {
        return Err(CliError::new(Code::NothingToDo, "no demand sources configured")
            .hint("`gemba supply source add KIND ...` adds one (see `gemba supply source add --help`)"));
    }
    let report = supply::run(&store, dry_run, &ctx.actor, ctx.now)?;
    ui::finished(ctx, report.finished.clone());
    for s in &report.sources {
        if let Some(e) = &s.error {
            ui::warn(ctx, &format!("source {} skipped: {e}", s.name));
        }
    }
    if ctx.json {
        ui::json(&report);
    } else {
        ui::out(&render(&report));
    }
    if report.enqueued.is_empty() {
        return Err(CliError::exit(Code::NothingToDo));
    }
    Ok(())
}

/// Held items of one reason listed before "... and N more".
const SHOWN_PER_REASON: usize = 10;

fn render(r: &Report) -> String {
    let mut out = String::new();
    let verb = if r.dry_run {
        "would enqueue"
    } else {
        "enqueued"
    };
    if r.enqueued.is_empty() {
        out.push_str(&format!("{verb} nothing\n"));
    } else {
        out.push_str(&format!("{verb} {}:\n", r.enqueued.len()));
        for p in &r.enqueued {
            let packet = p
                .packet
                .as_deref()
                .map(|id| format!("{id} "))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {packet}-> {}  P{}  {}  ({})\n",
                p.agent,
                p.priority,
                ui::clip(&p.title, 60),
                p.key
            ));
            for why in &p.why {
                out.push_str(&format!("      {why}\n"));
            }
        }
    }
    if !r.held.is_empty() {
        out.push_str(&format!("held back {}:\n", r.held.len()));
        let mut shown: std::collections::BTreeMap<&str, usize> = Default::default();
        for h in &r.held {
            let n = shown.entry(h.reason.code()).or_default();
            *n += 1;
            if *n <= SHOWN_PER_REASON {
                let why = match &h.reason {
                    // The agents are the same for every such item.
                    Reason::QueuesFull { .. } => "queues full".to_string(),
                    other => other.to_string(),
                };
                out.push_str(&format!(
                    "  {:<16} {}  {}: {why}\n",
                    h.reason.code(),
                    h.key,
                    ui::clip(&h.title, 50)
                ));
            }
        }
        for (code, n) in &r.held_counts {
            if *n > SHOWN_PER_REASON {
                out.push_str(&format!(
                    "  {code:<16} ... and {} more\n",
                    n - SHOWN_PER_REASON
                ));
            }
        }
    }
    out.push_str("sources:\n");
    for s in &r.sources {
        match &s.error {
            Some(e) => out.push_str(&format!("  {} ({}): skipped: {e}\n", s.name, s.kind)),
            None => out.push_str(&format!(
                "  {} ({}): {} item{}, {} new, {} seen, {} filtered out\n",
                s.name,
                s.kind,
                s.items,
                if s.items == 1 { "" } else { "s" },
                s.new,
                s.seen,
                s.filtered
            )),
        }
    }
    if !r.agents.is_empty() {
        let fills: Vec<String> = r
            .agents
            .iter()
            .map(|a| format!("{} {} -> {}", a.agent, a.before, a.after))
            .collect();
        out.push_str(&format!(
            "queues (of {}): {}\n",
            r.target_depth,
            fills.join(", ")
        ));
    } else {
        out.push_str("no agents: `gemba agent add NAME` adds one\n");
    }
    if !r.starving.is_empty() {
        let names: Vec<&str> = r.starving.keys().map(String::as_str).collect();
        out.push_str(&format!(
            "STARVING when this run looked (idle while work they fit waits): {}\n",
            names.join(", ")
        ));
    }
    out
}

fn add(ctx: &Ctx, a: SourceAddArgs) -> CliResult {
    let store = ctx.store()?;
    let repo_root = store.repo_root();
    let from_file_or_command = a.path.is_some() || !a.command.is_empty();
    match (a.kind, from_file_or_command) {
        (SourceKind::Beads, true) => {
            return Err(CliError::usage(
                "a beads source reads gemba's own ready beads: give no PATH or --command",
            ));
        }
        (kind, false) if kind != SourceKind::Beads => {
            return Err(CliError::usage(format!(
                "a {kind} source reads a file or a command: give PATH or --command ARGV..."
            )));
        }
        _ => {}
    }
    if a.timeout.is_some() && a.command.is_empty() {
        return Err(CliError::usage("--timeout is for a --command source"));
    }
    let existing = &store.config().supply.sources;
    let name = match a.name {
        Some(n) => n,
        None => default_name(a.kind, existing),
    };
    let mut source = Source::new(&name, a.kind);
    source.path = a
        .path
        .as_ref()
        .map(|p| stored_path(&ctx.cwd.join(p), &repo_root));
    source.command = a.command;
    source.timeout = a.timeout;
    source.labels = a.labels;
    source.words = a.words;
    source.min_score = a.min_score;
    source.allowlist = a.allowlist;
    source.priority = a.priority;
    source.requires = a.requires;
    let (source, finished) = supply::add_source(&store, source, &ctx.actor, ctx.now)?;
    ui::finished(ctx, finished);
    if let Some(p) = &source.path
        && !repo_root.join(p).is_file()
    {
        ui::warn(
            ctx,
            &format!("{p} does not exist (yet); `gemba supply` will report it until it does"),
        );
    }
    if ctx.json {
        ui::json(&source);
    } else {
        ui::out(&format!("{}\n", source.name));
        ui::status(
            ctx,
            &format!("added supply source {} ({})", source.name, source.kind),
        );
    }
    Ok(())
}

/// `KIND`, else the first free `KIND-N`.
fn default_name(kind: SourceKind, existing: &[Source]) -> String {
    let taken = |n: &str| existing.iter().any(|s| s.name == n);
    let base = kind.as_str().to_string();
    if !taken(&base) {
        return base;
    }
    (2..)
        .map(|i| format!("{base}-{i}"))
        .find(|n| !taken(n))
        .expect("a free name")
}

/// A path as config.yaml keeps it: relative to the repository root when
/// inside it (so the config works from any checkout), else absolute.
fn stored_path(path: &Path, repo_root: &Path) -> String {
    let normal = |p: &Path| -> PathBuf {
        let mut out = PathBuf::new();
        for c in p.components() {
            match c {
                std::path::Component::CurDir => {}
                std::path::Component::ParentDir => {
                    out.pop();
                }
                other => out.push(other),
            }
        }
        out
    };
    let root = std::fs::canonicalize(repo_root).unwrap_or_else(|_| normal(repo_root));
    let full = std::fs::canonicalize(path).unwrap_or_else(|_| normal(path));
    match full.strip_prefix(&root) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.to_string_lossy().replace('\\', "/"),
        _ => full.to_string_lossy().into_owned(),
    }
}

fn list(ctx: &Ctx) -> CliResult {
    let store = ctx.store()?;
    let sources = &store.config().supply.sources;
    if ctx.json {
        ui::json(sources);
        return Ok(());
    }
    if sources.is_empty() {
        ui::status(
            ctx,
            "no supply sources (add one with `gemba supply source add KIND ...`)",
        );
        return Ok(());
    }
    let rows = sources
        .iter()
        .map(|s| {
            let from = match (&s.path, s.command.is_empty()) {
                (Some(p), _) => p.clone(),
                (None, false) => format!("$ {}", crate::analysis::external::display(&s.command)),
                (None, true) => "(ready beads)".into(),
            };
            let mut wants = Vec::new();
            if !s.labels.is_empty() {
                wants.push(format!("labels {}", s.labels.join(",")));
            }
            if !s.words.is_empty() {
                wants.push(format!("words {}", s.words.join(",")));
            }
            let mut gate = Vec::new();
            if let Some(m) = s.min_score {
                gate.push(format!("score >= {m}"));
            }
            if !s.allowlist.is_empty() {
                gate.push(format!("allowlist {}", s.allowlist.join(",")));
            }
            let dash = |v: Vec<String>| {
                if v.is_empty() {
                    "-".into()
                } else {
                    v.join("; ")
                }
            };
            vec![
                s.name.clone(),
                s.kind.to_string(),
                ui::clip(&from, 60),
                dash(wants),
                dash(gate),
            ]
        })
        .collect();
    ui::out(&ui::table(
        &["name", "kind", "from", "wants", "autonomous"],
        rows,
    ));
    Ok(())
}

fn remove(ctx: &Ctx, a: SourceRemoveArgs) -> CliResult {
    let store = ctx.store()?;
    let (source, finished) = supply::remove_source(&store, &a.name, &ctx.actor, ctx.now)?;
    ui::finished(ctx, finished);
    if ctx.json {
        ui::json(&source);
    } else {
        ui::out(&format!("{}\n", source.name));
        ui::status(ctx, &format!("removed supply source {}", source.name));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_and_stored_paths() {
        let mut existing = vec![Source::new("todo", SourceKind::Todo)];
        assert_eq!(default_name(SourceKind::Hn, &existing), "hn");
        assert_eq!(default_name(SourceKind::Todo, &existing), "todo-2");
        existing.push(Source::new("todo-2", SourceKind::Todo));
        assert_eq!(default_name(SourceKind::Todo, &existing), "todo-3");
        let root = Path::new("/nonexistent/repo");
        assert_eq!(stored_path(&root.join("docs/../TODO.md"), root), "TODO.md");
        assert_eq!(stored_path(&root.join("./a/b.yaml"), root), "a/b.yaml");
        assert_eq!(
            stored_path(Path::new("/elsewhere/x.md"), root),
            "/elsewhere/x.md"
        );
    }
}
