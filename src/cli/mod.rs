//! The command line: clap types and one module per command. Thin: resolve
//! the context, call the library, render the result as text or JSON.

mod affinity;
mod agent;
mod bead;
mod calibrate;
mod check;
mod claim;
mod claims;
mod coach;
mod commit;
mod concepts;
mod config;
mod conflicts;
mod debug;
mod demo;
mod dispatch;
pub mod env;
pub mod error;
mod hook;
mod hooks;
mod import;
mod index;
mod init;
mod ledger;
mod leverage;
mod log;
mod next;
mod pick;
mod plan;
mod queue;
mod ready;
mod retro;
mod scan;
mod session;
mod suggestions;
mod supply;
mod tune;
pub mod ui;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use env::Ctx;
use error::{CliError, CliResult, Kind};

/// `gemba --help`'s epilogue: exit codes, JSON error codes, examples.
fn after_help() -> String {
    format!(
        "\
Exit codes:
  0  success
  1  the command failed (bad input, missing state, I/O); nothing was changed
  2  usage error (unknown flag, bad argument, unknown enum value)
  3  nothing to do (e.g. `gemba ready` found no ready work, an empty queue)
  4  lost a race: someone else took it first; retry or move on

With --json, errors go to stderr as one JSON object
{{\"code\", \"message\", \"hint\", \"retryable\"}}; `code` is one of:
{}

Examples:
  gemba init
  bd export | gemba import beads -
  gemba ready --limit 5
  gemba index build     # the source import graph behind semantic conflicts
  gemba bead show bd-a1b2
  gemba agent add alice --role build --context-window 200000
  S=$(gemba session start --agent alice)
  gemba session health
  gemba next --session s-alice-3k9x --explain   # what this session should do next
  gemba next --session s-alice-3k9x --claim     # ...and take it (exit 4: lost every race)
  gemba pick gm-a1b2 --session s-alice-3k9x --reason 'knows the parser'
  gemba coach           # every live session and the dispatch grid
  gemba check
  gemba log --kind import --json
  gemba claim gm-a1b2 --session s-alice-3k9x   # exit 4: someone else has it
  gemba claims list
  gemba queue enqueue --target alice --bead gm-a1b2
  gemba queue take --agent alice   # exit 3: nothing ready
  gemba dispatch on && gemba dispatch run   # feed idle sessions; `dispatch off` stops it
  gemba queue status    # per agent: utilization, idle since, STARVING
  gemba commit          # commit what auto-commit left pending
  gemba demo            # a guided tour on a built-in sample tracker
  gemba ledger --since 2026-11-01   # what shipped, through which stages and agents
  gemba supply --dry-run   # what the demand sources would feed each agent
  gemba scan status     # when the source index was last rebuilt, and why
  gemba hooks install   # git's post-merge/post-rewrite hooks call `gemba hook`
  gemba calibrate       # grade the recommendations: tune suggestions
  gemba suggestions list   # the review queue (vocabulary and tune)
  gemba tune scoring.affinity_share=0.6 --reason 'picks favour leverage'
  gemba retro run       # after a merge: files touched vs declared targets, graded",
        error::CODES_HELP
    )
}

/// Keep a fleet of AI coding agents fed with the right work and out of each
/// other's way, with plain files in git.
#[derive(Debug, Parser)]
#[command(name = "gemba", version, after_help = after_help(), max_term_width = 100)]
pub struct Cli {
    /// Use this state directory instead of the main worktree's `.gemba/`.
    #[arg(long, global = true, env = "GEMBA_DIR", value_name = "DIR")]
    gemba_dir: Option<PathBuf>,
    /// Print one JSON document on stdout (errors as JSON on stderr).
    #[arg(long, global = true)]
    json: bool,
    /// Who is acting, for the event log [default: $GEMBA_ACTOR, then $USER].
    #[arg(long, global = true, value_name = "NAME")]
    actor: Option<String>,
    /// Silence status messages on stderr.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
enum Command {
    Init(init::InitArgs),
    Import(import::ImportArgs),
    Ready(ready::ReadyArgs),
    #[command(subcommand)]
    Index(index::IndexCommand),
    #[command(subcommand)]
    Bead(bead::BeadCommand),
    #[command(subcommand)]
    Concepts(concepts::ConceptsCommand),
    #[command(subcommand)]
    Agent(agent::AgentCommand),
    #[command(subcommand)]
    Session(session::SessionCommand),
    Conflicts(conflicts::ConflictsArgs),
    Plan(plan::PlanArgs),
    Next(next::NextArgs),
    Pick(pick::PickArgs),
    Coach(coach::CoachArgs),
    Affinity(affinity::AffinityArgs),
    Leverage(leverage::LeverageArgs),
    Check(check::CheckArgs),
    Log(log::LogArgs),
    Claim(claim::ClaimArgs),
    Release(claim::ReleaseArgs),
    Renew(claim::RenewArgs),
    #[command(subcommand)]
    Claims(claims::ClaimsCommand),
    #[command(subcommand)]
    Queue(queue::QueueCommand),
    #[command(subcommand)]
    Dispatch(dispatch::DispatchCommand),
    Commit(commit::CommitArgs),
    #[command(subcommand)]
    Config(config::ConfigCommand),
    Demo(demo::DemoArgs),
    Ledger(ledger::LedgerArgs),
    #[command(subcommand, hide = true)]
    Debug(debug::DebugCommand),
    Supply(supply::SupplyArgs),
    #[command(subcommand)]
    Scan(scan::ScanCommand),
    #[command(subcommand)]
    Hooks(hooks::HooksCommand),
    #[command(subcommand)]
    Hook(hook::HookCommand),
    Calibrate(calibrate::CalibrateArgs),
    Tune(tune::TuneArgs),
    #[command(subcommand)]
    Suggestions(suggestions::SuggestionsCommand),
    #[command(subcommand)]
    Retro(retro::RetroCommand),
}

pub fn main() -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    let parsed = Cli::command().try_get_matches().and_then(|matches| {
        let cli = Cli::from_arg_matches(&matches)?;
        Ok((cli, command_name(&matches)))
    });
    let (cli, command) = match parsed {
        Ok(parsed) => parsed,
        Err(e) if e.use_stderr() && wants_json() => {
            eprintln!("{}", usage_json(&e));
            return ExitCode::from(Kind::Usage.exit_code());
        }
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let json = cli.json;
    match run(cli, command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if !err.silent {
                if json {
                    eprintln!("{}", err.to_json());
                } else {
                    eprintln!("gemba: {}", err.message);
                    if let Some(hint) = &err.hint {
                        eprintln!("hint: {hint}");
                    }
                }
            }
            ExitCode::from(err.kind().exit_code())
        }
    }
}

/// `gemba bead update`: who we are, for processes waiting on our locks.
fn command_name(matches: &clap::ArgMatches) -> String {
    let mut name = String::from("gemba");
    let mut m = matches;
    while let Some((sub, next)) = m.subcommand() {
        name.push(' ');
        name.push_str(sub);
        m = next;
    }
    name
}

fn run(cli: Cli, command: String) -> CliResult {
    // The demo makes its own repository; it needs no context here.
    if let Command::Demo(args) = &cli.command {
        return demo::run(args);
    }
    // A git hook never fails: it makes its own context, catching errors.
    if let Command::Hook(_) = &cli.command {
        let Command::Hook(cmd) = cli.command else {
            unreachable!("matched above")
        };
        return hook::run(cli.gemba_dir, cli.actor, command, cmd);
    }
    let ctx = Ctx::new(cli.gemba_dir, cli.actor, cli.json, cli.quiet, command)?;
    match cli.command {
        Command::Init(args) => init::run(&ctx, args),
        Command::Import(args) => import::run(&ctx, args),
        Command::Ready(args) => ready::run(&ctx, args),
        Command::Index(cmd) => index::run(&ctx, cmd),
        Command::Bead(cmd) => bead::run(&ctx, cmd),
        Command::Concepts(cmd) => concepts::run(&ctx, cmd),
        Command::Agent(cmd) => agent::run(&ctx, cmd),
        Command::Session(cmd) => session::run(&ctx, cmd),
        Command::Conflicts(args) => conflicts::run(&ctx, args),
        Command::Plan(args) => plan::run(&ctx, args),
        Command::Next(args) => next::run(&ctx, args),
        Command::Pick(args) => pick::run(&ctx, args),
        Command::Coach(args) => coach::run(&ctx, args),
        Command::Affinity(args) => affinity::run(&ctx, args),
        Command::Leverage(args) => leverage::run(&ctx, args),
        Command::Check(args) => check::run(&ctx, args),
        Command::Log(args) => log::run(&ctx, args),
        Command::Claim(args) => claim::run_claim(&ctx, args),
        Command::Release(args) => claim::run_release(&ctx, args),
        Command::Renew(args) => claim::run_renew(&ctx, args),
        Command::Claims(cmd) => claims::run(&ctx, cmd),
        Command::Queue(cmd) => queue::run(&ctx, cmd),
        Command::Dispatch(cmd) => dispatch::run(&ctx, cmd),
        Command::Commit(args) => commit::run(&ctx, args),
        Command::Config(cmd) => config::run(&ctx, cmd),
        Command::Ledger(args) => ledger::run(&ctx, args),
        Command::Debug(cmd) => debug::run(&ctx, cmd),
        Command::Supply(args) => supply::run(&ctx, args),
        Command::Scan(cmd) => scan::run(&ctx, cmd),
        Command::Hooks(cmd) => hooks::run(&ctx, cmd),
        Command::Calibrate(args) => calibrate::run(&ctx, args),
        Command::Tune(args) => tune::run(&ctx, args),
        Command::Suggestions(cmd) => suggestions::run(&ctx, cmd),
        Command::Retro(cmd) => retro::run(&ctx, cmd),
        Command::Demo(_) | Command::Hook(_) => unreachable!("handled above"),
    }
}

/// Whether the command line asks for JSON, for errors clap finds before
/// there is a parsed `--json`.
fn wants_json() -> bool {
    std::env::args_os()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json")
}

/// A clap error as gemba's JSON error (`code: usage`): the message without
/// clap's `error: ` prefix and its usage/help footer.
fn usage_json(e: &clap::Error) -> serde_json::Value {
    let text = e.render().to_string();
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    let message = text
        .split("\n\nUsage:")
        .next()
        .unwrap_or(text)
        .split("\n\nFor more information")
        .next()
        .unwrap_or(text)
        .trim();
    let mut err = CliError::usage(message);
    err.hint = Some("`--help` after any command lists its flags and values".into());
    err.to_json()
}

/// Read a file argument, `-` meaning stdin.
pub(crate) fn read_input(ctx: &Ctx, arg: &std::path::Path) -> CliResult<(PathBuf, String)> {
    use std::io::Read;
    if arg.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| CliError::io(format!("<stdin>: {e}")))?;
        Ok((PathBuf::from("<stdin>"), text))
    } else {
        let path = ctx.cwd.join(arg);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| CliError::io(format!("{}: {e}", arg.display())))?;
        Ok((arg.to_path_buf(), text))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn verify_cli() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
