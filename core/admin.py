"""Pieces of the Wagtail admin that every app's hooks use."""

from datetime import datetime

from django.utils import formats, timezone
from django.utils.html import linebreaks
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic import InspectView

from . import system_reasons


class PermissionMenuItem(MenuItem):
    """A menu item shown only to people with `perm`."""

    def __init__(self, *args, perm, **kwargs):
        self.perm = perm
        super().__init__(*args, **kwargs)

    def is_shown(self, request):
        return request.user.has_perm(self.perm)


class LocalInspectView(InspectView):
    """Wagtail's inspect view, with times in the site's time zone, empty or yes/no values in words
    rather than None / True / False, system-written texts in the reader's language, and text of
    several lines in its paragraphs."""

    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        if isinstance(value, datetime):
            return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return gettext("Yes") if value else gettext("No")
        if isinstance(value, str):
            value = system_reasons.display(value)
            # linebreaks escapes the text first: what is marked safe is only its paragraphs.
            return mark_safe(linebreaks(value, autoescape=True)) if "\n" in value else value  # noqa: S308
        return value
