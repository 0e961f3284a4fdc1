#!/usr/bin/env bash
# `gemba conflicts` and `gemba plan` at scale (issue 12): N open beads, each
# with 1-3 target globs (literal files, `dir/**`, `dir/*.rs`) over a
# 50,000-file tracked tree, titles from a small vocabulary (so `similar`
# edges exist) and epics of 5-20 parts (so `epic` edges exist).
#
#   bash benches/conflicts.sh               # SIZES="10000 100000"; ~5 minutes
#   SIZES=10000 RUNS=3 bash benches/conflicts.sh
#
# Reports, never asserts. Needs hyperfine.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIZES=${SIZES:-"10000 100000"}
RUNS=${RUNS:-3}
FILES=${FILES:-50000}
GEMBA=${CARGO_TARGET_DIR:-$ROOT/target}/release/gemba
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
(cd "$ROOT" && cargo build --release --quiet --bin gemba)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gemba-conflicts.XXXXXX")
[[ ${KEEP:-0} == 1 ]] && echo "keeping $WORK" >&2 || trap 'rm -rf "$WORK"' EXIT
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GEMBA_ACTOR=bench NO_COLOR=1
unset GEMBA_DIR GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE
log() { printf '\n== [%3ds] %s\n' "$SECONDS" "$*" >&2; }

ROWS=()
bench() { # NAME DIR COMMAND
    log "$1"
    (cd "$2" && hyperfine --style basic --runs "$RUNS" --warmup 1 --export-csv "$WORK/r.csv" "$3" >&2)
    local med cpu_u cpu_s min max
    IFS=, read -r _ _ _ med cpu_u cpu_s min max < <(tail -n 1 "$WORK/r.csv")
    ROWS+=("$(awk -v n="$1" -v m="$med" -v a="$min" -v b="$max" -v u="$cpu_u" -v s="$cpu_s" \
        'BEGIN { printf "| %s | %.0f | %.0f-%.0f | %.0f |", n, m*1000, a*1000, b*1000, (u+s)*1000 }')")
}

for n in $SIZES; do
    repo=$WORK/r$n
    log "building a $FILES-file tree and $n beads with targets"
    mkdir -p "$repo" && cd "$repo" && git init -q -b main
    python3 - "$repo" "$n" "$FILES" <<'PY'
import json, os, random, sys
repo, n, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(7)
dirs = [f"pkg{p:03d}/mod{m}" for p in range(files // 50) for m in range(5)]
paths = [f"{d}/file{f}.rs" for d in dirs for f in range(10)][:files]
for p in paths:
    os.makedirs(os.path.join(repo, os.path.dirname(p)), exist_ok=True)
    open(os.path.join(repo, p), "w").close()
words = ("parser cache retry budget index sync daemon export import schema queue lock "
         "config render token session claim merge hook plan graph").split()
with open(os.path.join(repo, "beads.jsonl"), "w") as out:
    epic = None
    for i in range(n):
        bead = {"id": f"b-{i:06d}", "status": "open", "priority": rng.randrange(5),
                "issue_type": "task", "created_at": "2026-01-01T00:00:00Z",
                "title": " ".join(rng.sample(words, 3)) + f" case {i}"}
        if i % 15 == 0:
            epic = bead["id"]
        elif epic and rng.random() < 0.6:
            bead["dependencies"] = [{"depends_on_id": epic, "type": "parent-child"}]
        out.write(json.dumps(bead) + "\n")
os.makedirs(os.path.join(repo, ".gemba-enrichment"), exist_ok=True)
for i in range(n):
    globs = []
    for _ in range(rng.randint(1, 3)):
        r = rng.random()
        if r < 0.6:
            globs.append(rng.choice(paths))
        elif r < 0.8:
            globs.append(rng.choice(dirs) + "/**")
        else:
            globs.append(rng.choice(dirs) + "/*.rs")
    body = "targets:\n  value:\n" + "".join(f"  - {g}\n" for g in globs) + "  source: operator\n"
    with open(os.path.join(repo, ".gemba-enrichment", f"b-{i:06d}.yaml"), "w") as f:
        f.write(body)
PY
    git add -A -- pkg* && git -c user.name=b -c user.email=b@b commit -qm tree
    "$GEMBA" -q init >/dev/null
    "$GEMBA" -q import beads beads.jsonl >/dev/null
    mkdir -p .gemba/enrichment && mv .gemba-enrichment/* .gemba/enrichment/ && rmdir .gemba-enrichment
    ready=$("$GEMBA" -q ready --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
    echo "$n beads, $ready ready" >&2
    bench "conflicts --json, $n beads ($ready ready), $FILES files" "$repo" "'$GEMBA' -q conflicts --json >/dev/null"
    bench "plan --json --agents 8, $n beads, $FILES files" "$repo" "'$GEMBA' -q plan --json --agents 8 >/dev/null"
    "$GEMBA" -q conflicts --json | python3 -c 'import json,sys,collections; d=json.load(sys.stdin); print("edges:", dict(collections.Counter(e["kind"] for e in d["edges"])))' >&2
    cd "$ROOT"
done

echo
echo "## conflicts and plan"
echo
echo "- commit: $(git -C "$ROOT" rev-parse --short HEAD); $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| figure | median ms | min-max ms | CPU ms (user+sys) |"
echo "|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
