"""Documents kept as issued: the grant agreement is rendered once, right after signing, stored with
its SHA-256, and served unchanged afterwards (a later template change does not alter it)."""

from __future__ import annotations

import hashlib
import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from core.pdf import render_pdf
from grants.models import Agreement

logger = logging.getLogger(__name__)


def agreement_pdf(agreement) -> bytes:
    """The agreement's PDF: the stored one, or rendered now from the frozen terms and stored."""
    if agreement.pdf:
        with agreement.pdf.open("rb") as handle:
            return handle.read()
    with transaction.atomic():
        agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
        if agreement.pdf:  # another request froze it meanwhile
            with agreement.pdf.open("rb") as handle:
                return handle.read()
        pdf = render_pdf(
            "grants/documents/agreement.html",
            {"agreement": agreement, "terms": agreement.terms},
            title=f"{_('Grant agreement')} {agreement.number}",
        )
        agreement.pdf.save(f"{agreement.number}.pdf", ContentFile(pdf), save=False)
        agreement.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        agreement.save(update_fields=["pdf", "pdf_sha256"])
    return pdf


def version_pdf(version) -> bytes:
    """An agreement version's PDF (versions after the first): rendered once from its frozen terms,
    stored with its SHA-256, served unchanged."""
    from grants.models import AgreementVersion

    if version.number == 1:
        return agreement_pdf(version.agreement)
    if version.pdf:
        with version.pdf.open("rb") as handle:
            return handle.read()
    with transaction.atomic():
        version = AgreementVersion.objects.select_for_update().select_related("agreement").get(pk=version.pk)
        if version.pdf:
            with version.pdf.open("rb") as handle:
                return handle.read()
        pdf = render_pdf(
            "grants/documents/agreement.html",
            {"agreement": version.agreement, "terms": version.terms, "version": version},
            title=f"{_('Grant agreement')} {version.agreement.number} v{version.number}",
        )
        version.pdf.save(f"{version.agreement.number}-v{version.number}.pdf", ContentFile(pdf), save=False)
        version.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        version.save(update_fields=["pdf", "pdf_sha256"])
    return pdf
