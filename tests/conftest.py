from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone, translation

from fundpool.ledger import services as ledger_services
from fundpool.ledger.engine import Restriction
from fundpool.models import RestrictionKind, SourceType

from .factories import FunderFactory, ThemeFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and lockouts live in the cache: no test inherits another's."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _emails_through_the_outbox(settings):
    """Django's test set-up swaps EMAIL_BACKEND for its in-memory one; as the site runs, every email
    goes through the outbox (core/outbox.py), which then delivers it to that in-memory outbox."""
    settings.EMAIL_BACKEND = "core.outbox.OutboxBackend"


@pytest.fixture(autouse=True)
def _chinese_first():
    """The site speaks Chinese unless told otherwise; tests start each time from that default."""
    translation.activate("zh-hans")
    yield
    translation.deactivate()


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def yesterday(today):
    return today - timedelta(days=1)


@pytest.fixture
def elderly(db):
    return ThemeFactory(code="elderly", name="为老服务")


@pytest.fixture
def environment(db):
    return ThemeFactory(code="environment", name="环境保护")


@pytest.fixture
def gov(db):
    return FunderFactory(name="翠湖街道办事处", source_type=SourceType.GOVERNMENT)


@pytest.fixture
def company(db):
    return FunderFactory(name="华星科技有限公司", source_type=SourceType.CSR)


@pytest.fixture
def trust(db):
    return FunderFactory(name="明德慈善信托", source_type=SourceType.TRUST)


@pytest.fixture
def staff_user(db):
    return UserFactory(username="staffer")


@pytest.fixture
def receive(db, yesterday):
    """Record money received: receive("100", funder=…, restriction=…)."""

    def _receive(amount, *, funder=None, source_type=None, restriction=Restriction(), fee=None, on=None, **kw):
        if source_type is None:
            source_type = funder.source_type if funder else SourceType.DONATION
        return ledger_services.inflow_record(
            source_type=source_type,
            funder=funder,
            amount=Decimal(amount),
            fee=fee,
            received_on=on or yesterday,
            restriction=restriction,
            **kw,
        )

    return _receive


@pytest.fixture
def theme_restriction():
    def _make(theme, expires_on=None):
        return Restriction(kind=RestrictionKind.THEME, theme=theme, expires_on=expires_on)

    return _make


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def roles(db):
    from cms.roles import ensure_roles

    return ensure_roles()


@pytest.fixture
def staff(roles):
    user = UserFactory(username="fund-staff", email="staff@example.invalid")
    user.groups.add(roles["staff"])
    return user


@pytest.fixture
def finance(roles):
    user = UserFactory(username="fund-finance", email="finance@example.invalid")
    user.groups.add(roles["finance"])
    return user


@pytest.fixture
def reviewer(roles):
    user = UserFactory(username="reviewer-1", email="reviewer@example.invalid")
    user.groups.add(roles["reviewer"])
    return user


# Tables whose rows the database refuses to change or delete (fundpool migrations 0002 and 0009).
APPEND_ONLY_TABLES = [
    "fundpool_lotmovement",
    "fundpool_posting",
    "fundpool_journalentry",
    "wagtailcore_modellogentry",
    "wagtailcore_pagelogentry",
    "django_fsm_log_statelog",
]


@pytest.fixture(autouse=True)
def _ledger_flushable_on_sqlite(request):
    """Tests that commit (browser tests, races) are cleaned up by emptying every table. PostgreSQL
    does it with TRUNCATE, which the append-only triggers (ledger and audit log) don't see; SQLite
    deletes row by row, which they refuse. So here, just before that clean-up, those rows go with
    the triggers lifted for a moment, and the triggers come straight back as they were."""
    if not ({"transactional_db", "live_server"} & set(request.fixturenames)):
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys = OFF")
        for table in APPEND_ONLY_TABLES:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s AND name LIKE %s",
                [table, f"{table}_no_%"],
            )
            triggers = cursor.fetchall()
            for name, _sql in triggers:
                cursor.execute(f"DROP TRIGGER {name}")
            cursor.execute(f"DELETE FROM {table}")
            for _name, sql in triggers:
                cursor.execute(sql)
        cursor.execute("PRAGMA foreign_keys = ON")


def pytest_sessionfinish(session, exitstatus):
    """The SQLite test database is per run (config/settings/test.py); its write-ahead log files
    outlive it, so they go too."""
    import glob
    import os

    from django.conf import settings

    name = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    if name and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        for path in glob.glob(f"{name}*"):
            try:
                os.remove(path)
            except OSError:
                pass


@pytest.fixture
def stripe_on(settings, monkeypatch):
    """Stripe keys set; Checkout answered locally (no network). Returns the sessions made, as
    {"donation", "success", "cancel"}."""
    from fundpool.donations import gateway

    from .fundpool import stripe_kit as kit

    settings.STRIPE_SECRET_KEY = "sk_test_fundpool"
    settings.STRIPE_WEBHOOK_SECRET = kit.SECRET
    made = []

    def fake_checkout(donation, *, success_url, cancel_url, product_name):
        made.append({"donation": donation.pk, "success": success_url, "cancel": cancel_url})
        return gateway.CheckoutSession(
            id=f"cs_test_{donation.pk:08d}", url=f"https://checkout.stripe.test/{donation.pk}"
        )

    monkeypatch.setattr(gateway, "checkout_create", fake_checkout)
    return made


@pytest.fixture
def queued_jobs(monkeypatch):
    """Jobs wait in the queue (the broker table) instead of running as they are queued; run them
    with tests.jobs.run_queued, as a worker would."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
