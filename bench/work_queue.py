"""Staff's work queue and search under gunicorn (2 sync workers, production-like bench settings),
signed in as the demo's staff member, on the large data set (≥ 5,000 grants), beside the bare
Django app (bench/bare.py) and the in-project plain view, served the same way in the same run.
Also the queries each costs, on the small demo data and on the large set: they must not grow
with the number of grants.

    .venv/bin/python bench/work_queue.py [--requests 300] [--clients 4] [--database NAME]
"""

import argparse
import os
import sys
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402
from public_pages import hit  # noqa: E402

LARGE, SMALL = "fundpool_bench_1m", "fundpool_bench_small"
PAGES = [
    ("work queue", "/admin/grants/queue/"),
    ("admin home (queue panel)", "/admin/"),
    ("search 助餐", "/admin/grants/search/?q=" + quote("助餐")),
    ("search by leader and status", "/admin/grants/search/?q=" + quote("王") + "&status=in_delivery"),
]


def queries(name: str) -> dict:
    """Queries for the queue (with its items) and two searches, run in a child process on `name`."""
    import json
    import subprocess

    out = subprocess.run(
        [sys.executable, __file__, "--count-queries", name], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def count_queries(name: str) -> None:
    import json

    _common.use(name)
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from grants.models import Application
    from grants.overview import queue, search

    staff = get_user_model().objects.get(username="staff")
    queue.queue_for(user=staff)  # permissions read once, then cached on the user
    counts = {"grants": Application.objects.count()}
    for label, run in (
        ("queue", lambda: queue.queue_for(user=staff, with_items=True)),
        ("search 助餐", lambda: search.search(query=search.SearchQuery(q="助餐"))),
        ("search 王 in delivery", lambda: search.search(query=search.SearchQuery(q="王", status="in_delivery"))),
    ):
        with CaptureQueriesContext(connection) as ctx:
            run()
        counts[label] = len(ctx.captured_queries)
    print(json.dumps(counts))


def session_cookie(name: str) -> str:
    _common.use(name)
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model

    staff = get_user_model().objects.get(username="staff")
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(staff.pk)
    # The backend that signs people in (axes' only counts failures).
    store[BACKEND_SESSION_KEY] = next(b for b in settings.AUTHENTICATION_BACKENDS if "axes" not in b.lower())
    store[HASH_SESSION_KEY] = staff.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--database", default=LARGE)
    parser.add_argument("--count-queries", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.count_queries:
        count_queries(args.count_queries)
        return
    if args.database == LARGE:
        _common.prepare(LARGE, "--size", "large", min_postings=1_000_000)
    _common.prepare(SMALL)
    small, large = queries(SMALL), queries(args.database)
    cookie = session_cookie(args.database)
    bare, bare_port = _common.gunicorn_bare()
    server, port, _env = _common.gunicorn(args.database)
    rows = []
    try:
        hit(bare_port, "/", 20, args.clients)
        base, _bad = hit(bare_port, "/", args.requests, args.clients)
        hit(port, "/bench/plain/", 20, args.clients)
        plain, _bad = hit(port, "/bench/plain/", args.requests, args.clients)
        for label, path in PAGES:
            hit(port, path, 10, args.clients, cookie=cookie)
            rps, bad = hit(port, path, args.requests, args.clients, cookie=cookie)
            rows.append((label, rps, bad))
        peak = _common.workers_peak_rss_mib(server)
    finally:
        for process in (server, bare):
            process.terminate()
            process.wait(timeout=30)
    print(f"staff's work queue and search, gunicorn 2 workers, {args.clients} clients ({_common.machine()})")
    print(f"queries ({small['grants']:,} grants → {large['grants']:,} grants):")
    for key in ("queue", "search 助餐", "search 王 in delivery"):
        print(f"  {key:<24} {small[key]:>4} → {large[key]:>4}")
    print(f"{'page':<32} {'req/s':>8} {'vs bare':>8} {'non-200':>8}")
    print(f"{'bare Django app (baseline)':<32} {base:>8.1f} {1:>8.2f} {0:>8}")
    print(f"{'in-project plain view':<32} {plain:>8.1f} {plain / base:>8.2f} {0:>8}")
    for label, rps, bad in rows:
        print(f"{label:<32} {rps:>8.1f} {rps / base:>8.2f} {bad:>8}")
    print(f"workers' peak RSS {peak:.0f} MiB")
    if any(bad for _label, _rps, bad in rows):
        print("WARNING: some requests did not answer 200: the figures above do not measure the pages")
    _common.record(
        "work_queue",
        [
            _common.row(
                f"staff {label} (signed in)",
                rps,
                "req/s",
                baseline=base,
                baseline_label="bare Django app",
                note=f"{bad} non-200",
            )
            for label, rps, bad in rows
        ]
        + [
            _common.row(
                f"queries: {key}",
                large[key],
                "queries",
                baseline=small[key],
                baseline_label=f"{small['grants']} grants",
                goal="flat in the number of grants",
                met=large[key] == small[key],
            )
            for key in ("queue", "search 助餐", "search 王 in delivery")
        ],
    )


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    main()
