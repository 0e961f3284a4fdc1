#!/usr/bin/env bash
# Store II read and import floors (issue 11), at 10k and 100k beads:
#   ready --json, bead list --json --all, bead show, with a cold cache (no
#   .gemba/index/) and a warm one, after one edit, and the import of 100k new
#   beads.
#
#   bash benches/snapshot.sh          # ~5 minutes; SIZES="10000" for a quick run
#
# Reports, never asserts. Needs hyperfine (apt-get install hyperfine).
# Environment: SIZES="10000 100000" RUNS=10 WARMUP=2 IMPORT_RUNS=3 KEEP=1
#              DROP_DENTRIES=1 (root only: start from a small dentry cache;
#              see docs/PERFORMANCE.md on why a bloated one doubles stat costs)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIZES=${SIZES:-"10000 100000"}
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-2}
IMPORT_RUNS=${IMPORT_RUNS:-3}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
GEMBA=$TARGET/release/gemba
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gemba-snapshot.XXXXXX")
if [[ ${KEEP:-0} == 1 ]]; then echo "keeping $WORK" >&2; else trap 'rm -rf "$WORK"' EXIT; fi
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GEMBA_ACTOR=bench NO_COLOR=1
unset GEMBA_DIR GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE
log() { printf '\n== [%3ds] %s\n' "$SECONDS" "$*" >&2; }

log "building"
(cd "$ROOT" && cargo build --release --quiet --bins --examples)

if [[ ${DROP_DENTRIES:-0} == 1 ]]; then
    sync && echo 2 >/proc/sys/vm/drop_caches
fi

ROWS=()
# bench "NAME" DIR "COMMAND" ["PREPARE"] [RUNS]
bench() {
    local name=$1 dir=$2 cmd=$3 prepare=${4:-} runs=${5:-$RUNS}
    log "$name"
    local args=(--style basic --runs "$runs" --warmup "$WARMUP" --export-csv "$WORK/r.csv")
    [[ -z $prepare ]] || args+=(--prepare "$prepare")
    (cd "$dir" && hyperfine "${args[@]}" "$cmd" >&2)
    local med cpu_u cpu_s min max
    IFS=, read -r _ _ _ med cpu_u cpu_s min max < <(tail -n 1 "$WORK/r.csv")
    ROWS+=("$(awk -v n="$name" -v m="$med" -v a="$min" -v b="$max" -v u="$cpu_u" -v s="$cpu_s" \
        'BEGIN { printf "| %s | %.0f | %.0f-%.0f | %.0f |", n, m*1000, a*1000, b*1000, (u+s)*1000 }')")
}

# Import of new beads: a fresh repository before each run (never delete and
# recreate many files right before timing: see docs/PERFORMANCE.md).
cat >"$WORK/fresh.sh" <<FRESH
set -e
d="$WORK/fresh/\$RANDOM\$RANDOM"
mkdir -p "\$d" && git -C "\$d" init -q && (cd "\$d" && "$GEMBA" -q init >/dev/null)
ln -sfn "\$d" "$WORK/import"
sync
FRESH

for n in $SIZES; do
    log "generating $n beads"
    "$TARGET/release/examples/gen_beads" "$n" "$((n * 3 / 2))" >"$WORK/g$n.jsonl"
    repo=$WORK/r$n
    mkdir -p "$repo" && git -C "$repo" init -q && (cd "$repo" && "$GEMBA" -q init >/dev/null)
    (cd "$repo" && "$GEMBA" -q import beads "$WORK/g$n.jsonl" >/dev/null)
    id=$(cd "$repo/.gemba/beads" && ls | sed -n "$((n / 2))p" | sed 's/\.json$//')
    cold="rm -rf .gemba/index"
    bench "ready --json, $n, cold cache" "$repo" "'$GEMBA' -q --json ready >/dev/null" "$cold"
    bench "ready --json, $n, warm" "$repo" "'$GEMBA' -q --json ready >/dev/null"
    # One bead changed since the last read: its file is re-parsed, the
    # ready view recomputed.
    bench "ready --json, $n, after one edit" "$repo" "'$GEMBA' -q --json ready >/dev/null" \
        "'$GEMBA' -q bead update $id --title \"edited \$RANDOM\" >/dev/null"
    bench "bead list --json --all, $n, cold cache" "$repo" "'$GEMBA' -q --json bead list --all >/dev/null" "$cold"
    bench "bead list --json --all, $n, warm" "$repo" "'$GEMBA' -q --json bead list --all >/dev/null"
    bench "bead show ID, $n" "$repo" "'$GEMBA' -q bead show $id >/dev/null"
    bench "import $n new beads" "$WORK" \
        "cd '$WORK/import' && '$GEMBA' -q import beads '$WORK/g$n.jsonl' >/dev/null" \
        "bash '$WORK/fresh.sh'" "$IMPORT_RUNS"
done

echo
echo "## Store II floors"
echo
echo "- commit: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null || echo ' (+ uncommitted changes)')"
echo "- machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), dentries $(cut -f1 /proc/sys/fs/dentry-state)"
echo "- hyperfine: $RUNS runs after $WARMUP warm-ups (imports: $IMPORT_RUNS runs, fresh repository each)"
echo
echo "| figure | median ms | min-max ms | CPU ms (user+sys) |"
echo "|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
