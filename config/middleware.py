"""Site-wide protections that sit in the middleware stack: the Content Security Policy (one strict
policy for the public site and the applicants' pages, a wider one for Wagtail's admin), a
Permissions-Policy header, session time-outs, no caching of signed-in pages, and the second factor
for the roles that must use it."""

from __future__ import annotations

import time

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _


class SiteCSPMiddleware(CSPMiddleware):
    """The policy in CONTENT_SECURITY_POLICY everywhere, widened by CSP_ADMIN_UPDATE under
    Wagtail's admin: a few of Wagtail's own templates still carry inline scripts and styles."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and request.path_info.startswith(settings.CSP_ADMIN_PREFIX):
            parts.update = {**settings.CSP_ADMIN_UPDATE, **(parts.update or {})}
        return parts


class PermissionsPolicyMiddleware:
    """Browser features the site never uses are switched off for it and anything it embeds."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class SessionTimeoutMiddleware:
    """Sign people out after a spell of inactivity, and in any case some hours after they signed in.

    Who can open the admin (staff, finance, reviewers with admin access) gets the shorter idle
    limit: their sessions can move money. The last-seen time is written at most once a minute, so
    an active session is not saved on every request. Goes after AuthenticationMiddleware and
    MessageMiddleware."""

    TOUCH_EVERY = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._check(request, user)
        return self.get_response(request)

    def _check(self, request, user) -> None:
        now = int(time.time())
        session = request.session
        started = session.get("_started_at")
        seen = session.get("_seen_at")
        idle = settings.SESSION_IDLE_TIMEOUT_STAFF if user.has_perm("wagtailadmin.access_admin") else None
        idle = idle or settings.SESSION_IDLE_TIMEOUT
        if started is None or seen is None:
            session["_started_at"] = started or now
            session["_seen_at"] = now
            return
        if now - seen > idle or now - started > settings.SESSION_ABSOLUTE_TIMEOUT:
            logout(request)  # flushes the session: nothing of the old one survives
            messages.info(request, _("You were signed out after a period of inactivity. Please sign in again."))
            return
        if now - seen >= self.TOUCH_EVERY:
            session["_seen_at"] = now


class PrivatePagesMiddleware:
    """Whatever a signed-in person is shown, and every page of the sign-in flow, is theirs alone:
    `Cache-Control: private, no-store`, so neither a shared proxy nor the browser's disk keeps it
    for the next person at the machine. Anonymous visitors' public pages are left as they are
    (cms/cache.py). Goes after AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or request.path_info.startswith(settings.PRIVATE_PATH_PREFIXES):
            patch_cache_control(response, private=True, no_store=True)
            patch_vary_headers(response, ("Cookie",))
        return response


class MFARequiredMiddleware:
    """Someone whose role must sign in with a second factor (MFA_REQUIRED_ROLES, cms/mfa.py) and
    has not set one up is sent to set it up before anything else; signing out, the second-factor
    pages themselves, confirming the password or the email, and the language switch stay open.
    Goes after AuthenticationMiddleware, MessageMiddleware and allauth's AccountMiddleware."""

    OPEN_NAMES = ("account_logout", "account_reauthenticate", "account_email")
    OPEN_PREFIXES = ("/i18n/", "/accounts/confirm-email/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.MFA_REQUIRED_ROLES and self._must_set_up(request):
            messages.info(
                request, _("Your role signs in with a second factor. Set up an authenticator app to continue.")
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    def _must_set_up(self, request) -> bool:
        from cms.mfa import has_totp, mfa_required

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or self._open(request.path_info):
            return False
        return mfa_required(user) and not has_totp(user)

    def _open(self, path: str) -> bool:
        if path.startswith((reverse("mfa_index"), settings.STATIC_URL, *self.OPEN_PREFIXES)):
            return True
        return path in {reverse(name) for name in self.OPEN_NAMES}
