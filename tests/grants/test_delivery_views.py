"""Delivery pages and their users: the group's project page and forms, private files, residents'
feedback with its rate limit, the staff warnings dashboard and the reminders."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from core import ratelimit
from grants import common, transitions
from grants.delivery import feedback as delivery_feedback
from grants.delivery import services as delivery_services
from grants.delivery.selectors import WarningKind, delivery_warnings, feedback_summary
from grants.lifecycle import Status
from grants.models import Activity, Expense, Feedback, FeedbackStatus, ReminderSent
from tests.factories import ApplicationFactory, UserFactory

from .conftest import put_in_state
from .test_delivery import pdf, photo_with_location, report, sign, spend

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(application, staff):
    return sign(put_in_state(application, Status.AWARDED), staff)


@pytest.fixture
def other_project(staff):
    return sign(put_in_state(ApplicationFactory(), Status.AWARDED), staff)


def test_the_group_records_an_activity_and_an_expense_from_its_project_page(client, project, leader):
    client.force_login(leader)
    page = client.get(reverse("grants:project", args=[project.pk]))
    assert page.status_code == 200 and "记录一次活动" in page.content.decode()
    response = client.post(
        reverse("grants:activity_add", args=[project.pk]),
        {
            "held_on": timezone.localdate().isoformat(),
            "title": "端午包粽子",
            "description": "二十位老人一起包粽子。",
            "participants": "20",
            "beneficiaries_reached": "20",
            "photos": [photo_with_location()],
        },
    )
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert activity.photos.count() == 1
    response = client.post(
        reverse("grants:expense_add", args=[project.pk]),
        {
            "budget_line": str(project.budget_lines.first().pk),
            "amount": "320.50",
            "spent_on": timezone.localdate().isoformat(),
            "payee": "社区菜市场",
            "receipt": pdf(),
        },
    )
    assert response.status_code == 302
    assert Expense.objects.get().amount == Decimal("320.50")
    page = client.get(reverse("grants:project", args=[project.pk])).content.decode()
    assert "端午包粽子" in page and "¥320.50" in page
    photo = client.get(reverse("grants:photo", args=[activity.photos.get().pk]))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"


def test_negative_participants_show_a_form_error_and_keep_nothing(client, project, leader):
    client.force_login(leader)
    response = client.post(
        reverse("grants:activity_add", args=[project.pk]),
        {
            "held_on": timezone.localdate().isoformat(),
            "title": "x",
            "description": "y",
            "participants": "-3",
            "beneficiaries_reached": "1",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    errors = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', html, re.S)
    assert errors == ["<li>确保该值大于或等于0。</li>"], errors
    assert not Activity.objects.exists()


def test_an_expense_past_the_tolerance_explains_itself_in_the_form(client, project, leader):
    client.force_login(leader)
    response = client.post(
        reverse("grants:expense_add", args=[project.pk]),
        {
            "budget_line": str(project.budget_lines.order_by("position", "pk")[1].pk),
            "amount": "2500.00",
            "spent_on": timezone.localdate().isoformat(),
            "payee": "餐具店",
            "receipt": pdf(),
        },
    )
    assert response.status_code == 200
    assert "容差" in response.content.decode()
    assert not Expense.objects.exists()


@pytest.mark.parametrize("name", ["grants:project", "grants:activity_add", "grants:expense_add"])
def test_a_group_cannot_open_another_groups_project(client, project, other_project, name):
    client.force_login(other_project.group.memberships.get().user)
    assert client.get(reverse(name, args=[project.pk])).status_code == 404
    assert client.post(reverse(name, args=[project.pk]), {"title": "x"}).status_code == 404


def test_receipts_and_photos_are_private_to_the_group_and_staff(client, project, leader, other_project, staff):
    expense = spend(project, leader, "100.00")
    client.force_login(other_project.group.memberships.get().user)
    assert client.get(reverse("grants:receipt", args=[expense.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("grants:receipt", args=[expense.pk])).status_code == 302  # to sign in
    client.force_login(staff)
    assert client.get(reverse("grants:receipt", args=[expense.pk])).status_code == 200


def test_a_report_form_for_an_unknown_kind_is_404(client, project, leader):
    client.force_login(leader)
    assert client.get(reverse("grants:report_submit", args=[project.pk, "annual"])).status_code == 404


# --- residents' feedback ------------------------------------------------------------------------


def test_residents_rate_a_project_and_see_only_approved_comments(client, project, staff):
    url = reverse("grants:feedback", args=[project.pk])
    assert client.post(url, {"rating": "5", "comment": "饭菜很好吃"}).status_code == 302
    assert (
        client.post(url, {"rating": "3", "comment": "楼下张三的电话是13900000000"}, REMOTE_ADDR="10.0.0.2").status_code
        == 302
    )
    page = client.get(url).content.decode()
    assert "4.0" in page and "饭菜很好吃" not in page  # nothing shown before moderation
    good, bad = Feedback.objects.order_by("pk")
    delivery_feedback.feedback_moderate(feedback=good, actor=staff, approve=True)
    delivery_feedback.feedback_moderate(feedback=bad, actor=staff, approve=False)
    page = client.get(url).content.decode()
    assert "饭菜很好吃" in page and "13900000000" not in page and good.source not in page
    summary = feedback_summary(application=project)
    assert (summary.count, summary.average) == (1, Decimal("5.0"))


@pytest.mark.parametrize("rating", ["0", "6", "", "five"])
def test_a_rating_outside_1_to_5_is_refused(client, project, rating):
    response = client.post(reverse("grants:feedback", args=[project.pk]), {"rating": rating})
    assert response.status_code == 400
    assert not Feedback.objects.exists()


def test_feedback_is_rate_limited_per_sender(client, project):
    url = reverse("grants:feedback", args=[project.pk])
    for _ in range(ratelimit.LIMITS["feedback"].per_item):
        assert client.post(url, {"rating": "5"}).status_code == 302
    response = client.post(url, {"rating": "1"})
    assert response.status_code == 429 and "稍后" in response.content.decode()
    assert Feedback.objects.count() == ratelimit.LIMITS["feedback"].per_item
    assert client.post(url, {"rating": "4"}, REMOTE_ADDR="10.9.9.9").status_code == 302


def test_a_forged_forwarded_for_header_does_not_escape_the_limit(client, project, settings):
    url = reverse("grants:feedback", args=[project.pk])
    for i in range(ratelimit.LIMITS["feedback"].per_item):
        assert client.post(url, {"rating": "1"}, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code == 302
    assert client.post(url, {"rating": "1"}, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429
    # Behind one trusted proxy, the address it appended is the sender's, whatever came before it.
    settings.TRUSTED_PROXY_HOPS = 1
    for i in range(ratelimit.LIMITS["feedback"].per_item):
        forged = f"10.0.0.{i}, 192.0.2.50"
        assert client.post(url, {"rating": "2"}, HTTP_X_FORWARDED_FOR=forged).status_code == 302
    assert client.post(url, {"rating": "2"}, HTTP_X_FORWARDED_FOR="10.9.9.9, 192.0.2.50").status_code == 429


def test_projects_not_under_way_take_no_feedback(client, application):
    assert client.get(reverse("grants:feedback", args=[application.pk])).status_code == 404


def test_the_qr_code_points_at_the_feedback_page(client, project):
    response = client.get(reverse("grants:feedback_qr", args=[project.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")


# --- warnings and reminders -----------------------------------------------------------------------


def test_the_warnings_name_each_problem_and_link_to_its_project(project, leader, staff):
    from grants.models import Application

    spend(project, leader, "2000.00", line=1)
    spend(project, leader, "400.00", line=1, reason="加购保温箱")
    today = timezone.localdate()
    later = today + timedelta(days=100)  # mid-term report (90 days) overdue, nothing done for 100 days
    found = delivery_warnings(today=later)
    kinds = {w.kind for w in found if w.application.pk == project.pk}
    assert {WarningKind.OVERSPENT, WarningKind.REPORT_OVERDUE, WarningKind.INACTIVE, WarningKind.SPEND_BEHIND} <= kinds
    assert all(w.url == reverse("grants_admin:application", args=[project.pk]) for w in found)
    report(project, leader, "midterm")
    Application.objects.filter(pk=project.pk).update(status=Status.IN_DELIVERY)
    assert WarningKind.REPORT_OVERDUE not in {w.kind for w in delivery_warnings(today=later)}
    assert not delivery_warnings(today=today + timedelta(days=5)) or all(
        w.kind == WarningKind.OVERSPENT for w in delivery_warnings(today=today + timedelta(days=5))
    )


def test_a_due_unpaid_tranche_is_a_warning(project, leader, staff):
    from grants.models import Tranche, TrancheStatus

    Tranche.objects.filter(application=project, number=2).update(status=TrancheStatus.DUE)
    assert [w.kind for w in delivery_warnings()] == [WarningKind.TRANCHE_DUE]


def test_the_warnings_take_a_fixed_number_of_queries(project, staff, django_assert_max_num_queries):
    for _ in range(5):
        sign(put_in_state(ApplicationFactory(), Status.AWARDED), staff)
    with django_assert_max_num_queries(7):
        delivery_warnings(today=timezone.localdate() + timedelta(days=100))


def test_the_staff_dashboard_lists_the_warnings(client, project, staff):
    client.force_login(staff)
    page = client.get(reverse("grants_admin:warnings")).content.decode()
    assert "交付预警" in page


def test_the_group_cannot_see_the_staff_dashboard(client, project, leader):
    client.force_login(leader)
    assert client.get(reverse("grants_admin:warnings")).status_code in (302, 403)


def test_send_reminders_emails_the_group_and_staff_once_a_day(
    project, leader, staff, django_capture_on_commit_callbacks
):
    from grants.models import Application

    Application.objects.filter(pk=project.pk).update(midterm_due_on=timezone.localdate() - timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders")
    to = {m.to[0]: m for m in mail.outbox}
    assert leader.email in to and staff.email in to
    assert "中期报告" in to[leader.email].body and project.title in to[leader.email].body
    sent = ReminderSent.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders")
    assert ReminderSent.objects.count() == sent and len(mail.outbox) == len(to)


# --- staff actions in the admin ----------------------------------------------------------------


def test_finance_pays_a_due_tranche_from_the_project_page(client, project, finance):
    from grants.models import Tranche, TrancheStatus

    tranche = Tranche.objects.get(application=project, number=2)
    Tranche.objects.filter(pk=tranche.pk).update(status=TrancheStatus.DUE)
    client.force_login(finance)
    page = client.get(reverse("grants_admin:application", args=[project.pk])).content.decode()
    assert 'name="payment_reference"' in page
    client.post(reverse("grants_admin:tranche_pay", args=[tranche.pk]), {"payment_reference": "ICBC-2026-001"})
    tranche.refresh_from_db()
    assert (tranche.status, tranche.payment_reference) == (TrancheStatus.PAID, "ICBC-2026-001")


def test_staff_evaluate_the_final_report_from_the_admin(client, project, leader, staff):
    from grants.models import Application, ProjectReport

    spend(project, leader, "7000.00")
    mid = report(project, leader, "midterm")
    client.force_login(staff)
    client.post(reverse("grants_admin:report_evaluate", args=[mid.pk]), {"score": "80", "decision": "accept"})
    final = report(project, leader, "final")
    response = client.post(
        reverse("grants_admin:report_evaluate", args=[final.pk]), {"score": "150", "decision": "accept"}, follow=True
    )
    assert ProjectReport.objects.get(pk=final.pk).status == "submitted"
    assert "100" in response.content.decode()
    client.post(reverse("grants_admin:report_evaluate", args=[final.pk]), {"score": "92", "decision": "accept"})
    assert Application.objects.get(pk=project.pk).status == Status.COMPLETED


def test_a_stranger_cannot_use_the_admin_actions(client, project, leader):
    from grants.models import Tranche

    client.force_login(UserFactory())
    tranche = Tranche.objects.get(application=project, number=2)
    response = client.post(reverse("grants_admin:tranche_pay", args=[tranche.pk]), {"payment_reference": "X"})
    assert response.status_code in (302, 403)
    assert Tranche.objects.get(pk=tranche.pk).payment_reference is None


def test_feedback_moderation_is_for_staff_only(project, leader):
    item = delivery_feedback.feedback_submit(application=project, rating=4, comment="好", source="x")
    with pytest.raises(common.GrantsError):
        delivery_feedback.feedback_moderate(feedback=item, actor=leader, approve=True)
    assert Feedback.objects.get(pk=item.pk).status == FeedbackStatus.PENDING


# --- trustees ------------------------------------------------------------------------------------


def test_a_trustee_who_reviewed_the_project_evaluates_its_report(client, project, leader, roles):
    from grants.models import ProjectReport, ReviewAssignment

    trustee, outsider, recused = (UserFactory() for _ in range(3))
    for user in (trustee, outsider, recused):
        user.groups.add(roles["reviewer"])
    ReviewAssignment.objects.create(application=project, reviewer=trustee)
    ReviewAssignment.objects.create(application=project, reviewer=recused, recused=True)
    mid = report(project, leader, "midterm")
    url = reverse("grants:trustee_report", args=[mid.pk])

    for user in (outsider, recused):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"score": "90", "decision": "accept"}).status_code == 404
        with pytest.raises(common.GrantsError):
            delivery_services.report_evaluate(report=mid, actor=user, score="90", comment="", accept=True)
    assert ProjectReport.objects.get(pk=mid.pk).status == "submitted"

    client.force_login(trustee)
    assert "中期报告" in client.get(reverse("grants:review_list")).content.decode()
    response = client.post(url, {"score": "78.5", "comment": "请补充受益人名单", "decision": "return"})
    assert response.status_code == 302
    mid.refresh_from_db()
    assert (mid.status, mid.score, mid.evaluated_by) == ("returned", Decimal("78.50"), trustee)


def test_a_trustee_accepting_the_final_report_completes_the_project(project, leader, staff, roles):
    from django.contrib.contenttypes.models import ContentType
    from django_fsm_log.models import StateLog

    from grants.models import Application, ReviewAssignment

    trustee = UserFactory()
    trustee.groups.add(roles["reviewer"])
    ReviewAssignment.objects.create(application=project, reviewer=trustee)
    spend(project, leader, "7000.00")
    delivery_services.report_evaluate(
        report=report(project, leader, "midterm"), actor=trustee, score="80", comment="", accept=True
    )
    final = report(project, leader, "final")
    delivery_services.report_evaluate(report=final, actor=trustee, score="88", comment="", accept=True)
    assert Application.objects.get(pk=project.pk).status == Status.COMPLETED
    log = StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Application), object_id=project.pk
    ).latest("timestamp")
    assert (log.transition, log.by) == ("accept_report", trustee)


def test_the_evaluated_shortcut_is_not_a_way_around_permissions(project, leader):
    with pytest.raises(common.GrantsError):
        transitions.application_transition(
            application=project, name="terminate", user=leader, reason="x", evaluated=True
        )


def test_staff_terminate_from_the_admin_and_may_set_the_amount_owed(client, project, staff):
    from grants.models import Application, Recovery

    client.force_login(staff)
    page = client.get(reverse("grants_admin:application", args=[project.pk])).content.decode()
    assert 'name="recovery_amount"' in page
    client.post(
        reverse("grants_admin:application_step", args=[project.pk, "terminate"]),
        {"reason": "负责人搬离社区", "recovery_amount": "1000.00"},
    )
    assert Application.objects.get(pk=project.pk).status == Status.TERMINATED
    assert Recovery.objects.get(application=project).amount_owed == Decimal("1000.00")


def test_a_report_form_that_cannot_be_sent_says_why_before_it_is_filled_in(client, project, leader):
    client.force_login(leader)
    response = client.get(reverse("grants:report_submit", args=[project.pk, "final"]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("grants:project", args=[project.pk])
    assert "须先通过中期报告" in response.content.decode()
    assert client.get(reverse("grants:report_submit", args=[project.pk, "midterm"])).status_code == 200
