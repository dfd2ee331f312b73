"""The group's side of the conversation, a reviewer's questions, message files, and the
objector's private page."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from core.uploads import private_file_response
from grants.common import GrantsError, is_member_of
from grants.models import InfoRequestItem, ItemStatus, MessageAttachment, MessageKind, Objection, ReviewAssignment

from . import selectors, services
from .rules import is_fund_staff


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


@login_required
def thread(request, pk):
    """The group's conversation with the fund about one application (and, later, its project)."""
    application = selectors.application_for_member(user=request.user, pk=pk)
    if request.method == "POST":
        wanted = {v for v in request.POST.getlist("items") if v.isdecimal()}
        items = list(InfoRequestItem.objects.filter(pk__in=wanted, request__application=application))
        reply_to = request.POST.get("reply_to", "")
        reply = None
        if reply_to.isdecimal():
            reply = selectors.messages_for(application=application, side="group").filter(pk=reply_to).first()
        try:
            sent = services.message_send(
                application=application,
                user=request.user,
                body=request.POST.get("body", ""),
                as_fund=False,
                files=request.FILES.getlist("files"),
                nonce=request.POST.get("nonce", ""),
                reply_to=reply,
                items_done=items,
            )
        except GrantsError as exc:
            for m in exc.messages:
                messages.error(request, m)
            return _thread_page(request, application, keep=request.POST)
        if sent.created:
            messages.success(request, _("Sent. The fund's staff are told by email."))
            if sent.done:
                messages.success(
                    request,
                    ngettext("%(n)s item marked as sent.", "%(n)s items marked as sent.", len(sent.done))
                    % {"n": len(sent.done)},
                )
        return redirect(f"{request.path}#m{sent.message.pk}")
    return _thread_page(request, application)


def _thread_page(request, application, keep=None):
    last_read = selectors.read_at(application=application, user=request.user)
    open_items = list(selectors.open_items(application=application))
    page = render(
        request,
        "grants/thread.html",
        {
            "application": application,
            "thread_messages": list(selectors.messages_for(application=application, side="group")),
            "last_read": last_read,
            "open_items": open_items,
            "askable": [i for i in open_items if i.status == ItemStatus.OPEN],
            "nonce": (keep or {}).get("nonce") or new_nonce(),
            "body": (keep or {}).get("body", ""),
            "reply_to": (keep or {}).get("reply_to", "") or request.GET.get("reply", ""),
            "checked": set(keep.getlist("items") if keep is not None else []),
            "max_length": services.Message.MAX_LENGTH,
            "today": timezone.localdate(),
        },
        status=400 if keep is not None else 200,
    )
    services.thread_read(application=application, user=request.user)
    return page


@login_required
@require_POST
def item_done(request, pk):
    item = get_object_or_404(InfoRequestItem.objects.select_related("request__application__group"), pk=pk)
    application = item.request.application
    if not is_member_of(application.group, request.user):
        raise Http404
    try:
        services.item_done(item=item, user=request.user)
    except GrantsError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Marked as sent: “%(label)s”. Staff will accept it or ask again.") % {"label": item.label}
        )
    return redirect("grants:thread", pk=application.pk)


@login_required
@require_GET
def message_file(request, pk):
    """A file sent in a conversation: to the group's members if the message is not internal, and to staff."""
    attachment = get_object_or_404(
        MessageAttachment.objects.select_related("message__thread__application__group"), pk=pk
    )
    message = attachment.message
    application = message.thread.application
    allowed = is_fund_staff(request.user) or (
        message.kind == MessageKind.MESSAGE and is_member_of(application.group, request.user)
    )
    if not allowed:
        raise Http404
    return private_file_response(attachment.file, content_type=attachment.content_type, label=attachment.title)


@login_required
@require_POST
def review_question(request, pk):
    """The assigned reviewer asks the group something, through staff."""
    assignment = get_object_or_404(ReviewAssignment.objects.select_related("application"), pk=pk, reviewer=request.user)
    try:
        services.question_ask(
            assignment=assignment,
            user=request.user,
            body=request.POST.get("body", ""),
            nonce=request.POST.get("nonce", ""),
        )
    except GrantsError as exc:
        for m in exc.messages:
            messages.error(request, m)
    else:
        messages.success(request, _("Your question went to the fund's staff, who will pass it on to the group."))
    return redirect(f"{redirect('grants:review_detail', pk=assignment.pk).url}#questions")


@require_GET
def objection_page(request, token):
    """The objector's private page: their reference, where the objection stands, and staff's answer.
    Reached only by the link they were given; nothing here is public."""
    objection = Objection.for_page_token(token)
    if objection is None:
        return render(request, "grants/objection_page.html", {"objection": None}, status=404)
    response = render(request, "grants/objection_page.html", {"objection": objection})
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
