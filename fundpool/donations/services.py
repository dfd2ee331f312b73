"""Gifts from the public: started on the donate page, paid through Stripe Checkout, acknowledged; the receipt number recorded; matching."""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from core.text import clean_name
from fundpool import system_reasons
from fundpool.donations import gateway
from fundpool.errors import FundpoolError
from fundpool.ledger import services as ledger_services
from fundpool.ledger.engine import Restriction
from fundpool.models import (
    Campaign,
    Donation,
    DonationChannel,
    DonationStatus,
    PledgeStatus,
    RestrictionKind,
)
from fundpool.money import check_currency, format_amount, parse_amount

logger = logging.getLogger(__name__)


ZERO = Decimal("0.00")


MIN_DONATION = Decimal("1.00")


class DonationError(FundpoolError):
    default_message = _("The donation could not be taken.")


def max_donation() -> Decimal:
    return parse_amount(settings.DONATION_MAX_AMOUNT)


def gift_amount(value) -> Decimal:
    """An online gift's amount: an exact amount from ¥1 to DONATION_MAX_AMOUNT, or a clear refusal."""
    amount = parse_amount(value)
    if amount < MIN_DONATION:
        raise DonationError(_("The smallest gift is %(min)s."), min=format_amount(MIN_DONATION))
    if amount > max_donation():
        raise DonationError(
            _("Online gifts are at most %(max)s; for a larger gift please contact the fund."),
            max=format_amount(max_donation()),
        )
    return amount


@transaction.atomic
def donation_start(
    *,
    amount,
    restriction: Restriction = Restriction(),
    designation_label: str = "",
    designation_ref: str = "",
    display_name: str = "",
    anonymous: bool = False,
    message: str = "",
    email: str = "",
    campaign: Campaign | None = None,
) -> Donation:
    """Our own row for an online gift, before the donor pays: outside every balance until Stripe
    confirms the payment."""
    amount = gift_amount(amount)
    restriction.validate()
    if restriction.kind == RestrictionKind.CAPACITY or restriction.expires_on:
        raise DonationError(_("Choose the pool, a theme, a call or a project."))
    if campaign is not None and not campaign.active:
        raise DonationError(_("This campaign has ended."))
    return Donation.objects.create(
        channel=DonationChannel.STRIPE,
        amount=amount,
        currency=check_currency(None),
        designation_label=(
            designation_label
            or (system_reasons.encode("fund.general_pool") if restriction.kind == RestrictionKind.UNRESTRICTED else "")
        )[:200],
        designation_ref=designation_ref[:120],
        display_name=clean_name(display_name)[:60],
        anonymous=anonymous,
        message=(message or "").strip()[:300],
        email=(email or "").strip()[:254],
        campaign=campaign,
        **restriction.as_fields(),
    )


def donation_checkout(*, donation: Donation, success_url: str, cancel_url: str) -> gateway.CheckoutSession:
    """Create the Checkout Session (outside any transaction: it is a call over the network) and
    remember its id on the donation."""
    if not gateway.configured():
        raise DonationError(_("Online giving is not configured on this site."))
    if donation.status != DonationStatus.PENDING or donation.stripe_session_id:
        raise DonationError(_("This gift has already gone to payment."))
    try:
        session = gateway.checkout_create(
            donation,
            success_url=success_url,
            cancel_url=cancel_url,
            product_name=str(_("Gift to the community fund pool")),
        )
    except gateway.GatewayError:
        logger.exception("could not create a Checkout Session for donation %s", donation.pk)
        raise DonationError(
            _("The payment service could not be reached; nothing was charged. Please try again.")
        ) from None
    Donation.objects.filter(pk=donation.pk, stripe_session_id__isnull=True).update(stripe_session_id=session.id)
    return session


@transaction.atomic
def donation_cancel(*, token: str) -> Donation | None:
    """The donor came back from Checkout without paying: the gift is closed (a payment that still
    arrives later is fulfilled all the same)."""
    if "\x00" in token:  # no token has one, and PostgreSQL refuses to compare with it
        return None
    donation = Donation.objects.select_for_update().filter(token=token).first()
    if donation is not None and donation.status == DonationStatus.PENDING:
        # Nothing kept: the donor's name, email and message go; the bare row stays so that a payment
        # that still arrives is recognised.
        donation.status = DonationStatus.CANCELLED
        donation.display_name, donation.email, donation.message = "", "", ""
        donation.save(update_fields=["status", "display_name", "email", "message"])
    return donation


def receipts_awaiting():
    """Received gifts awaiting an official receipt (公益事业捐赠票据): no number yet, not declined."""
    return Donation.objects.filter(
        status=DonationStatus.CONFIRMED, receipt_number__isnull=True, receipt_declined=False
    ).order_by("confirmed_at", "pk")


@transaction.atomic
def receipt_declined_record(*, donation: Donation, actor) -> Donation:
    """The donor declined an official receipt: recorded, and the gift leaves the list awaiting one."""
    if not actor.has_perm("fundpool.record_receipt_number"):
        raise DonationError(_("You may not record receipt numbers."))
    donation = Donation.objects.select_for_update().get(pk=donation.pk)
    if donation.receipt_number:
        raise DonationError(
            _("This gift already has receipt number %(number)s; a receipt number is recorded once."),
            number=donation.receipt_number,
        )
    donation.receipt_declined = True
    donation.save(update_fields=["receipt_declined"])
    return donation


@transaction.atomic
def receipt_number_record(*, donation: Donation, number: str, actor, check_code: str = "") -> Donation:
    if not actor.has_perm("fundpool.record_receipt_number"):
        raise DonationError(_("You may not record receipt numbers."))
    number = (number or "").strip()
    if not number or len(number) > 60:
        raise DonationError(_("Give the receipt number (at most 60 characters)."))
    donation = Donation.objects.select_for_update().get(pk=donation.pk)
    if donation.status != DonationStatus.CONFIRMED:
        raise DonationError(_("Only a received gift gets an official receipt."))
    if donation.receipt_number:
        raise DonationError(
            _("This gift already has receipt number %(number)s; a receipt number is recorded once."),
            number=donation.receipt_number,
        )
    if Donation.objects.filter(receipt_number__iexact=number).exclude(pk=donation.pk).exists():
        raise DonationError(_("Receipt number %(number)s is already on another gift."), number=number)
    check_code = (check_code or "").strip()
    if len(check_code) > 40:
        raise DonationError(_("The check code is at most 40 characters."))
    donation.receipt_number, donation.receipt_check_code = number, check_code
    donation.receipt_declined = False
    donation.save(update_fields=["receipt_number", "receipt_check_code", "receipt_declined"])
    return donation


def _alert_staff(donation: Donation) -> None:
    from django.core.mail import mail_managers

    with translation.override(settings.LANGUAGE_CODE):  # staff read the site's language
        subject = _("Donation #%(pk)s held in suspense") % {"pk": donation.pk}
        body = _("Donation #%(pk)s is held in suspense: %(reason)s") % {
            "pk": donation.pk,
            "reason": system_reasons.display(donation.suspense_reason),
        }

    def send():
        try:
            mail_managers(subject, body)
        except Exception:  # noqa: BLE001 - an alert must not undo the booking
            logger.exception("could not alert staff about donation %s", donation.pk)

    logger.warning("donation %s held in suspense: %s", donation.pk, donation.suspense_reason)
    transaction.on_commit(send)


def _send_acknowledgement(donation_id: int) -> None:
    from fundpool.donations.notify import donation_acknowledgement

    donation_acknowledgement(Donation.objects.select_related("theme").get(pk=donation_id))


def matched_so_far(campaign: Campaign) -> Decimal:
    return (
        Donation.objects.filter(
            campaign=campaign, channel=DonationChannel.MATCH, status=DonationStatus.CONFIRMED
        ).aggregate(t=Sum("amount"))["t"]
        or ZERO
    )


def _match(donation: Donation, *, received_on: date) -> Donation | None:
    """A matching campaign's partner doubles the gift (1:1) from its pledge, up to the cap."""
    campaign = donation.campaign
    if campaign is None or campaign.match_pledge_id is None:
        return None
    pledge = campaign.match_pledge
    if pledge.status != PledgeStatus.OPEN:
        return None
    cap = campaign.match_cap if campaign.match_cap is not None else pledge.amount
    amount = min(donation.amount, cap - matched_so_far(campaign), pledge.outstanding)
    if amount <= 0:
        return None
    inflow = ledger_services.pledge_receive(
        pledge=pledge,
        amount=amount,
        received_on=received_on,
        external_ref=f"match:{donation.pk}",
        description=system_reasons.encode("fund.match", n=donation.pk, campaign=campaign.title),
    )
    return Donation.objects.create(
        channel=DonationChannel.MATCH,
        status=DonationStatus.CONFIRMED,
        amount=amount,
        currency=donation.currency,
        campaign=campaign,
        matched_by=donation,
        display_name=pledge.funder.name,
        inflow=inflow,
        confirmed_at=timezone.now(),
        designation_label=donation.designation_label,
        designation_ref=donation.designation_ref,
        **Restriction.of(inflow).as_fields(),
    )
