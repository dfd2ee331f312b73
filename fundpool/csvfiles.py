"""Reading the CSV files people bring (platform exports, bank statements): encodings, dates and
amounts as banks and platforms write them. Shared by donation imports and bank reconciliation."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from fundpool.errors import FundpoolError
from fundpool.money import parse_amount

MAX_BYTES = 5 * 1024 * 1024


MAX_ROWS = 20_000


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT].*)?$")


_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:\s.*)?$")


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def parse_date(text: str) -> date:
    text = _norm(text)
    match = _DATE.match(text) or _COMPACT.match(text)
    if not match:
        raise ValueError(_("“%(value)s” is not a date (use 2026-11-25 or 2026年11月25日).") % {"value": text[:30]})
    try:
        day = date(*(int(g) for g in match.groups()))
    except ValueError:
        raise ValueError(_("“%(value)s” is not a real date.") % {"value": text[:30]}) from None
    if day > timezone.localdate():
        raise ValueError(_("The date %(value)s is in the future.") % {"value": day.isoformat()})
    return day


def parse_import_amount(text: str):
    text = _norm(text)
    for noise in ("元", "人民币", "RMB", "CNY"):
        text = text.replace(noise, "")
    try:
        return parse_amount(text.strip())
    except FundpoolError as exc:
        raise ValueError(str(exc)) from None


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError(_("The file is neither UTF-8 nor GB 18030 text."))
