"""What the reliability tests work with: the test database's own URL, the local PostgreSQL cluster
behind it (to restart it for real), the site served by gunicorn with the production settings, the
queue worker, and a sender that delivers webhooks the way Stripe does."""

from __future__ import annotations

import http.client
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.db import connection

from ..fundpool import stripe_kit as kit

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
LOCAL_HOSTS = {"", "127.0.0.1", "localhost", "::1"}


def database_url(name: str | None = None) -> str:
    """A URL for the test database (or another database `name` on the same server)."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = quote(s["HOST"] or "", safe="")
    return f"postgres://{auth}@{host}:{s['PORT'] or 5432}/{quote(name or s['NAME'], safe='')}"


def libpq_env() -> dict[str, str]:
    """PG* variables for the command-line tools, pointing at the test database's server."""
    s = connection.settings_dict
    env = {"PGUSER": s["USER"] or "", "PGPORT": str(s["PORT"] or 5432), "PGDATABASE": s["NAME"]}
    if s["HOST"]:
        env["PGHOST"] = s["HOST"]
    if s["PASSWORD"]:
        env["PGPASSWORD"] = s["PASSWORD"]
    return env


# --- the cluster ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cluster:
    version: str
    name: str
    host: str
    port: int

    def ready(self) -> bool:
        command = ["pg_isready", "-q", "-h", self.host, "-p", str(self.port)]
        return subprocess.run(command, check=False).returncode == 0

    def _ctl(self, action: str, *, check: bool) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, action],
            check=check,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def restart(self) -> float:
        """Restart the cluster (every session on it is ended); return when it accepts connections
        again, with the seconds that took. Whatever happens, the cluster is left running."""
        started = time.monotonic()
        try:
            self._ctl("restart", check=True)
        finally:
            self.ensure_running()
        return time.monotonic() - started

    def ensure_running(self, timeout: float = 60) -> None:
        if not self.ready():
            self._ctl("start", check=False)  # "already running" while it is still starting is fine
        deadline = time.monotonic() + timeout
        while not self.ready():
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL {self.version}/{self.name} did not come back within {timeout:.0f} s")
            time.sleep(0.2)


def local_cluster() -> tuple[Cluster | None, str]:
    """The cluster serving the test database if this process may restart it, or None and why not."""
    if os.geteuid() != 0:
        return None, "restarting the PostgreSQL cluster needs root"
    if not (shutil.which("pg_ctlcluster") and shutil.which("pg_lsclusters") and shutil.which("pg_isready")):
        return None, "restarting PostgreSQL needs pg_ctlcluster, pg_lsclusters and pg_isready (postgresql-common)"
    host = connection.settings_dict["HOST"] or ""
    if host not in LOCAL_HOSTS and not host.startswith("/"):
        return None, f"the test database is on {host}, not on this machine"
    port = int(connection.settings_dict["PORT"] or 5432)
    listing = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=False).stdout
    for line in listing.splitlines():
        version, name, cluster_port, status = line.split()[:4]
        if int(cluster_port) == port and status.startswith("online"):
            return Cluster(version, name, "127.0.0.1" if host in LOCAL_HOSTS else host, port), ""
    return None, f"no local PostgreSQL cluster is online on port {port}"


# --- the site and the queue worker, as deployed -----------------------------------------------------


def production_env(database: str, **overrides: str) -> dict[str, str]:
    """The production settings (persistent connections with health checks; Stripe events queued
    for the worker unless STRIPE_PROCESS_INLINE=1 is passed) on `database`, with what production
    takes from its environment filled in."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": database,
        "SECRET_KEY": "reliability-tests-only",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_BASE_URL": "http://127.0.0.1",
        # Redis, as production runs: the rate limiter refuses a cache its processes do not share.
        "CACHE_URL": "rediscache://127.0.0.1:6379/9",
        "SECURE_SSL_REDIRECT": "0",
        "OUTBOX_DELIVERY_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "STRIPE_SECRET_KEY": "sk_test_fundpool",
        "STRIPE_WEBHOOK_SECRET": kit.SECRET,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        **overrides,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(*processes: subprocess.Popen) -> None:
    """Stop them all at once (their database sessions end with them)."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@contextmanager
def stopped_on_leaving(*processes: subprocess.Popen) -> Iterator[list[subprocess.Popen]]:
    """Stops `processes`, and any appended to the list it yields, on leaving."""
    started = list(processes)
    try:
        yield started
    finally:
        stop(*started)


def start_site(database: str, log: Path, **overrides: str) -> tuple[subprocess.Popen, int]:
    """The site under gunicorn (config.wsgi, 2 sync workers) on `database`: the process and its port.
    Wait for it with wait_for_site."""
    port = free_port()
    command = [str(VENV_BIN / "gunicorn"), "config.wsgi:application", "-w", "2", "-b", f"127.0.0.1:{port}"]
    # --preload: the application is loaded once and forked (a quicker start; no connection is
    # opened while loading, so the workers share none).
    command += ["--chdir", str(ROOT), "--preload", "--timeout", "30", "--graceful-timeout", "2"]
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=production_env(database, **overrides), stdout=out, stderr=out)
    return process, port


def wait_for_site(process: subprocess.Popen, port: int, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}):\n{tail(log)}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not answer /healthz within {timeout:.0f} s:\n{tail(log)}")
        time.sleep(0.2)


def start_queue_worker(
    database: str, log: Path, *, app_name: str = "fundpool-queue-worker", **overrides: str
) -> subprocess.Popen:
    """`manage.py qcluster` (the job workers and scheduler the production profile runs beside the
    site) on `database`, in a process group of its own (so that the whole cluster can be killed at
    once); its sessions carry `app_name`. Jobs are signed with SECRET_KEY: the worker has this
    process's, so that it can read the jobs the test queues."""
    from django.conf import settings

    overrides.setdefault("SECRET_KEY", settings.SECRET_KEY)
    command = [sys.executable, "manage.py", "qcluster"]
    with log.open("ab") as out:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=production_env(database, PGAPPNAME=app_name, **overrides),
            stdout=out,
            stderr=out,
            start_new_session=True,
        )


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"({path} unreadable)"


def wait_until(condition, *, timeout: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


# --- Stripe, delivering -----------------------------------------------------------------------------


@dataclass
class Delivery:
    port: int
    event: dict
    attempts: int = 0
    not_before: float = 0.0
    done: bool = False


class StripeSender:
    """Delivers events as Stripe does: each attempt signed afresh; a 2xx is success; any other
    status, a refused or dropped connection, or no answer within `timeout` is a failure, tried
    again later with a growing delay (Stripe backs off over hours, this over fractions of a
    second). `senders` threads deliver at once, each pausing `pace` seconds between attempts."""

    def __init__(self, deliveries: list[Delivery], *, senders: int = 3, pace: float = 0.1, timeout: float = 10):
        self.deliveries = deliveries
        self.pace, self.timeout = pace, timeout
        self.failures: Counter = Counter()
        self.delivered = 0
        self._lock = threading.Lock()
        self._queue: queue.Queue[Delivery] = queue.Queue()
        for d in deliveries:
            self._queue.put(d)
        self._finished = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(senders)]

    def start(self) -> StripeSender:
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        self._finished.set()
        for t in self._threads:
            t.join(timeout=self.timeout + 5)

    def wait(self, timeout: float) -> bool:
        """True once every event was delivered."""
        return self._finished.wait(timeout) and self.delivered == len(self.deliveries)

    @property
    def undelivered(self) -> list[str]:
        return [d.event["id"] for d in self.deliveries if not d.done]

    def _run(self) -> None:
        while not self._finished.is_set():
            try:
                d = self._queue.get(timeout=0.1)
            except queue.Empty:
                continue
            pause = d.not_before - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            outcome = self._attempt(d)
            with self._lock:
                d.attempts += 1
                if outcome is None:
                    d.done = True
                    self.delivered += 1
                    if self.delivered == len(self.deliveries):
                        self._finished.set()
                else:
                    self.failures[outcome] += 1
                    d.not_before = time.monotonic() + min(2.0, 0.2 * 2 ** (d.attempts - 1))
            if outcome is not None:
                self._queue.put(d)
            time.sleep(self.pace)

    def _attempt(self, d: Delivery) -> str | None:
        body = kit.body_of(d.event)
        headers = {"Content-Type": "application/json", "Stripe-Signature": kit.sign(body)}
        conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=self.timeout)
        try:
            conn.request("POST", "/stripe/webhook/", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as exc:
            return type(exc).__name__
        finally:
            conn.close()
        return None if 200 <= response.status < 300 else f"HTTP {response.status}"
