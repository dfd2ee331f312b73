"""Reading donation exports from a fundraising platform or a bank statement (CSV). Every row is
checked and explained; nothing is written here (`donations_import`, below, writes).

Columns are found by their header, in Chinese or English (see HEADERS). Text is UTF-8 (with or
without BOM) or GB 18030 (what Chinese banks export). Amounts take full-width digits, thousands
separators, ¥ and 元; dates take 2026-11-25, 2026/11/25, 2026.11.25, 2026年11月25日 and 20261125,
with or without a time."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fundpool import system_reasons
from fundpool.csvfiles import MAX_BYTES, MAX_ROWS, _decode, _norm, parse_date, parse_import_amount  # noqa: F401
from fundpool.donations.services import DonationError
from fundpool.ledger import services as ledger_services
from fundpool.models import (
    Donation,
    DonationStatus,
    SourceType,
)
from fundpool.money import ZERO


@dataclass
class ImportRow:
    line: int
    reference: str = ""
    received_on: date | None = None
    amount: Decimal | None = None
    name: str = ""
    anonymous: bool = False
    message: str = ""
    errors: list = None
    duplicate: bool = False  # already imported (skipped, not an error)

    def __post_init__(self):
        self.errors = self.errors or []

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportPreview:
    channel: str
    rows: list
    problems: list  # problems with the file as a whole

    @property
    def valid(self) -> list:
        return [r for r in self.rows if r.ok and not r.duplicate]

    @property
    def invalid(self) -> list:
        return [r for r in self.rows if not r.ok]

    @property
    def duplicates(self) -> list:
        return [r for r in self.rows if r.duplicate]

    @property
    def total(self) -> Decimal:
        return sum((r.amount for r in self.valid), ZERO)


def import_preview(*, channel: str, data: bytes) -> ImportPreview:
    """Read a platform or bank CSV and check every row, writing nothing."""

    return read_rows(channel=channel, data=data)


@transaction.atomic
def donations_import(*, preview: ImportPreview, only_valid: bool = False, filename: str = "", actor=None):
    """Write the rows of a checked file: all of them, or (if staff choose) only the valid ones.
    Rows already imported are skipped, so importing the same file twice adds nothing."""
    from fundpool.models import ImportBatch

    if preview.problems:
        raise DonationError(str(preview.problems[0]))
    if preview.invalid and not only_valid:
        raise DonationError(
            _("%(n)s row(s) have errors; nothing was imported. Fix them, or choose to import only the valid rows."),
            n=len(preview.invalid),
        )
    batch = ImportBatch.objects.create(
        channel=preview.channel,
        filename=filename[:200],
        rows=len(preview.rows),
        rejected=len(preview.invalid),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    imported, skipped, total = 0, len(preview.duplicates), ZERO
    for row in preview.valid:
        import_ref = f"{preview.channel}:{row.reference}"
        if Donation.objects.filter(import_ref=import_ref).exists():
            skipped += 1  # imported meanwhile
            continue
        inflow = ledger_services.inflow_record(
            source_type=SourceType.DONATION,
            amount=row.amount,
            received_on=row.received_on,
            external_ref=f"import:{import_ref}",
            description=(row.message or system_reasons.encode("fund.imported_gift"))[:300],
            payer_name=row.name,
            anonymous=row.anonymous or not row.name,
            actor=actor,
        )
        Donation.objects.create(
            channel=preview.channel,
            status=DonationStatus.CONFIRMED,
            amount=row.amount,
            currency=inflow.currency,
            display_name=row.name[:60],
            anonymous=row.anonymous,
            message=row.message[:300],
            import_ref=import_ref,
            designation_label=system_reasons.encode("fund.general_pool"),
            inflow=inflow,
            confirmed_at=timezone.now(),
        )
        imported += 1
        total += row.amount
    batch.imported, batch.skipped, batch.total = imported, skipped, total
    batch.save(update_fields=["imported", "skipped", "total"])
    return batch


HEADERS = {
    "platform": {
        "reference": ["订单号", "捐赠编号", "捐赠单号", "流水号", "reference", "order id", "order_id"],
        "date": ["捐赠时间", "捐赠日期", "支付时间", "日期", "时间", "date"],
        "amount": ["捐赠金额", "金额", "amount"],
        "name": ["捐赠人", "捐赠人姓名", "姓名", "昵称", "donor", "name"],
        "anonymous": ["是否匿名", "匿名", "anonymous"],
        "message": ["留言", "备注", "message", "note"],
    },
    "bank": {
        "reference": ["交易流水号", "流水号", "交易编号", "凭证号", "reference"],
        "date": ["交易日期", "记账日期", "交易时间", "日期", "date"],
        "amount": ["贷方金额", "收入金额", "收入", "贷方发生额", "credit", "金额", "amount"],
        "name": ["对方户名", "对方账户名", "付款人", "付款人名称", "payer", "name"],
        "message": ["摘要", "附言", "用途", "备注", "memo"],
    },
}


REQUIRED = ("reference", "date", "amount")


YES = {"是", "y", "yes", "true", "1", "匿名", "√"}


def _columns(header: list[str], channel: str) -> dict[str, int]:
    wanted = HEADERS[channel]
    names = [_norm(h).lower() for h in header]
    found = {}
    for field, aliases in wanted.items():
        for alias in aliases:
            if alias.lower() in names:
                found[field] = names.index(alias.lower())
                break
    return found


def read_rows(*, channel: str, data: bytes):
    from fundpool.models import Donation

    if channel not in HEADERS:
        return ImportPreview(channel=channel, rows=[], problems=[_("Unknown format “%(f)s”.") % {"f": channel[:20]}])
    if not data:
        return ImportPreview(channel=channel, rows=[], problems=[_("The file is empty.")])
    if len(data) > MAX_BYTES:
        return ImportPreview(channel=channel, rows=[], problems=[_("The file is larger than 5 MB.")])
    try:
        text = _decode(data)
    except ValueError as exc:
        return ImportPreview(channel=channel, rows=[], problems=[str(exc)])
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return ImportPreview(channel=channel, rows=[], problems=[_("The file has no header row.")])
    columns = _columns(header, channel)
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        expected = "; ".join(f"{f}: {' / '.join(HEADERS[channel][f][:3])}" for f in missing)
        return ImportPreview(
            channel=channel, rows=[], problems=[_("Columns not found: %(cols)s.") % {"cols": expected}]
        )
    rows, seen = [], {}
    try:
        for line, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_ROWS:
                return ImportPreview(
                    channel=channel, rows=[], problems=[_("At most %(n)s rows per file.") % {"n": MAX_ROWS}]
                )

            def cell(field, cells=cells):
                i = columns.get(field)
                return cells[i] if i is not None and i < len(cells) else ""

            row = ImportRow(line=line)
            if any("\x00" in c for c in cells):
                # Corrupt, and PostgreSQL refuses to store it. Django's own msgid, already translated.
                row.errors.append(_("Null characters are not allowed."))
            row.reference = _norm(cell("reference"))[:150]
            if not row.reference:
                row.errors.append(_("No reference."))
            elif row.reference in seen:
                row.errors.append(
                    _("The reference appears twice in the file (also line %(n)s).") % {"n": seen[row.reference]}
                )
            else:
                seen[row.reference] = line
            try:
                row.received_on = parse_date(cell("date"))
            except ValueError as exc:
                row.errors.append(str(exc))
            raw_amount = cell("amount")
            if channel == "bank" and not _norm(raw_amount):
                continue  # a debit line of the statement: not money received
            try:
                row.amount = parse_import_amount(raw_amount)
            except ValueError as exc:
                row.errors.append(str(exc))
            row.name = _norm(cell("name"))[:60]
            row.anonymous = _norm(cell("anonymous")).lower() in YES
            row.message = _norm(cell("message"))[:300]
            rows.append(row)
    except csv.Error as exc:
        return ImportPreview(
            channel=channel, rows=[], problems=[_("The file is not valid CSV: %(e)s") % {"e": str(exc)[:80]}]
        )
    refs = [f"{channel}:{r.reference}" for r in rows if r.ok]
    done = set(Donation.objects.filter(import_ref__in=refs).values_list("import_ref", flat=True))
    for r in rows:
        if r.ok and f"{channel}:{r.reference}" in done:
            r.duplicate = True
    return ImportPreview(channel=channel, rows=rows, problems=[])
