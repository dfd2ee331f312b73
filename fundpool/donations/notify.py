"""The donor's acknowledgement by email, after the gift is booked."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from core.outbox import KIND_HEADER, REF_HEADER
from core.site import site_url

logger = logging.getLogger(__name__)


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
            EmailMessage(
                _("Thank you for your gift to the community fund"),
                body,
                None,
                [donation.email],
                headers={REF_HEADER: f"donation:{donation.pk}", KIND_HEADER: "acknowledgement"},
            ).send()
        except Exception:  # noqa: BLE001
            logger.exception("could not send the acknowledgement for donation %s", donation.pk)
