"""Amounts as Stripe's events carry them, read strictly: integer minor units of a currency we know, within what money can hold; anything else (1e309, NaN, 3000.0, "3000") is refused with the reason, and kept as text for staff."""

from __future__ import annotations

import math
from decimal import Decimal

from fundpool.donations.outcomes import Refused
from fundpool.money import MAX_DIGITS, from_minor_units


def _amount(units: int, currency: str) -> Decimal:
    return from_minor_units(units, currency)


# More minor units than any amount the ledger holds (money.MAX_DIGITS digits in all).
MINOR_UNITS_BOUND = 10**MAX_DIGITS


def _shown(value) -> str:
    """A value from an event, short, for a reason staff read."""
    if isinstance(value, bool) or value is None:
        text = {True: "true", False: "false", None: "null"}[value]
    elif isinstance(value, str):
        text = f"“{value[:30]}”"
    elif isinstance(value, (int, float)):
        text = repr(value)
    else:
        text = {dict: "{…}", list: "[…]"}.get(type(value), type(value).__name__)
    return text if len(text) <= 60 else text[:59] + "…"


def _minor(obj: dict, key: str, *, at: str, zero_ok: bool = False) -> int:
    """An amount in minor units exactly as Stripe sends one (a JSON integer, ≥ 0, of a size money can
    have), or Refused saying what is wrong with it."""
    field = f"{at}.{key}"
    value = obj.get(key)
    if value is None:
        raise Refused("missing", field=field)
    if isinstance(value, float) and not math.isfinite(value):
        raise Refused("not_finite", field=field, value=_shown(value))
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refused("not_integer", field=field, value=_shown(value))
    if value < 0:
        raise Refused("negative", field=field, value=_shown(value))
    if value == 0 and not zero_ok:
        raise Refused("zero", field=field, value=_shown(value))
    if value >= MINOR_UNITS_BOUND:
        raise Refused("too_large", field=field, value=_shown(value))
    return value


def _currency(*values) -> str:
    """The first currency given, as an ISO code ("" if none is)."""
    for value in values:
        if value:
            return str(value).strip().upper()[:10]
    return ""


def _non_finite(value, path: str = "") -> tuple[str, str] | None:
    """Where the payload holds a number JSON has no room for (NaN, ±Infinity, e.g. from 1e309), and
    how it was written; None if nowhere."""
    stack = [(path, value)]
    while stack:
        here, item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return here, _json_token(item)
        if isinstance(item, dict):
            stack.extend((f"{here}.{k}" if here else str(k), v) for k, v in reversed(list(item.items())))
        elif isinstance(item, list):
            stack.extend((f"{here}[{i}]", v) for i, v in reversed(list(enumerate(item))))
    return None


def _json_token(number: float) -> str:
    return "NaN" if math.isnan(number) else ("Infinity" if number > 0 else "-Infinity")


def _storable(value):
    """The payload with each non-finite number kept as the text it was sent as: PostgreSQL's jsonb
    (and JSON itself) has no NaN or Infinity."""
    if isinstance(value, float) and not math.isfinite(value):
        return _json_token(value)
    if isinstance(value, dict):
        return {k: _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value
