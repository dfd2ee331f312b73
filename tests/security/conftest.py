import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client

from .cases import build_world, snapshot


def _stub_pdf(template, context, *, title):
    return b"%PDF-1.4 stub"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world of tests/security/cases.py, built once per module inside a transaction that is
    rolled back at the end; each test's own savepoint keeps the tests apart. Rendering PDFs is
    replaced by a stub: these tests are about who gets a document, not how it looks."""
    with pytest.MonkeyPatch.context() as mp:
        for module in ("core.pdf", "grants.award.documents", "reports.annual"):
            mp.setattr(f"{module}.render_pdf", _stub_pdf)
        with django_db_blocker.unblock():
            with transaction.atomic():
                world = build_world()
                world.baseline = snapshot()
                world.sessions = _sessions(world)
                yield world
                transaction.set_rollback(True)


def _sessions(world) -> dict:
    """A signed-in session per role, made once (a test's requests are rolled back, so they last)."""
    keys = {}
    for role, user in world.users.items():
        if user is not None:
            client = Client()
            client.force_login(user)
            keys[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return keys


def sign_in(client, world, role) -> None:
    """`client` as `role`, with no cookie left from an earlier request (a message, a token)."""
    client.cookies.clear()
    if role in world.sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
