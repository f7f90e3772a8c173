#!/usr/bin/env python3
"""Writes the inner-loop speed table (this tree vs a previous build, one run) into
docs/results.md between its `speed:begin`/`speed:end` markers.

    scripts/speed_compare.sh BEFORE AFTER 3 > target/report/speed.jsonl
    python3 scripts/speed_table.py target/report/speed.jsonl "commit dc321ff" "this tree"

Reports, per case, the median forward + backward time of each build, the ratio of the medians,
and the after build's time breakdown when its records carry one (`bench --breakdown`).
"""
import json
import statistics
import sys
from pathlib import Path

def main():
    path, before_name, after_name = sys.argv[1], sys.argv[2], sys.argv[3]
    rows = [json.loads(l) for l in Path(path).read_text().splitlines() if l.strip()]
    cases = []
    for r in rows:
        if r["case"] not in cases:
            cases.append(r["case"])
    lines = [
        f"Median forward + backward seconds over {max(r['repeat'] for r in rows)} alternating runs "
        f"(release, f32, `caputo bench`; {before_name} vs {after_name}, same machine, same run; "
        f"`scripts/speed_compare.sh`, do not edit by hand).",
        "",
        f"| case | {before_name} (s) | {after_name} (s) | speed-up | after: eval / VJP / history / rest (s) |",
        "|---|---|---|---|---|",
    ]
    for c in cases:
        med = {}
        for b in ("before", "after"):
            ts = [r["fwd_bwd_s"] for r in rows if r["case"] == c and r["build"] == b]
            med[b] = statistics.median(ts)
        br = [r.get("breakdown") for r in rows if r["case"] == c and r["build"] == "after" and r.get("breakdown")]
        if br:
            parts = " / ".join(f"{statistics.median(x[k] for x in br):.3f}" for k in ("eval_s", "vjp_s", "history_s", "rest_s"))
        else:
            parts = "—"
        lines.append(f"| {c} | {med['before']:.3f} | {med['after']:.3f} | {med['before'] / med['after']:.1f}× | {parts} |")
    doc = Path(__file__).resolve().parent.parent / "docs" / "results.md"
    text = doc.read_text()
    a, b = "<!-- speed:begin -->", "<!-- speed:end -->"
    i, j = text.index(a) + len(a), text.index(b)
    doc.write_text(text[:i] + "\n" + "\n".join(lines) + "\n" + text[j:])

if __name__ == "__main__":
    main()
