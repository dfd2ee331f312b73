"""The monthly income totals behind the transparency dashboard's chart: kept as the ledger is
written, by month in the site's time zone, equal to the income postings (ledger_verify checks),
and read in one query whatever the size of the ledger."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fundpool.ledger import selectors as ledger_selectors
from fundpool.ledger import services as ledger_services
from fundpool.ledger.verify import income_by_month, monthly_income_rebuild, verify
from fundpool.models import Inflow, MonthlyIncome, SourceType

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_income_is_totalled_by_local_month_and_corrections_count_where_they_are_made(receive, gov):
    from ..factories import FunderFactory

    this_month = timezone.localdate().replace(day=1)
    receive("1000", funder=gov, on=date(2026, 1, 15))
    # 00:30 on 1 February in Shanghai is still 31 January in UTC: it belongs to February.
    ledger_services.inflow_record(
        source_type=SourceType.DONATION,
        amount=Decimal("50.00"),
        received_on=date(2026, 2, 1),
        effective_at=datetime(2026, 2, 1, 0, 30, tzinfo=SHANGHAI),
    )
    wrong = receive("200", funder=FunderFactory(name="某公司", source_type=SourceType.CSR))
    ledger_services.entry_reverse(entry=wrong.entry, reason="录错了")

    kept = {(m.month, m.source_type): m.amount for m in MonthlyIncome.objects.all()}
    assert kept[(date(2026, 1, 1), SourceType.GOVERNMENT)] == Decimal("1000.00")
    assert kept[(date(2026, 2, 1), SourceType.DONATION)] == Decimal("50.00")
    assert kept[(this_month, SourceType.CSR)] == Decimal("0.00")  # received and reversed this month
    assert verify().ok

    with CaptureQueriesContext(connection) as queries:
        chart = ledger_selectors.received_by_month()
    assert len(queries) == 1
    assert chart["months"][:2] == ["2026-01", "2026-02"]
    assert chart["series"]["政府财政拨款"][0] == Decimal("1000.00")
    assert chart["series"]["公众小额捐赠"][1] == Decimal("50.00")
    assert "企业社会责任投入" not in chart["series"]  # nothing kept once the correction is counted


def test_ledger_verify_finds_a_monthly_total_out_of_step_and_a_rebuild_restores_it(receive, gov):
    receive("1000", funder=gov)
    receive("30", source_type=SourceType.DONATION)
    assert verify().ok
    MonthlyIncome.objects.filter(source_type=SourceType.GOVERNMENT).update(amount=Decimal("999.00"))
    problems = [detail for check, detail in verify().problems if check == "monthly_income"]
    assert len(problems) == 1 and "999.00" in problems[0] and "1000.00" in problems[0]

    monthly_income_rebuild()
    assert verify().ok
    assert {(k[1], v) for k, v in income_by_month().items()} == {
        (SourceType.GOVERNMENT, Decimal("1000.00")),
        (SourceType.DONATION, Decimal("30.00")),
    }


def test_a_refunded_gift_stays_received_in_its_month(receive):
    """Refunds are booked out of the pool, not against income: the month still shows what came in,
    as the income postings do."""
    gift = receive("100", source_type=SourceType.DONATION)
    ledger_services.refund_record(inflow=Inflow.objects.get(pk=gift.pk), amount="40", external_ref="re_test_1")
    assert verify().ok
    assert MonthlyIncome.objects.get(source_type=SourceType.DONATION).amount == Decimal("100.00")
    assert sum(income_by_month().values()) == Decimal("100.00")


def test_rebuild_monthly_income_repairs_totals_written_out_of_step(receive, gov):
    from io import StringIO

    from django.core.management import call_command

    receive("1000", funder=gov)
    MonthlyIncome.objects.all().delete()  # as if postings had been written by code without the totals
    assert "monthly_income" in {check for check, _ in verify().problems}
    out = StringIO()
    call_command("rebuild_monthly_income", stdout=out)
    assert "1 out of step before, 0 after" in out.getvalue()
    assert verify().ok and MonthlyIncome.objects.get().amount == Decimal("1000.00")
