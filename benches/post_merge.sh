#!/usr/bin/env bash
# The post-merge hook's cost (issue 15): a repository with gemba's hooks
# installed (over a user hook of its own, so the chain runs too) merges a
# branch of 50 commits with `git merge --no-ff`, reset before each run.
# Reports the merge with and without the hooks, the hook script alone, and
# the hook's own wall time as `gemba hook` logs it (`data.ms` of the
# `githook` events: from its start to its event, process start excluded).
# The first merge starts a background scan; the later ones fall in the scan
# cooldown (the clock is pinned), as a burst of merges would.
#
#   bash benches/post_merge.sh                 # release build, ~1 minute
#   PROFILE=debug bash benches/post_merge.sh   # the debug build (say so)
#   RUNS=30 KEEP=1 bash benches/post_merge.sh
#
# Reports, never asserts. Needs hyperfine (apt-get install hyperfine).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/common.sh" post-merge
PROFILE=${PROFILE:-release}
COMMITS=${COMMITS:-50}
GEMBA=$TARGET/$PROFILE/gemba

log "building ($PROFILE)"
if [[ $PROFILE == release ]]; then
    (cd "$ROOT" && cargo build --release --quiet --bin gemba)
else
    (cd "$ROOT" && cargo build --quiet --bin gemba)
fi
# git's hooks find gemba on PATH.
export PATH="$(dirname "$GEMBA"):$PATH"
export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@b GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@b

repo=$WORK/repo
mkdir -p "$repo" && cd "$repo" && git init -q -b main
mkdir src && for i in $(seq 1 200); do echo "pub fn f$i() {}" >"src/m$i.rs"; done
git add -A && git commit -qm tree
# The log stays out of git, so resetting between runs keeps every event.
gemba -q init >/dev/null && echo ".gemba/log/" >>.git/info/exclude
git add -A && git commit -qm "gemba init"
printf '#!/bin/sh\n# the user'"'"'s own hook\nexit 0\n' >.git/hooks/post-merge
chmod +x .git/hooks/post-merge
gemba -q hooks install >/dev/null
gemba hooks status >&2
git tag base
log "a branch of $COMMITS commits"
git checkout -q -b feature
for i in $(seq 1 "$COMMITS"); do
    echo "pub fn g$i() {}" >>"src/m$i.rs"
    git commit -qam "change $i"
done
git checkout -q main

merge="git merge -q --no-ff -m 'merge feature' feature"
reset="git reset -q --hard base"
log "git merge --no-ff, hooks installed"
hyperfine --style basic --runs "$RUNS" --warmup "$WARMUP" --prepare "$reset" \
    --export-csv "$WORK/hooked.csv" "$merge" >&2
log "the hook script alone"
hyperfine --style basic --runs "$RUNS" --warmup "$WARMUP" \
    --export-csv "$WORK/script.csv" "sh .git/hooks/post-merge 0" >&2
ms=$(gemba log --kind githook --json | python3 -c '
import json, statistics, sys
ms = [e["data"]["ms"] for e in json.load(sys.stdin) if e["data"].get("hook") == "post-merge"]
print(f"{statistics.median(ms):.0f} (min {min(ms)}, max {max(ms)}, {len(ms)} runs)")')
ok=$(gemba log --kind githook --json | python3 -c '
import json, sys
print(all(e["data"]["ok"] for e in json.load(sys.stdin) if "hook" in e["data"]))')
log "git merge --no-ff, no hooks"
gemba -q hooks uninstall >/dev/null
hyperfine --style basic --runs "$RUNS" --warmup "$WARMUP" --prepare "$reset" \
    --export-csv "$WORK/plain.csv" "$merge" >&2

echo
echo "## Post-merge hook"
echo
echo "- commit: $(git -C "$ROOT" rev-parse --short HEAD), $PROFILE build; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- a branch of $COMMITS commits over a 200-file tree; every hook run ok: $ok"
echo
echo "| figure | median ms | min-max ms | CPU ms (user+sys) |"
echo "|---|---|---|---|"
row "git merge --no-ff, hooks installed (chained user hook + gemba)" "$WORK/hooked.csv"
row "git merge --no-ff, no hooks" "$WORK/plain.csv"
row "the post-merge script alone (sh + gemba hook)" "$WORK/script.csv"
echo
echo "gemba hook post-merge's own wall time (data.ms): median $ms"
