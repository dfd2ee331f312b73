"""Public pages' data is cached and invalidated by a version number that goes up whenever the ledger
gains an entry, an application changes, or a page is published or unpublished. Rendered HTML is not
cached (it carries each visitor's CSRF token for the language switch); the selectors' results are."""

from __future__ import annotations

from django.core.cache import cache

KEY = "public:version"


def version() -> int:
    value = cache.get(KEY)
    if value is None:
        cache.add(KEY, 1, None)
        value = cache.get(KEY) or 1
    return value


def bump(*args, **kwargs) -> None:
    try:
        cache.incr(KEY)
    except ValueError:
        cache.set(KEY, 2, None)


def cached(name: str, compute, timeout: int = 3600):
    """`compute()` once per version of the public data."""
    key = f"public:{name}:{version()}"
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

    post_save.connect(bump, sender=JournalEntry, dispatch_uid="public-cache-ledger")
    post_save.connect(bump, sender=Application, dispatch_uid="public-cache-application")
    page_published.connect(bump, dispatch_uid="public-cache-publish")
    page_unpublished.connect(bump, dispatch_uid="public-cache-unpublish")
