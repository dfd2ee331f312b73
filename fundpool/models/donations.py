"""Donations from the public: online gifts through Stripe Checkout, gifts imported from a fundraising
platform or a bank statement, campaigns (with matching), and every Stripe event as received.

A `Donation` row is made before the donor pays (the "pledge row" of an online gift): its primary key
keys the Checkout Session's idempotency, and it stays outside every balance until a verified webhook
confirms the payment; then exactly one inflow (lot) is recorded for it. Designations are opaque to the
fund pool: a restriction (theme or call) plus a label and an outside reference such as `grant:12`."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fundpool.models.restrictions import Restriction

from . import MONEY, Inflow, Pledge, RestrictionFields


def _token() -> str:
    return secrets.token_urlsafe(24)


class Campaign(RestrictionFields):
    """A fundraising goal with a progress bar, for the pool, a theme, a call or a project; optionally
    matched 1:1 by a partner's pledge up to a cap."""

    title = models.CharField(_("title"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    goal = models.DecimalField(_("goal"), **MONEY)
    designation_label = models.CharField(_("designation"), max_length=200, blank=True)
    designation_ref = models.CharField(
        _("designation reference"), max_length=120, blank=True, help_text=_("e.g. grant:12 for a funded project.")
    )
    match_pledge = models.ForeignKey(
        Pledge,
        verbose_name=_("matching pledge"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="matched_campaigns",
        help_text=_("A matching partner's pledge that doubles each gift (1:1) until the cap."),
    )
    match_cap = models.DecimalField(_("matching cap"), null=True, blank=True, **MONEY)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    active = models.BooleanField(pgettext_lazy("campaign", "active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(name="campaign_goal_positive", condition=Q(goal__gt=0)),
            models.CheckConstraint(name="campaign_match_cap", condition=Q(match_cap__isnull=True) | Q(match_cap__gt=0)),
            *RestrictionFields.restriction_constraints("campaign"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_open(self) -> bool:
        from django.utils import timezone

        today = timezone.localdate()
        return self.active and self.starts_on <= today and (self.ends_on is None or today <= self.ends_on)

    def clean(self):
        from django.core.exceptions import ValidationError

        from . import PledgeStatus, SourceType

        errors = {}
        if self.goal is not None and self.goal <= 0:
            errors["goal"] = _("The goal must be more than zero.")
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("A campaign cannot end before it starts.")
        try:
            Restriction.of(self).validate()
        except Exception as exc:  # noqa: BLE001 - the restriction explains itself
            errors["restriction_kind"] = str(exc)
        if self.designation_ref and not (
            self.designation_ref.startswith("grant:") and self.designation_ref.split(":")[1].isdigit()
        ):
            errors["designation_ref"] = _("A project is named as grant:<number>, e.g. grant:12.")
        pledge = self.match_pledge
        if pledge is not None:
            if pledge.funder.source_type != SourceType.MATCHING:
                errors["match_pledge"] = _("Only a matching partner's pledge can match gifts.")
            elif pledge.status != PledgeStatus.OPEN and not self.pk:
                errors["match_pledge"] = _("This pledge is closed.")
            if self.match_cap is not None and self.match_cap > pledge.amount:
                errors["match_cap"] = _("The cap cannot be more than the pledge (%(amount)s).") % {
                    "amount": pledge.amount
                }
        if self.pk:
            before = type(self).objects.filter(pk=self.pk).values_list("match_pledge", flat=True).first()
            if before != self.match_pledge_id and self.donations.filter(channel="match").exists():
                errors["match_pledge"] = _("Gifts were already matched from the current pledge; it cannot be changed.")
        if errors:
            raise ValidationError(errors)


class DonationChannel(models.TextChoices):
    STRIPE = "stripe", _("Online (Stripe Checkout)")
    PLATFORM = "platform", _("Fundraising platform import")
    BANK = "bank", _("Bank statement import")
    MATCH = "match", _("Matching gift")


class DonationStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting payment confirmation")
    CONFIRMED = "confirmed", pgettext_lazy("donation status", "Received")
    FAILED = "failed", _("Payment failed")
    EXPIRED = "expired", _("Checkout expired")
    CANCELLED = "cancelled", _("Cancelled by the donor")
    SUSPENSE = "suspense", _("Held in suspense: does not match what was asked")


class Donation(RestrictionFields):
    """One gift from the public. Personal data (name, email, message) is private: public pages show
    the display name only when the donor chose one and is not anonymous."""

    token = models.CharField(_("private link key"), max_length=64, unique=True, default=_token, editable=False)
    channel = models.CharField(_("channel"), max_length=10, choices=DonationChannel.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=DonationStatus.choices, default=DonationStatus.PENDING, db_index=True
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    designation_label = models.CharField(_("designation"), max_length=200, blank=True)
    designation_ref = models.CharField(_("designation reference"), max_length=120, blank=True)
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), null=True, blank=True, on_delete=models.PROTECT, related_name="donations"
    )
    display_name = models.CharField(_("name to show"), max_length=60, blank=True)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    message = models.CharField(_("message"), max_length=300, blank=True)
    email = models.EmailField(_("email for the acknowledgement"), blank=True)
    # Outside identifiers: each is unique wherever it is set.
    stripe_session_id = models.CharField(
        _("Stripe Checkout Session"), max_length=255, null=True, blank=True, unique=True
    )
    stripe_payment_intent = models.CharField(
        _("Stripe PaymentIntent"), max_length=255, null=True, blank=True, unique=True
    )
    stripe_charge_id = models.CharField(_("Stripe charge"), max_length=255, null=True, blank=True, unique=True)
    import_ref = models.CharField(
        _("row reference"), max_length=200, null=True, blank=True, unique=True, help_text=_("channel:reference")
    )
    inflow = models.OneToOneField(
        Inflow, verbose_name=_("inflow"), null=True, blank=True, on_delete=models.PROTECT, related_name="donation"
    )
    matched_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="match", verbose_name=_("matches")
    )
    suspense_reason = models.TextField(_("why it is held"), blank=True)
    receipt_number = models.CharField(
        _("official receipt number (公益事业捐赠票据)"), max_length=60, null=True, blank=True, unique=True
    )
    receipt_check_code = models.CharField(_("receipt check code (校验码)"), max_length=40, blank=True)
    # The donor said they want no official receipt (recorded, so the gift leaves the list awaiting one).
    receipt_declined = models.BooleanField(_("declined an official receipt"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        permissions = [("record_receipt_number", "Can record official receipt numbers")]
        constraints = [
            models.CheckConstraint(name="donation_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="donation_confirmed_has_inflow", condition=~Q(status="confirmed") | Q(inflow__isnull=False)
            ),
            *RestrictionFields.restriction_constraints("donation"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.amount} {self.currency} ({self.get_status_display()})"

    @property
    def public_name(self) -> str:
        return "" if self.anonymous else self.display_name

    @property
    def idempotency_key(self) -> str:
        """Derived from our own row: a retried request creates no second Checkout Session."""
        return f"donation-{self.pk}-{self.token[:12]}"


class EventStatus(models.TextChoices):
    RECEIVED = "received", pgettext_lazy("event status", "Received")
    PROCESSED = "processed", _("Processed")
    IGNORED = "ignored", _("Ignored (not a type we act on)")
    DEFERRED = "deferred", _("Waiting for the payment it refers to")
    FAILED = "failed", _("Failed; will be retried")
    # Final: neither retried nor booked; staff are alerted and see the reason.
    SUSPENSE = "suspense", _("Held in suspense for staff: not booked")
    REFUSED = "refused", _("Refused: an impossible amount; never retried")


# Why an event was held or refused. Stored as a code and its parameters and worded when shown, so
# that staff read it in their own language.
EVENT_REASONS = {
    "not_finite": _("%(field)s is not a finite number (%(value)s)."),
    "not_integer": _("%(field)s is %(value)s, not a whole number of minor units (Stripe sends amounts as integers)."),
    "negative": _("%(field)s is %(value)s; an amount cannot be negative."),
    "zero": _("%(field)s is %(value)s; it must be more than zero."),
    "too_large": _("%(field)s is %(value)s: impossibly large."),
    "missing": _("%(field)s is missing."),
    "malformed": _("%(field)s is not shaped as Stripe sends it (%(value)s)."),
    "refund_exceeds_gift": _(
        "A refund of %(amount)s is more than what is left of gift #%(donation)s (%(left)s of %(total)s)."
    ),
    "dispute_exceeds_gift": _(
        "A dispute of %(amount)s is more than what is left of gift #%(donation)s (%(left)s of %(total)s)."
    ),
    "fee_exceeds_gift": _("A fee of %(amount)s is more than gift #%(donation)s (%(total)s)."),
    "refund_currency": _(
        "Stripe reports a refund in %(currency)s, but gift #%(donation)s was received in %(expected)s: not "
        "booked. Record it by hand once its amount in %(expected)s is known."
    ),
    "dispute_currency": _(
        "Stripe reports a dispute in %(currency)s, but gift #%(donation)s was received in %(expected)s: not "
        "booked. Record it by hand once its amount in %(expected)s is known."
    ),
    "inflow_reversed": _(
        "The inflow of gift #%(donation)s was reversed in the ledger, so nothing more can be charged "
        "against it: not booked."
    ),
}


class StripeEvent(models.Model):
    """Every event Stripe sent (or reconciliation fetched), stored once by its id."""

    event_id = models.CharField(_("event id"), max_length=255, unique=True)
    type = models.CharField(_("type"), max_length=100, db_index=True)
    created = models.DateTimeField(_("created at Stripe"))
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=EventStatus.choices, default=EventStatus.RECEIVED)
    # The payment it concerns, to replay deferred events once the payment is known.
    payment_intent = models.CharField(_("payment intent"), max_length=255, blank=True, db_index=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # Why it was held in suspense or refused (a key of EVENT_REASONS and its parameters).
    reason_code = models.CharField(_("reason"), max_length=40, blank=True)
    reason_params = models.JSONField(_("reason parameters"), default=dict, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")
        constraints = [
            models.CheckConstraint(
                name="stripeevent_held_or_refused_says_why",
                condition=~Q(status__in=["suspense", "refused"]) | ~Q(reason_code=""),
            ),
        ]

    def __str__(self):
        return f"{self.event_id} {self.type}"

    @property
    def reason(self) -> str:
        """Why it was held or refused, in the current language ("" if it was neither)."""
        if not self.reason_code:
            return ""
        template = EVENT_REASONS.get(self.reason_code)
        if template is None:
            return self.reason_code
        try:
            return str(template) % self.reason_params
        except (KeyError, TypeError, ValueError):
            return str(template)


class ImportBatch(models.Model):
    """A CSV from a platform or a bank, as uploaded, with what was imported from it."""

    channel = models.CharField(_("format"), max_length=10, choices=DonationChannel.choices)
    filename = models.CharField(_("file"), max_length=200)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    imported = models.PositiveIntegerField(_("imported"), default=0)
    skipped = models.PositiveIntegerField(_("already imported"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    total = models.DecimalField(_("total imported"), default=Decimal("0"), **MONEY)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("donation import")
        verbose_name_plural = _("donation imports")

    def __str__(self):
        return f"{self.get_channel_display()} · {self.filename}"


__all__ = [
    "EVENT_REASONS",
    "Campaign",
    "Donation",
    "DonationChannel",
    "DonationStatus",
    "EventStatus",
    "ImportBatch",
    "StripeEvent",
]
