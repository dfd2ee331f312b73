"""History can't be rewritten: not through the models, not through querysets, not in SQL."""

import pytest
from django.db import DatabaseError, connection, transaction

from fundpool.errors import FundpoolError
from fundpool.models import JournalEntry, LotMovement, Posting

pytestmark = pytest.mark.django_db


@pytest.fixture
def lot(receive, gov):
    return receive("100", funder=gov)


def test_an_entry_cannot_be_saved_again(lot):
    entry = JournalEntry.objects.get(pk=lot.entry_id)
    entry.memo = "改写历史"
    with pytest.raises(FundpoolError):
        entry.save()
    assert JournalEntry.objects.get(pk=entry.pk).memo != "改写历史"


@pytest.mark.parametrize("model", [JournalEntry, Posting, LotMovement])
def test_rows_cannot_be_deleted_or_bulk_updated_through_the_orm(lot, model):
    count = model.objects.count()
    with pytest.raises(FundpoolError):
        model.objects.all().delete()
    with pytest.raises(FundpoolError):
        model.objects.first().delete()
    with pytest.raises(FundpoolError):
        model.objects.update(pk=-1)
    assert model.objects.count() == count


@pytest.mark.parametrize("table", ["fundpool_journalentry", "fundpool_posting", "fundpool_lotmovement"])
def test_the_database_refuses_update_and_delete(lot, table):
    for sql in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        assert cursor.fetchone()[0] > 0
