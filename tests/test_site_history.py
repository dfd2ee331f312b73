"""The admin's site history (Reports → Site history) with every kind of object our services log:
it opens for the administrator and for staff, links each entry to a page that exists, and shows
staff the decisions they and their colleagues took on objections, expenses, reports and feedback."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from fundpool.ledger import services as ledger_services
from fundpool.models import SourceType
from grants import transitions
from grants.award import services as award_services
from grants.delivery import feedback as delivery_feedback
from grants.delivery import services as delivery_services
from grants.groups import services as group_services
from grants.lifecycle import Status
from grants.models import Application, Expense, ExpenseStatus, Feedback, ProjectReport, ReportKind
from tests.factories import ApplicationFactory, GroupFactory, UserFactory
from tests.grants.conftest import put_in_state

pytestmark = pytest.mark.django_db

HISTORY = "/admin/reports/site-history/"
RESULTS = "/admin/reports/site-history/results/"


def pdf(name):
    return SimpleUploadedFile(
        name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="application/pdf"
    )


@pytest.fixture
def logged(staff, finance, gov):
    """One logged action of each kind, by the people who take them."""
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    w = {}
    w["inflow"] = ledger_services.inflow_record(
        source_type=SourceType.GOVERNMENT, funder=gov, amount=Decimal("80000.00"), received_on=yesterday, actor=finance
    )
    ledger_services.inflow_attach_document(inflow=w["inflow"], title="拨款通知", file=pdf("notice.pdf"), actor=staff)
    w["pledge"] = ledger_services.pledge_record(
        funder=gov, amount=Decimal("5000.00"), pledged_on=yesterday, actor=staff
    )
    ledger_services.pledge_cancel(pledge=w["pledge"], reason="对方撤回", actor=staff)
    spare = ledger_services.inflow_record(
        source_type=SourceType.DONATION, amount=Decimal("10.00"), received_on=yesterday, actor=finance
    )
    w["entry"] = spare.entry
    ledger_services.entry_reverse(entry=spare.entry, reason="重复录入", actor=finance)

    w["group"] = GroupFactory(filing_status="pending", filing_number="", filed_on=None)
    group_services.group_file(group=w["group"], filing_number="HIST-001", filed_on=yesterday, actor=staff)

    w["returned"] = put_in_state(ApplicationFactory(), Status.SUBMITTED)
    transitions.application_transition(
        application=w["returned"], name="return_for_changes", user=staff, reason="补预算"
    )

    on_notice = put_in_state(ApplicationFactory(), Status.ON_NOTICE)
    Application.objects.filter(pk=on_notice.pk).update(
        notice_starts_at=timezone.now(), notice_ends_at=timezone.now() + timedelta(days=7)
    )
    filed = award_services.objection_submit(application=on_notice, name="张三", contact="13900000000", text="有异议")
    w["objection"] = award_services.objection_verify(objection=filed.objection, actor=staff, code=filed.code)
    award_services.objection_resolve(objection=w["objection"], actor=staff, uphold=False, reason="查无实据")

    project = transitions.application_transition(
        application=put_in_state(ApplicationFactory(), Status.AWARDED),
        name="sign_agreement",
        user=staff,
        signed_on=today,
    )
    owner = project.group.memberships.get(role="leader").user
    w["expense"] = delivery_services.expense_record(
        application=project,
        user=owner,
        budget_line=project.budget_lines.first(),
        amount="100.00",
        spent_on=today,
        payee="社区菜市场",
        receipt=pdf("receipt.pdf"),
    )
    Expense.objects.filter(pk=w["expense"].pk).update(status=ExpenseStatus.PENDING)  # as if beyond tolerance
    delivery_services.expense_decide(expense=w["expense"], actor=staff, approve=True, note="超支合理")
    w["report"] = ProjectReport.objects.create(
        application=project, kind=ReportKind.MIDTERM, outcomes="按计划进行", beneficiaries_reached=10
    )
    delivery_services.report_evaluate(report=w["report"], actor=staff, score="80", comment="按计划", accept=True)
    w["feedback"] = Feedback.objects.create(application=project, rating=4, comment="很好", source="history-test")
    delivery_feedback.feedback_moderate(feedback=w["feedback"], actor=staff, approve=True)
    return w


# What each kind of decision reads as in the history (the label of its action).
DECISIONS = {
    "grants.objection_resolve": "异议已处理",
    "grants.expense_decide": "支出已审核",
    "grants.report_evaluate": "报告已评估",
    "grants.feedback_moderate": "反馈已审核",
}
EVERYTHING = {
    **DECISIONS,
    "fund.entry_post": "记账分录已过账",
    "fund.inflow_document": "已附加资金来源文件",
    "fund.pledge_record": "认捐已登记",
    "grants.group_file": "小组已备案",
    "grants.transition": "申报状态已变更",
}


def test_every_kind_of_object_is_logged(logged):
    actions = set(ModelLogEntry.objects.values_list("action", flat=True))
    assert set(EVERYTHING) | {"fund.entry_reverse", "fund.pledge_cancel"} <= actions


def test_the_administrator_opens_the_site_history_with_every_kind_of_entry(client, logged):
    admin = UserFactory(username="root-admin", is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert client.get(HISTORY).status_code == 200
    results = client.get(RESULTS).content.decode()
    for action, label in EVERYTHING.items():
        assert label in results, action
    # Ledger rows have no edit page: they link to where they can be read.
    assert reverse("journalentry:inspect", args=[logged["entry"].pk]) in results
    assert reverse("inflow:inspect", args=[logged["inflow"].pk]) in results
    assert reverse("pledge:inspect", args=[logged["pledge"].pk]) in results
    assert reverse("grants_admin:application", args=[logged["returned"].pk]) in results


def test_staff_see_the_decisions_on_objections_expenses_reports_and_feedback(client, staff, logged):
    client.force_login(staff)
    assert client.get(HISTORY).status_code == 200
    results = client.get(RESULTS).content.decode()
    for action, label in EVERYTHING.items():
        assert label in results, action
    # Each decision links to the application it belongs to, where staff read and take it.
    for key in ("objection", "expense", "report", "feedback"):
        application_id = logged[key].application_id
        assert reverse("grants_admin:application", args=[application_id]) in results, key
    # The person who objected stays out of the history.
    assert "张三" not in results and "13900000000" not in results


def test_finance_see_the_expense_decisions_they_share(client, finance, logged):
    client.force_login(finance)
    results = client.get(RESULTS).content.decode()
    assert client.get(HISTORY).status_code == 200
    assert DECISIONS["grants.expense_decide"] in results and EVERYTHING["fund.entry_post"] in results
