"""The audit log of staff actions: who did what to which record, when, with the figures and reasons
they gave. Entries go into Wagtail's log (so staff read them under Reports → Site history, filtered
by action, person and date), beside the lifecycle's own transition log (django-fsm-log). Both are
append-only in the database (migration 0009): a log that can be edited proves nothing.

Services call `record` inside their transaction, so an action and its entry commit or roll back
together."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

# action → label (shown in the admin's history report and its filter); each app registers its own
# (`register_actions`, from its AppConfig.ready).
ACTIONS: dict = {}


def register_actions(actions: dict) -> None:
    """Add {action: lazy label}; the action names start with the app's prefix ("fund.", "grants.")."""
    ACTIONS.update(actions)


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def record(instance, action: str, by=None, **data) -> None:
    """Log `action` on `instance` by the person `by` with `data`. What the system does on its own
    (a donation arriving by webhook, a notice closing at its deadline) is not a staff action: it is
    in the ledger and the transition log, and is not repeated here."""
    from wagtail.log_actions import log

    if action not in ACTIONS:
        raise ValueError(f"unregistered audit action {action}")
    if by is None or not getattr(by, "is_authenticated", False):
        return
    user = by
    log(instance=instance, action=action, user=user, data={k: _plain(v) for k, v in data.items()})


# How the recorded details read in the history report: labels for the keys, and for some keys a
# function from the stored value to words (apps add theirs with `display`).
FIELD_LABELS = {
    "step": _("step"),
    "before": _("status before"),
    "after": _("status after"),
    "reason": _("reason"),
    "kind": _("kind"),
    "amount": _("amount"),
    "currency": _("currency"),
    "reference": _("reference"),
    "external_ref": _("outside reference"),
    "memo": _("memo"),
    "reviewers": _("reviewers"),
    "reviewer": _("reviewer"),
    "report": _("report"),
    "filing_number": _("filing number"),
    "filed_on": _("filed on"),
    "outcome": _("decision"),
    "note": _("note"),
    "accepted": _("accepted"),
    "score": _("score"),
    "title": _("title"),
    "size": _("size (bytes)"),
    "funder": _("funder"),
    "reversal": _("reversing entry"),
}


def register_fields(labels: dict) -> None:
    """Add {detail key: lazy label} for an app's own details."""
    FIELD_LABELS.update(labels)


_DISPLAY = {}


def display(key: str, words) -> None:
    """Show the stored values of `key` through `words(value) -> str`."""
    _DISPLAY[key] = words


def describe(data: dict) -> str:
    parts = []
    order = list(FIELD_LABELS)
    # In FIELD_LABELS' order: PostgreSQL's jsonb does not keep the order the keys were written in.
    for key, value in sorted(
        (data or {}).items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else len(order), kv[0])
    ):
        if value in ("", None, []):
            continue
        if isinstance(value, list):
            value = "、".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = _("yes") if value else _("no")
        elif key in _DISPLAY:
            value = _DISPLAY[key](value)
        parts.append(f"{FIELD_LABELS.get(key, key)}: {value}")
    return "; ".join(parts)


def register(actions) -> None:
    """For the `register_log_actions` hook: every registered action, with its details in words."""
    from wagtail.log_actions import LogFormatter

    from . import system_reasons

    display("reason", system_reasons.display)
    display("memo", system_reasons.display)
    display("note", system_reasons.display)
    for action, label in ACTIONS.items():

        class Formatter(LogFormatter):
            def format_message(self, log_entry, _label=label):
                details = describe(log_entry.data)
                return f"{_label}" + (f" — {details}" if details else "")

        Formatter.label = label
        actions.register_action(action)(Formatter)
