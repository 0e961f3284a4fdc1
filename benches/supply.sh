#!/usr/bin/env bash
# `gemba supply` over 10,000 source items (issue 14): an idea backlog of
# 5,000 items (scored; a min_score holds a fifth back) and a TODO file of
# 5,000 open tasks (and 500 done ones), 4 agents, queue.target_depth 3,
# so 12 items are placed and the rest are held back ("queues full"),
# which must stay cheap: no spec is made for them.
#
# Figures:
#   dry run          everything new: read, dedup, filter, gate, place 12
#                    (specs and extraction for those 12 only), nothing written
#   first run        the same, for real: 12 packets enqueued, 12 seen files,
#                    the supply event (each run starts from empty queues)
#   steady state     queues full, 12 items seen: the cron case
#   all seen         10,000 seen files (every item supplied before)
#
#   bash benches/supply.sh            # ~1 minute
#   ITEMS=20000 RUNS=20 KEEP=1 bash benches/supply.sh
#
# Reports, never asserts. Needs hyperfine (apt-get install hyperfine).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/common.sh" supply
ITEMS=${ITEMS:-10000}

log "building"
(cd "$ROOT" && cargo build --release --quiet --bin gemba)

repo=$WORK/repo
mkdir -p "$repo/src" && cd "$repo" && git init -q -b main
log "generating $ITEMS source items"
python3 - "$ITEMS" <<'EOF'
import random, sys
n = int(sys.argv[1])
half = n // 2
random.seed(14)
areas = ["auth", "queue", "supply", "store", "cli", "docs", "index", "plan"]
for a in areas:
    open(f"src/{a}.rs", "w").write(f"// {a}\n")
with open("ideas.yaml", "w") as f:
    f.write("items:\n")
    for i in range(half):
        a = random.choice(areas)
        f.write(f"  - id: idea-{i}\n    title: Improve {a} step {i}\n"
                f"    body: Touches src/{a}.rs; see the notes of idea {i}.\n"
                f"    score: {random.random():.3f}\n    labels: [{a}]\n")
with open("TODO.md", "w") as f:
    f.write("# Inbox\n\n")
    for i in range(n - half):
        a = random.choice(areas)
        f.write(f"- [ ] Task {i}: tidy src/{a}.rs #{a}\n")
        if i % 3 == 0:
            f.write(f"  Some detail about task {i}.\n")
        if i % 10 == 0:
            f.write(f"- [x] Done task {i} (not an item)\n")
EOF
git add -A && git -c user.name=b -c user.email=b@b commit -qm tree
"$GEMBA" -q init >/dev/null
sed -i 's/^  max_attempts: 3$/  max_attempts: 3\n  target_depth: 3/' .gemba/config.yaml
for a in alice bob carol dave; do "$GEMBA" -q agent add "$a" >/dev/null; done
"$GEMBA" -q supply source add backlog ideas.yaml --min-score 0.2 >/dev/null
"$GEMBA" -q supply source add todo TODO.md >/dev/null
git add -A && git -c user.name=b -c user.email=b@b commit -qm gemba
"$GEMBA" supply --dry-run --json >"$WORK/dry.json" || true
python3 - "$WORK/dry.json" <<'EOF' >&2
import json, sys
r = json.load(open(sys.argv[1]))
print("items read:", sum(s["items"] for s in r["sources"]),
      "| would enqueue:", len(r["enqueued"]), "| held:", r["held_counts"])
EOF

reset='rm -rf .gemba/queues .gemba/supply'
log "dry run"
hyperfine --style basic --runs "$RUNS" --warmup "$WARMUP" -i --export-csv "$WORK/dry.csv" \
    "'$GEMBA' -q supply --dry-run --json >/dev/null" >&2
log "first run (from empty queues)"
hyperfine --style basic --runs "$RUNS" --warmup "$WARMUP" -i --prepare "$reset" --export-csv "$WORK/first.csv" \
    "'$GEMBA' -q supply --json >/dev/null" >&2
log "steady state (queues full)"
"$GEMBA" -q supply >/dev/null || true
hyperfine --style basic --runs "$RUNS" --warmup "$WARMUP" -i --export-csv "$WORK/steady.csv" \
    "'$GEMBA' -q supply --json >/dev/null" >&2
log "all $ITEMS items seen before"
eval "$reset"
# The keys exactly as gemba makes them: a dry run with room for all.
sed -i 's/^  target_depth: 3$/  target_depth: 100000/' .gemba/config.yaml
"$GEMBA" supply --dry-run --json >"$WORK/all.json" || true
sed -i 's/^  target_depth: 100000$/  target_depth: 3/' .gemba/config.yaml
python3 - "$WORK/all.json" <<'EOF'
import json, os, sys
r = json.load(open(sys.argv[1]))
keys = [p["key"] for p in r["enqueued"]] + [h["key"] for h in r["held"]]
d = ".gemba/supply/seen"
os.makedirs(d, exist_ok=True)
def esc(s):
    out = []
    for i, b in enumerate(s.encode()):
        c = chr(b)
        if c.isascii() and (c.isalnum() or c in "-_" or (c == "." and i > 0)):
            out.append(c)
        else:
            out.append("%%%02X" % b)
    return "".join(out)
for k in keys:
    with open(os.path.join(d, esc(k) + ".json"), "w") as f:
        json.dump({"key": k, "packet": "pk-x", "agent": "alice", "title": "t",
                   "at": "2026-11-23T12:00:00Z"}, f, indent=2)
        f.write("\n")
print(len(keys), "seen files", file=sys.stderr)
EOF
hyperfine --style basic --runs "$RUNS" --warmup "$WARMUP" -i --export-csv "$WORK/seen.csv" \
    "'$GEMBA' -q supply --json >/dev/null" >&2

echo
echo "## gemba supply"
echo
echo "- commit: $(git -C "$ROOT" rev-parse --short HEAD); $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- $ITEMS source items (backlog + TODO), 4 agents, target depth 3"
echo
echo "| figure | median ms | min-max ms | CPU ms (user+sys) |"
echo "|---|---|---|---|"
row "dry run, all new" "$WORK/dry.csv"
row "first run: 12 enqueued, rest held" "$WORK/first.csv"
row "steady state: queues full" "$WORK/steady.csv"
row "all items seen before" "$WORK/seen.csv"
