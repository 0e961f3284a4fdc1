#!/usr/bin/env python3
"""The git replay of a recorded history (driver of benches/history_replay.sh).

Replays a tracker and the files its beads' commits touched into a git
repository `gemba init` + `gemba hooks install` have set up, in time order:

- a bead's creation: imported as it was then (open: its close fields
  dropped; a tombstone as the open bead it was), then `gemba bead backfill`
  on it with GEMBA_NOW at its created_at; for a bead of the history, its
  targets right then are recorded (what dispatch would have used);
- a recorded commit: on a branch named after its bead, its files written
  (one line naming the commit), committed at its author time with a message
  naming every bead it belongs to (`replay abc123 (bd-a1b2, bd-c3d4)`),
  then `git merge --no-ff` into main: the post-merge hook runs `gemba retro`
  on ORIG_HEAD..HEAD (targets corrected to the files touched) and the scan
  trigger;
- a bead's close: imported again as it is in the tracker (closed, with its
  closed_at), so from then on it may lend through history.

Right after a bead of the history is created and backfilled, its edges in
the conflict graph as it stands then (`gemba conflicts --all --bead ID
--json`, GEMBA_NOW at its created_at) are recorded, those whose other end
is a bead of the history: each pair is thus judged with the graph as it
stood when the later of its two beads was created (the earlier one is not
there yet when the earlier one is observed).

Nothing observes the store between two creations of beads of the history,
so the events in between are batched: one import of the other beads
created meanwhile, one branch and one merge per run of consecutive commits
of the same beads, one import of the closes, one backfill.

    history_replay.py GEMBA REPO TRACKER TRUTH TRACKED OUT [LIMIT]
    MERGE_AT=bead-end history_replay.py ...   # merge a bead's commits when its work ends

Writes OUT/PRED.jsonl ({"id", "targets", "source"} per replayed bead of the
history), OUT/TRUTH.jsonl (the truth rows of the replayed beads),
OUT/EDGES.jsonl (the recorded conflict-graph edges: {"a", "b", "kind",
"reason", "at"}, one per pair, `at` the bead whose creation recorded it),
OUT/PAIRS.jsonl (their {"a", "b"}, for score_targets.py --pairs) and
OUT/stats.json (counts and wall times).
"""

import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timezone

GEMBA, REPO, TRACKER, TRUTH, TRACKED, OUT = sys.argv[1:7]
LIMIT = int(sys.argv[7]) if len(sys.argv) > 7 and sys.argv[7] else None


def ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def iso(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


stats = {"gemba_calls": 0, "git_calls": 0, "imports": 0, "backfills": 0,
         "commits": 0, "merges": 0, "hook_runs": 0, "hook_failures": 0,
         "retros": 0, "conflicts_calls": 0, "seconds": {}}


def timed(key, t0):
    stats["seconds"][key] = stats["seconds"].get(key, 0.0) + time.monotonic() - t0


def env_at(t):
    e = dict(os.environ)
    e["GEMBA_NOW"] = iso(t)
    e["GIT_AUTHOR_DATE"] = e["GIT_COMMITTER_DATE"] = iso(t) if t else ""
    return e


def gemba(args, t, key):
    t0 = time.monotonic()
    stats["gemba_calls"] += 1
    r = subprocess.run([GEMBA, *args], cwd=REPO, env=env_at(t), capture_output=True, text=True)
    timed(key, t0)
    if r.returncode != 0:
        sys.exit(f"gemba {' '.join(args[:3])} failed ({r.returncode}): {r.stderr.strip()}")
    return r.stdout


def git(args, t, key="git", check=True):
    t0 = time.monotonic()
    stats["git_calls"] += 1
    r = subprocess.run(["git", "-c", "user.name=replay", "-c", "user.email=replay@example.com",
                        *args], cwd=REPO, env=env_at(t), capture_output=True, text=True)
    timed(key, t0)
    if check and r.returncode != 0:
        sys.exit(f"git {' '.join(args[:3])} failed ({r.returncode}): {r.stderr.strip()}")
    return r


# --- the events -------------------------------------------------------------

tracker = {}
for line in open(TRACKER):
    b = json.loads(line)
    tracker[b["id"]] = b
truth = [json.loads(line) for line in open(TRUTH)]
scored = {t["id"] for t in truth}

CLOSE_FIELDS = ("closed_at", "close_reason", "closed_by", "deleted_at", "deleted_by",
                "delete_reason", "original_type")


def as_created(b):
    """The bead as it was when created: open, no close fields."""
    b = dict(b)
    if b.get("status") == "tombstone":
        b["issue_type"] = b.get("original_type") or b.get("issue_type")
    b["status"] = "open"
    for k in CLOSE_FIELDS:
        b.pop(k, None)
    return b


# (time, order, kind, payload); at one instant a creation comes first.
events = []
for b in tracker.values():
    if not b.get("created_at"):
        continue
    events.append((ts(b["created_at"]), 0, "create", b["id"]))
    # A tombstone stays the open bead it was (as in history_learn.sh); an
    # open or `hooked` bead is never closed.
    if b.get("status") == "closed" and b.get("closed_at"):
        events.append((ts(b["closed_at"]), 2, "close", b["id"]))
commits = {}
for t in truth:
    for c in t["commits"]:
        commits.setdefault(c["sha"], {"at": ts(c["author_time"]), "files": c["files"],
                                      "beads": set()})["beads"].add(t["id"])
# MERGE_AT=commit (default): each commit reaches main at its author time.
# MERGE_AT=bead-end: only when the last commit of its beads is made, as if
# each bead's work sat on a branch until done (how much the conflict graph
# owes to seeing work in progress; the commits keep their author times).
merge_at = os.environ.get("MERGE_AT", "commit")
if merge_at not in ("commit", "bead-end"):
    sys.exit(f"MERGE_AT={merge_at}: commit or bead-end")
bead_end = {}
for c in commits.values():
    for b in c["beads"]:
        bead_end[b] = max(bead_end.get(b, c["at"]), c["at"])
for sha, c in commits.items():
    at = max(bead_end[b] for b in c["beads"]) if merge_at == "bead-end" else c["at"]
    events.append((at, 1, "commit", sha))
# A file the final tree lacks was deleted some time: right after its last
# recorded touch is the guess made here (a later, unrecorded commit is the
# other), so that the text rules do not see files long gone.
events.sort()
final = {line.strip() for line in open(TRACKED) if line.strip()}
last_touch = {}
for _, _, kind, sha in events:
    for f in commits[sha]["files"] if kind == "commit" else ():
        if f not in final:
            last_touch[f] = sha

# --- the replay ---------------------------------------------------------------

pending_creates, pending_closes, pending_commits = [], [], []
preds = []
edges = {}  # (a, b) -> the first edge recorded for the pair


def merge_commits(batch):
    """One branch per run of consecutive commits of the same beads, merged."""
    runs = []
    for sha in batch:
        key = tuple(sorted(commits[sha]["beads"]))
        if runs and runs[-1][0] == key:
            runs[-1][1].append(sha)
        else:
            runs.append((key, [sha]))
    for beads, shas in runs:
        branch = beads[0]
        first = commits[shas[0]]["at"]
        git(["checkout", "-q", "-B", branch, "main"], first)
        for sha in shas:
            c = commits[sha]
            for f in c["files"]:
                path = os.path.join(REPO, f)
                os.makedirs(os.path.dirname(path) or REPO, exist_ok=True)
                with open(path, "w") as fh:
                    fh.write(f"{sha}\n")
            git(["add", "--", *c["files"]], c["at"])
            git(["commit", "-q", "--no-verify", "-m",
                 f"replay {sha[:10]} ({', '.join(sorted(c['beads']))})"], c["at"], "commit")
            stats["commits"] += 1
        last = commits[shas[-1]]["at"]
        git(["checkout", "-q", "main"], last)
        r = git(["merge", "--no-ff", "-q", "--no-edit", branch], last, "merge")
        stats["merges"] += 1
        if r.stderr.strip():
            # The hook is fail-open: it says what went wrong on stderr.
            print(f"merge of {branch}: {r.stderr.strip()[:300]}", file=sys.stderr)
        git(["branch", "-q", "-D", branch], last)
        # Files the final tree lacks, last touched here: gone from now on,
        # by a commit on main that names no bead (no retro counts it).
        gone = list(dict.fromkeys(
            f for sha in shas for f in commits[sha]["files"] if last_touch.get(f) == sha))
        if gone:
            git(["rm", "-q", "--", *gone], last)
            git(["commit", "-q", "--no-verify", "-m", "replay: remove files the final tree lacks"],
                last, "commit")
            stats["deleted"] = stats.get("deleted", 0) + len(gone)


def import_beads(rows, t, key):
    if not rows:
        return
    path = os.path.join(OUT, "batch.jsonl")
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    gemba(["import", "beads", path, "-q"], t, key)
    stats["imports"] += 1


def enrichment_targets(bid):
    """`targets:` of .gemba/enrichment/<id>.yaml and its source stamp."""
    path = os.path.join(REPO, ".gemba", "enrichment", bid + ".yaml")
    if not os.path.exists(path):
        return [], None
    out, source, inside = [], None, False
    for line in open(path):
        if line.startswith("targets:"):
            inside = True
        elif inside and re.match(r"^  value: *\[\]", line):
            pass
        elif inside and re.match(r"^  source: ", line):
            source = line.split(":", 1)[1].strip()
        elif inside and re.match(r"^ *- ", line):
            v = line.split("- ", 1)[1].strip()
            if v[:1] == '"':
                v = json.loads(v)
            elif v[:1] == "'":
                v = v[1:-1].replace("''", "'")
            out.append(v)
        elif inside and not line.startswith(" "):
            break
    return out, source


def flush(t, observe=None):
    """Apply what happened up to `t`; then create `observe` and record its targets."""
    created = [as_created(tracker[i]) for i in pending_creates]
    if observe:
        created.append(as_created(tracker[observe]))
    import_beads(created, t, "import")
    if pending_commits:
        merge_commits(pending_commits)
    if created:
        # --all: a bead created and closed within the batch is backfilled too.
        ids = "|".join(re.escape(b["id"]) for b in created)
        report = json.loads(gemba(["bead", "backfill", "--all", "--filter", f"^({ids})$",
                                   "--json", "-q"], t, "backfill"))
        stats["backfills"] += 1
    else:
        report = {}
    import_beads([tracker[i] for i in pending_closes], t, "import")
    pending_creates.clear(), pending_closes.clear(), pending_commits.clear()
    if observe:
        targets, source = enrichment_targets(observe)
        borrowed = next((b for b in report.get("borrowed", []) if b["id"] == observe), None)
        learned = next((x["targets"] for x in report.get("learned", []) if x["id"] == observe), [])
        preds.append({"id": observe, "targets": targets, "source": source,
                      "borrowed": borrowed and {"via": borrowed["via"], "from": borrowed["from"]},
                      "learned": [{"path": x["path"], "from": x["from"]} for x in learned]})
        record_edges(observe, t)


def record_edges(bid, t):
    """The conflict graph's edges of `bid` now, to other beads of the history."""
    t0 = time.monotonic()
    doc = json.loads(gemba(["conflicts", "--all", "--bead", bid, "--json", "-q"], t, "conflicts"))
    stats["conflicts_calls"] += 1
    ms = (time.monotonic() - t0) * 1000
    stats.setdefault("conflicts_ms", []).append(ms)
    for e in doc["edges"]:
        other = e["b"] if e["a"] == bid else e["a"]
        if other == bid or other not in scored:
            continue
        key = (min(e["a"], e["b"]), max(e["a"], e["b"]))
        edges.setdefault(key, {"a": key[0], "b": key[1], "kind": e["kind"],
                               "reason": e["reason"], "at": bid})


start = time.monotonic()
last_t = None
for at, _, kind, what in events:
    if LIMIT is not None and len(preds) >= LIMIT:
        break
    last_t = at
    if kind == "create" and what in scored:
        flush(at, what)
        if len(preds) % 50 == 0:
            print(f"  {len(preds)} beads of the history, {stats['merges']} merges, "
                  f"{time.monotonic() - start:.0f}s", file=sys.stderr)
    elif kind == "create":
        pending_creates.append(what)
    elif kind == "close":
        pending_closes.append(what)
    else:
        pending_commits.append(what)
if LIMIT is None and last_t is not None:
    flush(last_t)
stats["seconds"]["total"] = time.monotonic() - start

# What the hooks did, from the log: one `githook` event per hook run (its
# steps, ok, ms), one `retro` event per bead and batch of new commits.
log_dir = os.path.join(REPO, ".gemba", "log")
hook_ms, kinds = [], {}
for name in sorted(os.listdir(log_dir)):
    for line in open(os.path.join(log_dir, name)):
        e = json.loads(line)
        kinds[e["kind"]] = kinds.get(e["kind"], 0) + 1
        data = e.get("data") or {}
        if e["kind"] == "githook" and "steps" in data:  # a hook run, not `hooks install`
            hook_ms.append(data.get("ms", 0))
            if not data.get("ok", True):
                stats["hook_failures"] += 1
                if stats["hook_failures"] <= 3:
                    print(f"hook failed: {e.get('message')}", file=sys.stderr)
stats["hook_runs"] = len(hook_ms)
stats["retros"] = kinds.get("retro", 0)
stats["events_logged"] = kinds
if hook_ms:
    hook_ms.sort()
    stats["hook_ms"] = {"median": hook_ms[len(hook_ms) // 2], "max": hook_ms[-1],
                        "total": sum(hook_ms)}

ms = sorted(stats.pop("conflicts_ms", []))
if ms:
    stats["conflicts_ms"] = {"median": round(ms[len(ms) // 2], 1), "max": round(ms[-1], 1),
                             "total": round(sum(ms) / 1000, 1)}
stats["edges"] = len(edges)
with open(os.path.join(OUT, "EDGES.jsonl"), "w") as f, \
        open(os.path.join(OUT, "PAIRS.jsonl"), "w") as g:
    for key in sorted(edges):
        f.write(json.dumps(edges[key]) + "\n")
        g.write(json.dumps({"a": key[0], "b": key[1]}) + "\n")
with open(os.path.join(OUT, "PRED.jsonl"), "w") as f:
    for p in preds:
        f.write(json.dumps(p) + "\n")
done = {p["id"] for p in preds}
with open(os.path.join(OUT, "TRUTH.jsonl"), "w") as f:
    for t in truth:
        if t["id"] in done:
            f.write(json.dumps(t) + "\n")
stats["beads_replayed"] = len(preds)
stats["events"] = len(events)
json.dump(stats, open(os.path.join(OUT, "stats.json"), "w"), indent=1, sort_keys=True)
