from decimal import Decimal, InvalidOperation

from django import template

from fundpool.money import format_amount

register = template.Library()


@register.filter
def money(value, currency=None):
    """¥12,345.60 — the same in every language, to the currency's places."""
    if value in (None, ""):
        return ""
    try:
        value = Decimal(str(value))
    except InvalidOperation:
        return value
    return format_amount(value, currency or None)
