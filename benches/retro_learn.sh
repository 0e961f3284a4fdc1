#!/usr/bin/env bash
# Retrospectives at scale (issue 15): `gemba retro learn` over a
# 10,000-commit history, and `gemba retro run` on one merge of 50 commits
# (what the post-merge hook does).
#
# The history is written with `git fast-import` (seconds, not minutes):
# BEADS closed beads, each a branch `feat/<id>` of STEPS commits (each
# touching one or two of ~40 files in the bead's package, the message
# naming the bead) merged into main with `--no-ff`-style merge commits
# ("Merge branch 'feat/<id>'"), so both the message rule and the branch
# rule link commits. Then one open bead's branch of 50 commits, merged.
#
#   bash benches/retro_learn.sh            # ~1 minute after the build
#   BEADS=4000 RUNS=5 KEEP=1 bash benches/retro_learn.sh
#
# Reports, never asserts. Needs hyperfine (apt-get install hyperfine).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/common.sh" retro
BEADS=${BEADS:-2000}
STEPS=${STEPS:-4} # commits per bead branch, plus its merge: 5 per bead
LAST=${LAST:-50}  # commits of the merge `retro run` reads

log "building"
(cd "$ROOT" && cargo build --release --quiet --bin gemba)

repo=$WORK/history
mkdir -p "$repo"
log "writing $((BEADS * (STEPS + 1))) commits with git fast-import"
(
    cd "$repo" && git init -q -b main
    python3 - "$BEADS" "$STEPS" <<'PY' | git fast-import --quiet
import sys
beads, steps = int(sys.argv[1]), int(sys.argv[2])
out = sys.stdout.buffer
t = 1_700_000_000
mark = 0
def data(text):
    b = text.encode()
    out.write(b"data %d\n" % len(b) + b + b"\n")
def commit(ref, message, parent, merge=None, files=()):
    """`files`: paths, or (path, content) to write given bytes. Returns
    the mark and what each path now holds."""
    global mark, t
    mark += 1
    t += 60
    out.write(b"commit %s\nmark :%d\n" % (ref.encode(), mark))
    who = b"Bench <bench@example.invalid> %d +0000\n" % t
    out.write(b"author " + who + b"committer " + who)
    data(message)
    if parent:
        out.write(b"from :%d\n" % parent)
    if merge:
        out.write(b"merge :%d\n" % merge)
    wrote = {}
    for f in files:
        path, content = f if isinstance(f, tuple) else (f, f"{f} at {mark}\n")
        out.write(b"M 100644 inline %s\n" % path.encode())
        data(content)
        wrote[path] = content
    return mark, wrote
main, _ = commit("refs/heads/main", "initial", None, files=["README.md"])
for b in range(beads):
    bead = f"bd-{b:05d}"
    pkg = f"pkg{b % 97:02d}"
    at, branch = main, {}
    for s in range(steps):
        files = [f"{pkg}/f{(b * 7 + s) % 40:02d}.go"]
        if s % 2 == 0:
            files.append(f"{pkg}/f{(b * 3 + s + 1) % 40:02d}_test.go")
        at, wrote = commit(f"refs/heads/feat/{bead}", f"{pkg}: step {s} ({bead})", at, files=files)
        branch.update(wrote)
    # fast-import does not merge trees: the merge writes what the branch
    # changed (main did not touch those files meanwhile: a clean merge).
    main, _ = commit("refs/heads/main", f"Merge branch 'feat/{bead}'", main, merge=at,
                     files=sorted(branch.items()))
PY
    git reset -q --hard main
    python3 - "$BEADS" >beads.jsonl <<'PY'
import json, sys
for b in range(int(sys.argv[1])):
    print(json.dumps({"id": f"bd-{b:05d}", "title": f"work item {b}", "status": "closed",
                      "priority": 2, "issue_type": "task",
                      "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-02T00:00:00Z",
                      "closed_at": "2026-01-02T00:00:00Z"}))
print(json.dumps({"id": "bd-last", "title": "the last merge", "status": "open", "priority": 2,
                  "issue_type": "task", "created_at": "2026-01-01T00:00:00Z",
                  "updated_at": "2026-01-01T00:00:00Z"}))
PY
    "$GEMBA" -q init >/dev/null
    "$GEMBA" -q import beads beads.jsonl >/dev/null
    rm beads.jsonl
    git add -A .gemba && git -c user.name=b -c user.email=b@b commit -qm "gemba state"
    # The last merge: 50 commits for one open bead.
    git checkout -q -b feat/bd-last
    for i in $(seq 1 "$LAST"); do
        echo "$i" >"pkg00/last_$((i % 10)).go" # pkg00 exists: bead 0's package
        git add -A pkg00 && git -c user.name=b -c user.email=b@b commit -qm "last: step $i (bd-last)"
    done
    git checkout -q main
    git -c user.name=b -c user.email=b@b merge -q --no-ff feat/bd-last -m "Merge branch 'feat/bd-last'"
)
commits=$(git -C "$repo" rev-list --count HEAD)
log "$commits commits; a first learn on a copy"
cp -a "$repo" "$WORK/probe"
(cd "$WORK/probe" && "$GEMBA" retro learn --json) >"$WORK/learn.json"
python3 -c "import json; d = json.load(open('$WORK/learn.json')); print({k: d[k] for k in ('commits', 'linked_commits', 'beads', 'updated', 'open')})" >&2

log "retro learn from the root, each on a fresh copy"
hyperfine --style basic --runs "$RUNS" --export-csv "$WORK/learn.csv" \
    --prepare "rm -rf '$WORK/copy' && cp -a '$repo' '$WORK/copy'" \
    "cd '$WORK/copy' && '$GEMBA' -q retro learn --json >/dev/null" >&2

log "retro learn again: nothing new (incremental)"
hyperfine --style basic --runs "$RUNS" --warmup "$WARMUP" --export-csv "$WORK/again.csv" \
    "cd '$WORK/probe' && '$GEMBA' -q retro learn --json >/dev/null" >&2

log "retro run on the 50-commit merge, each on a fresh copy"
(cd "$WORK/probe" && "$GEMBA" retro run --merge HEAD --json) >"$WORK/run.json"
python3 -c "import json; d = json.load(open('$WORK/run.json')); print({'commits': d['commits'], 'retros': [(r['bead'], len(r['commits']), len(r['files'])) for r in d['retros']]})" >&2
hyperfine --style basic --runs "$RUNS" --export-csv "$WORK/run.csv" \
    --prepare "rm -rf '$WORK/copy' && cp -a '$repo' '$WORK/copy'" \
    "cd '$WORK/copy' && '$GEMBA' -q retro run --merge HEAD --json >/dev/null" >&2
hyperfine --style basic --runs "$RUNS" --export-csv "$WORK/hook.csv" \
    --prepare "rm -rf '$WORK/copy' && cp -a '$repo' '$WORK/copy' && git -C '$WORK/copy' update-ref ORIG_HEAD HEAD~1" \
    "cd '$WORK/copy' && '$GEMBA' -q retro run --json >/dev/null" >&2

echo
echo "## Retrospectives: retro learn and retro run"
echo
echo "- commit: $(git -C "$ROOT" rev-parse --short HEAD); $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- $commits commits: $BEADS closed beads x ($STEPS branch commits + a merge), then one open bead's branch of $LAST commits merged; $BEADS + 1 beads in the store"
echo
echo "| figure | median ms | min-max ms | CPU ms (user+sys) |"
echo "|---|---|---|---|"
row "retro learn from the root ($commits commits, $BEADS closed beads get their files; one event)" "$WORK/learn.csv"
row "retro learn again (incremental: nothing new)" "$WORK/again.csv"
row "retro run --merge HEAD (a merge of $LAST commits)" "$WORK/run.csv"
row "retro run (ORIG_HEAD..HEAD, what the hook runs)" "$WORK/hook.csv"
