"""Pages that show every stage at once: the group's dashboard."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from grants.applications import selectors as application_selectors
from grants.delivery.selectors import DELIVERY_STATES
from grants.groups import selectors as group_selectors


@login_required
@require_GET
def dashboard(request):
    applications = list(application_selectors.application_list_for_user(user=request.user))
    for application in applications:
        application.next_steps = application_selectors.application_next_steps(application=application)
        application.is_project = application.status in DELIVERY_STATES
    return render(
        request,
        "grants/dashboard.html",
        {
            "groups": group_selectors.group_list_for_user(user=request.user),
            "applications": applications,
            "open_calls": application_selectors.call_list_open(),
        },
    )
