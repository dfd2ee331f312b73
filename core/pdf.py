"""PDF documents with WeasyPrint: A4, a header with the document's title, a footer with 第 N 页 / 共 M
页, and a CJK font embedded (WenQuanYi Micro Hei from Debian's fonts-wqy-microhei, installed by the
set-up). Resources load only from our own static files and data: URIs — never file:// or the network."""

from __future__ import annotations

import functools
import mimetypes
import subprocess
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

CJK_FAMILY = "WenQuanYi Micro Hei"


class DocumentError(Exception):
    """A document cannot be made; the message says why, for staff."""


@functools.cache
def cjk_font_available() -> bool:
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(out.strip())


def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class SafeFetcher(URLFetcher):
        """WeasyPrint's fetcher, allowing `data:` URIs and our own static files only."""

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            static = settings.STATIC_URL
            for prefix in (static, f"file://{static}"):
                if url.startswith(prefix):
                    relative = url[len(prefix) :].split("?", 1)[0]
                    found = finders.find(relative) if ".." not in relative else None
                    if found:
                        path = Path(found)
                        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mime})
            raise ValueError(f"refused to fetch {url[:80]!r}: only our static files and data: URIs")

    return SafeFetcher


def safe_fetcher():
    return _fetcher_class()()


def render_pdf(template: str, context: dict, *, title: str) -> bytes:
    """Render `template` (which extends core/pdf_base.html) to PDF bytes."""
    if not cjk_font_available():
        raise DocumentError(
            _(
                "No Chinese font is installed, so Chinese would print as empty boxes: install fonts-wqy-microhei (the set-up does)."
            )
        )
    from weasyprint import HTML

    html = render_to_string(template, {**context, "doc_title": title[:200], "cjk_family": CJK_FAMILY})
    return HTML(string=html, base_url=settings.STATIC_URL, url_fetcher=safe_fetcher()).write_pdf()


def pdf_response(render, *, filename: str):
    """Call `render()` for PDF bytes and answer with them as a download; without a CJK font, a 503
    that says which package to install."""
    from django.http import HttpResponse

    try:
        pdf = render()
    except DocumentError as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
