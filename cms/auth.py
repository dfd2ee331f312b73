"""Signing in: glue between the login form and django-axes, the password rules' messages, and
the other login pages (Wagtail's admin login and its login for private pages) sent to the site's
own, which asks for the second factor (cms/mfa.py)."""

from urllib.parse import urlencode

from django.contrib.auth import password_validation
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
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


# --- the other login pages ---------------------------------------------------------------------


def _to_site_login(request, default_next: str):
    """The site's own login (password, then the second factor), coming back to `next`."""
    target = request.GET.get("next") or default_next
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = default_next
    return redirect(f"{reverse('account_login')}?{urlencode({'next': target})}")


def admin_login(request):
    """Wagtail's admin login is not a way round the second factor: it sends everyone, by any
    method, to the site's login, which takes a username as well as an email."""
    return _to_site_login(request, reverse("wagtailadmin_home"))


def private_page_login(request):
    """Wagtail's login for pages restricted to signed-in people, likewise."""
    return _to_site_login(request, "/")
