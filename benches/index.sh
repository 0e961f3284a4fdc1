#!/usr/bin/env bash
# Source-index benchmark: `gemba index build` on a generated repository of
# FILES source files (default 5,000: a quarter each Rust, Go, Python and
# TypeScript, with realistic imports; see examples/gen_sources.rs).
#
#   bash benches/index.sh          # ~1 minute after the release build
#
# Reports, never asserts: the median (min, max) wall time and the mean CPU
# time (user + sys; steadier than wall time on a loaded machine) of
#   full         a build with no index (every file parsed)
#   unchanged    a build right after one (nothing parsed or written)
#   head-moved   a build after an empty commit (nothing parsed; re-resolved)
#   10-edited    a build after appending a line to 10 files (10 parsed)
#   status       `gemba index status` (freshness check: stats every file)
#   query        `gemba index dependents` of one file
# Uses hyperfine when installed, else a loop timed with `date +%s%N`.
#
# Environment: FILES=5000 RUNS=10 SEED=1 KEEP=1 (keep the temp repo),
# SKIP_BUILD=1 (use the existing target/release/gemba).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FILES=${FILES:-5000}
RUNS=${RUNS:-10}
SEED=${SEED:-1}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
GEMBA=$TARGET/release/gemba

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gemba-index-bench.XXXXXX")
if [[ ${KEEP:-0} == 1 ]]; then
    echo "keeping $WORK" >&2
else
    trap 'rm -rf "$WORK"' EXIT
fi
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GEMBA_ACTOR=bench NO_COLOR=1
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.invalid
unset GEMBA_DIR GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    (cd "$ROOT" && cargo build --release --quiet --bin gemba --example gen_sources)
fi
GEN=$TARGET/release/examples/gen_sources
[[ -x $GEN ]] || GEN="cargo run --release --quiet --manifest-path $ROOT/Cargo.toml --example gen_sources --"

REPO=$WORK/repo
mkdir -p "$REPO" && cd "$REPO"
git init -q -b main
written=$($GEN "$REPO" "$FILES" "$SEED")
git add -A && git commit -qm "generated sources"
"$GEMBA" init -q >/dev/null
git add -A && git commit -qm "gemba init"
bytes=$(git ls-files -z | xargs -0 cat | wc -c)
echo "generated $written files, $((bytes / 1024 / 1024)) MiB, in $REPO" >&2
"$GEMBA" index build --json >"$WORK/first.json"
summary=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(f\"{r['files']} files, {r['edges']} edges, {r['unresolved']} unresolved, languages {r['languages']}\")" "$WORK/first.json")
echo "index: $summary; $(du -k .gemba/index/imports.bin | cut -f1) KiB" >&2

# 10 files spread over the languages, each edited by appending a newline
# (a script: hyperfine -N runs --prepare without a shell).
git ls-files '*.rs' '*.go' '*.py' '*.ts' | awk 'NR % 487 == 1 && n++ < 10' >"$WORK/edit.list"
printf 'while read -r f; do printf "\\n" >>"$f"; done <%q\n' "$WORK/edit.list" >"$WORK/edit.sh"
QUERY=$(git ls-files 'internal/*.go' | awk 'NR == 1')

declare -a ROWS
HAVE_HYPERFINE=0
command -v hyperfine >/dev/null && HAVE_HYPERFINE=1

# bench NAME PREPARE COMMAND: median (min, max) in ms.
bench() {
    local name=$1 prepare=$2 cmd=$3 line
    if ((HAVE_HYPERFINE)); then
        local args=(-N --style none --runs "$RUNS" --warmup 1 --export-json "$WORK/$name.json")
        [[ -z $prepare ]] || args+=(--prepare "$prepare")
        hyperfine "${args[@]}" "$cmd" >/dev/null
        line=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results'][0]; print(f\"{r['median']*1000:.0f} ms ({r['min']*1000:.0f}, {r['max']*1000:.0f}) | {(r['user']+r['system'])*1000:.0f} ms\")" "$WORK/$name.json")
    else
        local times=() t0 t1 i
        for ((i = 0; i < RUNS + 1; i++)); do
            [[ -z $prepare ]] || bash -c "$prepare" >/dev/null
            t0=$(date +%s%N)
            bash -c "$cmd" >/dev/null
            t1=$(date +%s%N)
            ((i == 0)) || times+=($(((t1 - t0) / 1000000)))
        done
        mapfile -t times < <(printf '%s\n' "${times[@]}" | sort -n)
        line="${times[${#times[@]} / 2]} ms (${times[0]}, ${times[-1]}) | -"
    fi
    ROWS+=("| $name | $line |")
    echo "  $name: $line" >&2
}

bench full "rm -f .gemba/index/imports.bin" "$GEMBA -q index build"
"$GEMBA" -q index build >/dev/null
bench unchanged "" "$GEMBA -q index build"
bench head-moved "git commit -q --allow-empty -m tick" "$GEMBA -q index build"
bench 10-edited "bash $WORK/edit.sh" "$GEMBA -q index build"
"$GEMBA" -q index build >/dev/null
bench status "" "$GEMBA -q index status"
bench query "" "$GEMBA -q index dependents $QUERY"

# What the incremental builds did (one more run of each kind).
bash "$WORK/edit.sh"
"$GEMBA" index build --json >"$WORK/incr.json"
incr=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(f\"{r['parsed']} parsed, {r['reused']} reused\")" "$WORK/incr.json")

echo
echo "gemba index build, $written files ($summary), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "10-edited rebuild: $incr"
echo
echo "| run | wall: median (min, max) | CPU: user + sys, mean |"
echo "|---|---|---|"
printf '%s\n' "${ROWS[@]}"
