"""Public pages that read across the fund: the transparency dashboard (数字驾驶舱) and the directory
of funded projects. Figures come live from the selectors; charts are server-drawn SVG."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core import charts
from fundpool.ledger import selectors as ledger_selectors
from fundpool.models import Theme
from fundpool.money import format_amount
from grants import lifecycle
from grants.models import Community
from grants.public import selectors as public_selectors

TRACES_SHOWN = 20


@require_GET
def transparency(request):
    from .cache import serve_cached

    return serve_cached(request, lambda: _transparency(request))


def _transparency(request):
    from django.utils.translation import get_language

    from .cache import cached

    def compute():
        # The money trail of the newest funded projects only (in the directory's order): the page
        # stays the same size however many grants the fund has made; every project's own page
        # shows its trail, and the directory lists them all.
        everyone = public_selectors.project_directory(filters=public_selectors.directory_filters({}))
        newest = list(everyone[:TRACES_SHOWN])
        return {
            "summary": ledger_selectors.pool_summary(),
            "months": ledger_selectors.received_by_month(),
            "themes": ledger_selectors.money_by_theme(),
            "traces": ledger_selectors.traces_by_source(references=[p.reference for p in newest]),
            "projects": newest,
            "funded": everyone.count(),
        }

    data = cached(f"transparency:{get_language()}", compute)
    summary, months, themes, traces = data["summary"], data["months"], data["themes"], data["traces"]
    order = _source_order()
    trace_rows = [
        {
            "project": project,
            "chart": mark_safe(charts.stacked_bar(parts, title=project.title, order=order, fmt=format_amount)),  # noqa: S308
            "total": sum((a for _l, a in parts), 0),
        }
        for project in data["projects"]
        if (parts := traces.get(project.reference))
    ]
    received_chart = charts.hbar(
        [(label, amount) for label, amount in _received_labels(summary) if amount],
        title=_("Received by source type"),
        order=order,
        fmt=format_amount,
    )
    month_chart = charts.columns(
        months["months"], months["series"], title=_("Received by month"), order=order, fmt=format_amount
    )
    theme_chart = charts.hbar(
        [((r["theme"].name if r["theme"] else _("No theme")), r["committed"] + r["paid"]) for r in themes],
        title=_("Committed and paid to grants by theme"),
        fmt=format_amount,
    )
    return render(
        request,
        "cms/transparency.html",
        {
            "summary": summary,
            "received_chart": mark_safe(received_chart),  # noqa: S308
            "month_chart": mark_safe(month_chart),  # noqa: S308
            "theme_chart": mark_safe(theme_chart),  # noqa: S308
            "themes": themes,
            "traces": trace_rows,
            "funded": data["funded"],
            "buckets": _bucket_rows(summary),
        },
    )


def _source_order() -> list[str]:
    from fundpool.models import SourceType

    return [str(label) for _value, label in SourceType.choices]


def _received_labels(summary):
    from fundpool.models import SourceType

    labels = dict(SourceType.choices)
    return [(labels[k], v) for k, v in summary["received"].items()]


@require_GET
def directory(request):
    from .cache import serve_cached

    return serve_cached(request, lambda: _directory(request))


def _directory(request):
    from django.utils.translation import get_language

    from .cache import cached

    filters = public_selectors.directory_filters(request.GET)

    def compute():
        page = Paginator(public_selectors.project_directory(filters=filters), 20).get_page(request.GET.get("page"))
        page.object_list = list(page.object_list)
        # What goes into the cache is this page's rows and a paginator over a range of the same
        # length: a paginator over the queryset would be pickled with every matching project.
        page.paginator = Paginator(range(page.paginator.count), 20)
        paid = ledger_selectors.paid_by_reference(a.reference for a in page.object_list)
        for a in page.object_list:
            a.paid = paid.get(a.reference, 0)
        return page

    key = f"directory:{get_language()}:{filters}:{str(request.GET.get('page', ''))[:8]}"
    page = cached(key, compute, timeout=600)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cms/directory.html",
        {
            "page": page,
            "filters": filters,
            "themes": Theme.objects.order_by("code"),
            "communities": Community.objects.order_by("name"),
            "statuses": [(s, lifecycle.STATE[s].staff_label) for s in public_selectors.PUBLIC_STATES],
            "query": query.urlencode(),
        },
    )


@require_GET
def outcome_photo(request, pk):
    """A project's photo, public once the project's outcome page is published (EXIF already removed)."""
    from django.http import Http404

    from core.uploads import private_file_response
    from grants.models import ProjectPhoto

    from .models import OutcomePage

    photo = ProjectPhoto.objects.filter(pk=pk).first()
    if photo is None or not OutcomePage.objects.live().public().filter(application_id=photo.application_id).exists():
        raise Http404
    # Cached briefly: an outcome can be unpublished.
    return private_file_response(photo.image, content_type="image/jpeg", download=False, cache="public, max-age=300")


@require_GET
def impact(request):
    from .cache import serve_cached

    return serve_cached(request, lambda: _impact(request))


def _impact(request):
    """What the public's small gifts did: every grant that drew on donations, and how much."""
    from django.utils.translation import get_language

    from fundpool.models import SourceType

    from .cache import cached

    label = str(dict(SourceType.choices)[SourceType.DONATION])

    def compute():
        traces = ledger_selectors.traces_by_source()
        projects = public_selectors.projects_for_references(traces.keys())
        rows = []
        for ref, parts in traces.items():
            amount = dict(parts).get(label)
            if amount and ref in projects and projects[ref].status in public_selectors.PUBLIC_STATES:
                rows.append({"project": projects[ref], "amount": amount, "total": sum((a for _l, a in parts), 0)})
        rows.sort(key=lambda r: -r["amount"])
        summary = ledger_selectors.pool_summary()
        return {
            "rows": rows,
            "received": summary["received"][SourceType.DONATION],
            "into_grants": sum((r["amount"] for r in rows), 0),
        }

    return render(request, "cms/impact.html", cached(f"impact:{get_language()}", compute))


def _bucket_rows(summary) -> list[tuple[str, object]]:
    """Available money by restriction: the general pool, capacity building, each theme and call."""
    from fundpool.models import RestrictionKind

    labels = dict(RestrictionKind.choices)
    rows = []
    for r in summary["by_restriction"]:
        label = str(labels[r["kind"]])
        if r["theme_name"]:
            label = f"{label}：{r['theme_name']}"
        elif r["call"]:
            label = f"{label}：{r['call']}"
        rows.append((label, r["available"]))
    return rows
