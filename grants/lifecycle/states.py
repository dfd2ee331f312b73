"""The application's states: their labels for staff and for applicants, their phase, and the
groups of states the rest of grants asks about."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


class Status:
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    INELIGIBLE = "ineligible"
    IN_REVIEW = "in_review"
    REVIEWED = "reviewed"
    DECLINED = "declined"
    ON_NOTICE = "on_notice"
    AWARDED = "awarded"
    IN_DELIVERY = "in_delivery"
    REPORTING = "reporting"
    COMPLETED = "completed"
    TERMINATED = "terminated"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class StateInfo:
    value: str
    staff_label: str
    applicant_label: str
    phase: str
    final: bool = False


# Staff see the exact state; applicants see what it means for them (review-internal steps merge).
STATES = [
    StateInfo(Status.DRAFT, _("Draft"), _("Draft — not yet submitted"), "application"),
    StateInfo(
        Status.SUBMITTED, _("Submitted, awaiting eligibility screening"), _("Submitted, being screened"), "application"
    ),
    StateInfo(Status.RETURNED, _("Returned for changes"), _("Returned to you for changes"), "application"),
    StateInfo(Status.INELIGIBLE, _("Ineligible"), _("Not eligible for this call"), "application", final=True),
    StateInfo(Status.IN_REVIEW, _("In review"), _("Being reviewed"), "review"),
    StateInfo(Status.REVIEWED, _("Reviewed, awaiting decision"), _("Being reviewed"), "review"),
    StateInfo(Status.DECLINED, _("Declined"), _("Not funded this time"), "review", final=True),
    StateInfo(Status.ON_NOTICE, _("On public notice"), _("Proposed for funding, on public notice"), "award"),
    StateInfo(Status.AWARDED, _("Awarded, awaiting agreement"), _("Funded — please sign the agreement"), "award"),
    StateInfo(Status.IN_DELIVERY, _("In delivery"), _("Project under way"), "delivery"),
    StateInfo(Status.REPORTING, _("Final report under review"), _("Final report under review"), "report"),
    StateInfo(Status.COMPLETED, _("Completed"), _("Completed"), "report", final=True),
    StateInfo(Status.TERMINATED, _("Terminated"), _("Terminated"), "delivery", final=True),
    StateInfo(Status.WITHDRAWN, _("Withdrawn"), _("Withdrawn"), "application", final=True),
]
STATE = {s.value: s for s in STATES}
CHOICES = [(s.value, s.staff_label) for s in STATES]
BEFORE_DELIVERY = [
    Status.DRAFT,
    Status.SUBMITTED,
    Status.RETURNED,
    Status.IN_REVIEW,
    Status.REVIEWED,
    Status.ON_NOTICE,
    Status.AWARDED,
]
# Funded projects: signed, from delivery to their end.
DELIVERY_STATES = [Status.IN_DELIVERY, Status.REPORTING, Status.COMPLETED, Status.TERMINATED]
# Applications set aside: they no longer count as the group's application to their call.
SET_ASIDE = [Status.INELIGIBLE, Status.WITHDRAWN]
# States that hold money committed in the fund pool under the application's reference.
HOLDING_MONEY = [Status.ON_NOTICE, Status.AWARDED, Status.IN_DELIVERY, Status.REPORTING]


def applicant_label(state: str) -> str:
    return STATE[state].applicant_label
