"""What the public reads of grants: the directory of funded projects and its filters, projects that take gifts."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from grants.applications.selectors import call_list_open
from grants.lifecycle import Status
from grants.models import (
    Application,
)

FUNDED = [Status.IN_DELIVERY, Status.REPORTING, Status.COMPLETED]


def donation_targets():
    """Open calls and funded projects a gift can be designated to (public facts only)."""
    calls = list(call_list_open())
    projects = list(
        Application.objects.filter(status__in=[Status.IN_DELIVERY, Status.REPORTING])
        .select_related("group", "problem__theme")
        .order_by("title")
    )
    return calls, projects


def funded_project(*, pk) -> Application | None:
    try:
        return Application.objects.select_related("problem__theme", "group").get(pk=pk, status__in=FUNDED)
    except (Application.DoesNotExist, ValueError, TypeError):
        return None


def projects_for_references(references) -> dict[str, Application]:
    """The funded projects behind fund-pool references such as `grant:12` (and `grant:12:capacity`)."""
    ids = {}
    for ref in references:
        parts = str(ref).split(":")
        if len(parts) >= 2 and parts[0] == "grant" and parts[1].isdigit():
            ids[ref] = int(parts[1])
    found = Application.objects.select_related("group", "call").in_bulk(set(ids.values()))
    return {ref: found[pk] for ref, pk in ids.items() if pk in found}


PUBLIC_STATES = [Status.AWARDED, Status.IN_DELIVERY, Status.REPORTING, Status.COMPLETED, Status.TERMINATED]


@dataclass
class DirectoryFilters:
    q: str = ""
    theme: str = ""
    community: str = ""
    year: int | None = None
    status: str = ""


def directory_filters(params) -> DirectoryFilters:
    """Read filters from a query string; anything malformed is ignored, never an error."""

    def text(name, limit=40):
        value = params.get(name, "")
        # NUL bytes go: PostgreSQL refuses to compare text with them.
        return value.replace("\x00", "").strip()[:limit] if isinstance(value, str) else ""

    year = text("year", 4)
    status = text("status", 20)
    return DirectoryFilters(
        q=text("q", 60),
        theme=text("theme", 50),
        community=text("community", 50),
        year=int(year) if year.isdecimal() and 2000 <= int(year) <= 2100 else None,
        status=status if status in PUBLIC_STATES else "",
    )


def project_directory(*, filters: DirectoryFilters) -> QuerySet[Application]:
    """Funded projects, public facts only. Search matches every word (split on spaces) anywhere in
    the title, summary, group, community or theme: substring matching, because unsegmented Chinese
    has no word boundaries for a full-text index to split on ("助餐" must find "长者助餐点")."""
    qs = Application.objects.filter(status__in=PUBLIC_STATES, awarded_amount__isnull=False).select_related(
        "group__community", "problem__theme", "call", "outcome_page"
    )
    for word in filters.q.split()[:5]:
        qs = qs.filter(
            Q(title__icontains=word)
            | Q(summary__icontains=word)
            | Q(group__name__icontains=word)
            | Q(group__community__name__icontains=word)
            | Q(problem__theme__name__icontains=word)
        )
    if filters.theme:
        qs = qs.filter(problem__theme__code=filters.theme)
    if filters.community:
        qs = qs.filter(group__community__code=filters.community)
    if filters.year:
        qs = qs.filter(call__opens_at__year=filters.year)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs.order_by("-call__opens_at", "-pk")
