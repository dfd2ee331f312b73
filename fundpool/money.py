"""Money: Decimal amounts with an ISO currency. The only place that knows how many decimals a
currency has, and the only place that converts to and from a payment provider's integer minor units."""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .errors import CurrencyMismatch, InvalidAmount

# ISO 4217 exponents for the currencies a pool might keep.
CURRENCY_EXPONENT = {"CNY": 2, "HKD": 2, "MOP": 2, "TWD": 2, "USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "KRW": 0}

MAX_DIGITS = 16  # up to 99,999,999,999,999.99 — far beyond any community fund
ZERO = Decimal("0.00")


def pool_currency() -> str:
    return settings.FUNDPOOL_CURRENCY


def exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENT[currency]
    except KeyError:
        raise CurrencyMismatch(_("Unknown currency %(currency)s."), currency=currency) from None


def check_currency(currency: str | None) -> str:
    """The pool's currency, or an error naming both when another one is given."""
    expected = pool_currency()
    if currency in (None, ""):
        return expected
    currency = str(currency).strip().upper()
    if currency != expected:
        raise CurrencyMismatch(
            _("The amount is in %(given)s but this pool keeps %(expected)s."), given=currency, expected=expected
        )
    return currency


_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def parse_amount(value, currency: str | None = None, *, allow_zero: bool = False) -> Decimal:
    """A positive amount in the pool's currency, exactly as given.

    Refuses floats (they cannot hold money exactly), non-numbers, NaN and infinities, zero and
    negatives, and more decimals than the currency has: such input is rejected, never rounded.
    """
    currency = check_currency(currency)
    if isinstance(value, bool) or isinstance(value, float):
        raise InvalidAmount(_("Amounts must be given as decimal numbers, not floating point."))
    if isinstance(value, Decimal):
        amount = value
    else:
        # Full-width digits, commas and the yen sign typed on a Chinese keyboard count as ordinary ones.
        text = unicodedata.normalize("NFKC", str(value)).strip() if value is not None else ""
        if text.startswith("¥"):
            text = text[1:].strip()
        if not text:
            raise InvalidAmount(_("Enter an amount."))
        # Thousands separators only where they belong: "1,250.00" yes, "12,50" or "1,0.00" no.
        if "," in text:
            if not _GROUPED.fullmatch(text):
                raise InvalidAmount(_("“%(value)s” is not a number."), value=text[:40])
            text = text.replace(",", "")
        if text.endswith("元"):
            text = text[:-1].strip()
        # Digits, one sign and a decimal point only: no "1e3", no "1_000".
        if "_" in text or "e" in text.lower().replace("nan", "").replace("inf", ""):
            raise InvalidAmount(_("“%(value)s” is not a number."), value=text[:40])
        try:
            amount = Decimal(text)
        except (InvalidOperation, ValueError):
            raise InvalidAmount(_("“%(value)s” is not a number."), value=text[:40]) from None
    if not amount.is_finite():
        raise InvalidAmount(_("The amount must be a finite number."))
    places = exponent(currency)
    if amount.adjusted() >= MAX_DIGITS - places:
        raise InvalidAmount(_("The amount is too large."))
    if amount.as_tuple().exponent < -places:
        # Trailing zeros beyond the currency's places (e.g. "10.500") are harmless; real digits are not.
        if amount != amount.quantize(Decimal(1).scaleb(-places)):
            raise InvalidAmount(
                _("%(currency)s amounts have at most %(places)s decimal places."), currency=currency, places=places
            )
    amount = amount.quantize(Decimal(1).scaleb(-places))
    if amount < 0:
        raise InvalidAmount(_("The amount must not be negative."))
    if amount == 0 and not allow_zero:
        raise InvalidAmount(_("The amount must be greater than zero."))
    return amount


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Decimal amount → integer minor units (for a payment provider)."""
    places = exponent(currency.upper())
    scaled = amount.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise InvalidAmount(_("The amount has more decimals than %(currency)s allows."), currency=currency.upper())
    return int(scaled)


def from_minor_units(units: int, currency: str) -> Decimal:
    """Integer minor units (from a payment provider) → Decimal amount."""
    if isinstance(units, bool) or not isinstance(units, int):
        raise InvalidAmount(_("Minor units must be an integer."))
    places = exponent(currency.upper())
    return (Decimal(units).scaleb(-places)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def q(amount, currency: str | None = None) -> Decimal:
    """An amount read back from the database, to the currency's places (SQLite sums come back
    without them)."""
    if amount is None:
        amount = Decimal(0)
    return Decimal(amount).quantize(Decimal(1).scaleb(-exponent(currency or pool_currency())))


def format_amount(amount: Decimal, currency: str | None = None) -> str:
    """'¥1,234.50' style, for people; the API uses plain decimal strings instead."""
    currency = currency or pool_currency()
    symbol = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "HKD": "HK$"}.get(currency, currency + " ")
    return f"{symbol}{amount:,.{exponent(currency)}f}"
