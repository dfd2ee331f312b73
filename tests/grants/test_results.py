"""Results per call: weighted totals, normalisation (on a worked example), disagreement, ranking,
tiers and the funding suggestion; the page's queries do not grow with the applications."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fundpool.ledger import services as ledger_services
from fundpool.models import SourceType
from grants.lifecycle import Status
from grants.models import Application, Review, ReviewAssignment
from grants.review.selectors import call_results, normalise

from ..factories import ApplicationFactory, CallFactory, UserFactory
from .conftest import put_in_state

pytestmark = pytest.mark.django_db


def test_normalisation_worked_example():
    # R1 is generous in the middle, R2 generous overall, R3 harsh; all three agree A > B > C.
    totals = {
        1: {101: Decimal("80"), 102: Decimal("70"), 103: Decimal("60")},
        2: {101: Decimal("90"), 102: Decimal("85"), 103: Decimal("80")},
        3: {101: Decimal("60"), 102: Decimal("50")},
    }
    n = normalise(totals)
    # Panel mean 71.875, panel SD √174.609375 = 13.2140; R1 SD √(200/3) = 8.1650, R2 √(50/3), R3 5.
    assert n[(1, 101)] == Decimal("88.06") and n[(2, 101)] == Decimal("88.06")
    assert n[(1, 102)] == Decimal("71.88") and n[(2, 102)] == Decimal("71.88")
    assert n[(1, 103)] == Decimal("55.69") and n[(2, 103)] == Decimal("55.69")
    assert n[(3, 101)] == Decimal("85.09") and n[(3, 102)] == Decimal("58.66")


def test_a_reviewer_with_one_review_or_no_spread_keeps_raw_totals():
    n = normalise(
        {1: {1: Decimal("77")}, 2: {1: Decimal("60"), 2: Decimal("60")}, 3: {1: Decimal("90"), 2: Decimal("70")}}
    )
    assert n[(1, 1)] == Decimal("77") and n[(2, 1)] == Decimal("60") and n[(2, 2)] == Decimal("60")


def scored_call(totals, *, call=None, requests=None):
    """Applications reviewed with the given totals: {reviewer_name: [total for app 0, app 1, ...]}."""
    call = call or CallFactory()
    count = max(len(v) for v in totals.values())
    applications = [ApplicationFactory(call=call) for _ in range(count)]
    for i, application in enumerate(applications):
        put_in_state(application, Status.REVIEWED)
        if requests:
            Application.objects.filter(pk=application.pk).update(requested_amount=requests[i])
    for name, values in totals.items():
        reviewer = UserFactory(username=name)
        for application, total in zip(applications, values, strict=False):
            if total is None:
                continue
            assignment = ReviewAssignment.objects.create(
                application=application, reviewer=reviewer, declared_at=timezone.now()
            )
            Review.objects.create(
                assignment=assignment, recommendation="fund", weighted_total=Decimal(total), submitted_at=timezone.now()
            )
    return call, applications


def test_results_rank_by_normalised_mean_flag_disagreement_and_tier(db):
    call, (a, b, c) = scored_call({"r1": [80, 70, 60], "r2": [90, 85, 80], "r3": [60, 50, None]})
    rows = {r.application.pk: r for r in call_results(call=call)}
    assert [r.application.pk for r in sorted(rows.values(), key=lambda r: r.rank)] == [a.pk, b.pk, c.pk]
    assert rows[a.pk].raw_mean == Decimal("76.67") and rows[a.pk].normalised_mean == Decimal("87.07")
    assert rows[b.pk].normalised_mean == Decimal("67.47")
    # On raw means C (70.00) would have ranked above B (68.33): the harsh reviewer skipped C.
    assert rows[c.pk].raw_mean == Decimal("70.00") and rows[b.pk].raw_mean == Decimal("68.33")
    assert (rows[a.pk].disagreement, rows[b.pk].disagreement, rows[c.pk].disagreement) == (True, True, False)
    assert (rows[a.pk].tier, rows[b.pk].tier, rows[c.pk].tier) == ("A", "C", "D")


def pool(amount):
    ledger_services.inflow_record(
        source_type=SourceType.DONATION, amount=Decimal(amount), received_on=timezone.localdate()
    )


def test_the_suggestion_funds_down_the_ranking_within_the_budget(db):
    pool("100000")
    call = CallFactory(budget=Decimal("25000"), max_amount=Decimal("20000"))
    call, (a, b, c) = scored_call(
        {"r1": [90, 80, 70], "r2": [88, 79, 71]},
        call=call,
        requests=[Decimal("10000"), Decimal("20000"), Decimal("10000")],
    )
    rows = {r.application.pk: r for r in call_results(call=call)}
    assert rows[a.pk].suggested and not rows[b.pk].suggested and rows[c.pk].suggested
    assert "资金总额" in str(rows[b.pk].suggestion_note)


def test_the_suggestion_respects_the_money_the_pool_really_has(db):
    pool("12000")
    call, (a, b) = scored_call({"r1": [90, 80], "r2": [88, 79]}, requests=[Decimal("10000"), Decimal("10000")])
    rows = {r.application.pk: r for r in call_results(call=call)}
    assert rows[a.pk].suggested and not rows[b.pk].suggested
    assert "可用资金不足" in str(rows[b.pk].suggestion_note)


def test_results_queries_do_not_grow_with_applications(db):
    small, _ = scored_call({"s1": [80, 70], "s2": [75, 72]})
    big, _ = scored_call(
        {"b1": [80, 70, 60, 65, 90, 55], "b2": [75, 72, 61, 66, 80, 50], "b3": [70, 70, 70, 70, 70, 70]}
    )
    with CaptureQueriesContext(connection) as q_small:
        call_results(call=small)
    with CaptureQueriesContext(connection) as q_big:
        call_results(call=big)
    assert len(q_small) == len(q_big)
