"""Screening in the admin: calls, each call's applications with filters and the CSV export."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from core.text import spreadsheet_safe
from fundpool.models import Theme
from grants import lifecycle
from grants.applications import eligibility
from grants.applications import selectors as application_selectors
from grants.common import GrantsError, require_perm
from grants.lifecycle.bulk import BULK_ACTIONS
from grants.models import Call, Community


def call_index(request):
    require_perm(request, "grants.view_application")
    return render(request, "grants/admin/call_index.html", {"calls": application_selectors.call_list_for_staff()})


def _filters(request) -> application_selectors.StaffFilters:
    def g(name: str) -> str:
        # NUL bytes go: PostgreSQL refuses to compare text with them.
        return request.GET.get(name, "").replace("\x00", "")

    return application_selectors.StaffFilters(
        status=g("status"), theme=g("theme"), community=g("community"), track=g("track"), q=g("q")[:100]
    )


def call_applications(request, pk):
    require_perm(request, "grants.view_application")
    call = get_object_or_404(Call, pk=pk)
    filters = _filters(request)
    if request.GET.get("format") == "csv":
        return _csv(call, filters)
    return render(
        request,
        "grants/admin/call_applications.html",
        {
            "call": call,
            "filters": filters,
            "applications": application_selectors.application_list_for_call(call=call, filters=filters),
            "states": _states_with_counts(call),
            "themes": Theme.objects.order_by("code"),
            "communities": Community.objects.order_by("name"),
            "query": request.GET.urlencode(),
            "bulk_actions": list(BULK_ACTIONS.items()),
        },
    )


def _states_with_counts(call: Call) -> list[dict]:
    counts = application_selectors.application_status_counts(call=call)
    return [
        {"value": s.value, "label": s.staff_label, "count": counts.get(s.value, 0)}
        for s in lifecycle.STATES
        if s.value != lifecycle.Status.DRAFT
    ]


def _csv(call: Call, filters) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="call-{call.slug}-applications.csv"'
    response.write("\ufeff")  # so spreadsheet programs read the Chinese as UTF-8
    writer = csv.writer(response)
    writer.writerow(
        [
            _("ID"),
            _("Title"),
            pgettext("applicant", "Group"),
            _("Community"),
            _("Type"),
            _("Status"),
            _("Theme"),
            _("Requested"),
            _("Own contribution"),
            _("Matched"),
            _("Beneficiaries"),
            pgettext("date", "Submitted"),
            _("Attachments"),
        ]
    )
    for a in application_selectors.applications_for_export(call=call, filters=filters):
        writer.writerow(
            [
                a.pk,
                spreadsheet_safe(a.title),
                spreadsheet_safe(a.group.name),
                a.group.community.name,
                a.group.get_group_type_display(),
                lifecycle.STATE[a.status].staff_label,
                a.problem.theme.name if a.problem_id else "",
                a.requested_amount,
                a.own_contribution,
                a.matched_contribution,
                a.beneficiary_count or "",
                timezone.localtime(a.submitted_at).strftime("%Y-%m-%d %H:%M") if a.submitted_at else "",
                a.attachment_count,
            ]
        )
    return response


@require_POST
def eligibility_tick(request, pk):
    """Staff tick a hand-checked eligibility item of an application, with a note."""
    require_perm(request, "grants.screen_application")
    application = application_selectors.application_for_staff(pk=pk)
    item_id = request.POST.get("item", "")
    item = application.call.checks.filter(pk=item_id if item_id.isdecimal() else 0).first()
    if item is None:
        messages.error(request, _("Choose an item of this call's checklist."))
    else:
        try:
            eligibility.tick(
                application=application,
                item=item,
                actor=request.user,
                ok=request.POST.get("ok") == "yes",
                note=request.POST.get("note", ""),
            )
        except GrantsError as exc:
            for m in exc.messages:
                messages.error(request, m)
        else:
            messages.success(request, _("Recorded: %(item)s.") % {"item": item.label})
    return redirect(f"{redirect('grants_admin:application', pk=application.pk).url}#eligibility")
