"""Bank statement reconciliation: the fund's statement (CSV, UTF-8 or GB 18030) is imported line
by line, each outgoing line once (its bank reference is unique), and matched to the disbursement
recorded with the same reference and amount. Staff see what is unmatched on both sides."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fundpool.csvfiles import MAX_BYTES, MAX_ROWS, _decode, _norm, parse_date, parse_import_amount
from fundpool.models import EntryKind, JournalEntry, StatementImport, StatementLine

HEADERS = {
    "reference": ["交易流水号", "流水号", "交易编号", "凭证号", "reference"],
    "date": ["交易日期", "记账日期", "交易时间", "日期", "date"],
    "amount": ["借方金额", "支出金额", "支出", "借方发生额", "debit", "金额", "amount"],
    "counterparty": ["对方户名", "对方账户名", "收款人", "收款人名称", "payee", "name"],
    "memo": ["摘要", "附言", "用途", "备注", "memo"],
}
REQUIRED = ("reference", "date", "amount")


@dataclass
class StatementResult:
    imported: int = 0
    skipped: int = 0
    matched: int = 0
    problems: list[str] = field(default_factory=list)
    batch: StatementImport | None = None


def _columns(header: list[str]) -> dict[str, int]:
    names = [_norm(h).lower() for h in header]
    found = {}
    for key, aliases in HEADERS.items():
        for alias in aliases:
            if alias.lower() in names:
                found[key] = names.index(alias.lower())
                break
    return found


def read_statement(data: bytes) -> tuple[list[dict], list[str]]:
    """The outgoing lines of a statement, checked; or the problems, each naming its line."""
    if not data:
        return [], [_("The file is empty.")]
    if len(data) > MAX_BYTES:
        return [], [_("The file is larger than 5 MB.")]
    try:
        text = _decode(data)
    except ValueError as exc:
        return [], [str(exc)]
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return [], [_("The file has no header row.")]
    columns = _columns(header)
    missing = [key for key in REQUIRED if key not in columns]
    if missing:
        expected = "; ".join(" / ".join(HEADERS[key][:3]) for key in missing)
        return [], [_("Columns not found: %(cols)s.") % {"cols": expected}]
    rows, problems, seen = [], [], set()
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_ROWS:
                return [], [_("At most %(n)s rows per file.") % {"n": MAX_ROWS}]

            def cell(key, cells=cells):
                i = columns.get(key)
                return _norm(cells[i]) if i is not None and i < len(cells) else ""

            reference = cell("reference")[:100]
            try:
                if not reference:
                    raise ValueError(_("no bank reference"))
                if reference.lower() in seen:
                    raise ValueError(_("the reference %(ref)s appears twice in the file") % {"ref": reference})
                amount_text = cell("amount")
                if not amount_text:
                    continue  # an incoming line (no debit): not a disbursement
                row = {
                    "reference": reference,
                    "booked_on": parse_date(cell("date")),
                    "amount": parse_import_amount(amount_text),
                    "counterparty": cell("counterparty")[:200],
                    "memo": cell("memo")[:300],
                }
            except ValueError as exc:
                problems.append(_("Line %(n)s: %(problem)s") % {"n": number, "problem": exc})
                continue
            seen.add(reference.lower())
            rows.append(row)
    except csv.Error as exc:
        return [], [_("The file is not valid CSV: %(error)s") % {"error": exc}]
    return rows, problems


@transaction.atomic
def statement_import(*, data: bytes, filename: str = "", actor=None) -> StatementResult:
    """Import a statement: nothing is written if any line has a problem. Lines already imported
    (same bank reference) are skipped; then every unmatched line is matched."""
    rows, problems = read_statement(data)
    result = StatementResult(problems=problems)
    if problems or not rows:
        if not problems:
            result.problems = [_("No outgoing line found in the file.")]
        return result
    existing = {
        r.lower()
        for r in StatementLine.objects.filter(reference__in=[r["reference"] for r in rows]).values_list(
            "reference", flat=True
        )
    }
    batch = StatementImport.objects.create(
        filename=filename[:200], by=actor if getattr(actor, "is_authenticated", False) else None
    )
    new = [StatementLine(batch=batch, **row) for row in rows if row["reference"].lower() not in existing]
    StatementLine.objects.bulk_create(new)
    result.imported, result.skipped = len(new), len(rows) - len(new)
    StatementImport.objects.filter(pk=batch.pk).update(lines=result.imported, skipped=result.skipped)
    result.matched = match_all()
    result.batch = batch
    return result


@transaction.atomic
def match_all() -> int:
    """Match every unmatched statement line to the unmatched disbursement with its reference
    (compared without regard to case) and amount. Running it again matches nothing twice."""
    lines = list(StatementLine.objects.select_for_update().filter(entry__isnull=True))
    if not lines:
        return 0
    entries = {}
    candidates = JournalEntry.objects.filter(
        kind=EntryKind.DISBURSE, statement_line__isnull=True, reversed_by__isnull=True
    ).filter(Q(external_ref__isnull=False))
    for entry in candidates.only("pk", "external_ref", "amount"):
        entries.setdefault((entry.external_ref.lower(), entry.amount), []).append(entry)
    now, matched = timezone.now(), 0
    for line in lines:
        found = entries.get((line.reference.lower(), line.amount))
        if found:
            line.entry, line.matched_at = found.pop(0), now
            line.save(update_fields=["entry", "matched_at"])
            matched += 1
    return matched


def unmatched():
    """(statement lines with no disbursement, disbursements with no statement line)."""
    lines = StatementLine.objects.filter(entry__isnull=True).order_by("booked_on", "pk")
    entries = JournalEntry.objects.filter(
        kind=EntryKind.DISBURSE, statement_line__isnull=True, reversed_by__isnull=True
    ).order_by("effective_at", "pk")
    return lines, entries
