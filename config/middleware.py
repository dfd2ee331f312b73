"""Site-wide protections that sit in the middleware stack: the Content Security Policy (one strict
policy for the public site and the applicants' pages, a wider one for Wagtail's admin), a
Permissions-Policy header, session time-outs, and no caching of signed-in pages."""

from __future__ import annotations

import time

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
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
