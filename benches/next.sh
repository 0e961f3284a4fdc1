#!/usr/bin/env bash
# `gemba next` at scale (issue 13): 10,000 ready beads (plus 2,000 open
# beads they block, so leverage has work), each with concepts and 1-3
# target globs over a 5,000-file tracked tree; 5 agents and 51 live
# sessions with profiles and recent beads, 40 of the others holding a bead
# in progress (20 of them through claim files), so the conflict gate has
# held targets to compare against. The asking session's decision is logged
# on every run, as always.
#
#   bash benches/next.sh              # ~2 minutes
#   RUNS=20 KEEP=1 bash benches/next.sh
#
# Reports, never asserts. Needs hyperfine (apt-get install hyperfine).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
READY=${READY:-10000}
BLOCKED=${BLOCKED:-2000}
SESSIONS=${SESSIONS:-50}
FILES=${FILES:-5000}
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-2}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
GEMBA=$TARGET/release/gemba
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gemba-next.XXXXXX")
if [[ ${KEEP:-0} == 1 ]]; then echo "keeping $WORK" >&2; else trap 'rm -rf "$WORK"' EXIT; fi
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GEMBA_ACTOR=bench NO_COLOR=1
export GEMBA_NOW=2026-11-23T12:00:00Z
unset GEMBA_DIR GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE
log() { printf '\n== [%3ds] %s\n' "$SECONDS" "$*" >&2; }

log "building"
(cd "$ROOT" && cargo build --release --quiet --bin gemba --example gen_beads)

repo=$WORK/repo
mkdir -p "$repo" && cd "$repo" && git init -q -b main
log "generating $READY ready + $BLOCKED blocked beads, $FILES files, $SESSIONS other sessions"
"$TARGET/release/examples/gen_beads" $((READY + BLOCKED)) 0 7 >"$WORK/raw.jsonl"
python3 - "$repo" "$READY" "$BLOCKED" "$FILES" "$SESSIONS" "$WORK/raw.jsonl" <<'PY'
import json, os, random, sys
repo, ready, blocked, files, sessions, raw = sys.argv[1], *map(int, sys.argv[2:6]), sys.argv[6]
rng = random.Random(13)
dirs = [f"pkg{p:03d}/mod{m}" for p in range(files // 50) for m in range(5)]
paths = [f"{d}/file{f}.rs" for d in dirs for f in range(10)][:files]
for p in paths:
    os.makedirs(os.path.join(repo, os.path.dirname(p)), exist_ok=True)
    open(os.path.join(repo, p), "w").close()
concepts = ("parser cache retry budget index sync daemon export import schema queue lock "
            "config render token session claim merge hook plan").split()
beads = [json.loads(l) for l in open(raw)]
ids = [b["id"] for b in beads]
with open(os.path.join(repo, "beads.jsonl"), "w") as out:
    for i, b in enumerate(beads):
        b["status"] = "open"
        b["issue_type"] = "task"
        for k in ("closed_at", "close_reason", "defer_until", "pinned", "ephemeral", "assignee", "started_at"):
            b.pop(k, None)
        b["dependencies"] = []
        if i >= ready:  # held back by one or two ready beads
            for t in rng.sample(range(ready), rng.randint(1, 2)):
                b["dependencies"].append({"depends_on_id": ids[t], "type": "blocks"})
        out.write(json.dumps(b) + "\n")
enr = os.path.join(repo, ".gemba-enrichment")
os.makedirs(enr, exist_ok=True)
targets = {}
for i, bead_id in enumerate(ids):
    globs = []
    for _ in range(rng.randint(1, 3)):
        r = rng.random()
        globs.append(rng.choice(paths) if r < 0.6 else rng.choice(dirs) + ("/**" if r < 0.8 else "/*.rs"))
    targets[bead_id] = globs
    cs = rng.sample(concepts, rng.randint(1, 3))
    size = rng.choice(["small", "medium", "large"])
    band = rng.choice(["trivial", "routine", "routine", "skilled", "expert"])
    text = ("targets:\n  value:\n" + "".join(f"  - {g}\n" for g in globs) + "  source: operator\n"
            + "concepts:\n  value: [" + ", ".join(cs) + "]\n  source: operator\n"
            + f"estimated_size:\n  value: {size}\n  source: backfill\n"
            + f"complexity:\n  value: {band}\n  source: backfill\n")
    with open(os.path.join(enr, f"{bead_id}.yaml"), "w") as f:
        f.write(text)
agents = [("opus", "expert", "premium"), ("sonnet", "skilled", "standard"),
          ("haiku", "routine", "economy"), ("builder", "skilled", "standard"), ("scout", "expert", "standard")]
os.makedirs(os.path.join(repo, ".gemba-agents"), exist_ok=True)
for name, band, tier in agents:
    with open(os.path.join(repo, ".gemba-agents", f"{name}.yaml"), "w") as f:
        f.write(f"name: {name}\nmax_band: {band}\ncost_tier: {tier}\ncontext_window: 200000\n"
                f"created_at: 2026-11-01T00:00:00Z\nprofile:\n  concepts:\n"
                + "".join(f"    {c}: {rng.uniform(0.5, 5):.2f}\n" for c in rng.sample(concepts, 5)))
os.makedirs(os.path.join(repo, ".gemba-sessions"), exist_ok=True)
os.makedirs(os.path.join(repo, ".gemba-claims"), exist_ok=True)
held = rng.sample(ids[:ready], 40)
for s in range(sessions + 1):
    sid = f"s-{s:03d}"
    agent = agents[s % len(agents)][0]
    recent = []
    for e in range(5):
        b = rng.choice(ids)
        recent.append({"bead": b, "event": 20 + e, "epic": None, "concepts": rng.sample(concepts, 2),
                       "files": targets[b][:1], "source": "actual", "closed": True})
    session = {
        "id": sid, "agent": agent, "status": "live",
        "workspace": {"repo": os.path.realpath(repo), "branch": "main"},
        "started_at": "2026-11-23T08:00:00Z",
        "telemetry": {"tokens": rng.randint(0, 150000)},
        "profile": {
            "concepts": {c: round(rng.uniform(0.1, 4), 3) for c in rng.sample(concepts, 6)},
            "files": {rng.choice(paths): round(rng.uniform(0.1, 3), 3) for _ in range(20)},
            "events": 24,
            "recent": [{k: v for k, v in r.items() if v is not None} for r in recent],
        },
    }
    if 1 <= s <= 40:
        bead = held[s - 1]
        session["telemetry"]["bead"] = bead
        if s <= 20:
            claim = {"bead": bead, "session": sid, "agent": agent,
                     "claimed_at": "2026-11-23T11:00:00Z", "lease_until": "2026-11-23T14:00:00Z"}
            with open(os.path.join(repo, ".gemba-claims", f"{bead}.json"), "w") as f:
                json.dump(claim, f, indent=2)
    with open(os.path.join(repo, ".gemba-sessions", f"{sid}.json"), "w") as f:
        json.dump(session, f, indent=2)
PY
git add -A -- pkg* && git -c user.name=b -c user.email=b@b commit -qm tree
"$GEMBA" -q init >/dev/null
"$GEMBA" -q import beads beads.jsonl >/dev/null
for kind in enrichment agents sessions claims; do
    mkdir -p ".gemba/$kind" && mv ".gemba-$kind"/* ".gemba/$kind/" && rmdir ".gemba-$kind"
done
ready=$("$GEMBA" -q ready --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
echo "$ready ready beads" >&2
"$GEMBA" -q next --session s-000 --explain >&2

log "gemba next --session s-000"
hyperfine --style basic --runs "$RUNS" --warmup "$WARMUP" --export-csv "$WORK/next.csv" \
    "'$GEMBA' -q next --session s-000 --json >/dev/null" >&2
hyperfine --style basic --runs "$RUNS" --warmup "$WARMUP" --export-csv "$WORK/ready.csv" \
    "'$GEMBA' -q ready --json >/dev/null" >&2

row() {
    local med cpu_u cpu_s min max
    IFS=, read -r _ _ _ med cpu_u cpu_s min max < <(tail -n 1 "$2")
    awk -v n="$1" -v m="$med" -v a="$min" -v b="$max" -v u="$cpu_u" -v s="$cpu_s" \
        'BEGIN { printf "| %s | %.0f | %.0f-%.0f | %.0f |\n", n, m*1000, a*1000, b*1000, (u+s)*1000 }'
}
echo
echo "## gemba next"
echo
echo "- commit: $(git -C "$ROOT" rev-parse --short HEAD); $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- $ready ready beads, $BLOCKED blocked by them, $((SESSIONS + 1)) live sessions (40 holding a bead), $FILES tracked files"
echo
echo "| figure | median ms | min-max ms | CPU ms (user+sys) |"
echo "|---|---|---|---|"
row "next --session --json (floor 200 ms)" "$WORK/next.csv"
row "ready --json (same store, for scale)" "$WORK/ready.csv"
