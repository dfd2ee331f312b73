"""Delivery and reporting: tranches, activities and photos, expenses against budget lines, reports and
their evaluation, settlement at the final report, termination and money paid back."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from fundpool.ledger.selectors import commitment_balances, pool_summary
from fundpool.ledger.verify import verify
from fundpool.models import Inflow, SourceType
from grants import transitions
from grants.common import GrantsError
from grants.delivery import payments as delivery_payments
from grants.delivery import services as delivery_services
from grants.lifecycle import Status
from grants.models import (
    Activity,
    Application,
    CallTranche,
    Expense,
    ExpenseStatus,
    Outcome,
    ProjectReport,
    Recovery,
    RecoveryStatus,
    ReportStatus,
    Tranche,
    TrancheStatus,
)

from .conftest import put_in_state

pytestmark = pytest.mark.django_db

D = Decimal


def pdf(name="receipt.pdf", size=None):
    body = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    if size:
        body = body + b"0" * (size - len(body))
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def photo_with_location(width=3000, height=2000):
    """A phone photo: EXIF with the camera, an orientation and a GPS position."""
    image = Image.new("RGB", (width, height), "red")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0112] = 6  # taken rotated: shown turned 90°
    exif[0x8825] = {1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (120.0, 10.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return SimpleUploadedFile("IMG_0001.jpg", out.getvalue(), content_type="image/jpeg")


def sign(application, staff, signed_on=None):
    return transitions.application_transition(
        application=application, name="sign_agreement", user=staff, signed_on=signed_on or timezone.localdate()
    )


@pytest.fixture
def project(application, staff):
    """¥9,000 awarded (budget lines 午餐食材 ¥8,000 and 餐具 ¥2,000), 60/40 tranches, signed today."""
    application = put_in_state(application, Status.AWARDED)
    return sign(application, staff)


def spend(project, leader, amount, line=0, reason="", **kw):
    return delivery_services.expense_record(
        application=project,
        user=leader,
        budget_line=list(project.budget_lines.all())[line],
        amount=amount,
        spent_on=kw.get("spent_on", timezone.localdate()),
        payee=kw.get("payee", "社区菜市场"),
        receipt=kw.get("receipt") or pdf(),
        over_tolerance_reason=reason,
    )


def report(project, leader, kind, **kw):
    return delivery_services.report_submit(
        application=project,
        user=leader,
        kind=kind,
        outcomes=kw.get("outcomes", "按计划每周供餐三次。"),
        beneficiaries_reached=kw.get("beneficiaries_reached", 40),
        story="张阿姨说午餐让她不再孤单。",
        lessons="志愿者排班要提前。",
    )


def accept(report_obj, staff, score="85"):
    return delivery_services.report_evaluate(report=report_obj, actor=staff, score=score, comment="", accept=True)


# --- tranches ---------------------------------------------------------------------------------


def test_signing_plans_the_tranches_pays_the_first_and_sets_report_dates(project):
    first, last = project.tranches.order_by("number")
    assert (first.status, first.amount, first.paid_amount) == (TrancheStatus.PAID, D("5400.00"), D("5400.00"))
    assert (last.status, last.amount, last.trigger) == (TrancheStatus.PLANNED, D("3600.00"), "final")
    today = timezone.localdate()
    assert project.midterm_due_on == today + timedelta(days=90)
    assert project.final_due_on == today + timedelta(days=180)
    assert commitment_balances(reference=project.reference)["paid"] == D("5400.00")


def test_a_tranche_whose_trigger_has_not_happened_cannot_be_paid(project, finance):
    last = project.tranches.get(number=2)
    with pytest.raises(GrantsError, match="结项报告"):
        delivery_payments.tranche_pay(tranche=last, actor=finance, payment_reference="BANK-001")
    last.refresh_from_db()
    assert last.status == TrancheStatus.PLANNED and last.payment_reference is None
    assert commitment_balances(reference=project.reference)["paid"] == D("5400.00")


def test_the_mid_term_tranche_is_paid_by_finance_once_the_report_is_accepted(application, staff, finance, leader):
    call = application.call
    call.tranches.all().delete()
    for i, (share, trigger) in enumerate([(50, "signing"), (30, "midterm"), (20, "final")]):
        CallTranche.objects.create(call=call, share=share, trigger=trigger, sort_order=i)
    project = sign(put_in_state(application, Status.AWARDED), staff)
    middle = project.tranches.get(number=2)
    with pytest.raises(GrantsError, match="中期"):
        delivery_payments.tranche_pay(tranche=middle, actor=finance, payment_reference="BANK-100")

    accept(report(project, leader, "midterm"), staff)
    middle.refresh_from_db()
    assert middle.status == TrancheStatus.DUE
    with pytest.raises(GrantsError, match="财务"):
        delivery_payments.tranche_pay(tranche=middle, actor=staff, payment_reference="BANK-100")
    delivery_payments.tranche_pay(tranche=middle, actor=finance, payment_reference="BANK-100")
    middle.refresh_from_db()
    assert (middle.status, middle.paid_amount, middle.payment_reference) == (
        TrancheStatus.PAID,
        D("2700.00"),
        "BANK-100",
    )
    assert commitment_balances(reference=project.reference)["paid"] == D("7200.00")
    with pytest.raises(GrantsError, match="已经支付"):
        delivery_payments.tranche_pay(tranche=middle, actor=finance, payment_reference="BANK-101")
    assert verify().ok


def test_a_payment_reference_cannot_be_used_twice(application, staff, finance):
    call = application.call
    call.tranches.all().delete()
    CallTranche.objects.create(call=call, share=50, trigger="signing", sort_order=0)
    CallTranche.objects.create(call=call, share=25, trigger="date", due_after_days=0, sort_order=1)
    CallTranche.objects.create(call=call, share=25, trigger="date", due_after_days=0, sort_order=2)
    project = sign(put_in_state(application, Status.AWARDED), staff)
    second, third = project.tranches.filter(number__in=[2, 3]).order_by("number")
    delivery_payments.tranche_pay(tranche=second, actor=finance, payment_reference="BANK-7")
    for again in ("BANK-7", " bank-7 "):
        with pytest.raises(GrantsError, match="(?i)BANK-7"):
            delivery_payments.tranche_pay(tranche=third, actor=finance, payment_reference=again)
    third.refresh_from_db()
    assert third.status != TrancheStatus.PAID
    assert commitment_balances(reference=project.reference)["paid"] == D("6750.00")


def test_a_dated_tranche_becomes_due_on_its_date(application, staff, finance):
    call = application.call
    call.tranches.all().delete()
    CallTranche.objects.create(call=call, share=50, trigger="signing", sort_order=0)
    CallTranche.objects.create(call=call, share=50, trigger="date", due_after_days=30, sort_order=1)
    project = sign(put_in_state(application, Status.AWARDED), staff)
    dated = project.tranches.get(number=2)
    with pytest.raises(GrantsError, match=dated.due_on.isoformat()):
        delivery_payments.tranche_pay(tranche=dated, actor=finance, payment_reference="B-1")
    assert delivery_payments.tranches_mark_due(today=dated.due_on - timedelta(days=1)) == 0
    assert delivery_payments.tranches_mark_due(today=dated.due_on) == 1
    dated.refresh_from_db()
    assert dated.status == TrancheStatus.DUE


# --- activities and photos --------------------------------------------------------------------


def test_an_activity_photo_is_turned_resized_and_loses_its_location(project, leader):
    activity = delivery_services.activity_record(
        application=project,
        user=leader,
        held_on=timezone.localdate(),
        title="第一次供餐",
        description="40位老人用餐。",
        participants=12,
        beneficiaries_reached=40,
        photos=[photo_with_location()],
    )
    stored = activity.photos.get()
    data = stored.image.open("rb").read()
    image = Image.open(io.BytesIO(data))
    assert (image.width, image.height) == (1067, 1600) == (stored.width, stored.height)
    assert not image.getexif() and b"PhoneMaker" not in data and b"Exif" not in data


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("participants", -1, "不能为负"),
        ("beneficiaries_reached", "很多", "整数"),
        ("held_on", "future", "未来"),
        ("title", "  ", "标题"),
    ],
)
def test_bad_activity_input_is_refused_and_nothing_is_kept(project, leader, field, value, message):
    args = dict(held_on=timezone.localdate(), title="供餐", description="", participants=3, beneficiaries_reached=5)
    args[field] = timezone.localdate() + timedelta(days=1) if value == "future" else value
    with pytest.raises(GrantsError, match=message):
        delivery_services.activity_record(application=project, user=leader, **args)
    assert not Activity.objects.exists()


def test_a_photo_that_is_not_an_image_is_refused(project, leader):
    fake = SimpleUploadedFile("photo.jpg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", content_type="image/jpeg")
    with pytest.raises(GrantsError, match="JPEG 或 PNG"):
        delivery_services.activity_record(
            application=project,
            user=leader,
            held_on=timezone.localdate(),
            title="供餐",
            description="",
            participants=3,
            beneficiaries_reached=5,
            photos=[fake],
        )
    assert not Activity.objects.exists()


def test_someone_outside_the_group_cannot_record_for_it(project):
    from tests.factories import UserFactory

    with pytest.raises(GrantsError, match="成员"):
        delivery_services.activity_record(
            application=project,
            user=UserFactory(),
            held_on=timezone.localdate(),
            title="x",
            description="",
            participants=1,
            beneficiaries_reached=1,
        )


# --- expenses ---------------------------------------------------------------------------------


def test_an_expense_within_the_tolerance_is_recorded(project, leader):
    spend(project, leader, "2200.00", line=1)  # 餐具: ¥2,000 + 10%
    from grants.delivery.selectors import budget_vs_actual

    row = budget_vs_actual(application=project).rows[1]
    assert (row.spent, row.over_budget, row.over_tolerance) == (D("2200.00"), True, False)


def test_an_expense_past_the_tolerance_needs_a_reason_then_awaits_staff(project, leader, staff):
    spend(project, leader, "2000.00", line=1)
    with pytest.raises(GrantsError, match="2,200.00"):
        spend(project, leader, "300.00", line=1)
    assert Expense.objects.count() == 1
    expense = spend(project, leader, "300.00", line=1, reason="多买了保温餐盒")
    assert expense.status == ExpenseStatus.PENDING
    with pytest.raises(GrantsError, match="原因"):
        delivery_services.expense_decide(expense=expense, actor=staff, approve=False, note="")
    delivery_services.expense_decide(expense=expense, actor=staff, approve=True, note="同意")
    expense.refresh_from_db()
    assert (expense.status, expense.decided_by) == (ExpenseStatus.APPROVED, staff)


def test_spending_cannot_pass_the_award(project, leader):
    spend(project, leader, "8000.00", line=0)
    with pytest.raises(GrantsError, match="9,000.00"):
        spend(project, leader, "1000.01", line=1)


@pytest.mark.parametrize(
    "receipt, message",
    [
        (SimpleUploadedFile("r.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"), "PDF"),
        (SimpleUploadedFile("r.exe", b"MZ\x90\x00"), "PDF"),
        ("big", "5 MB"),
    ],
)
def test_a_receipt_of_the_wrong_type_or_size_is_refused(project, leader, receipt, message):
    receipt = pdf(size=5 * 1024 * 1024 + 1) if receipt == "big" else receipt
    with pytest.raises(GrantsError, match=message):
        spend(project, leader, "100.00", receipt=receipt)
    assert not Expense.objects.exists()


@pytest.mark.parametrize("amount", ["-5", "0", "12.345", "abc", "NaN"])
def test_bad_amounts_are_refused(project, leader, amount):
    with pytest.raises(GrantsError):
        spend(project, leader, amount)
    assert not Expense.objects.exists()


def test_nothing_is_recorded_before_the_agreement_is_signed(application, leader):
    awarded = put_in_state(application, Status.AWARDED)
    with pytest.raises(GrantsError, match="执行"):
        spend(awarded, leader, "100.00")


# --- reports, settlement ------------------------------------------------------------------------


def test_a_report_submitted_twice_is_refused(project, leader):
    report(project, leader, "midterm")
    with pytest.raises(GrantsError, match="已经提交"):
        report(project, leader, "midterm")
    assert ProjectReport.objects.count() == 1


def test_the_final_report_waits_for_the_mid_term_report(project, leader, staff):
    with pytest.raises(GrantsError, match="中期报告"):
        report(project, leader, "final")
    mid = report(project, leader, "midterm")
    delivery_services.report_evaluate(report=mid, actor=staff, score="60", comment="请补充受益人名单", accept=False)
    mid.refresh_from_db()
    assert mid.status == ReportStatus.RETURNED
    again = report(project, leader, "midterm")  # a returned report may be sent again
    accept(again, staff)
    report(project, leader, "final")
    assert Application.objects.get(pk=project.pk).status == Status.REPORTING


@pytest.mark.parametrize("score", ["101", "-1", "abc", "85.555"])
def test_an_evaluation_score_outside_0_to_100_is_refused(project, leader, staff, score):
    mid = report(project, leader, "midterm")
    with pytest.raises(GrantsError, match="0"):
        delivery_services.report_evaluate(report=mid, actor=staff, score=score, comment="", accept=True)
    mid.refresh_from_db()
    assert mid.status == ReportStatus.SUBMITTED


def test_only_evaluators_evaluate(project, leader, finance):
    mid = report(project, leader, "midterm")
    with pytest.raises(GrantsError):
        delivery_services.report_evaluate(report=mid, actor=finance, score="80", comment="", accept=True)


def finish(project, leader, staff, spent_lines):
    for line, amount in spent_lines:
        spend(project, leader, amount, line=line)
    accept(report(project, leader, "midterm"), staff)
    final = report(project, leader, "final")
    accept(final, staff, score="90")
    return final


def test_accepting_the_final_report_pays_what_was_spent_and_returns_the_rest(project, leader, staff):
    available_before = pool_summary()["available"]
    final = finish(project, leader, staff, [(0, "6000.00"), (1, "1000.00")])
    project.refresh_from_db()
    assert project.status == Status.COMPLETED
    last = project.tranches.get(number=2)
    assert (last.status, last.paid_amount) == (TrancheStatus.PAID, D("1600.00"))
    money = commitment_balances(reference=project.reference)
    assert (money["paid"], money["outstanding"], money["released"]) == (D("7000.00"), D("0.00"), D("2000.00"))
    assert pool_summary()["available"] == available_before + D("2000.00")
    outcome = Outcome.objects.get(application=project)
    assert (outcome.final_report, outcome.published, outcome.beneficiaries_reached) == (final, False, 40)
    assert not Recovery.objects.exists()
    assert verify().ok


def test_spending_less_than_the_first_tranche_leaves_money_owed_back(project, leader, staff):
    finish(project, leader, staff, [(0, "5000.00")])
    last = project.tranches.get(number=2)
    assert last.status == TrancheStatus.CANCELLED
    recovery = Recovery.objects.get(application=project)
    assert recovery.amount_owed == D("400.00")
    assert commitment_balances(reference=project.reference)["paid"] == D("5400.00")
    assert verify().ok


def test_the_final_report_waits_for_pending_expenses(project, leader, staff):
    spend(project, leader, "2000.00", line=1)
    spend(project, leader, "500.00", line=1, reason="餐具损耗")
    accept(report(project, leader, "midterm"), staff)
    with pytest.raises(GrantsError, match="审批"):
        report(project, leader, "final")


# --- termination and recovery -----------------------------------------------------------------


def test_termination_stops_tranches_releases_money_and_records_what_is_owed(project, leader, staff, finance):
    spend(project, leader, "3000.00")
    available_before = pool_summary()["available"]
    transitions.application_transition(application=project, name="terminate", user=staff, reason="项目负责人搬离社区")
    assert project.tranches.get(number=2).status == TrancheStatus.CANCELLED
    assert pool_summary()["available"] == available_before + D("3600.00")
    recovery = Recovery.objects.get(application=project)
    assert (recovery.amount_owed, recovery.status) == (D("2400.00"), RecoveryStatus.OWED)

    with pytest.raises(GrantsError, match="2,400.00"):
        delivery_payments.recovery_receive(
            recovery=recovery, actor=finance, amount="2400.01", received_on=timezone.localdate(), reference="RET-1"
        )
    inflow = delivery_payments.recovery_receive(
        recovery=recovery, actor=finance, amount="2400.00", received_on=timezone.localdate(), reference="RET-1"
    )
    assert (inflow.source_type, inflow.amount, inflow.funder) == (SourceType.RECOVERY, D("2400.00"), None)
    assert inflow.theme == project.problem.theme
    recovery.refresh_from_db()
    assert recovery.status == RecoveryStatus.RECEIVED
    assert pool_summary()["received"]["recovery"] == D("2400.00")
    with pytest.raises(GrantsError):
        delivery_payments.recovery_receive(
            recovery=recovery, actor=finance, amount="1.00", received_on=timezone.localdate(), reference="RET-2"
        )
    assert Inflow.objects.filter(source_type=SourceType.RECOVERY).count() == 1
    assert verify().ok


def test_staff_may_set_the_amount_owed_at_termination(project, staff):
    transitions.application_transition(
        application=project, name="terminate", user=staff, reason="审计发现违规开支", recovery_amount="5400.00"
    )
    assert Recovery.objects.get(application=project).amount_owed == D("5400.00")


def test_a_recovery_above_what_was_paid_is_refused(project, staff):
    with pytest.raises(GrantsError, match="5,400.00"):
        transitions.application_transition(
            application=project, name="terminate", user=staff, reason="x", recovery_amount="9000.00"
        )
    assert Application.objects.get(pk=project.pk).status == Status.IN_DELIVERY
    assert Tranche.objects.get(application=project, number=2).status == TrancheStatus.PLANNED
