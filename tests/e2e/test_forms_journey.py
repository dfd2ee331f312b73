"""The application form's script in a real browser, on a phone: the total in the site's money
format; autosave keeps a budget line with a typo, marks it and says it was not saved; the line
comes back when the page is opened again."""

import pytest
from allauth.account.models import EmailAddress

from grants import transitions
from grants.delivery import services as delivery_services
from grants.models import Application

from ..factories import ApplicationFactory, UserFactory
from .steps import admin_login, desk_page, site_login

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

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


def test_the_request_follows_the_total_again_once_a_typo_is_put_right(live_server, phone):
    """Typing 12.3.4 passes through 12.3, which the request followed; after a reload and the fix
    the request must follow the corrected total, not stay at the half-typed figure."""
    leader = UserFactory(username="request", email="request@example.invalid", password="Leader-pass-2026!")
    EmailAddress.objects.create(user=leader, email=leader.email, verified=True, primary=True)
    application = ApplicationFactory(title="长者助餐点", group__leader=leader)
    page, base = phone, live_server.url
    site_login(page, base, leader.email, "Leader-pass-2026!")
    page.goto(f"{base}/applications/{application.pk}/edit/")
    requested = page.locator("input[name=requested_amount]")
    assert requested.input_value() == "10000.00"
    page.fill("input[name=lines-1-unit_cost]", "")
    page.fill("input[name=lines-1-quantity]", "")
    page.fill("input[name=lines-1-amount]", "")
    page.locator("input[name=lines-1-amount]").press_sequentially("12.3.4")
    page.locator("[data-autosave-status]").filter(has_text="未保存").wait_for(timeout=AUTOSAVE_WAIT)

    page.goto(f"{base}/applications/{application.pk}/edit/")
    assert page.input_value("input[name=lines-1-amount]") == "12.3.4"
    page.fill("input[name=lines-1-amount]", "12.34")
    page.locator("input[name=lines-0-item]").click()
    assert page.locator("[data-budget-total]").inner_text() == "¥8,012.34"
    assert requested.input_value() == "8012.34"


def _lines_of_first_text(page, selector) -> int:
    """How many lines the first text of the element takes, as Chromium lays it out."""
    return page.locator(selector).first.evaluate(
        """el => {
            const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT, n => n.textContent.trim() ? 1 : 3);
            const text = walker.nextNode();
            const range = document.createRange();
            range.selectNodeContents(text);
            const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
            return tops.size;
        }"""
    )


def test_the_budget_table_keeps_line_names_readable_on_a_phone(live_server, browser, phone, shots, roles):
    from decimal import Decimal

    from django.utils import timezone

    from grants.lifecycle import Status
    from grants.models import BudgetLine

    from ..grants.conftest import put_in_state

    leader = UserFactory(username="budget", email="budget@example.invalid", password="Leader-pass-2026!")
    EmailAddress.objects.create(user=leader, email=leader.email, verified=True, primary=True)
    staff = UserFactory(username="budget-staff")
    staff.groups.add(roles["staff"])
    application = ApplicationFactory(title="长者助餐点", group__leader=leader)
    BudgetLine.objects.filter(application=application, item="午餐食材").update(item="长者午餐食材采购")
    application = put_in_state(application, Status.AWARDED)
    project = transitions.application_transition(
        application=application, name="sign_agreement", user=staff, signed_on=timezone.localdate()
    )
    assert project.budget_lines.get(item="长者午餐食材采购").amount == Decimal("8000.00")
    page, base = phone, live_server.url
    site_login(page, base, leader.email, "Leader-pass-2026!")
    page.goto(f"{base}/projects/{project.pk}/")
    table = page.locator(".budget-table").first
    table.scroll_into_view_if_needed()
    page.screenshot(path=f"{shots}/f3-budget-phone.png")
    # The line's name (8 characters) on one line, and its cell as wide as at least those 8.
    assert _lines_of_first_text(page, ".budget-table tbody tr:first-child td:first-child") == 1
    name_width = page.locator(".budget-table tbody tr:first-child td:first-child").first.evaluate(
        "el => el.getBoundingClientRect().width"
    )
    font = page.locator(".budget-table").first.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    assert name_width >= 8 * font
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    # At a desk it is still an ordinary table, its header row shown.
    desk = desk_page(browser)
    site_login(desk, base, leader.email, "Leader-pass-2026!")
    desk.goto(f"{base}/projects/{project.pk}/")
    desk.locator(".budget-table").first.screenshot(path=f"{shots}/f4-budget-desk.png")
    assert desk.locator(".budget-table thead th").first.bounding_box()["height"] > 10
    assert _lines_of_first_text(desk, ".budget-table tbody tr:first-child td:first-child") == 1

    # Staff on a phone: the admin's budget and expense tables keep names whole too.

    from ..grants.test_delivery import pdf as receipt_pdf

    delivery_services.expense_record(
        application=project,
        user=leader,
        budget_line=project.budget_lines.get(item="长者午餐食材采购"),
        amount="120.00",
        spent_on=timezone.localdate(),
        payee="社区便民超市",
        description="",
        receipt=receipt_pdf(),
    )
    staff.set_password("Staff-pass-2026!")
    staff.save()
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    staff_phone = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True
    ).new_page()
    admin_login(staff_phone, base, "budget-staff", "Staff-pass-2026!")
    staff_phone.goto(f"{base}/admin/grants/applications/{project.pk}/")
    for table in range(2):
        cell = f"table.stack-on-phone >> nth={table} >> tbody tr:first-child td strong"
        staff_phone.locator(cell).first.scroll_into_view_if_needed()
        assert _lines_of_first_text(staff_phone, cell) == 1
    staff_phone.screenshot(path=f"{shots}/f5-admin-tables-phone.png", full_page=True)
