"""The SQLite backup documented in docs/operations.md (the online backup API, what `sqlite3
db.sqlite3 ".backup …"` uses): taken while the site could be writing, the copy is the same ledger,
verified clean and still append-only."""

import os
import sqlite3
import subprocess
import sys

import pytest
from django.db import connection

from fundpool.ledger import commitments
from fundpool.ledger import services as ledger_services
from fundpool.models import JournalEntry, Posting

from .harness import ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="the SQLite backup; PostgreSQL has test_backup_restore.py"
    ),
    pytest.mark.django_db(transaction=True),
]


def test_an_online_sqlite_backup_is_the_same_ledger(transactional_db, receive, gov, tmp_path):
    # transactional_db by name: the rows must be committed for the backup to see them, and the
    # suite's SQLite clean-up of ledger rows (tests/conftest.py) looks for the fixture by name.
    gift = receive("300.00")
    receive("1000.00", funder=gov)
    commitments.commitment_commit(reference="grant:sqlite-1", amount="800.00")
    commitments.commitment_disburse(reference="grant:sqlite-1", amount="200.00")
    ledger_services.refund_record(inflow=gift, amount="30.00")
    copy_path = tmp_path / "backup.sqlite3"

    with sqlite3.connect(connection.settings_dict["NAME"]) as source, sqlite3.connect(copy_path) as copy:
        source.backup(copy)
    copy = sqlite3.connect(copy_path)

    try:
        assert copy.execute("SELECT count(*) FROM fundpool_posting").fetchone()[0] == Posting.objects.count()
        assert copy.execute("SELECT count(*) FROM fundpool_journalentry").fetchone()[0] == JournalEntry.objects.count()
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            copy.execute("UPDATE fundpool_posting SET amount = amount")
    finally:
        copy.close()
    verified = subprocess.run(
        [sys.executable, "manage.py", "ledger_verify"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": f"sqlite:///{copy_path}",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verified.returncode == 0 and "ledger_verify: OK" in verified.stdout, verified.stderr
