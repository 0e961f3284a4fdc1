//! Scoped advisory locks on separate lock files (never on a data file: a
//! rename replaces the data file's inode). A lock guards one kind of
//! read-modify-write (`beads.lock`, `enrichment.lock`, ...), never the
//! whole store; handoffs (claims, queue takes) take none. Waiting is
//! bounded: after `timeout` the caller gets [`Error::LockTimeout`] naming
//! the holder, which each holder writes into the lock file.

use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What a lock protects; each has its own file under `.gemba/`.
///
/// Lock order, so two commands never wait on each other: `claims.lock`
/// before `beads.lock` and `sessions.lock` (a release or takeover updates
/// the bead and the holder's session under it), `vocabulary.lock` before
/// `enrichment.lock`, `log.lock` last (held for one append). Nothing takes
/// `claims.lock` while holding another lock, except an auto-dispatch tick,
/// which holds `dispatch.lock` throughout (and which nothing takes while
/// holding another lock).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Read-modify-write of bead files (create, update, close, import).
    Beads,
    /// Enrichment files (edits, extract, backfill).
    Enrichment,
    /// `vocabulary.yaml` and the suggestions reviewing it.
    Vocabulary,
    /// Appends to the event log (held for one append).
    Log,
    /// Read-modify-write of agent and session files (heartbeats, focus,
    /// profiles folded at claim time).
    Sessions,
    /// Changes to an existing claim file (renew, release, takeover of an
    /// expired lease), which must not act on a claim that changed since
    /// it was read. Creating a claim takes no lock.
    Claims,
    /// Changes to a queue packet that is not in `ready/` (enqueue's
    /// ready-or-blocked decision, the lease after a take, renew, done,
    /// fail, recover, unblocking): held for one read and one write or
    /// rename (plus, across clones, the push that gives a packet back).
    /// The take itself (`ready/` to `in_progress/`) takes no lock.
    Queues,
    /// One auto-dispatch tick at a time (`gemba dispatch tick|run`), so two
    /// ticks never both feed one idle session. The switch (`dispatch
    /// on|off`) takes no lock: the kill switch never waits on a tick.
    Dispatch,
    /// A `gemba supply` run (which items are new, what was enqueued) and
    /// edits of `supply:` in config.yaml; taken before `queues.lock`.
    Supply,
}

impl Scope {
    pub fn file_name(self) -> &'static str {
        match self {
            Scope::Beads => "beads.lock",
            Scope::Enrichment => "enrichment.lock",
            Scope::Vocabulary => "vocabulary.lock",
            Scope::Log => "log.lock",
            Scope::Sessions => "sessions.lock",
            Scope::Claims => "claims.lock",
            Scope::Queues => "queues.lock",
            Scope::Dispatch => "dispatch.lock",
            Scope::Supply => "supply.lock",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "timed out after {:.1} s waiting for {lock} held by {holder} (store.lock_timeout in config.yaml)",
        waited.as_secs_f64()
    )]
    LockTimeout {
        /// As shown to people: `.gemba/beads.lock`.
        lock: String,
        holder: String,
        waited: Duration,
    },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

/// Held until dropped.
#[derive(Debug)]
pub struct Lock {
    file: File,
    path: PathBuf,
    /// This process's claim on `path` ([`gate`]), released after the file
    /// lock.
    _gate: Gate,
}

/// Threads of one process take a lock path in turn, woken as soon as it is
/// free, before they contend for the file lock with other processes: a
/// drainer's threads then wait the length of a hold, not a backoff sleep.
/// (Two threads hold separate open files, so `flock` alone would make
/// them poll each other.)
mod gate {
    use std::collections::HashSet;
    use std::path::{Path, PathBuf};
    use std::sync::{Condvar, Mutex, PoisonError};
    use std::time::{Duration, Instant};

    static HELD: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);
    static FREED: Condvar = Condvar::new();

    #[derive(Debug)]
    pub struct Gate(PathBuf);

    /// Wait until no other thread of this process holds `path`, at most
    /// until `deadline` (`None` when it passed); `slow` is called once
    /// when the wait passes `quiet`.
    pub fn enter(
        path: &Path,
        deadline: Instant,
        quiet: Duration,
        slow: &mut dyn FnMut(),
    ) -> Option<Gate> {
        let start = Instant::now();
        let mut told = false;
        let mut held = HELD.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            let set = held.get_or_insert_with(HashSet::new);
            if set.insert(path.to_path_buf()) {
                return Some(Gate(path.to_path_buf()));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            if !told && start.elapsed() >= quiet {
                slow();
                told = true;
            }
            let wait = left.min(Duration::from_millis(100));
            held = FREED
                .wait_timeout(held, wait)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    impl Drop for Gate {
        fn drop(&mut self) {
            let mut held = HELD.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(set) = held.as_mut() {
                set.remove(&self.0);
            }
            FREED.notify_all();
        }
    }
}

use gate::Gate;

/// Wait this long before saying that we wait.
const QUIET_WAIT: Duration = Duration::from_millis(200);

impl Lock {
    /// Take the exclusive lock on `path`, waiting at most `timeout`. After
    /// a short wait `on_wait` is told once who holds it, as
    /// `waiting for <shown> held by pid N (gemba import)`. `holder` (e.g.
    /// `gemba import`) is written into the file for the next waiter.
    pub fn acquire(
        path: &Path,
        shown: &str,
        holder: &str,
        timeout: Duration,
        on_wait: &dyn Fn(&str),
    ) -> Result<Lock, Error> {
        let io_err = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(path)
            .map_err(io_err)?;
        let start = Instant::now();
        let mut told = false;
        let say_waiting = |file: &mut File| {
            on_wait(&format!(
                "waiting for {shown} held by {}",
                read_holder(file)
            ));
        };
        let gate = gate::enter(path, start + timeout, QUIET_WAIT, &mut || {
            say_waiting(&mut file);
            told = true;
        });
        let Some(gate) = gate else {
            return Err(Error::LockTimeout {
                lock: shown.to_string(),
                holder: read_holder(&mut file),
                waited: start.elapsed(),
            });
        };
        // Short holds (a queue take's lease) are the common case: look
        // again soon, then back off towards 50 ms for long ones (an import).
        let mut pause = Duration::from_micros(100);
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) => {}
                Err(std::fs::TryLockError::Error(e)) => return Err(io_err(e)),
            }
            let waited = start.elapsed();
            if waited >= timeout {
                return Err(Error::LockTimeout {
                    lock: shown.to_string(),
                    holder: read_holder(&mut file),
                    waited,
                });
            }
            if !told && waited >= QUIET_WAIT {
                say_waiting(&mut file);
                told = true;
            }
            std::thread::sleep(pause.min(timeout - waited));
            pause = (pause * 2).min(Duration::from_millis(50));
        }
        // Ours now: say who we are (best effort; only messages read it).
        let me = format!("pid {} ({holder})\n", std::process::id());
        let _ = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(me.as_bytes()));
        Ok(Lock {
            file,
            path: path.to_path_buf(),
            _gate: gate,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // The next holder overwrites it; clearing avoids naming a process
        // that no longer holds the lock.
        let _ = self.file.set_len(0);
    }
}

fn read_holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.rewind().and_then(|()| file.read_to_string(&mut text));
    match text.trim() {
        "" => "another process".to_string(),
        t => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn threads_of_one_process_take_turns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queues.lock");
        let counter = dir.path().join("counter");
        std::fs::write(&counter, "0").unwrap();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..25 {
                        let _lock =
                            Lock::acquire(&path, "q", "t", Duration::from_secs(10), &|_| {})
                                .unwrap();
                        // A read-modify-write that loses updates unless exclusive.
                        let n: u32 = std::fs::read_to_string(&counter).unwrap().parse().unwrap();
                        std::thread::yield_now();
                        std::fs::write(&counter, (n + 1).to_string()).unwrap();
                    }
                });
            }
        });
        assert_eq!(std::fs::read_to_string(&counter).unwrap(), "100");
    }

    #[test]
    fn waits_says_who_and_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("beads.lock");
        let quiet = |_: &str| {};
        let held =
            Lock::acquire(&path, "beads.lock", "gemba import", Duration::ZERO, &quiet).unwrap();
        let said = RefCell::new(Vec::new());
        let err = Lock::acquire(
            &path,
            ".gemba/beads.lock",
            "gemba bead update",
            Duration::from_millis(400),
            &|m: &str| said.borrow_mut().push(m.to_string()),
        )
        .unwrap_err();
        let me = std::process::id();
        assert_eq!(
            said.into_inner(),
            [format!(
                "waiting for .gemba/beads.lock held by pid {me} (gemba import)"
            )]
        );
        assert!(
            err.to_string()
                .contains(&format!("held by pid {me} (gemba import)")),
            "{err}"
        );
        drop(held);
        Lock::acquire(&path, "x", "gemba bead update", Duration::ZERO, &quiet).unwrap();
    }
}
