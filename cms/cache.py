"""Public pages and their data are cached, and invalidated by a version number that goes up whenever
the ledger gains an entry (at most once per PUBLIC_LEDGER_WINDOW), an application changes, or a page
is published or unpublished. Selectors' results are cached by name (`cached`); whole pages rendered
for anonymous visitors are cached by language and path (`serve_cached`) and answered before URL
routing (`PageCacheMiddleware`). A signed-in visitor, a form post or a page with a message is never
served from, or stored in, the page cache (`_cacheable`)."""

from __future__ import annotations

import hashlib

from django.core.cache import cache

KEY = "public:version"
# Ledger entries move the version on at most once per PUBLIC_LEDGER_WINDOW seconds: on a donation
# day a gift every few milliseconds would otherwise throw the public caches away on every request.
# The first entry after a quiet spell shows at once; later ones within the window are noted and
# shown when the window has passed (at the next read), so figures lag by at most the window.
LEDGER_QUIET = "public:ledger-quiet"
LEDGER_PENDING = "public:ledger-pending"


def version() -> int:
    values = cache.get_many([KEY, LEDGER_PENDING, LEDGER_QUIET])  # one round trip on every read
    value = values.get(KEY)
    if value is None:
        cache.add(KEY, 1, None)
        value = cache.get(KEY) or 1
    pending = values.get(LEDGER_PENDING) and not values.get(LEDGER_QUIET)
    if pending and cache.add(LEDGER_QUIET, 1, _ledger_window()):
        cache.delete(LEDGER_PENDING)
        bump()
        value = cache.get(KEY) or value
    return value


def bump(*args, **kwargs) -> None:
    try:
        cache.incr(KEY)
    except ValueError:
        cache.set(KEY, 2, None)


def _ledger_window() -> int:
    from django.conf import settings

    return getattr(settings, "PUBLIC_LEDGER_WINDOW", 0)


def ledger_bump(*args, **kwargs) -> None:
    """A new ledger entry: a new version now, unless one was made for an entry within the window."""
    window = _ledger_window()
    if window <= 0 or cache.add(LEDGER_QUIET, 1, window):
        bump()
    else:
        cache.set(LEDGER_PENDING, 1, None)


def cached(name: str, compute, timeout: int = 3600):
    """`compute()` once per version of the public data."""
    # Hashed: names carry search words (any script) and filter values; keys stay short and safe.
    key = f"public:{hashlib.sha256(name.encode()).hexdigest()[:32]}:{version()}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value


def connect() -> None:
    from django.db.models.signals import post_save
    from wagtail.signals import page_published, page_unpublished

    from fundpool.models import JournalEntry
    from grants.models import Application

    post_save.connect(ledger_bump, sender=JournalEntry, dispatch_uid="public-cache-ledger")
    post_save.connect(bump, sender=Application, dispatch_uid="public-cache-application")
    page_published.connect(bump, dispatch_uid="public-cache-publish")
    page_unpublished.connect(bump, dispatch_uid="public-cache-unpublish")


def serve_cached(request, render, timeout: int = 300):
    """The whole page for anonymous visitors, once per version of the public data (and per language
    and URL). Signed-in people, and anyone with a message waiting, get it rendered."""
    from django.http import HttpResponse

    if not _cacheable(request):
        return render()
    key = _page_key(request)
    hit = cached_get(key)
    if hit is not None:
        content, content_type = hit
        return HttpResponse(content, content_type=content_type)
    response = render()
    if hasattr(response, "render"):
        response = response.render()
    if response.status_code == 200 and not response.has_header("Set-Cookie") and not response.cookies:
        cached_set(key, (response.content, response["Content-Type"]), timeout)
    return response


def cached_get(name: str):
    return cache.get(f"public:{hashlib.sha256(name.encode()).hexdigest()[:32]}:{version()}")


def cached_set(name: str, value, timeout: int) -> None:
    cache.set(f"public:{hashlib.sha256(name.encode()).hexdigest()[:32]}:{version()}", value, timeout)


def _cacheable(request) -> bool:
    user = getattr(request, "user", None)
    return (
        request.method == "GET"
        and "messages" not in request.COOKIES
        and not (user is not None and user.is_authenticated)
    )


def _page_key(request) -> str:
    from django.utils.translation import get_language

    return f"page:{get_language()}:{request.get_full_path()}"


class PublicCacheMiddleware:
    """Serve a page already rendered for anonymous visitors (by `serve_cached`) before any URL
    routing or page lookup; everything else goes through as usual."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _cacheable(request):
            hit = cached_get(_page_key(request))
            if hit is not None:
                from django.http import HttpResponse

                content, content_type = hit
                return HttpResponse(content, content_type=content_type)
        return self.get_response(request)
