"""Reviewers: conflicts of interest, assignment, declaration, scoring, blind review, closing."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from grants import transitions
from grants.applications import services as application_services
from grants.common import GrantsError
from grants.lifecycle import Status
from grants.models import Application, Review, ReviewAssignment
from grants.review import services as review_services
from grants.review.services import ScoreInput

from ..factories import ApplicationFactory, CallFactory, UserFactory
from .conftest import put_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def panel(roles):
    people = []
    for name in ("trustee-a", "trustee-b", "trustee-c"):
        user = UserFactory(username=name)
        user.groups.add(roles["reviewer"])
        people.append(user)
    return people


def in_review(application, staff, reviewers):
    put_in_state(application, Status.SUBMITTED)
    review_services.review_assign(application=application, reviewers=reviewers, actor=staff)
    transitions.application_transition(application=application, name="start_review", user=staff)
    for a in application.review_assignments.all():
        review_services.review_declare(assignment=a, user=a.reviewer, conflict=False)
    return Application.objects.get(pk=application.pk)


def full_marks(application, fraction=Decimal("1")):
    return [
        ScoreInput(c.pk, (c.max_points * fraction).quantize(Decimal("0.01"))) for c in application.call.criteria.all()
    ]


def test_a_reviewer_related_to_the_group_is_never_assigned(staff, panel):
    application = ApplicationFactory()
    put_in_state(application, Status.SUBMITTED)
    review_services.reviewer_profile_update(user=panel[0], related_groups=[application.group])
    with pytest.raises(GrantsError, match="关联方"):
        review_services.review_assign(application=application, reviewers=[panel[0]], actor=staff)
    assert not application.review_assignments.exists()


def test_automatic_assignment_balances_the_load_and_skips_conflicts(staff, panel):
    call = CallFactory(reviewers_per_application=2)
    applications = [ApplicationFactory(call=call) for _ in range(3)]
    for a in applications:
        put_in_state(a, Status.SUBMITTED)
    review_services.reviewer_profile_update(user=panel[2], related_groups=[applications[0].group])
    made = review_services.review_autoassign(call=call, actor=staff)
    assert made == 6
    loads = [ReviewAssignment.objects.filter(reviewer=r).count() for r in panel]
    assert sorted(loads) == [2, 2, 2]
    assert not ReviewAssignment.objects.filter(application=applications[0], reviewer=panel[2]).exists()


def test_automatic_assignment_refuses_when_reviewers_run_short(staff, panel):
    call = CallFactory(reviewers_per_application=4)
    application = ApplicationFactory(call=call)
    put_in_state(application, Status.SUBMITTED)
    with pytest.raises(GrantsError, match="足够"):
        review_services.review_autoassign(call=call, actor=staff)
    assert not ReviewAssignment.objects.exists()


def test_declaring_a_conflict_recuses_and_hides_the_application(client, staff, panel):
    application = ApplicationFactory(summary="只给评审看的项目概述")
    put_in_state(application, Status.SUBMITTED)
    review_services.review_assign(application=application, reviewers=panel, actor=staff)
    assignment = application.review_assignments.get(reviewer=panel[0])
    client.force_login(panel[0])
    client.post(reverse("grants:review_detail", args=[assignment.pk]), {"conflict": "yes", "note": "表亲"})
    assignment.refresh_from_db()
    assert assignment.recused and assignment.conflict_note == "表亲"
    # The page says they recused (tests/grants/test_recusal.py), and keeps the application closed.
    page = client.get(reverse("grants:review_detail", args=[assignment.pk]))
    assert page.status_code == 200 and "只给评审看的项目概述" not in page.content.decode()


def test_a_reviewer_cannot_open_or_score_what_is_not_theirs(client, staff, panel):
    application = in_review(ApplicationFactory(), staff, panel[:2])
    other = application.review_assignments.get(reviewer=panel[0])
    client.force_login(panel[2])
    assert client.get(reverse("grants:review_detail", args=[other.pk])).status_code == 404
    assert client.post(reverse("grants:review_detail", args=[other.pk]), {"submit": "1"}).status_code == 404
    with pytest.raises(GrantsError, match="没有此评审"):
        review_services.review_save(
            assignment=other, user=panel[2], scores=full_marks(application), recommendation="fund", submit=True
        )
    assert not Review.objects.filter(assignment=other).exists()


def test_scores_must_be_within_each_maximum_and_complete_to_submit(staff, panel):
    application = in_review(ApplicationFactory(), staff, panel[:2])
    assignment = application.review_assignments.get(reviewer=panel[0])
    first = application.call.criteria.first()
    with pytest.raises(GrantsError, match="0 至 10"):
        review_services.review_save(
            assignment=assignment, user=panel[0], scores=[ScoreInput(first.pk, Decimal("11"))], recommendation="fund"
        )
    with pytest.raises(GrantsError, match="请为"):
        review_services.review_save(
            assignment=assignment,
            user=panel[0],
            scores=[ScoreInput(first.pk, Decimal("8"))],
            recommendation="fund",
            submit=True,
        )
    draft = review_services.review_save(
        assignment=assignment, user=panel[0], scores=[ScoreInput(first.pk, Decimal("8"))], recommendation="fund"
    )
    assert draft.submitted_at is None and draft.weighted_total == Decimal("20.00")  # 8/10 × weight 25


def test_the_weighted_total_of_full_marks_is_100(staff, panel):
    application = in_review(ApplicationFactory(), staff, panel[:2])
    review = review_services.review_save(
        assignment=application.review_assignments.get(reviewer=panel[0]),
        user=panel[0],
        scores=full_marks(application),
        recommendation="fund",
        submit=True,
    )
    assert review.weighted_total == Decimal("100.00")


def test_the_review_closes_itself_when_the_last_review_is_in_and_then_freezes(staff, panel):
    application = in_review(ApplicationFactory(), staff, panel[:2])
    a, b = application.review_assignments.order_by("pk")
    review_services.review_save(
        assignment=a, user=a.reviewer, scores=full_marks(application), recommendation="fund", submit=True
    )
    assert Application.objects.get(pk=application.pk).status == Status.IN_REVIEW
    review_services.review_save(
        assignment=a,
        user=a.reviewer,
        scores=full_marks(application, Decimal("0.9")),
        recommendation="fund",
        submit=True,
    )  # editable while review is open (and 90 against 100 is within the call's disagreement threshold)
    review_services.review_save(
        assignment=b, user=b.reviewer, scores=full_marks(application), recommendation="fund", submit=True
    )
    assert Application.objects.get(pk=application.pk).status == Status.REVIEWED
    with pytest.raises(GrantsError, match="不在评审中"):
        review_services.review_save(
            assignment=a, user=a.reviewer, scores=full_marks(application), recommendation="fund"
        )


def test_blind_review_hides_who_applied(client, staff, panel):
    application = ApplicationFactory(call=CallFactory(blind_review=True), team="王芳、李强")
    leader = application.group.memberships.get(role="leader").user
    hidden = application_services.application_attach(
        application=application,
        user=leader,
        identifying=True,
        file=SimpleUploadedFile("成员名单.pdf", b"%PDF-1.4 names", content_type="application/pdf"),
    )
    shown = application_services.application_attach(
        application=application,
        user=leader,
        file=SimpleUploadedFile("预算.pdf", b"%PDF-1.4 budget", content_type="application/pdf"),
    )
    application = in_review(application, staff, panel[:2])
    assignment = application.review_assignments.get(reviewer=panel[0])
    client.force_login(panel[0])
    html = client.get(reverse("grants:review_detail", args=[assignment.pk])).content.decode()
    assert application.group.name not in html and "王芳" not in html and "13800000000" not in html
    assert "预算.pdf" in html and "成员名单.pdf" not in html
    assert client.get(reverse("grants:review_attachment", args=[assignment.pk, hidden.pk])).status_code == 404
    assert client.get(reverse("grants:review_attachment", args=[assignment.pk, shown.pk])).status_code == 200


def test_a_reviewer_sees_only_their_own_scores(client, staff, panel):
    application = in_review(ApplicationFactory(), staff, panel[:2])
    a, b = application.review_assignments.order_by("pk")
    review_services.review_save(
        assignment=a,
        user=a.reviewer,
        scores=full_marks(application, Decimal("0.3")),
        recommendation="do_not_fund",
        comment_for_staff="资金用途不清",
        submit=True,
    )
    client.force_login(b.reviewer)
    html = client.get(reverse("grants:review_detail", args=[b.pk])).content.decode()
    assert "资金用途不清" not in html and "30.00" not in html


def test_declaring_a_relation_later_recuses_from_existing_assignments(staff, panel):
    application = ApplicationFactory()
    put_in_state(application, Status.SUBMITTED)
    review_services.review_assign(application=application, reviewers=[panel[0]], actor=staff)
    review_services.reviewer_profile_update(user=panel[0], related_groups=[application.group])
    assert application.review_assignments.get(reviewer=panel[0]).recused


def test_a_conflict_declared_once_keeps_the_reviewer_off_the_groups_other_applications(staff, panel):
    call = CallFactory(reviewers_per_application=1)
    first = ApplicationFactory(call=call)
    second = ApplicationFactory(call=call, group=first.group)
    for a in (first, second):
        put_in_state(a, Status.SUBMITTED)
    review_services.review_assign(application=first, reviewers=[panel[0]], actor=staff)
    review_services.review_declare(assignment=first.review_assignments.get(), user=panel[0], conflict=True, note="亲属")
    with pytest.raises(GrantsError, match="此前已声明"):
        review_services.review_assign(application=second, reviewers=[panel[0]], actor=staff)
    review_services.review_autoassign(call=call, actor=staff)
    assert not second.review_assignments.filter(reviewer=panel[0]).exists()


def test_before_review_starts_the_sheet_says_so(client, staff, panel):
    application = ApplicationFactory()
    put_in_state(application, Status.SUBMITTED)
    review_services.review_assign(application=application, reviewers=[panel[0]], actor=staff)
    assignment = application.review_assignments.get()
    review_services.review_declare(assignment=assignment, user=panel[0], conflict=False)
    client.force_login(panel[0])
    html = client.get(reverse("grants:review_detail", args=[assignment.pk])).content.decode()
    assert "评审尚未开始" in html and "评审已结束" not in html
