#!/usr/bin/env python3
"""Why the conflict graph of the git replay predicts what it predicts
(benches/history_replay.sh; docs/QUALITY.md, "The conflict graph, in time").

Every candidate pair of the scorer (truth beads whose commit windows
overlap) by the edge the replay recorded for it, a target edge split by
whether the creation-time targets (PRED.jsonl) overlap too or whether the
earlier bead's targets had meanwhile been corrected by its own merged
commits (its retro: the later bead was created while it was in progress).

    history_graph_why.py SCORER OUT TRACKER TRACKED
"""

import importlib.util
import json
import sys
from collections import Counter
from datetime import datetime

SCORER, OUT, TRACKER, TRACKED = sys.argv[1:5]
spec = importlib.util.spec_from_file_location("score_targets", SCORER)
S = importlib.util.module_from_spec(spec)
spec.loader.exec_module(S)


def ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


recs = [json.loads(line) for line in open(f"{OUT}/TRUTH.jsonl")]
by_id = {r["id"]: r for r in recs}
preds = {}
for line in open(f"{OUT}/PRED.jsonl"):
    p = json.loads(line)
    preds[p["id"]] = p["targets"]
created = {}
for line in open(TRACKER):
    b = json.loads(line)
    created[b["id"]] = b.get("created_at")
universe = {line.strip() for line in open(TRACKED) if line.strip()}
for r in recs:
    universe.update(r["actual_files"])
paths = sorted(universe)
matched = {}
for r in recs:
    m = set()
    for t in preds.get(r["id"], []):
        g = S.Glob(t)
        if not g.pat:
            continue
        if g.literal:
            m.add(g.pat)
        else:
            m.update(p for p in paths if g.match(p))
    matched[r["id"]] = m
edges = {}
for line in open(f"{OUT}/EDGES.jsonl"):
    e = json.loads(line)
    edges[(e["a"], e["b"])] = e

rows = {}
for i, j in S.overlapping_pairs(S.windows(recs, "commit", 0.0)):
    ra, rb = recs[i], recs[j]
    a, b = sorted([ra["id"], rb["id"]])
    co = bool({c["sha"] for c in ra["commits"]} & {c["sha"] for c in rb["commits"]})
    real = bool(set(ra["actual_files"]) & set(rb["actual_files"]))
    overlap = bool(matched[a] & matched[b])
    e = edges.get((a, b))
    if e is None:
        why = "no edge, creation-time targets overlap" if overlap else "no edge"
    elif e["kind"] != "target":
        why = f"`{e['kind']}` edge"
    elif overlap:
        why = "`target` edge, creation-time targets overlap too"
    else:
        later = e["at"]
        earlier = b if later == a else a
        started = any(ts(c["author_time"]) <= ts(created[later])
                      for c in by_id[earlier]["commits"])
        why = ("`target` edge, the earlier bead's own merged commits had set its targets"
               if started else "`target` edge, other (targets or tree changed since)")
    rows.setdefault(why, Counter())[("indep " if not co else "") + ("TP" if real else "FP")] += 1

print("| candidate pairs by the graph's edge | TP | FP | without co-committed: TP | FP |")
print("|---|---:|---:|---:|---:|")
for why, n in sorted(rows.items()):
    print(f"| {why} | {n['TP'] + n['indep TP']} | {n['FP'] + n['indep FP']} "
          f"| {n['indep TP']} | {n['indep FP']} |")
