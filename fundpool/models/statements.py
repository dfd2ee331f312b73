"""Bank statements imported for reconciliation: each debit line, matched once to the disbursement
it records (by reference and amount)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fundpool.models import MONEY


class StatementImport(models.Model):
    filename = models.CharField(_("file"), max_length=200, blank=True)
    lines = models.PositiveIntegerField(_("lines"), default=0)
    skipped = models.PositiveIntegerField(_("already imported"), default=0)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("bank statement import")
        verbose_name_plural = _("bank statement imports")

    def __str__(self):
        return f"{self.filename} ({self.lines})"


class StatementLine(models.Model):
    """One outgoing line of the fund's bank statement. Its bank reference is unique: importing the
    same statement again adds nothing; each disbursement is matched by one line at most."""

    batch = models.ForeignKey(StatementImport, on_delete=models.PROTECT, related_name="statement_lines")
    reference = models.CharField(_("bank reference"), max_length=100, unique=True)
    booked_on = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), **MONEY)
    counterparty = models.CharField(_("counterparty"), max_length=200, blank=True)
    memo = models.CharField(_("memo"), max_length=300, blank=True)
    entry = models.OneToOneField(
        "fundpool.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="statement_line"
    )
    matched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["booked_on", "pk"]
        verbose_name = _("bank statement line")
        verbose_name_plural = _("bank statement lines")

    def __str__(self):
        return f"{self.reference} {self.amount}"
