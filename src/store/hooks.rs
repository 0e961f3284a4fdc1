//! Event hooks: `hooks.on_<name>` in `config.yaml`, a command run for each
//! logged event of its kinds.
//!
//! | hook          | event kinds                             |
//! |---------------|-----------------------------------------|
//! | `on_enqueued` | `queue.enqueue`                         |
//! | `on_claimed`  | `claim`, `claim.takeover`, `queue.take` |
//! | `on_done`     | `queue.done` (a stage too)              |
//! | `on_failed`   | `queue.fail` (requeued or to `failed/`) |
//! | `on_shipped`  | `queue.shipped`                         |
//! | `on_starving` | `queue.starving`                        |
//!
//! A queue take is how a queue-fed agent claims work, so it is a claim
//! here too: `kind` in the JSON tells the two apart.
//!
//! **When.** [`super::Changes::finish`] and [`super::log::record`] run the
//! hooks after the events are appended (fsynced) and auto-committed, so a
//! hook sees the state it is told about; callers drop their locks first,
//! so a slow hook holds up nobody else. Hooks run one at a time, in event
//! order.
//!
//! **How.** argv, no shell; a relative program path with a `/` is taken
//! from the repository root, which is also the working directory. stdin:
//! the event as the JSON line the log holds. Environment: `GEMBA_EVENT`
//! (the hook's name: `done`), `GEMBA_EVENT_KIND` (`queue.done`),
//! `GEMBA_EVENT_ID`, `GEMBA_DIR` (so a `gemba` run by the hook finds this
//! state) and `GEMBA_HOOK_DEPTH`. The hook runs in its own process group;
//! past `hooks.timeout` the whole group is killed. Its stdout and stderr
//! are captured, never shown (they must not corrupt `--json` output); the
//! last line of stderr goes into the failure message.
//!
//! **Failure** (cannot start, non-zero exit, killed by a signal or the
//! timeout) never undoes or blocks the change: it is a warning in the
//! command's [`Finished`] (one stderr line) and a `hook.failed` event, for
//! which no hook runs. A hook that runs gemba, whose hooks run gemba, ...
//! stops at [`MAX_DEPTH`] levels (a warning), not at a fork bomb.

use std::ffi::OsStr;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::Store;
use super::log::{self, Finished};
use crate::model::config::HooksConfig;
use crate::model::{Event, EventKind};

/// Hooks run by gemba commands that hooks run nest at most this deep.
pub const MAX_DEPTH: u32 = 4;
/// The environment variable that counts the nesting.
pub const DEPTH_VAR: &str = "GEMBA_HOOK_DEPTH";
/// Most bytes of a hook's output kept (the rest is read and dropped).
const OUTPUT_LIMIT: usize = 64 * 1024;
/// After the hook exits, how long to wait for its output pipes to close
/// (a background grandchild may keep them open: then we stop reading).
const DRAIN_GRACE: Duration = Duration::from_millis(200);

/// The hook that runs for an event kind: its name (`done`), if any.
pub fn hook_for(kind: &EventKind) -> Option<&'static str> {
    Some(match kind {
        EventKind::QueueEnqueue => "enqueued",
        EventKind::Claim | EventKind::ClaimTakeover | EventKind::QueueTake => "claimed",
        EventKind::QueueDone => "done",
        EventKind::QueueFail => "failed",
        EventKind::QueueShipped => "shipped",
        EventKind::QueueStarving => "starving",
        _ => return None,
    })
}

/// The configured argv of hook `name` (empty: none).
fn argv<'c>(config: &'c HooksConfig, name: &str) -> &'c [String] {
    config
        .named()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map_or(&[], |(_, argv)| argv)
}

/// One hook that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// `on_done`.
    pub hook: String,
    /// As a person would type it.
    pub command: String,
    /// The event it ran for: id and kind.
    pub event: String,
    pub kind: String,
    /// `exit status 1`, `timed out after 10s`, `cannot start: ...`.
    pub reason: String,
    /// The end of its stderr (at most a few hundred bytes).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stderr: String,
}

impl Failure {
    /// The one line a person sees.
    pub fn line(&self) -> String {
        let tail = match last_line(&self.stderr) {
            "" => String::new(),
            line => format!(": {line}"),
        };
        format!(
            "hook {} (`{}`) for {} {}: {}{tail}; the change stands",
            self.hook, self.command, self.kind, self.event, self.reason
        )
    }
}

fn last_line(text: &str) -> &str {
    text.lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

/// Run the hooks of `events` (logged and committed by the caller); each
/// failure becomes a warning in `finished` and a `hook.failed` event.
pub(super) fn fire(store: &Store, events: &[Event], finished: &mut Finished) {
    let config = &store.config().hooks;
    let due: Vec<(&Event, &'static str, &[String])> = events
        .iter()
        .filter_map(|e| {
            let name = hook_for(&e.kind)?;
            let argv = argv(config, name);
            (!argv.is_empty()).then_some((e, name, argv))
        })
        .collect();
    if due.is_empty() {
        return;
    }
    let depth = current_depth();
    if depth >= MAX_DEPTH {
        finished.warnings.push(format!(
            "hooks not run: {DEPTH_VAR}={depth} (hooks that run gemba nest at most {MAX_DEPTH} deep)"
        ));
        return;
    }
    let cwd = store.repo_root();
    let mut failed = Vec::new();
    for (event, name, argv) in due {
        let mut input = serde_json::to_vec(event).expect("events serialize");
        input.push(b'\n');
        let depth_text = (depth + 1).to_string();
        let env = [
            ("GEMBA_EVENT", name),
            ("GEMBA_EVENT_KIND", event.kind.as_str()),
            ("GEMBA_EVENT_ID", event.id.as_str()),
            (DEPTH_VAR, depth_text.as_str()),
        ];
        let ran = run(
            argv,
            &cwd,
            &env,
            Some(store.root()),
            &input,
            config.timeout.as_secs(),
        );
        let reason = match &ran {
            Ok(r) if r.status.success() => continue,
            Ok(r) => r.reason(config.timeout.as_secs()),
            Err(e) => format!("cannot start: {e}"),
        };
        let stderr = ran.map(|r| tail(&r.stderr, 400)).unwrap_or_default();
        failed.push(Failure {
            hook: format!("on_{name}"),
            command: crate::analysis::external::display(argv),
            event: event.id.clone(),
            kind: event.kind.as_str().to_string(),
            reason,
            stderr,
        });
    }
    if failed.is_empty() {
        return;
    }
    let mut logged = Vec::new();
    for f in &failed {
        finished.warnings.push(f.line());
        let at = events
            .iter()
            .find(|e| e.id == f.event)
            .and_then(Event::timestamp)
            .unwrap_or_else(jiff::Timestamp::now);
        let actor = events.first().map_or("gemba", |e| e.actor.as_str());
        logged.push(
            Event::new(at, actor, EventKind::HookFailed, Vec::new(), f.line())
                .with("hook", &f.hook)
                .with("command", &f.command)
                .with("event", &f.event)
                .with("event_kind", &f.kind)
                .with("reason", &f.reason)
                .with("stderr", &f.stderr),
        );
    }
    // Appended without `record`: no hook runs for a hook's failure. The
    // change stands whatever happens here, so an error is a warning too.
    match log::append_and_commit(store, &logged) {
        Ok(more) => {
            finished.committed |= more.committed;
            finished.warnings.extend(more.warnings);
        }
        Err(e) => finished
            .warnings
            .push(format!("cannot log the hook failure: {e}")),
    }
}

fn current_depth() -> u32 {
    std::env::var(DEPTH_VAR)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// The last `max` bytes of `bytes`, as text on one line per line.
fn tail(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_end();
    let start = text
        .char_indices()
        .map(|(i, _)| i)
        .find(|i| text.len() - i <= max)
        .unwrap_or(text.len());
    text[start..].to_string()
}

pub use crate::process::Ran;

impl Ran {
    /// Why a hook did not succeed, in words.
    pub fn reason(&self, timeout_secs: i64) -> String {
        match (self.timed_out, self.status.code()) {
            (true, _) => format!("timed out after {timeout_secs}s (killed)"),
            (false, Some(_)) => self.status_text(),
            (false, None) => format!("killed by a signal ({})", self.status),
        }
    }
}

/// Run hook `argv` in `cwd` with `env` and `GEMBA_DIR` added and `input` on
/// stdin; after `timeout_secs` it and its process group are killed.
pub fn run(
    argv: &[String],
    cwd: &Path,
    env: &[(&str, &str)],
    gemba_dir: Option<&Path>,
    input: &[u8],
    timeout_secs: i64,
) -> std::io::Result<Ran> {
    let mut vars: Vec<(&str, &OsStr)> = env.iter().map(|&(k, v)| (k, OsStr::new(v))).collect();
    vars.extend(gemba_dir.map(|dir| ("GEMBA_DIR", dir.as_os_str())));
    let options = crate::process::Options {
        env: &vars,
        stdin: Some(input.to_vec()),
        timeout: Some(Duration::from_secs(timeout_secs.max(0) as u64)),
        output_limit: Some(OUTPUT_LIMIT),
        drain_grace: Some(DRAIN_GRACE),
    };
    crate::process::run(argv, cwd, options)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        vec!["sh".into(), "-c".into(), script.into()]
    }

    #[test]
    fn every_hook_has_kinds_and_only_those_kinds_run_hooks() {
        let named: std::collections::BTreeSet<&str> = HooksConfig::default()
            .named()
            .iter()
            .map(|(n, _)| *n)
            .collect();
        let mapped: std::collections::BTreeSet<&str> =
            EventKind::KNOWN.iter().filter_map(hook_for).collect();
        assert_eq!(mapped, named, "every hook has a kind, every kind a hook");
        assert_eq!(hook_for(&EventKind::QueueTake), Some("claimed"));
        assert_eq!(hook_for(&EventKind::HookFailed), None);
        assert_eq!(hook_for(&EventKind::Other("queue.done.x".into())), None);
    }

    #[test]
    fn hooks_get_their_env_and_failures_say_why() {
        let dir = tempfile::tempdir().unwrap();
        let script = sh("echo \"$GEMBA_EVENT $GEMBA_DIR\"; echo oops >&2; exit 3");
        let env = [("GEMBA_EVENT", "done")];
        let gemba_dir = Some(Path::new("/x/.gemba"));
        let mut ran = run(&script, dir.path(), &env, gemba_dir, b"", 10).unwrap();
        assert_eq!(ran.stdout, b"done /x/.gemba\n");
        assert_eq!(ran.reason(10), "exit status 3");
        assert_eq!(tail(&ran.stderr, 400), "oops");
        ran.timed_out = true;
        assert_eq!(ran.reason(1), "timed out after 1s (killed)");
        assert!(run(&[], dir.path(), &[], None, b"", 10).is_err());
        assert_eq!(tail("a\nbcdef".as_bytes(), 3), "def");
        assert_eq!(last_line("x\n  y  \n\n"), "y");
    }
}
