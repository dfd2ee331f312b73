"""Pages that show every stage at once: the group's dashboard, and the reviewer's list (the
applications to review and the projects' reports to evaluate)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core import notifications
from grants.applications import selectors as application_selectors
from grants.conversation import selectors as conversation_selectors
from grants.delivery.selectors import reports_for_trustee
from grants.groups import selectors as group_selectors
from grants.lifecycle import DELIVERY_STATES
from grants.review import selectors as review_selectors


@login_required
@require_GET
def dashboard(request):
    applications = list(application_selectors.application_list_for_user(user=request.user))
    ids = [a.pk for a in applications]
    unread = conversation_selectors.unread_by_application(user=request.user, application_ids=ids, side="group")
    asked = conversation_selectors.open_items_for(application_ids=ids)
    for application in applications:
        application.next_steps = application_selectors.application_next_steps(application=application)
        application.is_project = application.status in DELIVERY_STATES
        application.unread = unread.get(application.pk, 0)
        application.asked = asked.get(application.pk, [])
    return render(
        request,
        "grants/dashboard.html",
        {
            "groups": group_selectors.group_list_for_user(user=request.user),
            "applications": applications,
            "open_calls": application_selectors.call_list_open(),
            # New messages and open requests first.
            "waiting": [a for a in applications if a.unread or a.asked],
            "today": timezone.localdate(),
        },
    )


@login_required
def review_list(request):
    return render(
        request,
        "grants/review_list.html",
        {
            "assignments": review_selectors.assignments_for_reviewer(user=request.user),
            "today": timezone.localdate(),
            "reports": reports_for_trustee(user=request.user),
        },
    )


@login_required
def notification_settings(request):
    """Each person chooses, per kind of notification, to get it at once or in a daily digest."""
    kinds = notifications.kinds_for(request.user)
    if request.method == "POST":
        chosen = {k.key for k in kinds if request.POST.get(k.key) == "daily"}
        notifications.preferences_set(user=request.user, daily=chosen)
        messages.success(request, _("Saved. Whatever you chose for the daily digest now comes once a day."))
        return redirect("grants:notifications")
    daily = notifications.daily_for(request.user)
    return render(request, "grants/notifications.html", {"kinds": [(k, k.key in daily) for k in kinds]})
