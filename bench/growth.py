"""How cost grows with data: the key reads measured on three data sizes (the small demo, a medium
bulk load and the large one), each in a fresh process with caching off so every figure is the full
cost, drawn as docs/performance-growth.svg (log-log) and left in bench/out/growth.json.

    .venv/bin/python bench/growth.py [--sizes small,medium,large]
"""

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

SIZES = {
    # name: (database, seed_demo args, minimum postings)
    "small": ("fundpool_bench_growth_small", ["--size", "small"], 1),
    "medium": (
        "fundpool_bench_growth_medium",
        ["--size", "large", "--donations", "60000", "--commitments", "800"],
        150_000,
    ),
    "large": ("fundpool_bench_1m", ["--size", "large"], 1_000_000),
}
PAGES = [("home", "/"), ("directory", "/funded/"), ("transparency", "/transparency/")]
SVG = _common.ROOT / "docs" / "performance-growth.svg"


def _median_ms(fn, n: int) -> float:
    return _common.median_ms(_common.timed(fn, repeat=n, warmup=1))


def measure(name: str) -> dict:
    import os

    os.environ["CACHE_URL"] = "dummycache://"  # every request pays for its data: the cost, not the cache
    _common.use(name)
    from django.test import Client

    from cms.models import OutcomePage
    from fundpool.ledger.selectors import pool_summary, received_by_month
    from fundpool.ledger.verify import verify
    from fundpool.models import Donation, Posting
    from grants.models import Application

    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans", SERVER_NAME="127.0.0.1")
    outcome = OutcomePage.objects.live().order_by("-pk").first()
    pages = [*PAGES, ("outcome page", outcome.url)] if outcome else PAGES
    result = {
        "postings": Posting.objects.count(),
        "donations": Donation.objects.count(),
        "grants": Application.objects.filter(status__in=["awarded", "in_delivery", "completed"]).count(),
        "pool summary": _median_ms(pool_summary, 50),
        "monthly income chart": _median_ms(received_by_month, 50),
    }
    for label, path in pages:
        status = client.get(path).status_code
        assert status == 200, (path, status)
        result[label] = _median_ms(lambda path=path: client.get(path), 5)
    started = time.perf_counter()
    verify()
    result["ledger_verify"] = (time.perf_counter() - started) * 1000
    return result


def draw(rows: list[dict]) -> str:
    """A log-log line chart: postings across, milliseconds up, one line per measure."""
    series = [k for k in rows[-1] if k not in ("postings", "donations", "grants", "size")]
    colours = ["#1b6ca8", "#d1495b", "#edae49", "#222222", "#2a9d3f", "#8d6a9f", "#999999"]
    width, height, left, right, top, bottom = 720, 420, 70, 170, 40, 50
    xs = [math.log10(r["postings"]) for r in rows]
    ys = [math.log10(max(r[k], 0.01)) for r in rows for k in series if k in r]
    x0, x1 = math.floor(min(xs)), math.ceil(max(xs))
    y0, y1 = math.floor(min(ys)), math.ceil(max(ys))

    def px(v):
        return left + (math.log10(v) - x0) / (x1 - x0) * (width - left - right)

    def py(v):
        return height - bottom - (math.log10(max(v, 0.01)) - y0) / (y1 - y0) * (height - top - bottom)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="#fff"/>',
        f'<text x="{left}" y="22" font-size="14" font-weight="bold">How cost grows with data '
        "(PostgreSQL, no caching; log-log)</text>",
    ]
    for e in range(x0, x1 + 1):
        x = px(10**e)
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - bottom}" stroke="#ddd"/>')
        out.append(f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle">{10**e:,}</text>')
    for e in range(y0, y1 + 1):
        y = py(10**e)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ddd"/>')
        label = f"{10**e:,}" if e >= 0 else f"{10**e:g}"
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
    out.append(
        f'<text x="{(left + width - right) / 2}" y="{height - 12}" text-anchor="middle">postings in the ledger</text>'
    )
    out.append(
        f'<text x="16" y="{(top + height - bottom) / 2}" transform="rotate(-90 16 {(top + height - bottom) / 2})" '
        'text-anchor="middle">milliseconds (median)</text>'
    )
    for i, key in enumerate(series):
        colour = colours[i % len(colours)]
        points = [(px(r["postings"]), py(r[key])) for r in rows if key in r]
        out.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="'
            + " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            + '"/>'
        )
        for x, y in points:
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
        ly = top + 14 + i * 18
        out.append(
            f'<line x1="{width - right + 12}" y1="{ly - 4}" x2="{width - right + 30}" y2="{ly - 4}" '
            f'stroke="{colour}" stroke-width="2"/>'
        )
        out.append(f'<text x="{width - right + 36}" y="{ly}">{key}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default=",".join(SIZES))
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--draw-only", action="store_true", help="redraw the plot from bench/out/growth.json")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    if args.draw_only:
        SVG.write_text(draw(json.loads((_common.OUT / "growth.json").read_text())))
        return
    rows = []
    for size in args.sizes.split(","):
        name, seed_args, minimum = SIZES[size]
        _common.prepare(name, *seed_args, min_postings=minimum)
        out = subprocess.run([sys.executable, __file__, "--measure", name], capture_output=True, text=True, check=True)
        rows.append({"size": size, **json.loads(out.stdout.strip().splitlines()[-1])})
    keys = [k for k in rows[-1] if k not in ("size", "postings", "donations", "grants")]
    print(f"cost against data size, no caching, median ms ({_common.machine()}; load {_common.loadavg()})")
    print(f"{'size':<7} {'postings':>10} {'donations':>10} {'grants':>7} " + " ".join(f"{k:>14}" for k in keys))
    for r in rows:
        print(
            f"{r['size']:<7} {r['postings']:>10,} {r['donations']:>10,} {r['grants']:>7,} "
            + " ".join(f"{r.get(k, float('nan')):>14.1f}" for k in keys)
        )
    _common.OUT.mkdir(exist_ok=True)
    (_common.OUT / "growth.json").write_text(json.dumps(rows, indent=1))
    SVG.write_text(draw(rows))
    print(f"drawn: {SVG.relative_to(_common.ROOT)}")


if __name__ == "__main__":
    main()
