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

source "$(dirname "${BASH_SOURCE[0]}")/common.sh" next
READY=${READY:-10000}
BLOCKED=${BLOCKED:-2000}
SESSIONS=${SESSIONS:-50}
FILES=${FILES:-5000}

log "building"
(cd "$ROOT" && cargo build --release --quiet --bin gemba --example gen_beads)

repo=$WORK/repo
mkdir -p "$repo" && cd "$repo" && git init -q -b main
log "generating $READY ready + $BLOCKED blocked beads, $FILES files, $SESSIONS other sessions"
"$TARGET/release/examples/gen_beads" $((READY + BLOCKED)) 0 7 >"$WORK/raw.jsonl"
python3 "$ROOT/benches/gen_fleet.py" "$repo" "$READY" "$BLOCKED" "$FILES" "$SESSIONS" 40 "$WORK/raw.jsonl"
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
