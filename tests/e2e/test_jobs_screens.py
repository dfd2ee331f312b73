"""Staff's outbox and failed-jobs screens on a phone: the status of an email and the button to try a
job again are on the screen, not cut off to the right (where nothing could scroll them into view)."""

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone
from django_q.models import Task

from core import jobs
from grants import notify

from ..factories import ApplicationFactory, UserFactory
from .steps import admin_login

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def on_screen(page, selector) -> bool:
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"] + 1


def test_the_outbox_and_the_failed_jobs_fit_a_phone(live_server, phone, roles, shots):
    staff = UserFactory(username="phone-staff", password="Staff-pass-2026!")
    staff.groups.add(roles["staff"])
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    notify.application_status_changed(ApplicationFactory(), "请补充预算说明", step="return_for_changes")
    now = timezone.now()
    Task.objects.create(
        id="f" * 32,
        name="a failure",
        func=jobs.RUNNER,
        args=("tests.jobs.succeed", ["again"], 5, None),
        started=now,
        stopped=now,
        success=False,
        result="RuntimeError: boom",
    )
    page, base = phone, live_server.url
    admin_login(page, base, "phone-staff", "Staff-pass-2026!")

    page.goto(f"{base}/admin/outboundemail/")
    page.screenshot(path=f"{shots}/j1-outbox-phone.png", full_page=True)
    assert on_screen(page, "td.outbox-status") and "已发送" in page.locator("td.outbox-status").first.inner_text()

    page.goto(f"{base}/admin/jobs/")
    page.screenshot(path=f"{shots}/j2-jobs-phone.png", full_page=True)
    assert on_screen(page, "text=立即重试")
    page.click("text=立即重试")
    page.wait_for_selector("text=任务已重新排队")
    assert "没有失败的任务" in page.inner_text("main")
