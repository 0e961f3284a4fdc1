#!/usr/bin/env bash
# Dispatch at scale (issue 13): `gemba coach` over 1,000 ready beads x 20
# live sessions (8 of them holding a bead), and the 16-way race: 16
# processes run `gemba next --session s-0NN --claim` at once, on that
# store (1,000 ready beads) and on a small one (16 ready beads, 16
# sessions), each race on a fresh copy of the store; claims per second =
# beads won / wall time of the whole race.
#
#   bash benches/dispatch.sh              # ~1 minute
#   RUNS=20 RACES=10 KEEP=1 bash benches/dispatch.sh
#
# Reports, never asserts. Needs hyperfine (apt-get install hyperfine).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/common.sh" dispatch
READY=${READY:-1000}
BLOCKED=${BLOCKED:-200}
SESSIONS=${SESSIONS:-19} # plus s-000: 20 live sessions
HELD=${HELD:-8}
FILES=${FILES:-2000}
RACES=${RACES:-5}
RACERS=16

log "building"
(cd "$ROOT" && cargo build --release --quiet --bin gemba --example gen_beads)

# A store in $1: $2 ready beads, $3 blocked, $4 files, $5 + 1 sessions, $6 holding.
fleet() {
    local repo=$1
    mkdir -p "$repo" && (
        cd "$repo" && git init -q -b main
        "$TARGET/release/examples/gen_beads" $(($2 + $3)) 0 7 >raw.jsonl
        python3 "$ROOT/benches/gen_fleet.py" "$repo" "$2" "$3" "$4" "$5" "$6" raw.jsonl
        git add -A -- pkg* && git -c user.name=b -c user.email=b@b commit -qm tree
        "$GEMBA" -q init >/dev/null
        "$GEMBA" -q import beads beads.jsonl >/dev/null
        for kind in enrichment agents sessions claims; do
            mkdir -p ".gemba/$kind"
            if compgen -G ".gemba-$kind/*" >/dev/null; then mv ".gemba-$kind"/* ".gemba/$kind/"; fi
            rmdir ".gemba-$kind"
        done
        "$GEMBA" -q ready --json >/dev/null # warm the snapshot cache
    )
}

log "generating $READY ready + $BLOCKED blocked beads, $FILES files, $((SESSIONS + 1)) sessions ($HELD holding a bead)"
fleet "$WORK/big" "$READY" "$BLOCKED" "$FILES" "$SESSIONS" "$HELD"
log "generating the small store: 16 ready beads, 16 idle sessions"
fleet "$WORK/small" 16 0 200 15 0

cd "$WORK/big"
ready=$("$GEMBA" -q ready --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
"$GEMBA" -q coach --limit 10 >&2
log "gemba coach"
hyperfine --style basic --runs "$RUNS" --warmup "$WARMUP" --export-csv "$WORK/coach.csv" \
    "'$GEMBA' -q coach --json >/dev/null" >&2
hyperfine --style basic --runs "$RUNS" --warmup "$WARMUP" --export-csv "$WORK/coach-text.csv" \
    "'$GEMBA' -q coach >/dev/null" >&2
hyperfine --style basic --runs "$RUNS" --warmup "$WARMUP" --export-csv "$WORK/next.csv" \
    "'$GEMBA' -q next --session s-000 --json >/dev/null" >&2

# One race on a fresh copy of store $1: "<won> <exit 4> <exit 3> <ms>".
race() {
    local copy=$WORK/race
    rm -rf "$copy" && cp -a "$1" "$copy"
    (
        cd "$copy"
        local start end pids=() won=0 lost=0 none=0 code
        start=$(date +%s%N)
        for i in $(seq 0 $((RACERS - 1))); do
            "$GEMBA" -q next --session "$(printf 's-%03d' "$i")" --claim --json >"out-$i.json" 2>/dev/null &
            pids+=($!)
        done
        for p in "${pids[@]}"; do
            code=0
            wait "$p" || code=$?
            case $code in 0) won=$((won + 1)) ;; 4) lost=$((lost + 1)) ;; 3) none=$((none + 1)) ;; *) echo "exit $code" >&2 ;; esac
        done
        end=$(date +%s%N)
        # Check: one claim file per win, no bead twice.
        files=$(ls .gemba/claims | wc -l)
        dup=$(python3 -c '
import glob, json
reports = [json.load(open(f)) for f in glob.glob("out-*.json") if open(f).read().strip()]
ids = [r["bead"]["id"] for r in reports if r.get("claimed")]
print(len(ids) - len(set(ids)))')
        echo "$won $lost $none $(((end - start) / 1000000)) $files $dup"
    )
}

races() { # $1 store, $2 label, $3 claim files there before the race
    local w l n ms f d total_won=0 total_ms=0 i
    for i in $(seq "$RACES"); do
        read -r w l n ms f d < <(race "$1")
        echo "  race $i on $2: $w won, $l lost every try (exit 4), $n nothing (exit 3), ${ms} ms; claim files $((f - $3)) new, $d beads twice" >&2
        total_won=$((total_won + w))
        total_ms=$((total_ms + ms))
    done
    awk -v n="$2" -v w="$total_won" -v t="$total_ms" -v r="$RACES" \
        'BEGIN { printf "| 16-way race, %s | %.1f | %.0f | %.0f |\n", n, w / r, t / r, w * 1000 / t }'
}

log "16-way races of next --claim"
held_files=$(ls "$WORK/big/.gemba/claims" | wc -l)
big=$(races "$WORK/big" "$ready ready beads" "$held_files")
small=$(races "$WORK/small" "16 ready beads" 0)

echo
echo "## Dispatch: coach and the 16-way race"
echo
echo "- commit: $(git -C "$ROOT" rev-parse --short HEAD); $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- $ready ready beads, $BLOCKED blocked by them, $((SESSIONS + 1)) live sessions ($HELD holding a bead), $FILES tracked files"
echo
echo "| figure | median ms | min-max ms | CPU ms (user+sys) |"
echo "|---|---|---|---|"
row "coach --json ($ready beads x $((SESSIONS + 1)) sessions)" "$WORK/coach.csv"
row "coach (the table)" "$WORK/coach-text.csv"
row "next --session --json (same store, for scale)" "$WORK/next.csv"
echo
echo "| race ($RACES runs) | beads won per race | wall ms per race | claims per second |"
echo "|---|---|---|---|"
echo "$big"
echo "$small"
