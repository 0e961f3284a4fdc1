//! Output: data on stdout (JSON with `--json`, aligned text otherwise),
//! chatter on stderr. Nothing else in the crate prints.

use std::io::Write;

use comfy_table::{Table, presets};
use serde::Serialize;

use super::env::Ctx;
use super::error::CliResult;

/// Write to stdout; a closed pipe (`gemba ready | head`) ends quietly.
pub fn out(text: &str) {
    out_bytes(text.as_bytes());
}

pub fn out_bytes(bytes: &[u8]) {
    let mut stdout = std::io::stdout().lock();
    let written = stdout.write_all(bytes).and_then(|()| stdout.flush());
    if written.is_err_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) {
        std::process::exit(0);
    }
}

pub fn json<T: Serialize + ?Sized>(value: &T) {
    let mut text = serde_json::to_string_pretty(value).expect("report serializes");
    text.push('\n');
    out(&text);
}

/// The beads' own files as one JSON array (copied, not re-serialized: at
/// 100k beads this is most of `list --json`'s time), written a few
/// thousand files at a time.
pub fn bead_files(store: &crate::store::Store, ids: &[&str]) -> CliResult {
    use crate::store::snapshot;
    let mut buf = Vec::new();
    out("[");
    for (n, chunk) in ids.chunks(4096).enumerate() {
        buf.clear();
        let files = snapshot::bead_files(store, chunk)?;
        for (i, file) in files.iter().enumerate() {
            buf.extend_from_slice(if n == 0 && i == 0 { b"\n" } else { b",\n" });
            buf.extend_from_slice(file.trim_ascii_end());
        }
        out_bytes(&buf);
    }
    out(if ids.is_empty() { "]\n" } else { "\n]\n" });
    Ok(())
}

/// A progress or status line on stderr; `--quiet` silences it.
pub fn status(ctx: &Ctx, text: &str) {
    if !ctx.quiet {
        eprintln!("{text}");
    }
}

pub fn warn(ctx: &Ctx, text: &str) {
    let label = paint(ctx, "warning:", anstyle::AnsiColor::Yellow);
    eprintln!("{label} {text}");
}

/// After a mutating command: print what logging and auto-commit warn
/// about (a commit that failed or had to wait). The change is made.
pub fn finished(ctx: &Ctx, finished: crate::store::log::Finished) {
    for w in &finished.warnings {
        warn(ctx, w);
    }
}

/// The event log's malformed lines (skipped), as warnings with
/// `file:line:col`.
pub fn log_problems(ctx: &Ctx, problems: &[crate::format::ParseError]) {
    for p in problems {
        let mut p = p.clone();
        p.path = ctx.show_path(&p.path).into_owned().into();
        let skipped = if p.line == 0 { "file" } else { "line" };
        warn(ctx, &format!("{p} ({skipped} skipped)"));
    }
}

pub fn paint(ctx: &Ctx, text: &str, color: anstyle::AnsiColor) -> String {
    if ctx.color {
        let style = anstyle::Style::new().fg_color(Some(color.into())).bold();
        format!("{style}{text}{style:#}")
    } else {
        text.to_string()
    }
}

/// Columns aligned, no borders.
pub fn table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING);
    t.set_header(header.iter().map(|h| h.to_uppercase()));
    for row in rows {
        t.add_row(row);
    }
    let mut s = t.trim_fmt();
    s.push('\n');
    s
}

/// Shorten to `max` characters for a table cell.
pub fn clip(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() <= max {
        line.to_string()
    } else {
        let cut: String = line.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// A progress bar on stderr, only on a terminal and never with --quiet or
/// --json.
pub fn progress(ctx: &Ctx, what: &str) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if ctx.quiet || ctx.json || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(what.to_string());
    Some(bar)
}
