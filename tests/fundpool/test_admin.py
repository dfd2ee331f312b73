"""Staff record money in the Wagtail admin; every write goes through a service, nothing is edited
or deleted, and bad input comes back as a clear form error with nothing written."""

import io
import re
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cms.roles import ensure_roles
from fundpool.ledger import commitments
from fundpool.ledger import services as ledger_services
from fundpool.models import EntryKind, Inflow, InflowDocument, JournalEntry, Pledge, PledgeStatus

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def roles():
    return ensure_roles()


@pytest.fixture
def staff_client(client, roles):
    user = UserFactory(username="fund-staff")
    user.groups.add(roles["staff"])
    client.force_login(user)
    return client


@pytest.fixture
def finance_client(client, roles):
    user = UserFactory(username="finance")
    user.groups.add(roles["finance"])
    client.force_login(user)
    return client


def inflow_form(funder, /, **overrides):  # "funder" may also be overridden
    from django.utils import timezone

    data = {
        "source_type": funder.source_type,
        "funder": funder.pk,
        "amount": "12000.00",
        "currency": "CNY",
        "received_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "restriction_kind": "unrestricted",
        "theme": "",
        "call_ref": "",
        "expires_on": "",
        "fee": "",
        "external_ref": "",
        "description": "街道拨款",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "name", ["inflow", "pledge", "funder", "theme", "commitment", "journalentry", "ledger-account"]
)
def test_staff_can_open_every_fund_pool_list(staff_client, name):
    response = staff_client.get(reverse(f"{name}:index"))
    assert response.status_code == 200


def test_recording_an_inflow_goes_through_the_ledger(staff_client, gov):
    response = staff_client.post(reverse("inflow:add"), inflow_form(gov, external_ref="BANK-001"))
    inflow = Inflow.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("inflow:inspect", args=[inflow.pk])
    assert inflow.amount == Decimal("12000.00") and inflow.created_by.username == "fund-staff"
    assert inflow.entry.kind == EntryKind.INFLOW and inflow.entry.external_ref == "BANK-001"
    page = staff_client.get(reverse("inflow:inspect", args=[inflow.pk]))
    assert "资金去向" in page.content.decode()


@pytest.mark.parametrize(
    "amount, message",
    [
        ("1.234", "最多 2 位小数"),
        ("abc", "不是数字"),
        ("0", "必须大于零"),
        ("-5", "不能为负数"),
        ("NaN", "有限"),
        ("Infinity", "有限"),
    ],
)
def test_a_bad_amount_is_a_chinese_form_error_and_writes_nothing(staff_client, gov, amount, message):
    response = staff_client.post(reverse("inflow:add"), inflow_form(gov, amount=amount))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Inflow.objects.exists() and not JournalEntry.objects.exists()


def test_another_currency_is_a_form_error(staff_client, gov):
    response = staff_client.post(reverse("inflow:add"), inflow_form(gov, currency="USD"))
    assert "本基金池使用 CNY" in response.content.decode()
    assert not Inflow.objects.exists()


def test_an_expired_restriction_is_a_form_error(staff_client, gov, elderly, today):
    data = inflow_form(
        gov,
        restriction_kind="theme",
        theme=elderly.pk,
        received_on=(today - timedelta(days=10)).isoformat(),
        expires_on=(today - timedelta(days=2)).isoformat(),
    )
    response = staff_client.post(reverse("inflow:add"), data)
    assert "过期" in response.content.decode()
    assert not Inflow.objects.exists()


def test_messages_follow_the_staff_members_language(staff_client, gov):
    response = staff_client.post(reverse("inflow:add"), inflow_form(gov, amount="1.234"), HTTP_ACCEPT_LANGUAGE="en")
    assert "CNY amounts have at most 2 decimal places." in response.content.decode()


def test_money_rows_have_no_edit_or_delete_views(staff_client, receive, gov):
    lot = receive("100", funder=gov)
    for name in ("inflow", "journalentry", "pledge", "ledger-account", "commitment"):
        for action in ("edit", "delete"):
            with pytest.raises(NoReverseMatch):
                reverse(f"{name}:{action}", args=[1])
    assert staff_client.get(f"/admin/inflow/edit/{lot.pk}/").status_code == 404
    assert staff_client.post(f"/admin/inflow/delete/{lot.pk}/").status_code == 404
    assert Inflow.objects.filter(pk=lot.pk).exists()


def test_a_pledge_is_recorded_then_received_in_part(staff_client, gov, today):
    response = staff_client.post(
        reverse("pledge:add"),
        {
            "funder": gov.pk,
            "amount": "300000",
            "currency": "CNY",
            "pledged_on": today.isoformat(),
            "expected_by": "",
            "restriction_kind": "unrestricted",
            "theme": "",
            "call_ref": "",
            "expires_on": "",
            "description": "年度拨款",
        },
    )
    pledge = Pledge.objects.get()
    assert response.status_code == 302 and not Inflow.objects.exists()
    url = reverse("pledge:receive", args=[pledge.pk])
    too_much = staff_client.post(url, {"amount": "300000.01", "received_on": today.isoformat()})
    assert "仅剩 300000.00 未到账" in too_much.content.decode()
    staff_client.post(url, {"amount": "120000", "received_on": today.isoformat(), "external_ref": "GOV-1"})
    pledge.refresh_from_db()
    assert pledge.received == Decimal("120000.00") and pledge.status == PledgeStatus.OPEN
    assert "待到账：180000.00" in staff_client.get(reverse("pledge:inspect", args=[pledge.pk])).content.decode()


def test_finance_reverses_an_entry_with_a_reason(finance_client, receive, gov):
    lot = receive("100", funder=gov)
    url = reverse("journalentry:reverse", args=[lot.entry_id])
    assert "原因" in finance_client.post(url, {"reason": ""}).content.decode()
    response = finance_client.post(url, {"reason": "重复录入"})
    reversal = JournalEntry.objects.get(kind=EntryKind.REVERSAL)
    assert response.status_code == 302 and reversal.reversal_of_id == lot.entry_id
    again = finance_client.post(url, {"reason": "再来一次"})
    assert "已被冲销" in again.content.decode()
    assert JournalEntry.objects.filter(kind=EntryKind.REVERSAL).count() == 1


def test_staff_without_the_reversal_permission_cannot_reverse(staff_client, receive, gov):
    lot = receive("100", funder=gov)
    response = staff_client.post(reverse("journalentry:reverse", args=[lot.entry_id]), {"reason": "x"})
    assert response.status_code in (302, 403)
    assert not JournalEntry.objects.filter(kind=EntryKind.REVERSAL).exists()


def test_people_without_admin_access_are_kept_out(client, roles, receive, gov):
    lot = receive("100", funder=gov)
    reviewer = UserFactory(username="reviewer-x")
    reviewer.groups.add(roles["reviewer"])
    client.force_login(reviewer)
    assert client.get(reverse("inflow:inspect", args=[lot.pk])).status_code in (302, 403)
    client.logout()
    response = client.get(reverse("inflow:index"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def _docx_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_reference_documents_are_judged_by_their_bytes(staff_client, receive, gov):
    lot = receive("100", funder=gov)
    url = reverse("inflow:add_document", args=[lot.pk])
    fake = SimpleUploadedFile("拨款通知.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    assert "按文件内容判断" in staff_client.post(url, {"title": "通知", "file": fake}).content.decode()
    assert not InflowDocument.objects.exists()
    docx = _docx_bytes()  # built once: a zip carries the time it was made
    real = SimpleUploadedFile("拨款通知.docx", docx, content_type="application/octet-stream")
    assert staff_client.post(url, {"title": "拨款通知", "file": real}).status_code == 302
    doc = InflowDocument.objects.get()
    assert doc.content_type.endswith("wordprocessingml.document")
    download = staff_client.get(reverse("inflow:document", args=[doc.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == docx


def test_reference_documents_are_not_public(client, receive, gov, settings):
    lot = receive("100", funder=gov)
    doc = ledger_services.inflow_attach_document(
        inflow=lot, title="slip", file=SimpleUploadedFile("slip.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    )
    response = client.get(reverse("inflow:document", args=[doc.pk]))
    assert response.status_code == 302
    assert not doc.file.path.startswith(str(settings.MEDIA_ROOT))


def test_a_funder_with_money_cannot_be_deleted(client, receive, gov):
    receive("100", funder=gov)
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    response = client.post(reverse("funder:delete", args=[gov.pk]))
    assert response.status_code == 302
    assert any("不能删除" in str(m) for m in get_messages(response.wsgi_request))
    assert type(gov).objects.filter(pk=gov.pk).exists()


def test_finance_records_a_refund_of_committed_money_as_a_shortfall(finance_client, receive):
    gift = receive("80")
    commitments.commitment_commit(reference="grant:r", amount="50")
    url = reverse("inflow:charge", args=[gift.pk])
    too_much = finance_client.post(url, {"kind": "refund", "amount": "80.01", "external_ref": "RF-1"})
    assert "仅剩 80.00 可退款" in too_much.content.decode()
    response = finance_client.post(url, {"kind": "refund", "amount": "80", "external_ref": "RF-1"})
    assert response.status_code == 302
    entry = JournalEntry.objects.get(kind=EntryKind.REFUND)
    assert entry.external_ref == "RF-1" and entry.inflow_id == gift.pk
    assert {p.account.code: p.amount for p in entry.postings.select_related("account") if p.amount < 0} == {
        "available:unrestricted": Decimal("-30.00"),
        "shortfall": Decimal("-50.00"),
    }


def test_someone_who_recorded_money_is_deactivated_not_deleted(client, gov, yesterday):
    recorder = UserFactory(username="recorder")
    ledger_services.inflow_record(
        source_type="government", funder=gov, amount="10", received_on=yesterday, actor=recorder
    )
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    response = client.post(f"/admin/users/delete/{recorder.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/admin/users/edit/{recorder.pk}/"
    assert any("不能删除" in str(m) for m in get_messages(response.wsgi_request))
    assert type(recorder).objects.filter(pk=recorder.pk).exists()


def test_nothing_more_is_charged_against_a_reversed_inflow(finance_client, receive, gov):
    lot = receive("5000", funder=gov)
    ledger_services.entry_reverse(entry=lot.entry, reason="重复录入")
    page = finance_client.get(reverse("inflow:inspect", args=[lot.pk])).content.decode()
    assert "已被冲销" in page and reverse("inflow:charge", args=[lot.pk]) not in page
    response = finance_client.post(reverse("inflow:charge", args=[lot.pk]), {"kind": "refund", "amount": "100"})
    assert "已被冲销" in response.content.decode()
    assert not JournalEntry.objects.filter(kind=EntryKind.REFUND).exists()


def test_the_ledger_accounts_list_does_not_hide_behind_wagtails_profile_page(staff_client, receive, gov):
    receive("100", funder=gov)
    html = staff_client.get(reverse("ledger-account:index")).content.decode()
    assert "income:government" in html and "available:unrestricted" in html


def test_date_inputs_carry_iso_dates_in_chinese(staff_client):
    html = staff_client.get(reverse("inflow:add")).content.decode()
    assert 'type="date"' in html
    assert re.search(r'name="received_on" value="\d{4}-\d{2}-\d{2}"', html)


def test_inspect_pages_show_local_time_and_words(staff_client, receive, gov, yesterday):
    lot = receive("100", funder=gov)
    html = staff_client.get(reverse("journalentry:inspect", args=[lot.entry_id])).content.decode()
    local = timezone.localtime(lot.entry.effective_at)
    assert f"{local.year}年{local.month}月{local.day}日" in html
    assert ">None<" not in html and ">False<" not in html
