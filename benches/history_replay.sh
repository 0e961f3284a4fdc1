#!/usr/bin/env bash
# The git replay of recorded history (issue 15; docs/QUALITY.md, "Git
# replay"): targets as they stood when each bead was created, with the
# hooks doing the learning, scored with ../shared/tools/score_targets.py.
#
# 1. A throwaway git repository whose tree is the snapshot's tracked-file
#    list (empty files), `gemba init`, `gemba hooks install` (the release
#    gemba first on PATH, so git's hooks run it).
# 2. benches/history_replay.py replays the tracker and the history in time
#    order (see its docstring): each bead imported open at its created_at
#    and backfilled then (GEMBA_NOW), its targets recorded; each recorded
#    commit made on a branch named after its bead, at its author time, with
#    a message naming the bead, and merged with `git merge --no-ff` so the
#    post-merge hook runs the retro; each close imported at its closed_at.
#    Right after each bead of the history is created, its edges in the
#    conflict graph then (`gemba conflicts --all --bead ID`) are recorded.
# 3. Scores the recorded targets (target recall, file precision, conflicts)
#    with the flags of history_learn.sh; scores conflicts a second time from
#    the recorded graph edges (`--pairs`, all and per edge kind); both with
#    and without co-committed pairs (`--drop-co-committed`); prints the
#    counts and times, and the candidate pairs by the graph's edge
#    (benches/history_graph_why.py).
#
#   bash benches/history_replay.sh                 # everything (~6 min here)
#   LIMIT=100 bash benches/history_replay.sh       # the first 100 beads of the history
#   KEEP=/tmp/hr bash benches/history_replay.sh    # keep the repository, PRED.jsonl, scores
#   MERGE_AT=bead-end bash benches/history_replay.sh  # a bead's commits reach main when its last one is made
#
# Env: REPO_NAME (default steveyegge__beads), SHARED, HISTORY, TRACKER,
# GEMBA (binary; the release build when unset), LIMIT, KEEP, SCORE_ARGS,
# MERGE_AT (commit, the default, or bead-end).
# Reports, never asserts.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/history_common.sh"
if [[ -z ${GEMBA:-} ]]; then
    (cd "$ROOT" && nice -n 15 cargo build --release --quiet --bin gemba)
    GEMBA=${CARGO_TARGET_DIR:-$ROOT/target}/release/gemba
fi
GEMBA=$(cd "$(dirname "$GEMBA")" && pwd)/$(basename "$GEMBA")

if [[ -n ${KEEP:-} ]]; then
    WORK=$KEEP
    rm -rf "$WORK/repo" && mkdir -p "$WORK"
else
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/gemba-history-replay.XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
fi
OUT=$WORK/out
mkdir -p "$OUT"
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GEMBA_ACTOR=replay NO_COLOR=1
unset GEMBA_DIR GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE
# The hooks call `gemba`: this one.
export PATH=$(dirname "$GEMBA"):$PATH

REPO=$WORK/repo
tree_repo "$REPO"
# gemba's own state is not part of the replayed tree (auto_commit is off).
echo /.gemba/ >>.git/info/exclude
git add -A
GIT_AUTHOR_DATE=2025-10-01T00:00:00Z GIT_COMMITTER_DATE=2025-10-01T00:00:00Z \
    git -c user.name=replay -c user.email=replay@example.com commit -qm tree
GEMBA_NOW=2025-10-01T00:00:00Z "$GEMBA" init -q >/dev/null
GEMBA_NOW=2025-10-01T00:00:00Z "$GEMBA" hooks install -q >/dev/null

SECONDS=0
python3 "$ROOT/benches/history_replay.py" "$GEMBA" "$REPO" "$TRACKER" "$TRUTH" "$TRACKED" "$OUT" "${LIMIT:-}"
WALL=$SECONDS

score() { # name, extra scorer args...
    local name=$1
    shift
    python3 "$SCORER" "$OUT/TRUTH.jsonl" "$OUT/PRED.jsonl" --universe "$TRACKED" ${SCORE_ARGS:-} --json \
        --per-issue-out "$OUT/$name.per-issue.jsonl" "$@" >"$OUT/$name.json"
}
score score
score graph --pairs "$OUT/PAIRS.jsonl"
score score-nocc --drop-co-committed
score graph-nocc --pairs "$OUT/PAIRS.jsonl" --drop-co-committed
# The graph's edges by kind (a pair keeps its strongest edge).
python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
kinds = {}
for line in open(f"{out}/EDGES.jsonl"):
    e = json.loads(line)
    kinds.setdefault(e["kind"], []).append({"a": e["a"], "b": e["b"]})
json.dump(sorted(kinds), open(f"{out}/kinds.json", "w"))
for k, pairs in kinds.items():
    with open(f"{out}/PAIRS-{k}.jsonl", "w") as f:
        f.writelines(json.dumps(p) + "\n" for p in pairs)
PY
for kind in $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))))' "$OUT/kinds.json"); do
    score "graph-$kind" --pairs "$OUT/PAIRS-$kind.jsonl"
    score "graph-$kind-nocc" --pairs "$OUT/PAIRS-$kind.jsonl" --drop-co-committed
done
python3 - "$OUT" "$WALL" <<'PY'
import json, sys
out, wall = sys.argv[1], int(sys.argv[2])
load = lambda n: json.load(open(f"{out}/{n}.json"))
f = lambda v: "-" if v is None else f"{v:.3f}"
s = load("score"); c = s["conflicts"]
st = json.load(open(f"{out}/stats.json"))
print("| git replay | target recall | file precision | coverage | conflict recall | conflict precision |")
print("|---|---:|---:|---:|---:|---:|")
print(f"| {st['beads_replayed']} beads | {s['macro_recall']:.3f} | {s['macro_file_precision']:.3f} "
      f"| {s['coverage']:.3f} | {c['recall']:.3f} | {c['precision']:.3f} |")
# Conflicts two ways, each judged as the graph or the targets stood when
# the later bead of a pair was created; then without co-committed pairs.
print(f"\nconflicts: {c['pairs']} candidate pairs, {c['actual_conflicts']} real; "
      f"without co-committed pairs: {load('score-nocc')['conflicts']['pairs']} and "
      f"{load('score-nocc')['conflicts']['actual_conflicts']}")
print("| conflicts predicted by | pairs | TP | recall | precision | without co-committed: pairs | TP | recall | precision |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
rows = [("targets overlap (the scorer's glob rule)", "score"),
        ("**conflict graph (`gemba conflicts --all`)**", "graph")]
rows += [(f"  graph edges `{k}` only", f"graph-{k}") for k in json.load(open(f"{out}/kinds.json"))]
for name, n in rows:
    a, b = load(n)["conflicts"], load(n + "-nocc")["conflicts"]
    print(f"| {name} | {a['predicted_conflicts']} | {a['tp']} | {f(a['recall'])} | {f(a['precision'])} "
          f"| {b['predicted_conflicts']} | {b['tp']} | {f(b['recall'])} | {f(b['precision'])} |")
preds = [json.loads(l) for l in open(f"{out}/PRED.jsonl")]
by = {}
for p in preds:
    by[p["source"] or "none"] = by.get(p["source"] or "none", 0) + 1
print(f"\ntargets at creation by source: {json.dumps(by, sort_keys=True)}")
print(f"{st['commits']} commits, {st['merges']} merges, {st['hook_runs']} hook runs "
      f"({st['hook_failures']} failed; hook ms median {st.get('hook_ms', {}).get('median')}, "
      f"max {st.get('hook_ms', {}).get('max')}), {st['retros']} retros, {st['imports']} imports, "
      f"{st['backfills']} backfills, {st['gemba_calls']} gemba and {st['git_calls']} git calls")
cm = st.get("conflicts_ms", {})
print(f"{st['conflicts_calls']} `conflicts --all --bead` calls (ms median {cm.get('median')}, "
      f"max {cm.get('max')}, total {cm.get('total')} s), {st['edges']} edges between beads of the history")
secs = {k: round(v, 1) for k, v in st["seconds"].items()}
print(f"wall time {wall}s; by step (s): {json.dumps(secs, sort_keys=True)}")
PY
echo
python3 "$ROOT/benches/history_graph_why.py" "$SCORER" "$OUT" "$TRACKER" "$TRACKED"
