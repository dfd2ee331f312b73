"""The site's address, from which every link in an email is made (SITE_BASE_URL)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from django.conf import settings


def site_url(location: str = "") -> str:
    """`location` (a path, or a URL whose scheme and host are dropped) on the site's address,
    SITE_BASE_URL. Links in emails come from here, never from a request: the host a request came
    through may be a proxy's, a container's or runserver's, not the one people use."""
    bits = urlsplit(str(location))
    path = urlunsplit(("", "", bits.path, bits.query, bits.fragment))
    if path and not path.startswith("/"):
        path = "/" + path
    return f"{settings.SITE_BASE_URL}{path}"
