# Shared setup of the hyperfine benches, sourced by each:
#   source "$(dirname "${BASH_SOURCE[0]}")/common.sh" NAME
# Sets ROOT, RUNS (10), WARMUP (2), TARGET and GEMBA (the release binary),
# WORK (a temp directory, removed on exit unless KEEP=1), a reproducible git
# and gemba environment (clock at 2026-11-23T12:00:00Z), log(), and row NAME
# CSV: one Markdown table row (median, min-max and CPU ms) of a hyperfine
# --export-csv file.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-2}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
GEMBA=$TARGET/release/gemba
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gemba-$1.XXXXXX")
if [[ ${KEEP:-0} == 1 ]]; then echo "keeping $WORK" >&2; else trap 'rm -rf "$WORK"' EXIT; fi
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GEMBA_ACTOR=bench NO_COLOR=1
export GEMBA_NOW=2026-11-23T12:00:00Z
unset GEMBA_DIR GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE
log() { printf '\n== [%3ds] %s\n' "$SECONDS" "$*" >&2; }
row() {
    local med cpu_u cpu_s min max
    IFS=, read -r _ _ _ med cpu_u cpu_s min max < <(tail -n 1 "$2")
    awk -v n="$1" -v m="$med" -v a="$min" -v b="$max" -v u="$cpu_u" -v s="$cpu_s" \
        'BEGIN { printf "| %s | %.0f | %.0f-%.0f | %.0f |\n", n, m*1000, a*1000, b*1000, (u+s)*1000 }'
}
