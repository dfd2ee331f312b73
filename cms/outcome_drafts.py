"""A draft outcome page for a project whose final report was accepted (grants sends
`outcome_recorded` after the transaction commits)."""

from __future__ import annotations

import logging
from html import escape

from .models import OutcomeIndexPage, OutcomePage

logger = logging.getLogger(__name__)


def draft_outcome_page(sender, outcome, **kwargs):
    """A draft outcome page for staff to edit and publish (never published automatically)."""
    index = OutcomeIndexPage.objects.first()
    if index is None or OutcomePage.objects.filter(application_id=outcome.application_id).exists():
        return None
    summary = "".join(f"<p>{escape(line)}</p>" for line in outcome.summary.splitlines() if line.strip())
    page = OutcomePage(
        title=outcome.title[:255],
        slug=f"project-{outcome.application_id}",
        application_id=outcome.application_id,
        summary=summary or f"<p>{escape(outcome.title)}</p>",
        live=False,
    )
    index.add_child(instance=page)
    page.save_revision()
    logger.info("outcome page drafted for project %s", outcome.application_id)
    return page
