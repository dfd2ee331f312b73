"""Separation of duties on money (four eyes), per role. Whoever proposed an award pays none of its
tranches, and whoever approved an expense beyond tolerance does not make the next payment of the
project after that approval. Two steps pay as they are taken (recording the agreement pays the
tranche due on signing; accepting the final report pays what was spent), so they are refused to
those people too. Finance pays; it does not sign agreements, decide expenses or accept reports. A
superuser is bound like anyone else."""

import importlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from fundpool.ledger.selectors import commitment_balances
from fundpool.models import EntryKind, JournalEntry
from grants import transitions
from grants.award import services as award_services
from grants.common import GrantsError
from grants.delivery import payments as delivery_payments
from grants.delivery import services as delivery_services
from grants.lifecycle import Status
from grants.models import Application, CallTranche, Expense, ExpenseStatus, Tranche, TrancheStatus

from ..factories import ApplicationFactory, UserFactory
from .conftest import put_in_state

pytestmark = pytest.mark.django_db

D = Decimal


def person(roles, username, *role_names, superuser=False):
    user = UserFactory(username=username, is_superuser=superuser)
    for name in role_names:
        user.groups.add(roles[name])
    return user


@pytest.fixture
def proposer(roles):
    return person(roles, "proposer", "staff")


@pytest.fixture
def colleague(roles):
    return person(roles, "colleague", "staff")


@pytest.fixture
def admin(roles):
    return person(roles, "admin", superuser=True)


def plan(application, *tranches):
    """Replace the call's tranche plan: (share, trigger, days after signing)."""
    call = application.call
    call.tranches.all().delete()
    for i, (share, trigger, days) in enumerate(tranches):
        CallTranche.objects.create(call=call, share=share, trigger=trigger, due_after_days=days, sort_order=i)


def awarded(by, *tranches) -> Application:
    """An award of ¥8,000 proposed by `by` and confirmed after its notice, for a short project (no
    mid-term report; the default plan is 60% on signing, 40% at the final report)."""
    application = ApplicationFactory(call__midterm_report_days=0)
    if tranches:
        plan(application, *tranches)
    application = put_in_state(application, Status.REVIEWED)
    transitions.application_transition(
        application=application, name="propose_award", user=by, amount="8000", reason="评审通过"
    )
    Application.objects.filter(pk=application.pk).update(notice_ends_at=timezone.now() - timedelta(seconds=1))
    award_services.notices_close()
    return Application.objects.get(pk=application.pk)


def sign(application, user):
    return transitions.application_transition(
        application=application, name="sign_agreement", user=user, signed_on=timezone.localdate()
    )


def pdf():
    return SimpleUploadedFile("receipt.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")


def spend(project, amount, line=0, reason=""):
    leader = project.group.memberships.get(role="leader").user
    return delivery_services.expense_record(
        application=project,
        user=leader,
        budget_line=list(project.budget_lines.order_by("position", "pk"))[line],
        amount=amount,
        spent_on=timezone.localdate(),
        payee="社区菜市场",
        receipt=pdf(),
        over_tolerance_reason=reason,
    )


def final_report(project):
    leader = project.group.memberships.get(role="leader").user
    return delivery_services.report_submit(
        application=project, user=leader, kind="final", outcomes="按计划完成。", beneficiaries_reached=40
    )


def paid(application) -> Decimal:
    return commitment_balances(reference=application.reference)["paid"]


# --- staff ------------------------------------------------------------------------------------


def test_staff_who_proposed_cannot_record_the_agreement_that_pays_the_first_tranche(pool_money, proposer):
    application = awarded(proposer)
    with pytest.raises(GrantsError, match="四眼") as refused:
        sign(application, proposer)
    assert "提议" in str(refused.value) and "签约" in str(refused.value)
    application.refresh_from_db()
    assert application.status == Status.AWARDED
    assert not Tranche.objects.filter(application=application).exists() and paid(application) == 0


def test_another_member_of_staff_records_it_and_the_ledger_names_them(pool_money, proposer, colleague):
    project = sign(awarded(proposer), colleague)
    first = project.tranches.get(number=1)
    assert first.status == TrancheStatus.PAID and paid(project) == D("4800.00")
    entry = JournalEntry.objects.get(kind=EntryKind.DISBURSE, external_ref=first.payment_reference)
    assert entry.created_by == colleague


def test_staff_who_proposed_may_record_an_agreement_that_pays_nothing(pool_money, proposer):
    project = sign(awarded(proposer, (60, "date", 14), (40, "final", None)), proposer)
    assert project.status == Status.IN_DELIVERY and paid(project) == 0


def test_staff_who_proposed_cannot_accept_the_final_report_that_pays_what_was_spent(pool_money, proposer, colleague):
    project = sign(awarded(proposer), colleague)
    spend(project, "6800.00")
    report = final_report(project)
    with pytest.raises(GrantsError, match="四眼") as refused:
        delivery_services.report_evaluate(report=report, actor=proposer, score="90", comment="", accept=True)
    assert "结项" in str(refused.value)
    report.refresh_from_db()
    assert report.status == "submitted" and Application.objects.get(pk=project.pk).status == Status.REPORTING
    assert paid(project) == D("4800.00")
    # The colleague accepts it; the rest of what was spent is paid.
    delivery_services.report_evaluate(report=report, actor=colleague, score="90", comment="", accept=True)
    assert Application.objects.get(pk=project.pk).status == Status.COMPLETED and paid(project) == D("6800.00")


def test_staff_who_proposed_may_accept_a_final_report_that_pays_nothing(pool_money, proposer, colleague):
    project = sign(awarded(proposer), colleague)
    spend(project, "3000.00")  # less than the ¥4,800 already paid: the group owes money back instead
    delivery_services.report_evaluate(report=final_report(project), actor=proposer, score="80", comment="", accept=True)
    assert Application.objects.get(pk=project.pk).status == Status.COMPLETED and paid(project) == D("4800.00")


def test_staff_who_approved_an_overspend_cannot_accept_the_final_report_that_pays_next(
    pool_money, proposer, colleague, roles
):
    approver = person(roles, "approver", "staff")
    project = sign(awarded(proposer), colleague)
    spend(project, "5500.00")
    pending = spend(project, "2500.00", line=1, reason="居民要求加印海报")  # the ¥2,000 line, 10% tolerance
    delivery_services.expense_decide(expense=pending, actor=approver, approve=True, note="同意")
    report = final_report(project)
    with pytest.raises(GrantsError, match="容差"):
        delivery_services.report_evaluate(report=report, actor=approver, score="90", comment="", accept=True)
    assert paid(project) == D("4800.00")
    delivery_services.report_evaluate(report=report, actor=colleague, score="90", comment="", accept=True)
    assert paid(project) == D("8000.00")


def test_staff_do_not_pay_tranches(pool_money, proposer, colleague):
    project = sign(awarded(proposer, (50, "signing", None), (50, "date", 0)), colleague)
    with pytest.raises(GrantsError, match="财务"):
        delivery_payments.tranche_pay(tranche=project.tranches.get(number=2), actor=colleague, payment_reference="B-1")


def test_the_admin_page_does_not_offer_the_proposer_the_signing_and_says_why(client, pool_money, proposer, colleague):
    application = awarded(proposer)
    client.force_login(proposer)
    html = client.get(reverse("grants_admin:application", args=[application.pk])).content.decode()
    assert "/step/sign_agreement/" not in html
    assert "四眼原则" in html and "登记签约" in html
    client.force_login(colleague)
    html = client.get(reverse("grants_admin:application", args=[application.pk])).content.decode()
    assert "/step/sign_agreement/" in html


def test_the_proposer_posting_the_signing_anyway_is_refused_with_the_reason(client, pool_money, proposer):
    application = awarded(proposer)
    client.force_login(proposer)
    url = reverse("grants_admin:application_step", args=[application.pk, "sign_agreement"])
    html = client.post(url, {"signed_on": timezone.localdate().isoformat()}, follow=True).content.decode()
    assert "四眼原则" in html
    assert Application.objects.get(pk=application.pk).status == Status.AWARDED


def test_the_admin_page_offers_the_proposer_no_accept_button_on_the_final_report(
    client, pool_money, proposer, colleague
):
    project = sign(awarded(proposer), colleague)
    spend(project, "6800.00")
    final_report(project)
    client.force_login(proposer)
    html = client.get(reverse("grants_admin:application", args=[project.pk])).content.decode()
    assert 'value="accept"' not in html and 'value="return"' in html and "四眼原则" in html
    client.force_login(colleague)
    html = client.get(reverse("grants_admin:application", args=[project.pk])).content.decode()
    assert 'value="accept"' in html


# --- finance ----------------------------------------------------------------------------------


def test_finance_does_not_record_agreements(pool_money, proposer, finance):
    application = awarded(proposer)
    with pytest.raises(GrantsError, match="无权"):
        sign(application, finance)
    assert Application.objects.get(pk=application.pk).status == Status.AWARDED


def test_finance_does_not_accept_final_reports(pool_money, proposer, colleague, finance):
    project = sign(awarded(proposer), colleague)
    spend(project, "6800.00")
    report = final_report(project)
    with pytest.raises(GrantsError, match="无权"):
        delivery_services.report_evaluate(report=report, actor=finance, score="90", comment="", accept=True)
    with pytest.raises(GrantsError, match="无权"):
        transitions.application_transition(application=project, name="accept_report", user=finance)
    assert Application.objects.get(pk=project.pk).status == Status.REPORTING and paid(project) == D("4800.00")


def test_finance_does_not_decide_expenses(pool_money, proposer, colleague, finance):
    project = sign(awarded(proposer), colleague)
    pending = spend(project, "2500.00", line=1, reason="加印")
    with pytest.raises(GrantsError, match="无权"):
        delivery_services.expense_decide(expense=pending, actor=finance, approve=True)
    assert Expense.objects.get(pk=pending.pk).status == ExpenseStatus.PENDING


def test_finance_pays_a_due_tranche(pool_money, proposer, colleague, finance):
    project = sign(awarded(proposer, (50, "signing", None), (50, "date", 0)), colleague)
    delivery_payments.tranche_pay(tranche=project.tranches.get(number=2), actor=finance, payment_reference="BANK-9")
    assert paid(project) == D("8000.00")


def test_the_finance_role_no_longer_manages_delivery_even_where_it_once_did(roles):
    from django.apps import apps
    from django.contrib.auth.models import Permission

    manage = Permission.objects.get(content_type__app_label="grants", codename="manage_delivery")
    assert manage not in roles["finance"].permissions.all()
    roles["finance"].permissions.add(manage)  # as a database made before the split holds it
    importlib.import_module("grants.migrations.0011_i15_lifecycle").finance_no_longer_manages_delivery(apps, None)
    assert manage not in roles["finance"].permissions.all()
    assert manage in roles["staff"].permissions.all()


# --- superuser ----------------------------------------------------------------------------------


def test_a_superuser_who_proposed_pays_no_tranche_of_that_award(pool_money, admin, colleague):
    project = sign(awarded(admin, (50, "signing", None), (50, "date", 0)), colleague)
    second = project.tranches.get(number=2)
    with pytest.raises(GrantsError, match="四眼"):
        delivery_payments.tranche_pay(tranche=second, actor=admin, payment_reference="BANK-1")
    second.refresh_from_db()
    assert second.status != TrancheStatus.PAID and paid(project) == D("4000.00")


def test_a_superuser_who_proposed_cannot_record_the_agreement_either(pool_money, admin):
    application = awarded(admin)
    with pytest.raises(GrantsError, match="四眼"):
        sign(application, admin)
    assert Application.objects.get(pk=application.pk).status == Status.AWARDED


def test_a_superuser_who_approved_an_overspend_does_not_make_the_next_payment(
    pool_money, proposer, colleague, admin, finance
):
    """The tranche that follows an approval is the next one paid on the project after it, whatever
    its number; once someone else has paid it, the approver may pay later ones."""
    project = sign(awarded(proposer, (50, "signing", None), (25, "date", 0), (25, "date", 0)), colleague)
    pending = spend(project, "2500.00", line=1, reason="居民要求加印海报")
    delivery_services.expense_decide(expense=pending, actor=admin, approve=True, note="同意")
    second, third = project.tranches.filter(number__in=[2, 3]).order_by("number")
    for tranche in (second, third):
        with pytest.raises(GrantsError, match="容差"):
            delivery_payments.tranche_pay(tranche=tranche, actor=admin, payment_reference=f"BANK-A{tranche.number}")
    assert paid(project) == D("4000.00")
    delivery_payments.tranche_pay(tranche=third, actor=finance, payment_reference="BANK-F3")
    delivery_payments.tranche_pay(tranche=second, actor=admin, payment_reference="BANK-A2")
    assert paid(project) == D("8000.00")


def test_the_admin_page_shows_a_superuser_why_they_may_not_pay(client, pool_money, admin, colleague):
    project = sign(awarded(admin, (50, "signing", None), (50, "date", 0)), colleague)
    client.force_login(admin)
    html = client.get(reverse("grants_admin:application", args=[project.pk])).content.decode()
    assert reverse("grants_admin:tranche_pay", args=[project.tranches.get(number=2).pk]) not in html
    assert "四眼原则" in html
