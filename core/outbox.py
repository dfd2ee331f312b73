"""Every email goes through the outbox. EMAIL_BACKEND is `OutboxBackend`: what the site, allauth
or Wagtail sends becomes an OutboundEmail row and a job (`deliver`) that sends it with the real
backend (OUTBOX_DELIVERY_BACKEND), records it sent, or records the error and lets the job retry.

Senders may say what a message is about with two headers, kept on the row and not sent:
X-Fundpool-Ref (an opaque reference such as "grant:42") and X-Fundpool-Kind. Delivery is at least
once: a worker killed between the mail server's acceptance and the row's update sends it again."""

from __future__ import annotations

import base64
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone

from . import jobs
from .models import OutboundEmail, OutboxStatus

logger = logging.getLogger(__name__)

REF_HEADER, KIND_HEADER = "X-Fundpool-Ref", "X-Fundpool-Kind"


def _extra(message) -> dict:
    headers = {k: str(v) for k, v in (message.extra_headers or {}).items() if k not in (REF_HEADER, KIND_HEADER)}
    attachments = []
    for attachment in message.attachments or []:
        if isinstance(attachment, tuple) or hasattr(attachment, "filename"):
            filename, content, mimetype = tuple(attachment)[:3]
            data = content.encode() if isinstance(content, str) else content
            attachments.append({"filename": filename, "mimetype": mimetype, "b64": base64.b64encode(data).decode()})
    return {
        "cc": list(message.cc or []),
        "bcc": list(message.bcc or []),
        "reply_to": list(message.reply_to or []),
        "headers": headers,
        "alternatives": [[str(c), m] for c, m in getattr(message, "alternatives", []) or []],
        "attachments": attachments,
    }


def store(message) -> OutboundEmail:
    headers = message.extra_headers or {}
    return OutboundEmail.objects.create(
        to="\n".join(message.to or []),
        subject=str(message.subject)[:300],
        body=str(message.body),
        from_email=str(message.from_email or "")[:300],
        ref=str(headers.get(REF_HEADER, ""))[:100],
        kind=str(headers.get(KIND_HEADER, ""))[:60],
        extra=_extra(message),
    )


class OutboxBackend(BaseEmailBackend):
    """Keeps each message in the outbox and queues its delivery."""

    def send_messages(self, email_messages) -> int:
        count = 0
        for message in email_messages:
            if not (message.to or message.cc or message.bcc):
                continue
            row = store(message)
            # Queued with the row when inside a transaction (the broker is this database).
            jobs.enqueue("core.outbox.deliver", row.pk, kind="email")
            count += 1
        return count


def _message(row: OutboundEmail) -> EmailMultiAlternatives:
    extra = row.extra or {}
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body,
        from_email=row.from_email or None,
        to=row.recipients,
        cc=extra.get("cc") or None,
        bcc=extra.get("bcc") or None,
        reply_to=extra.get("reply_to") or None,
        headers=extra.get("headers") or None,
    )
    for content, mimetype in extra.get("alternatives") or []:
        message.attach_alternative(content, mimetype)
    for a in extra.get("attachments") or []:
        message.attach(a["filename"], base64.b64decode(a["b64"]), a["mimetype"])
    return message


def deliver(pk: int) -> str:
    """Send one message from the outbox, once: the row is locked while it is sent, and a second run
    finds it sent. A failure is recorded on the row and raised, so that the job is tried again."""
    failure = None
    with transaction.atomic():
        row = OutboundEmail.objects.select_for_update().filter(pk=pk).first()
        if row is None or row.status == OutboxStatus.SENT:
            return f"email {pk}: nothing to do"
        row.attempts += 1
        try:
            connection = get_connection(backend=settings.OUTBOX_DELIVERY_BACKEND, fail_silently=False)
            connection.send_messages([_message(row)])
        except Exception as exc:  # noqa: BLE001 - recorded on the row, then raised for the job's retry
            failure = exc
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            row.status = OutboxStatus.GAVE_UP if row.attempts >= settings.JOB_RETRIES else OutboxStatus.FAILED
        else:
            row.status, row.sent_at, row.last_error = OutboxStatus.SENT, timezone.now(), ""
        row.save(update_fields=["status", "sent_at", "last_error", "attempts"])
    if failure is not None:
        raise failure
    return f"email {pk}: sent"
