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


def hit(port: int, path: str, n: int, clients: int, rendered: bool = False, cookie: str = "") -> tuple[float, int]:
    # rendered=True: a "messages" cookie makes the site render the page each time (the data caches
    # still apply), to show what the page cache saves. `cookie`: a signed-in person's session.
    headers = {"Accept-Language": "zh-hans", **({"Cookie": "messages=bench"} if rendered else {})}
    if cookie:
        headers["Cookie"] = cookie

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


def hit_for(port: int, path: str, seconds: float, clients: int) -> tuple[float, int]:
    """As many requests as `clients` can make in `seconds`: req/s and non-200s."""
    headers = {"Accept-Language": "zh-hans"}
    deadline = time.perf_counter() + seconds

    def client(_):
        done, bad = 0, 0
        while time.perf_counter() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            conn.close()
            done, bad = done + 1, bad + (response.status != 200)
        return done, bad

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        counts = list(pool.map(client, range(clients)))
    return sum(d for d, _b in counts) / (time.perf_counter() - started), sum(b for _d, b in counts)


class DonationStream:
    """Gifts recorded in the ledger at `rate` a second by a separate process, as the webhook would
    record them on a donation day (each entry tells the public caches, through the shared cache)."""

    def __init__(self, name: str, rate: float, window: int):
        self.args = [sys.executable, __file__, "--database", name, "--stream", str(rate)]
        self.env = {**os.environ, "PUBLIC_LEDGER_WINDOW": str(window)}
        self.count = 0

    def __enter__(self):
        import subprocess

        self.process = subprocess.Popen(self.args, env=self.env, stdout=subprocess.PIPE, text=True)
        self.process.stdout.readline()  # "ready": Django is set up
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        import signal

        self.process.send_signal(signal.SIGINT)
        out, _ = self.process.communicate(timeout=60)
        self.count = int(out.split()[-1])
        self.seconds = time.perf_counter() - self.started


def stream(name: str, rate: float) -> None:
    """The donation stream's own process: record a gift every 1/rate seconds until interrupted."""
    from decimal import Decimal

    _common.use(name)
    from django.utils import timezone

    from fundpool.ledger import services as ledger_services
    from fundpool.models import SourceType

    count = 0
    print("ready", flush=True)
    try:
        while True:
            started = time.perf_counter()
            ledger_services.inflow_record(
                source_type=SourceType.DONATION, amount=Decimal("20.00"), received_on=timezone.localdate()
            )
            count += 1
            time.sleep(max(0.0, 1 / rate - (time.perf_counter() - started)))
    except KeyboardInterrupt:
        pass
    print(count, flush=True)


def during_stream(name: str, port: int, pages, seconds: float, clients: int, rate: float, window: int) -> list:
    """Each page (the plain view first, the baseline in the same conditions) hit while gifts arrive."""
    out = []
    for label, path in pages:
        with DonationStream(name, rate, window) as gifts:
            rps, bad = hit_for(port, path, seconds, clients)
        out.append((label, rps, bad, gifts.count / gifts.seconds))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--database", default=NAME, help="an already seeded database (default: the large one)")
    parser.add_argument("--gifts-per-second", type=float, default=20, help="the donation stream's rate")
    parser.add_argument("--stream-seconds", type=float, default=8, help="how long each page is hit during it")
    parser.add_argument("--stream", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    name = args.database
    if args.stream:
        os.environ.setdefault("CACHE_URL", CACHE)
        stream(name, args.stream)
        return
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
        busy = {}
        busy[10] = during_stream(name, port, pages, args.stream_seconds, args.clients, args.gifts_per_second, 10)
        peak = _common.workers_peak_rss_mib(server)
    finally:
        server.terminate()
        server.wait(timeout=30)
    # The same stream with the window off: every gift refreshes the public caches at once.
    server, port, _env = _common.gunicorn(name, CACHE_URL=cache_url, PUBLIC_LEDGER_WINDOW="0")
    try:
        busy[0] = during_stream(name, port, pages, args.stream_seconds, args.clients, args.gifts_per_second, 0)
        peak = max(peak, _common.workers_peak_rss_mib(server))
    finally:
        server.terminate()
        server.wait(timeout=30)
    base = results[0][2]
    print(f"public pages on PostgreSQL, gunicorn 2 workers, {args.clients} clients ({_common.machine()})")
    print(f"data: {grants:,} grants, {donations:,} donations, {postings:,} postings")
    print(f"{'page':<30} {'req/s':>8} {'ratio':>6} {'non-200':>8} {'rendered req/s':>15} {'ratio':>6}")
    for (label, _path, rps, bad), (rrps, rbad) in zip(results, rendered, strict=True):
        print(f"{label:<30} {rps:>8.1f} {rps / base:>6.2f} {bad + rbad:>8} {rrps:>15.1f} {rrps / base:>6.2f}")
    print(f"during a stream of {args.gifts_per_second:g} gifts/s into the ledger:")
    print(f"{'page':<30} {'window 10 s req/s':>18} {'ratio':>6} {'window off req/s':>17} {'ratio':>6}")
    # Baseline for these rows: the plain view measured during the same stream.
    sbase, sbase0 = busy[10][0][1], busy[0][0][1]
    for (label, rps, bad, _rate), (_l, rps0, bad0, _r0) in zip(busy[10], busy[0], strict=True):
        print(
            f"{label:<30} {rps:>18.1f} {rps / sbase:>6.2f} {rps0:>17.1f} {rps0 / sbase0:>6.2f}  non-200: {bad + bad0}"
        )

    def page_row(scenario, rps, bad, baseline, baseline_label, *, judged, note=""):
        """A page's row: judged rows carry the goal (half the baseline, no errors); the others
        are shown for comparison and fail only on errors."""
        return _common.row(
            scenario,
            rps,
            "req/s",
            baseline=baseline,
            baseline_label=baseline_label,
            goal="ratio ≥ 0.5" if judged else "",
            met=(rps / baseline >= 0.5 and not bad) if judged else (False if bad else None),
            peak_mib=peak,
            note=note,
        )

    rows = [_common.row("plain Django view (baseline)", base, "req/s", peak_mib=peak)]
    for (label, _path, rps, bad), (rrps, rbad) in list(zip(results, rendered, strict=True))[1:]:
        rows.append(page_row(f"page: {label}", rps, bad, base, "plain view", judged=True))
        rows.append(page_row(f"page: {label}, rendered each time", rrps, rbad, base, "plain view", judged=False))
    same_stream = "plain view, same stream"
    for (label, rps, bad, rate), (_l, rps0, bad0, rate0) in list(zip(busy[10], busy[0], strict=True))[1:]:
        rows.append(page_row(f"page: {label}, {rate:.0f} gifts/s arriving", rps, bad, sbase, same_stream, judged=True))
        rows.append(
            page_row(
                f"page: {label}, {rate0:.0f} gifts/s, window off",
                rps0,
                bad0,
                sbase0,
                same_stream,
                judged=False,
                note="PUBLIC_LEDGER_WINDOW=0: every gift refreshes the public caches (the behaviour before)",
            )
        )
    rows[1]["note"] = (
        f"{grants:,} grants, {donations:,} donations, {postings:,} postings; page cache on for visitors; "
        "'rendered each time' bypasses the page cache (data caches still apply)"
    )
    _common.record("public_pages", rows)


if __name__ == "__main__":
    main()
