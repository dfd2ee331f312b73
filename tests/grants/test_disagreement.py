"""Reviewers who disagree beyond the call's threshold hold the review open for staff: it does not
close by itself, staff see why, close it themselves, and the suggestion leaves the decision to them."""

from decimal import Decimal

import pytest
from django.urls import reverse

from grants import review_rules, transitions
from grants.lifecycle import Status
from grants.models import Application
from grants.review import services as review_services
from grants.review.selectors import call_results, call_suggestion
from grants.review.services import ScoreInput

from ..factories import ApplicationFactory, CallFactory, UserFactory
from .conftest import put_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def panel(roles):
    people = []
    for name in ("trustee-x", "trustee-y"):
        user = UserFactory(username=name)
        user.groups.add(roles["reviewer"])
        people.append(user)
    return people


def reviewed(staff, panel, fractions, threshold="20"):
    """An application both reviewers scored, each at `fraction` of full marks (1 → 100 points)."""
    application = ApplicationFactory(call=CallFactory(disagreement_threshold=Decimal(threshold)))
    put_in_state(application, Status.SUBMITTED)
    review_services.review_assign(application=application, reviewers=panel, actor=staff)
    transitions.application_transition(application=application, name="start_review", user=staff)
    criteria = list(application.call.criteria.all())
    for reviewer, fraction in zip(panel, fractions, strict=True):
        assignment = application.review_assignments.get(reviewer=reviewer)
        review_services.review_declare(assignment=assignment, user=reviewer, conflict=False)
        review_services.review_save(
            assignment=assignment,
            user=reviewer,
            scores=[ScoreInput(c.pk, (c.max_points * Decimal(fraction)).quantize(Decimal("0.01"))) for c in criteria],
            recommendation="fund",
            submit=True,
        )
    return Application.objects.get(pk=application.pk)


def test_a_50_point_disagreement_holds_the_review_open(staff, panel):
    application = reviewed(staff, panel, ["1", "0.5"])
    assert application.status == Status.IN_REVIEW
    (row,) = call_results(call=application.call)
    assert row.disagreement and row.spread == Decimal("50.00") and row.held


def test_the_flag_and_the_hold_agree_at_the_threshold(staff, panel):
    at_threshold = reviewed(staff, panel, ["1", "0.8"])  # 100 and 80: exactly 20 apart
    assert at_threshold.status == Status.REVIEWED
    assert not call_results(call=at_threshold.call)[0].disagreement
    beyond = reviewed(staff, panel, ["1", "0.79"])  # 100 and 79: 21 apart
    assert beyond.status == Status.IN_REVIEW
    assert call_results(call=beyond.call)[0].disagreement
    assert not review_rules.reviewers_disagree([Decimal("100"), Decimal("80")], Decimal("20"))
    assert review_rules.reviewers_disagree([Decimal("100"), Decimal("79")], Decimal("20"))
    assert not review_rules.reviewers_disagree([], Decimal("20"))


def test_staff_see_why_the_review_is_held(client, staff, panel):
    application = reviewed(staff, panel, ["1", "0.5"])
    client.force_login(staff)
    results = client.get(reverse("grants_admin:call_results", args=[application.call_id])).content.decode()
    assert "评审意见分歧过大，评审保持开放" in results and "50.00" in results
    page = client.get(reverse("grants_admin:application", args=[application.pk])).content.decode()
    assert "评审意见分歧过大，评审保持开放" in page and "50.00" in page
    assert reverse("grants_admin:application_step", args=[application.pk, "close_review"]) in page


def test_staff_close_a_held_review_and_the_suggestion_leaves_the_decision_to_them(client, staff, panel, pool_money):
    application = reviewed(staff, panel, ["1", "0.5"])
    client.force_login(staff)
    client.post(
        reverse("grants_admin:application_step", args=[application.pk, "close_review"]),
        {"reason": "已与两位评审沟通，分歧在于预算"},
    )
    application = Application.objects.get(pk=application.pk)
    assert application.status == Status.REVIEWED
    suggestion = call_suggestion(call=application.call)[application.pk]
    assert not suggestion.funded and suggestion.undecided and "待工作人员决定" in suggestion.note
    page = client.get(reverse("grants_admin:application", args=[application.pk])).content.decode()
    assert "排序建议: 待工作人员决定" in page and "排序建议: 资助" not in page
    results = client.get(reverse("grants_admin:call_results", args=[application.call_id])).content.decode()
    assert "待工作人员决定" in results


def test_an_agreed_review_is_still_suggested_for_funding(staff, panel, pool_money):
    application = reviewed(staff, panel, ["0.9", "0.85"])
    assert application.status == Status.REVIEWED
    suggestion = call_suggestion(call=application.call)[application.pk]
    assert suggestion.funded and not suggestion.undecided
