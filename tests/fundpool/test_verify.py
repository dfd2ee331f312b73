"""ledger_verify finds what is wrong, and says nothing when nothing is."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from fundpool.ledger import commitments
from fundpool.ledger.verify import verify
from fundpool.models import Account, Inflow

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(receive, gov):
    receive("1000", funder=gov)
    receive("50", fee="0.30")
    commitments.commitment_commit(reference="grant:v", amount="600")
    commitments.commitment_disburse(reference="grant:v", amount="200")


def test_a_clean_ledger_verifies_with_a_one_line_summary(ledger):
    out = StringIO()
    call_command("ledger_verify", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ledger_verify: OK")


def test_a_tampered_cached_balance_is_found(ledger):
    Account.objects.filter(code="committed:grant:v").update(balance=Decimal("999.00"))
    report = verify()
    assert {check for check, _ in report.problems} >= {"balance_cache", "commitment_accounts"}
    err = StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("ledger_verify", stderr=err)
    assert exc.value.code == 1
    assert "committed:grant:v" in err.getvalue()


def test_a_tampered_lot_is_found(ledger):
    Inflow.objects.filter(source_type="donation").update(available=Decimal("5.00"))
    checks = {check for check, _ in verify().problems}
    assert {"lot_cache", "bucket_mismatch"} <= checks


def test_an_unbalanced_entry_slipped_in_by_sql_is_found(ledger):
    account = Account.objects.get(code="fees")
    entry_id = Inflow.objects.first().entry_id
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO fundpool_posting (entry_id, account_id, amount, currency) VALUES (%s, %s, %s, %s)",
            [entry_id, account.pk, Decimal("1.00"), "CNY"],
        )
    checks = {check for check, _ in verify().problems}
    assert "entry_unbalanced" in checks and "balance_cache" in checks


def test_the_database_itself_refuses_a_negative_pool_balance(ledger):
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(code="available:unrestricted").update(balance=Decimal("-0.01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Inflow.objects.filter(source_type="donation").update(available=Decimal("-0.01"))
    assert verify().ok


def test_a_running_total_out_of_step_is_found(ledger):
    from fundpool.models import AccountKindTotal

    AccountKindTotal.objects.filter(kind="paid").update(balance=Decimal("1.00"))
    assert "kind_total" in {check for check, _ in verify().problems}
