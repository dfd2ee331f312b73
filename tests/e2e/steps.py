"""What the browser journeys share: a person's own browser (phone or desk), signing in, the checks a
person makes by eye (no sideways scrolling, Chinese actually drawn), the site's pages put back after
a flush, and Stripe's signed webhook delivered over HTTP to the running site."""

from __future__ import annotations

import io
import json
import urllib.request

import pytest

from grants import transitions

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESK = {"viewport": {"width": 1280, "height": 900}}


def phone_page(browser):
    """A new person on a phone: their own context (cookies, session), Chinese first."""
    page = browser.new_context(locale="zh-CN", **PHONE).new_page()
    page.set_default_timeout(15000)
    return page


def desk_page(browser):
    """A new person at a desk (staff, finance)."""
    page = browser.new_context(locale="zh-CN", **DESK).new_page()
    page.set_default_timeout(15000)
    return page


def admin_login(page, base: str, username: str, password: str) -> None:
    """Staff and finance sign in to the Wagtail admin: its login page leads to the site's own,
    where they give their username (and a code, for those with a second factor)."""
    page.goto(f"{base}/admin/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/admin/")


def site_login(page, base: str, email: str, password: str) -> None:
    """Groups and reviewers sign in on the site's own pages."""
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def ink(page, selector) -> int:
    """How many distinct colours the element's pixels use: text drawn in a real CJK font has
    anti-aliased strokes; tofu boxes or blank space have almost none."""
    from PIL import Image

    shot = page.locator(selector).first.screenshot()
    return len(Image.open(io.BytesIO(shot)).convert("RGB").getcolors(maxcolors=100000) or [])


@pytest.fixture
def home_site():
    """Browser tests empty the database between tests, the site's pages included: put the home
    page back as set-up makes it."""
    from wagtail.models import Locale, Page, Site

    from cms.models import HomePage

    home = HomePage.objects.first()
    if home is None:
        locale, _ = Locale.objects.get_or_create(language_code="zh-hans")
        root = Page.get_first_root_node() or Page.add_root(title="Root", slug="root", locale=locale)
        home = root.add_child(instance=HomePage(title="社区公益基金池", slug="home", locale=locale))
    Site.objects.get_or_create(hostname="localhost", defaults={"root_page": home, "is_default_site": True})
    return home


def webhook_post(base: str, event: dict) -> dict:
    """Stripe calls our webhook URL with the event signed as Stripe signs it; the answer's JSON."""
    from ..fundpool import stripe_kit as kit

    body = kit.body_of(event)
    request = urllib.request.Request(
        f"{base}/stripe/webhook/",
        data=body,
        headers={"Content-Type": "application/json", "Stripe-Signature": kit.sign(body)},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the local live server
        assert response.status == 200
        return json.loads(response.read())


@pytest.fixture
def published_outcome(staff, home_site):
    """An awarded, signed project with a published outcome page (the page is returned)."""
    from django.utils import timezone

    from cms.models import OutcomeIndexPage, OutcomePage
    from grants.lifecycle import Status

    from ..factories import ApplicationFactory
    from ..grants.conftest import put_in_state

    project = put_in_state(ApplicationFactory(title="长者助餐点"), Status.AWARDED)
    project = transitions.application_transition(
        application=project, name="sign_agreement", user=staff, signed_on=timezone.localdate()
    )
    index = OutcomeIndexPage.objects.first() or home_site.add_child(
        instance=OutcomeIndexPage(title="项目成果", slug="outcomes")
    )
    page = index.add_child(
        instance=OutcomePage(
            title="长者助餐点的一年", slug="elderly", application=project, summary="<p>供餐 120 次。</p>"
        )
    )
    page.save_revision().publish()
    return page
