"""Official receipts (公益事业捐赠票据): the gifts awaiting one, the number and check code recorded
once, and donors who declined one recorded."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from fundpool.donations import services as donation_services
from fundpool.donations.services import DonationError
from fundpool.ledger import services as ledger_services
from fundpool.models import Donation, DonationChannel, DonationStatus, SourceType

pytestmark = pytest.mark.django_db


def gift(n):
    inflow = ledger_services.inflow_record(
        source_type=SourceType.DONATION, amount=Decimal("50.00"), received_on=timezone.localdate()
    )
    return Donation.objects.create(
        channel=DonationChannel.PLATFORM,
        status=DonationStatus.CONFIRMED,
        amount=Decimal("50.00"),
        inflow=inflow,
        import_ref=f"platform:r-{n}",
        display_name=f"捐赠人{n}",
        confirmed_at=timezone.now(),
    )


def test_awaiting_then_recorded_or_declined(finance, client):
    a, b, c = gift(1), gift(2), gift(3)
    assert list(donation_services.receipts_awaiting()) == [a, b, c]
    client.force_login(finance)
    client.post(reverse("fundpool_receipts"), {"donation": a.pk, "number": "GY-2026-0001", "check_code": "7F3K"})
    client.post(reverse("fundpool_receipts"), {"donation": b.pk, "declined": "1"})
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.receipt_number, a.receipt_check_code) == ("GY-2026-0001", "7F3K")
    assert b.receipt_declined
    assert list(donation_services.receipts_awaiting()) == [c]
    page = client.get(reverse("fundpool_receipts")).content.decode()
    assert "捐赠人3" in page and "捐赠人1" not in page


def test_a_receipt_number_is_recorded_once_and_never_twice(finance):
    a, b = gift(1), gift(2)
    donation_services.receipt_number_record(donation=a, number="GY-1", check_code="A1", actor=finance)
    with pytest.raises(DonationError):
        donation_services.receipt_number_record(donation=b, number="gy-1", actor=finance)
    with pytest.raises(DonationError):
        donation_services.receipt_declined_record(donation=a, actor=finance)
    b.refresh_from_db()
    assert b.receipt_number is None and not b.receipt_declined


def test_people_without_the_receipt_permission_cannot_record(reviewer, client):
    a = gift(1)
    client.force_login(reviewer)
    response = client.post(reverse("fundpool_receipts"), {"donation": a.pk, "number": "X"})
    assert response.status_code in (302, 403) and Donation.objects.get(pk=a.pk).receipt_number is None
