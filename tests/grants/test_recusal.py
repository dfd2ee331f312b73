"""Recusal: a declared conflict needs its reason; the reviewer then sees that they recused (not a
404); staff may reinstate them, with a reason, and the reinstatement is logged."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.models import ModelLogEntry

from grants import transitions
from grants.applications import services as application_services
from grants.common import GrantsError
from grants.lifecycle import Status
from grants.models import Application, ReviewAssignment
from grants.review import services as review_services

from ..factories import ApplicationFactory, CallFactory, UserFactory
from .conftest import put_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def trustee(roles):
    user = UserFactory(username="trustee-r")
    user.groups.add(roles["reviewer"])
    return user


@pytest.fixture
def assignment(staff, trustee):
    application = ApplicationFactory(call=CallFactory(reviewers_per_application=1), summary="只给评审看的项目概述")
    leader = application.group.memberships.get(role="leader").user
    application_services.application_attach(
        application=application,
        user=leader,
        title="预算明细",
        file=SimpleUploadedFile("budget.pdf", b"%PDF-1.4 budget", content_type="application/pdf"),
    )
    application = put_in_state(application, Status.SUBMITTED)
    review_services.review_assign(application=application, reviewers=[trustee], actor=staff)
    return application.review_assignments.get()


def recused(assignment, note="与负责人是表亲"):
    return review_services.review_declare(assignment=assignment, user=assignment.reviewer, conflict=True, note=note)


def test_a_conflict_without_its_reason_is_refused_and_changes_nothing(assignment):
    with pytest.raises(GrantsError, match="关系"):
        recused(assignment, note="   ")
    assignment.refresh_from_db()
    assert not assignment.recused and assignment.declared_at is None


def test_the_declaration_page_asks_for_the_relation_before_recusing(client, assignment):
    client.force_login(assignment.reviewer)
    url = reverse("grants:review_detail", args=[assignment.pk])
    response = client.post(url, {"conflict": "yes", "note": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["note"]
    assignment.refresh_from_db()
    assert not assignment.recused and assignment.declared_at is None


def test_a_recused_reviewer_is_told_so_with_the_reason_instead_of_a_404(client, assignment):
    recused(assignment)
    client.force_login(assignment.reviewer)
    page = client.get(reverse("grants:review_detail", args=[assignment.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "您已声明利益冲突并回避" in html and "与负责人是表亲" in html and "工作人员" in html
    assert "只给评审看的项目概述" not in html  # the application itself stays closed to them
    listing = client.get(reverse("grants:review_list")).content.decode()
    assert assignment.application.title in listing and "已回避" in listing and "与负责人是表亲" in listing


def test_a_recused_reviewer_still_cannot_open_attachments_or_score(client, assignment):
    attachment = assignment.application.attachments.get()
    recused(assignment)
    client.force_login(assignment.reviewer)
    assert client.get(reverse("grants:review_attachment", args=[assignment.pk, attachment.pk])).status_code == 404
    client.post(reverse("grants:review_detail", args=[assignment.pk]), {"recommendation": "fund", "submit": "1"})
    assert not hasattr(ReviewAssignment.objects.get(pk=assignment.pk), "review")


def test_staff_reinstate_a_reviewer_with_a_reason_and_it_is_logged(client, staff, assignment):
    recused(assignment)
    with pytest.raises(GrantsError, match="原因"):
        review_services.review_reinstate(assignment=assignment, actor=staff, reason=" ")
    assert ReviewAssignment.objects.get(pk=assignment.pk).recused

    review_services.review_reinstate(assignment=assignment, actor=staff, reason="表亲关系已断绝多年，不构成冲突")
    assignment.refresh_from_db()
    assert not assignment.recused and assignment.reinstated_by == staff
    assert assignment.conflict_note == "与负责人是表亲"  # the declaration stays on record
    entry = ModelLogEntry.objects.get(action="grants.review_reinstate")
    assert entry.user == staff and entry.object_id == str(assignment.application_id)
    assert entry.data["reason"] == "表亲关系已断绝多年，不构成冲突" and entry.data["reviewer"] == "trustee-r"

    # Staff read it on the application's page and in the site history.
    client.force_login(staff)
    html = client.get(reverse("grants_admin:application", args=[assignment.application_id])).content.decode()
    assert "表亲关系已断绝多年，不构成冲突" in html and "与负责人是表亲" in html
    history = client.get("/admin/reports/site-history/").content.decode()
    assert "评审已恢复" in history and "表亲关系已断绝多年" in history


def test_a_reinstated_reviewer_opens_and_scores_the_application(client, staff, assignment):
    recused(assignment)
    review_services.review_reinstate(assignment=assignment, actor=staff, reason="不构成冲突")
    application = Application.objects.get(pk=assignment.application_id)
    transitions.application_transition(application=application, name="start_review", user=staff)
    client.force_login(assignment.reviewer)
    html = client.get(reverse("grants:review_detail", args=[assignment.pk])).content.decode()
    assert "只给评审看的项目概述" in html and "不构成冲突" in html
    scores = [review_services.ScoreInput(c.pk, c.max_points) for c in application.call.criteria.all()]
    review = review_services.review_save(
        assignment=assignment, user=assignment.reviewer, scores=scores, recommendation="fund", submit=True
    )
    assert review.submitted_at is not None


def test_staff_reinstate_from_the_application_page(client, staff, assignment):
    recused(assignment)
    client.force_login(staff)
    page = reverse("grants_admin:application", args=[assignment.application_id])
    assert reverse("grants_admin:review_reinstate", args=[assignment.pk]) in client.get(page).content.decode()
    response = client.post(reverse("grants_admin:review_reinstate", args=[assignment.pk]), {"reason": "误报"})
    assert response.status_code == 302 and response["Location"] == page
    assert not ReviewAssignment.objects.get(pk=assignment.pk).recused


def test_only_screening_staff_reinstate(finance, assignment):
    recused(assignment)
    for person in (finance, assignment.reviewer):
        with pytest.raises(GrantsError, match="不能恢复"):
            review_services.review_reinstate(assignment=assignment, actor=person, reason="不构成冲突")
    assert ReviewAssignment.objects.get(pk=assignment.pk).recused
    assert not ModelLogEntry.objects.filter(action="grants.review_reinstate").exists()


def test_a_conflict_on_record_elsewhere_is_not_reinstated(staff, trustee, assignment):
    recused(assignment)
    review_services.reviewer_profile_update(user=trustee, related_groups=[assignment.application.group])
    with pytest.raises(GrantsError, match="关联方"):
        review_services.review_reinstate(assignment=assignment, actor=staff, reason="不构成冲突")
    assert ReviewAssignment.objects.get(pk=assignment.pk).recused


def test_reinstating_after_the_review_closed_is_refused(staff, assignment):
    recused(assignment)
    Application.objects.filter(pk=assignment.application_id).update(status=Status.REVIEWED)
    with pytest.raises(GrantsError, match="初审或评审中"):
        review_services.review_reinstate(assignment=assignment, actor=staff, reason="不构成冲突")
    assert ReviewAssignment.objects.get(pk=assignment.pk).recused


def test_the_recusal_itself_is_in_the_audit_log(assignment):
    recused(assignment)
    entry = ModelLogEntry.objects.get(action="grants.review_recuse")
    assert entry.user == assignment.reviewer and entry.data["note"] == "与负责人是表亲"


def test_blind_review_keeps_the_title_back_on_the_recused_page(client, staff, trustee):
    application = put_in_state(ApplicationFactory(call=CallFactory(blind_review=True)), Status.SUBMITTED)
    review_services.review_assign(application=application, reviewers=[trustee], actor=staff)
    assignment = recused(application.review_assignments.get())
    client.force_login(trustee)
    html = client.get(reverse("grants:review_detail", args=[assignment.pk])).content.decode()
    assert "您已声明利益冲突并回避" in html
    assert application.title not in html and application.group.name not in html


def test_the_reinstated_reviewer_is_told_by_email_with_the_reason(
    staff, assignment, mailoutbox, django_capture_on_commit_callbacks
):
    recused(assignment)
    with django_capture_on_commit_callbacks(execute=True):
        review_services.review_reinstate(assignment=assignment, actor=staff, reason="不构成冲突")
    (mail,) = mailoutbox
    assert mail.to == [assignment.reviewer.email] and "不构成冲突" in mail.body
    assert reverse("grants:review_detail", args=[assignment.pk]) in mail.body


def test_a_recusal_the_system_wrote_reads_in_the_reviewers_language(client, assignment):
    """Naming the group as related in the profile recuses with a reason the system writes; it is
    stored as a code, so the reviewer reads it in the language they chose, not the one stored."""
    review_services.reviewer_profile_update(user=assignment.reviewer, related_groups=[assignment.application.group])
    assignment.refresh_from_db()
    assert assignment.recused
    client.force_login(assignment.reviewer)
    url = reverse("grants:review_detail", args=[assignment.pk])
    assert "已申报为关联方" in client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "declared as a related party" in english and "已申报为关联方" not in english
