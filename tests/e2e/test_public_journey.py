"""A visitor on a phone (390×844): home → the funded-projects directory, searching a Chinese word →
the transparency dashboard; screenshots checked for Chinese actually drawn (not empty boxes)."""

import pytest
from django.utils import timezone

from grants import transitions
from grants.lifecycle import Status

from ..factories import ApplicationFactory
from ..grants.conftest import put_in_state
from .steps import home_site, ink  # noqa: F401 - home_site is a fixture

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_visitor_reads_projects_and_the_money_trail(live_server, phone, shots, staff, home_site):  # noqa: F811
    from cms.models import OutcomeIndexPage, OutcomePage

    projects = []
    for title in ("长者助餐点", "河道守护行动"):
        application = put_in_state(ApplicationFactory(title=title, summary="社区居民自己组织的项目。"), Status.AWARDED)
        projects.append(
            transitions.application_transition(
                application=application, name="sign_agreement", user=staff, signed_on=timezone.localdate()
            )
        )
    index = OutcomeIndexPage.objects.first() or home_site.add_child(
        instance=OutcomeIndexPage(title="项目成果", slug="outcomes")
    )
    outcome = index.add_child(
        instance=OutcomePage(
            title="长者助餐点的一年",
            slug="elderly",
            application=projects[0],
            summary="<p>供餐 120 次，惠及 40 位老人。</p>",
        )
    )
    outcome.save_revision().publish()
    page, base = phone, live_server.url
    page.goto(f"{base}/")
    page.click("text=资助项目")
    page.fill("input[name=q]", "助餐")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("text=长者助餐点")
    assert "河道守护行动" not in page.content()
    page.screenshot(path=f"{shots}/p1-directory.png", full_page=True)
    assert ink(page, "main h1") > 20
    page.click("main h2 >> text=长者助餐点")
    page.wait_for_selector("text=供餐 120 次")
    page.screenshot(path=f"{shots}/p2-outcome.png", full_page=True)
    assert "¥9,000.00" in page.content()
    assert ink(page, "main h1") > 20
    page.click(".site-nav >> text=数字驾驶舱")
    page.wait_for_selector("text=数字驾驶舱")
    page.screenshot(path=f"{shots}/p3-transparency.png", full_page=True)
    assert page.locator("svg").count() >= 4
    assert ink(page, "main h1") > 20
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the dashboard scrolls sideways on a phone ({width}px)"
