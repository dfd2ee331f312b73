"""Bank reconciliation: the statement's outgoing lines imported once, each matched to the
disbursement with its reference and amount, in UTF-8 or GB 18030; bad files change nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from fundpool.ledger import commitments, statements
from fundpool.ledger import services as ledger_services
from fundpool.models import SourceType, StatementLine

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(db):
    ledger_services.inflow_record(
        source_type=SourceType.DONATION, amount=Decimal("10000"), received_on=timezone.localdate()
    )
    commitments.commitment_commit(reference="grant:77", amount=Decimal("5000"))
    one = commitments.commitment_disburse(reference="grant:77", amount=Decimal("3000"), external_ref="BANK-001")
    two = commitments.commitment_disburse(reference="grant:77", amount=Decimal("1000"), external_ref="BANK-002")
    return one, two


def statement(lines, encoding="utf-8"):
    day = (timezone.localdate() - timedelta(days=1)).isoformat()
    rows = ["交易流水号,交易日期,借方金额,贷方金额,对方户名,摘要"]
    rows += [f"{ref},{day},{debit},{credit},{name},拨款" for ref, debit, credit, name in lines]
    return ("\n".join(rows) + "\n").encode(encoding)


def test_lines_match_their_disbursements_once_and_the_rest_is_listed(paid):
    one, two = paid
    data = statement(
        [
            ("bank-001", "3000.00", "", "长者助餐队"),
            ("BANK-002", "999.00", "", "读书会"),
            ("BANK-900", "50.00", "", "某商户"),
            ("IN-1", "", "200.00", "捐赠人"),
        ]
    )
    result = statements.statement_import(data=data, filename="2026-12.csv")
    assert (result.imported, result.matched, result.problems) == (3, 1, [])
    assert StatementLine.objects.get(reference="bank-001").entry == one
    lines, entries = statements.unmatched()
    assert {line.reference for line in lines} == {"BANK-002", "BANK-900"}  # amount differs; unknown
    assert list(entries) == [two]
    # The same statement again: nothing new, nothing matched twice.
    again = statements.statement_import(data=data, filename="2026-12.csv")
    assert (again.imported, again.skipped, again.matched) == (0, 3, 0)


def test_a_gb18030_statement_reads_the_same(paid):
    result = statements.statement_import(data=statement([("BANK-001", "3000.00", "", "长者助餐队")], "gb18030"))
    assert result.matched == 1
    assert StatementLine.objects.get().counterparty == "长者助餐队"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ("日期,金钱\n2026-01-01,5\n".encode(), "找不到"),
        (statement([("BANK-001", "3000.00", "", "甲"), ("BANK-001", "3000.00", "", "甲")]), "两次"),
        (b"\xff\xfe\x00garbage\x81", ""),
        (b"", ""),
    ],
    ids=["unknown columns", "a line twice", "not text", "empty"],
)
def test_bad_statements_are_refused_and_change_nothing(paid, data, problem):
    result = statements.statement_import(data=data)
    assert result.problems and problem in " ".join(str(p) for p in result.problems)
    assert not StatementLine.objects.exists()


def test_the_command_and_the_admin_page(paid, tmp_path, finance, staff, client):
    path = tmp_path / "statement.csv"
    path.write_bytes(statement([("BANK-002", "1000.00", "", "读书会")]))
    call_command("import_bank_statement", str(path))
    assert StatementLine.objects.get().entry == paid[1]
    client.force_login(finance)
    page = client.get(reverse("fundpool_statements")).content.decode()
    assert "BANK-001" in page  # the payment not on any statement yet
    client.force_login(staff)
    assert client.get(reverse("fundpool_statements")).status_code in (302, 403)
