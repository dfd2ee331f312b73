"""PDF documents: a CJK font really embedded (text extraction alone proves nothing), page numbers,
escaped user text, and a fetcher that loads nothing from files or the network."""

import io
import os

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from core.pdf import safe_fetcher
from fundpool.donations import services as donation_services
from fundpool.ledger import services as ledger_services
from fundpool.models import Donation
from grants import transitions
from grants.delivery import services as delivery_services

from ..fundpool import stripe_kit as kit

pytestmark = pytest.mark.django_db


def fonts(pdf: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in (page.get("/Resources") or {}).get("/Font", {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor") or (
                font["/DescendantFonts"][0].get_object().get("/FontDescriptor") if "/DescendantFonts" in font else None
            )
            embedded = descriptor is not None and any(
                k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")
            )
            if embedded:
                names.add(str(font.get("/BaseFont")))
    return names


def inked(pdf: bytes) -> int:
    """Distinct colours on the first page, rasterised: a page with real (anti-aliased) text has
    many; a blank page, or one of empty boxes, has very few."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    image = document[0].render(scale=1.5).to_pil().convert("RGB")
    document.close()
    return len(image.getcolors(maxcolors=1_000_000) or [])


def text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def received(client, settings, **kw):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = kit.SECRET
    donation = donation_services.donation_start(amount="50.00", **kw)
    Donation.objects.filter(pk=donation.pk).update(stripe_session_id=f"cs_test_{donation.pk:08d}")
    donation.refresh_from_db()
    kit.post(client, kit.event("checkout.session.completed", kit.session_for(donation)))
    donation.refresh_from_db()
    return donation


def test_the_acknowledgement_pdf_embeds_a_cjk_font_and_numbers_its_pages(client, settings):
    donation = received(client, settings, display_name="小林", designation_label="为老服务")
    response = client.get(reverse("donation_acknowledgement_pdf", args=[donation.token]))
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert any("WenQuanYi" in name for name in fonts(pdf)), fonts(pdf)
    assert inked(pdf) > 30
    body = text(pdf)
    assert "¥50.00" in body and "小林" in body and "为老服务" in body and "第 1 页 / 共 1 页" in body


def test_no_acknowledgement_for_a_gift_not_received(client, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    donation = donation_services.donation_start(amount="50.00")
    assert client.get(reverse("donation_acknowledgement_pdf", args=[donation.token])).status_code == 404


@pytest.mark.parametrize(
    "name",
    [
        '<link rel=attachment href="file:///etc/passwd">',
        "file:///etc/passwd",
        "<img src='http://example.invalid/x.png'>",
        "😀 𠀀 𪚥",
        "长" * 5000,
    ],
)
def test_hostile_or_odd_text_is_escaped_and_never_fetched(client, settings, name):
    donation = received(client, settings, display_name="小林", designation_label=name)
    response = client.get(reverse("donation_acknowledgement_pdf", args=[donation.token]))
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    assert not reader.attachments  # <link rel=attachment> did not attach /etc/passwd
    assert "root:" not in text(response.content)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://example.invalid/x.css", "https://example.invalid/"])
def test_the_fetcher_refuses_files_and_the_network(url):
    with pytest.raises(ValueError):
        safe_fetcher().fetch(url)


def test_the_fetcher_serves_our_static_files_and_data_uris(settings):
    css = safe_fetcher().fetch(f"{settings.STATIC_URL}css/site.css")
    assert b"body" in css.read() and css.headers.get_content_type() == "text/css"
    assert safe_fetcher().fetch("data:text/plain,hi").read() == b"hi"
    with pytest.raises(ValueError):
        safe_fetcher().fetch(f"{settings.STATIC_URL}../../config/settings/base.py")


def test_the_final_report_pdf_is_for_the_group_and_staff(client, staff):
    from grants.lifecycle import Status

    from ..factories import ApplicationFactory, UserFactory
    from ..grants.conftest import put_in_state
    from ..grants.test_delivery import report, spend

    project = transitions.application_transition(
        application=put_in_state(ApplicationFactory(title="长者助餐点"), Status.AWARDED),
        name="sign_agreement",
        user=staff,
        signed_on=timezone.localdate(),
    )
    leader = project.group.memberships.get().user
    spend(project, leader, "7000.00")
    delivery_services.report_evaluate(
        report=report(project, leader, "midterm"), actor=staff, score="80", comment="", accept=True
    )
    report(project, leader, "final")
    url = reverse("grants:final_report_pdf", args=[project.pk])
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(leader)
    pdf = client.get(url).content
    assert any("WenQuanYi" in name for name in fonts(pdf)) and inked(pdf) > 30
    assert "长者助餐点" in text(pdf) and "¥7,000.00" in text(pdf)
    client.force_login(staff)
    assert client.get(url).status_code == 200


def test_the_agreement_is_rendered_once_at_signing_and_served_unchanged(
    client, staff, monkeypatch, django_capture_on_commit_callbacks
):
    import hashlib

    from core import pdf as pdf_module
    from grants.lifecycle import Status

    from ..factories import ApplicationFactory
    from ..grants.conftest import put_in_state

    with django_capture_on_commit_callbacks(execute=True):
        project = transitions.application_transition(
            application=put_in_state(ApplicationFactory(title="长者助餐点"), Status.AWARDED),
            name="sign_agreement",
            user=staff,
            signed_on=timezone.localdate(),
            conditions="专款专用",
        )
    agreement = project.agreement
    agreement.refresh_from_db()
    assert agreement.pdf and len(agreement.pdf_sha256) == 64
    stored = agreement.pdf.open("rb").read()
    assert hashlib.sha256(stored).hexdigest() == agreement.pdf_sha256
    assert any("WenQuanYi" in name for name in fonts(stored)) and inked(stored) > 30
    body = text(stored)
    assert (
        agreement.number in body and "¥9,000.00" in body and "专款专用" in body and agreement.content_hash[:16] in body
    )

    # A later template change alters nothing already issued.
    monkeypatch.setattr(pdf_module, "render_to_string", lambda *a, **k: "<h1>changed</h1>")
    leader = project.group.memberships.get().user
    client.force_login(leader)
    served = client.get(reverse("grants:agreement_pdf", args=[project.pk])).content
    assert served == stored


def test_the_review_summary_pdf_lists_the_ranking_for_staff(client, staff):
    from grants.lifecycle import Status

    from ..factories import ApplicationFactory, CallFactory, UserFactory
    from ..grants.conftest import put_in_state

    call = CallFactory(title="2026年微创投")
    put_in_state(ApplicationFactory(call=call, title="长者助餐点"), Status.REVIEWED)
    url = reverse("grants_admin:call_results_pdf", args=[call.pk])
    client.force_login(UserFactory())
    assert client.get(url).status_code in (302, 403)
    client.force_login(staff)
    pdf = client.get(url).content
    assert any("WenQuanYi" in name for name in fonts(pdf)) and inked(pdf) > 30
    assert "2026年微创投" in text(pdf) and "长者助餐点" in text(pdf)


def test_the_annual_report_is_generated_in_the_background_and_published(client, staff, settings, queued_jobs):
    from fundpool.ledger.selectors import pool_summary
    from fundpool.models import SourceType
    from reports.annual import run_job
    from reports.models import DocumentJob

    from ..factories import UserFactory

    ledger_services.inflow_record(source_type=SourceType.DONATION, amount="1234.56", received_on=timezone.localdate())
    year = timezone.localdate().year
    client.force_login(UserFactory())
    assert client.post("/admin/documents/", {"year": year}).status_code in (302, 403)
    assert not DocumentJob.objects.exists()
    client.force_login(staff)
    client.post("/admin/documents/", {"year": "1999"})
    assert not DocumentJob.objects.exists()
    client.post("/admin/documents/", {"year": str(year)})
    job = DocumentJob.objects.get()
    assert (job.status, job.progress) == ("queued", 0)
    assert "排队中" in client.get("/admin/documents/").content.decode()
    job = run_job(job.pk)  # what the queued job does in a documents worker
    assert (job.status, job.progress, len(job.sha256)) == ("done", 100, 64)
    pdf = b"".join(client.get(f"/annual-reports/{year}.pdf").streaming_content)
    assert any("WenQuanYi" in name for name in fonts(pdf)) and inked(pdf) > 30
    body = text(pdf)
    total = pool_summary()["received_total"]
    assert f"¥{total:,.2f}" in body and "ledger_verify" in body
    client.logout()
    assert str(year) in client.get("/annual-reports/").content.decode()
    assert client.get(f"/annual-reports/{year - 1}.pdf").status_code == 404


def test_a_clear_error_when_no_chinese_font_is_installed(client, settings, monkeypatch):
    from core import pdf as pdf_module

    donation = received(client, settings)
    monkeypatch.setattr(pdf_module, "cjk_font_available", lambda: False)
    response = client.get(reverse("donation_acknowledgement_pdf", args=[donation.token]))
    assert response.status_code == 503 and "fonts-wqy-microhei" in response.content.decode()


def test_the_review_summary_pdf_keeps_each_column_heading_on_one_line(client, staff):
    """The results table has seven columns; squeezed, its headings broke one character per line."""
    from ..factories import CallFactory
    from ..grants.test_results import scored_call

    call = CallFactory(title="2026年社区微创投第一批")
    scored_call({"评审专家张伟": [86, 74, 91], "评审专家李娜": [80, 70, 60], "评审专家王强": [90, 88, 40]}, call=call)
    client.force_login(staff)
    content = client.get(reverse("grants_admin:call_results_pdf", args=[call.pk])).content
    if os.environ.get("E2E_SCREENSHOTS"):  # to look at it
        import pypdfium2

        page = pypdfium2.PdfDocument(content)[0]
        page.render(scale=1.5).to_pil().save(os.path.join(os.environ["E2E_SCREENSHOTS"], "review-summary.png"))
    assert any("WenQuanYi" in name for name in fonts(content))
    lines = [line.strip() for line in text(content).splitlines()]
    headings = ["排名", "档次", "申报项目", "平均分（原始）", "平均分（标准化）", "评审：原始分 / 标准化分", "状态"]
    for heading in headings:
        assert any(heading in line for line in lines), heading
    # No heading is split: no line holds a lone fragment of one.
    fragments = {h[:i] for h in headings for i in range(1, len(h))} - set(headings) - {""}
    assert not [line for line in lines if line in fragments]


def test_an_amended_agreement_version_pdf_embeds_a_cjk_font_and_shows_the_change(
    staff, django_capture_on_commit_callbacks
):
    import hashlib
    from datetime import timedelta

    from grants.award.documents import version_pdf
    from grants.award.versions import verify_agreement
    from grants.delivery import amendments
    from grants.lifecycle import Status
    from grants.models import AgreementVersion

    from ..factories import ApplicationFactory
    from ..grants.conftest import put_in_state

    project = transitions.application_transition(
        application=put_in_state(ApplicationFactory(title="长者助餐点"), Status.AWARDED),
        name="sign_agreement",
        user=staff,
        signed_on=timezone.localdate(),
    )
    later = project.final_due_on + timedelta(days=45)
    leader = project.group.memberships.get().user
    amendment = amendments.amendment_request(
        application=project, user=leader, kind="extend", details={"final_due_on": later.isoformat()}, why="场地装修"
    )
    amendments.amendment_decide(amendment=amendment, actor=staff, approve=True, reason="同意延期")
    version = AgreementVersion.objects.get(agreement=project.agreement, number=2)
    pdf = version_pdf(version)
    assert any("WenQuanYi" in name or "Noto" in name for name in fonts(pdf)), fonts(pdf)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert later.isoformat() in text and "第 2 版" in text
    version.refresh_from_db()
    assert version.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    assert verify_agreement(project.agreement) == []
