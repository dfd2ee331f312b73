"""Checks for identifiers people type: credit codes, phone numbers, contacts."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

# GB 32100-2015: 18 characters from this set; the last is a check character.
_CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def credit_code_check_char(first17: str) -> str:
    total = sum(_CREDIT_CODE_CHARS.index(c) * w for c, w in zip(first17, _CREDIT_CODE_WEIGHTS, strict=True))
    return _CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    """A unified social credit code (统一社会信用代码), checksum included."""
    if not value:
        return
    code = value.strip().upper()
    if len(code) != 18 or any(c not in _CREDIT_CODE_CHARS for c in code):
        raise ValidationError(_("A unified social credit code has 18 characters (digits and capital letters)."))
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValidationError(_("This unified social credit code's check character is wrong; please check it."))


# Mainland numbers: a mobile is 11 digits from 13–19; a landline is an area code (010 and 02x have
# three digits, every other one four, all from 0) and a local number of 7 or 8 digits, perhaps
# with an extension. Spaces and hyphens may separate the groups; +86 may precede a mobile.
_SEP = r"[-\s]?"
_MOBILE = re.compile(rf"(?:\+?86{_SEP})?(1[3-9]\d){_SEP}(\d{{4}}){_SEP}(\d{{4}})")
_LANDLINE = re.compile(
    rf"\(?(010|02\d|0[3-9]\d{{2}})\)?{_SEP}(\d{{3,4}}){_SEP}(\d{{4}})" rf"(?:\s*(?:-|转|ext\.?|x|#|\s)\s*(\d{{1,6}}))?",
    re.IGNORECASE,
)
PHONE_MESSAGE = _(
    "Enter an 11-digit mobile number (e.g. 13800000000) or a landline with its area code "
    "(e.g. 010-12345678, with an extension after a hyphen if any)."
)


def normalise_phone(value: str) -> str:
    """The number in one form ("13800000000", "010-12345678", "0755-1234567-8001"), or a
    ValidationError saying what to type. Full-width digits and brackets count as ordinary ones."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    mobile = _MOBILE.fullmatch(text)
    if mobile:
        return "".join(mobile.groups())
    landline = _LANDLINE.fullmatch(text)
    if landline:
        area, head, tail, extension = landline.groups()
        if len(head + tail) in (7, 8):
            return f"{area}-{head}{tail}" + (f"-{extension}" if extension else "")
    raise ValidationError(PHONE_MESSAGE, code="phone")


def validate_phone(value: str) -> None:
    normalise_phone(value)


def normalise_contact(value: str) -> str:
    """A phone number (as `normalise_phone` keeps it) or an email address: a way to reply."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    if "@" in text:
        try:
            validate_email(text)
        except ValidationError:
            raise ValidationError(CONTACT_MESSAGE, code="contact") from None
        return text
    try:
        return normalise_phone(text)
    except ValidationError:
        raise ValidationError(CONTACT_MESSAGE, code="contact") from None


CONTACT_MESSAGE = _(
    "Give a mobile number, a landline with its area code (e.g. 010-12345678) or an email address, "
    "so the fund can reply."
)
