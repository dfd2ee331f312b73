"""Staff's review screens: results per call (and as a PDF), automatic assignment, reviewers of one application, reinstatement."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grants.applications import selectors as application_selectors
from grants.common import GrantsError, parse_iso_date, require_perm
from grants.models import Call
from grants.review import selectors as review_selectors
from grants.review import services as review_services


def call_results(request, pk):
    require_perm(request, "grants.view_application")
    call = get_object_or_404(Call.objects.prefetch_related("criteria"), pk=pk)
    rows = review_selectors.call_results(call=call)
    return render(
        request,
        "grants/admin/call_results.html",
        {
            "call": call,
            "rows": rows,
            "awarded": review_selectors.call_awarded_total(call=call),
            "may_decide": request.user.has_perm("grants.decide_application"),
            "loads": review_selectors.reviewer_load(call=call),
        },
    )


def call_results_pdf(request, pk):
    """The review summary of a call as a PDF (scores, normalised scores, ranking, recusals, decisions)."""
    from core.pdf import pdf_response, render_pdf

    require_perm(request, "grants.view_application")
    call = get_object_or_404(Call.objects.prefetch_related("criteria"), pk=pk)
    return pdf_response(
        lambda: render_pdf(
            "grants/documents/review_summary.html",
            {
                "call": call,
                "rows": review_selectors.call_results(call=call),
                "awarded": review_selectors.call_awarded_total(call=call),
            },
            title=f"{call.title} · {_('Review summary')}",
        ),
        filename=f"review-summary-{call.slug}.pdf",
    )


@require_POST
def call_autoassign(request, pk):
    require_perm(request, "grants.screen_application")
    call = get_object_or_404(Call, pk=pk)
    try:
        made = review_services.review_autoassign(call=call, actor=request.user)
    except GrantsError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%(n)s reviewer(s) assigned.") % {"n": made})
    return redirect("grants_admin:call_applications", pk=call.pk)


@require_POST
def application_reviewers(request, pk):
    require_perm(request, "grants.screen_application")
    application = application_selectors.application_for_staff(pk=pk)
    ids = [i for i in request.POST.getlist("reviewers") if i.isdecimal()]  # "²" is a digit int() refuses
    reviewers = list(review_selectors.reviewer_candidates(application=application).filter(pk__in=ids))
    due = request.POST.get("due_on", "").strip()
    due_on = parse_iso_date(due) if due else None
    if due and due_on is None:
        messages.error(request, _("“%(value)s” is not a date; write it as 2026-12-31.") % {"value": due[:20]})
        return redirect("grants_admin:application", pk=application.pk)
    try:
        made = review_services.review_assign(
            application=application, reviewers=reviewers, actor=request.user, due_on=due_on
        )
    except GrantsError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%(n)s reviewer(s) assigned.") % {"n": len(made)})
    return redirect("grants_admin:application", pk=application.pk)


@require_POST
def review_reinstate(request, pk):
    """Put a recused reviewer back on the application, with the reason (the service logs it)."""
    from grants.models import ReviewAssignment

    require_perm(request, "grants.screen_application")
    assignment = get_object_or_404(ReviewAssignment.objects.select_related("reviewer"), pk=pk)
    try:
        review_services.review_reinstate(
            assignment=assignment, actor=request.user, reason=request.POST.get("reason", "")
        )
    except GrantsError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(user)s is reinstated as a reviewer of this application.")
            % {"user": assignment.reviewer.get_full_name() or assignment.reviewer.get_username()},
        )
    return redirect("grants_admin:application", pk=assignment.application_id)


@require_POST
def review_due(request, pk):
    """Staff give one assignment another due date."""
    from grants.models import ReviewAssignment

    require_perm(request, "grants.screen_application")
    assignment = get_object_or_404(ReviewAssignment.objects.select_related("reviewer"), pk=pk)
    due_on = parse_iso_date(request.POST.get("due_on", ""))
    try:
        changed = review_services.review_due_change(assignment=assignment, actor=request.user, due_on=due_on)
    except GrantsError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The review is now due on %(date)s.") % {"date": changed.due_on.isoformat()})
    return redirect(f"{redirect('grants_admin:application', pk=assignment.application_id).url}#reviewers")


def call_conflicts(request, pk):
    """The conflict register of a call: every declared conflict and recusal, with its reason;
    staff reinstate a reviewer from here, with a reason."""
    require_perm(request, "grants.view_application")
    call = get_object_or_404(Call, pk=pk)
    return render(
        request,
        "grants/admin/call_conflicts.html",
        {
            "call": call,
            "rows": list(review_selectors.conflict_register(call=call)),
            "may_reinstate": request.user.has_perm("grants.screen_application"),
            "reinstate_states": review_services.REINSTATE_STATES,
        },
    )
