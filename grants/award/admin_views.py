"""Staff decide objections: uphold or dismiss, check an objector's phone code, dismiss a flood as not genuine."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import ratelimit
from grants.applications import selectors as application_selectors
from grants.award import services as award_services
from grants.common import GrantsError, require_perm


@require_POST
def objection_resolve(request, pk):
    from grants.models import Objection

    require_perm(request, "grants.decide_application")
    objection = get_object_or_404(Objection, pk=pk)
    try:
        award_services.objection_resolve(
            objection=objection,
            actor=request.user,
            uphold=request.POST.get("decision") == "uphold",
            reason=request.POST.get("reason", ""),
        )
    except GrantsError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Objection resolved."))
    return redirect("grants_admin:application", pk=objection.application_id)


@require_POST
def objection_reply(request, pk):
    """Staff answer the objector; the answer appears on the objector's private page."""
    from grants.models import Objection

    require_perm(request, "grants.decide_application")
    objection = get_object_or_404(Objection, pk=pk)
    try:
        award_services.objection_reply(objection=objection, actor=request.user, text=request.POST.get("reply", ""))
    except GrantsError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The answer is on the objector's private page."))
    return redirect(f"{redirect('grants_admin:application', pk=objection.application_id).url}#objection-{objection.pk}")


@require_POST
def objection_verify(request, pk):
    """Staff called the objector's number and enter the code they were told."""
    from grants.models import Objection

    require_perm(request, "grants.decide_application")
    objection = get_object_or_404(Objection, pk=pk)
    if ratelimit.limited(request, "objection_verify"):
        messages.error(request, _("Too many codes entered in the last hour. Please try again later."))
    else:
        try:
            award_services.objection_verify(objection=objection, actor=request.user, code=request.POST.get("code", ""))
        except GrantsError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(
                request, _("The objector's phone number is confirmed: the objection now holds up the award.")
            )
    return redirect("grants_admin:application", pk=objection.application_id)


@require_POST
def objections_dismiss(request, pk):
    """Dismiss the chosen objections to one award as not genuine, with one reason kept with each."""
    require_perm(request, "grants.decide_application")
    application = application_selectors.application_for_staff(pk=pk)
    try:
        n = award_services.objection_dismiss_not_genuine(
            application=application,
            objection_ids=request.POST.getlist("objections"),
            actor=request.user,
            reason=request.POST.get("reason", ""),
        )
    except GrantsError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%(n)s objection(s) dismissed as not genuine.") % {"n": n})
    return redirect("grants_admin:application", pk=application.pk)
