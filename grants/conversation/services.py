"""Sending messages, notes and reviewers' questions; reading; requests for information."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit
from core.uploads import UploadRefused, accept_upload, upload_label
from grants import lifecycle
from grants.common import GrantsError, acting_user, is_member_of
from grants.models import (
    Application,
    InfoRequest,
    InfoRequestItem,
    ItemStatus,
    Message,
    MessageAttachment,
    MessageKind,
    ReviewAssignment,
    Thread,
    ThreadRead,
)

from . import notify
from .rules import is_fund_staff

MAX_ITEMS = 20


def thread_for(application: Application) -> Thread:
    thread, _created = Thread.objects.get_or_create(application=application)
    return thread


def _locked_thread(application: Application) -> Thread:
    thread_for(application)
    return Thread.objects.select_for_update().get(application=application)


def _clean_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise GrantsError(_("Write a message before sending."))
    if len(body) > Message.MAX_LENGTH:
        raise GrantsError(
            _("A message holds at most %(max)s characters; this one has %(n)s. Split it, or attach a file.")
            % {"max": Message.MAX_LENGTH, "n": len(body)}
        )
    return body


def _accept_files(files) -> list[tuple]:
    files = [f for f in (files or []) if f]
    if len(files) > Message.MAX_FILES:
        raise GrantsError(_("At most %(n)s files per message.") % {"n": Message.MAX_FILES})
    accepted = []
    for f in files:
        label = upload_label(getattr(f, "name", ""), limit=120) or _("file")
        try:
            stored, content_type = accept_upload(f)
        except UploadRefused as exc:
            raise GrantsError(f"{label}: {exc}") from None
        accepted.append((label, stored, content_type))
    return accepted


def _mark_read(thread: Thread, user, at) -> None:
    if acting_user(user) is None:
        return
    ThreadRead.objects.update_or_create(thread=thread, user=user, defaults={"read_at": at})


def _create(thread: Thread, *, user, kind: str, from_fund: bool, body: str, nonce: str, files=(), **extra) -> Message:
    """One message, once per nonce: a second post of the same form (a double click) returns the first."""
    nonce = (nonce or "")[:40]
    if nonce:
        earlier = Message.objects.filter(thread=thread, author=user, nonce=nonce).first()
        if earlier is not None:
            return earlier
    accepted = _accept_files(files)
    try:
        with transaction.atomic():
            message = Message.objects.create(
                thread=thread, kind=kind, author=acting_user(user), from_fund=from_fund, body=body, nonce=nonce, **extra
            )
    except IntegrityError:
        earlier = Message.objects.filter(thread=thread, author=user, nonce=nonce).first()
        if earlier is None:
            raise
        return earlier
    for label, stored, content_type in accepted:
        MessageAttachment.objects.create(
            message=message, title=label, file=stored, content_type=content_type, size=stored.size
        )
    now = message.created_at
    fields = ["last_message_at"]
    thread.last_message_at = now
    if kind == MessageKind.MESSAGE:
        if from_fund:
            thread.awaiting_staff_since = None
        elif thread.awaiting_staff_since is None:
            thread.awaiting_staff_since = now
        fields.append("awaiting_staff_since")
    thread.save(update_fields=fields)
    _mark_read(thread, user, now)
    message._created = True
    return message


@dataclass
class Sent:
    message: Message
    created: bool
    done: list[InfoRequestItem]


@transaction.atomic
def message_send(
    *,
    application: Application,
    user,
    body: str,
    as_fund: bool,
    files=(),
    nonce: str = "",
    internal: bool = False,
    reply_to: Message | None = None,
    items_done=(),
) -> Sent:
    """A message between the group and staff (`as_fund` says which side writes), or, from staff, an
    internal note the group never sees. The group may mark items of open requests as sent with it."""
    if as_fund:
        if not is_fund_staff(user):
            raise GrantsError(_("Only fund staff write here."))
    elif not is_member_of(application.group, user):
        raise GrantsError(_("Only members of the group write here."))
    if internal and not as_fund:
        raise GrantsError(_("Only fund staff write internal notes."))
    body = _clean_body(body)
    thread = _locked_thread(application)
    if reply_to is not None and (reply_to.thread_id != thread.pk or reply_to.is_internal):
        reply_to = None
    kind = MessageKind.NOTE if internal else MessageKind.MESSAGE
    message = _create(
        thread, user=user, kind=kind, from_fund=as_fund, body=body, nonce=nonce, files=files, reply_to=reply_to
    )
    created = getattr(message, "_created", False)
    done = []
    if created and not as_fund:
        for item in items_done:
            done.append(_item_done(item, application=application, user=user, message=message))
    if created and kind == MessageKind.MESSAGE:
        transaction.on_commit(lambda: notify.message_sent(message, items=done))
    return Sent(message, created, done)


@transaction.atomic
def question_ask(*, assignment: ReviewAssignment, user, body: str, nonce: str = "") -> Message:
    """A reviewer's question for the group. It goes to staff, who pass it on (`question_relay`);
    the reviewer sees the group's answer without who wrote it."""
    if assignment.reviewer_id != getattr(user, "pk", None) or assignment.recused:
        raise GrantsError(_("Only the assigned reviewer asks questions here."))
    if getattr(assignment, "review", None) is not None and assignment.review.submitted_at:
        raise GrantsError(_("Your review is submitted; ask staff if you need anything more."))
    body = _clean_body(body)
    thread = _locked_thread(assignment.application)
    message = _create(thread, user=user, kind=MessageKind.QUESTION, from_fund=True, body=body, nonce=nonce)
    if getattr(message, "_created", False):
        transaction.on_commit(lambda: notify.question_asked(message))
    return message


@transaction.atomic
def question_relay(*, question: Message, user, body: str, nonce: str = "") -> Message:
    """Staff pass a reviewer's question on to the group, in their own words (without the reviewer's name)."""
    if not is_fund_staff(user):
        raise GrantsError(_("Only fund staff pass questions on."))
    if question.kind != MessageKind.QUESTION:
        raise GrantsError(_("This is not a reviewer's question."))
    if question.relayed_as.exists():
        raise GrantsError(_("This question has been passed on already."))
    body = _clean_body(body)
    thread = _locked_thread(question.thread.application)
    message = _create(
        thread, user=user, kind=MessageKind.MESSAGE, from_fund=True, body=body, nonce=nonce, relays=question
    )
    if getattr(message, "_created", False):
        transaction.on_commit(lambda: notify.message_sent(message, items=[]))
    return message


def thread_read(*, application: Application, user) -> None:
    """Whoever opens a thread has read it up to now (their own read mark, nothing else)."""
    thread = Thread.objects.filter(application=application).only("pk", "last_message_at").first()
    if thread is None or thread.last_message_at is None or acting_user(user) is None:
        return
    read = ThreadRead.objects.filter(thread=thread, user=user).values_list("read_at", flat=True).first()
    if read is None or read < thread.last_message_at:
        _mark_read(thread, user, timezone.now())


# --- requests for information ----------------------------------------------------------------


@dataclass
class ItemInput:
    label: str
    due_on: date | None


@transaction.atomic
def info_request_create(*, application: Application, user, items: list[ItemInput], note: str = "", nonce: str = ""):
    """Staff ask the group for named items, each due by a date. The request is a message in the
    thread, and the group sees its items on the dashboard and the application until staff accept them."""
    if not is_fund_staff(user):
        raise GrantsError(_("Only fund staff ask for information."))
    if application.status not in lifecycle.INFO_REQUESTED.states:
        raise GrantsError(
            _(
                "Information is asked only while the application is with the fund: not of a draft, nor once it is closed."
            )
        )
    today = timezone.localdate()
    items = [ItemInput((i.label or "").strip(), i.due_on) for i in items if (i.label or "").strip() or i.due_on]
    errors = []
    if not items:
        errors.append(_("Name at least one item to ask for."))
    if len(items) > MAX_ITEMS:
        errors.append(_("At most %(n)s items per request.") % {"n": MAX_ITEMS})
    for n, item in enumerate(items, 1):
        if not item.label:
            errors.append(_("Item %(n)s: say what is asked.") % {"n": n})
        elif len(item.label) > 200:
            errors.append(_("Item %(n)s: at most 200 characters.") % {"n": n})
        if item.due_on is None:
            errors.append(_("Item %(n)s: give a due date.") % {"n": n})
        elif item.due_on < today:
            errors.append(
                _("Item %(n)s: the due date %(date)s is in the past.") % {"n": n, "date": item.due_on.isoformat()}
            )
    if errors:
        raise GrantsError(*errors)
    thread = _locked_thread(application)
    nonce = (nonce or "")[:40]
    if nonce:
        earlier = Message.objects.filter(thread=thread, author=user, nonce=nonce, info_request__isnull=False).first()
        if earlier is not None:
            return earlier.info_request
    request = InfoRequest.objects.create(application=application, created_by=acting_user(user))
    for item in items:
        InfoRequestItem.objects.create(request=request, label=item.label, due_on=item.due_on)
    lines = [_("Please send us:")] + [
        _("• %(label)s (by %(date)s)") % {"label": i.label, "date": i.due_on.isoformat()} for i in items
    ]
    if (note or "").strip():
        lines += ["", note.strip()[: Message.MAX_LENGTH - 2000]]
    message = _create(
        thread,
        user=user,
        kind=MessageKind.MESSAGE,
        from_fund=True,
        body="\n".join(lines),
        nonce=nonce,
        info_request=request,
    )
    audit.record(application, "grants.info_request", by=user, items=len(items))
    transaction.on_commit(lambda: notify.info_requested(request, message))
    return request


def _item_done(item: InfoRequestItem, *, application, user, message=None) -> InfoRequestItem:
    item = InfoRequestItem.objects.select_for_update().select_related("request").get(pk=item.pk)
    if item.request.application_id != application.pk:
        raise GrantsError(_("That item belongs to another application."))
    if item.status != ItemStatus.OPEN:
        return item
    item.status, item.done_at = ItemStatus.DONE, timezone.now()
    item.save(update_fields=["status", "done_at"])
    return item


@transaction.atomic
def item_done(*, item: InfoRequestItem, user) -> InfoRequestItem:
    application = item.request.application
    if not is_member_of(application.group, user):
        raise GrantsError(_("Only members of the group mark items as sent."))
    item = _item_done(item, application=application, user=user)
    thread = _locked_thread(application)
    if thread.awaiting_staff_since is None:
        thread.awaiting_staff_since = timezone.now()
        thread.save(update_fields=["awaiting_staff_since"])
    transaction.on_commit(lambda: notify.items_done(application, [item]))
    return item


@transaction.atomic
def item_accept(*, item: InfoRequestItem, user) -> InfoRequestItem:
    if not is_fund_staff(user):
        raise GrantsError(_("Only fund staff accept what was sent."))
    item = InfoRequestItem.objects.select_for_update().select_related("request__application").get(pk=item.pk)
    if item.status == ItemStatus.ACCEPTED:
        raise GrantsError(_("This item is accepted already."))
    item.status, item.accepted_at, item.accepted_by = ItemStatus.ACCEPTED, timezone.now(), acting_user(user)
    item.save(update_fields=["status", "accepted_at", "accepted_by"])
    application = item.request.application
    audit.record(application, "grants.info_item_accept", by=user, item=item.label)
    # The group is told in the thread (and by email) that what it sent is accepted.
    message = _create(
        _locked_thread(application),
        user=user,
        kind=MessageKind.MESSAGE,
        from_fund=True,
        body=_("Received and accepted: %(label)s. Thank you.") % {"label": item.label},
        nonce="",
        info_request=item.request,
    )
    transaction.on_commit(lambda: notify.message_sent(message, items=[]))
    return item


@transaction.atomic
def item_ask_again(*, item: InfoRequestItem, user, reason: str, due_on: date | None) -> InfoRequestItem:
    """What was sent does not do: the item is open again, with a new due date and the reason, told
    to the group in the thread."""
    if not is_fund_staff(user):
        raise GrantsError(_("Only fund staff ask again."))
    item = InfoRequestItem.objects.select_for_update().select_related("request__application").get(pk=item.pk)
    reason = (reason or "").strip()
    errors = []
    if item.status == ItemStatus.ACCEPTED:
        errors.append(_("This item is accepted already."))
    if not reason:
        errors.append(_("Say what is still missing, so the group can send the right thing."))
    if due_on is None:
        errors.append(_("Give a new due date."))
    elif due_on < timezone.localdate():
        errors.append(_("The due date %(date)s is in the past.") % {"date": due_on.isoformat()})
    if errors:
        raise GrantsError(*errors)
    item.status, item.done_at, item.due_on = ItemStatus.OPEN, None, due_on
    item.asked_again += 1
    item.again_reason = reason[:500]
    item.save(update_fields=["status", "done_at", "due_on", "asked_again", "again_reason"])
    application = item.request.application
    thread = _locked_thread(application)
    body = _("Please send again: %(label)s (by %(date)s). %(reason)s") % {
        "label": item.label,
        "date": due_on.isoformat(),
        "reason": reason,
    }
    message = _create(
        thread, user=user, kind=MessageKind.MESSAGE, from_fund=True, body=body, nonce="", info_request=item.request
    )
    transaction.on_commit(lambda: notify.message_sent(message, items=[]))
    return item
