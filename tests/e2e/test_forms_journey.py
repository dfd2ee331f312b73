"""The application form's script in a real browser, on a phone: the total in the site's money
format; autosave keeps a budget line with a typo, marks it and says it was not saved; the line
comes back when the page is opened again."""

import pytest
from allauth.account.models import EmailAddress

from grants.models import Application

from ..factories import ApplicationFactory, UserFactory
from .steps import site_login

pytestmark = pytest.mark.django_db(transaction=True)

AUTOSAVE_WAIT = 25_000  # the script saves every 8 seconds


def test_autosave_keeps_a_line_with_a_typo_and_says_not_saved(live_server, phone, shots):
    leader = UserFactory(username="autosave", email="autosave@example.invalid", password="Leader-pass-2026!")
    EmailAddress.objects.create(user=leader, email=leader.email, verified=True, primary=True)
    application = ApplicationFactory(title="长者助餐点", group__leader=leader)
    page, base = phone, live_server.url
    site_login(page, base, leader.email, "Leader-pass-2026!")
    page.goto(f"{base}/applications/{application.pk}/edit/")
    # The script's total is in the site's money format, as the server writes it.
    total = page.locator("[data-budget-total]")
    assert total.inner_text() == "¥10,000.00"
    page.fill("input[name=lines-1-quantity]", "25")
    assert total.inner_text() == "¥10,500.00"
    page.fill("input[name=lines-1-quantity]", "20")

    page.fill("input[name=lines-1-unit_cost]", "12.3.4")
    status = page.locator("[data-autosave-status]")
    status.filter(has_text="未保存").wait_for(timeout=AUTOSAVE_WAIT)
    assert "自动保存" not in status.inner_text()
    bad = page.locator("input[name=lines-1-unit_cost]")
    assert bad.get_attribute("aria-invalid") == "true"
    assert "不是数字" in page.locator("input[name=lines-1-unit_cost] + .autosave-error").inner_text()
    assert page.locator("input[name=lines-0-unit_cost]").get_attribute("aria-invalid") is None
    page.screenshot(path=f"{shots}/f1-autosave-typo.png", full_page=True)
    kept = Application.objects.get(pk=application.pk)
    assert [row["unit_cost"] for row in kept.budget_draft] == ["20.00", "12.3.4"]
    assert [line.item for line in kept.budget_lines.all()] == ["午餐食材"]

    # Leaving and coming back: the line is there as typed, still marked.
    page.goto(f"{base}/dashboard/")
    page.goto(f"{base}/applications/{application.pk}/edit/")
    assert page.input_value("input[name=lines-1-unit_cost]") == "12.3.4"
    assert page.input_value("input[name=lines-1-item]") == "餐具"
    assert page.locator("input[name=lines-1-unit_cost]").get_attribute("aria-invalid") == "true"

    # Corrected: saved, and the mark goes.
    page.fill("input[name=lines-1-unit_cost]", "100")
    status.filter(has_text="✓").wait_for(timeout=AUTOSAVE_WAIT)
    assert "未保存" not in status.inner_text()
    assert page.locator("[aria-invalid=true]").count() == 0
    page.screenshot(path=f"{shots}/f2-autosave-fixed.png", full_page=True)
    kept = Application.objects.get(pk=application.pk)
    assert kept.budget_draft == [] and [line.item for line in kept.budget_lines.all()] == ["午餐食材", "餐具"]
