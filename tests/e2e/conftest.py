import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch):
    """Playwright's sync API runs an event loop in the test's thread; the ORM calls the test makes
    itself (set-up, reading results) are ordinary blocking calls in that thread."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser(_orm_beside_playwright):
    # Per test, not per session: while Playwright's loop is alive, other tests' ORM calls would be
    # taken for async ones.
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (scripts/setup installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def shots(tmp_path):
    """Where screenshots go: E2E_SCREENSHOTS if set (to look at them), else a temporary folder."""
    folder = os.environ.get("E2E_SCREENSHOTS") or str(tmp_path)
    os.makedirs(folder, exist_ok=True)
    return folder


@pytest.fixture(scope="session", autouse=True)
def _end_stray_sessions(django_db_setup, django_db_blocker):
    """Once every test has run, end any PostgreSQL session other threads left open so the test
    database can be dropped. Not per test: the test thread's own connection may live in another
    context (Playwright's event loop) and must survive until the run ends."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
