"""axe-core in Chromium on each public page type, at phone size: no serious or critical violations."""

import pytest
from django.utils import timezone

from grants import services
from grants.lifecycle import Status

from ..factories import ApplicationFactory
from ..grants.conftest import put_in_state
from .steps import home_site  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def published_outcome(staff, home_site):  # noqa: F811
    from cms.models import OutcomeIndexPage, OutcomePage

    project = put_in_state(ApplicationFactory(title="长者助餐点"), Status.AWARDED)
    project = services.application_transition(
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


def test_public_pages_have_no_serious_accessibility_violations(live_server, phone, published_outcome, settings):
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
