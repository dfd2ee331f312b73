"""Review to public notice in real browsers: a reviewer declares and scores two applications on a
phone; staff see the ranking and propose the awards; a visitor reads the notice and objects, and
staff check the visitor's phone number by the code the page showed; the notice closes (the objected
award only once staff dismiss the objection)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.utils import timezone

from fundpool.ledger import services as ledger_services
from fundpool.models import SourceType
from grants import transitions
from grants.lifecycle import Status
from grants.models import Application, Objection
from grants.review import services as review_services

from ..factories import ApplicationFactory, CallFactory, UserFactory
from ..grants.conftest import put_in_state
from .steps import admin_login, desk_page, no_sideways_scroll, phone_page, site_login

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_review_award_and_notice(live_server, browser, phone, shots, roles):
    ledger_services.inflow_record(
        source_type=SourceType.DONATION, amount=Decimal("50000"), received_on=timezone.localdate()
    )
    call = CallFactory(title="2026年微创投（评审）", reviewers_per_application=1)
    first = ApplicationFactory(call=call, title="长者助餐点")
    second = ApplicationFactory(call=call, title="河道守护行动")
    reviewer = UserFactory(username="trustee", email="trustee@example.invalid", password="Trustee-pass-2026!")
    reviewer.groups.add(roles["reviewer"])
    EmailAddress.objects.create(user=reviewer, email=reviewer.email, verified=True, primary=True)
    staff = UserFactory(username="desk", password="Desk-pass-2026!")
    staff.groups.add(roles["staff"])
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    for application in (first, second):
        put_in_state(application, Status.SUBMITTED)
        review_services.review_assign(application=application, reviewers=[reviewer], actor=staff)
        transitions.application_transition(application=application, name="start_review", user=staff)
    base, page = live_server.url, phone

    # The reviewer, on a phone.
    site_login(page, base, "trustee@example.invalid", "Trustee-pass-2026!")
    for title, points in (("长者助餐点", "9"), ("河道守护行动", "7")):
        page.goto(f"{base}/review/")
        page.click(f"text={title}")
        page.check("input[name=conflict][value=no]")
        page.click("main form button[type=submit]")
        for field in page.query_selector_all("input[name^=points_]"):
            field.fill(points)
        page.check("input[name=recommendation][value=fund]")
        page.fill("textarea[name=comment_for_group]", "活动安排清楚。")
        page.screenshot(path=f"{shots}/r1-score-{points}.png", full_page=True)
        page.click("button[name=submit]")
        page.wait_for_selector("text=评审已提交")
    assert set(Application.objects.values_list("status", flat=True)) == {Status.REVIEWED}

    # Staff, at a desk: the ranking, then the awards.
    desk = desk_page(browser)
    admin_login(desk, base, "desk", "Desk-pass-2026!")
    desk.goto(f"{base}/admin/grants/calls/{call.pk}/results/")
    rows = desk.locator("table.listing").first.locator("tbody tr")
    assert rows.count() == 2 and "长者助餐点" in rows.nth(0).inner_text()
    desk.screenshot(path=f"{shots}/r2-ranking.png", full_page=True)
    for application in (first, second):
        desk.goto(f"{base}/admin/grants/applications/{application.pk}/")
        form = desk.locator("form", has=desk.locator("input[name=amount]"))
        form.locator("textarea[name=reason]").fill("评审排名靠前")
        form.locator("button[type=submit]").click()
        desk.wait_for_selector("text=已完成")
    assert set(Application.objects.values_list("status", flat=True)) == {Status.ON_NOTICE}

    # A visitor reads the notice and objects to one award.
    visitor = phone_page(browser)
    visitor.goto(f"{base}/notice/")
    assert "长者助餐点" in visitor.content() and "trustee" in visitor.content()
    visitor.wait_for_function("document.querySelector('[data-countdown]').textContent.includes('剩余')")
    card = visitor.locator(f"#notice-{second.pk}")
    card.locator("summary").click()
    card.locator("input[name=name]").fill("周晓梅")
    card.locator("input[name=contact]").fill("13500000000")
    card.locator("textarea[name=text]").fill("去年活动经费没有公开。")
    card.locator("button[type=submit]").click()
    visitor.wait_for_selector("text=您的异议已收到")
    visitor.screenshot(path=f"{shots}/r3-notice.png", full_page=True)
    assert "周晓梅" not in visitor.content()
    assert no_sideways_scroll(visitor)

    # Staff phone the number given and enter the code the visitor was shown: the objection counts.
    code = visitor.locator("#objection-received strong.code").inner_text()
    desk.goto(f"{base}/admin/grants/applications/{second.pk}/")
    verify = desk.locator("form[action*='/verify/']")
    verify.locator("input[name=code]").fill(code)
    verify.locator("button[type=submit]").click()
    desk.wait_for_selector("text=已确认异议人的电话号码")
    desk.screenshot(path=f"{shots}/r3-objection-confirmed.png", full_page=True)

    # The notice period ends: the award without an objection is confirmed, the other waits.
    Application.objects.update(notice_ends_at=timezone.now() - timedelta(seconds=1))
    call_command("close_notices")
    assert Application.objects.get(pk=first.pk).status == Status.AWARDED
    assert Application.objects.get(pk=second.pk).status == Status.ON_NOTICE

    desk.goto(f"{base}/admin/grants/applications/{second.pk}/")
    form = desk.locator("form", has=desk.locator("button[value=dismiss]"))
    form.locator("textarea[name=reason]").fill("经核实，经费已在社区公示栏公开。")
    form.locator("button[value=dismiss]").click()
    desk.wait_for_selector("text=异议已处理")
    call_command("close_notices")
    assert Application.objects.get(pk=second.pk).status == Status.AWARDED
    assert Objection.objects.get().status == "dismissed"
