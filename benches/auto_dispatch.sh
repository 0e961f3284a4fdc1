#!/usr/bin/env bash
# Auto-dispatch at scale (issue 14): `gemba dispatch tick` over 1,000 ready
# beads x 20 live sessions (8 of them holding a bead, so 12 idle), with
# the floor at 0 so every idle session is fed: the first tick (12 claims
# and enqueues, the store read again after each), a tick that finds
# everyone busy (a `dispatch run` loop's steady state), a dry run, and
# `dispatch status`. Each first tick runs on a fresh copy of the store.
#
#   bash benches/auto_dispatch.sh          # ~1 minute
#   RUNS=20 KEEP=1 bash benches/auto_dispatch.sh
#
# Reports, never asserts. Needs hyperfine (apt-get install hyperfine).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/common.sh" auto
READY=${READY:-1000}
BLOCKED=${BLOCKED:-200}
SESSIONS=${SESSIONS:-19} # plus s-000: 20 live sessions
HELD=${HELD:-8}
FILES=${FILES:-2000}

log "building"
(cd "$ROOT" && cargo build --release --quiet --bin gemba --example gen_beads)

log "generating $READY ready + $BLOCKED blocked beads, $FILES files, $((SESSIONS + 1)) sessions ($HELD holding a bead)"
repo=$WORK/fleet
mkdir -p "$repo"
(
    cd "$repo" && git init -q -b main
    "$TARGET/release/examples/gen_beads" $((READY + BLOCKED)) 0 7 >raw.jsonl
    python3 "$ROOT/benches/gen_fleet.py" "$repo" "$READY" "$BLOCKED" "$FILES" "$SESSIONS" "$HELD" raw.jsonl
    git add -A -- pkg* && git -c user.name=b -c user.email=b@b commit -qm tree
    "$GEMBA" -q init >/dev/null
    "$GEMBA" -q import beads beads.jsonl >/dev/null
    for kind in enrichment agents sessions claims; do
        mkdir -p ".gemba/$kind"
        if compgen -G ".gemba-$kind/*" >/dev/null; then mv ".gemba-$kind"/* ".gemba/$kind/"; fi
        rmdir ".gemba-$kind"
    done
    sed -i 's/^  floor: 0.5$/  floor: 0/' .gemba/config.yaml
    "$GEMBA" -q dispatch on >/dev/null
    "$GEMBA" -q ready --json >/dev/null # warm the snapshot cache
)

log "a dry run"
(cd "$repo" && "$GEMBA" -q dispatch tick --dry-run) >&2
hyperfine --style basic --runs "$RUNS" --warmup "$WARMUP" --export-csv "$WORK/dry.csv" \
    "cd '$repo' && '$GEMBA' -q dispatch tick --dry-run --json >/dev/null" >&2

log "first ticks, each on a fresh copy"
hyperfine --style basic --runs "$RUNS" --export-csv "$WORK/first.csv" \
    --prepare "rm -rf '$WORK/copy' && cp -a '$repo' '$WORK/copy'" \
    "cd '$WORK/copy' && '$GEMBA' -q dispatch tick --json >'$WORK/first.json'" >&2
fed=$(python3 -c "import json; t = json.load(open('$WORK/first.json')); print(sum(e['outcome'] == 'dispatched' for e in t['sessions']))")

log "ticks that find every session busy"
hyperfine --style basic --runs "$RUNS" --warmup "$WARMUP" --export-csv "$WORK/busy.csv" \
    "cd '$WORK/copy' && '$GEMBA' -q dispatch tick --json >/dev/null" >&2
hyperfine --style basic --runs "$RUNS" --warmup "$WARMUP" --export-csv "$WORK/status.csv" \
    "cd '$WORK/copy' && '$GEMBA' -q dispatch status --json >/dev/null" >&2

echo
echo "## Auto-dispatch: one tick"
echo
echo "- commit: $(git -C "$ROOT" rev-parse --short HEAD); $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- $READY ready beads, $BLOCKED blocked by them, $((SESSIONS + 1)) live sessions ($HELD holding a bead), $FILES tracked files, dispatch.floor 0"
echo
echo "| figure | median ms | min-max ms | CPU ms (user+sys) |"
echo "|---|---|---|---|"
row "dispatch tick, first ($fed sessions fed: claim + enqueue + re-read each)" "$WORK/first.csv"
row "dispatch tick, everyone busy (the loop's steady state)" "$WORK/busy.csv"
row "dispatch tick --dry-run (first tick's decisions, nothing written)" "$WORK/dry.csv"
row "dispatch status" "$WORK/status.csv"
