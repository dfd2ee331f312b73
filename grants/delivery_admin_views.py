"""Staff pages for delivery in the Wagtail admin: the warnings dashboard, reports awaiting
evaluation and feedback awaiting moderation, and the actions on one project (pay a tranche, decide
an expense, evaluate a report, receive money paid back). Each reads input and calls one service."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import delivery_selectors as selectors
from . import delivery_services as services
from .admin_views import _require
from .forms import EvaluationForm, RecoveryReceiveForm, TranchePayForm
from .models import Expense, Feedback, ProjectReport, Recovery, Tranche
from .services import GrantsError


def _report(request, exc: GrantsError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _back(pk):
    return redirect("grants_admin:application", pk=pk)


def warnings(request):
    _require(request, "grants.view_application")
    found = selectors.delivery_warnings()
    return render(
        request,
        "grants/admin/warnings.html",
        {
            "warnings": found,
            "reports": selectors.reports_awaiting_evaluation(),
            "feedback": selectors.feedback_awaiting_moderation(),
            "may_moderate": request.user.has_perm("grants.manage_delivery"),
        },
    )


@require_POST
def tranche_pay(request, pk):
    _require(request, "grants.pay_tranche")  # the service checks too; the view refuses first
    tranche = get_object_or_404(Tranche, pk=pk)
    form = TranchePayForm(request.POST)
    try:
        if not form.is_valid():
            raise GrantsError(_("Give the payment reference (the bank transfer number)."))
        services.tranche_pay(
            tranche=tranche, actor=request.user, payment_reference=form.cleaned_data["payment_reference"]
        )
    except GrantsError as exc:
        _report(request, exc)
    else:
        messages.success(request, _("Tranche %(n)s paid.") % {"n": tranche.number})
    return _back(tranche.application_id)


@require_POST
def expense_decide(request, pk):
    _require(request, "grants.manage_delivery")  # the service checks too; the view refuses first
    expense = get_object_or_404(Expense, pk=pk)
    try:
        services.expense_decide(
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
        services.report_evaluate(
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
    _require(request, "fundpool.add_inflow")  # the service checks too; the view refuses first
    recovery = get_object_or_404(Recovery, pk=pk)
    form = RecoveryReceiveForm(request.POST)
    try:
        if not form.is_valid():
            raise GrantsError(*[m for errors in form.errors.values() for m in errors])
        services.recovery_receive(recovery=recovery, actor=request.user, **form.cleaned_data)
    except GrantsError as exc:
        _report(request, exc)
    else:
        messages.success(request, _("Money paid back booked as an inflow to the pool."))
    return _back(recovery.application_id)


@require_POST
def feedback_moderate(request, pk):
    _require(request, "grants.manage_delivery")  # the service checks too; the view refuses first
    item = get_object_or_404(Feedback, pk=pk)
    try:
        services.feedback_moderate(feedback=item, actor=request.user, approve=request.POST.get("decision") == "approve")
    except GrantsError as exc:
        _report(request, exc)
    else:
        messages.success(request, _("Feedback moderated."))
    if request.POST.get("next") == "project":
        return _back(item.application_id)
    return redirect("grants_admin:warnings")
