"""A resident group's first application, on a phone, in a real browser: sign up, verify the
email, register the group, staff file it, fill in and submit the application with an
attachment, and see its status."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.utils import timezone

from grants.models import Application

from ..factories import CallFactory, CommunityFactory, ProblemFactory, UserFactory
from .steps import admin_login, desk_page, no_sideways_scroll

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_group_applies_from_a_phone(live_server, phone, browser, shots, roles):
    community = CommunityFactory(name="翠湖社区", code="cuihu")
    problem = ProblemFactory(title="独居老人缺少照护")
    call = CallFactory(title="2026年社区微创投", slug="2026-e2e")
    call.problems.add(problem)
    staff = UserFactory(username="e2e-staff", password="Staff-pass-2026!")
    staff.groups.add(roles["staff"])
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    page, base = phone, live_server.url

    # Sign up and verify the email address.
    page.goto(f"{base}/accounts/signup/")
    page.fill("input[name=email]", "resident@example.invalid")
    page.fill("input[name=password1]", "Resident-pass-2026!")
    page.fill("input[name=password2]", "Resident-pass-2026!")
    page.screenshot(path=f"{shots}/01-signup.png", full_page=True)
    page.click("main form button[type=submit]")
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    page.goto(base + "/" + link.split("/", 3)[3])
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/dashboard/")

    # Register the group.
    page.click("text=登记团队")
    page.fill("input[name=name]", "银发互助队")
    page.select_option("select[name=group_type]", "mutual_aid")
    page.select_option("select[name=community]", str(community.pk))
    page.fill("input[name=leader_name]", "陈敏")
    page.fill("input[name=leader_phone]", "13900000000")
    page.fill("input[name=member_count]", "12")
    page.fill("textarea[name=member_list]", "陈敏 1栋\n刘洋 2栋\n赵静 5栋")
    page.screenshot(path=f"{shots}/02-group.png", full_page=True)
    page.click("main form button[type=submit]")
    page.wait_for_selector("text=待备案")
    assert no_sideways_scroll(page)

    # Staff file it, in their own browser.
    desk = desk_page(browser)
    admin_login(desk, base, "e2e-staff", "Staff-pass-2026!")
    group_id = Application.group.field.related_model.objects.get(name="银发互助队").pk
    desk.goto(f"{base}/admin/grants/groups/{group_id}/filing/")
    desk.fill("input[name=filing_number]", "CH-BA-2026-001")
    desk.click("text=登记备案")
    desk.wait_for_selector("text=已备案")
    desk.context.close()

    # Apply.
    page.goto(f"{base}/calls/")
    page.click("text=申报")
    page.click("text=开始填写申报书")
    page.wait_for_selector("#application-form")
    page.fill("input[name=title]", "长者助餐点")
    page.select_option("select[name=problem]", str(problem.pk))
    page.fill("textarea[name=summary]", "为独居老人每周三次供应午餐。")
    page.fill("textarea[name=activities]", "每周一、三、五中午在活动室供餐。")
    page.fill("input[name=beneficiaries]", "社区独居老人")
    page.fill("input[name=beneficiary_count]", "40")
    page.fill("textarea[name=team]", "陈敏、刘洋、赵静")
    page.select_option("select[name=lines-0-category]", "food")
    page.fill("input[name=lines-0-item]", "午餐食材")
    page.fill("input[name=lines-0-unit_cost]", "20")
    page.fill("input[name=lines-0-quantity]", "400")
    page.click("input[name=milestones-0-title]")  # leave the line: the amount and total are worked out
    assert page.input_value("input[name=lines-0-amount]") == "8000.00"
    assert page.input_value("input[name=requested_amount]") == "8000.00"
    page.fill("input[name=milestones-0-title]", "开始供餐")
    page.fill("input[name=milestones-0-due_on]", (timezone.localdate() + timedelta(days=60)).isoformat())
    page.screenshot(path=f"{shots}/03-application.png", full_page=True)
    assert no_sideways_scroll(page)
    page.click("button[name=save]")
    page.wait_for_selector("text=草稿已保存")

    pdf = Path(shots) / "计划书.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% project plan\n")
    page.set_input_files("input[name=attachment-file]", str(pdf))
    page.click("#attachments button[type=submit]")
    page.wait_for_selector("text=附件已添加")

    page.click("button[name=submit]")
    page.wait_for_load_state()
    page.screenshot(path=f"{shots}/04a-after-submit.png", full_page=True)
    page.wait_for_selector("text=已提交，资格审查中")
    page.screenshot(path=f"{shots}/04-submitted.png", full_page=True)
    assert no_sideways_scroll(page)
    application = Application.objects.get(title="长者助餐点")
    assert application.status == "submitted" and application.requested_amount == 8000
    assert application.attachments.count() == 1
    assert any("已提交" in m.subject for m in mail.outbox)
