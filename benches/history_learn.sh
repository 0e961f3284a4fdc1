#!/usr/bin/env bash
# Targets learned from history, measured the way they would have been used
# (docs/QUALITY.md, "Learned from history"): every bead of the history gets
# the targets it would have had when it was created, and
# ../shared/tools/score_targets.py scores them.
#
# 1. A throwaway git repository whose tree is the snapshot's tracked-file
#    list (empty files), `gemba init`, `import beads` (tombstones imported as
#    open beads: they were alive when created, and never lend), `concepts
#    bootstrap`, `bead backfill --all`: every bead's own text targets.
# 2. examples/history_targets.rs replays time: for each bead, created at T,
#    its text targets, else what it borrows from the beads created before T
#    (epic parts, similar texts; a bead closed before T with commits before T
#    lends nothing there: its targets are its actual files by then) and what
#    it learns from the beads closed before T (the files their commits
#    before T touched; `retro.history`).
# 3. Scores three predictions: text rules, text + borrowed, text + borrowed
#    + learned (the product).
#
#   bash benches/history_learn.sh                      # defaults of retro.history
#   bash benches/history_learn.sh min_share=0.3 neighbours=10
#   KEEP=/tmp/hl bash benches/history_learn.sh         # keep the predictions
#
# Env: REPO_NAME (default steveyegge__beads), SHARED, HISTORY, TRACKER,
# GEMBA (binary; built with cargo when unset), KEEP, SCORE_ARGS. Reports,
# never asserts.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/history_common.sh"
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
(cd "$ROOT" && nice -n 15 cargo build --quiet --bin gemba --example history_targets)
GEMBA=${GEMBA:-$TARGET/debug/gemba}
GEMBA=$(cd "$(dirname "$GEMBA")" && pwd)/$(basename "$GEMBA")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gemba-history-learn.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
OUT=${KEEP:-$WORK/out}
mkdir -p "$OUT"
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GEMBA_ACTOR=eval NO_COLOR=1
unset GEMBA_DIR GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE

python3 - "$TRACKER" "$WORK/tracker.jsonl" <<'PY'
import json, sys
with open(sys.argv[2], "w") as out:
    for line in open(sys.argv[1]):
        b = json.loads(line)
        if b.get("status") == "tombstone":
            b["status"] = "open"
            b["issue_type"] = b.get("original_type") or b.get("issue_type")
            for k in ("closed_at", "deleted_at", "deleted_by", "delete_reason", "original_type"):
                b.pop(k, None)
        out.write(json.dumps(b) + "\n")
PY
REPO=$WORK/repo
tree_repo "$REPO"
git add -A && git -c user.name=e -c user.email=e@e commit -qm tree
"$GEMBA" init -q >/dev/null
"$GEMBA" import beads "$WORK/tracker.jsonl" -q >/dev/null
"$GEMBA" concepts bootstrap -q >/dev/null
"$GEMBA" bead backfill --all -q >/dev/null

"$TARGET/debug/examples/history_targets" "$REPO/.gemba" "$TRUTH" "$@" >"$OUT/REPLAY.jsonl"
python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
rows = [json.loads(l) for l in open(f"{out}/REPLAY.jsonl")]
def write(name, pick):
    with open(f"{out}/{name}.jsonl", "w") as f:
        for r in rows:
            f.write(json.dumps({"id": r["id"], "targets": pick(r)}) + "\n")
write("text", lambda r: r["text"])
write("borrowed", lambda r: r["text"] or (r["borrowed"] or {}).get("targets", []))
write("learned", lambda r: r["targets"])
PY
echo "| prediction | target recall | file precision | coverage | conflict recall | conflict precision |"
echo "|---|---:|---:|---:|---:|---:|"
for name in text borrowed learned; do
    python3 "$SCORER" "$TRUTH" "$OUT/$name.jsonl" --universe "$TRACKED" ${SCORE_ARGS:-} --json \
        --per-issue-out "$OUT/$name.per-issue.jsonl" >"$OUT/$name.score.json"
    python3 - "$OUT/$name.score.json" "$name" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); c = s["conflicts"]
label = {"text": "text rules", "borrowed": "+ borrowed from related beads",
         "learned": "+ learned from history"}[sys.argv[2]]
print(f"| {label} | {s['macro_recall']:.3f} | {s['macro_file_precision']:.3f} | {s['coverage']:.3f} "
      f"| {c['recall']:.3f} | {c['precision']:.3f} |")
PY
done
python3 - "$OUT/REPLAY.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
n = len(rows); learned = sum(1 for r in rows if r["learned"])
files = sum(len(r["learned"]) for r in rows)
print(f"\n{n} beads replayed; {learned} learned {files} files from history.")
PY
