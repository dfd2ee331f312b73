"""Residents' feedback on a project: a rating and a comment, moderated before it is shown."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import audit
from grants import lifecycle
from grants.common import GrantsError, acting_user
from grants.models import (
    Application,
    Feedback,
    FeedbackStatus,
)

FEEDBACK_STATES = [lifecycle.Status.IN_DELIVERY, lifecycle.Status.REPORTING, lifecycle.Status.COMPLETED]


def feedback_source(address: str) -> str:
    """A keyed hash of the sender's address: enough to tell one sender's ratings apart, useless to
    identify anyone. (The rate limit is the view's: fundpool/ratelimit.py.)"""
    return hmac.new(settings.SECRET_KEY.encode(), (address or "").encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def feedback_submit(*, application: Application, rating, comment: str, source: str) -> Feedback:
    if application.status not in FEEDBACK_STATES:
        raise GrantsError(_("This project is not taking feedback."))
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise GrantsError(_("Choose a rating from 1 to 5 stars."))
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise GrantsError(_("A comment is at most 500 characters."))
    return Feedback.objects.create(application=application, rating=rating, comment=comment, source=source)


@transaction.atomic
def feedback_moderate(*, feedback: Feedback, actor, approve: bool) -> Feedback:
    if not actor.has_perm("grants.manage_delivery"):
        raise GrantsError(_("You may not moderate feedback."))
    feedback = Feedback.objects.select_for_update().get(pk=feedback.pk)
    feedback.status = FeedbackStatus.APPROVED if approve else FeedbackStatus.HIDDEN
    feedback.moderated_by, feedback.moderated_at = acting_user(actor), timezone.now()
    feedback.save(update_fields=["status", "moderated_by", "moderated_at"])
    audit.record(feedback, "grants.feedback_moderate", by=actor, outcome=feedback.status)
    return feedback
