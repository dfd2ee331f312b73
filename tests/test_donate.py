"""The public giving pages: the donate form, Checkout's return pages, the donor's private
acknowledgement with where the gift went, campaigns; and the site without Stripe keys."""

from decimal import Decimal

import pytest
from django.urls import reverse

from fundpool.ledger import commitments
from fundpool.models import Donation, DonationStatus
from grants.lifecycle import Status

from .factories import ApplicationFactory, ThemeFactory
from .fundpool import stripe_kit as kit
from .grants.conftest import put_in_state

pytestmark = pytest.mark.django_db


def form(**overrides):
    data = {"preset": "50", "custom": "", "designation": "pool", "display_name": "", "message": "", "email": ""}
    data.update(overrides)
    return data


def test_without_stripe_keys_the_page_says_so_and_takes_nothing(client, settings):
    settings.STRIPE_SECRET_KEY = ""
    page = client.get(reverse("donate"))
    assert page.status_code == 200 and "尚未开通" in page.content.decode()
    assert client.post(reverse("donate"), form()).status_code == 400
    assert not Donation.objects.exists()


def test_a_preset_gift_goes_to_checkout(client, stripe_on):
    response = client.post(reverse("donate"), form(preset="100", email="a@example.invalid", display_name="小林"))
    donation = Donation.objects.get()
    assert response.status_code == 302 and response["Location"] == f"https://checkout.stripe.test/{donation.pk}"
    assert (donation.amount, donation.status, donation.stripe_session_id) == (
        Decimal("100.00"),
        DonationStatus.PENDING,
        f"cs_test_{donation.pk:08d}",
    )
    assert stripe_on[0]["success"].endswith(reverse("donate_thanks", args=[donation.token]))


@pytest.mark.parametrize(
    "custom, message",
    [
        ("0", "大于零"),
        ("-5", "负数"),
        ("0.5", "最小"),
        ("12.345", "2 位小数"),
        ("abc", "不是数字"),
        ("1000000", "最多"),
    ],
)
def test_a_bad_custom_amount_is_explained_and_nothing_is_kept(client, stripe_on, custom, message):
    response = client.post(reverse("donate"), form(preset="other", custom=custom))
    assert response.status_code == 400 and message in response.content.decode()
    assert not Donation.objects.exists() and not stripe_on


def test_a_designation_that_was_not_offered_is_refused(client, stripe_on):
    response = client.post(reverse("donate"), form(designation="theme:nope"))
    assert response.status_code == 400
    assert not Donation.objects.exists()


def test_gifts_can_go_to_a_theme_a_call_or_a_funded_project(client, stripe_on, staff):
    theme = ThemeFactory(code="elderly", name="为老服务")
    project = put_in_state(ApplicationFactory(title="长者助餐点"), Status.IN_DELIVERY)
    call = project.call
    for designation in ("theme:elderly", f"call:{call.slug}", f"project:{project.pk}"):
        assert client.post(reverse("donate"), form(designation=designation)).status_code == 302
    by_theme, by_call, by_project = Donation.objects.order_by("pk")
    assert (by_theme.restriction_kind, by_theme.theme) == ("theme", theme)
    assert (by_call.restriction_kind, by_call.call_ref) == ("call", call.reference)
    assert (by_project.designation_label, by_project.designation_ref) == ("长者助餐点", project.reference)
    assert by_project.theme == project.problem.theme


def test_the_thanks_page_waits_for_the_webhook(client, stripe_on):
    client.post(reverse("donate"), form())
    donation = Donation.objects.get()
    page = client.get(reverse("donate_thanks", args=[donation.token])).content.decode()
    assert "正在向支付机构确认" in page and 'http-equiv="refresh"' in page
    kit.post(client, kit.event("checkout.session.completed", kit.session_for(donation)))
    page = client.get(reverse("donate_thanks", args=[donation.token])).content.decode()
    assert "已收到" in page and reverse("donation_acknowledgement", args=[donation.token]) in page


def test_the_cancel_page_keeps_nothing(client, stripe_on):
    client.post(reverse("donate"), form())
    donation = Donation.objects.get()
    response = client.get(reverse("donate_cancel", args=[donation.token]), follow=True)
    assert "没有扣款" in response.content.decode()
    assert Donation.objects.get().status == DonationStatus.CANCELLED and Donation.objects.get().inflow is None


def test_the_acknowledgement_shows_where_the_gift_went(client, stripe_on, staff):
    client.post(reverse("donate"), form(preset="200", display_name="小林"))
    donation = Donation.objects.get()
    kit.post(client, kit.event("checkout.session.completed", kit.session_for(donation)))
    project = ApplicationFactory(title="楼道照明改造")
    commitments.commitment_commit(reference=project.reference, amount="200.00")
    commitments.commitment_disburse(reference=project.reference, amount="120.00", external_ref="BANK-9")
    page = client.get(reverse("donation_acknowledgement", args=[donation.token]))
    html = page.content.decode()
    assert page.status_code == 200 and page["X-Robots-Tag"] == "noindex"
    assert "楼道照明改造" in html and "¥200.00" in html and "¥120.00" in html
    assert client.get(reverse("donation_acknowledgement", args=["not-a-token"])).status_code == 404


def test_a_campaign_page_shows_its_progress(client, stripe_on):
    from datetime import date

    from fundpool.models import Campaign

    campaign = Campaign.objects.create(
        title="九九公益日", slug="99", goal=Decimal("1000.00"), starts_on=date(2026, 9, 1)
    )
    client.post(reverse("donate") + "?campaign=99", form(preset="200", campaign="99"))
    donation = Donation.objects.get()
    assert donation.campaign == campaign
    kit.post(client, kit.event("checkout.session.completed", kit.session_for(donation)))
    html = client.get(reverse("campaign", args=["99"])).content.decode()
    assert "¥200.00" in html and 'value="20"' in html


def test_a_typed_amount_is_the_gift_whatever_button_was_left_selected(client, stripe_on):
    client.post(reverse("donate"), form(preset="50", custom="88"))
    assert Donation.objects.get().amount == Decimal("88.00")


def test_the_cancel_link_of_a_paid_gift_does_not_claim_nothing_was_charged(client, stripe_on):
    client.post(reverse("donate"), form(display_name="小林", email="a@example.invalid"))
    donation = Donation.objects.get()
    kit.post(client, kit.event("checkout.session.completed", kit.session_for(donation)))
    response = client.get(reverse("donate_cancel", args=[donation.token]), follow=True)
    html = response.content.decode()
    assert "已收到" in html and "没有扣款" not in html
    assert Donation.objects.get().status == DonationStatus.CONFIRMED
    assert client.get(reverse("donate_cancel", args=["no-such-token"])).status_code == 404


def test_cancelling_forgets_the_donors_details(client, stripe_on):
    client.post(reverse("donate"), form(display_name="小林", email="a@example.invalid", message="加油"))
    donation = Donation.objects.get()
    client.get(reverse("donate_cancel", args=[donation.token]))
    donation.refresh_from_db()
    assert (donation.display_name, donation.email, donation.message) == ("", "", "")


def test_a_campaign_gift_goes_where_the_campaign_says(client, stripe_on):
    from datetime import date

    from fundpool.models import Campaign

    theme = ThemeFactory(code="elderly", name="为老服务")
    other = ThemeFactory(code="culture", name="社区文化")
    Campaign.objects.create(
        title="为老",
        slug="old",
        goal=Decimal("100"),
        starts_on=date(2026, 1, 1),
        restriction_kind="theme",
        theme=theme,
        designation_label="为老服务",
    )
    page = client.get(reverse("donate") + "?campaign=old").content.decode()
    assert 'name="designation"' not in page and "为老服务" in page
    client.post(reverse("donate") + "?campaign=old", form(campaign="old", designation=f"theme:{other.code}"))
    donation = Donation.objects.get()
    assert (donation.theme, donation.campaign.slug) == (theme, "old")


def test_the_acknowledgement_of_a_gift_refunded_in_full_says_so(client, stripe_on):
    client.post(reverse("donate"), form(preset="20"))
    donation = Donation.objects.get()
    kit.post(client, kit.event("checkout.session.completed", kit.session_for(donation)))
    kit.post(client, kit.event("charge.refunded", kit.charge_for(donation, refunded=2000)))
    html = client.get(reverse("donation_acknowledgement", args=[donation.token])).content.decode()
    assert "已全额退款" in html and "尚未用于具体项目" not in html
