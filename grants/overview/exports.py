"""Exports of a call for staff and auditors, as CSV and XLSX (openpyxl): reviews and scores,
payments with their references, expenses with their receipts. Cells that a spreadsheet would
run as a formula are made plain text, in both formats."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.site import site_url
from core.text import spreadsheet_safe
from grants.models import Call, Expense, ReviewAssignment, Tranche

KINDS = ("reviews", "payments", "expenses")


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list]


def reviews(call: Call) -> Table:
    criteria = list(call.criteria.all())
    assignments = (
        ReviewAssignment.objects.filter(application__call=call)
        .select_related("application", "reviewer", "review")
        .prefetch_related("review__scores")
        .order_by("application_id", "pk")
    )
    rows = []
    for a in assignments:
        review = getattr(a, "review", None)
        points = {s.criterion_id: s.points for s in review.scores.all()} if review else {}
        rows.append(
            [
                a.application_id,
                a.application.title,
                a.reviewer.get_full_name() or a.reviewer.username,
                _("yes") if a.recused else "",
                a.conflict_note,
                review.get_recommendation_display() if review else "",
                *[str(points.get(c.pk, "")) for c in criteria],
                str(review.weighted_total) if review else "",
                timezone.localtime(review.submitted_at).strftime("%Y-%m-%d %H:%M")
                if review and review.submitted_at
                else "",
            ]
        )
    header = [
        _("Application"),
        _("Title"),
        _("Reviewer"),
        _("Recused"),
        _("Conflict declared"),
        _("Recommendation"),
        *[c.name for c in criteria],
        _("Weighted total"),
        _("Submitted at"),
    ]
    return Table(_("Reviews"), header, rows)


def payments(call: Call) -> Table:
    tranches = (
        Tranche.objects.filter(application__call=call)
        .select_related("application")
        .order_by("application_id", "number")
    )
    tranches = list(tranches)
    categories = _categories([t.payment_reference for t in tranches if t.payment_reference])
    rows = [
        [
            t.application_id,
            t.application.title,
            t.number,
            str(t.amount),
            str(t.paid_amount or ""),
            t.get_status_display(),
            timezone.localtime(t.paid_at).strftime("%Y-%m-%d %H:%M") if t.paid_at else "",
            t.payment_reference or "",
            categories.get(t.payment_reference, ""),
        ]
        for t in tranches
    ]
    header = [
        _("Application"),
        _("Title"),
        _("Tranche"),
        _("Planned"),
        _("Paid"),
        _("Status"),
        _("Paid at"),
        _("Payment reference"),
        _("Accounting category"),
    ]
    return Table(_("Payments"), header, rows)


def _categories(references: list[str]) -> dict[str, str]:
    """{payment reference: its accounting category in words}, the latest correction counting."""
    from fundpool.models import AccountingCategory, JournalEntry

    out = {}
    entries = JournalEntry.objects.filter(external_ref__in=references).prefetch_related("category_corrections")
    for entry in entries:
        corrections = sorted(entry.category_corrections.all(), key=lambda c: (c.created_at, c.pk))
        value = corrections[-1].category if corrections else entry.category
        out[entry.external_ref] = str(AccountingCategory(value).label) if value else ""
    return out


def expenses(call: Call) -> Table:
    base = site_url()
    items = (
        Expense.objects.filter(application__call=call)
        .select_related("application", "budget_line")
        .order_by("application_id", "spent_on", "pk")
    )
    rows = [
        [
            e.application_id,
            e.application.title,
            e.spent_on.isoformat(),
            e.budget_line.item,
            str(e.amount),
            e.payee,
            e.get_status_display(),
            base + reverse("grants:receipt", args=[e.pk]) if e.receipt else "",
        ]
        for e in items
    ]
    header = [
        _("Application"),
        _("Title"),
        _("Date"),
        _("Budget line"),
        _("Amount"),
        _("Payee"),
        _("Status"),
        _("Receipt"),
    ]
    return Table(_("Expenses"), header, rows)


BUILDERS = {"reviews": reviews, "payments": payments, "expenses": expenses}


def as_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([spreadsheet_safe(h) for h in table.header])
    for row in table.rows:
        writer.writerow([spreadsheet_safe(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def as_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = str(table.title)[:31]
    sheet.append([spreadsheet_safe(h) for h in table.header])
    for row in table.rows:
        sheet.append([spreadsheet_safe(v) for v in row])
    for column in sheet.columns:
        width = max(len(str(cell.value or "")) for cell in column)
        sheet.column_dimensions[column[0].column_letter].width = min(max(10, width * 1.6), 60)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def response(call: Call, kind: str, fmt: str) -> HttpResponse:
    table = BUILDERS[kind](call)
    if fmt == "xlsx":
        data = as_xlsx(table)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        fmt, data, content_type = "csv", as_csv(table), "text/csv; charset=utf-8"
    result = HttpResponse(data, content_type=content_type)
    result["Content-Disposition"] = f'attachment; filename="call-{call.slug}-{kind}.{fmt}"'
    return result
