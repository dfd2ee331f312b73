"""scripts/backup and scripts/restore, for real: a ledger with inflows, a commitment, a payment and
a refund (and a private reference document) is backed up with pg_dump, restored into a new
database with pg_restore, and the copy is checked the way an auditor would: ledger_verify is clean,
the pool's figures and the ledger's row counts are the original's, and the copy's ledger is still
append-only. The restored database is dropped at the end."""

import json
import os
import shutil
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from fundpool.ledger import commitments
from fundpool.ledger import services as ledger_services
from fundpool.ledger.engine import Purpose
from fundpool.ledger.selectors import pool_summary
from fundpool.models import Inflow

from .harness import ROOT, database_url

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump and pg_restore back up PostgreSQL only"),
    pytest.mark.skipif(
        not (shutil.which("pg_dump") and shutil.which("pg_restore") and shutil.which("psql")),
        reason="needs the PostgreSQL client tools (pg_dump, pg_restore, psql)",
    ),
    pytest.mark.django_db(transaction=True),
]

LEDGER_TABLES = ["fundpool_journalentry", "fundpool_posting", "fundpool_lotmovement", "fundpool_account"]
SUMMARY = (
    "import json; from fundpool.ledger.selectors import pool_summary; s = pool_summary(); s.pop('as_of'); "
    "print(json.dumps(s, default=str, sort_keys=True))"
)


def figures(summary: dict) -> dict:
    return json.loads(json.dumps({k: v for k, v in summary.items() if k != "as_of"}, default=str, sort_keys=True))


def run(*command, **env):
    """A project script or command with the test settings (the test database unless DATABASE_URL is given)."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "PYTHON": sys.executable,
        **env,
    }
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=180)


@pytest.fixture
def ledger_activity(receive, gov, trust, elderly, theme_restriction):
    """Real activity through the services: three inflows (one restricted), a commitment drawing the
    restricted money first, a payment, a refund of part of a gift; returns a reference document
    attached to an inflow (a private file)."""
    grant_money = receive("5000.00", funder=gov)
    receive("2000.00", funder=trust, restriction=theme_restriction(elderly))
    gift = receive("300.00")
    commitments.commitment_commit(reference="grant:bk-1", amount="2600.00", purpose=Purpose(theme=elderly))
    commitments.commitment_disburse(reference="grant:bk-1", amount="1000.00", external_ref="BANK-BK-1")
    ledger_services.refund_record(inflow=gift, amount="50.00", external_ref="re_test_backup_1")
    document = ledger_services.inflow_attach_document(
        inflow=grant_money,
        title="拨款通知",
        file=SimpleUploadedFile(
            "notice.pdf", b"%PDF-1.4 backup test " + uuid.uuid4().bytes, content_type="application/pdf"
        ),
    )
    return document


@pytest.fixture
def restored_name():
    """A database name of our own on the test server, dropped at the end whatever happened."""
    import psycopg

    name = f"{connection.settings_dict['NAME'][:40]}_restored_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(database_url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_restored_into_a_new_database_is_the_same_ledger(ledger_activity, restored_name, tmp_path):
    import psycopg

    document = ledger_activity

    original = figures(pool_summary())
    assert Decimal(original["paid"]) == Decimal("1000.00") and Decimal(original["refunds"]) == Decimal("50.00")
    with connection.cursor() as cursor:
        counts = {}
        for table in LEDGER_TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]

    backup = run("scripts/backup", str(tmp_path / "backups"))
    assert backup.returncode == 0, backup.stderr
    folder = backup.stdout.strip().splitlines()[-1]
    media, private = tmp_path / "restored-media", tmp_path / "restored-private"
    restore = run(
        "scripts/restore",
        "--create",
        "--files",
        folder,
        restored_name,
        TEST_MEDIA_ROOT=str(media),
        TEST_PRIVATE_MEDIA_ROOT=str(private),
    )
    assert restore.returncode == 0, restore.stderr

    # The script ends with manage.py ledger_verify run against the restored database; its counts
    # show it was that database, as full as the original.
    entries, postings = counts["fundpool_journalentry"], counts["fundpool_posting"]
    assert f"ledger_verify: OK — {entries} entries, {postings} postings" in restore.stdout, restore.stdout
    summary = run(sys.executable, "manage.py", "shell", "-c", SUMMARY, DATABASE_URL=database_url(restored_name))
    assert summary.returncode == 0, summary.stderr
    assert json.loads(summary.stdout.strip().splitlines()[-1]) == original
    assert (private / document.file.name).read_bytes() == Path(document.file.path).read_bytes()

    with psycopg.connect(database_url(restored_name)) as copy:
        assert {t: copy.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in LEDGER_TABLES} == counts
        for sql in (
            "UPDATE fundpool_posting SET amount = amount + 1 WHERE id = (SELECT min(id) FROM fundpool_posting)",
            "DELETE FROM fundpool_journalentry",
        ):
            with pytest.raises(psycopg.Error, match="append-only"):
                copy.execute(sql)
            copy.rollback()


def test_restore_refuses_a_database_that_already_has_tables(receive, tmp_path):
    receive("100.00")
    backup = run("scripts/backup", str(tmp_path))
    assert backup.returncode == 0, backup.stderr
    folder = backup.stdout.strip().splitlines()[-1]

    refused = run("scripts/restore", folder, connection.settings_dict["NAME"])

    assert refused.returncode == 1
    assert "is not empty" in refused.stderr and "nothing restored" in refused.stderr
    assert Inflow.objects.count() == 1


def test_restore_refuses_a_backup_whose_checksums_do_not_match(receive, tmp_path, restored_name):
    receive("100.00")
    backup = run("scripts/backup", str(tmp_path))
    assert backup.returncode == 0, backup.stderr
    folder = backup.stdout.strip().splitlines()[-1]
    with open(os.path.join(folder, "database.dump"), "ab") as dump:
        dump.write(b"\0")

    refused = run("scripts/restore", "--create", folder, restored_name)

    assert refused.returncode != 0
    assert "FAILED" in refused.stdout + refused.stderr
