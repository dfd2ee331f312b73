"""Staff's delivery screens: warnings, paying a tranche, deciding an expense, evaluating a report, money received back, moderating feedback."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grants.common import GrantsError, require_perm
from grants.delivery import feedback as delivery_feedback
from grants.delivery import payments as delivery_payments
from grants.delivery import selectors as delivery_selectors
from grants.delivery import services as delivery_services
from grants.delivery.forms import EvaluationForm, RecoveryReceiveForm, TranchePayForm
from grants.models import Expense, Feedback, ProjectReport, Recovery, Tranche


def _report(request, exc: GrantsError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _back(pk):
    return redirect("grants_admin:application", pk=pk)


def warnings(request):
    require_perm(request, "grants.view_application")
    found = delivery_selectors.delivery_warnings()
    return render(
        request,
        "grants/admin/warnings.html",
        {
            "warnings": found,
            "reports": delivery_selectors.reports_awaiting_evaluation(),
            "feedback": delivery_selectors.feedback_awaiting_moderation(),
            "may_moderate": request.user.has_perm("grants.manage_delivery"),
        },
    )


@require_POST
def tranche_pay(request, pk):
    require_perm(request, "grants.pay_tranche")  # the service checks too; the view refuses first
    tranche = get_object_or_404(Tranche, pk=pk)
    form = TranchePayForm(request.POST)
    try:
        if not form.is_valid():
            raise GrantsError(_("Give the payment reference (the bank transfer number)."))
        delivery_payments.tranche_pay(
            tranche=tranche, actor=request.user, payment_reference=form.cleaned_data["payment_reference"]
        )
    except GrantsError as exc:
        _report(request, exc)
    else:
        messages.success(request, _("Tranche %(n)s paid.") % {"n": tranche.number})
    return _back(tranche.application_id)


@require_POST
def expense_decide(request, pk):
    require_perm(request, "grants.manage_delivery")  # the service checks too; the view refuses first
    expense = get_object_or_404(Expense, pk=pk)
    try:
        delivery_services.expense_decide(
            expense=expense,
            actor=request.user,
            approve=request.POST.get("decision") == "approve",
            note=request.POST.get("note", ""),
        )
    except GrantsError as exc:
        _report(request, exc)
    else:
        messages.success(request, _("Decision recorded."))
    return _back(expense.application_id)


@require_POST
def report_evaluate(request, pk):
    report = get_object_or_404(ProjectReport, pk=pk)
    form = EvaluationForm(request.POST)
    try:
        if not form.is_valid():
            raise GrantsError(*[m for errors in form.errors.values() for m in errors])
        delivery_services.report_evaluate(
            report=report,
            actor=request.user,
            score=form.cleaned_data["score"],
            comment=form.cleaned_data["comment"],
            accept=request.POST.get("decision") == "accept",
        )
    except GrantsError as exc:
        _report(request, exc)
    else:
        messages.success(request, _("Evaluation recorded."))
    return _back(report.application_id)


@require_POST
def recovery_receive(request, pk):
    require_perm(request, "fundpool.add_inflow")  # the service checks too; the view refuses first
    recovery = get_object_or_404(Recovery, pk=pk)
    form = RecoveryReceiveForm(request.POST)
    try:
        if not form.is_valid():
            raise GrantsError(*[m for errors in form.errors.values() for m in errors])
        delivery_payments.recovery_receive(recovery=recovery, actor=request.user, **form.cleaned_data)
    except GrantsError as exc:
        _report(request, exc)
    else:
        messages.success(request, _("Money paid back booked as an inflow to the pool."))
    return _back(recovery.application_id)


@require_POST
def feedback_moderate(request, pk):
    require_perm(request, "grants.manage_delivery")  # the service checks too; the view refuses first
    item = get_object_or_404(Feedback, pk=pk)
    try:
        delivery_feedback.feedback_moderate(
            feedback=item, actor=request.user, approve=request.POST.get("decision") == "approve"
        )
    except GrantsError as exc:
        _report(request, exc)
    else:
        messages.success(request, _("Feedback moderated."))
    if request.POST.get("next") == "project":
        return _back(item.application_id)
    return redirect("grants_admin:warnings")
