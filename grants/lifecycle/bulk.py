"""The bulk actions staff may take on many applications of a call: each names the lifecycle step
it runs for every one of them (or none, for assigning reviewers). Run by grants/overview/bulk.py."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class BulkAction:
    key: str
    label: str
    step: str | None  # the lifecycle step it runs, or None (reviewers)
    needs_reason: bool = False


BULK_ACTIONS = {
    a.key: a
    for a in (
        BulkAction("return", _("Return for changes"), "return_for_changes", needs_reason=True),
        BulkAction("reject", _("Reject as ineligible"), "reject_eligibility", needs_reason=True),
        BulkAction("assign", _("Assign reviewers"), None),
        BulkAction("decline", _("Decline"), "decline", needs_reason=True),
        BulkAction("propose", _("Propose awards down the suggestion list"), "propose_award"),
    )
}
