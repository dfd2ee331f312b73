"""The fund pool: where money comes from (funders, pledges, inflows), what it may be used for
(restrictions), and the double-entry ledger that records every movement.

`fundpool` knows nothing of grants. Other apps commit, disburse and release money under an opaque
reference string (e.g. "grant:42") and keep the link on their side."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.uploads import GeneratedName
from fundpool.errors import FundpoolError
from fundpool.models.choices import (  # noqa: F401 - re-exported
    MAY_GO_NEGATIVE,
    ROLLED_UP,
    AccountingCategory,
    AccountKind,
    EntryKind,
    PledgeStatus,
    RestrictionKind,
    SourceType,
)

MONEY = {"max_digits": 16, "decimal_places": 2}


class AppendOnlyQuerySet(models.QuerySet):
    """History is never rewritten: bulk updates and deletes are refused too."""

    def update(self, **kwargs):
        raise FundpoolError(_("Ledger records are append-only; post a reversing entry instead."))

    def delete(self):
        raise FundpoolError(_("Ledger records are append-only; post a reversing entry instead."))

    _raw_delete = delete


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise FundpoolError(_("Ledger records are append-only; post a reversing entry instead."))
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise FundpoolError(_("Ledger records are append-only; post a reversing entry instead."))


class Theme(models.Model):
    """A community priority theme (elderly care, environment, safety, …) that money can be
    restricted to. Grants link their calls and priority problems to these."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")

    def __str__(self):
        return self.name


class Funder(models.Model):
    """A named institutional source. Individual donors are not funders."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    source_type = models.CharField(_("source type"), max_length=20, choices=SourceType.choices)
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("funder")
        verbose_name_plural = _("funders")

    def __str__(self):
        return self.name


class RestrictionFields(models.Model):
    """What money may be spent on, and until when."""

    restriction_kind = models.CharField(
        _("restriction"), max_length=20, choices=RestrictionKind.choices, default=RestrictionKind.UNRESTRICTED
    )
    theme = models.ForeignKey(Theme, verbose_name=_("theme"), null=True, blank=True, on_delete=models.PROTECT)
    call_ref = models.CharField(
        _("call reference"), max_length=64, blank=True, help_text=_("The call this money is restricted to.")
    )
    expires_on = models.DateField(
        _("expires on"), null=True, blank=True, help_text=_("After this date the money can no longer be committed.")
    )

    class Meta:
        abstract = True

    @classmethod
    def restriction_constraints(cls, prefix: str) -> list[models.CheckConstraint]:
        return [
            models.CheckConstraint(
                name=f"{prefix}_restriction_shape",
                condition=(
                    Q(restriction_kind=RestrictionKind.THEME, theme__isnull=False, call_ref="")
                    | Q(restriction_kind=RestrictionKind.CALL, theme__isnull=True) & ~Q(call_ref="")
                    | Q(
                        restriction_kind__in=[RestrictionKind.UNRESTRICTED, RestrictionKind.CAPACITY],
                        theme__isnull=True,
                        call_ref="",
                    )
                ),
            )
        ]

    @property
    def restriction_label(self) -> str:
        if self.restriction_kind == RestrictionKind.THEME:
            return f"{RestrictionKind(self.restriction_kind).label}: {self.theme}"
        if self.restriction_kind == RestrictionKind.CALL:
            return f"{RestrictionKind(self.restriction_kind).label}: {self.call_ref}"
        return str(RestrictionKind(self.restriction_kind).label)


class Pledge(RestrictionFields):
    """Money promised but not yet transferred. Kept outside the ledger: it reaches the pool only
    as inflows, when (and as far as) it is received."""

    funder = models.ForeignKey(Funder, verbose_name=_("funder"), on_delete=models.PROTECT, related_name="pledges")
    amount = models.DecimalField(_("amount pledged"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    received = models.DecimalField(_("amount received"), default=Decimal("0"), **MONEY)
    pledged_on = models.DateField(_("pledged on"))
    expected_by = models.DateField(_("expected by"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=PledgeStatus.choices, default=PledgeStatus.OPEN)
    description = models.CharField(_("description"), max_length=300, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-pledged_on", "-id"]
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        constraints = [
            models.CheckConstraint(name="pledge_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="pledge_received_in_range", condition=Q(received__gte=0, received__lte=models.F("amount"))
            ),
            *RestrictionFields.restriction_constraints("pledge"),
        ]

    def __str__(self):
        return f"{self.funder} · {self.amount} {self.currency}"

    @property
    def outstanding(self) -> Decimal:
        if self.status != PledgeStatus.OPEN:
            return Decimal("0.00")
        return self.amount - self.received


def _private_storage():
    return storages["private"]


class Account(models.Model):
    """A ledger account. `balance` caches the sum of its postings (money in minus money out) and is
    only changed by the ledger, under a row lock, in the same transaction as the postings."""

    code = models.CharField(_("code"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=AccountKind.choices)
    currency = models.CharField(_("currency"), max_length=3)
    # For income accounts:
    source_type = models.CharField(_("source type"), max_length=20, choices=SourceType.choices, blank=True)
    # For available accounts (one per restriction bucket):
    restriction_kind = models.CharField(_("restriction"), max_length=20, choices=RestrictionKind.choices, blank=True)
    theme = models.ForeignKey(Theme, verbose_name=_("theme"), null=True, blank=True, on_delete=models.PROTECT)
    call_ref = models.CharField(_("call reference"), max_length=64, blank=True)
    # For committed and paid accounts:
    reference = models.CharField(_("reference"), max_length=120, blank=True, db_index=True)
    balance = models.DecimalField(_("balance"), default=Decimal("0"), **MONEY)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.CheckConstraint(
                name="account_pool_not_negative",
                condition=Q(balance__gte=0) | Q(kind__in=[k.value for k in MAY_GO_NEGATIVE]),
            ),
        ]
        indexes = [models.Index(fields=["kind", "currency"], name="account_kind_idx")]

    def __str__(self):
        return self.code


class AccountKindTotal(models.Model):
    """The sum of the balances of every account of one kind (committed, paid), kept by the ledger
    under a row lock in the same transaction as the postings; ledger_verify checks it."""

    kind = models.CharField(max_length=20, choices=AccountKind.choices)
    currency = models.CharField(max_length=3)
    balance = models.DecimalField(default=Decimal("0"), **MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "currency"], name="kindtotal_unique"),
            models.CheckConstraint(name="kindtotal_not_negative", condition=Q(balance__gte=0)),
        ]

    def __str__(self):
        return f"{self.kind} {self.currency}: {self.balance}"


class MonthlyIncome(models.Model):
    """Money received per calendar month (in the site's time zone, by the entry's effective date),
    source type and currency: the negated sum of the postings on income accounts, so reversals and
    refunds booked against income count. Kept by the ledger under a row lock in the same
    transaction as the postings (ledger_verify checks it), so the public monthly chart reads a few
    dozen rows however many gifts there were."""

    month = models.DateField()  # the first day of the month
    source_type = models.CharField(max_length=20, choices=SourceType.choices)
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(default=Decimal("0"), **MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", "source_type", "currency"], name="monthlyincome_unique"),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.source_type} {self.currency}: {self.amount}"


class Commitment(models.Model):
    """Money set aside under an opaque reference (a grant, a capacity-building sum, …) for one
    purpose. Its committed and paid accounts hold the money; the lot movements say whose it was."""

    reference = models.CharField(_("reference"), max_length=120, unique=True)
    currency = models.CharField(_("currency"), max_length=3)
    theme = models.ForeignKey(Theme, verbose_name=_("theme"), null=True, blank=True, on_delete=models.PROTECT)
    call_ref = models.CharField(_("call reference"), max_length=64, blank=True)
    capacity_building = models.BooleanField(_("capacity building"), default=False)
    committed_account = models.OneToOneField(
        Account, on_delete=models.PROTECT, related_name="+", verbose_name=_("committed account")
    )
    paid_account = models.OneToOneField(
        Account, on_delete=models.PROTECT, related_name="+", verbose_name=_("paid account")
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")

    def __str__(self):
        return self.reference

    @property
    def outstanding(self) -> Decimal:
        return self.committed_account.balance

    @property
    def paid(self) -> Decimal:
        return self.paid_account.balance


class JournalEntry(AppendOnlyModel):
    """One money movement: two or more postings that sum to zero in one currency."""

    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    memo = models.CharField(_("memo"), max_length=500, blank=True)
    # The commitment reference this entry concerns, if any (opaque to the pool).
    reference = models.CharField(_("reference"), max_length=120, blank=True, db_index=True)
    # An outside id (bank statement line, payment reference, processor id): unique when present.
    external_ref = models.CharField(_("external reference"), max_length=200, null=True, blank=True, unique=True)
    # The lot a fee, refund or chargeback is charged against.
    inflow = models.ForeignKey(
        "Inflow", null=True, blank=True, on_delete=models.PROTECT, related_name="charges", verbose_name=_("inflow")
    )
    reversal_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by", verbose_name=_("reverses")
    )
    effective_at = models.DateTimeField(_("effective at"), db_index=True)
    # For money paid out: its category under the accounting rules, set when it is paid; a later
    # `CategoryCorrection` supersedes it (this row, like every entry, is never edited).
    category = models.CharField(_("accounting category"), max_length=20, blank=True, choices=AccountingCategory.choices)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("recorded by")
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        permissions = [("reverse_journalentry", "Can post reversing entries")]
        constraints = [models.CheckConstraint(name="entry_amount_positive", condition=Q(amount__gt=0))]

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()} {self.amount} {self.currency}"


class Posting(AppendOnlyModel):
    """One leg of an entry: a signed amount into (+) or out of (−) an account."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)

    class Meta:
        ordering = ["id"]
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        constraints = [models.CheckConstraint(name="posting_amount_nonzero", condition=~Q(amount=0))]
        indexes = [models.Index(fields=["account", "entry"], name="posting_account_entry_idx")]

    def __str__(self):
        return f"{self.account_id}: {self.amount} {self.currency}"


class Inflow(RestrictionFields):
    """Money received: a lot. Its `available` caches what of it is still uncommitted (the sum of
    its lot movements' available deltas); the rest has been drawn by commitments or charged."""

    source_type = models.CharField(_("source type"), max_length=20, choices=SourceType.choices)
    funder = models.ForeignKey(
        Funder, verbose_name=_("funder"), null=True, blank=True, on_delete=models.PROTECT, related_name="inflows"
    )
    pledge = models.ForeignKey(
        Pledge, verbose_name=_("pledge"), null=True, blank=True, on_delete=models.PROTECT, related_name="inflows"
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    available = models.DecimalField(_("uncommitted"), default=Decimal("0"), **MONEY)
    received_on = models.DateField(_("received on"))
    description = models.CharField(_("description"), max_length=300, blank=True)
    # Donor's name as given, for acknowledgements only: never on public pages.
    payer_name = models.CharField(_("payer name (private)"), max_length=200, blank=True)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    entry = models.OneToOneField(
        JournalEntry, on_delete=models.PROTECT, related_name="inflow_record", verbose_name=_("journal entry")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("inflow")
        verbose_name_plural = _("inflows")
        constraints = [
            models.CheckConstraint(name="inflow_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(name="inflow_available_not_negative", condition=Q(available__gte=0)),
            *RestrictionFields.restriction_constraints("inflow"),
        ]
        indexes = [
            # Drawing looks only at lots with money left; keep that index small.
            models.Index(
                fields=["restriction_kind", "theme", "call_ref", "expires_on", "received_on", "id"],
                condition=Q(available__gt=0),
                name="inflow_drawable_idx",
            ),
            # Unrestricted money is drawn in this order, from possibly hundreds of thousands of
            # small donations: an index that gives the first lots without sorting them all.
            # (PostgreSQL sorts NULLs last in ascending order, as drawing wants.)
            models.Index(
                fields=["expires_on", "received_on", "id"],
                condition=Q(available__gt=0, restriction_kind=RestrictionKind.UNRESTRICTED),
                name="inflow_unrestricted_draw_idx",
            ),
            models.Index(fields=["source_type", "received_on"], name="inflow_source_date_idx"),
        ]

    def __str__(self):
        who = self.funder.name if self.funder_id else self.get_source_type_display()
        return f"{who} · {self.amount} {self.currency} · {self.received_on}"


class InflowDocument(models.Model):
    """A reference document for an inflow (allocation letter, bank slip, agreement). Stored privately."""

    inflow = models.ForeignKey(Inflow, on_delete=models.PROTECT, related_name="documents")
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=GeneratedName("fundpool/inflows/%Y/%m/"), storage=_private_storage)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("reference document")
        verbose_name_plural = _("reference documents")

    def __str__(self):
        return self.title


class LotMovement(AppendOnlyModel):
    """How an entry changed one lot: its uncommitted money (`available_delta`) and, when a
    commitment is involved, what that commitment holds of the lot (`committed_delta`, `paid_delta`).

    A draw is available −x / committed +x; a release available +x / committed −x; a disbursement
    committed −x / paid +x; a fee or refund charged to the lot available −x. The draw rows are the
    record of which lots a commitment drew."""

    class Kind(models.TextChoices):
        RECEIVE = "receive", _("received")
        DRAW = "draw", _("drawn")
        RETURN = "return", _("returned")
        PAY = "pay", _("paid")
        CHARGE = "charge", _("charged")
        REVERSE = "reverse", _("reversed")

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lot_movements")
    lot = models.ForeignKey(Inflow, on_delete=models.PROTECT, related_name="movements")
    commitment = models.ForeignKey(
        Commitment, null=True, blank=True, on_delete=models.PROTECT, related_name="lot_movements"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    available_delta = models.DecimalField(default=Decimal("0"), **MONEY)
    committed_delta = models.DecimalField(default=Decimal("0"), **MONEY)
    paid_delta = models.DecimalField(default=Decimal("0"), **MONEY)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["commitment", "lot"], name="lotmove_commitment_idx"),
            models.Index(fields=["lot", "commitment"], name="lotmove_lot_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.lot_id}"


from fundpool.models.donations import (  # noqa: E402,F401  (donations, re-exported)
    EVENT_REASONS,
    Campaign,
    Donation,
    DonationChannel,
    DonationStatus,
    EventStatus,
    ImportBatch,
    StripeEvent,
)
from fundpool.models.statements import StatementImport, StatementLine  # noqa: E402,F401  (re-exported)


class CategoryCorrection(AppendOnlyModel):
    """A payment's accounting category corrected, with the reason; the latest one counts."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="category_corrections")
    category = models.CharField(_("accounting category"), max_length=20, choices=AccountingCategory.choices)
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"#{self.entry_id}: {self.category}"
