//! `gemba bead …`: create, show, list, update and close beads.

mod backfill;
mod close;
mod complexity;
mod concepts;
mod create;
mod extract;
mod list;
mod show;
mod size;
mod status;
mod targets;
mod update;

use super::env::Ctx;
use super::error::{CliError, CliResult};
use super::ui;
use crate::beads::values::{self, Field};
use crate::enrich::ops::Edited;
use crate::model::{BeadHead, Enrichment};
use crate::store::Store;
use crate::store::snapshot::{Parts, Snapshot};

/// Create, inspect and edit beads (work items).
#[derive(Debug, clap::Subcommand)]
pub enum BeadCommand {
    Create(create::BeadCreateArgs),
    Show(show::BeadShowArgs),
    List(list::BeadListArgs),
    Update(update::BeadUpdateArgs),
    Close(close::BeadCloseArgs),
    Targets(targets::BeadTargetsArgs),
    Concepts(concepts::BeadConceptsArgs),
    Status(status::BeadStatusArgs),
    Size(size::BeadSizeArgs),
    Complexity(complexity::BeadComplexityArgs),
    Extract(extract::BeadExtractArgs),
    Backfill(backfill::BeadBackfillArgs),
}

pub fn run(ctx: &Ctx, cmd: BeadCommand) -> CliResult {
    match cmd {
        BeadCommand::Create(args) => create::run(ctx, args),
        BeadCommand::Show(args) => show::run(ctx, args),
        BeadCommand::List(args) => list::run(ctx, args),
        BeadCommand::Update(args) => update::run(ctx, args),
        BeadCommand::Close(args) => close::run(ctx, args),
        BeadCommand::Targets(args) => targets::run(ctx, args),
        BeadCommand::Concepts(args) => concepts::run(ctx, args),
        BeadCommand::Status(args) => status::run(ctx, args),
        BeadCommand::Size(args) => size::run(ctx, args),
        BeadCommand::Complexity(args) => complexity::run(ctx, args),
        BeadCommand::Extract(args) => extract::run(ctx, args),
        BeadCommand::Backfill(args) => backfill::run(ctx, args),
    }
}

/// Parse a priority written as `1` or `P1`.
fn parse_priority(s: &str) -> Result<u8, String> {
    let digits = s.strip_prefix(['P', 'p']).unwrap_or(s);
    match digits.parse::<u8>() {
        Ok(p) if p <= 4 => Ok(p),
        _ => Err(format!("expected a priority 0-4 (or P0-P4), got {s:?}")),
    }
}

/// The value parser of a closed enum (dispatch status, size): `--help`
/// lists the values; any other value is a usage error (exit 2) listing them.
pub(super) fn one_of<T: Copy + Send + Sync + 'static>(
    all: &'static [T],
    name: fn(T) -> &'static str,
) -> impl clap::builder::TypedValueParser<Value = T> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(all.iter().map(|v| name(*v))).map(move |text| {
        *all.iter()
            .find(|v| name(**v) == text)
            .expect("clap accepts only the possible values")
    })
}

/// Refuse values of an open-set field (`--status`, `--type`) that are
/// neither bd's nor used by one of `beads`: a usage error (exit 2) naming
/// the valid values.
fn check_values(flag: &str, field: Field, values: &[String], beads: &[BeadHead<'_>]) -> CliResult {
    values::check(field, values.iter().map(String::as_str), beads)
        .map_err(|e| CliError::usage(format!("--{flag}: {e}")))
}

/// [`check_values`] for each `(flag, field, values)` against the store,
/// loading its beads (once) only when some value is not bd's.
fn check_store_values(store: &Store, checks: &[(&str, Field, Vec<String>)]) -> CliResult {
    let all_known = checks
        .iter()
        .all(|(_, field, v)| values::all_known(*field, v.iter().map(String::as_str)));
    if all_known {
        return Ok(());
    }
    let snapshot = Snapshot::load(store, Parts::BEADS)?;
    for (flag, field, values) in checks {
        check_values(flag, *field, values, &snapshot.beads()?)?;
    }
    Ok(())
}

/// The serde name of an enum value (`awaiting-design`, `small`).
fn name_of<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// Enrichment fields, one per line, each with its source.
fn render_enrichment(e: &Enrichment) -> String {
    fn line(
        name: &str,
        value: String,
        source: crate::model::enrichment::Source,
        at: &Option<String>,
    ) -> String {
        let at = at.as_deref().map(|a| format!(", {a}")).unwrap_or_default();
        format!("  {name:<16} {value}  ({source}{at})\n")
    }
    let mut s = String::new();
    let list = |v: Vec<String>| {
        if v.is_empty() {
            "(none)".to_string()
        } else {
            v.join(", ")
        }
    };
    if let Some(t) = &e.targets {
        s.push_str(&line(
            "targets",
            list(t.value.iter().map(|g| g.to_string()).collect()),
            t.source,
            &t.updated_at,
        ));
    }
    if let Some(c) = &e.concepts {
        s.push_str(&line(
            "concepts",
            list(c.value.clone()),
            c.source,
            &c.updated_at,
        ));
    }
    if let Some(d) = &e.dispatch_status {
        s.push_str(&line(
            "dispatch status",
            name_of(&d.value),
            d.source,
            &d.updated_at,
        ));
    }
    if let Some(z) = &e.estimated_size {
        s.push_str(&line("size", name_of(&z.value), z.source, &z.updated_at));
    }
    if let Some(c) = &e.complexity {
        s.push_str(&line(
            "complexity",
            name_of(&c.value),
            c.source,
            &c.updated_at,
        ));
    }
    if s.is_empty() {
        s.push_str("  (not enriched)\n");
    }
    s
}

/// Print an enrichment edit's result.
fn report_edit(ctx: &Ctx, edited: &Edited) {
    if ctx.json {
        ui::json(edited);
    } else {
        ui::out(&format!(
            "{}\n{}",
            edited.id,
            render_enrichment(&edited.enrichment)
        ));
        if !edited.changed {
            ui::status(ctx, "nothing changed");
        }
    }
}
