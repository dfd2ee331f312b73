"""The reasons and memos grants' services write by themselves, stored as codes and shown in the
reader's language (see core/system_reasons.py). Loaded when the app is ready."""

from django.utils.translation import gettext_lazy as _

from core.system_reasons import display, encode, register, typed

__all__ = ["display", "encode", "typed"]

register(
    {
        "grants.reviews_in": _("All assigned reviews are in."),
        "grants.notice_ended": _("Public notice ended with no open objection."),
        "grants.capacity_building": _("Capacity building for %(group)s"),
        "grants.final_report_accepted": _("Final report accepted."),
        "grants.overpaid": _("Paid more than the project spent."),
        "grants.related_party": _("declared as a related party"),
        "grants.returned_by": _("Returned by %(group)s for “%(project)s”"),
    }
)
