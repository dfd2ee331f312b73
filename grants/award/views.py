"""The public notice with its objection form, the objector's confirmation link, the agreement's page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core import ratelimit
from core.pdf import pdf_response
from grants.applications import selectors as application_selectors
from grants.award import selectors as award_selectors
from grants.award import services as award_services
from grants.award.documents import agreement_pdf as frozen
from grants.award.documents import version_pdf
from grants.award.forms import ObjectionForm
from grants.common import GrantsError
from grants.lifecycle import Status
from grants.models import Application, Objection, ObjectionStatus


def notice(request):
    """公示: proposed awards with reviewers and a countdown, and a signed objection form. A filed
    objection is answered on this page (no redirect): a phone number's code is shown only here."""
    forms_by_id = {}
    filed = None
    status = 200
    if request.method == "POST":
        application_id = request.POST.get("application")
        form = ObjectionForm(request.POST, auto_id=f"id_{application_id}_%s")
        form.is_valid()
        # isdecimal, not isdigit: "²" is a digit that int() refuses.
        application = Application.objects.filter(pk=application_id if str(application_id).isdecimal() else 0).first()
        if application is None:
            raise Http404
        if not form.is_valid():
            # The form's own messages, beside their fields. A mistake writes and sends nothing, so
            # it is not counted: a resident who mistypes a phone number is not locked out by it.
            forms_by_id[application.pk] = form
        elif ratelimit.limited(request, "objection", item=application.pk):
            form.add_error(
                None, _("Too many objections have come from your connection in the last hour. Please try again later.")
            )
            forms_by_id[application.pk] = form
            status = 429
        else:
            try:
                filed = award_services.objection_submit(
                    application=application, **{k: form.cleaned_data.get(k, "") for k in ("name", "contact", "text")}
                )
            except GrantsError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
                forms_by_id[application.pk] = form
    entries = award_selectors.notice_list()
    for entry in entries:
        # Each card's form gets its own element ids, so its labels point at its own fields.
        entry.form = forms_by_id.get(entry.application_id) or ObjectionForm(auto_id=f"id_{entry.application_id}_%s")
    listed = {entry.application_id for entry in entries}
    for application_id, form in forms_by_id.items():
        if application_id not in listed:
            # No card to show this form on (the award is not, or no longer, on notice): say why up top.
            for message in form.non_field_errors():
                messages.error(request, message)
    return render(
        request,
        "grants/notice.html",
        {"entries": entries, "now": timezone.now(), "filed": filed, "pending": ObjectionStatus.PENDING},
        status=status,
    )


@never_cache
def objection_confirm(request, token):
    """The link emailed to an objector: a button to confirm (a GET changes nothing, since mail
    scanners open links too). Nothing about the objector is shown."""
    objection = Objection.for_token(token)
    if objection is None:
        # Cut short by a mail program, too old, or never ours: say so, with the way back (a 404 page
        # would leave the objector wondering whether their objection counts).
        return render(request, "grants/objection_confirm.html", {"invalid": True}, status=404)
    done, problem = objection.status == ObjectionStatus.OPEN, ""
    if request.method == "POST" and not done:
        try:
            objection = award_services.objection_confirm(token=token)
            done = True
        except GrantsError as exc:
            problem = str(exc)
    return render(
        request,
        "grants/objection_confirm.html",
        {"title": objection.application.title, "done": done, "problem": problem},
        status=400 if problem else 200,
    )


def _agreement_for(request, pk):
    """The application and its agreement, for staff or the group's members; 404 otherwise."""
    if request.user.has_perm("grants.view_application"):
        application = application_selectors.application_for_staff(pk=pk)
    else:
        application = application_selectors.application_for_member(user=request.user, pk=pk)
    agreement = getattr(application, "agreement", None)
    if agreement is None:
        raise Http404
    return application, agreement


@login_required
def agreement_detail(request, pk):
    """The agreement: the draft the group reads (and its leader confirms) before signing, then the
    signed agreement with its versions."""
    from grants.award.agreement import agreement_terms, terms_hash
    from grants.award.versions import current_terms

    if request.user.has_perm("grants.view_application"):
        application = application_selectors.application_for_staff(pk=pk)
    else:
        application = application_selectors.application_for_member(user=request.user, pk=pk)
    agreement = getattr(application, "agreement", None)
    if agreement is None:
        if application.status != Status.AWARDED:
            raise Http404
        terms = agreement_terms(application, application.agreement_conditions)
        digest = terms_hash(terms)
        problem = ""
        if request.method == "POST":
            try:
                award_services.agreement_confirm(
                    application=application, user=request.user, terms_hash_seen=request.POST.get("terms_hash", "")
                )
            except GrantsError as exc:
                problem = str(exc)
            else:
                messages.success(request, _("Confirmed. The fund records the signing; you are told by email."))
                return redirect("grants:agreement", pk=application.pk)
        consent = application.agreement_consents.filter(terms_hash=digest).select_related("user").first()
        return render(
            request,
            "grants/agreement.html",
            {
                "application": application,
                "agreement": None,
                "terms": terms,
                "terms_hash": digest,
                "consent": consent,
                "is_leader": application.group.memberships.filter(user=request.user, role="leader").exists(),
                "problem": problem,
            },
            status=400 if problem else 200,
        )
    if request.method == "POST":
        return HttpResponseNotAllowed(["GET"])
    return render(
        request,
        "grants/agreement.html",
        {
            "application": application,
            "agreement": agreement,
            "terms": current_terms(agreement),
            "versions": list(agreement.versions.order_by("-number")),
        },
    )


@login_required
@require_GET
def agreement_pdf(request, pk):
    """The agreement exactly as issued at signing (rendered once, stored, served unchanged)."""
    _application, agreement = _agreement_for(request, pk)
    latest = agreement.versions.order_by("-number").first()
    if latest is not None and latest.number > 1:
        return pdf_response(lambda: version_pdf(latest), filename=f"{agreement.number}-v{latest.number}.pdf")
    return pdf_response(lambda: frozen(agreement), filename=f"{agreement.number}.pdf")
