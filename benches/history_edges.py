#!/usr/bin/env python3
"""Candidate conflict-edge types, scored one by one (docs/QUALITY.md).

Called by benches/history_eval.sh; dependency-free. Reads gemba's own output
(`bead list --all --json`, the enrichment files' targets and concepts) and
the tracked-file list, writes one pairs file per edge type and scores each
with score_targets.py --pairs. These are measurements to inform the conflict
graph (`gemba conflicts`), not its implementation:

  target     the predicted target globs claim a common tracked file
             (score_targets.py's own glob-overlap rule, recomputed here)
  directory  not a target edge, but both beads target a file (or the
             directory) in one small directory: at most DIR_FILES tracked files
  epic       one bead is the other's parent, or both have the same parent
             (a parent-child dependency, or a dotted id `x.1` under `x`)
  title      the titles' TF-IDF cosine (words of 3+ letters, IDF over every
             bead's title) is at least TITLE_COS
  concept    both carry a concept that at most CONCEPT_SHARE of beads carry
  unions     of the above, as selection could combine them

  usage: history_edges.py BEADS.json ENRICH_DIR TRACKED TRUTH SCORER OUTDIR
"""
import itertools
import json
import math
import os
import re
import subprocess
import sys

DIR_FILES = int(os.environ.get("EDGE_DIR_FILES", 20))
TITLE_COS = float(os.environ.get("EDGE_TITLE_COS", 0.2))
CONCEPT_SHARE = float(os.environ.get("EDGE_CONCEPT_SHARE", 0.05))
STOP = set("the and for with from into when not should add fix use via".split())


def enrichment(path):
    """targets and concepts of one enrichment YAML (the fixed layout gemba writes)."""
    out, field = {"targets": [], "concepts": []}, None
    if not os.path.exists(path):
        return out
    for line in open(path, encoding="utf-8"):
        m = re.match(r"^([a-z_]+):", line)
        if m:
            field = m.group(1) if m.group(1) in out else None
        elif field and re.match(r"^ *- ", line):
            v = line.split("- ", 1)[1].strip()
            if v[:1] == '"':
                v = json.loads(v)
            elif v[:1] == "'":
                v = v[1:-1].replace("''", "'")
            out[field].append(v)
    return out


def glob_regex(pat):
    # The scorer's semantics for the globs gemba emits: `**` segments, `*`, `?`.
    out, i, parts = "", 0, pat.split("/")
    rx = []
    for k, seg in enumerate(parts):
        if seg == "**":
            rx.append("(?:.*/)?" if k < len(parts) - 1 else ".*")
            continue
        s = re.escape(seg).replace(r"\*\*", "[^/]*").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        rx.append(s + ("/" if k < len(parts) - 1 else ""))
    return re.compile("^" + "".join(rx) + "$")


def words(title):
    t = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", title)
    return [w for w in re.findall(r"[a-z0-9]+", t.lower()) if len(w) >= 3 and w not in STOP]


def main():
    beads_json, enrich_dir, tracked_path, truth_path, scorer, outdir = sys.argv[1:]
    doc = json.load(open(beads_json, encoding="utf-8"))
    beads = {b["id"]: b for b in (doc["beads"] if isinstance(doc, dict) else doc)}
    truth = [json.loads(l)["id"] for l in open(truth_path, encoding="utf-8") if l.strip()]
    ids = [i for i in truth if i in beads]
    tracked = [l.strip() for l in open(tracked_path, encoding="utf-8") if l.strip()]
    dir_size = {}
    for f in tracked:
        d = f.rsplit("/", 1)[0] if "/" in f else ""
        dir_size[d] = dir_size.get(d, 0) + 1

    enr = {i: enrichment(os.path.join(enrich_dir, i + ".yaml")) for i in beads}
    files, dirs = {}, {}
    for i in ids:
        ts = enr[i]["targets"]
        m, ds = set(), set()
        for t in ts:
            if "*" in t or "?" in t:
                rx = glob_regex(t)
                m.update(f for f in tracked if rx.match(f))
                lit = t.split("*")[0].rstrip("/")
                if t.endswith("/**") and "*" not in t[:-3]:
                    ds.add(lit)
            else:
                m.add(t)
                ds.add(t.rsplit("/", 1)[0] if "/" in t else "")
        files[i], dirs[i] = m, {d for d in ds if 0 < dir_size.get(d, 0) <= DIR_FILES}

    def parents(i):
        b = beads[i]
        ps = {d["depends_on_id"] for d in b.get("dependencies") or []
              if d.get("type") == "parent-child"}
        if "." in i and i.rsplit(".", 1)[0] in beads:
            ps.add(i.rsplit(".", 1)[0])
        return ps
    par = {i: parents(i) for i in ids}

    df = {}
    for b in beads.values():
        for w in set(words(b.get("title", ""))):
            df[w] = df.get(w, 0) + 1
    n = len(beads)

    def vec(i):
        v = {w: math.log(n / (1 + df.get(w, 0))) for w in set(words(beads[i].get("title", "")))}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {w: x / norm for w, x in v.items()}
    vecs = {i: vec(i) for i in ids}

    cdf = {}
    for e in enr.values():
        for c in set(e["concepts"]):
            cdf[c] = cdf.get(c, 0) + 1
    rare = {i: {c for c in enr[i]["concepts"] if cdf[c] <= CONCEPT_SHARE * n} for i in ids}

    edges = {k: set() for k in ("target", "directory", "epic", "title", "concept")}
    for a, b in itertools.combinations(ids, 2):
        p = (a, b)
        if files[a] & files[b]:
            edges["target"].add(p)
        elif dirs[a] & dirs[b]:
            edges["directory"].add(p)
        if par[a] & par[b] or a in par[b] or b in par[a]:
            edges["epic"].add(p)
        va, vb = vecs[a], vecs[b]
        if sum(x * vb.get(w, 0.0) for w, x in va.items()) >= TITLE_COS:
            edges["title"].add(p)
        if rare[a] & rare[b]:
            edges["concept"].add(p)
    edges["target+directory"] = edges["target"] | edges["directory"]
    edges["target+directory+epic"] = edges["target+directory"] | edges["epic"]
    edges["target+directory+epic+title"] = edges["target+directory+epic"] | edges["title"]
    edges["all five"] = edges["target+directory+epic+title"] | edges["concept"]

    print("| edge type | pairs predicted | TP | precision | recall | without co-committed pairs: precision | recall |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, pairs in edges.items():
        path = os.path.join(outdir, "pairs-" + re.sub(r"[^a-z+]", "_", name) + ".jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for a, b in sorted(pairs):
                f.write(json.dumps({"a": a, "b": b}) + "\n")
        row = []
        for extra in ([], ["--drop-co-committed"]):
            out = subprocess.run([sys.executable, scorer, truth_path, os.devnull, "--universe",
                                  tracked_path, "--pairs", path, "--json", *extra],
                                 check=True, capture_output=True, text=True).stdout
            c = json.loads(out)["conflicts"]
            row.append(c)
        f3 = lambda v: "-" if v is None else f"{v:.3f}"
        c, d = row
        print(f"| {name} | {c['predicted_conflicts']} | {c['tp']} | {f3(c['precision'])} | {f3(c['recall'])} "
              f"| {f3(d['precision'])} | {f3(d['recall'])} |")
    c = row[0]
    print(f"\n{c['pairs']} candidate pairs, {c['actual_conflicts']} real conflicts "
          f"({row[1]['actual_conflicts']} when pairs named in one commit are left out). "
          f"directory: <= {DIR_FILES} files; title: cosine >= {TITLE_COS}; "
          f"concept: carried by <= {CONCEPT_SHARE:.0%} of beads.")


if __name__ == "__main__":
    main()
