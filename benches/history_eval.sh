#!/usr/bin/env bash
# Target and conflict quality against real history (docs/QUALITY.md).
#
# Builds a throwaway git repository whose tree is the snapshot's tracked-file
# list (empty files: the list is the only "source tree" the history gives),
# imports the tracker, bootstraps the vocabulary, backfills every bead
# (closed ones too), writes one {"id", "targets"} line per bead and scores
# it with ../shared/tools/score_targets.py against the files the beads'
# commits really changed. Also scores the text-path baseline (targets = the
# tracked paths written in the bead's text).
#
#   bash benches/history_eval.sh                 # beads history, debug build
#   GEMBA=target/release/gemba bash benches/history_eval.sh
#   KEEP=/tmp/he bash benches/history_eval.sh    # keep PRED.jsonl, per-bead rows
#   SCORE_ARGS="--window lifetime" bash benches/history_eval.sh
#
# Env: HISTORY (dir with <repo>__files-touched.jsonl and __tracked-files.txt),
# TRACKER (the issues JSONL), REPO_NAME (owner__name prefix), GEMBA (binary;
# built with cargo when unset), KEEP (directory for outputs), SCORE_ARGS.
# Reports, never asserts.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/history_common.sh"
if [[ -z ${GEMBA:-} ]]; then
    (cd "$ROOT" && nice -n 15 cargo build --quiet --bin gemba)
    GEMBA=${CARGO_TARGET_DIR:-$ROOT/target}/debug/gemba
fi
GEMBA=$(cd "$(dirname "$GEMBA")" && pwd)/$(basename "$GEMBA")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gemba-history-eval.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
OUT=${KEEP:-$WORK/out}
mkdir -p "$OUT"
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GEMBA_ACTOR=eval NO_COLOR=1
unset GEMBA_DIR GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE

REPO=$WORK/repo
tree_repo "$REPO"
git add -A && git -c user.name=e -c user.email=e@e commit -qm tree
"$GEMBA" init -q >/dev/null
"$GEMBA" import beads "$TRACKER" -q >/dev/null
"$GEMBA" concepts bootstrap -q >/dev/null
"$GEMBA" bead backfill --all -q >/dev/null

# Predictions: every bead's enrichment targets (empty when it has none).
# Baseline: the paths written in the bead's text (title, description, design,
# acceptance criteria, notes): tracked files as written, tracked directories
# as `dir/**`, untracked paths with an extension as written, and bare file
# names that are unique in the tree.
"$GEMBA" bead list --all --json >"$WORK/beads.json"
python3 - "$WORK/beads.json" "$REPO/.gemba/enrichment" "$OUT/PRED.jsonl" "$TRACKED" "$TRACKER" "$OUT/BASELINE.jsonl" <<'PY'
import json, os, re, sys
beads_json, enrich_dir, pred_out, tracked_path, tracker, base_out = sys.argv[1:]
doc = json.load(open(beads_json))
ids = [b["id"] for b in (doc["beads"] if isinstance(doc, dict) else doc)]

def targets(bid):
    # `targets:` then `  value:` and its `  - glob` list (see schema/enrichment).
    path = os.path.join(enrich_dir, bid + ".yaml")
    if not os.path.exists(path):
        return []
    out, inside = [], False
    for line in open(path):
        if line.startswith("targets:"):
            inside = True
        elif inside and re.match(r"^  value: *\[\]", line):
            return []
        elif inside and re.match(r"^ *- ", line):
            v = line.split("- ", 1)[1].strip()
            if v[:1] == '"':
                v = json.loads(v)
            elif v[:1] == "'":
                v = v[1:-1].replace("''", "'")
            out.append(v)
        elif inside and not line.startswith(" "):
            break
    return out

with open(pred_out, "w") as p:
    for bid in ids:
        p.write(json.dumps({"id": bid, "targets": targets(bid)}) + "\n")

tracked = [l.strip() for l in open(tracked_path) if l.strip()]
files, dirs, by_name = set(tracked), set(), {}
for t in tracked:
    by_name.setdefault(t.rsplit("/", 1)[-1], []).append(t)
    parts = t.split("/")
    dirs.update("/".join(parts[:i]) for i in range(1, len(parts)))
TOKEN = re.compile(r"[A-Za-z0-9_.@*/+-]+")
def named(text):
    out = []
    for tok in TOKEN.findall(text):
        tok = tok.strip(".:,;*").removeprefix("./")
        if not tok:
            continue
        if tok in files:
            out.append(tok)
        elif "/" in tok and tok.rstrip("/") in dirs:
            out.append(tok.rstrip("/") + "/**")
        elif "/" in tok and not tok.startswith("/") and re.search(r"\.[a-z]{1,5}$", tok):
            out.append(tok)
        elif "/" not in tok and len(by_name.get(tok, [])) == 1:
            out.append(by_name[tok][0])
    return list(dict.fromkeys(out))
with open(base_out, "w") as b:
    for line in open(tracker):
        bead = json.loads(line)
        text = "\n".join(str(bead.get(k) or "") for k in
                         ("title", "description", "design", "acceptance_criteria", "notes"))
        b.write(json.dumps({"id": bead["id"], "targets": named(text)}) + "\n")
PY

score() { # name, pred
    python3 "$SCORER" "$TRUTH" "$2" --universe "$TRACKED" ${SCORE_ARGS:-} --json \
        --per-issue-out "$OUT/$1.per-issue.jsonl" >"$OUT/$1.score.json"
}
# `gemba import` skips tombstones (bd's deleted beads), so they get no
# prediction; the second pair of rows leaves them out of the truth.
score baseline "$OUT/BASELINE.jsonl"
score gemba "$OUT/PRED.jsonl"
SCORE_ARGS="${SCORE_ARGS:-} --exclude-status tombstone" score baseline-no-tombstones "$OUT/BASELINE.jsonl"
SCORE_ARGS="${SCORE_ARGS:-} --exclude-status tombstone" score gemba-no-tombstones "$OUT/PRED.jsonl"
python3 - "$OUT"/{baseline,gemba,baseline-no-tombstones,gemba-no-tombstones}.score.json <<'PY'
import json, sys
f = lambda v: "-" if v is None else f"{v:.3f}"
print("| prediction | target recall | file precision | coverage | conflict recall | conflict precision | predicted conflicts | TP |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
names = ["text paths (baseline)", "gemba targets",
         "text paths, tombstones left out", "gemba targets, tombstones left out"]
for name, path in zip(names, sys.argv[1:]):
    s = json.load(open(path))
    c = s["conflicts"]
    print(f"| {name} | {f(s['macro_recall'])} | {f(s['macro_file_precision'])} | {f(s['coverage'])} "
          f"| {f(c['recall'])} | {f(c['precision'])} | {c['predicted_conflicts']} | {c['tp']} |")
s = json.load(open(sys.argv[2])); c = s["conflicts"]
print(f"\n{s['n_truth']} truth beads, {c['pairs']} candidate pairs ({c['window']} window), "
      f"{c['actual_conflicts']} real conflicts; macro averages (precision over beads with a prediction).")
PY

# Conflict edges beyond target overlap, each scored on its own.
echo
python3 "$ROOT/benches/history_edges.py" "$WORK/beads.json" "$REPO/.gemba/enrichment" \
    "$TRACKED" "$TRUTH" "$SCORER" "$OUT"

# The conflict graph itself: `gemba conflicts --all --json`, scored with
# --pairs per edge kind and for the unions selection and the plan use.
echo
"$GEMBA" conflicts --all --json -q >"$OUT/conflicts.json" 2>/dev/null
python3 - "$OUT/conflicts.json" "$OUT" <<'PY'
import json, sys
doc, out = json.load(open(sys.argv[1])), sys.argv[2]
edges = doc["edges"]
groups = {k: [k] for k in ["target", "may-overlap", "semantic", "epic", "similar"]}
groups["hard (target, may-overlap, semantic)"] = ["target", "may-overlap", "semantic"]
groups["hard + epic"] = groups["hard (target, may-overlap, semantic)"] + ["epic"]
groups["hard + epic + similar (all)"] = groups["hard + epic"] + ["similar"]
for name, kinds in groups.items():
    with open(f"{out}/pairs-{len(kinds)}-{kinds[0]}-{kinds[-1]}.jsonl", "w") as f:
        for e in edges:
            if e["kind"] in kinds:
                f.write(json.dumps({"a": e["a"], "b": e["b"]}) + "\n")
json.dump({n: f"{out}/pairs-{len(k)}-{k[0]}-{k[-1]}.jsonl" for n, k in groups.items()},
          open(f"{out}/pairs-index.json", "w"))
PY
echo "| gemba conflicts edges | pairs | precision | recall | without co-committed pairs: precision | recall |"
echo "|---|---:|---:|---:|---:|---:|"
python3 - "$OUT/pairs-index.json" "$SCORER" "$TRUTH" "$TRACKED" "$OUT/PRED.jsonl" <<'PY'
import json, subprocess, sys
index, scorer, truth, tracked, pred = sys.argv[1:]
f = lambda v: "-" if v is None else f"{v:.3f}"
for name, pairs in json.load(open(index)).items():
    row = []
    for extra in ([], ["--drop-co-committed"]):
        s = json.loads(subprocess.run(
            ["python3", scorer, truth, pred, "--universe", tracked, "--pairs", pairs, "--json", *extra],
            check=True, capture_output=True, text=True).stdout)["conflicts"]
        row.append(s)
    a, b = row
    print(f"| {name} | {a['predicted_conflicts']} | {f(a['precision'])} | {f(a['recall'])} "
          f"| {f(b['precision'])} | {f(b['recall'])} |")
PY
