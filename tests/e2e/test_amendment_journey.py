"""An amendment (变更) in real browsers: on a phone (390×844) the group asks for a later final report
date; staff approve it at a desk; the project's report date moves, the agreement gains a second
version chained to the first, and that version's PDF exists and shows Chinese. The hurried person's
mistake on the way (no reason given) is refused and explained."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from grants import transitions
from grants.award.documents import version_pdf
from grants.award.versions import verify_agreement
from grants.lifecycle import Status
from grants.models import AgreementVersion, Amendment, Application

from ..factories import ApplicationFactory, UserFactory
from ..grants.conftest import put_in_state
from ..reports.test_pdf import fonts, text
from .steps import admin_login, desk_page, no_sideways_scroll, site_login

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WHY = "场地装修，活动推迟一个月"


def _messages_drawn(desk) -> None:
    """Wagtail slides its messages in (half a second) after the page loads: wait before a screenshot."""
    from playwright.sync_api import expect

    expect(desk.locator(".messages > ul")).to_have_css("opacity", "1")


def _first_page(pdf: bytes, path: str) -> None:
    """The PDF's first page as a picture, to look at beside the screenshots."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    document[0].render(scale=1.5).to_pil().save(path)
    document.close()


def test_the_group_asks_for_an_extension_staff_approve_and_a_new_version_is_issued(
    live_server, browser, phone, shots, roles
):
    leader = UserFactory(username="leader", email="leader@example.invalid", password="Leader-pass-2026!")
    EmailAddress.objects.create(user=leader, email=leader.email, verified=True, primary=True)
    staff = UserFactory(username="desk", password="Desk-pass-2026!")
    staff.groups.add(roles["staff"])
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    application = put_in_state(ApplicationFactory(title="长者助餐点", group__leader=leader), Status.AWARDED)
    project = transitions.application_transition(
        application=application, name="sign_agreement", user=staff, signed_on=timezone.localdate()
    )
    project = Application.objects.get(pk=project.pk)
    assert project.status == Status.IN_DELIVERY
    agreement = project.agreement
    assert list(agreement.versions.values_list("number", flat=True)) == [1]
    before = project.final_due_on
    assert before is not None
    new_date = before + timedelta(days=30)
    base, page = live_server.url, phone

    # The leader, on a phone, opens the project and asks for a change.
    site_login(page, base, "leader@example.invalid", "Leader-pass-2026!")
    page.goto(f"{base}{reverse('grants:project', args=[project.pk])}")
    page.screenshot(path=f"{shots}/am1-project.png", full_page=True)
    page.click("text=申请变更协议")
    page.wait_for_url(f"{base}{reverse('grants:amendment_new', args=[project.pk])}")
    assert no_sideways_scroll(page), "the amendment form scrolls sideways on a phone"
    page.screenshot(path=f"{shots}/am2-form.png", full_page=True)

    # In a hurry: the new date but no reason (past the browser's own check): refused, explained.
    page.check("input[name=kind][value=extend]")
    page.fill("input[name=final_due_on]", new_date.isoformat())
    page.locator("textarea[name=why]").evaluate("box => box.removeAttribute('required')")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".problems >> text=请说明变更的原因")
    assert no_sideways_scroll(page), "the refused amendment form scrolls sideways on a phone"
    page.screenshot(path=f"{shots}/am3-no-reason-refused.png", full_page=True)
    assert not Amendment.objects.exists()

    # What was typed is still there; now properly.
    assert page.locator("input[name=kind][value=extend]").is_checked()
    assert page.input_value("input[name=final_due_on]") == new_date.isoformat()
    page.check("input[name=kind][value=extend]")
    page.fill("input[name=final_due_on]", new_date.isoformat())
    page.fill("textarea[name=why]", WHY)
    page.screenshot(path=f"{shots}/am4-form-filled.png", full_page=True)
    page.locator("main form button[type=submit]", has_text="提交申请").click()
    page.wait_for_selector("text=已提交")
    page.wait_for_url(f"{base}{reverse('grants:project', args=[project.pk])}")
    assert no_sideways_scroll(page), "the project page scrolls sideways on a phone after asking"
    page.screenshot(path=f"{shots}/am5-asked.png", full_page=True)
    amendment = Amendment.objects.get()
    assert (amendment.status, amendment.kind, amendment.from_group) == ("requested", "extend", True)
    assert amendment.details == {"final_due_on": new_date.isoformat()}
    assert amendment.why == WHY

    # Staff, at a desk, approve it with a reason.
    desk = desk_page(browser)
    admin_login(desk, base, "desk", "Desk-pass-2026!")
    desk.goto(f"{base}{reverse('grants_admin:application', args=[project.pk])}#amendments")
    assert desk.locator("#amendments + ul", has_text=WHY).is_visible()
    decide = desk.locator("form[action$='/decide/']")
    decide.locator("textarea[name=reason]").fill("装修期间无法开展活动，同意延期一个月。")
    decide.scroll_into_view_if_needed()  # the admin scrolls inside its own pane: a viewport shot
    desk.screenshot(path=f"{shots}/am6-desk-decide.png", full_page=True)
    decide.locator("button[name=decision][value=approve]", has_text="批准").click()
    desk.wait_for_selector("text=变更已决定")
    _messages_drawn(desk)
    desk.screenshot(path=f"{shots}/am7-desk-approved.png", full_page=True)

    amendment.refresh_from_db()
    assert amendment.status == "applied"
    assert amendment.decided_by == staff
    assert Application.objects.get(pk=project.pk).final_due_on == new_date
    versions = list(AgreementVersion.objects.filter(agreement=agreement).order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    first, second = versions
    assert second.previous_hash == first.content_hash
    assert second.amendment == amendment
    assert second.terms["reporting"]["final_due_on"] == new_date.isoformat()
    assert second.changes == [{"field": "结项报告", "before": before.isoformat(), "after": new_date.isoformat()}]
    assert not verify_agreement(agreement), verify_agreement(agreement)

    # The new version's PDF (the documents job renders it; here, to be sure, directly), served to
    # the group with the latest version's terms, in a CJK font really embedded.
    version_pdf(second)
    second.refresh_from_db()
    assert second.pdf and second.pdf_sha256
    response = page.request.get(f"{base}{reverse('grants:agreement_pdf', args=[project.pk])}")
    assert response.ok, response.status
    assert response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    assert pdf.startswith(b"%PDF")
    embedded = fonts(pdf)
    assert any("WenQuanYi" in name or "Noto" in name for name in embedded), embedded
    body = text(pdf)
    assert new_date.isoformat() in body
    assert "长者助餐点" in body
    _first_page(pdf, f"{shots}/am9-agreement-v2-pdf.png")

    # The group sees the new version and what changed.
    page.goto(f"{base}{reverse('grants:agreement', args=[project.pk])}")
    section = page.locator("#versions")
    assert section.is_visible()
    assert section.get_by_text("第 2 版", exact=False).first.is_visible()
    assert new_date.isoformat() in section.inner_text()
    assert before.isoformat() in section.inner_text()
    assert no_sideways_scroll(page), "the agreement page scrolls sideways on a phone"
    page.screenshot(path=f"{shots}/am8-agreement-versions.png", full_page=True)
