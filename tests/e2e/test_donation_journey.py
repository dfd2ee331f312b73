"""Giving on a phone (390×844): ¥50 to a theme, through a simulated Checkout redirect and a signed
webhook delivered over HTTP to the running site; the thanks page confirms, and the donor's private
page shows where the gift went once a grant draws on it."""

import pytest
from django.utils import timezone

from fundpool.donations import gateway
from fundpool.ledger import commitments
from fundpool.ledger.engine import Purpose
from fundpool.ledger.verify import verify
from fundpool.models import Donation, DonationStatus

from ..factories import ApplicationFactory, ThemeFactory
from ..fundpool import stripe_kit as kit
from .steps import webhook_post

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_give_fifty_yuan_to_a_theme_and_follow_it(live_server, phone, shots, settings, monkeypatch):
    settings.STRIPE_SECRET_KEY = "sk_test_fundpool"
    settings.STRIPE_WEBHOOK_SECRET = kit.SECRET
    theme = ThemeFactory(code="elderly", name="为老服务")

    def simulated_checkout(donation, *, success_url, cancel_url, product_name):
        # Stripe's hosted page is not reachable here: the donor "pays" and is sent straight back.
        return gateway.CheckoutSession(id=f"cs_test_{donation.pk:08d}", url=success_url)

    monkeypatch.setattr(gateway, "checkout_create", simulated_checkout)
    page, base = phone, live_server.url

    page.goto(f"{base}/donate/")
    page.screenshot(path=f"{shots}/g1-donate.png", full_page=True)
    page.check("input[name=preset][value='50']")
    page.select_option("select[name=designation]", "theme:elderly")
    page.fill("input[name=display_name]", "小林")
    page.fill("input[name=email]", "xiaolin@example.invalid")
    page.click("main form button[type=submit]")
    page.wait_for_selector("text=正在向支付机构确认")
    page.screenshot(path=f"{shots}/g2-confirming.png", full_page=True)
    donation = Donation.objects.get()
    assert (donation.amount, donation.status, donation.theme) == (50, DonationStatus.PENDING, theme)

    # Stripe calls the webhook, signed, over HTTP.
    answer = webhook_post(base, kit.event("checkout.session.completed", kit.session_for(donation)))
    # Stored and answered at once; its job books the gift (here, as it is queued).
    assert answer["status"] == "received"

    page.reload()
    page.wait_for_selector("text=已收到")
    page.click("text=捐赠确认与善款去向")
    page.wait_for_selector("text=尚未用于具体项目")
    page.screenshot(path=f"{shots}/g3-acknowledgement.png", full_page=True)
    assert "¥50.00" in page.content() and "为老服务" in page.content()

    # A grant for elderly care draws on the gift; the donor's page shows it.
    project = ApplicationFactory(title="长者助餐点", problem__theme=theme)
    commitments.commitment_commit(reference=project.reference, amount="50.00", purpose=Purpose(theme=theme))
    page.reload()
    page.wait_for_selector("text=长者助餐点")
    page.screenshot(path=f"{shots}/g4-donor-view.png", full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the donor page scrolls sideways on a phone ({width}px)"
    assert verify().ok
    assert Donation.objects.get().confirmed_at.date() <= timezone.localdate()
