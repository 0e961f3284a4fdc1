#!/usr/bin/env bash
# Offline score of targets learned from history (src/retro/history.rs):
# the text-path baseline of benches/history_eval.sh, alone and unioned with
# what the beads closed before each bead's creation touched
# (examples/history_targets.rs), scored with ../shared/tools/score_targets.py.
#   bash benches/history_learn.sh [neighbours min_relative min_share max_files half_life_days]
# Env: REPO_NAME (default steveyegge__beads), SHARED, KEEP (output dir).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=${SHARED:-$ROOT/../shared}
REPO_NAME=${REPO_NAME:-steveyegge__beads}
TRUTH=$SHARED/data/history/${REPO_NAME}__files-touched.jsonl
TRACKED=$SHARED/data/history/${REPO_NAME}__tracked-files.txt
TRACKER=$SHARED/data/beads/${REPO_NAME}__issues.jsonl
SCORER=$SHARED/tools/score_targets.py
OUT=${KEEP:-$(mktemp -d)}
mkdir -p "$OUT"
(cd "$ROOT" && nice cargo build --quiet --example history_targets)
"$ROOT/target/debug/examples/history_targets" "$TRACKER" "$TRUTH" "$@" >"$OUT/HISTORY.jsonl"
# The baseline: the tracked paths written in the bead's text (as in history_eval.sh).
sed -n '/^tracked = \[l.strip/,/^PY$/p' "$ROOT/benches/history_eval.sh" | sed '$d' >"$OUT/baseline.py"
python3 - "$TRACKED" "$TRACKER" "$OUT/BASELINE.jsonl" "$OUT/baseline.py" <<'PY'
import json, re, sys
tracked_path, tracker, base_out, code = sys.argv[1:]
exec(open(code).read())
PY
python3 - "$OUT/BASELINE.jsonl" "$OUT/HISTORY.jsonl" "$OUT/UNION.jsonl" <<'PY'
import json, sys
base = {}
for l in open(sys.argv[1]):
    d = json.loads(l); base[d["id"]] = d["targets"]
with open(sys.argv[3], "w") as out:
    for l in open(sys.argv[2]):
        d = json.loads(l)
        t = list(dict.fromkeys(base.get(d["id"], []) + d["targets"]))
        out.write(json.dumps({"id": d["id"], "targets": t}) + "\n")
PY
for name in BASELINE HISTORY UNION; do
    python3 "$SCORER" "$TRUTH" "$OUT/$name.jsonl" --universe "$TRACKED" --json >"$OUT/$name.score.json"
    python3 -c "
import json,sys; s=json.load(open('$OUT/$name.score.json')); c=s['conflicts']
print(f\"$name: target recall {s['macro_recall']:.3f} file precision {s['macro_file_precision']:.3f} coverage {s['coverage']:.3f} conflict recall {c['recall']:.3f} precision {c['precision']:.3f}\")"
done
