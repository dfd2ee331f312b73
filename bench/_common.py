"""Shared set-up for the benchmarks: a PostgreSQL database of our own per data size, migrated
and seeded once (reused on later runs unless --fresh), and Django configured against it."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def url_for(name: str) -> str:
    return f"{PG}/{name}"


def _admin_conn():
    import psycopg

    return psycopg.connect(f"{PG}/postgres", autocommit=True)


def database_exists(name: str) -> bool:
    with _admin_conn() as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def recreate_database(name: str) -> None:
    with _admin_conn() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def manage(name: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": url_for(name), "DJANGO_SETTINGS_MODULE": "config.settings.dev", "DEBUG": "0"}
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def postings_in(name: str) -> int:
    import psycopg

    try:
        with psycopg.connect(url_for(name)) as conn:
            return conn.execute("SELECT COUNT(*) FROM fundpool_posting").fetchone()[0]
    except psycopg.Error:
        return 0


def prepare(name: str, *seed_args: str, fresh: bool = False, min_postings: int = 1) -> None:
    """Make sure database `name` exists, is migrated and seeded with `seed_demo *seed_args`."""
    if not fresh and database_exists(name) and postings_in(name) >= min_postings:
        manage(name, "migrate", "--noinput", "-v", "0")
        return
    recreate_database(name)
    manage(name, "migrate", "--noinput", "-v", "0")
    started = time.perf_counter()
    manage(name, "seed_demo", *seed_args)
    print(f"  seeded {name} in {time.perf_counter() - started:.0f}s", file=sys.stderr)


def use(name: str) -> None:
    """Configure Django in this process against database `name` (DEBUG off: no query log)."""
    os.environ["DATABASE_URL"] = url_for(name)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    os.environ["DEBUG"] = "0"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def timed(fn, *, repeat: int, warmup: int = 5) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return samples


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def machine() -> str:
    import platform

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, {cpu}"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn(name: str, **env_overrides: str):
    """Serve the site on database `name` under gunicorn (2 sync workers, bench settings), wait until
    /healthz answers, and return (process, port, env). The caller terminates the process."""
    import http.client

    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url_for(name),
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "0",
        "PYTHONPATH": str(ROOT),
        **env_overrides,
    }
    command = [str(Path(sys.executable).parent / "gunicorn"), "bench.wsgi:application", "-w", "2"]
    command += ["-b", f"127.0.0.1:{port}", "--log-level", "warning", "--chdir", str(ROOT)]
    server = subprocess.Popen(command, env=env)
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.2)
    return server, port, env


def gunicorn_bare():
    """The bare Django app (bench/bare.py) under the same gunicorn command as the site: (process, port)."""
    import http.client

    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.bare", "PYTHONPATH": str(ROOT)}
    command = [str(Path(sys.executable).parent / "gunicorn"), "bench.bare:application", "-w", "2"]
    command += ["-b", f"127.0.0.1:{port}", "--log-level", "warning", "--chdir", str(ROOT)]
    server = subprocess.Popen(command, env=env)
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.2)
    return server, port


# --- results as data ----------------------------------------------------------------------------


def peak_rss_mib() -> float:
    """This process's peak resident set size so far (Linux reports KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def workers_peak_rss_mib(server) -> float:
    """The largest peak resident set size (VmHWM) among a gunicorn master's worker processes; read
    after the load, before the master is stopped."""
    peaks = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(server.pid) and "VmHWM" in fields:
            peaks.append(int(fields["VmHWM"].split()[0]) / 1024)
    return max(peaks, default=0.0)


def row(
    scenario: str,
    figure: float,
    unit: str,
    *,
    baseline: float | None = None,
    baseline_label: str = "",
    ratio: float | None = None,
    goal: str = "",
    met: bool | None = None,
    peak_mib: float | None = None,
    note: str = "",
) -> dict:
    """One line of the summary table. `ratio` defaults to figure / baseline."""
    if ratio is None and baseline:
        ratio = figure / baseline
    return {
        "scenario": scenario,
        "figure": figure,
        "unit": unit,
        "baseline": baseline,
        "baseline_label": baseline_label,
        "ratio": ratio,
        "goal": goal,
        "met": met,
        "peak_mib": peak_mib,
        "note": note,
    }


def record(name: str, rows: list[dict]) -> Path:
    """Write a script's results to bench/out/<name>.json, for bench/table.py to print as one table."""
    import json

    OUT.mkdir(exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps({"name": name, "machine": machine(), "loadavg": loadavg(), "rows": rows}, indent=1))
    return path


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"
