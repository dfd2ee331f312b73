"""Staff's side of a conversation in the admin: messages and internal notes, reviewers' questions
to pass on, and requests for information with their items to accept or ask again."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grants.common import GrantsError, parse_iso_date, require_perm
from grants.models import InfoRequestItem, Message, MessageKind

from . import selectors, services
from .rules import is_fund_staff
from .views import new_nonce

ITEM_ROWS = 5


def _staff(request):
    require_perm(request, "grants.view_application")
    if not is_fund_staff(request.user):
        raise PermissionDenied


def _back(pk, anchor=""):
    response = redirect("grants_admin:thread", pk=pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


def _errors(request, exc: GrantsError):
    for m in exc.messages:
        messages.error(request, m)


def thread(request, pk):
    _staff(request)
    application = selectors.application_for_staff(pk=pk)
    if request.method == "POST":
        try:
            sent = services.message_send(
                application=application,
                user=request.user,
                body=request.POST.get("body", ""),
                as_fund=True,
                internal=request.POST.get("kind") == "note",
                files=request.FILES.getlist("files"),
                nonce=request.POST.get("nonce", ""),
            )
        except GrantsError as exc:
            _errors(request, exc)
            return _page(request, application, keep=request.POST)
        if sent.created:
            messages.success(
                request,
                _("Note kept; the group does not see it.")
                if sent.message.kind == MessageKind.NOTE
                else _("Sent to the group, by email and on its page."),
            )
        return _back(pk)
    return _page(request, application)


def _page(request, application, *, keep=None, rfi=None):
    """The staff thread page; `keep` is a refused message as typed, `rfi` a refused request's rows."""
    last_read = selectors.read_at(application=application, user=request.user)
    rows = list(rfi["rows"]) if rfi else []
    rows += [("", "")] * max(ITEM_ROWS - len(rows), 0)
    page = render(
        request,
        "grants/admin/thread.html",
        {
            "application": application,
            "thread_messages": list(selectors.messages_for(application=application, side="fund")),
            "last_read": last_read,
            "questions": list(selectors.unrelayed_questions(application=application)),
            "items": list(selectors.all_items(application=application)),
            "nonce": (keep or {}).get("nonce") or new_nonce(),
            "rfi_nonce": (rfi or {}).get("nonce") or new_nonce(),
            "body": (keep or {}).get("body", ""),
            "kind": (keep or {}).get("kind", "message"),
            "item_rows": rows,
            "rfi_rows": bool(rfi),
            "rfi_note": (rfi or {}).get("note", ""),
            "today": timezone.localdate(),
            "default_due": timezone.localdate() + datetime.timedelta(days=7),
            "max_length": Message.MAX_LENGTH,
        },
        status=400 if (keep is not None or rfi is not None) else 200,
    )
    services.thread_read(application=application, user=request.user)
    return page


@require_POST
def question_relay(request, pk):
    _staff(request)
    question = get_object_or_404(Message.objects.select_related("thread"), pk=pk, kind=MessageKind.QUESTION)
    try:
        services.question_relay(
            question=question, user=request.user, body=request.POST.get("body", ""), nonce=request.POST.get("nonce", "")
        )
    except GrantsError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("The question went to the group."))
    return _back(question.thread.application_id)


@require_POST
def info_request_new(request, pk):
    _staff(request)
    application = selectors.application_for_staff(pk=pk)
    labels = [v[:200] for v in request.POST.getlist("label")][: services.MAX_ITEMS + 5]
    dues = [v[:20] for v in request.POST.getlist("due_on")][: len(labels)]
    dues += [""] * (len(labels) - len(dues))
    typed = {
        "rows": [(label, due) for label, due in zip(labels, dues, strict=True) if label.strip() or due.strip()],
        "note": request.POST.get("note", "")[:2000],
        "nonce": request.POST.get("nonce", ""),
    }
    bad_dates = [due for due in dues if due.strip() and parse_iso_date(due) is None]
    if bad_dates:
        messages.error(request, _("“%(value)s” is not a date; write it as 2026-12-31.") % {"value": bad_dates[0]})
        return _page(request, application, rfi=typed)
    items = [services.ItemInput(label, parse_iso_date(due) if due.strip() else None) for label, due in typed["rows"]]
    try:
        services.info_request_create(
            application=application, user=request.user, items=items, note=typed["note"], nonce=typed["nonce"]
        )
    except GrantsError as exc:
        _errors(request, exc)
        return _page(request, application, rfi=typed)
    messages.success(request, _("Asked. The group sees the items on its dashboard and is told by email."))
    return _back(pk)


@require_POST
def item_accept(request, pk):
    _staff(request)
    item = get_object_or_404(InfoRequestItem.objects.select_related("request"), pk=pk)
    try:
        services.item_accept(item=item, user=request.user)
    except GrantsError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Accepted: “%(label)s”.") % {"label": item.label})
    return _back(item.request.application_id)


@require_POST
def item_again(request, pk):
    _staff(request)
    item = get_object_or_404(InfoRequestItem.objects.select_related("request"), pk=pk)
    due = request.POST.get("due_on", "")
    try:
        services.item_ask_again(
            item=item, user=request.user, reason=request.POST.get("reason", ""), due_on=parse_iso_date(due)
        )
    except GrantsError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Asked again; the group is told."))
    return _back(item.request.application_id)
