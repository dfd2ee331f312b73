"""axe-core in Chromium on each public page type, at phone size: no serious or critical violations."""

import pytest

from .steps import home_site, published_outcome  # noqa: F401 - fixtures

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_public_pages_have_no_serious_accessibility_violations(live_server, phone, published_outcome, settings):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe

    settings.STRIPE_SECRET_KEY = "sk_test_fundpool"
    axe = Axe()
    problems = {}
    for path in (
        "/",
        "/funded/",
        "/funded/?q=助餐",
        published_outcome.url,
        "/transparency/",
        "/notice/",
        "/calls/",
        "/donate/",
    ):
        phone.goto(f"{live_server.url}{path}")
        results = axe.run(phone)
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} — {v['nodes'][0]['target']}"
            for v in results.response["violations"]
            if v.get("impact") in ("serious", "critical")
        ]
        if serious:
            problems[path] = serious
    assert not problems, problems
    assert results.response["testEngine"]["name"] == "axe-core"  # it really ran
