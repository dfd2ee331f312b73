"""Public pages under gunicorn (2 sync workers) with a load client, on the large data set (≥ 5,000
grants, ≥ 200,000 donations, ≥ 1,000,000 postings): home, directory, a directory search, an outcome
page and the transparency dashboard, each beside a plain Django view served the same way in the
same run (goal: ratio >= 0.5).

    .venv/bin/python bench/public_pages.py [--requests 600] [--clients 8] [--database NAME]
"""

import argparse
import http.client
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

NAME = "fundpool_bench_1m"
CACHE = "redis://127.0.0.1:6379/5"


def hit(port: int, path: str, n: int, clients: int, rendered: bool = False) -> tuple[float, int]:
    # rendered=True: a "messages" cookie makes the site render the page each time (the data caches
    # still apply), to show what the page cache saves.
    headers = {"Accept-Language": "zh-hans", **({"Cookie": "messages=bench"} if rendered else {})}

    def one(_):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        conn.close()
        return response.status

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        statuses = list(pool.map(one, range(n)))
    return n / (time.perf_counter() - started), sum(s != 200 for s in statuses)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--database", default=NAME, help="an already seeded database (default: the large one)")
    args = parser.parse_args()
    name = args.database
    if name == NAME:
        _common.prepare(NAME, "--size", "large", min_postings=1_000_000)
    cache_url = os.environ.get("CACHE_URL", CACHE)
    os.environ["CACHE_URL"] = cache_url
    _common.use(name)
    from django.core.cache import cache

    from cms.models import OutcomePage
    from fundpool.models import Donation, Posting
    from grants.models import Application

    cache.clear()  # nothing left from another database or an earlier run
    grants = Application.objects.filter(status__in=["awarded", "in_delivery", "completed"]).count()
    donations, postings = Donation.objects.count(), Posting.objects.count()
    # A bulk project's page (the last one published), as a visitor following a link would find it.
    outcome = OutcomePage.objects.live().order_by("-pk").first()
    server, port, _env = _common.gunicorn(name, CACHE_URL=cache_url)
    pages = [
        ("plain Django view (baseline)", "/bench/plain/"),
        ("home", "/"),
        ("directory", "/funded/"),
        ("directory search 助餐", "/funded/?q=" + quote("助餐")),
        ("outcome page", outcome.url if outcome else "/outcomes/"),
        ("transparency dashboard", "/transparency/"),
    ]
    try:
        for _label, path in pages:
            hit(port, path, 20, args.clients)  # warm up (and fill caches)
        results = [(label, path, *hit(port, path, args.requests, args.clients)) for label, path in pages]
        rendered = [hit(port, path, args.requests // 3, args.clients, rendered=True) for _label, path in pages]
        peak = _common.workers_peak_rss_mib(server)
    finally:
        server.terminate()
        server.wait(timeout=30)
    base = results[0][2]
    print(f"public pages on PostgreSQL, gunicorn 2 workers, {args.clients} clients ({_common.machine()})")
    print(f"data: {grants:,} grants, {donations:,} donations, {postings:,} postings")
    print(f"{'page':<30} {'req/s':>8} {'ratio':>6} {'non-200':>8} {'rendered req/s':>15} {'ratio':>6}")
    for (label, _path, rps, bad), (rrps, rbad) in zip(results, rendered, strict=True):
        print(f"{label:<30} {rps:>8.1f} {rps / base:>6.2f} {bad + rbad:>8} {rrps:>15.1f} {rrps / base:>6.2f}")
    rows = [_common.row("plain Django view (baseline)", base, "req/s", peak_mib=peak)]
    for (label, _path, rps, bad), (rrps, rbad) in list(zip(results, rendered, strict=True))[1:]:
        rows.append(
            _common.row(
                f"page: {label}",
                rps,
                "req/s",
                baseline=base,
                baseline_label="plain view",
                goal="ratio ≥ 0.5",
                met=rps / base >= 0.5 and not bad,
                peak_mib=peak,
            )
        )
        rows.append(
            _common.row(
                f"page: {label}, rendered each time",
                rrps,
                "req/s",
                baseline=base,
                baseline_label="plain view",
                met=None if not rbad else False,
                peak_mib=peak,
            )
        )
    rows[1]["note"] = (
        f"{grants:,} grants, {donations:,} donations, {postings:,} postings; page cache on for visitors; "
        "'rendered each time' bypasses the page cache (data caches still apply)"
    )
    _common.record("public_pages", rows)


if __name__ == "__main__":
    main()
