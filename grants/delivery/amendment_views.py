"""Amendments on the site (the group asks, on its phone) and in the admin (staff start, decide;
finance confirms money); the draft agreement's special conditions (staff)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grants.applications import selectors as application_selectors
from grants.award import services as award_services
from grants.common import GrantsError, require_perm
from grants.delivery import amendments
from grants.delivery import selectors as delivery_selectors
from grants.models import Amendment, AmendmentKind


def _act(request, run, done: str, back: str):
    """Run a service call for a staff form: its refusals become messages, success says `done`;
    then back to the application page at `back` (an anchor id)."""
    try:
        run()
    except GrantsError as exc:
        for m in exc.messages:
            messages.error(request, m)
    else:
        messages.success(request, done)
    return redirect(back)


def _page(pk, anchor=""):
    url = redirect("grants_admin:application", pk=pk).url
    return f"{url}#{anchor}" if anchor else url


def _details(post) -> dict:
    kind = post.get("kind", "")
    if kind == AmendmentKind.EXTEND:
        return {k: post.get(k, "") for k in ("final_due_on", "midterm_due_on") if post.get(k)}
    if kind == AmendmentKind.BUDGET:
        return {
            "moves": [{"from": post.get("from_line"), "to": post.get("to_line"), "amount": post.get("move_amount")}]
        }
    if kind == AmendmentKind.CONTACT:
        return {"leader_name": post.get("leader_name", ""), "leader_phone": post.get("leader_phone", "")}
    if kind == AmendmentKind.SCOPE:
        return {"scope": post.get("scope", "")}
    if kind == AmendmentKind.AMOUNT:
        return {"amount": post.get("amount", "")}
    return {}


@login_required
def amendment_new(request, pk):
    """The group asks for a change to its agreement (an extension, a budget move, a new contact...)."""
    application = delivery_selectors.project_for_member(user=request.user, pk=pk)
    problem = ""
    if request.method == "POST":
        try:
            amendments.amendment_request(
                application=application,
                user=request.user,
                kind=request.POST.get("kind", ""),
                details=_details(request.POST),
                why=request.POST.get("why", ""),
            )
        except GrantsError as exc:
            problem = "；".join(str(m) for m in exc.messages)
        else:
            messages.success(request, _("Asked. The fund's staff decide and you are told."))
            return redirect("grants:project", pk=application.pk)
    return render(
        request,
        "grants/amendment_form.html",
        {
            "application": application,
            # The extension first (its section is the one open), then the others; money is staff's.
            "kinds": [
                (k, AmendmentKind(k).label)
                for k in (AmendmentKind.EXTEND, AmendmentKind.BUDGET, AmendmentKind.CONTACT, AmendmentKind.SCOPE)
            ],
            "lines": list(application.budget_lines.all()),
            "amendments": list(application.amendments.select_related("version")),
            "problem": problem,
            "post": request.POST,
        },
        status=400 if problem else 200,
    )


@require_POST
def amendment_start(request, pk):
    require_perm(request, "grants.manage_delivery")
    application = application_selectors.application_for_staff(pk=pk)
    return _act(
        request,
        lambda: amendments.amendment_request(
            application=application,
            user=request.user,
            kind=request.POST.get("kind", ""),
            details=_details(request.POST),
            why=request.POST.get("why", ""),
        ),
        _("Amendment recorded; decide it below."),
        _page(application.pk, "amendments"),
    )


@require_POST
def amendment_decide(request, pk):
    require_perm(request, "grants.manage_delivery")
    amendment = get_object_or_404(Amendment, pk=pk)
    return _act(
        request,
        lambda: amendments.amendment_decide(
            amendment=amendment,
            actor=request.user,
            approve=request.POST.get("decision") == "approve",
            reason=request.POST.get("reason", ""),
        ),
        _("Amendment decided."),
        _page(amendment.application_id, "amendments"),
    )


@require_POST
def amendment_confirm(request, pk):
    require_perm(request, "grants.pay_tranche")
    amendment = get_object_or_404(Amendment, pk=pk)
    return _act(
        request,
        lambda: amendments.amendment_confirm(amendment=amendment, actor=request.user),
        _("Confirmed: the money is moved and the new agreement version is in force."),
        _page(amendment.application_id, "amendments"),
    )


@require_POST
def agreement_conditions(request, pk):
    require_perm(request, "grants.manage_delivery")
    application = application_selectors.application_for_staff(pk=pk)
    return _act(
        request,
        lambda: award_services.agreement_conditions_set(
            application=application, actor=request.user, conditions=request.POST.get("conditions", "")
        ),
        _("Saved: the group sees these conditions in the draft agreement."),
        _page(application.pk),
    )


@require_POST
def correction_new(request, pk):
    """Staff correct a wrongly recorded value, with a reason."""
    from grants.delivery import corrections

    require_perm(request, "grants.manage_delivery")
    application = application_selectors.application_for_staff(pk=pk)
    target = request.POST.get("target", "")
    return _act(
        request,
        lambda: corrections.correct(
            application=application,
            kind=request.POST.get("kind", ""),
            target_id=int(target) if target.isdecimal() else 0,
            value=request.POST.get("value", "")[:200],
            reason=request.POST.get("reason", ""),
            actor=request.user,
        ),
        _("Corrected; the value before stays on record beside the correction."),
        _page(application.pk, "corrections"),
    )
