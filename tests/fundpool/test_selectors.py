from datetime import timedelta
from decimal import Decimal

import pytest

from fundpool.ledger import commitments
from fundpool.ledger import services as ledger_services
from fundpool.ledger.engine import Purpose, Restriction
from fundpool.ledger.selectors import (
    account_balances_as_of,
    funding_trace,
    inflow_usage,
    pool_summary,
    pool_summary_as_of,
)
from fundpool.models import RestrictionKind, SourceType

pytestmark = pytest.mark.django_db


@pytest.fixture
def pool(receive, gov, company, elderly, theme_restriction, today):
    """¥1,000 government, ¥500 CSR for elderly care, two small gifts, a pledge half received."""
    gov_lot = receive("1000", funder=gov)
    csr_lot = receive("500", funder=company, restriction=theme_restriction(elderly))
    gift = receive("50", fee="1.50", payer_name="张三")
    receive("20", anonymous=True)
    pledge = ledger_services.pledge_record(funder=gov, amount="2000", pledged_on=today - timedelta(days=10))
    ledger_services.pledge_receive(pledge=pledge, amount="1000", received_on=today)
    return {"gov": gov_lot, "csr": csr_lot, "gift": gift}


def test_pool_summary_adds_up(pool):
    s = pool_summary()
    assert s["received"] == {
        "government": Decimal("2000.00"),
        "csr": Decimal("500.00"),
        "donation": Decimal("70.00"),
        "trust": Decimal("0.00"),
        "matching": Decimal("0.00"),
        "recovery": Decimal("0.00"),
    }
    assert s["pledged_outstanding"] == Decimal("1000.00")
    assert s["available"] == Decimal("2568.50")
    assert s["fees"] == Decimal("1.50")
    commitments.commitment_commit(reference="grant:a", amount="600", purpose=Purpose(theme=pool["csr"].theme))
    commitments.commitment_disburse(reference="grant:a", amount="200")
    s = pool_summary()
    assert (s["available"], s["committed"], s["paid"]) == (Decimal("1968.50"), Decimal("400.00"), Decimal("200.00"))
    # Every yuan received is somewhere: available, committed, paid or charged.
    assert s["received_total"] == s["available"] + s["committed"] + s["paid"] + s["fees"] + s["refunds"]
    buckets = {(r["kind"], r["theme"]): r["available"] for r in s["by_restriction"]}
    assert buckets == {("unrestricted", None): Decimal("1968.50"), ("theme", "elderly"): Decimal("0.00")}


def test_funding_trace_shows_sources_in_amounts_and_shares(pool, elderly):
    commitments.commitment_commit(reference="grant:b", amount="800", purpose=Purpose(theme=elderly))
    trace = funding_trace(reference="grant:b")
    assert trace["total"] == Decimal("800.00")
    by_source = {r["source_type"]: (r["amount"], r["share"]) for r in trace["by_source"]}
    assert by_source == {
        "csr": (Decimal("500.00"), Decimal("0.6250")),
        "government": (Decimal("300.00"), Decimal("0.3750")),
    }
    assert sum(r["share"] for r in trace["by_source"]) == 1


def test_funding_trace_never_names_a_donor(pool):
    commitments.commitment_commit(reference="grant:c", amount="2068.50")
    trace = funding_trace(reference="grant:c")
    donations = [lot for lot in trace["lots"] if lot["source_type"] == SourceType.DONATION]
    assert donations and all(lot["funder"] is None for lot in donations)
    assert "张三" not in repr(trace)


def test_funding_trace_counts_paid_money_and_drops_released_money(pool):
    commitments.commitment_commit(reference="grant:d", amount="1500")
    commitments.commitment_disburse(reference="grant:d", amount="900")
    commitments.commitment_release(reference="grant:d", amount="100")
    trace = funding_trace(reference="grant:d")
    assert trace["total"] == Decimal("1400.00")
    assert sum(lot["paid"] for lot in trace["lots"]) == Decimal("900.00")


def test_inflow_usage_lists_the_references_it_reached(pool):
    commitments.commitment_commit(reference="grant:e", amount="700")
    commitments.commitment_commit(reference="grant:f", amount="500")
    usage = inflow_usage(inflow=pool["gov"])
    assert {r["reference"]: r["amount"] for r in usage["reached"]} == {
        "grant:e": Decimal("700.00"),
        "grant:f": Decimal("300.00"),
    }
    assert usage["available"] == 0
    gift_usage = inflow_usage(inflow=pool["gift"])
    assert gift_usage["charged"] == Decimal("1.50")


def test_balances_as_of_a_date_ignore_later_movements(receive, gov, today):
    receive("100", funder=gov, on=today - timedelta(days=5))
    receive("40", funder=gov, on=today - timedelta(days=2))
    earlier = pool_summary_as_of(today - timedelta(days=3))
    assert earlier["received"]["government"] == Decimal("100.00")
    assert earlier["available"] == Decimal("100.00")
    assert pool_summary_as_of(today)["available"] == pool_summary()["available"] == Decimal("140.00")
    assert sum(account_balances_as_of(today).values()) == 0


def test_as_of_summary_counts_pledges_as_they_stood(gov, today):
    pledge = ledger_services.pledge_record(funder=gov, amount="900", pledged_on=today - timedelta(days=20))
    ledger_services.pledge_receive(pledge=pledge, amount="300", received_on=today - timedelta(days=5))
    assert pool_summary_as_of(today - timedelta(days=10))["pledged_outstanding"] == Decimal("900.00")
    assert pool_summary_as_of(today)["pledged_outstanding"] == Decimal("600.00")


def test_restricted_buckets_are_listed_by_kind(receive, gov):
    receive("10", funder=gov, restriction=Restriction(kind=RestrictionKind.CAPACITY))
    receive("20", funder=gov, restriction=Restriction(kind=RestrictionKind.CALL, call_ref="call:7"))
    kinds = [(r["kind"], r["call"]) for r in pool_summary()["by_restriction"]]
    assert kinds == [("call", "call:7"), ("capacity", None)]


def test_pool_summary_reads_the_same_rows_however_many_grants(pool):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    commitments.commitment_commit(reference="grant:q0", amount="10")
    with CaptureQueriesContext(connection) as one_grant:
        pool_summary()
    for i in range(1, 25):
        commitments.commitment_commit(reference=f"grant:q{i}", amount="10")
        commitments.commitment_disburse(reference=f"grant:q{i}", amount="4")
    with CaptureQueriesContext(connection) as many_grants:
        s = pool_summary()
    assert len(many_grants) == len(one_grant)
    assert (s["committed"], s["paid"]) == (Decimal("154.00"), Decimal("96.00"))
