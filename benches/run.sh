#!/usr/bin/env bash
# Whole-command benchmarks of the release binary (issue 2, acceptance 11).
#
#   bash benches/run.sh            # from anywhere; takes ~2-3 minutes
#
# Reports, never asserts: it prints a Markdown table of medians (min/max)
# against the targets. Uses hyperfine when installed (apt-get install
# hyperfine), else a plain loop timed with `date +%s%N`.
#
# Environment:
#   RUNS=10 WARMUP=2         runs per figure (the 10k import uses SLOW_RUNS)
#   SLOW_RUNS=3              runs of the (informational) 10k import
#   BEADS=10000 EDGES=15000  size of the generated tree
#   GEMBA_BENCH_DATA=DIR     the real exports (default ../shared/data/beads)
#   KEEP=1                   keep the temp repos and raw results
#   HYPERFINE=0              use the date +%s%N loop even if hyperfine exists
#   WAIT_IDLE=SECONDS        first wait up to SECONDS for the CPUs to be
#                            >= 90% idle (wall times on a shared machine
#                            mostly measure the other load)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-2}
SLOW_RUNS=${SLOW_RUNS:-3}
BEADS=${BEADS:-10000}
EDGES=${EDGES:-15000}
DATA=${GEMBA_BENCH_DATA:-$ROOT/../shared/data/beads}
FLYWHEEL=$DATA/Dicklesworthstone__flywheel_connectors__issues.jsonl
BEADS_REPO=$DATA/steveyegge__beads__issues.jsonl
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
GEMBA=$TARGET/release/gemba

for f in "$FLYWHEEL" "$BEADS_REPO"; do
    [[ -r $f ]] || { echo "missing data file: $f: keep ../shared beside this checkout (or set GEMBA_BENCH_DATA)" >&2; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gemba-bench.XXXXXX")
if [[ ${KEEP:-0} == 1 ]]; then
    echo "keeping $WORK" >&2
else
    trap 'rm -rf "$WORK"' EXIT
fi
RESULTS=$WORK/results
mkdir -p "$RESULTS"

# A hermetic environment for git and gemba.
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GEMBA_ACTOR=bench NO_COLOR=1
unset GEMBA_DIR GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE

log() { printf '\n== [%3ds] %s\n' "$SECONDS" "$*" >&2; }

log "building (cargo build --release)"
(cd "$ROOT" && cargo build --release --quiet)

log "generating $BEADS beads with $EDGES edges"
GENERATED=$WORK/generated.jsonl
(cd "$ROOT" && cargo run --release --quiet --example gen_beads -- "$BEADS" "$EDGES") >"$GENERATED"

# new_repo DIR: an empty git repository with `gemba init` done.
new_repo() {
    rm -rf "$1"
    mkdir -p "$1"
    git -C "$1" init -q
    (cd "$1" && "$GEMBA" -q init >/dev/null)
}

# import_into DIR FILE: import once, checking that nothing failed.
import_into() {
    (cd "$1" && "$GEMBA" -q --json import beads "$2" >"$WORK/import.json")
    grep -q '"errors": \[\]' "$WORK/import.json" || {
        echo "import into $1 reported errors:" >&2
        cat "$WORK/import.json" >&2
        exit 1
    }
}

log "preparing repositories"
new_repo "$WORK/flywheel" && import_into "$WORK/flywheel" "$FLYWHEEL"
new_repo "$WORK/beads" && import_into "$WORK/beads" "$BEADS_REPO"
new_repo "$WORK/gen" && import_into "$WORK/gen" "$GENERATED"
NFILES=$(find "$WORK/gen/.gemba/beads" -name '*.json' | wc -l)
TREE_KB=$(du -sk --apparent-size "$WORK/gen/.gemba/beads" | cut -f1)
echo "generated tree: $NFILES files, $((TREE_KB / 1024)) MiB" >&2

# Figures: name | target | ms (median) | min | max | cpu ms (user+sys mean)
declare -a NAMES TARGETS MEDIAN MIN MAX CPU

HAVE_HYPERFINE=0
[[ ${HYPERFINE:-1} == 0 ]] || ! command -v hyperfine >/dev/null || HAVE_HYPERFINE=1
if ((HAVE_HYPERFINE)); then
    echo "timing with $(hyperfine --version)" >&2
else
    echo "hyperfine not found: timing with a date +%s%N loop (apt-get install hyperfine)" >&2
fi

# bench KEY "NAME" "TARGET" RUNS WARMUP DIR "COMMAND" ["PREPARE"]
# Runs COMMAND (a shell command) in DIR; PREPARE (if any) before each run,
# warm-ups included.
bench() {
    local key=$1 name=$2 target=$3 runs=$4 warmup=$5 dir=$6 cmd=$7 prepare=${8:-}
    log "$name"
    local med min max cpu
    if ((HAVE_HYPERFINE)); then
        local args=(--style basic --runs "$runs" --warmup "$warmup"
            --export-json "$RESULTS/$key.json" --export-csv "$RESULTS/$key.csv")
        [[ -z $prepare ]] || args+=(--prepare "$prepare")
        (cd "$dir" && hyperfine "${args[@]}" "$cmd" >&2)
        # command,mean,stddev,median,user,system,min,max (seconds)
        IFS=, read -r _ _ _ med cpu_u cpu_s min max < <(tail -n 1 "$RESULTS/$key.csv")
        med=$(awk -v x="$med" 'BEGIN { printf "%.0f", x * 1000 }')
        min=$(awk -v x="$min" 'BEGIN { printf "%.0f", x * 1000 }')
        max=$(awk -v x="$max" 'BEGIN { printf "%.0f", x * 1000 }')
        cpu=$(awk -v u="$cpu_u" -v s="$cpu_s" 'BEGIN { printf "%.0f", (u + s) * 1000 }')
    else
        local i t0 t1 times=()
        for ((i = 0; i < warmup + runs; i++)); do
            [[ -z $prepare ]] || (cd "$dir" && bash -c "$prepare") >/dev/null
            t0=$(date +%s%N)
            (cd "$dir" && bash -c "$cmd") >/dev/null
            t1=$(date +%s%N)
            ((i < warmup)) || times+=($(((t1 - t0) / 1000)))
        done
        printf '%s\n' "${times[@]}" >"$RESULTS/$key.us"
        mapfile -t times < <(printf '%s\n' "${times[@]}" | sort -n)
        local n=${#times[@]}
        if ((n % 2)); then
            med=${times[n / 2]}
        else
            med=$(((times[n / 2 - 1] + times[n / 2]) / 2))
        fi
        med=$(((med + 500) / 1000))
        min=$(((times[0] + 500) / 1000))
        max=$(((times[n - 1] + 500) / 1000))
        cpu="-"
        echo "  median ${med} ms (min ${min}, max ${max}) over $n runs" >&2
    fi
    NAMES[$key]=$name
    TARGETS[$key]=$target
    MEDIAN[$key]=$med
    MIN[$key]=$min
    MAX[$key]=$max
    CPU[$key]=$cpu
}

# cpu_idle SECONDS: percentage of CPU time idle over the next SECONDS.
cpu_idle() {
    local a b
    read -ra a < <(grep '^cpu ' /proc/stat)
    sleep "$1"
    read -ra b < <(grep '^cpu ' /proc/stat)
    local k total=0
    for k in 1 2 3 4 5 6 7 8; do total=$((total + b[k] - a[k])); done
    echo $((total > 0 ? 100 * (b[4] - a[4]) / total : 0))
}

if [[ -n ${WAIT_IDLE:-} && -r /proc/stat ]]; then
    deadline=$((SECONDS + WAIT_IDLE))
    while idle=$(cpu_idle 3) && ((idle < 90 && SECONDS < deadline)); do
        echo "waiting for an idle machine: ${idle}% idle" >&2
    done
    echo "starting at ${idle}% idle" >&2
fi

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")

# Before each first-import run: a new empty repository, pointed to by the
# symlink $WORK/NAME. Nothing is deleted until the script exits: on ext4
# (this machine's root has no journal) creating files right after deleting
# thousands makes inode allocation scan the recently deleted ones, which
# tripled the import's time in a delete-then-recreate loop.
cat >"$WORK/fresh.sh" <<FRESH
set -e
n=\$(ls "$WORK/fresh" | wc -l)
d="$WORK/fresh/\$n"
mkdir -p "\$d"
git -C "\$d" init -q
(cd "\$d" && "$GEMBA" -q init >/dev/null)
ln -sfn "\$d" "$WORK/\$1"
sync
FRESH
mkdir -p "$WORK/fresh"

# 1. Import of the real flywheel export: fresh repo each run, then re-import.
bench 1 "import flywheel, first (1,201 created)" "< 1000" "$RUNS" "$WARMUP" "$WORK" \
    "cd '$WORK/import' && '$GEMBA' -q --json import beads '$FLYWHEEL' >/dev/null" \
    "bash '$WORK/fresh.sh' import"
IMP=$WORK/import-again
new_repo "$IMP" && import_into "$IMP" "$FLYWHEEL"
bench 2 "import flywheel, again (1,201 unchanged)" "< 1000" "$RUNS" "$WARMUP" "$IMP" \
    "'$GEMBA' -q --json import beads '$FLYWHEEL' >/dev/null"

# 2-3. Reads of the generated 10k tree.
G=$WORK/gen
bench 3 "ready --json, ${BEADS} generated" "< 300" "$RUNS" "$WARMUP" "$G" "'$GEMBA' -q --json ready >/dev/null"
bench 4 "bead list --json --all, ${BEADS} generated" "" "$RUNS" "$WARMUP" "$G" \
    "'$GEMBA' -q --json bead list --all >/dev/null"
bench 5 "cat .gemba/beads/* >/dev/null, ${BEADS} generated" "" "$RUNS" "$WARMUP" "$G" \
    "cat .gemba/beads/* >/dev/null"
bench 6 "bead list --json (not closed), ${BEADS} generated" "" "$RUNS" "$WARMUP" "$G" \
    "'$GEMBA' -q --json bead list >/dev/null"
bench 7 "check, ${BEADS} generated" "" "$RUNS" "$WARMUP" "$G" "'$GEMBA' -q check >/dev/null"

# Ready on the two real exports.
bench 8 "ready --json, flywheel (1,201)" "" "$RUNS" "$WARMUP" "$WORK/flywheel" \
    "'$GEMBA' -q --json ready >/dev/null"
bench 9 "ready --json, steveyegge/beads" "" "$RUNS" "$WARMUP" "$WORK/beads" \
    "'$GEMBA' -q --json ready >/dev/null"

# Informational: the whole generated set, first import and re-import.
bench 10 "import ${BEADS} generated, first" "" "$SLOW_RUNS" 0 "$WORK" \
    "cd '$WORK/import10k' && '$GEMBA' -q --json import beads '$GENERATED' >/dev/null" \
    "bash '$WORK/fresh.sh' import10k"
bench 11 "import ${BEADS} generated, again (unchanged)" "" "$SLOW_RUNS" 0 "$G" \
    "'$GEMBA' -q --json import beads '$GENERATED' >/dev/null"

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")

verdict() { # median target
    local med=$1 target=$2
    [[ -n $target && $med != "-" ]] || { echo ""; return; }
    local limit=${target#< }
    if ((med < limit)); then echo "met"; else echo "**missed**"; fi
}

RATIO=$(awk -v a="${MEDIAN[4]}" -v b="${MEDIAN[5]}" 'BEGIN { printf "%.2f", a / b }')
RATIO_MIN=$(awk -v a="${MIN[4]}" -v b="${MIN[5]}" 'BEGIN { printf "%.2f", a / b }')
if awk -v r="$RATIO" 'BEGIN { exit !(r < 5) }'; then RATIO_OK=met; else RATIO_OK="**missed**"; fi
RATIO_OPEN=$(awk -v a="${MEDIAN[6]}" -v b="${MEDIAN[5]}" 'BEGIN { printf "%.2f", a / b }')

echo
echo "## gemba benchmarks"
echo
echo "- commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null || echo ' (+ uncommitted changes in src/)')"
echo "- machine: $(nproc) cores, $(uname -sr), load average before/after: $LOAD_BEFORE / $LOAD_AFTER"
echo "- generated tree: $BEADS beads, $EDGES edges, $NFILES files, $((TREE_KB / 1024)) MiB"
if ((HAVE_HYPERFINE)); then
    echo "- timer: hyperfine, $RUNS runs after $WARMUP warm-ups (10k import: $SLOW_RUNS runs); imports from a fresh repo each run"
else
    echo "- timer: date +%s%N loop (includes a bash start-up), $RUNS runs after $WARMUP warm-ups"
fi
echo
echo "| figure | target (ms) | median ms | min ms | max ms | CPU ms (user+sys) | |"
echo "|---|---|---|---|---|---|---|"
for key in 1 2 3 4 5 6 7 8 9 10 11; do
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "${NAMES[$key]}" "${TARGETS[$key]:--}" \
        "${MEDIAN[$key]}" "${MIN[$key]}" "${MAX[$key]}" "${CPU[$key]}" \
        "$(verdict "${MEDIAN[$key]}" "${TARGETS[$key]}")"
done
printf '| ratio list --json --all / cat (median; min/min) | < 5x | %sx | %sx | | | %s |\n' \
    "$RATIO" "$RATIO_MIN" "$RATIO_OK"
printf '| ratio list --json (not closed) / cat (median) | - | %sx | | | | |\n' "$RATIO_OPEN"
if [[ ${KEEP:-0} == 1 ]]; then
    echo
    echo "raw results: $RESULTS"
fi
