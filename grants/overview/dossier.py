"""The project dossier for an auditor: one ZIP with everything about one project, and a
MANIFEST.sha256 (the `sha256sum` format) of every file in it. Built by a background job
(`grants.jobs.build_dossier`) and by `manage.py project_dossier ID OUT.zip`, with the same code.

Objectors stay anonymous: their objections appear by reference, date, status and the fund's
answer, never with a name or contact."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import posixpath
import zipfile
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from core.text import spreadsheet_safe
from core.uploads import EXTENSIONS, UNKNOWN_EXTENSION, download_name
from grants.models import Application, DossierStatus, ProjectDossier


def _json(data) -> bytes:
    def plain(value):
        if isinstance(value, Decimal):
            return str(value)
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return str(value)

    return json.dumps(data, ensure_ascii=False, indent=2, default=plain).encode("utf-8")


def _csv(header: list[str], rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([spreadsheet_safe(h) for h in header])
    writer.writerows([[spreadsheet_safe(v) for v in row] for row in rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _who(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


class _Zip:
    def __init__(self, handle):
        self.zip = zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED)
        self.sums: list[tuple[str, str]] = []
        self.names: set[str] = set()

    def add(self, path: str, data: bytes) -> None:
        base, ext = posixpath.splitext(path)
        n = 2
        while path in self.names:
            path = f"{base}-{n}{ext}"
            n += 1
        self.names.add(path)
        self.zip.writestr(path, data)
        self.sums.append((hashlib.sha256(data).hexdigest(), path))

    def add_file(self, folder: str, label: str, field, content_type: str) -> str | None:
        if not field:
            return None
        try:
            with field.open("rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            return None
        name = (
            download_name(label or posixpath.basename(field.name), content_type)
            if content_type in EXTENSIONS
            else (posixpath.basename(field.name) or "file" + UNKNOWN_EXTENSION)
        )
        path = f"{folder}/{name}"
        self.add(path, data)
        return path

    def close(self) -> None:
        manifest = "".join(f"{digest}  {path}\n" for digest, path in self.sums)
        self.zip.writestr("MANIFEST.sha256", manifest.encode("utf-8"))
        self.zip.close()


def build(application: Application, handle) -> list[str]:
    """Write the dossier of `application` into the binary file `handle`; returns the paths written."""
    from grants.award.documents import agreement_pdf, version_pdf

    a = Application.objects.select_related("call", "group__community", "problem__theme").get(pk=application.pk)
    z = _Zip(handle)
    z.add(
        "01-application/application.json",
        _json(
            {
                "id": a.pk,
                "title": a.title,
                "call": a.call.title,
                "status": a.get_status_display(),
                "group": {
                    "name": a.group.name,
                    "community": a.group.community.name,
                    "filing_number": a.group.filing_number,
                },
                "summary": a.summary,
                "activities": a.activities,
                "beneficiaries": a.beneficiaries,
                "requested_amount": a.requested_amount,
                "awarded_amount": a.awarded_amount,
                "submitted_at": a.submitted_at,
                "budget": [
                    {"category": b.get_category_display(), "item": b.item, "amount": b.amount}
                    for b in a.budget_lines.all()
                ],
                "milestones": [{"title": m.title, "due_on": m.due_on} for m in a.milestones.all()],
            }
        ),
    )
    for attachment in a.attachments.all():
        z.add_file("01-application/attachments", attachment.title, attachment.file, attachment.content_type)
    reviews = []
    for assignment in a.review_assignments.select_related("reviewer", "review").prefetch_related(
        "review__scores__criterion"
    ):
        review = getattr(assignment, "review", None)
        reviews.append(
            {
                "reviewer": _who(assignment.reviewer),
                "recused": assignment.recused,
                "conflict": assignment.conflict_note,
                "due_on": assignment.due_on,
                "recommendation": review.get_recommendation_display() if review else None,
                "weighted_total": review.weighted_total if review else None,
                "submitted_at": review.submitted_at if review else None,
                "scores": [{"criterion": s.criterion.name, "points": s.points} for s in review.scores.all()]
                if review
                else [],
            }
        )
    z.add("02-review/review_summary.json", _json(reviews))
    z.add(
        "03-notice/notice_and_objections.json",
        _json(
            {
                "notice_starts_at": a.notice_starts_at,
                "notice_ends_at": a.notice_ends_at,
                "awarded_at": a.awarded_at,
                # Anonymised: by reference, never by name or contact.
                "objections": [
                    {
                        "reference": o.reference,
                        "received_at": o.created_at,
                        "status": o.get_status_display(),
                        "resolution": o.resolution,
                        "answer_to_objector": o.reply,
                    }
                    for o in a.objections.all()
                ],
            }
        ),
    )
    agreement = getattr(a, "agreement", None)
    if agreement is not None:
        z.add("04-agreement/agreement.json", _json({"number": agreement.number, "signed_on": agreement.signed_on}))
        for version in agreement.versions.order_by("number"):
            pdf = agreement_pdf(agreement) if version.number == 1 else version_pdf(version)
            z.add(f"04-agreement/v{version.number}.pdf", pdf)
            z.add(
                f"04-agreement/v{version.number}.json",
                _json(
                    {
                        "number": version.number,
                        "terms": version.terms,
                        "previous_hash": version.previous_hash,
                        "content_hash": version.content_hash,
                        "changes": version.changes,
                        "created_at": version.created_at,
                    }
                ),
            )
        if agreement.scan:
            z.add_file("04-agreement", "signed-scan", agreement.scan, agreement.scan_content_type)
    z.add(
        "05-money/payments.csv",
        _csv(
            ["tranche", "amount", "paid", "status", "paid_at", "payment_reference"],
            [
                [
                    t.number,
                    t.amount,
                    t.paid_amount or "",
                    t.get_status_display(),
                    t.paid_at or "",
                    t.payment_reference or "",
                ]
                for t in a.tranches.order_by("number")
            ],
        ),
    )
    rows = []
    for expense in a.expenses.select_related("budget_line").order_by("spent_on", "pk"):
        path = z.add_file(
            "05-money/receipts", f"{expense.spent_on}-{expense.pk}", expense.receipt, expense.receipt_content_type
        )
        rows.append(
            [
                expense.pk,
                expense.spent_on,
                expense.budget_line.item,
                expense.amount,
                expense.payee,
                expense.get_status_display(),
                path or "",
            ]
        )
    z.add(
        "05-money/expenses.csv", _csv(["id", "spent_on", "budget_line", "amount", "payee", "status", "receipt"], rows)
    )
    z.add(
        "06-reports/reports.json",
        _json(
            [
                {
                    "kind": r.get_kind_display(),
                    "status": r.get_status_display(),
                    "submitted_at": r.submitted_at,
                    "outcomes": r.outcomes,
                    "beneficiaries_reached": r.beneficiaries_reached,
                    "evaluation": {
                        "score": r.score,
                        "comment": r.evaluation,
                        "by": _who(r.evaluated_by),
                        "at": r.evaluated_at,
                    },
                }
                for r in a.reports.select_related("evaluated_by").order_by("submitted_at")
            ]
        ),
    )
    z.add(
        "07-amendments/amendments.json",
        _json(
            [
                {
                    "id": m.pk,
                    "kind": m.get_kind_display(),
                    "status": m.get_status_display(),
                    "details": m.details,
                    "why": m.why,
                    "asked_at": m.requested_at,
                    "decision": m.decision,
                    "decided_by": _who(m.decided_by),
                    "confirmed_by": _who(m.confirmed_by),
                }
                for m in a.amendments.select_related("decided_by", "confirmed_by").order_by("requested_at")
            ]
        ),
    )
    lines = []
    thread = getattr(a, "thread", None)
    if thread is not None:
        for message in thread.messages.select_related("author").prefetch_related("attachments"):
            lines.append(
                f"[{timezone.localtime(message.created_at):%Y-%m-%d %H:%M}] {message.get_kind_display()} · "
                f"{'fund' if message.from_fund else 'group'} · {_who(message.author)}\n{message.body}\n"
            )
            for attachment in message.attachments.all():
                path = z.add_file("08-messages/files", attachment.title, attachment.file, attachment.content_type)
                lines.append(f"  ↳ {path}\n")
    z.add("08-messages/thread.txt", "\n".join(lines).encode("utf-8"))
    outcome = getattr(a, "outcome", None)
    z.add(
        "09-outcome/outcome.json",
        _json(
            {"title": outcome.title, "summary": outcome.summary, "beneficiaries_reached": outcome.beneficiaries_reached}
            if outcome
            else {}
        ),
    )
    z.close()
    return sorted(z.names) + ["MANIFEST.sha256"]


def dossier_run(dossier_id: int) -> ProjectDossier:
    """The job: build the ZIP for a requested dossier and store it with its SHA-256."""
    dossier = ProjectDossier.objects.select_related("application").get(pk=dossier_id)
    buffer = io.BytesIO()
    try:
        build(dossier.application, buffer)
    except Exception as exc:  # noqa: BLE001 - recorded for staff, then raised for the job's retry
        ProjectDossier.objects.filter(pk=dossier.pk).update(status=DossierStatus.FAILED, error=str(exc)[:2000])
        raise
    data = buffer.getvalue()
    dossier.file.save(f"dossier-{dossier.application_id}-{dossier.pk}.zip", ContentFile(data), save=False)
    dossier.sha256, dossier.size = hashlib.sha256(data).hexdigest(), len(data)
    dossier.status, dossier.finished_at = DossierStatus.DONE, timezone.now()
    dossier.save(update_fields=["file", "sha256", "size", "status", "finished_at"])
    return dossier
