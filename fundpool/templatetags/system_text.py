from django import template

from fundpool import system_reasons

register = template.Library()


@register.filter
def system_text(value):
    """A reason or memo the system stored as a code, in the reader's language; typed text as it is."""
    return system_reasons.display(value)
