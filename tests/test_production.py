"""The production profile as CI runs it: `scripts/serve-production` starts gunicorn with production
settings on a fresh PostgreSQL database, with Redis as the cache and whitenoise serving static files;
the smoke test reads it over HTTP the way a TLS-terminating proxy would."""

import http.client
import os
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.db import connection

from .fundpool import stripe_kit as kit

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the production profile runs on PostgreSQL only; this runs in CI's PostgreSQL pass",
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path, https=True):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Host": "fund.example.org"}
    if https:
        headers["X-Forwarded-Proto"] = "https"
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    return response, body


@pytest.fixture
def production(db):
    """Served from the test database (already migrated, so `migrate` in the script has nothing to
    do) by gunicorn in its own process, as production would run it."""
    import redis

    db = connection.settings_dict
    url = f"postgresql://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    cache = redis.Redis(host="127.0.0.1", port=6379, db=14)
    cache.flushdb()
    port = free_port()
    env = {
        **os.environ,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": url,
        "ALLOWED_HOSTS": "fund.example.org",
        "SITE_BASE_URL": "https://fund.example.org",
        "CACHE_URL": "rediscache://127.0.0.1:6379/14",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "STRIPE_SECRET_KEY": "sk_test_fundpool",
        "STRIPE_WEBHOOK_SECRET": kit.SECRET,
    }
    for name in ("STRIPE_PROCESS_INLINE", "RUN_WORKER", "OUTBOX_DELIVERY_BACKEND"):
        env.pop(name, None)  # the profile's own defaults
    log = open(ROOT / ".test-media" / f"production-{os.getpid()}.log", "w+")  # noqa: SIM115
    server = subprocess.Popen(
        [str(ROOT / "scripts" / "serve-production")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300  # start-up checks, collectstatic, workers
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if get(port, "/healthz")[0].status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        log.flush()
        log.seek(0)
        assert server.poll() is None, f"serve-production stopped:\n{log.read()}"
        yield port, cache, log
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
        os.remove(log.name)  # what matters in it is asserted on, and shown when an assertion fails
        cache.flushdb()


def test_the_production_profile_serves_securely_with_redis_and_whitenoise(production):
    port, cache, log = production

    response, body = get(port, "/healthz")
    assert response.status == 200

    # Plain HTTP is sent to HTTPS; over HTTPS every answer carries the security headers.
    response, _ = get(port, "/", https=False)
    assert response.status == 301 and response.getheader("Location") == "https://fund.example.org/"
    response, body = get(port, "/accounts/login/")
    assert response.status == 200
    assert response.getheader("Strict-Transport-Security") == "max-age=31536000; includeSubDomains; preload"
    assert "script-src 'self'" in response.getheader("Content-Security-Policy")
    assert response.getheader("X-Frame-Options") == "DENY"
    cookies = response.getheader("Set-Cookie") or ""
    assert "csrftoken=" in cookies and "Secure" in cookies and "HttpOnly" in cookies
    assert "登录" in body.decode()  # Chinese first, from compiled translations

    # Static files come from whitenoise, hashed and cached for good.
    response, body = get(port, "/accounts/login/")
    css = next(part.split('"')[0] for part in body.decode().split('href="')[1:] if part.startswith("/static/css/site."))
    response, _ = get(port, css)
    assert response.status == 200
    assert "immutable" in response.getheader("Cache-Control")

    # The cache is Redis: a public page read once leaves its keys there.
    get(port, "/transparency/")
    assert cache.dbsize() > 0

    log.flush()
    log.seek(0)
    assert "Traceback" not in log.read()

    # Unknown hosts are refused, not served.
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/healthz", headers={"Host": "evil.example", "X-Forwarded-Proto": "https"})
    assert conn.getresponse().status == 400


def test_the_production_profile_answers_stripe_at_once_and_its_worker_processes_the_event(production):
    """Stripe events are queued by the webhook and processed by the worker serve-production runs
    beside gunicorn. The event is one we do not act on, so nothing but its row is written; the row
    is committed by the server outside this test's transaction and removed at the end."""
    import json

    import psycopg

    port, _cache, log = production
    event_id = f"evt_production_{secrets.token_hex(8)}"
    body = kit.body_of(kit.event("customer.created", {"id": "cus_production", "object": "customer"}, event_id=event_id))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(
        "POST",
        "/stripe/webhook/",
        body=body,
        headers={
            "Host": "fund.example.org",
            "X-Forwarded-Proto": "https",
            "Content-Type": "application/json",
            "Stripe-Signature": kit.sign(body),
        },
    )
    response = conn.getresponse()
    answer = json.loads(response.read())
    db = connection.settings_dict
    url = f"postgresql://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    with psycopg.connect(url, autocommit=True) as own:
        try:
            assert response.status == 200 and answer == {"received": True, "status": "received"}
            status = None
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                row = own.execute("SELECT status FROM fundpool_stripeevent WHERE event_id = %s", [event_id]).fetchone()
                status = row and row[0]
                if status != "received":
                    break
                time.sleep(0.2)
            log.flush()
            log.seek(0)
            assert status == "ignored", f"the worker did not process the event:\n{log.read()[-3000:]}"
        finally:
            own.execute("DELETE FROM fundpool_stripeevent WHERE event_id = %s", [event_id])
