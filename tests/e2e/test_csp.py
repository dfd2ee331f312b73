"""The Content Security Policy holds in a real browser: every page type loads with nothing blocked
(so the policy is strict without breaking the site), and an injected inline script is refused."""

import pytest
from allauth.account.models import EmailAddress

from ..factories import UserFactory
from .steps import home_site, published_outcome  # noqa: F401 - fixtures

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sourceFile || ''));
});
"""


def violations(page, path, base):
    response = page.goto(f"{base}{path}")
    assert response.status == 200, (path, response.status)
    assert "script-src 'self'" in response.headers["content-security-policy"], path
    page.wait_for_load_state("networkidle")
    return page.evaluate("window.__csp")


def test_public_and_applicant_pages_load_with_nothing_blocked(live_server, browser, published_outcome, settings):  # noqa: F811
    settings.STRIPE_SECRET_KEY = "sk_test_fundpool"
    outcome = published_outcome
    application = outcome.application
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    context.add_init_script(WATCH)
    page = context.new_page()
    base = live_server.url
    found = {}
    for path in ("/", "/funded/", outcome.url, "/transparency/", "/impact/", "/notice/", "/calls/", "/donate/"):
        found[path] = violations(page, path, base)

    # An applicant's own pages, signed in through the form: the dashboard and the application
    # form with its budget calculator and autosave script.
    member = application.group.memberships.first().user
    member.set_password("Member-pass-2026!")
    member.save()
    EmailAddress.objects.get_or_create(user=member, email=member.email, defaults={"verified": True, "primary": True})
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", member.email)
    page.fill("input[name=password]", "Member-pass-2026!")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/dashboard/")
    for path in ("/dashboard/", f"/applications/{application.pk}/", f"/projects/{application.pk}/"):
        found[path] = violations(page, path, base)
    context.close()
    assert not any(found.values()), found


def test_the_admin_loads_with_nothing_blocked(live_server, browser, published_outcome, roles):  # noqa: F811
    outcome = published_outcome
    application = outcome.application
    staff = UserFactory(username="csp-staff", password="Staff-pass-2026!", email="csp-staff@example.invalid")
    staff.groups.add(roles["staff"])
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.add_init_script(WATCH)
    page = context.new_page()
    base = live_server.url
    page.goto(f"{base}/admin/login/")  # the site's own login, by username
    page.fill("input[name=login]", "csp-staff")
    page.fill("input[name=password]", "Staff-pass-2026!")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/admin/")
    found = {}
    for path in (
        "/admin/",
        f"/admin/pages/{outcome.pk}/edit/",
        f"/admin/grants/applications/{application.pk}/",
        "/admin/grants/lifecycle/",
        "/admin/inflow/new/",
    ):
        found[path] = violations(page, path, base)
    context.close()
    assert not any(found.values()), found


def test_an_injected_inline_script_is_refused(live_server, browser, home_site):  # noqa: F811
    context = browser.new_context()
    context.add_init_script(WATCH)
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    # What a stored cross-site-scripting payload would amount to, were it ever to slip through
    # escaping: an inline script element added to the page.
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__ran = true';"
        " document.body.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.__ran === undefined")
    assert any(v.startswith("script-src") for v in page.evaluate("window.__csp"))
    context.close()
