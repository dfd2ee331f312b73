"""Reads for conversations: the messages each side sees, unread counts, open requests, and a
reviewer's questions with their answers (never who answered)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone

from grants.models import (
    InfoRequestItem,
    ItemStatus,
    Message,
    MessageAttachment,
    MessageKind,
    ReviewAssignment,
    Thread,
    ThreadRead,
)


def messages_for(*, application, side: str):
    """The thread as one side sees it: the group sees messages only, staff see notes and reviewers'
    questions too."""
    qs = Message.objects.filter(thread__application=application)
    if side != "fund":
        qs = qs.filter(kind=MessageKind.MESSAGE)
    return qs.select_related("author", "relays", "info_request").prefetch_related(
        Prefetch("attachments", queryset=MessageAttachment.objects.order_by("pk"))
    )


def read_at(*, application, user):
    return (
        ThreadRead.objects.filter(thread__application=application, user=user).values_list("read_at", flat=True).first()
    )


def unread_by_application(*, user, application_ids, side: str) -> dict[int, int]:
    """{application id: messages from the other side this person has not read}, in one query."""
    if not application_ids:
        return {}
    read = ThreadRead.objects.filter(thread=OuterRef("thread"), user=user).values("read_at")[:1]
    qs = Message.objects.filter(thread__application_id__in=application_ids).exclude(author=user)
    if side == "group":
        qs = qs.filter(kind=MessageKind.MESSAGE, from_fund=True)
    else:
        qs = qs.filter(Q(from_fund=False) | Q(kind=MessageKind.QUESTION))
    qs = qs.annotate(read=Subquery(read)).filter(Q(read__isnull=True) | Q(created_at__gt=F("read")))
    rows = qs.values("thread__application_id").annotate(n=Count("pk"))
    return {row["thread__application_id"]: row["n"] for row in rows}


def open_items(*, application):
    """What the group is still asked for (asked, or sent and awaiting staff), soonest first."""
    return (
        InfoRequestItem.objects.filter(request__application=application)
        .exclude(status=ItemStatus.ACCEPTED)
        .order_by("due_on", "pk")
    )


def all_items(*, application):
    return InfoRequestItem.objects.filter(request__application=application).select_related("accepted_by")


def open_items_for(*, application_ids) -> dict[int, list]:
    """{application id: its open items}, for the dashboard, in one query."""
    out: dict[int, list] = {}
    items = (
        InfoRequestItem.objects.filter(request__application_id__in=application_ids)
        .exclude(status=ItemStatus.ACCEPTED)
        .select_related("request")
        .order_by("due_on", "pk")
    )
    for item in items:
        out.setdefault(item.request.application_id, []).append(item)
    return out


@dataclass
class Asked:
    question: Message
    relayed: bool
    answers: list  # [(created_at, body)]: the group's words only, never who wrote them


def questions_for_reviewer(*, assignment: ReviewAssignment) -> list[Asked]:
    questions = Message.objects.filter(
        thread__application_id=assignment.application_id, kind=MessageKind.QUESTION, author_id=assignment.reviewer_id
    ).order_by("created_at", "pk")
    out = []
    for q in questions:
        relay_ids = list(q.relayed_as.values_list("pk", flat=True))
        answers = list(
            Message.objects.filter(reply_to_id__in=relay_ids, from_fund=False, kind=MessageKind.MESSAGE)
            .order_by("created_at", "pk")
            .values_list("created_at", "body")
        )
        out.append(Asked(q, bool(relay_ids), answers))
    return out


def unrelayed_questions(*, application):
    relayed = Message.objects.filter(relays=OuterRef("pk"))
    return (
        Message.objects.filter(thread__application=application, kind=MessageKind.QUESTION)
        .annotate(done=Exists(relayed))
        .filter(done=False)
    )


def thread_exists(*, application) -> bool:
    return Thread.objects.filter(application=application).exists()


def overdue_items():
    return InfoRequestItem.objects.filter(status=ItemStatus.OPEN, due_on__lt=timezone.localdate())


def application_for_member(*, user, pk):
    """The application if `user` is a member of its group; 404 otherwise (a thread one does not
    belong to does not exist for them)."""
    from django.http import Http404

    from grants.models import Application

    try:
        return Application.objects.select_related("call", "group").get(pk=pk, group__memberships__user=user)
    except (Application.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def application_for_staff(*, pk):
    from django.http import Http404

    from grants.models import Application

    try:
        return Application.objects.select_related("call", "group").get(pk=pk)
    except (Application.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
