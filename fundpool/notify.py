"""Emails to donors, and how every email of the site makes its links (`site_url`). Called after
the transaction commits; a mail failure never undoes a gift."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation

logger = logging.getLogger(__name__)


def site_url(location: str = "") -> str:
    """`location` (a path, or a URL whose scheme and host are dropped) on the site's address,
    SITE_BASE_URL. Links in emails come from here, never from a request: the host a request came
    through may be a proxy's, a container's or runserver's, not the one people use."""
    bits = urlsplit(str(location))
    path = urlunsplit(("", "", bits.path, bits.query, bits.fragment))
    if path and not path.startswith("/"):
        path = "/" + path
    return f"{settings.SITE_BASE_URL}{path}"


def donation_acknowledgement(donation) -> None:
    from django.utils.translation import gettext as _

    if not donation.email:
        return
    try:
        path = reverse("donation_acknowledgement", args=[donation.token])
    except NoReverseMatch:
        path = ""
    with translation.override(settings.LANGUAGE_CODE):
        body = render_to_string(
            "fundpool/email/acknowledgement.txt",
            {"donation": donation, "link": site_url(path) if path else ""},
        )
        try:
            send_mail(_("Thank you for your gift to the community fund"), body, None, [donation.email])
        except Exception:  # noqa: BLE001
            logger.exception("could not send the acknowledgement for donation %s", donation.pk)
