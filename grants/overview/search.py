"""Staff's search across calls: applications (and the projects they become) and groups, by name,
number, leader, community and status. Every word (split on spaces) must match somewhere, as
substrings, the way the public directory finds Chinese words ("助餐" finds "长者助餐点")."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from grants import lifecycle
from grants.models import Application, ResidentGroup

LIMIT = 50
MAX_WORDS = 5


@dataclass(frozen=True)
class SearchQuery:
    q: str = ""
    status: str = ""
    kind: str = ""  # "" (everything), "applications", "projects", "groups"


def search_query(params) -> SearchQuery:
    def text(name, limit):
        value = params.get(name, "")
        return value.replace("\x00", "").strip()[:limit] if isinstance(value, str) else ""

    status = text("status", 20)
    kind = text("kind", 20)
    return SearchQuery(
        q=text("q", 80),
        status=status if status in lifecycle.STATE else "",
        kind=kind if kind in ("applications", "projects", "groups") else "",
    )


def _words(q: str) -> list[str]:
    return q.split()[:MAX_WORDS]


def _number(word: str) -> int | None:
    word = word.lstrip("#＃")
    return int(word) if word.isdecimal() and len(word) < 10 else None


def applications(*, query: SearchQuery, projects_only: bool = False) -> QuerySet[Application]:
    qs = Application.objects.exclude(status=lifecycle.Status.DRAFT).select_related(
        "call", "group__community", "agreement"
    )
    if projects_only:
        qs = qs.filter(status__in=[*lifecycle.DELIVERY_STATES, lifecycle.Status.COMPLETED, lifecycle.Status.TERMINATED])
    for word in _words(query.q):
        match = (
            Q(title__icontains=word)
            | Q(group__name__icontains=word)
            | Q(group__leader_name__icontains=word)
            | Q(group__community__name__icontains=word)
            | Q(group__community__sub_district__name__icontains=word)
            | Q(call__title__icontains=word)
            | Q(agreement__number__icontains=word)
        )
        number = _number(word)
        if number is not None:
            match |= Q(pk=number)
        qs = qs.filter(match)
    if query.status:
        qs = qs.filter(status=query.status)
    return qs.order_by("-updated_at", "-pk")


def groups(*, query: SearchQuery) -> QuerySet[ResidentGroup]:
    qs = ResidentGroup.objects.select_related("community")
    for word in _words(query.q):
        match = (
            Q(name__icontains=word)
            | Q(leader_name__icontains=word)
            | Q(community__name__icontains=word)
            | Q(filing_number__icontains=word)
            | Q(credit_code__icontains=word)
        )
        number = _number(word)
        if number is not None:
            match |= Q(pk=number)
        qs = qs.filter(match)
    return qs.order_by("name", "pk")


@dataclass
class Results:
    applications: list
    projects: list
    groups: list
    counts: dict


def search(*, query: SearchQuery) -> Results:
    if not query.q and not query.status:
        return Results([], [], [], {})
    # Projects are applications that were funded: without a kind, they are among the applications.
    kinds = [query.kind] if query.kind else ["applications", "groups"]
    out = {"applications": [], "projects": [], "groups": []}
    counts = {}
    for kind in kinds:
        if kind == "groups":
            if query.status:
                continue  # groups have no lifecycle status
            qs = groups(query=query)
        else:
            qs = applications(query=query, projects_only=kind == "projects")
        rows = list(qs[: LIMIT + 1])
        counts[kind] = len(rows)
        out[kind] = rows[:LIMIT]
    return Results(out["applications"], out["projects"], out["groups"], counts)
