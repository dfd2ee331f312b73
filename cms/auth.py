"""Glue between the login forms and django-axes, and the password rules' messages."""

from django.contrib.auth import password_validation
from django.utils.translation import ngettext


def axes_username(request, credentials=None):
    """The site's form calls it `login` (an email), Wagtail's admin `username`."""
    credentials = credentials or {}
    for key in ("login", "username", "email"):
        value = credentials.get(key) or (
            request.POST.get(key) if request is not None and request.method == "POST" else None
        )
        if value:
            return str(value).strip().lower()
    return None


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's rule, with its message in our catalogue: Django's own Chinese lacks this wording."""

    def get_error_message(self):
        return (
            ngettext(
                "This password is too short. It must contain at least %d character.",
                "This password is too short. It must contain at least %d characters.",
                self.min_length,
            )
            % self.min_length
        )
