"""The agreement before and after signing: the group's consent to the draft, and amendments (变更),
each approved one making a new agreement version, frozen and hashed, its hash chained to the one
before."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.uploads import GeneratedName
from grants.models.applications import Application
from grants.models.award import Agreement
from grants.models.common import _private_storage


class AgreementConsent(models.Model):
    """The group's leader confirmed the draft agreement in the site: when, by whom, and the hash
    of exactly the terms shown to them."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="agreement_consents")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    terms_hash = models.CharField(max_length=64)
    confirmed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-confirmed_at", "-pk"]

    def __str__(self):
        return f"{self.application_id}: {self.confirmed_at:%Y-%m-%d %H:%M}"


class AmendmentKind(models.TextChoices):
    BUDGET = "budget", _("Move budget between lines")
    EXTEND = "extend", _("Extend a report date")
    CONTACT = "contact", _("Change the contact person")
    SCOPE = "scope", _("Change the scope")
    AMOUNT = "amount", _("Change the amount")


class AmendmentStatus(models.TextChoices):
    REQUESTED = "requested", _("Asked, awaiting staff")
    APPROVED = "approved", _("Approved, awaiting finance")
    APPLIED = "applied", _("In force")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_AMENDMENT = [AmendmentStatus.REQUESTED, AmendmentStatus.APPROVED]


class Amendment(models.Model):
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="amendments")
    kind = models.CharField(_("kind"), max_length=10, choices=AmendmentKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=AmendmentStatus.choices, default=AmendmentStatus.REQUESTED
    )
    # What changes, by kind: {"final_due_on": "2027-03-01"}, {"moves": [{"from": id, "to": id,
    # "amount": "500.00"}]}, {"leader_name": …, "leader_phone": …}, {"scope": …}, {"amount": "9500.00"}.
    details = models.JSONField(_("what changes"), default=dict)
    why = models.TextField(_("why it is asked"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    from_group = models.BooleanField(default=False)
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision = models.TextField(_("reason for the decision"), blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        constraints = [
            # One open amendment per project: a second waits until the first is decided.
            models.UniqueConstraint(
                fields=["application"], condition=Q(status__in=OPEN_AMENDMENT), name="one_open_amendment"
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()}"

    @property
    def moves_money(self) -> bool:
        return self.kind == AmendmentKind.AMOUNT

    def summary(self) -> str:
        """What the amendment changes, in words (for staff's list and the group's page)."""
        from django.utils.translation import gettext as _

        d = self.details or {}
        if self.kind == AmendmentKind.EXTEND:
            parts = []
            if d.get("final_due_on"):
                parts.append(_("final report by %(date)s") % {"date": d["final_due_on"]})
            if d.get("midterm_due_on"):
                parts.append(_("mid-term report by %(date)s") % {"date": d["midterm_due_on"]})
            return "；".join(parts)
        if self.kind == AmendmentKind.BUDGET:
            from grants.models import BudgetLine

            lines = BudgetLine.objects.in_bulk(
                [m["from"] for m in d.get("moves", [])] + [m["to"] for m in d.get("moves", [])]
            )
            return "；".join(
                _("%(amount)s from “%(source)s” to “%(target)s”")
                % {
                    "amount": m["amount"],
                    "source": getattr(lines.get(m["from"]), "item", "?"),
                    "target": getattr(lines.get(m["to"]), "item", "?"),
                }
                for m in d.get("moves", [])
            )
        if self.kind == AmendmentKind.CONTACT:
            return _("new contact: %(name)s") % {"name": d.get("leader_name", "")}
        if self.kind == AmendmentKind.SCOPE:
            return d.get("scope", "")[:200]
        if self.kind == AmendmentKind.AMOUNT:
            return _("amount %(before)s → %(after)s") % {"before": d.get("before", ""), "after": d.get("amount", "")}
        return ""


class AgreementVersion(models.Model):
    """One version of a signed agreement: version 1 at signing, one more per applied amendment.
    `content_hash` is SHA-256 over the previous version's hash and these terms (agreement_verify)."""

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField()
    terms = models.JSONField()
    previous_hash = models.CharField(max_length=64, blank=True)
    content_hash = models.CharField(max_length=64)
    amendment = models.OneToOneField(Amendment, null=True, blank=True, on_delete=models.PROTECT, related_name="version")
    changes = models.JSONField(default=list, blank=True)  # [{"field": label, "before": …, "after": …}]
    pdf = models.FileField(
        upload_to=GeneratedName("grants/agreements/versions/%Y/"), storage=_private_storage, blank=True
    )
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agreement", "number"]
        constraints = [models.UniqueConstraint(fields=["agreement", "number"], name="agreement_version_unique")]

    def __str__(self):
        return f"{self.agreement.number} v{self.number}"


class CorrectionKind(models.TextChoices):
    SIGNING_DATE = "signing_date", _("Signing date")
    PAYMENT_DATE = "payment_date", _("Payment date")
    PAYMENT_REFERENCE = "payment_reference", _("Payment reference")
    EXPENSE_AMOUNT = "expense_amount", _("Expense amount")
    EVALUATION_SCORE = "evaluation_score", _("Evaluation score")
    PAYMENT_CATEGORY = "payment_category", _("Payment's accounting category")


class Correction(models.Model):
    """A wrongly recorded value corrected, never edited away: this record supersedes the value
    before it and keeps both, with the reason. A correction of money also reverses the ledger
    entry and posts a new one (`entry`, `new_entry`)."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="corrections")
    kind = models.CharField(_("what is corrected"), max_length=20, choices=CorrectionKind.choices)
    target_id = models.PositiveIntegerField()  # the agreement, tranche, expense or report
    before = models.CharField(_("recorded"), max_length=200)
    after = models.CharField(_("corrected to"), max_length=200)
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    reversal = models.ForeignKey(
        "fundpool.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    new_entry = models.ForeignKey(
        "fundpool.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")

    def __str__(self):
        return f"{self.get_kind_display()}: {self.before} → {self.after}"
