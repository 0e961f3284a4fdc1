//! Running a configured command (a supply source, a spec generator, an
//! event hook, the external analysis tool): argv, no shell, output
//! captured on threads, optionally killed with its process group after a
//! timeout. Each caller turns the [`Ran`] into its own messages.

use std::ffi::OsStr;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[cfg(unix)]
use rustix::process::{Pid, Signal, kill_process_group};

/// How to run a command, besides its argv and working directory.
#[derive(Debug, Default)]
pub struct Options<'a> {
    /// Added to gemba's own environment.
    pub env: &'a [(&'a str, &'a OsStr)],
    /// Written to its stdin; `None`: stdin is closed.
    pub stdin: Option<Vec<u8>>,
    /// Past this it and its group are killed; `None`: never (it stays in
    /// gemba's group, so Ctrl-C reaches it).
    pub timeout: Option<Duration>,
    /// Bytes kept of each output (the rest is read and dropped).
    pub output_limit: Option<usize>,
    /// Once it has exited, wait at most this long for its pipes to close
    /// (a background grandchild may hold them); `None`: until they close.
    pub drain_grace: Option<Duration>,
}

/// What a finished (or killed) command left.
#[derive(Debug)]
pub struct Ran {
    pub status: ExitStatus,
    /// Killed at the timeout.
    pub timed_out: bool,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Ran {
    /// `exit status 3`, or the signal that ended it.
    pub fn status_text(&self) -> String {
        match self.status.code() {
            Some(code) => format!("exit status {code}"),
            None => self.status.to_string(),
        }
    }

    /// The start of stderr on one line, at most `max` characters.
    pub fn stderr_head(&self, max: usize) -> String {
        let text = String::from_utf8_lossy(&self.stderr);
        let text = text.trim();
        let mut shown: String = text.chars().take(max).collect();
        if shown.len() < text.len() {
            shown.push('…');
        }
        shown.replace('\n', " | ")
    }
}

/// A command's stdout read as one JSON document, or what is wrong with it
/// (`expected` says what should have been printed, for an empty output).
pub fn json_output<T: serde::de::DeserializeOwned>(
    stdout: &[u8],
    expected: &str,
) -> Result<T, String> {
    if stdout.iter().all(u8::is_ascii_whitespace) {
        return Err(format!("nothing; expected {expected}"));
    }
    serde_json::from_slice(stdout).map_err(|e| {
        format!(
            "invalid JSON (line {}, column {}): {}",
            e.line(),
            e.column(),
            crate::format::json_message(&e)
        )
    })
}

/// `: <stderr>`, or nothing when it is empty: the end of a failure message.
pub fn stderr_suffix(stderr: &str) -> String {
    if stderr.is_empty() {
        String::new()
    } else {
        format!(": {stderr}")
    }
}

/// Run `argv` in `cwd`. An error only when it cannot be started (or
/// waited for); a failing or killed command is a [`Ran`].
pub fn run(argv: &[String], cwd: &Path, options: Options) -> io::Result<Ran> {
    let Some((program, args)) = argv.split_first() else {
        return Err(io::Error::other("the command is empty"));
    };
    // Relative to `cwd`, not to wherever gemba was started.
    let program = if program.contains('/') && Path::new(program).is_relative() {
        cwd.join(program)
    } else {
        PathBuf::from(program)
    };
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(cwd)
        .envs(options.env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own group, so a timeout kills what it started too.
    #[cfg(unix)]
    if options.timeout.is_some() {
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    }
    let mut child = cmd.spawn()?;
    // Feed stdin (or close it) and drain both pipes on threads: a child
    // blocked on a full pipe would never exit. One that exits unread is its
    // business.
    if let (Some(input), Some(mut pipe)) = (options.stdin, child.stdin.take()) {
        std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    let limit = options.output_limit.unwrap_or(usize::MAX);
    let stdout = child.stdout.take().map(|pipe| drain(pipe, limit));
    let stderr = child.stderr.take().map(|pipe| drain(pipe, limit));
    let (status, timed_out) = wait(&mut child, options.timeout)?;
    // After a kill, never wait beyond the grace: a grandchild that left the
    // group could hold the pipes open forever.
    let grace = options.drain_grace.or(timed_out.then_some(Duration::ZERO));
    let collect = |rx: Option<mpsc::Receiver<Vec<u8>>>| match (rx, grace) {
        (Some(rx), Some(grace)) => rx.recv_timeout(grace).unwrap_or_default(),
        (Some(rx), None) => rx.recv().unwrap_or_default(),
        (None, _) => Vec::new(),
    };
    Ok(Ran {
        status,
        timed_out,
        stdout: collect(stdout),
        stderr: collect(stderr),
    })
}

/// Wait for `child`, killing its group past `timeout`; whether it was.
fn wait(child: &mut Child, timeout: Option<Duration>) -> io::Result<(ExitStatus, bool)> {
    let Some(timeout) = timeout else {
        return Ok((child.wait()?, false));
    };
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok((status, false));
        }
        let left = timeout.saturating_sub(start.elapsed());
        if left.is_zero() {
            #[cfg(unix)]
            let _ = kill_process_group(Pid::from_child(child), Signal::KILL);
            let _ = child.kill();
            return Ok((child.wait()?, true));
        }
        std::thread::sleep(left.min(Duration::from_millis(5)));
    }
}

/// Read a pipe to its end on a thread, keeping the first `limit` bytes;
/// the result arrives when the pipe closes.
fn drain(mut pipe: impl Read + Send + 'static, limit: usize) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let _ = pipe.by_ref().take(limit as u64).read_to_end(&mut kept);
        let _ = io::copy(&mut pipe, &mut io::sink());
        let _ = tx.send(kept);
    });
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `sh -c script` in the temp directory.
    fn sh(script: &str, options: Options) -> Ran {
        let argv = ["sh".into(), "-c".into(), script.into()];
        run(&argv, &std::env::temp_dir(), options).unwrap()
    }

    #[test]
    fn runs_with_stdin_env_and_cwd() {
        let dir = tempfile::tempdir().unwrap();
        let options = Options {
            env: &[("GEMBA_EVENT", OsStr::new("done"))],
            stdin: Some(b"{\"a\":1}\n".to_vec()),
            ..Options::default()
        };
        let argv = [
            "sh".into(),
            "-c".into(),
            "cat; echo $GEMBA_EVENT; pwd".into(),
        ];
        let ran = run(&argv, dir.path(), options).unwrap();
        assert!(ran.status.success() && !ran.timed_out);
        let cwd = dir.path().canonicalize().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&ran.stdout),
            format!("{{\"a\":1}}\ndone\n{}\n", cwd.display())
        );
        // No stdin: it is closed, so `cat` ends at once.
        assert!(sh("cat", Options::default()).stdout.is_empty());
        // A relative program is taken from `cwd`.
        std::os::unix::fs::symlink("/bin/sh", dir.path().join("tool")).unwrap();
        let argv = ["./tool".into(), "-c".into(), "echo here".into()];
        let ran = run(&argv, dir.path(), Options::default()).unwrap();
        assert_eq!(ran.stdout, b"here\n");
    }

    #[test]
    fn failures_say_why() {
        let ran = sh("echo oops >&2; exit 3", Options::default());
        assert_eq!(ran.status_text(), "exit status 3");
        assert_eq!(ran.stderr_head(400), "oops");
        let ran = sh("printf 'a\\nbcd' >&2", Options::default());
        assert_eq!(ran.stderr_head(3), "a | b…");
        let dir = std::env::temp_dir();
        for program in ["./no-such-hook", "/no/such/program"] {
            assert!(run(&[program.into()], &dir, Options::default()).is_err());
        }
        let empty = run(&[], &dir, Options::default()).unwrap_err();
        assert_eq!(empty.to_string(), "the command is empty");
    }

    #[test]
    fn a_timeout_kills_the_whole_group_at_once() {
        let started = Instant::now();
        // The shell's children hold the pipes open and the grace is long:
        // only killing the group frees them in time.
        let options = Options {
            timeout: Some(Duration::from_millis(200)),
            drain_grace: Some(Duration::from_secs(20)),
            ..Options::default()
        };
        let ran = sh("sleep 30 & sleep 30; echo late", options);
        assert!(ran.timed_out && ran.stdout.is_empty());
        let took = started.elapsed();
        assert!(took < Duration::from_secs(5), "{took:?}");
    }

    #[test]
    fn output_is_capped_only_when_asked_and_unread_stdin_does_not_block() {
        let big = |output_limit| {
            let options = Options {
                output_limit,
                ..Options::default()
            };
            sh("head -c 300000 /dev/zero", options).stdout.len()
        };
        assert_eq!((big(Some(1000)), big(None)), (1000, 300_000));
        let unread = Options {
            stdin: Some(vec![b'x'; 1 << 20]),
            ..Options::default()
        };
        assert!(sh("exit 0", unread).status.success());
    }
}
