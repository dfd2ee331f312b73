"""Glue between the login forms and django-axes, and the password rules' messages."""

from django.contrib.auth import password_validation
from django.utils.translation import ngettext


def axes_username(request, credentials=None):
    """The account a login attempt is for, whichever name it was typed under: the site's form
    calls it `login` (an email or a username), Wagtail's admin `username`. Failures by email and
    by username count against one account, so a lockout at one login page holds at the other."""
    credentials = credentials or {}
    for key in ("login", "username", "email"):
        value = credentials.get(key) or (
            request.POST.get(key) if request is not None and request.method == "POST" else None
        )
        if value:
            return account_key(str(value).strip().lower())
    return None


def account_key(login: str) -> str:
    """The account's username (lower case) for an email or username that names an account; the
    typed value itself for one that names none (it is still counted, and locked out)."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    users = get_user_model()._default_manager.order_by("pk")
    user = None
    if "@" in login:
        address = EmailAddress.objects.filter(email__iexact=login).select_related("user").order_by("pk").first()
        user = address.user if address else users.filter(email__iexact=login).first()
    if user is None:
        user = users.filter(username__iexact=login).first()
    return user.get_username().lower() if user is not None else login


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
