#!/usr/bin/env python3
"""A fleet for the dispatch benchmarks (benches/next.sh, benches/dispatch.sh).

    gen_fleet.py REPO READY BLOCKED FILES SESSIONS HELD RAW_JSONL

Writes into REPO: a tracked tree of FILES empty files; beads.jsonl (the
first READY beads of RAW_JSONL open and ready, the next BLOCKED ones
blocked by one or two of them); enrichment (concepts, 1-3 target globs,
size, complexity) in .gemba-enrichment/; 5 agents in .gemba-agents/;
SESSIONS + 1 live sessions s-000 ... with profiles and recent beads in
.gemba-sessions/, sessions s-001 ... s-HELD each holding a ready bead in
hand, the first half of them through a claim file in .gemba-claims/. The
caller moves the .gemba-* directories into .gemba/ after `gemba init`.
"""
import json, os, random, sys
repo, ready, blocked, files, sessions, nheld, raw = sys.argv[1], *map(int, sys.argv[2:7]), sys.argv[7]
rng = random.Random(13)
dirs = [f"pkg{p:03d}/mod{m}" for p in range(files // 50) for m in range(5)]
paths = [f"{d}/file{f}.rs" for d in dirs for f in range(10)][:files]
for p in paths:
    os.makedirs(os.path.join(repo, os.path.dirname(p)), exist_ok=True)
    open(os.path.join(repo, p), "w").close()
concepts = ("parser cache retry budget index sync daemon export import schema queue lock "
            "config render token session claim merge hook plan").split()
beads = [json.loads(l) for l in open(raw)]
ids = [b["id"] for b in beads]
with open(os.path.join(repo, "beads.jsonl"), "w") as out:
    for i, b in enumerate(beads):
        b["status"] = "open"
        b["issue_type"] = "task"
        for k in ("closed_at", "close_reason", "defer_until", "pinned", "ephemeral", "assignee", "started_at"):
            b.pop(k, None)
        b["dependencies"] = []
        if i >= ready:  # held back by one or two ready beads
            for t in rng.sample(range(ready), rng.randint(1, 2)):
                b["dependencies"].append({"depends_on_id": ids[t], "type": "blocks"})
        out.write(json.dumps(b) + "\n")
enr = os.path.join(repo, ".gemba-enrichment")
os.makedirs(enr, exist_ok=True)
targets = {}
for i, bead_id in enumerate(ids):
    globs = []
    for _ in range(rng.randint(1, 3)):
        r = rng.random()
        globs.append(rng.choice(paths) if r < 0.6 else rng.choice(dirs) + ("/**" if r < 0.8 else "/*.rs"))
    targets[bead_id] = globs
    cs = rng.sample(concepts, rng.randint(1, 3))
    size = rng.choice(["small", "medium", "large"])
    band = rng.choice(["trivial", "routine", "routine", "skilled", "expert"])
    text = ("targets:\n  value:\n" + "".join(f"  - {g}\n" for g in globs) + "  source: operator\n"
            + "concepts:\n  value: [" + ", ".join(cs) + "]\n  source: operator\n"
            + f"estimated_size:\n  value: {size}\n  source: backfill\n"
            + f"complexity:\n  value: {band}\n  source: backfill\n")
    with open(os.path.join(enr, f"{bead_id}.yaml"), "w") as f:
        f.write(text)
agents = [("opus", "expert", "premium"), ("sonnet", "skilled", "standard"),
          ("haiku", "routine", "economy"), ("builder", "skilled", "standard"), ("scout", "expert", "standard")]
os.makedirs(os.path.join(repo, ".gemba-agents"), exist_ok=True)
for name, band, tier in agents:
    with open(os.path.join(repo, ".gemba-agents", f"{name}.yaml"), "w") as f:
        f.write(f"name: {name}\nmax_band: {band}\ncost_tier: {tier}\ncontext_window: 200000\n"
                f"created_at: 2026-11-01T00:00:00Z\nprofile:\n  concepts:\n"
                + "".join(f"    {c}: {rng.uniform(0.5, 5):.2f}\n" for c in rng.sample(concepts, 5)))
os.makedirs(os.path.join(repo, ".gemba-sessions"), exist_ok=True)
os.makedirs(os.path.join(repo, ".gemba-claims"), exist_ok=True)
held = rng.sample(ids[:ready], min(nheld, ready))
for s in range(sessions + 1):
    sid = f"s-{s:03d}"
    agent = agents[s % len(agents)][0]
    recent = []
    for e in range(5):
        b = rng.choice(ids)
        recent.append({"bead": b, "event": 20 + e, "epic": None, "concepts": rng.sample(concepts, 2),
                       "files": targets[b][:1], "source": "actual", "closed": True})
    session = {
        "id": sid, "agent": agent, "status": "live",
        "workspace": {"repo": os.path.realpath(repo), "branch": "main"},
        "started_at": "2026-11-23T08:00:00Z",
        "telemetry": {"tokens": rng.randint(0, 150000)},
        "profile": {
            "concepts": {c: round(rng.uniform(0.1, 4), 3) for c in rng.sample(concepts, 6)},
            "files": {rng.choice(paths): round(rng.uniform(0.1, 3), 3) for _ in range(20)},
            "events": 24,
            "recent": [{k: v for k, v in r.items() if v is not None} for r in recent],
        },
    }
    if 1 <= s <= min(nheld, len(held)):
        bead = held[s - 1]
        session["telemetry"]["bead"] = bead
        if s <= (nheld + 1) // 2:
            claim = {"bead": bead, "session": sid, "agent": agent,
                     "claimed_at": "2026-11-23T11:00:00Z", "lease_until": "2026-11-23T14:00:00Z"}
            with open(os.path.join(repo, ".gemba-claims", f"{bead}.json"), "w") as f:
                json.dump(claim, f, indent=2)
    with open(os.path.join(repo, ".gemba-sessions", f"{sid}.json"), "w") as f:
        json.dump(session, f, indent=2)
