"""The whole story, each person in their own browser: a resident group signs up, registers and is
filed; it applies to an open call from a phone; staff screen it and assign two trustees, who declare
they have no conflict and score it; staff propose the award; a resident objects during the public
notice, staff check her phone number and dismiss the objection; the award is confirmed, the agreement signed and finance pays
the first tranche; a donor gives through Checkout (simulated) and Stripe's signed webhook; the group
records an activity and an expense and submits its final report; a second member of staff accepts it
(accepting pays the last tranche, and whoever proposed the award pays none: four eyes) and staff
publish the outcome; a visitor reads the outcome and follows the money on the transparency page. The ledger
verifies clean at the end."""

import io
import re
import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from cms.roles import ensure_roles
from fundpool.donations import gateway
from fundpool.ledger import services as ledger_services
from fundpool.ledger.engine import Restriction
from fundpool.ledger.selectors import commitment_balances, funding_trace, pool_summary
from fundpool.models import Donation, DonationStatus, RestrictionKind, SourceType
from grants.lifecycle import Status
from grants.models import Application, Objection, ResidentGroup, Tranche

from ..factories import CallFactory, CommunityFactory, FunderFactory, ProblemFactory, UserFactory
from ..fundpool import stripe_kit as kit
from ..grants.test_delivery import photo_with_location
from .steps import (
    admin_login,
    desk_page,
    home_site,  # noqa: F401 - a fixture
    ink,
    no_sideways_scroll,
    phone_page,
    site_login,
    webhook_post,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

APPLICANT = ("chenmin@example.invalid", "Resident-pass-2026!")
# Personal data of the group's leader and members, the objector and the donor: never on a public page.
PRIVATE = [
    "陈敏",
    "13900000000",
    "chenmin@example.invalid",
    "刘洋 2栋",
    "周晓梅",
    "13500000000",
    "xiaolin@example.invalid",
]


def _person(username, password, role, roles, *, verified=False):
    user = UserFactory(username=username, email=f"{username}@example.invalid", password=password)
    user.groups.add(roles[role])
    if verified:
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _private_data_on(page) -> list[str]:
    return [item for item in PRIVATE if item in page.content()]


def _status(page, text):
    """The Chinese status a person reads: the badge on the site, the header subtitle in the admin."""
    page.wait_for_selector(f".badge:has-text('{text}'), .w-header__subtitle:has-text('{text}')")


def _step(desk, base, application, name, files=None, **fields):
    """Staff take a lifecycle step from the application's admin page."""
    desk.goto(f"{base}/admin/grants/applications/{application.pk}/")
    form = desk.locator(f"form[action$='/step/{name}/']")
    for field, value in fields.items():
        form.locator(f"[name={field}]").fill(value)
    for field, path in (files or {}).items():
        form.locator(f"input[name={field}]").set_input_files(path)
    form.locator("button[type=submit]").click()
    desk.wait_for_selector("text=已完成：")  # the message after the step, not any word on the page


@pytest.fixture
def story(home_site, monkeypatch, settings, tmp_path):  # noqa: F811
    """What exists before the story starts: the site's pages, the roles, a community and its
    priority problem, an open call, money in the pool, and the fund's people."""
    from cms.models import OutcomeIndexPage

    OutcomeIndexPage.objects.first() or home_site.add_child(
        instance=OutcomeIndexPage(title="项目成果", slug="outcomes")
    )
    roles = ensure_roles()  # after the home page exists: staff may publish pages under it
    community = CommunityFactory(name="翠湖社区", code="cuihu")
    problem = ProblemFactory(title="独居老人缺少照护")
    # A short project: no mid-term report. The first tranche is paid by finance on the day of
    # signing (a "date" tranche, 0 days after), the rest when the final report is accepted.
    call = CallFactory(title="2026年社区微创投", slug="2026-story", midterm_report_days=0)
    call.problems.add(problem)
    call.tranches.filter(trigger="signing").update(trigger="date", due_after_days=0)
    gov = FunderFactory(name="翠湖街道办事处", source_type=SourceType.GOVERNMENT)
    company = FunderFactory(name="华星科技有限公司", source_type=SourceType.CSR)
    theme = problem.theme
    ledger_services.inflow_record(
        source_type=SourceType.GOVERNMENT,
        funder=gov,
        amount=Decimal("5000.00"),
        received_on=timezone.localdate() - timedelta(days=20),
        restriction=Restriction(kind=RestrictionKind.THEME, theme=theme),
    )
    ledger_services.inflow_record(
        source_type=SourceType.CSR,
        funder=company,
        amount=Decimal("20000.00"),
        received_on=timezone.localdate() - timedelta(days=15),
    )
    settings.STRIPE_SECRET_KEY = "sk_test_fundpool"
    settings.STRIPE_WEBHOOK_SECRET = kit.SECRET

    def simulated_checkout(donation, *, success_url, cancel_url, product_name):
        # Stripe's hosted page is not reachable here: the donor "pays" and is sent straight back.
        return gateway.CheckoutSession(id=f"cs_test_{donation.pk:08d}", url=success_url)

    monkeypatch.setattr(gateway, "checkout_create", simulated_checkout)
    photo = tmp_path / "IMG_0001.jpg"
    photo.write_bytes(photo_with_location(1600, 1200).read())
    receipt = tmp_path / "receipt.pdf"
    receipt.write_bytes(b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    return {
        "call": call,
        "community": community,
        "problem": problem,
        "staff": _person("desk", "Desk-pass-2026!", "staff", roles, verified=True),
        "colleague": _person("desk-2", "Desk2-pass-2026!", "staff", roles, verified=True),
        "finance": _person("cashier", "Cashier-pass-2026!", "finance", roles, verified=True),
        "reviewers": [
            _person(name, "Trustee-pass-2026!", "reviewer", roles, verified=True)
            for name in ("trustee-li", "trustee-wu")
        ],
        "photo": str(photo),
        "receipt": str(receipt),
    }


def test_the_whole_story(live_server, browser, shots, story):
    base, call = live_server.url, story["call"]
    today = timezone.localdate()

    # --- 1. The group's leader signs up on a phone, verifies the email and registers the group.
    group_page = phone_page(browser)
    group_page.goto(f"{base}/accounts/signup/")
    group_page.fill("input[name=email]", APPLICANT[0])
    group_page.fill("input[name=password1]", APPLICANT[1])
    group_page.fill("input[name=password2]", APPLICANT[1])
    group_page.click("main form button[type=submit]")
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    group_page.goto(base + "/" + link.split("/", 3)[3])
    group_page.click("main form button[type=submit]")
    group_page.wait_for_url(f"{base}/dashboard/")
    group_page.click("text=登记团队")
    group_page.fill("input[name=name]", "银发互助队")
    group_page.select_option("select[name=group_type]", "mutual_aid")
    group_page.select_option("select[name=community]", str(story["community"].pk))
    group_page.fill("input[name=leader_name]", "陈敏")
    group_page.fill("input[name=leader_phone]", "13900000000")
    group_page.fill("input[name=member_count]", "12")
    group_page.fill("textarea[name=member_list]", "陈敏 1栋\n刘洋 2栋\n赵静 5栋")
    group_page.click("main form button[type=submit]")
    group_page.wait_for_selector("text=待备案")
    group = ResidentGroup.objects.get(name="银发互助队")

    # --- 2. Staff file the group with the sub-district, at a desk.
    desk = desk_page(browser)
    admin_login(desk, base, "desk", "Desk-pass-2026!")
    desk.goto(f"{base}/admin/grants/groups/{group.pk}/filing/")
    desk.fill("input[name=filing_number]", "CH-BA-2026-001")
    desk.click("text=登记备案")
    desk.wait_for_selector("text=银发互助队 已备案")

    # --- 3. The group applies to the open call from the phone.
    group_page.goto(f"{base}/calls/")
    group_page.click("text=申报")
    group_page.click("text=开始填写申报书")
    group_page.wait_for_selector("#application-form")
    group_page.fill("input[name=title]", "长者助餐点")
    group_page.select_option("select[name=problem]", str(story["problem"].pk))
    group_page.fill("textarea[name=summary]", "为独居老人每周三次供应午餐。")
    group_page.fill("textarea[name=activities]", "每周一、三、五中午在活动室供餐。")
    group_page.fill("input[name=beneficiaries]", "社区独居老人")
    group_page.fill("input[name=beneficiary_count]", "40")
    group_page.fill("textarea[name=team]", "陈敏、刘洋、赵静")
    group_page.select_option("select[name=lines-0-category]", "food")
    group_page.fill("input[name=lines-0-item]", "午餐食材")
    group_page.fill("input[name=lines-0-unit_cost]", "20")
    group_page.fill("input[name=lines-0-quantity]", "400")
    group_page.click("input[name=milestones-0-title]")  # leaving the line works out the amount and total
    assert group_page.input_value("input[name=requested_amount]") == "8000.00"
    group_page.fill("input[name=milestones-0-title]", "开始供餐")
    group_page.fill("input[name=milestones-0-due_on]", (today + timedelta(days=30)).isoformat())
    group_page.screenshot(path=f"{shots}/s01-application-form.png", full_page=True)
    assert no_sideways_scroll(group_page)
    group_page.click("button[name=save]")
    group_page.wait_for_selector("text=草稿已保存")
    group_page.click("button[name=submit]")
    _status(group_page, "已提交，资格审查中")
    application = Application.objects.get(title="长者助餐点")
    assert application.status == Status.SUBMITTED and application.requested_amount == Decimal("8000.00")
    assert any("已提交" in m.subject for m in mail.outbox)

    # Time passes: the call's window closes before screening (its closing date is moved into the
    # past, as the notice period is below). Nobody else can apply now.
    call.__class__.objects.filter(pk=call.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    group_page.goto(f"{base}/calls/")
    assert "2026年社区微创投" not in group_page.inner_text("main")

    # --- 4. Staff screen it: two trustees assigned, review started.
    desk.goto(f"{base}/admin/grants/applications/{application.pk}/")
    for reviewer in story["reviewers"]:
        desk.check(f"input[name=reviewers][value='{reviewer.pk}']")
    desk.click("text=分配评审")
    desk.wait_for_selector("text=已分配 2 名评审")
    _step(desk, base, application, "start_review")
    _status(desk, "评审中")

    # --- 5. Each trustee, on their own phone, declares no conflict of interest and scores.
    for reviewer, points in zip(story["reviewers"], ("9", "8"), strict=True):
        trustee = phone_page(browser)
        site_login(trustee, base, reviewer.email, "Trustee-pass-2026!")
        trustee.goto(f"{base}/review/")
        trustee.click("text=长者助餐点")
        trustee.wait_for_selector("text=银发互助队")  # the declaration names the group (not blind)
        trustee.check("input[name=conflict][value=no]")
        trustee.click("main form button[type=submit]")
        for field in trustee.query_selector_all("input[name^=points_]"):
            field.fill(points)
        trustee.check("input[name=recommendation][value=fund]")
        trustee.fill("textarea[name=comment_for_group]", "需求真实，安排清楚。")
        if points == "9":
            trustee.screenshot(path=f"{shots}/s02-review.png", full_page=True)
            assert no_sideways_scroll(trustee)
        trustee.click("button[name=submit]")
        trustee.wait_for_selector("text=评审已提交")
        trustee.context.close()
    assert Application.objects.get(pk=application.pk).status == Status.REVIEWED

    # --- 6. Staff see the ranking and propose the award: it goes on public notice.
    desk.goto(f"{base}/admin/grants/calls/{call.pk}/results/")
    assert "长者助餐点" in desk.locator("table.listing").first.locator("tbody tr").first.inner_text()
    _step(desk, base, application, "propose_award", amount="8000", reason="评审排名第一")
    _status(desk, "公示中")
    group_page.goto(f"{base}/applications/{application.pk}/")
    _status(group_page, "拟资助，公示中")

    # --- 7. A resident reads the notice and objects, under her real name (kept confidential).
    resident = phone_page(browser)
    resident.goto(f"{base}/notice/")
    card = resident.locator(f"#notice-{application.pk}")
    assert "¥8,000.00" in card.inner_text() and "trustee-li" in card.inner_text()
    card.locator("summary").click()
    card.locator("input[name=name]").fill("周晓梅")
    card.locator("input[name=contact]").fill("13500000000")
    card.locator("textarea[name=text]").fill("这个团队去年的活动经费没有公开。")
    card.locator("button[type=submit]").click()
    resident.wait_for_selector("text=您的异议已收到")
    resident.screenshot(path=f"{shots}/s03-notice.png", full_page=True)
    assert _private_data_on(resident) == []
    assert no_sideways_scroll(resident)

    # --- 8. Staff phone the number she gave; she reads out the code the page showed her, and staff
    # enter it: now the objection holds up the award. Staff dismiss it, with the reason kept on record.
    code = resident.locator("#objection-received strong.code").inner_text()
    assert Objection.objects.get().status == "pending"
    desk.goto(f"{base}/admin/grants/applications/{application.pk}/")
    verify = desk.locator("form[action*='/verify/']")
    verify.locator("input[name=code]").fill(code)
    verify.locator("button[type=submit]").click()
    desk.wait_for_selector("text=已确认异议人的电话号码")
    assert Objection.objects.get().status == "open"
    form = desk.locator("form", has=desk.locator("button[value=dismiss]"))
    form.locator("textarea[name=reason]").fill("经核实，去年经费已在社区公示栏公开。")
    form.locator("button[value=dismiss]").click()
    desk.wait_for_selector("text=异议已处理。")
    assert Objection.objects.get().status == "dismissed"

    # Time passes: the notice period ends (its end is moved into the past, as the review journey
    # does) and the scheduled job confirms awards with no open objection.
    Application.objects.filter(pk=application.pk).update(notice_ends_at=timezone.now() - timedelta(seconds=1))
    call_command("close_notices")
    group_page.goto(f"{base}/dashboard/")
    _status(group_page, "已立项，请签订资助协议")

    # --- 9. Staff record the signed agreement; finance pays the first tranche (60%).
    # Signed on paper: staff upload the signed scan with the signing.
    scan = Path(tempfile.mkdtemp()) / "signed.pdf"
    scan.write_bytes(b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    _step(
        desk,
        base,
        application,
        "sign_agreement",
        files={"scan": str(scan)},
        signed_on=today.isoformat(),
        conditions="按协议使用资金。",
    )
    _status(desk, "执行中")
    cashier = desk_page(browser)
    admin_login(cashier, base, "cashier", "Cashier-pass-2026!")
    cashier.goto(f"{base}/admin/grants/applications/{application.pk}/")
    pay = cashier.locator("form[action*='/tranches/']")
    pay.locator("input[name=payment_reference]").fill("BANK-2026-0001")
    pay.locator("button[type=submit]").click()
    cashier.wait_for_selector("text=第 1 期拨款已支付")
    first_tranche = cashier.locator("table.listing tr", has=cashier.locator("td", has_text=re.compile(r"^#1$")))
    first_tranche.scroll_into_view_if_needed()
    cashier.screenshot(path=f"{shots}/s04-finance-paid.png")
    assert "已拨付" in first_tranche.inner_text() and "BANK-2026-0001" in first_tranche.inner_text()
    assert "周晓梅" not in cashier.content()  # only those who decide objections see who objected
    assert commitment_balances(reference=application.reference)["paid"] == Decimal("4800.00")
    cashier.context.close()

    # --- 10. A donor gives ¥100 to this project through Checkout; Stripe confirms by webhook.
    donor = phone_page(browser)
    donor.goto(f"{base}/donate/")
    donor.check("input[name=preset][value='100']")
    donor.select_option("select[name=designation]", f"project:{application.pk}")
    donor.fill("input[name=display_name]", "小林")
    donor.fill("input[name=email]", "xiaolin@example.invalid")
    donor.click("main form button[type=submit]")
    donor.wait_for_selector("text=正在向支付机构确认")
    donation = Donation.objects.get()
    assert (donation.amount, donation.status) == (Decimal("100.00"), DonationStatus.PENDING)
    answer = webhook_post(base, kit.event("checkout.session.completed", kit.session_for(donation)))
    # Stored and answered at once; its job books the gift (here, as it is queued).
    assert answer["status"] == "received"
    donor.reload()
    donor.wait_for_selector("text=已收到")
    donor.click("text=捐赠确认与善款去向")
    donor.wait_for_selector("text=¥100.00")
    assert "长者助餐点" in donor.inner_text("main")
    donor.screenshot(path=f"{shots}/s05-donor.png", full_page=True)
    assert no_sideways_scroll(donor)
    donor.context.close()

    # --- 11. The group records an activity (with a photo) and an expense (with its receipt).
    group_page.goto(f"{base}/projects/{application.pk}/")
    _status(group_page, "项目执行中")
    group_page.click("text=记录一次活动")
    group_page.fill("input[name=held_on]", today.isoformat())
    group_page.fill("input[name=title]", "重阳节长者午餐会")
    group_page.fill("textarea[name=description]", "三十位老人一起吃午饭，志愿者表演节目。")
    group_page.fill("input[name=participants]", "12")
    group_page.fill("input[name=beneficiaries_reached]", "30")
    group_page.set_input_files("input[name=photos]", story["photo"])
    group_page.click("main form button[type=submit]")
    group_page.wait_for_selector("text=活动已记录")
    group_page.click("text=记录一笔支出")
    group_page.select_option("select[name=budget_line]", index=0)
    group_page.fill("input[name=amount]", "6800")
    group_page.fill("input[name=spent_on]", today.isoformat())
    group_page.fill("input[name=payee]", "社区菜市场")
    group_page.set_input_files("input[name=receipt]", story["receipt"])
    group_page.click("main form button[type=submit]")
    group_page.wait_for_selector("text=支出已记录")
    group_page.screenshot(path=f"{shots}/s06-project.png", full_page=True)
    assert no_sideways_scroll(group_page)

    # --- 12. The final report, submitted by the group and accepted by a second member of staff:
    # accepting it pays the rest of what was spent, and the one who proposed the award may not.
    group_page.click("text=提交结项报告")
    group_page.fill("textarea[name=outcomes]", "三个月供餐 36 次，惠及 30 位老人。")
    group_page.fill("input[name=beneficiaries_reached]", "30")
    group_page.fill("textarea[name=story]", "李奶奶说，每周最盼望的就是这顿午饭。")
    group_page.click("main form button[type=submit]")
    group_page.wait_for_selector("text=报告已提交")
    _status(group_page, "结项审核中")
    desk.goto(f"{base}/admin/grants/applications/{application.pk}/")
    form = desk.locator("form", has=desk.locator("input[name=score]"))
    assert form.locator("button[value=accept]").count() == 0 and "四眼原则" in form.inner_text()
    colleague = desk_page(browser)
    admin_login(colleague, base, "desk-2", "Desk2-pass-2026!")
    colleague.goto(f"{base}/admin/grants/applications/{application.pk}/")
    form = colleague.locator("form", has=colleague.locator("input[name=score]"))
    form.locator("input[name=score]").fill("90")
    form.locator("button[value=accept]").click()
    colleague.wait_for_selector("text=评估已记录")
    _status(colleague, "已结项")
    colleague.context.close()
    # What the group spent is paid (the rest of tranche 2); the unspent ¥1,200 goes back to the pool.
    money = commitment_balances(reference=application.reference)
    assert (money["paid"], money["outstanding"]) == (Decimal("6800.00"), Decimal("0.00"))
    assert list(Tranche.objects.filter(application=application).values_list("paid_amount", flat=True)) == [
        Decimal("4800.00"),
        Decimal("2000.00"),
    ]

    # --- 13. Staff publish the drafted outcome page in Wagtail.
    from cms.models import OutcomePage

    outcome = OutcomePage.objects.get(application=application)
    assert not outcome.live
    desk.goto(f"{base}/admin/pages/{outcome.pk}/edit/")
    desk.fill("input[name=title]", "长者助餐点：三个月，三十位老人")
    desk.locator("footer .w-dropdown__toggle").first.click()
    desk.locator("button[name=action-publish]").click()
    desk.wait_for_url(re.compile(r"/admin/pages/\d+/$"))
    outcome.refresh_from_db()
    assert outcome.live

    # --- 14. An anonymous visitor reads the outcome and follows the money.
    visitor = phone_page(browser)
    visitor.goto(f"{base}/")
    assert _private_data_on(visitor) == []
    visitor.click("text=长者助餐点：三个月，三十位老人")
    visitor.wait_for_selector("h1:has-text('长者助餐点：三个月，三十位老人')")
    figures = visitor.inner_text(".figures")
    assert "¥8,000.00" in figures and "¥6,800.00" in figures and "30" in figures
    assert "银发互助队" in visitor.inner_text("main")
    visitor.screenshot(path=f"{shots}/s07-outcome.png", full_page=True)
    assert ink(visitor, "main h1") > 20
    assert no_sideways_scroll(visitor)
    assert _private_data_on(visitor) == []

    visitor.goto(f"{base}/transparency/")
    trace = visitor.locator("article.trace", has_text="长者助餐点")
    expected = funding_trace(reference=application.reference)
    assert expected["total"] == Decimal("6800.00")
    assert "¥6,800.00" in trace.inner_text() and "银发互助队" in trace.inner_text()
    # The theme's government money is drawn first, then the company's unrestricted money.
    assert [(str(p["label"]), p["amount"]) for p in expected["by_source"]] == [
        ("政府财政拨款", Decimal("5000.00")),
        ("企业社会责任投入", Decimal("1800.00")),
    ]
    assert "政府财政拨款 74% · ¥5,000.00" in trace.inner_html()
    assert "企业社会责任投入 26% · ¥1,800.00" in trace.inner_html()
    summary = pool_summary()
    assert summary["received_total"] == Decimal("25100.00")  # ¥5,000 + ¥20,000 + the ¥100 gift
    figures = visitor.inner_text(".figures")
    # Received ¥25,100; paid ¥6,800; nothing still committed: the unspent ¥1,200 is available again.
    assert "¥25,100.00" in figures and "¥6,800.00" in figures and "¥18,300.00" in figures
    visitor.screenshot(path=f"{shots}/s08-transparency.png", full_page=True)
    assert no_sideways_scroll(visitor)
    assert _private_data_on(visitor) == []

    # --- 15. The auditor's check: every ledger invariant holds.
    out = io.StringIO()
    call_command("ledger_verify", stdout=out)  # exits 1 on any problem
    assert out.getvalue().startswith("ledger_verify: OK")
