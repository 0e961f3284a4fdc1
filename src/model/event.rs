//! One line of `.gemba/log/<YYYY-MM-DD>.jsonl`: a state change or a
//! decision, with a unique time-sortable id.
//!
//! Reading is tolerant of what older and newer gembas wrote: a line without
//! an `id` and with `bead` instead of `beads` (before ids existed) is read
//! with a derived `legacy-…` id, and a `kind` this binary does not know is
//! kept as [`EventKind::Other`]. Unknown fields are still an error.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Mutex;

use jiff::Timestamp;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A log event. Serialized field order: `id, at, kind, actor, beads,
/// message, data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "EventLine")]
pub struct Event {
    /// Unique across machines and clones, sortable by creation time: see
    /// [`new_id`]. Lines from before ids get `legacy-<hash of the event>`.
    pub id: String,
    /// RFC 3339, UTC, with milliseconds (`2026-11-23T12:00:00.123Z`); lines
    /// from before ids have seconds only.
    pub at: String,
    pub kind: EventKind,
    /// Who did it: `--actor`, `GEMBA_ACTOR`, or the user name.
    pub actor: String,
    /// The beads it concerns (empty when none, or when too many to list:
    /// then `data` has the counts).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub beads: Vec<String>,
    /// One line for people; also the auto-commit message.
    pub message: String,
    /// Kind-specific details.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub data: BTreeMap<String, Value>,
}

/// Events that concern more beads than this list none in `beads` and put
/// the count in `data` instead (a log line stays a line).
pub const MAX_LISTED_BEADS: usize = 100;

impl Event {
    /// A new event with a fresh [`new_id`], stamped with `now` (to the
    /// millisecond) and `actor`.
    pub fn new(
        now: Timestamp,
        actor: &str,
        kind: EventKind,
        beads: Vec<String>,
        message: String,
    ) -> Event {
        Event {
            id: new_id(),
            at: timestamp_ms(now),
            kind,
            actor: actor.into(),
            beads,
            message,
            data: Default::default(),
        }
    }

    /// Add a `data` entry.
    pub fn with(mut self, key: &str, value: impl Serialize) -> Event {
        self.data.insert(
            key.to_string(),
            serde_json::to_value(value).unwrap_or(Value::Null),
        );
        self
    }

    /// Set `beads` to `ids` when there are at most [`MAX_LISTED_BEADS`];
    /// otherwise leave it empty and record `data.beads_count`.
    pub fn about_many(mut self, ids: &[String]) -> Event {
        if ids.len() <= MAX_LISTED_BEADS {
            self.beads = ids.to_vec();
            self
        } else {
            self.beads.clear();
            self.with("beads_count", ids.len())
        }
    }

    /// Whether the event concerns `bead`.
    pub fn concerns(&self, bead: &str) -> bool {
        self.beads.iter().any(|b| b == bead)
    }

    /// `at` as a timestamp (validated when the event was read or made).
    pub fn timestamp(&self) -> Option<Timestamp> {
        self.at.parse().ok()
    }
}

/// RFC 3339 in UTC with milliseconds: `2026-11-23T12:00:00.123Z`.
pub fn timestamp_ms(now: Timestamp) -> String {
    let ms = Timestamp::from_millisecond(now.as_millisecond()).unwrap_or(now);
    format!("{ms:.3}")
}

macro_rules! event_kinds {
    ($( $(#[doc = $doc:literal])+ $variant:ident = $name:literal, )+) => {
        /// What an event records. Serialized as the dotted name; `gemba log
        /// --kind bead` matches every `bead.*`.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventKind {
            $( $(#[doc = $doc])+ $variant, )+
            /// A kind this gemba does not know (a newer teammate's gemba
            /// wrote it): read and written back unchanged; `gemba check`
            /// warns about it.
            Other(String),
        }

        impl EventKind {
            /// Every kind this gemba knows, in documentation order.
            pub const KNOWN: &'static [EventKind] = &[$(EventKind::$variant),+];

            /// The name written in the log.
            pub fn as_str(&self) -> &str {
                match self {
                    $(EventKind::$variant => $name,)+
                    EventKind::Other(name) => name,
                }
            }

            /// The kind named `name`; [`EventKind::Other`] when unknown.
            pub fn parse(name: &str) -> EventKind {
                match name {
                    $($name => EventKind::$variant,)+
                    other => EventKind::Other(other.to_string()),
                }
            }

            /// The doc comment of a known kind (for the JSON Schema).
            fn doc(&self) -> String {
                match self {
                    $(EventKind::$variant => {
                        let lines: &[&str] = &[$($doc),+];
                        lines.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ")
                    })+
                    EventKind::Other(_) => String::new(),
                }
            }
        }
    };
}

event_kinds! {
    /// `gemba init` created the state directory.
    Init = "init",
    /// `gemba import …` created or updated beads; `data` has the counts and
    /// the source.
    Import = "import",
    /// A bead was created.
    BeadCreate = "bead.create",
    /// A bead's fields changed; `data.fields` names them.
    BeadUpdate = "bead.update",
    /// A bead was closed.
    BeadClose = "bead.close",
    /// Enrichment edited by a command (targets, concepts, status, size).
    EnrichEdit = "enrich.edit",
    /// Enrichment extracted from a bead's text.
    EnrichExtract = "enrich.extract",
    /// Enrichment backfilled over many beads.
    EnrichBackfill = "enrich.backfill",
    /// Vocabulary terms proposed from the beads' labels and text.
    ConceptsBootstrap = "concepts.bootstrap",
    /// Concept drift detected: new vocabulary suggestions.
    ConceptsDrift = "concepts.drift",
    /// A vocabulary suggestion approved and applied.
    ConceptsApprove = "concepts.approve",
    /// A vocabulary suggestion rejected.
    ConceptsReject = "concepts.reject",
    /// Pending `.gemba/` changes committed by gemba (reserved: `gemba
    /// commit` does not log, so committing leaves nothing pending).
    Commit = "commit",
    /// A selection decision, logged even when nothing was claimed: `data`
    /// has the inputs' digest, the result and the justification.
    /// `data.what`: `selection` (`gemba next`; with `--claim`, `claimed`,
    /// `tries` and `skipped` too) or `pick` (`gemba pick`: the
    /// `recommendation`, the `pick`, `agreed`, the `reason`, `claimed`).
    Decision = "decision",
    /// A bead claimed for a session; `data` has the session, agent,
    /// lease and remote.
    Claim = "claim",
    /// A claim released (done, abandoned or expired); `data.forced` when
    /// not by its holder.
    ClaimRelease = "claim.release",
    /// An agent was added (`gemba agent add`).
    AgentAdd = "agent.add",
    /// An agent's capability envelope changed; `data.fields` names them.
    AgentEdit = "agent.edit",
    /// A session started; `data` has its agent and workspace.
    SessionStart = "session.start",
    /// A session ended (by its agent or operator; gemba never ends one).
    SessionEnd = "session.end",
    /// A session handed off to a new one of the same agent: `data.from`,
    /// `data.to`.
    SessionHandoff = "session.handoff",
    /// A session's focus (intent) set or cleared; `data` has the scope,
    /// rationale and demotion.
    SessionFocus = "session.focus",
    /// A heartbeat that moved the session's context pressure to another
    /// level (ok, warn, recycle). Heartbeats that stay within a level
    /// update the session file without an event: they are too frequent
    /// for the log and for auto-commit.
    SessionHeartbeat = "session.heartbeat",
    /// A claim's lease extended by its holder.
    ClaimRenew = "claim.renew",
    /// A bead whose claim had expired claimed by another session;
    /// `data.previous` is the expired claim (holder and lease).
    ClaimTakeover = "claim.takeover",
    /// A packet enqueued to an agent's queue, in `ready/` or (waiting for
    /// its `after` packets) `blocked/`; `data` has the agent and state.
    QueueEnqueue = "queue.enqueue",
    /// A packet taken from `ready/` into `in_progress/`; `data` has the
    /// agent, session and lease.
    QueueTake = "queue.take",
    /// A packet done (or one stage of it: `data.stage`); `data.unblocked`
    /// lists the packets it moved from `blocked/` to `ready/`.
    QueueDone = "queue.done",
    /// A packet failed: requeued to `ready/` with the notes appended, or
    /// moved to `failed/` after `queue.max_attempts` (`data.state`).
    QueueFail = "queue.fail",
    /// A packet's lease extended by its session.
    QueueRenew = "queue.renew",
    /// In-progress packets whose lease expired returned to `ready/`.
    QueueRecover = "queue.recover",
    /// Blocked packets whose `after` packets are all done moved to
    /// `ready/` by a rescan (done and fail unblock in their own event).
    QueueUnblock = "queue.unblock",
    /// A packet finished its last stage: the artifact ledger (`gemba
    /// ledger`); `data` has the source item, the stages and their agents.
    QueueShipped = "queue.shipped",
    /// A ready packet moved to another agent's queue (`gemba queue
    /// reroute`); `data.from`, `data.to` and the reason.
    QueueReroute = "queue.reroute",
    /// An agent became idle while ready work it could do waits; `data`
    /// has the agent and that work.
    QueueStarving = "queue.starving",
    /// Finished packets removed from `done/` and `failed/` (`gemba queue
    /// archive`); `data.packets` names each, with its agent, state and
    /// bead (git history keeps the files).
    QueueArchive = "queue.archive",
    /// `gemba supply` read the demand sources and enqueued packets;
    /// `data` has what went where and what was held back.
    Supply = "supply",
    /// Auto-dispatch switched on or off (`gemba dispatch on|off`);
    /// `data.enabled`, `data.reason`.
    DispatchSwitch = "dispatch.switch",
    /// One auto-dispatch tick, logged even when it did nothing: `data.on`,
    /// and per live session in `data.sessions` its outcome (`dispatched`,
    /// `off`, `busy`, `rate_limited`, `nothing`, `recycle`, `below_floor`,
    /// `lost`, `error`), the reason, the snapshot and inputs' digests, and
    /// for a selection the justification, the runners-up and the claims
    /// tried.
    DispatchTick = "dispatch.tick",
    /// An event hook (`hooks.on_<event>`) failed, was missing or ran past
    /// `hooks.timeout`; the change it followed stands. `data` has the
    /// hook, its command, the event and why.
    HookFailed = "hook.failed",
    /// A demand source added to or removed from `supply.sources`
    /// (`gemba supply source add|remove`); `data.action`, `data.source`.
    SupplySource = "supply.source",
    /// A scan trigger and what the scheduler decided (`data.reason`,
    /// `data.decision`: run, queued, coalesced, skipped-cooldown, paused,
    /// not-due; `data.why`).
    ScanTrigger = "scan.trigger",
    /// A source-analysis scan finished: `data.reason`, `data.started`,
    /// `data.ended`, `data.result` (ok / failed), `data.error`,
    /// `data.fresh` (the index is current after it).
    ScanRun = "scan.run",
    /// Automatic scans paused (`data.until`) or resumed.
    ScanPause = "scan.pause",
    /// A retrospective of one bead after its commits landed (`gemba retro
    /// run`): `data` has the range, the commits, the actual files, the
    /// declared targets, the divergence, the action on the targets
    /// (corrected, pinned, unchanged), the profiles updated and the grade
    /// (prediction at dispatch, outcome). The event id is the retro's id.
    Retro = "retro",
    /// `gemba retro learn` recorded closed beads' files from history:
    /// `data` has the range (`from`, `to`: where the next run starts) and
    /// the counts.
    RetroLearn = "retro.learn",
    /// A git hook (`gemba hook post-merge|post-rewrite`) ran: `data.hook`,
    /// `data.args` (git's), `data.ok`, `data.error`, `data.steps` (each
    /// step's `step`, `ok`, `note` or `error`), `data.ms` (its wall time),
    /// for post-rewrite `data.rewritten` (commits). Hooks are fail-open:
    /// git is never blocked. Also `gemba hooks install|uninstall`:
    /// `data.action` and `data.hooks` (each hook's state after).
    GitHook = "githook",
    /// `gemba calibrate` graded the recommendations: `data.findings` (kind,
    /// key, proposed value), `data.new` (suggestions written),
    /// `data.picks` and `data.closed` (samples read).
    Calibrate = "calibrate",
    /// A config value changed by `gemba tune` (or an approved tune
    /// suggestion, `data.suggestion`): `data.key`, `data.old`, `data.new`,
    /// `data.reason`, `data.how` (edited in place or added).
    Tune = "tune",
    /// A tune suggestion rejected (`gemba suggestions reject`); `data`
    /// has the suggestion, its key and value, and the reason.
    SuggestionReject = "suggestion.reject",
}

impl EventKind {
    /// Whether `filter` selects this kind: the same name, or a dotted
    /// prefix of it (`bead` matches `bead.create`, `bea` does not).
    pub fn matches(&self, filter: &str) -> bool {
        let name = self.as_str();
        name == filter
            || name
                .strip_prefix(filter)
                .is_some_and(|rest| rest.starts_with('.'))
    }

    pub fn is_known(&self) -> bool {
        !matches!(self, EventKind::Other(_))
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EventKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<EventKind, D::Error> {
        let name = Cow::<str>::deserialize(d)?;
        if name.is_empty() {
            return Err(serde::de::Error::custom("empty event kind"));
        }
        Ok(EventKind::parse(&name))
    }
}

impl JsonSchema for EventKind {
    fn schema_name() -> Cow<'static, str> {
        "EventKind".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let mut any_of: Vec<Value> = EventKind::KNOWN
            .iter()
            .map(|k| serde_json::json!({"const": k.as_str(), "description": k.doc()}))
            .collect();
        any_of.push(serde_json::json!({
            "type": "string",
            "minLength": 1,
            "description": "A kind from a newer gemba: read and kept; `gemba check` warns."
        }));
        schemars::json_schema!({
            "description": "What happened. `gemba log --kind bead` matches every `bead.*`.",
            "anyOf": any_of,
        })
    }
}

/// The schema describes what reading accepts (see [`EventLine`]), so old
/// lines validate too.
impl JsonSchema for Event {
    fn schema_name() -> Cow<'static, str> {
        "Event".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        EventLine::json_schema(generator)
    }
}

/// One line of `.gemba/log/<YYYY-MM-DD>.jsonl`: a state change or a
/// decision. Lines from before ids (no `id`, `bead` instead of `beads`) are
/// accepted too.
// What reading accepts, hence also the committed schema.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Event")]
struct EventLine {
    /// Unique, time-sortable: 26 characters of Crockford base32 (48 bits of
    /// Unix milliseconds, then 80 random bits). Always written; absent only
    /// on lines from before ids, which are read as `legacy-<hash>`.
    #[serde(default)]
    id: Option<String>,
    /// RFC 3339, UTC, with milliseconds (older lines: seconds).
    #[schemars(extend("format" = "date-time"))]
    at: String,
    kind: EventKind,
    /// Who did it: `--actor`, `GEMBA_ACTOR`, or the user name.
    actor: String,
    /// The beads it concerns.
    #[serde(default)]
    beads: Vec<String>,
    /// Before `beads`: the one bead it concerned. Read into `beads`.
    #[serde(default)]
    #[schemars(extend("deprecated" = true))]
    bead: Option<String>,
    /// One line for people; also the auto-commit message.
    message: String,
    /// Kind-specific details.
    #[serde(default)]
    data: BTreeMap<String, Value>,
}

impl TryFrom<EventLine> for Event {
    type Error = String;

    fn try_from(line: EventLine) -> Result<Event, String> {
        if line.at.parse::<Timestamp>().is_err() {
            return Err(format!(
                "`at` {:?} is not an RFC 3339 timestamp (2026-11-23T12:00:00.000Z)",
                line.at
            ));
        }
        let mut beads = Vec::with_capacity(line.beads.len() + 1);
        beads.extend(line.bead);
        for b in line.beads {
            if !beads.contains(&b) {
                beads.push(b);
            }
        }
        let mut event = Event {
            id: String::new(),
            at: line.at,
            kind: line.kind,
            actor: line.actor,
            beads,
            message: line.message,
            data: line.data,
        };
        event.id = match line.id {
            Some(id) if id.is_empty() => return Err("empty `id`".into()),
            Some(id) => id,
            // Stable: a union merge that duplicates an old line yields the
            // same id twice, so the copy is read once. (Two old events
            // identical in every field, to the second, are read as one.)
            None => format!(
                "legacy-{}",
                crate::hash::base36(
                    crate::hash::fnv1a(&serde_json::to_vec(&event).unwrap_or_default()),
                    13
                )
            ),
        };
        Ok(event)
    }
}

/// A fresh event id: 26 characters of Crockford base32 encoding 48 bits of
/// Unix milliseconds (from the system clock, even when `GEMBA_NOW` pins
/// `at`) and 80 random bits. Ids sort by creation time; within one process
/// they are strictly increasing (same millisecond: the random part is
/// incremented), across processes and machines they are unique by their
/// random part.
pub fn new_id() -> String {
    static LAST: Mutex<Option<(u64, u128)>> = Mutex::new(None);
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    let (ms, random) = next_id(*last, ms, random80);
    *last = Some((ms, random));
    encode_id(ms, random)
}

const RANDOM_BITS: u32 = 80;
const RANDOM_MAX: u128 = (1 << RANDOM_BITS) - 1;
const TIME_MAX: u64 = (1 << 48) - 1;

/// The next `(milliseconds, random)` after `last`: a new random part in a
/// new millisecond; in the same one (or if the clock went back) the last
/// random part plus one, so ids from one process strictly increase.
fn next_id(last: Option<(u64, u128)>, now_ms: u64, fresh: impl FnOnce() -> u128) -> (u64, u128) {
    let now_ms = now_ms.min(TIME_MAX);
    match last {
        Some((ms, random)) if now_ms <= ms => {
            if random < RANDOM_MAX {
                (ms, random + 1)
            } else {
                ((ms + 1).min(TIME_MAX), fresh() >> 1)
            }
        }
        _ => (now_ms, fresh()),
    }
}

/// 80 bits from the operating system's random source.
fn random80() -> u128 {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes[..10]).is_err() {
        // No OS randomness (never seen in practice): fall back to the clock's
        // nanoseconds and the process id, still distinct across processes.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let mut h = crate::hash::Fnv::default();
        h.write(&nanos.to_le_bytes())
            .write(&std::process::id().to_le_bytes());
        bytes[..8].copy_from_slice(&h.finish().to_le_bytes());
        bytes[8..10].copy_from_slice(&(nanos as u16).to_le_bytes());
    }
    u128::from_le_bytes(bytes) & RANDOM_MAX
}

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The 26-character form of a 48-bit time and an 80-bit random part.
fn encode_id(ms: u64, random: u128) -> String {
    let value = (u128::from(ms & TIME_MAX) << RANDOM_BITS) | (random & RANDOM_MAX);
    (0..26)
        .map(|i| CROCKFORD[((value >> (125 - 5 * i)) & 31) as usize] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_format() {
        assert_eq!(encode_id(0, 0), "00000000000000000000000000");
        assert_eq!(
            encode_id(TIME_MAX, RANDOM_MAX),
            "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"
        );
        // The ULID spec's example time: 1469918176385 ms is 01ARYZ6S41.
        assert!(encode_id(1_469_918_176_385, 0).starts_with("01ARYZ6S41"));
        let id = new_id();
        assert_eq!(id.len(), 26, "{id}");
        assert!(id.bytes().all(|b| CROCKFORD.contains(&b)), "{id}");
    }

    #[test]
    fn ids_are_monotonic_and_unique() {
        let ids: Vec<String> = (0..20_000).map(|_| new_id()).collect();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "not strictly increasing"
        );
        let set: std::collections::BTreeSet<&String> = ids.iter().collect();
        assert_eq!(set.len(), ids.len());
        // Ids from different threads (one generator per process) are unique too.
        let more: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| s.spawn(|| (0..2000).map(|_| new_id()).collect::<Vec<_>>()))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });
        let set: std::collections::BTreeSet<&String> = more.iter().collect();
        assert_eq!(set.len(), more.len());
    }

    #[test]
    fn next_id_rules() {
        // A new millisecond: fresh randomness.
        assert_eq!(next_id(Some((5, 9)), 6, || 42), (6, 42));
        assert_eq!(next_id(None, 6, || 42), (6, 42));
        // Same millisecond, or the clock went back: increment.
        assert_eq!(next_id(Some((5, 9)), 5, || 42), (5, 10));
        assert_eq!(next_id(Some((5, 9)), 3, || 42), (5, 10));
        // The random part is exhausted: borrow the next millisecond.
        let (ms, r) = next_id(Some((5, RANDOM_MAX)), 5, || RANDOM_MAX);
        assert_eq!(ms, 6);
        assert!(r < RANDOM_MAX);
        assert!(encode_id(5, RANDOM_MAX) < encode_id(ms, r));
    }

    #[test]
    fn ids_sort_by_time() {
        assert!(encode_id(1, RANDOM_MAX) < encode_id(2, 0));
        assert!(encode_id(1_000_000, 5) < encode_id(1_000_001, 0));
    }

    #[test]
    fn at_has_milliseconds() {
        let t: Timestamp = "2026-11-23T12:00:00.123456Z".parse().unwrap();
        assert_eq!(timestamp_ms(t), "2026-11-23T12:00:00.123Z");
        let t: Timestamp = "2026-11-23T12:00:00Z".parse().unwrap();
        assert_eq!(timestamp_ms(t), "2026-11-23T12:00:00.000Z");
        let e = Event::new(t, "a", EventKind::Init, vec![], "init".into());
        assert_eq!(e.at, "2026-11-23T12:00:00.000Z");
        assert_eq!(e.id.len(), 26);
    }

    #[test]
    fn kinds_round_trip() {
        for kind in EventKind::KNOWN {
            let text = serde_json::to_string(kind).unwrap();
            let back: EventKind = serde_json::from_str(&text).unwrap();
            assert_eq!(&back, kind);
            assert!(kind.is_known());
            assert!(!kind.doc().is_empty(), "{kind} has no doc");
        }
        let other: EventKind = serde_json::from_str("\"retro.done\"").unwrap();
        assert_eq!(other, EventKind::Other("retro.done".into()));
        assert_eq!(serde_json::to_string(&other).unwrap(), "\"retro.done\"");
        assert!(serde_json::from_str::<EventKind>("\"\"").is_err());
        assert!(EventKind::BeadCreate.matches("bead"));
        assert!(EventKind::BeadCreate.matches("bead.create"));
        assert!(!EventKind::BeadCreate.matches("bea"));
        assert!(EventKind::ClaimRelease.matches("claim"));
        assert!(!EventKind::Claim.matches("claim.release"));
    }

    #[test]
    fn legacy_lines_are_read() {
        let line = r#"{"at":"2026-11-23T12:00:00Z","kind":"bead.create","actor":"t","bead":"gm-1","message":"create gm-1"}"#;
        let e: Event = serde_json::from_str(line).unwrap();
        assert_eq!(e.beads, ["gm-1"]);
        assert!(e.id.starts_with("legacy-"), "{}", e.id);
        // Stable: the same line gets the same id.
        let again: Event = serde_json::from_str(line).unwrap();
        assert_eq!(again.id, e.id);
        // A different line gets another.
        let other: Event = serde_json::from_str(&line.replace("gm-1\"}", "gm-1 \"}")).unwrap();
        assert_ne!(other.id, e.id);
        // Written back in the current form.
        let text = serde_json::to_string(&e).unwrap();
        assert!(
            text.starts_with(&format!("{{\"id\":\"{}\",", e.id)),
            "{text}"
        );
        assert!(text.contains("\"beads\":[\"gm-1\"]"), "{text}");
        assert_eq!(serde_json::from_str::<Event>(&text).unwrap(), e);
    }

    #[test]
    fn bad_lines_are_errors() {
        let ok =
            r#"{"id":"X","at":"2026-11-23T12:00:00.000Z","kind":"init","actor":"t","message":"m"}"#;
        assert!(serde_json::from_str::<Event>(ok).is_ok());
        for bad in [
            ok.replace("\"message\"", "\"colour\":1,\"message\""),
            ok.replace("2026-11-23T12:00:00.000Z", "yesterday"),
            ok.replace("\"X\"", "\"\""),
            ok.replace("\"init\"", "\"\""),
            ok.replace(",\"actor\":\"t\"", ""),
        ] {
            assert!(serde_json::from_str::<Event>(&bad).is_err(), "{bad}");
        }
    }
}
