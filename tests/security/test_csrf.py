"""CSRF: every POST to our URLs without a token is refused by Django's CSRF check before the view
runs, and changes nothing; the only views exempt from the check are the listed ones; and the
forms themselves still work with the token their page gives out."""

import re

import pytest
from django.conf import settings
from django.db import transaction
from django.http import HttpResponseForbidden
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from .cases import (
    ANON,
    APPLICANT,
    ASSIGNED,
    CASES,
    FINANCE,
    OWNER,
    REVIEWER,
    STAFF,
    routes,
    snapshot,
    written_tables,
)
from .conftest import sign_in

pytestmark = pytest.mark.django_db

# Views that skip Django's CSRF check on purpose, and what authenticates their POSTs instead.
CSRF_EXEMPT = {
    "fundpool:stripe_webhook": "Stripe's servers post events with no cookie and no token; the Stripe-Signature "
    "header (an HMAC of the raw body with our webhook secret, with a timestamp) authenticates each one.",
}
# Wagtail's admin API is built on Django REST framework, whose views are all marked exempt; DRF's
# session authentication makes the same check itself for any method that is not safe.
THIRD_PARTY_EXEMPT = {
    f"wagtailadmin_api:{kind}:{view}"
    for kind, views in (
        ("pages", ("listing", "detail", "find", "action")),
        ("documents", ("listing", "detail", "find")),
        ("images", ("listing", "detail", "find")),
    )
    for view in views
}

# Who posts to each of our URLs that take no id (admin URLs not listed here: staff).
POSTER = {
    "healthz": ANON,
    "fundpool:summary_json": ANON,
    "grants:dashboard": OWNER,
    "grants:notifications": OWNER,
    "grants:group_create": APPLICANT,
    "grants:call_list": ANON,
    "grants:review_list": REVIEWER,
    "grants:reviewer_profile": REVIEWER,
    "grants:notice": ANON,
    "donate": ANON,
    "transparency": ANON,
    "directory": ANON,
    "impact": ANON,
    "open_data_json": ANON,
    "open_data_csv": ANON,
    "annual_reports": ANON,
    "stripeevent:index": FINANCE,
    "stripeevent:index_results": FINANCE,
    # Wagtail's login pages, sent to the site's own (cms/auth.py).
    "wagtailadmin_login": ANON,
    "wagtailcore_login": ANON,
}
# Other people's forms that our visitors and staff post to: sign-in, sign-up, the language switch.
THIRD_PARTY_FORMS = ["account_login", "account_signup", "wagtailadmin_login", "wagtailcore_login", "set_language"]

_PREFERENCE = (OWNER, APPLICANT, ASSIGNED, REVIEWER, STAFF, FINANCE, ANON)


def csrf_refused(request, reason=""):
    """Stands in for Django's CSRF failure page, so a CSRF refusal is told from any other 403."""
    response = HttpResponseForbidden(f"csrf refused: {reason}")
    response["X-Csrf-Refused"] = "1"
    return response


@pytest.fixture
def csrf_client(settings):
    settings.CSRF_FAILURE_VIEW = f"{__name__}.csrf_refused"
    return Client(enforce_csrf_checks=True)


def _token(response) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def _targets(world) -> list[tuple[str, str, dict, str]]:
    """(name, url, payload, role) for every URL of ours and the third-party forms above."""
    rows = {}
    for case in CASES:
        rows.setdefault(case.url, case)
    targets = []
    for route in routes():
        if not route.ours or route.name in CSRF_EXEMPT:
            continue
        if route.takes_id:
            case = rows[route.name]
            allowed = case.post | case.refused | case.see
            role = next((r for r in _PREFERENCE if r in allowed), STAFF)
            url = reverse(route.name, kwargs=case.build(world))
            data = case.data(world) if case.data else {}
        else:
            role = POSTER.get(route.name, STAFF if route.route.startswith("admin/") else None)
            assert role is not None, f"{route.name}: say who posts to it in POSTER"
            url, data = reverse(route.name), {}
        targets.append((route.name, url, data, role))
    targets += [(name, reverse(name), {}, ANON) for name in THIRD_PARTY_FORMS]
    return targets


def test_exactly_the_listed_views_are_exempt_from_the_csrf_check():
    exempt = {r.name for r in routes() if r.csrf_exempt}
    assert {r.name for r in routes() if r.csrf_exempt and r.ours} == set(CSRF_EXEMPT)
    assert exempt - set(CSRF_EXEMPT) == THIRD_PARTY_EXEMPT


def test_every_post_without_a_token_is_refused_and_changes_nothing(csrf_client, world):
    wrong, tried = [], 0
    for name, url, data, role in _targets(world):
        sign_in(csrf_client, world, role)
        with transaction.atomic():
            with CaptureQueriesContext(transaction.get_connection()) as queries:
                response = csrf_client.post(url, data)
            changed = bool(written_tables(queries.captured_queries)) and snapshot() != world.baseline
            transaction.set_rollback(True)
        tried += 1
        if response.status_code != 403 or not response.has_header("X-Csrf-Refused"):
            wrong.append(f"{name} ({url}) as {role}: {response.status_code}, not the CSRF refusal")
        if changed:
            wrong.append(f"{name} ({url}) as {role}: changed the data")
    assert tried > 150
    assert not wrong, "\n".join(wrong)


def test_the_stripe_webhook_is_authenticated_by_its_signature_instead(csrf_client, world, settings):
    from fundpool.models import StripeEvent
    from tests.fundpool import stripe_kit as kit

    settings.STRIPE_WEBHOOK_SECRET = kit.SECRET
    event = kit.event("payment_intent.created", kit.obj("payment_intent"))  # a type we only record
    unsigned = csrf_client.post("/stripe/webhook/", kit.body_of(event), content_type="application/json")
    assert unsigned.status_code == 400
    assert not StripeEvent.objects.filter(event_id=event["id"]).exists()
    signed = kit.post(csrf_client, event)
    assert signed.status_code == 200
    assert StripeEvent.objects.filter(event_id=event["id"]).exists()


def test_wagtails_admin_api_refuses_a_page_action_without_a_token(csrf_client, world):
    from wagtail.models import Page

    home = Page.objects.get(depth=2)
    before = Page.objects.count()
    sign_in(csrf_client, world, STAFF)
    url = reverse("wagtailadmin_api:pages:action", args=[home.pk, "copy"])
    response = csrf_client.post(url, {"destination_page_id": home.pk, "recursive": "false"})
    assert response.status_code == 403
    assert Page.objects.count() == before


# --- with the token the page gave out, the forms work --------------------------------------------


def test_signing_in_with_the_token_from_the_sign_in_page(csrf_client, world):
    from allauth.account.models import EmailAddress

    owner = world.users[OWNER]
    EmailAddress.objects.create(user=owner, email=owner.email, verified=True, primary=True)
    token = _token(csrf_client.get(reverse("account_login")))
    response = csrf_client.post(
        reverse("account_login"),
        {"login": owner.email, "password": "pass-word-123", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert int(csrf_client.session["_auth_user_id"]) == owner.pk


def test_signing_up_with_the_token_from_the_sign_up_page(csrf_client, world, django_user_model):
    token = _token(csrf_client.get(reverse("account_signup")))
    response = csrf_client.post(
        reverse("account_signup"),
        {
            "email": "newcomer@example.invalid",
            "password1": "a-long-pass-phrase-2026",
            "password2": "a-long-pass-phrase-2026",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302
    assert django_user_model.objects.filter(email="newcomer@example.invalid").exists()


def test_signing_in_to_the_admin_with_the_token_from_its_sign_in_page(csrf_client, world):
    """The admin's login leads to the site's own, where staff sign in by username."""
    from allauth.account.models import EmailAddress

    staff = world.users[STAFF]
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    page = csrf_client.get(reverse("wagtailadmin_login"), follow=True)
    response = csrf_client.post(
        page.request["PATH_INFO"] + "?" + page.request["QUERY_STRING"],
        {"login": staff.username, "password": "pass-word-123", "csrfmiddlewaretoken": _token(page)},
    )
    assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")


def test_switching_language_by_post_with_the_sites_token(csrf_client, world):
    csrf_client.get(reverse("account_login"))  # any page with a form sets the token cookie
    token = csrf_client.cookies[settings.CSRF_COOKIE_NAME].value
    response = csrf_client.post(reverse("set_language"), {"language": "en", "next": "/", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert csrf_client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_withdrawing_an_application_with_the_token_from_its_page(csrf_client, world):
    from grants.lifecycle import Status
    from grants.models import Application

    sign_in(csrf_client, world, OWNER)
    page = csrf_client.get(reverse("grants:application_detail", args=[world.draft.pk]))
    response = csrf_client.post(
        reverse("grants:application_withdraw", args=[world.draft.pk]),
        {"reason": "改期再报", "csrfmiddlewaretoken": _token(page)},
    )
    assert response.status_code == 302
    assert Application.objects.get(pk=world.draft.pk).status == Status.WITHDRAWN


def test_filing_a_group_in_the_admin_with_the_token_from_its_page(csrf_client, world):
    from grants.models import ResidentGroup

    sign_in(csrf_client, world, STAFF)
    url = reverse("grants_admin:group_filing", args=[world.group.pk])
    token = _token(csrf_client.get(url))
    response = csrf_client.post(
        url,
        {
            "action": "file",
            "filing_number": "SEC-002",
            "filed_on": world.today.isoformat(),
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302
    assert ResidentGroup.objects.get(pk=world.group.pk).filing_number == "SEC-002"


def test_a_token_from_another_session_is_refused(csrf_client, world):
    """The token must be this visitor's own: one taken from someone else's page does not pass."""
    other = Client(enforce_csrf_checks=True)
    sign_in(other, world, STAFF)
    url = reverse("grants_admin:group_filing", args=[world.group.pk])
    stolen = _token(other.get(url))
    sign_in(csrf_client, world, STAFF)
    assert _token(csrf_client.get(url)) != stolen  # this visitor has a token cookie of its own
    response = csrf_client.post(
        url,
        {
            "action": "file",
            "filing_number": "SEC-003",
            "filed_on": world.today.isoformat(),
            "csrfmiddlewaretoken": stolen,
        },
    )
    assert response.status_code == 403 and response.has_header("X-Csrf-Refused")
