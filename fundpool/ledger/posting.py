"""Posting a drafted entry, with the checks every writer makes on an outside reference."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from core import audit
from fundpool.errors import (
    AlreadyReversed,
    DuplicateReference,
    InvalidAmount,
)
from fundpool.ledger import engine as ledger
from fundpool.ledger.engine import Draft
from fundpool.models import (
    JournalEntry,
)


def clean_ref(value: str | None, *, label) -> str | None:
    value = (value or "").strip()
    if len(value) > 200:
        raise InvalidAmount(_("%(label)s is too long (at most 200 characters)."), label=label)
    return value or None


def check_external_ref_free(external_ref: str | None) -> None:
    if external_ref and JournalEntry.objects.filter(external_ref=external_ref).exists():
        raise DuplicateReference(_("The reference “%(ref)s” has already been used."), ref=external_ref)


def post_draft(draft: Draft, **kwargs) -> JournalEntry:
    """Post, turning a unique-reference race into the same clear error as the check before it."""
    try:
        with transaction.atomic():
            entry = ledger.post(draft, **kwargs)
    except IntegrityError as exc:
        if draft.external_ref and "external_ref" in str(exc):
            raise DuplicateReference(
                _("The reference “%(ref)s” has already been used."), ref=draft.external_ref
            ) from None
        if draft.reversal_of is not None and "reversal_of" in str(exc):
            raise AlreadyReversed() from None
        raise
    audit.record(
        entry,
        "fund.entry_post",
        by=kwargs.get("actor"),
        kind=entry.kind,
        amount=entry.amount,
        reference=draft.reference,
        external_ref=draft.external_ref,
        memo=draft.memo,
    )
    return entry
