//! `gemba hook post-merge|post-rewrite`: what the git hooks installed by
//! `gemba hooks install` run. Fail-open: whatever goes wrong (no `.gemba/`,
//! a broken config, a step that fails or panics) the command exits 0, says
//! what is wrong in one line on stderr and logs a `githook` event when the
//! log is writable; git is never blocked. A run is a list of independent
//! steps ([`STEPS`]); slow work goes to the background.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::time::Instant;

use super::env::Ctx;
use super::error::CliResult;
use crate::githooks::Hook;
use crate::model::{Event, EventKind};
use crate::scan::Reason;
use crate::store::Store;

/// Called by git: the hooks `gemba hooks install` puts in place run these
/// after a merge or a rewrite. They never fail (exit 0, problems in one
/// line on stderr and in `gemba log --kind githook`).
#[derive(Debug, clap::Subcommand)]
pub enum HookCommand {
    /// After `git merge` / `git pull` (git passes 1 for a squash merge).
    #[command(after_help = "Examples:\n  gemba hook post-merge 0")]
    PostMerge(HookArgs),
    /// After `git commit --amend` (`amend`) or `git rebase` (`rebase`),
    /// with git's list of rewritten commits (`OLD NEW` lines) on stdin.
    #[command(after_help = "Examples:\n  echo \"$OLD $NEW\" | gemba hook post-rewrite amend")]
    PostRewrite(HookArgs),
    /// With `git.auto_commit`: wait for git's merge or rebase to finish,
    /// then commit what the hook logged (run detached by the hook).
    #[command(hide = true)]
    Settle(SettleArgs),
}

#[derive(Debug, clap::Args)]
pub struct SettleArgs {
    /// The commit message.
    #[arg(long)]
    message: String,
    /// What to commit (files, or directories: all their changes).
    paths: Vec<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct HookArgs {
    /// What git passes (taken as is: a hook never rejects its input).
    #[arg(allow_hyphen_values = true, num_args = 0.., value_name = "GIT_ARGS")]
    args: Vec<String>,
}

/// One hook run, as its steps see it.
#[allow(dead_code)] // `args`, `stdin`: what git passed, for steps to come
pub struct HookRun<'a> {
    pub ctx: &'a Ctx,
    pub store: &'a Store,
    pub hook: Hook,
    /// git's arguments (post-merge: `1` for a squash; post-rewrite:
    /// `amend` or `rebase`).
    pub args: &'a [String],
    /// git's input (post-rewrite: `OLD NEW [EXTRA]` per rewritten commit).
    pub stdin: &'a [u8],
}

/// A step: a short note on success, a one-line reason on failure.
type StepFn = fn(&HookRun) -> Result<String, String>;

/// What every hook run does, in order. Each step is fail-open: its error
/// is reported and the next step runs anyway. To add one, add a line.
const STEPS: &[(&str, StepFn)] = &[("retro", retro_step), ("scan", scan_step)];

/// After a merge, the retrospective over `ORIG_HEAD..HEAD`, read in the
/// worktree git runs the hook in (`HEAD` is per worktree). A rewrite
/// (amend, rebase) is left to the merge that lands it: its new commits
/// repeat work already retro'd or not landed yet.
fn retro_step(run: &HookRun) -> Result<String, String> {
    if run.hook != Hook::PostMerge {
        return Ok("skipped (a rewrite is retro'd when merged)".into());
    }
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    let repo = crate::git::discover(&cwd)
        .map(|l| l.current_worktree)
        .unwrap_or(cwd);
    let range = crate::retro::Range::parse("ORIG_HEAD..HEAD").map_err(|e| e.to_string())?;
    let report = crate::retro::run_in(run.store, &repo, &range, &run.ctx.actor, run.ctx.now)
        .map_err(|e| e.to_string())?;
    let diverged: Vec<String> = report
        .retros
        .iter()
        .map(|r| format!("{} {:.2}", r.bead, r.data.divergence.score))
        .collect();
    Ok(match diverged.as_slice() {
        [] => format!("{} commit(s), no bead", report.commits),
        _ => format!("{} (divergence)", diverged.join(", ")),
    })
}

/// A merge (or a rewrite: it changes the tree like one) counts towards
/// the scan scheduler's post-merge wave; the scan itself runs in the
/// background.
fn scan_step(run: &HookRun) -> Result<String, String> {
    let mut warnings = Vec::new();
    let decision = super::scan::trigger(run.ctx, run.store, Reason::PostMerge, true, &mut warnings)
        .map_err(|e| e.message)?;
    if let Some(w) = warnings.first() {
        return Err(w.clone());
    }
    Ok(format!("{} ({})", decision.name(), decision.why()))
}

/// What one step did, for the `githook` event.
#[derive(Debug, serde::Serialize)]
struct StepResult {
    step: &'static str,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Run a hook; always `Ok`: the exit status must never fail git.
pub fn run(
    gemba_dir: Option<PathBuf>,
    actor: Option<String>,
    command: String,
    cmd: HookCommand,
) -> CliResult {
    let started = Instant::now();
    let (hook, args) = match cmd {
        HookCommand::PostMerge(a) => (Hook::PostMerge, a.args),
        HookCommand::PostRewrite(a) => (Hook::PostRewrite, a.args),
        HookCommand::Settle(args) => {
            settle(gemba_dir, actor, command, args);
            return Ok(());
        }
    };
    // A panic must not print a backtrace into git's output: it becomes
    // the failing step's one-line reason.
    std::panic::set_hook(Box::new(|_| {}));
    let mut stdin = Vec::new();
    if hook == Hook::PostRewrite && !std::io::stdin().is_terminal() {
        let _ = std::io::stdin().read_to_end(&mut stdin);
    }
    let mut problems: Vec<String> = Vec::new();
    let outcome = run_steps(gemba_dir, actor, command, hook, &args, &stdin, started);
    match outcome {
        Ok(mut p) => problems.append(&mut p),
        Err(e) => problems.push(e),
    }
    if !problems.is_empty() {
        let line = problems.join("; ").replace(['\n', '\r'], " ");
        eprintln!("gemba: {hook} hook: {line} (git is not affected)");
    }
    Ok(())
}

/// The problems to report; `Err` when not even the context could be made
/// (nothing can be logged then).
fn run_steps(
    gemba_dir: Option<PathBuf>,
    actor: Option<String>,
    command: String,
    hook: Hook,
    args: &[String],
    stdin: &[u8],
    started: Instant,
) -> Result<Vec<String>, String> {
    let ctx = Ctx::new(gemba_dir, actor, false, true, command.clone()).map_err(|e| e.message)?;
    if !ctx.gemba_dir.is_dir() {
        return Err(format!(
            "no gemba state at {} (run `gemba init`, or `gemba hooks uninstall`)",
            ctx.gemba_dir.display()
        ));
    }
    let mut problems = Vec::new();
    let mut results = Vec::new();
    // Never wait in silence nor print about it: a lock wait is bounded by
    // the store's timeout and ends up as the step's error.
    let opened = Store::open(&ctx.gemba_dir, ctx.worktree.clone())
        .map(|s| s.with_holder(command, Box::new(|_| {})));
    let mut auto_commit = false;
    let store = match opened {
        Ok(store) => {
            // git's merge or rebase is still in progress while its hook
            // runs, so no commit can be made now: one is made after it.
            auto_commit = store.config().git.auto_commit;
            let store = store.without_auto_commit();
            let run = HookRun {
                ctx: &ctx,
                store: &store,
                hook,
                args,
                stdin,
            };
            for (name, step) in STEPS {
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| step(&run)))
                    .unwrap_or_else(|panic| Err(panic_message(&*panic)));
                match result {
                    Ok(note) => results.push(StepResult {
                        step: name,
                        ok: true,
                        note: Some(note),
                        error: None,
                    }),
                    Err(error) => {
                        problems.push(format!("{name}: {error}"));
                        results.push(StepResult {
                            step: name,
                            ok: false,
                            note: None,
                            error: Some(error),
                        });
                    }
                }
            }
            store
        }
        Err(e) => {
            // A broken config: run nothing (its settings are unknown), but
            // still log, with the defaults (no auto-commit, no event hooks).
            problems.push(format!("{e}; no step ran"));
            Store::unchecked(&ctx.gemba_dir)
        }
    };
    let rewritten = String::from_utf8_lossy(stdin)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count();
    let ms = started.elapsed().as_millis() as u64;
    let mut event = Event::new(
        ctx.now,
        &ctx.actor,
        EventKind::GitHook,
        vec![],
        match problems.is_empty() {
            // What each step did: the auto-commit's message says it too.
            true => format!(
                "{hook} hook ok: {}",
                results
                    .iter()
                    .map(|r| format!("{} {}", r.step, r.note.as_deref().unwrap_or("ok")))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            false => format!("{hook} hook: {}", problems.join("; ")),
        },
    )
    .with("hook", hook)
    .with("args", args)
    .with("ok", problems.is_empty())
    .with("steps", &results)
    .with("ms", ms);
    if hook == Hook::PostRewrite {
        event = event.with("rewritten", rewritten);
    }
    if !problems.is_empty() {
        event = event.with("error", problems.join("; "));
    }
    let message = format!("gemba: {}", event.message);
    match crate::store::log::record(&store, &[event]) {
        Ok(finished) => problems.extend(finished.warnings),
        Err(e) => problems.push(format!("could not log: {e}")),
    }
    // What the steps changed (the retro's enrichment and profiles, the
    // log): all of `.gemba/`, committed once git is done.
    if auto_commit && let Err(e) = spawn_settle(&store, &message, store.root()) {
        problems.push(format!("the log will not be committed: {e}"));
    }
    Ok(problems)
}

/// `gemba hook settle`, detached from git's hook: its own process group,
/// no inherited stdio.
fn spawn_settle(store: &Store, message: &str, changed: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    Command::new(std::env::current_exe()?)
        .arg("--gemba-dir")
        .arg(store.root())
        .args(["--quiet", "hook", "settle", "--message", message, "--"])
        .arg(changed)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map(drop)
}

/// How long `settle` waits for git's operation to finish.
const SETTLE_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// `githooks::settle` what the hook changed (its `paths`: files or
/// directories). Silent: its output goes nowhere; what stays uncommitted
/// is left for the next auto-commit or `gemba commit`.
fn settle(gemba_dir: Option<PathBuf>, actor: Option<String>, command: String, args: SettleArgs) {
    let Ok(ctx) = Ctx::new(gemba_dir, actor, false, true, command) else {
        return;
    };
    let Some(worktree) = ctx.worktree.as_deref() else {
        return;
    };
    let paths: Vec<PathBuf> = args
        .paths
        .iter()
        .filter_map(|p| {
            p.strip_prefix(worktree)
                .ok()
                .map(std::path::Path::to_path_buf)
        })
        .collect();
    let _ = crate::githooks::settle(worktree, &paths, &args.message, SETTLE_WAIT);
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown".into());
    format!("internal error (panic: {text})")
}
