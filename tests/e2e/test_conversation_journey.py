"""A request for information (补充材料) in real browsers: staff at a desk ask a group for a document
by a date; on a phone (390×844) the group sees it on its dashboard, answers with the file and ticks
the item as sent; staff accept it, and the group's dashboard no longer asks. The hurried person's
mistakes on the way (a due date already past, an empty message) are refused and explained."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from grants.lifecycle import Status
from grants.models import InfoRequestItem, Message

from ..factories import ApplicationFactory, UserFactory
from ..grants.conftest import put_in_state
from .steps import admin_login, desk_page, no_sideways_scroll, site_login

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LABEL = "成员签名名单"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _messages_drawn(desk) -> None:
    """Wagtail slides its messages in (half a second) after the page loads: wait before a screenshot."""
    from playwright.sync_api import expect

    expect(desk.locator(".messages > ul")).to_have_css("opacity", "1")


def test_staff_ask_for_a_document_the_group_sends_it_and_staff_accept(
    live_server, browser, phone, shots, roles, tmp_path
):
    leader = UserFactory(username="leader", email="leader@example.invalid", password="Leader-pass-2026!")
    EmailAddress.objects.create(user=leader, email=leader.email, verified=True, primary=True)
    staff = UserFactory(username="desk", password="Desk-pass-2026!")
    staff.groups.add(roles["staff"])
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    application = put_in_state(ApplicationFactory(title="长者助餐点", group__leader=leader), Status.SUBMITTED)
    document = tmp_path / "成员签名名单.pdf"
    document.write_bytes(PDF)
    today = timezone.localdate()
    base, page = live_server.url, phone
    staff_thread = f"{base}{reverse('grants_admin:thread', args=[application.pk])}"
    group_thread = f"{base}{reverse('grants:thread', args=[application.pk])}"

    # Staff ask for the signed member list: first, in a hurry, with yesterday's date (an old browser
    # without the date picker's minimum lets it through; the server refuses it), then properly.
    desk = desk_page(browser)
    admin_login(desk, base, "desk", "Desk-pass-2026!")
    desk.goto(staff_thread)
    desk.screenshot(path=f"{shots}/c1-desk-thread-empty.png", full_page=True)
    desk.click("#request > summary")
    rows = desk.locator("#request form")
    rows.locator("input[name=label]").first.fill(LABEL)
    due = rows.locator("input[name=due_on]").first
    due.evaluate("input => input.removeAttribute('min')")
    due.fill((today - timedelta(days=1)).isoformat())
    desk.screenshot(path=f"{shots}/c2-desk-request-form.png", full_page=True)
    rows.locator("button[type=submit]", has_text="发送补充材料要求").click()
    desk.wait_for_selector("text=已经过去")
    _messages_drawn(desk)
    desk.screenshot(path=f"{shots}/c3-desk-request-past-date-refused.png", full_page=True)
    assert not InfoRequestItem.objects.exists()
    assert not Message.objects.exists()

    # What staff typed is still there, the form open: only the date needs fixing.
    assert rows.locator("input[name=label]").first.input_value() == LABEL
    rows.locator("input[name=due_on]").first.fill((today + timedelta(days=5)).isoformat())
    rows.locator("button[type=submit]", has_text="发送补充材料要求").click()
    desk.wait_for_selector("text=已提出")
    _messages_drawn(desk)
    desk.screenshot(path=f"{shots}/c4-desk-request-sent.png", full_page=True)
    item = InfoRequestItem.objects.get()
    assert (item.label, item.due_on, item.status) == (LABEL, today + timedelta(days=5), "open")
    assert desk.locator(f"#item-{item.pk}", has_text=LABEL).is_visible()

    # The group, on a phone, sees what is asked on its dashboard.
    site_login(page, base, "leader@example.invalid", "Leader-pass-2026!")
    page.goto(f"{base}/dashboard/")
    waiting = page.locator("#waiting")
    assert waiting.get_by_text("新消息与补充材料").is_visible()
    assert waiting.get_by_text(LABEL).is_visible()
    assert no_sideways_scroll(page), "the dashboard scrolls sideways on a phone"
    page.screenshot(path=f"{shots}/c5-phone-dashboard-asked.png", full_page=True)
    waiting.get_by_text("查看消息").click()
    page.wait_for_url(group_thread)
    assert page.locator("#asked", has_text=LABEL).is_visible()
    assert no_sideways_scroll(page), "the messages page scrolls sideways on a phone"
    page.screenshot(path=f"{shots}/c6-phone-thread.png", full_page=True)

    # Pressing send with nothing written (past the browser's own check) is refused, nothing sent.
    page.locator("textarea[name=body]").evaluate("box => box.removeAttribute('required')")
    page.locator("#compose button[type=submit]").click()
    page.wait_for_selector("text=请先写好消息再发送")
    page.screenshot(path=f"{shots}/c7-phone-empty-refused.png", full_page=True)
    assert not Message.objects.filter(from_fund=False).exists()
    assert InfoRequestItem.objects.get().status == "open"

    # The answer: a message, the file, and the item ticked as sent.
    page.fill("textarea[name=body]", "您好，成员签名名单已附上，请查收。")
    page.set_input_files("input[name=files]", str(document))
    page.locator("input[name=items]").first.check()
    page.screenshot(path=f"{shots}/c8-phone-answer-filled.png", full_page=True)
    page.locator("#compose button[type=submit]", has_text="发送").click()
    page.wait_for_selector("text=已发送")
    assert no_sideways_scroll(page), "the messages page scrolls sideways on a phone after sending"
    page.screenshot(path=f"{shots}/c9-phone-answer-sent.png", full_page=True)
    answer = Message.objects.get(from_fund=False)
    assert answer.author == leader
    assert answer.attachments.count() == 1
    assert InfoRequestItem.objects.get().status == "done"

    page.goto(f"{base}/dashboard/")
    assert page.locator("#waiting", has_text=LABEL).get_by_text("待工作人员确认").is_visible()
    page.screenshot(path=f"{shots}/c10-phone-dashboard-sent.png", full_page=True)

    # Staff see the answer and its file, and accept the item.
    desk.goto(staff_thread)
    reply = desk.locator(f"#m{answer.pk}")
    assert reply.get_by_text("成员签名名单已附上").is_visible()
    link = reply.locator("ul.files a")
    assert link.is_visible()
    assert desk.request.get(f"{base}{link.get_attribute('href')}").body().startswith(b"%PDF")
    desk.screenshot(path=f"{shots}/c11-desk-thread-answered.png", full_page=True)
    desk.locator(f"#item-{item.pk} form[action$='/accept/'] button[type=submit]").click()
    desk.wait_for_selector("text=已确认")
    _messages_drawn(desk)
    desk.screenshot(path=f"{shots}/c12-desk-item-accepted.png", full_page=True)
    assert InfoRequestItem.objects.get().status == "accepted"

    # The group is no longer asked for it.
    page.goto(f"{base}/dashboard/")
    assert page.locator("#waiting", has_text=LABEL).count() == 0
    assert no_sideways_scroll(page)
    page.screenshot(path=f"{shots}/c13-phone-dashboard-after.png", full_page=True)
    # …and is told in the thread that what it sent was accepted.
    page.goto(group_thread)
    assert page.get_by_text(f"已收到并确认：{LABEL}").is_visible()
    page.screenshot(path=f"{shots}/c14-phone-thread-accepted.png", full_page=True)
