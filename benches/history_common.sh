# The recorded history and its scorer, shared by the history benches:
#   source "$(dirname "${BASH_SOURCE[0]}")/history_common.sh"
# Sets ROOT, SHARED, REPO_NAME, HISTORY, TRACKER, TRUTH, TRACKED and SCORER
# (each overridable from the environment where it says so) and checks that
# the files exist.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=${SHARED:-$ROOT/../shared}
REPO_NAME=${REPO_NAME:-steveyegge__beads}
HISTORY=${HISTORY:-$SHARED/data/history}
TRACKER=${TRACKER:-$SHARED/data/beads/${REPO_NAME}__issues.jsonl}
TRUTH=$HISTORY/${REPO_NAME}__files-touched.jsonl
TRACKED=$HISTORY/${REPO_NAME}__tracked-files.txt
SCORER=$SHARED/tools/score_targets.py
for f in "$TRUTH" "$TRACKED" "$TRACKER" "$SCORER"; do
    [[ -f $f ]] || { echo "missing $f: keep ../shared beside this checkout" >&2; exit 1; }
done

# cd into a new git repository at $1 whose files are the snapshot's tracked
# paths, empty (the only source tree the history gives); not committed.
tree_repo() {
    mkdir -p "$1" && cd "$1"
    git init -q -b main
    while IFS= read -r f; do
        [[ -z $f ]] && continue
        mkdir -p "$(dirname "$f")" && : >"$f"
    done <"$TRACKED"
}
