"""Webhook ingest on PostgreSQL under gunicorn (2 sync workers): N distinct signed
`checkout.session.completed` events fired by a load client, beside a trivial one-row-insert view
served the same way. As production runs it: the webhook queues, and one job cluster beside the
site records the gifts while the stream goes on (how far behind it falls is measured). Then N more
with no worker, processed inline (development), for comparison; then a check that every event was
counted exactly once.

    .venv/bin/python bench/webhook_ingest.py [--events 2000] [--clients 8]
"""

import argparse
import hashlib
import hmac
import http.client
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

NAME = "fundpool_bench_webhook"
SECRET = "whsec_bench"


def sign(body: bytes) -> str:
    t = int(time.time())
    return f"t={t},v1={hmac.new(SECRET.encode(), f'{t}.'.encode() + body, hashlib.sha256).hexdigest()}"


def fire(port: int, path: str, bodies: list[bytes], clients: int, signed: bool) -> tuple[float, list[int]]:
    def one(body):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Content-Type": "application/json"}
        if signed:
            headers["Stripe-Signature"] = sign(body)
        conn.request("POST", path, body=body, headers=headers)
        status = conn.getresponse().status
        conn.close()
        return status

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        statuses = list(pool.map(one, bodies))
    return time.perf_counter() - started, statuses


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()

    _common.prepare(NAME, "--size", "small", fresh=True)
    os.environ["STRIPE_WEBHOOK_SECRET"] = SECRET
    os.environ["STRIPE_SECRET_KEY"] = "sk_test_bench"
    _common.use(NAME)
    from django.db import connection

    from fundpool.ledger.verify import verify
    from fundpool.models import Donation, DonationStatus, EntryKind, JournalEntry, StripeEvent

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_insert (id bigserial primary key, body text)")
    donations = Donation.objects.bulk_create(
        [Donation(channel="stripe", amount=50, currency="CNY") for _ in range(2 * args.events)]
    )
    for d in donations:
        d.stripe_session_id = f"cs_bench_{d.pk:08d}"
    Donation.objects.bulk_update(donations, ["stripe_session_id"])
    now = int(time.time())
    bodies = [
        json.dumps(
            {
                "id": f"evt_bench_{d.pk:08d}",
                "object": "event",
                "type": "checkout.session.completed",
                "created": now,
                "data": {
                    "object": {
                        "id": d.stripe_session_id,
                        "object": "checkout.session",
                        "amount_total": 5000,
                        "currency": "cny",
                        "payment_status": "paid",
                        "status": "complete",
                        "payment_intent": f"pi_bench_{d.pk:08d}",
                        "client_reference_id": str(d.pk),
                        "metadata": {"donation": str(d.pk)},
                    }
                },
            }
        ).encode()
        for d in donations
    ]

    def serve(inline: bool):
        mode = {"STRIPE_PROCESS_INLINE": "1"} if inline else {"STRIPE_PROCESS_INLINE": "0"}
        server, port, env = _common.gunicorn(NAME, **mode)
        fire(port, "/bench/insert/", bodies[:50], args.clients, signed=False)  # warm both workers
        return server, port, env

    def queued() -> int:
        return StripeEvent.objects.filter(status__in=["received", "failed"]).count()

    half = args.events
    queued_bodies, inline_bodies = bodies[:half], bodies[half:]

    # As production runs: the webhook stores the event, queues its job and answers; one job cluster
    # (manage.py qcluster, one worker) beside the two web workers (on the same two cores) books the
    # gifts while the stream goes on.
    server, port, env = serve(inline=False)
    worker = subprocess.Popen(
        ["nice", "-n", "10", sys.executable, "manage.py", "qcluster"],  # as serve-production
        cwd=_common.ROOT,
        env={**env, "JOB_WORKERS": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base_s, base_status = fire(port, "/bench/insert/", queued_bodies, args.clients, signed=False)
        stream_started = time.perf_counter()
        queue_s, queue_status = fire(port, "/stripe/webhook/", queued_bodies, args.clients, signed=True)
        stream_ended = time.perf_counter()
        backlog_at_end = queued()
        dup_s, dup_status = fire(port, "/stripe/webhook/", queued_bodies[: half // 4], args.clients, signed=True)
        while queued():
            time.sleep(0.05)
        emptied = time.perf_counter()
        queue_peak = _common.workers_peak_rss_mib(server)
    finally:
        server.terminate()
        server.wait(timeout=30)
        worker.terminate()
        # wait4 gives this child's own peak RSS (RUSAGE_CHILDREN would mix in every earlier child).
        _pid, _status, usage = os.wait4(worker.pid, 0)
        worker.returncode = os.waitstatus_to_exitcode(_status)
    worker_peak = usage.ru_maxrss / 1024
    lag_s = emptied - stream_ended
    drained = half / (emptied - stream_started)

    # Without a worker (development, `make run`): each event processed before it is answered.
    server, port, env = serve(inline=True)
    try:
        hook_s, hook_status = fire(port, "/stripe/webhook/", inline_bodies, args.clients, signed=True)
        inline_peak = _common.workers_peak_rss_mib(server)
    finally:
        server.terminate()
        server.wait(timeout=30)

    n = args.events
    confirmed = Donation.objects.filter(pk__in=[d.pk for d in donations], status=DonationStatus.CONFIRMED).count()
    inflows = JournalEntry.objects.filter(kind=EntryKind.INFLOW, external_ref__startswith="stripe:cs:cs_bench_").count()
    events = StripeEvent.objects.filter(event_id__startswith="evt_bench_").count()
    report = verify()
    bad = lambda statuses: sum(st >= 300 for st in statuses)  # noqa: E731
    print(f"webhook ingest on PostgreSQL, gunicorn 2 workers, {args.clients} clients ({_common.machine()})")
    print(f"{'endpoint':<52} {'requests':>9} {'req/s':>9} {'non-2xx':>8} {'ratio':>6}")
    base = n / base_s
    for label, count, secs, statuses in (
        ("baseline: insert one row", n, base_s, base_status),
        ("webhook, production: queued, a job worker beside", n, queue_s, queue_status),
        ("webhook, production: repeats", len(dup_status), dup_s, dup_status),
        ("webhook, no worker: processed inline", n, hook_s, hook_status),
    ):
        print(f"{label:<52} {count:>9} {count / secs:>9.1f} {bad(statuses):>8} {count / secs / base:>6.2f}")
    print(
        f"the job worker booked {n} gifts at {drained:.1f}/s while they arrived; {backlog_at_end} were waiting "
        f"when the stream ended, the queue was empty {lag_s:.1f} s later"
    )
    print(
        f"exactly once: {events} events stored, {inflows} inflows, {confirmed} donations confirmed of {2 * n}; "
        f"ledger_verify {'clean' if report.ok else 'PROBLEMS'}"
    )
    once = events == inflows == confirmed == 2 * n and report.ok
    ingest, inline = n / queue_s, n / hook_s
    _common.record(
        "webhook_ingest",
        [
            _common.row("insert-one-row view (baseline)", base, "req/s", peak_mib=queue_peak),
            _common.row(
                "webhook ingest (production: queued, worker running)",
                ingest,
                "events/s",
                baseline=base,
                baseline_label="insert view",
                goal="ratio ≥ 0.5",
                met=ingest / base >= 0.5 and not bad(queue_status),
                peak_mib=queue_peak,
            ),
            _common.row(
                "webhook ingest, repeats (no effect)",
                len(dup_status) / dup_s,
                "events/s",
                baseline=base,
                baseline_label="insert view",
                goal="ratio ≥ 0.5",
                met=len(dup_status) / dup_s / base >= 0.5 and not bad(dup_status),
                peak_mib=queue_peak,
            ),
            _common.row(
                "gifts booked by the job worker (during the stream)",
                drained,
                "events/s",
                peak_mib=worker_peak,
                note=f"{backlog_at_end} waiting at the end of the stream; queue empty {lag_s:.1f} s later",
            ),
            _common.row(
                "webhook processed inline (no worker: development)",
                inline,
                "events/s",
                baseline=base,
                baseline_label="insert view",
                note="not the production set-up; for comparison",
                peak_mib=inline_peak,
            ),
            _common.row(
                "webhook exactly once, all events",
                float(events),
                "events",
                goal=f"{2 * n} events = inflows = confirmed; ledger clean",
                met=once,
                note=f"{events} events stored, {inflows} inflows, {confirmed} donations confirmed",
            ),
        ],
    )


if __name__ == "__main__":
    main()
