"""The project's pages: the group records activities, expenses and reports; residents rate the project; trustees evaluate reports."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core import ratelimit
from core.uploads import private_file_response
from grants.common import GrantsError
from grants.delivery import feedback as delivery_feedback
from grants.delivery import selectors as delivery_selectors
from grants.delivery import services as delivery_services
from grants.delivery.forms import ActivityForm, EvaluationForm, ExpenseForm, FeedbackForm, ReportForm
from grants.models import Application, ExpenseStatus, ReportKind


@login_required
def project_detail(request, pk):
    application = delivery_selectors.project_for_member(user=request.user, pk=pk)
    return render(
        request,
        "grants/project_detail.html",
        {
            "overview": delivery_selectors.project_overview(application=application),
            "application": application,
            "feedback_url": request.build_absolute_uri(reverse("grants:feedback", args=[application.pk])),
            # The feedback page and its QR code answer only for these states; elsewhere, no link to them.
            "feedback_open": application.status in delivery_feedback.FEEDBACK_STATES,
            "amendments": list(application.amendments.all()[:3]),
        },
    )


def _not_recording(request, application):
    """A redirect to the project page saying why, when the project takes no more records; else None."""
    problem = delivery_services.recording_problem(application)
    if not problem:
        return None
    messages.error(request, problem)
    return redirect("grants:project", pk=application.pk)


@login_required
def activity_add(request, pk):
    application = delivery_selectors.project_for_member(user=request.user, pk=pk)
    if refused := _not_recording(request, application):
        return refused
    form = ActivityForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            delivery_services.activity_record(
                application=application,
                user=request.user,
                photos=request.FILES.getlist("photos"),
                **{k: v for k, v in form.cleaned_data.items() if k != "photos"},
            )
        except GrantsError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Activity recorded."))
            return redirect("grants:project", pk=application.pk)
    return render(
        request,
        "grants/delivery_form.html",
        {"application": application, "form": form, "heading": _("Record an activity"), "multipart": True},
    )


@login_required
def expense_add(request, pk):
    application = delivery_selectors.project_for_member(user=request.user, pk=pk)
    if refused := _not_recording(request, application):
        return refused
    lines = list(application.budget_lines.all())
    form = ExpenseForm(request.POST or None, request.FILES or None, lines=lines)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            expense = delivery_services.expense_record(
                application=application,
                user=request.user,
                budget_line=next((line for line in lines if line.pk == data["budget_line"]), None),
                amount=data["amount"],
                spent_on=data["spent_on"],
                payee=data["payee"],
                description=data["description"],
                receipt=data["receipt"],
                over_tolerance_reason=data["over_tolerance_reason"],
            )
        except GrantsError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            if expense.status == ExpenseStatus.PENDING:
                messages.warning(
                    request, _("Expense recorded; it goes beyond the line's tolerance and awaits staff approval.")
                )
            else:
                messages.success(request, _("Expense recorded."))
            return redirect("grants:project", pk=application.pk)
    return render(
        request,
        "grants/delivery_form.html",
        {
            "application": application,
            "form": form,
            "heading": _("Record an expense"),
            "multipart": True,
            "budget": delivery_selectors.budget_vs_actual(application=application),
        },
    )


@login_required
def report_submit(request, pk, kind):
    application = delivery_selectors.project_for_member(user=request.user, pk=pk)
    if kind not in ReportKind.values:
        raise Http404
    if request.method != "POST":
        problem = delivery_services.report_problem(application=application, kind=kind)
        if problem:
            messages.error(request, problem)
            return redirect("grants:project", pk=application.pk)
    form = ReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            delivery_services.report_submit(
                application=application,
                user=request.user,
                kind=kind,
                photos=request.FILES.getlist("photos"),
                **{k: v for k, v in form.cleaned_data.items() if k != "photos"},
            )
        except GrantsError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Report submitted. Staff will evaluate it."))
            return redirect("grants:project", pk=application.pk)
    return render(
        request,
        "grants/delivery_form.html",
        {
            "application": application,
            "form": form,
            "heading": ReportKind(kind).label,
            "multipart": True,
            "budget": delivery_selectors.budget_vs_actual(application=application),
        },
    )


@login_required
@require_GET
def photo(request, pk):
    item = delivery_selectors.photo_for(user=request.user, pk=pk)
    return private_file_response(
        item.image,
        content_type="image/jpeg",
        label=_("photo-%(n)s") % {"n": item.pk},
        download=False,
        cache="private, max-age=3600",
    )


@login_required
@require_GET
def receipt(request, pk):
    expense = delivery_selectors.expense_for(user=request.user, pk=pk)
    return private_file_response(
        expense.receipt, content_type=expense.receipt_content_type, label=_("receipt-%(n)s") % {"n": expense.pk}
    )


def _public_project(pk) -> Application:
    return get_object_or_404(
        Application.objects.select_related("group__community"), pk=pk, status__in=delivery_feedback.FEEDBACK_STATES
    )


def feedback(request, pk):
    application = _public_project(pk)
    form = FeedbackForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if ratelimit.limited(request, "feedback", item=application.pk):
            form.is_valid()
            form.add_error(
                None, _("Thank you — we have had several ratings from you just now. Please try again later.")
            )
            status = 429
        elif form.is_valid():
            try:
                delivery_feedback.feedback_submit(
                    application=application,
                    rating=form.cleaned_data["rating"],
                    comment=form.cleaned_data["comment"],
                    source=delivery_feedback.feedback_source(ratelimit.client_address(request)),
                )
            except GrantsError as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                messages.success(request, _("Thank you for your feedback."))
                return redirect("grants:feedback", pk=application.pk)
        else:
            status = 400
    return render(
        request,
        "grants/feedback.html",
        {
            "application": application,
            "form": form,
            "summary": delivery_selectors.feedback_summary(application=application),
        },
        status=status,
    )


@require_GET
def feedback_qr(request, pk):
    """The QR code residents scan to reach the feedback page, as SVG (prints sharp at any size)."""
    import io

    import segno

    application = _public_project(pk)
    url = request.build_absolute_uri(reverse("grants:feedback", args=[application.pk]))
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=8, border=2, xmldecl=False)
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@login_required
def trustee_report(request, pk):
    """A trustee who reviewed the project reads its report and evaluates it (成效评估)."""
    item = delivery_selectors.report_for_trustee(user=request.user, pk=pk)
    form = EvaluationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            delivery_services.report_evaluate(
                report=item,
                actor=request.user,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
                accept=request.POST.get("decision") == "accept",
            )
        except GrantsError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Evaluation recorded."))
            return redirect("grants:review_list")
    return render(
        request,
        "grants/trustee_report.html",
        {
            "report": item,
            "form": form,
            "budget": delivery_selectors.budget_vs_actual(application=item.application),
            "activities": item.application.activity_records.prefetch_related("photos"),
        },
    )


@login_required
@require_GET
def final_report_pdf(request, pk):
    """A project's final report as a PDF, for its group and for staff."""
    from core.pdf import pdf_response, render_pdf
    from grants.models import ProjectReport, ReportStatus

    if delivery_selectors.may_see_project_files(request.user):
        application = get_object_or_404(Application.objects.select_related("group__community", "call"), pk=pk)
    else:
        application = delivery_selectors.project_for_member(user=request.user, pk=pk)
    report = (
        ProjectReport.objects.filter(application=application, kind=ReportKind.FINAL)
        .exclude(status=ReportStatus.RETURNED)
        .order_by("-submitted_at")
        .first()
    )
    if report is None:
        raise Http404
    return pdf_response(
        lambda: render_pdf(
            "grants/documents/final_report.html",
            {
                "project": application,
                "report": report,
                "budget": delivery_selectors.budget_vs_actual(application=application),
            },
            title=f"{application.title} · {_('Final report')}",
        ),
        filename=f"final-report-{application.pk}.pdf",
    )
