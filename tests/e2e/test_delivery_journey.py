"""Delivery in real browsers: on a phone (390×844) a group records an activity with a photo and an
expense with a receipt, then submits its reports; staff accept them at a desk, and the pool's
available balance rises by what the group did not spend. A resident rates the project."""

from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone

from fundpool.ledger.selectors import commitment_balances, pool_summary
from fundpool.ledger.verify import verify
from grants import transitions
from grants.lifecycle import Status
from grants.models import Activity, Application, Expense, Feedback

from ..factories import ApplicationFactory, UserFactory
from ..grants.conftest import put_in_state
from ..grants.test_delivery import photo_with_location
from .steps import admin_login, desk_page, phone_page, site_login

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _files(tmp_path):
    photo = tmp_path / "IMG_0001.jpg"
    photo.write_bytes(photo_with_location(1600, 1200).read())
    receipt = tmp_path / "receipt.pdf"
    receipt.write_bytes(b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    return str(photo), str(receipt)


def test_a_group_delivers_and_reports_and_staff_accept(live_server, browser, phone, shots, roles, tmp_path):
    leader = UserFactory(username="leader", email="leader@example.invalid", password="Leader-pass-2026!")
    EmailAddress.objects.create(user=leader, email=leader.email, verified=True, primary=True)
    staff = UserFactory(username="desk", password="Desk-pass-2026!")
    staff.groups.add(roles["staff"])
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    application = ApplicationFactory(title="长者助餐点", group__leader=leader)
    application = put_in_state(application, Status.AWARDED)  # ¥9,000 committed
    project = transitions.application_transition(
        application=application, name="sign_agreement", user=staff, signed_on=timezone.localdate()
    )
    photo, receipt = _files(tmp_path)
    base, page = live_server.url, phone

    site_login(page, base, "leader@example.invalid", "Leader-pass-2026!")
    page.goto(f"{base}/projects/{project.pk}/")
    assert "¥9,000.00" in page.content()
    page.screenshot(path=f"{shots}/d1-project.png", full_page=True)

    # An activity with a photo.
    page.click("text=记录一次活动")
    page.fill("input[name=held_on]", timezone.localdate().isoformat())
    page.fill("input[name=title]", "重阳节长者午餐会")
    page.fill("textarea[name=description]", "三十位老人一起吃午饭，志愿者表演节目。")
    page.fill("input[name=participants]", "12")
    page.fill("input[name=beneficiaries_reached]", "30")
    page.set_input_files("input[name=photos]", photo)
    page.screenshot(path=f"{shots}/d2-activity-form.png", full_page=True)
    page.click("main form button[type=submit]")
    page.wait_for_selector("text=活动已记录")

    # An expense with its receipt: first beyond the tolerance (refused, explained), then right.
    page.click("text=记录一笔支出")
    page.select_option("select[name=budget_line]", index=0)
    page.fill("input[name=amount]", "8900")
    page.fill("input[name=spent_on]", timezone.localdate().isoformat())
    page.fill("input[name=payee]", "社区菜市场")
    page.set_input_files("input[name=receipt]", receipt)
    page.click("main form button[type=submit]")
    page.wait_for_selector(".problems >> text=容差")
    page.screenshot(path=f"{shots}/d3-expense-refused.png", full_page=True)
    assert not Expense.objects.exists()
    page.fill("input[name=amount]", "6800")
    page.set_input_files("input[name=receipt]", receipt)
    page.click("main form button[type=submit]")
    page.wait_for_selector("text=支出已记录")
    page.screenshot(path=f"{shots}/d4-project-after.png", full_page=True)
    assert Activity.objects.get().photos.count() == 1
    img = page.locator(".photos img").first
    assert img.evaluate("i => i.naturalWidth") > 0  # the private photo is served to the group

    # Mid-term report, accepted by staff; then the final report.
    page.click("text=提交中期报告")
    page.fill("textarea[name=outcomes]", "每周三次供餐，按计划进行。")
    page.fill("input[name=beneficiaries_reached]", "30")
    page.click("main form button[type=submit]")
    page.wait_for_selector("text=报告已提交")

    desk = desk_page(browser)
    admin_login(desk, base, "desk", "Desk-pass-2026!")

    def evaluate(score):
        desk.goto(f"{base}/admin/grants/applications/{project.pk}/")
        form = desk.locator("form", has=desk.locator("input[name=score]"))
        form.locator("input[name=score]").fill(score)
        form.locator("button[value=accept]").click()
        desk.wait_for_selector("text=评估已记录")

    evaluate("82")
    page.goto(f"{base}/projects/{project.pk}/")
    page.click("text=提交结项报告")
    page.fill("textarea[name=outcomes]", "三个月供餐 36 次，惠及 30 位老人。")
    page.fill("input[name=beneficiaries_reached]", "30")
    page.fill("textarea[name=story]", "李奶奶说，每周最盼望的就是这顿午饭。")
    page.click("main form button[type=submit]")
    page.wait_for_selector("text=报告已提交")
    assert Application.objects.get(pk=project.pk).status == Status.REPORTING

    available_before = pool_summary()["available"]
    evaluate("90")
    desk.screenshot(path=f"{shots}/d5-staff-accepted.png", full_page=True)
    assert Application.objects.get(pk=project.pk).status == Status.COMPLETED
    unspent = Decimal("9000.00") - Decimal("6800.00")
    assert pool_summary()["available"] == available_before + unspent
    assert commitment_balances(reference=project.reference)["paid"] == Decimal("6800.00")

    # A resident scans the QR code and rates the project.
    resident = phone_page(browser)
    resident.goto(f"{base}/feedback/{project.pk}/")
    resident.check("input[name=rating][value='5']")
    resident.fill("textarea[name=comment]", "饭菜可口，谢谢志愿者！")
    resident.click("main form button[type=submit]")
    resident.wait_for_selector("text=感谢您的反馈")
    resident.screenshot(path=f"{shots}/d6-feedback.png", full_page=True)
    assert Feedback.objects.get().rating == 5
    assert "leader@example.invalid" not in resident.content()

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the project page scrolls sideways on a phone ({width}px)"
    assert verify().ok
