"""Who may open whose objects: every URL of ours that takes an id (a pk, a token, a slug, a year),
tried by every kind of person with a GET and a POST. Someone else's object is refused (403, 404,
405, a sign-in page, or the admin's "no permission" redirect to its home) and a refused POST changes
nothing; the people it is for get it. No GET changes anything (it would need no CSRF token). The
table is in cases.py; a new id-taking URL without a row there fails the first test."""

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from .cases import APPLICANT, CASES, FINANCE, OWNER, REVIEWER, ROLES, STAFF, refusal, routes, snapshot, written_tables
from .conftest import sign_in

pytestmark = pytest.mark.django_db


def test_every_url_that_takes_an_id_has_a_row_in_the_table():
    id_urls = {r.name for r in routes() if r.ours and r.takes_id}
    assert "" not in id_urls, "an id-taking URL of ours has no name, so the table cannot name it"
    in_table = {case.url for case in CASES}
    assert sorted(id_urls - in_table) == [], "add these URLs to CASES in tests/security/cases.py"
    assert sorted(in_table - id_urls) == [], "these rows name URLs that no longer exist or take no id"


def test_the_table_names_roles_that_exist():
    for case in CASES:
        assert case.see | case.post | case.refused <= set(ROLES), case.id
        assert not case.post & case.refused, case.id


def _read(response) -> str:
    """The body; a streamed file is read to the end, which closes it the way a server would."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


# The one GET that changes something, and why that is safe without a CSRF token.
GET_CHANGES = {
    "grants:thread": "opening a conversation records that the reader has read it (their own read mark, "
    "nothing else); forging it would only mark someone's messages as read",
    "grants_admin:thread": "the same read mark, for staff",
    "donate_cancel": "Checkout sends the donor back here on cancelling; the donation's private token "
    "is the authority, and cancelling a gift not yet paid only forgets the donor's details",
}


def _get(client, world, case, url, role) -> str | None:
    """What is wrong with a GET of `url` by `role`, or None."""
    with transaction.atomic():
        with CaptureQueriesContext(transaction.get_connection()) as queries:
            response = client.get(url)
        body = _read(response)
        changed = bool(written_tables(queries.captured_queries)) and snapshot() != world.baseline
        transaction.set_rollback(True)
    where = f"GET {response.status_code} {response.get('Location', '')}".rstrip()
    if changed and case.url not in GET_CHANGES:
        return f"{where}: a GET changed the data (it would need no CSRF token)"
    if role in case.see:
        if response.status_code != case.ok:
            return f"{where}: expected {case.ok}"
        shown = [text for text in (case.leaks(world) if case.leaks else []) if text in body]
        return f"{where}: shows {shown}" if shown else None
    return None if refusal(response) else f"{where}: expected a refusal"


def _post(client, world, case, url, role) -> str | None:
    """What is wrong with a POST to `url` by `role`, or None."""
    data = case.data(world) if case.data else {}
    with transaction.atomic():
        with CaptureQueriesContext(transaction.get_connection()) as queries:
            response = client.post(url, data)
        _read(response)
        changed = bool(written_tables(queries.captured_queries)) and snapshot() != world.baseline
        transaction.set_rollback(True)
    where = f"POST {response.status_code} {response.get('Location', '')}".rstrip()
    if response.status_code >= 500:
        return f"{where}: server error"
    if role in case.post:
        if refusal(response):
            return f"{where}: refused, but this role may post"
        if case.effect and not changed:
            return f"{where}: changed nothing (is the payload still valid?)"
        return None
    if role not in case.refused and not refusal(response):
        return f"{where}: expected a refusal"
    if role in case.refused and refusal(response):
        return f"{where}: refused at the gate; the table says the service refuses it (update the row)"
    return f"{where}: a refused POST changed the data" if changed else None


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_each_role_gets_exactly_what_the_table_says(client, world, case):
    """One row of the table, every role, GET and POST: (url, role) cells, each checked both ways."""
    url = reverse(case.url, kwargs=case.build(world))
    wrong = []
    for role in ROLES:
        for check in (_get, _post):
            cache.clear()  # rate limits (residents' feedback) count per test, not across roles
            sign_in(client, world, role)
            problem = check(client, world, case, url, role)
            if problem:
                wrong.append(f"{role:>17}  {problem}")
    assert not wrong, f"{url}\n" + "\n".join(wrong)


def test_the_conflict_of_interest_page_listing_every_group_is_for_reviewers_only(client, world):
    """It takes no id, but it names every resident group (filed or not): only trustees declare
    conflicts, so only they see it."""
    url = reverse("grants:reviewer_profile")
    for role in (OWNER, APPLICANT, STAFF, FINANCE):
        sign_in(client, world, role)
        response = client.get(url)
        assert response.status_code == 404, role
        assert world.group.name not in response.content.decode(), role
    sign_in(client, world, REVIEWER)
    response = client.get(url)
    assert response.status_code == 200 and world.group.name in response.content.decode()
