"""The fund pool's kinds of things (stored values with their labels), and which account kinds may go below zero or are rolled up."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SourceType(models.TextChoices):
    GOVERNMENT = "government", _("Government allocation")
    CSR = "csr", _("Corporate social responsibility")
    DONATION = "donation", _("Public small donation")
    TRUST = "trust", _("Charitable trust")
    MATCHING = "matching", _("Matching partner")
    # Grant money a group paid back (after a termination or an underspend); comes with no funder.
    RECOVERY = "recovery", _("Grant money returned")


class RestrictionKind(models.TextChoices):
    UNRESTRICTED = "unrestricted", _("Unrestricted")
    THEME = "theme", _("Restricted to a theme")
    CALL = "call", _("Restricted to a call")
    CAPACITY = "capacity", _("Capacity building (组织发展金)")


class AccountKind(models.TextChoices):
    INCOME = "income", _("Income by source")
    AVAILABLE = "available", _("Available pool")
    COMMITTED = "committed", _("Committed to a grant")
    PAID = "paid", _("Paid out")
    FEES = "fees", _("Processing fees")
    REFUNDS = "refunds", _("Refunds")
    CHARGEBACKS = "chargebacks", _("Chargebacks")
    SHORTFALL = "shortfall", _("Shortfall")


# Accounts through which money enters from, or is owed to, the outside world; every other
# account is part of the pool and can never hold less than nothing.
MAY_GO_NEGATIVE = (AccountKind.INCOME, AccountKind.SHORTFALL)


class EntryKind(models.TextChoices):
    INFLOW = "inflow", _("Money received")
    FEE = "fee", _("Processing fee")
    COMMIT = "commit", _("Commitment")
    DISBURSE = "disburse", _("Disbursement")
    RELEASE = "release", _("Release of a commitment")
    REFUND = "refund", _("Refund")
    CHARGEBACK = "chargeback", _("Chargeback")
    COVER = "cover", _("Shortfall covered")
    REVERSAL = "reversal", _("Reversal")


class PledgeStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("pledge status", "Open")
    FULFILLED = "fulfilled", _("Fully received")
    CANCELLED = "cancelled", _("Cancelled")


# Kinds with an account per grant: their totals are also kept in AccountKindTotal, so the pool
# summary reads a handful of rows however many grants there are.
ROLLED_UP = (AccountKind.COMMITTED, AccountKind.PAID)


class AccountingCategory(models.TextChoices):
    """Expense categories of the 民间非营利组织会计制度, for the annual report and exports."""

    PROGRAM = "program", _("Programme activity costs (业务活动成本)")
    ADMIN = "admin", _("Administrative expenses (管理费用)")
    FUNDRAISING = "fundraising", _("Fundraising expenses (筹资费用)")
    OTHER = "other", _("Other expenses (其他费用)")
