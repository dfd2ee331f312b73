"""Print the results the benchmark scripts left in bench/out/*.json as one table.

.venv/bin/python bench/table.py [--markdown]
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

ORDER = [
    "public_pages",
    "webhook_ingest",
    "pool_summary",
    "ledger_verify",
    "commit_throughput",
    "call_results",
    "delivery_warnings",
    "pdf_documents",
]
HEAD = ["scenario", "figure", "baseline", "ratio", "goal", "met?", "peak MiB"]


def _num(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if value >= 1 else f"{value:.3f}"


def cells(r: dict) -> list[str]:
    base = ""
    if r["baseline"] is not None:
        base = f"{_num(r['baseline'])} {r['unit']}"
        if r["baseline_label"]:
            base += f" ({r['baseline_label']})"
    met = {True: "yes", False: "NO", None: ""}[r["met"]]
    return [
        r["scenario"],
        f"{_num(r['figure'])} {r['unit']}",
        base,
        "" if r["ratio"] is None else f"{r['ratio']:.2f}",
        r["goal"],
        met,
        "" if r["peak_mib"] is None else f"{r['peak_mib']:.0f}",
    ]


def load() -> list[dict]:
    results = {p.stem: json.loads(p.read_text()) for p in sorted(_common.OUT.glob("*.json"))}
    names = [n for n in ORDER if n in results] + [n for n in results if n not in ORDER]
    return [results[n] for n in names]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    results = load()
    if not results:
        print("no results in bench/out/ (run bench/run_all or a script first)")
        return
    rows = [cells(r) for result in results for r in result["rows"]]
    notes, seen = [], set()
    for result in results:
        for r in result["rows"]:
            if r["note"] and r["note"] not in seen:
                seen.add(r["note"])
                notes.append((r["scenario"], r["note"]))
    if args.markdown:
        print("| " + " | ".join(HEAD) + " |")
        print("|" + "|".join("---" for _ in HEAD) + "|")
        for c in rows:
            print("| " + " | ".join(x.replace("|", "\\|") for x in c) + " |")
    else:
        widths = [max(len(h), *(len(c[i]) for c in rows)) for i, h in enumerate(HEAD)]
        line = "  ".join(h.ljust(w) for h, w in zip(HEAD, widths, strict=True))
        print(line)
        print("-" * len(line))
        for c in rows:
            print("  ".join(x.ljust(w) for x, w in zip(c, widths, strict=True)).rstrip())
    print()
    for scenario, note in notes:
        print(f"  {scenario}: {note}")
    print(f"machine: {results[0]['machine']}")
    print("load average when each script finished: " + "; ".join(f"{r['name']} {r['loadavg']}" for r in results))


if __name__ == "__main__":
    main()
