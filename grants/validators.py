"""Checks for identifiers people type."""

from django.core.exceptions import ValidationError
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
