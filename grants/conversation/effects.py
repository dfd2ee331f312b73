"""The lifecycle table's effect that tells staff (grants/lifecycle/steps.py, Effect.TELL_STAFF):
a new submission reaches the people who screen, at once or in their daily digest."""

from __future__ import annotations

from django.db import transaction

from grants import notify
from grants.lifecycle import Effect
from grants.models import Application
from grants.transitions import effect


@effect(Effect.TELL_STAFF)
def tell_staff(application: Application, *, user, reason: str, params: dict) -> None:
    transaction.on_commit(lambda: notify.submitted_to_staff(application, what="application"))
