"""Notifications: the kinds each app sends (registered from its AppConfig.ready), each person's
choice per kind (at once, or in a daily digest), and the digest itself.

Every notification is a row of the outbox: sent at once, or HELD until the daily digest carries
it (the row then points to the digest's own row). So "was the group told?" is always answered
by the outbox, whichever the person chose."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import jobs
from .models import NotificationPreference, OutboundEmail, OutboxStatus
from .outbox import KIND_HEADER, REF_HEADER, store


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    # Whether a person receives this kind at all (so their settings page lists only theirs).
    applies: Callable


KINDS: dict[str, Kind] = {}


def register_kinds(*kinds: Kind) -> None:
    for kind in kinds:
        KINDS[kind.key] = kind


def kinds_for(user) -> list[Kind]:
    return [k for k in KINDS.values() if k.applies(user)]


def daily_for(user) -> set[str]:
    return set(NotificationPreference.objects.filter(user=user, daily=True).values_list("kind", flat=True))


@transaction.atomic
def preferences_set(*, user, daily: set[str]) -> None:
    """Save one person's choices: the kinds named go to the daily digest, the rest at once."""
    allowed = {k.key for k in kinds_for(user)}
    daily = set(daily) & allowed
    NotificationPreference.objects.filter(user=user).exclude(kind__in=daily).delete()
    for kind in daily:
        NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"daily": True})


def daily_recipients(kind: str, emails) -> set[str]:
    """Of these addresses, those whose person chose the daily digest for `kind`."""
    if kind not in KINDS or not emails:
        return set()
    users = get_user_model().objects.filter(
        email__in=list(emails), notification_prefs__kind=kind, notification_prefs__daily=True
    )
    return set(users.values_list("email", flat=True))


def hold(message: EmailMessage) -> OutboundEmail:
    """Keep a message for the recipient's next daily digest instead of sending it now."""
    row = store(message)
    OutboundEmail.objects.filter(pk=row.pk).update(status=OutboxStatus.HELD)
    return row


def send_digests() -> str:
    """One email per address holding notifications: every one of them, oldest first. Each held
    row is then marked as sent in that digest."""
    held = list(OutboundEmail.objects.filter(status=OutboxStatus.HELD).order_by("created_at", "pk"))
    by_address: dict[str, list[OutboundEmail]] = defaultdict(list)
    for row in held:
        by_address[row.to].append(row)
    sent = 0
    for address, rows in by_address.items():
        with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
            rows = list(
                OutboundEmail.objects.select_for_update().filter(pk__in=[r.pk for r in rows], status=OutboxStatus.HELD)
            )
            if not rows:
                continue
            parts = [f"■ {r.subject}\n\n{r.body.strip()}" for r in rows]
            subject = ngettext(
                "Your daily digest: %(n)s notification", "Your daily digest: %(n)s notifications", len(rows)
            ) % {"n": len(rows)}
            body = (
                "\n\n"
                + ("\n\n" + "—" * 20 + "\n\n").join(parts)
                + "\n\n"
                + _("You chose to get these once a day. Change it on your notification settings page.")
            )
            message = EmailMessage(subject, body, None, [address], headers={REF_HEADER: "", KIND_HEADER: "digest"})
            digest = store(message)
            jobs.enqueue("core.outbox.deliver", digest.pk, kind="email")
            OutboundEmail.objects.filter(pk__in=[r.pk for r in rows]).update(
                status=OutboxStatus.DIGESTED, digest=digest, sent_at=timezone.now()
            )
            sent += 1
    return f"{sent} digest(s) for {len(held)} notification(s)"
