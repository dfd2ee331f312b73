"""Security settings an auditor would check: response headers, session time-outs, password rules,
private files, uploaded images re-encoded, and the audit log kept append-only."""

import io
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django_fsm_log.models import StateLog
from PIL import Image
from wagtail.models import ModelLogEntry

from fundpool.ledger import services as ledger_services
from grants import lifecycle, transitions
from grants.applications import services as application_services
from grants.lifecycle import Status
from grants.models import ApplicationAttachment, FilingStatus

from .factories import ApplicationFactory, GroupFactory, UserFactory
from .grants.conftest import put_in_state

pytestmark = pytest.mark.django_db


# --- headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/transparency/", "/donate/", "/accounts/login/", "/admin/login/"])
def test_every_page_carries_the_security_headers(client, path):
    response = client.get(path)
    assert response.status_code in (200, 302)
    csp = response["Content-Security-Policy"]
    assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp and "base-uri 'self'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_inline_scripts_are_refused_on_the_public_site_and_allowed_only_under_the_admin(client):
    public = client.get("/")["Content-Security-Policy"]
    admin = client.get("/admin/login/")["Content-Security-Policy"]
    script = {d.split()[0]: d for d in public.split("; ")}["script-src"]
    assert script == "script-src 'self'"
    assert "'unsafe-inline'" not in public
    assert "script-src 'self' 'unsafe-inline'" in admin


# --- sessions --------------------------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    now = [time.time()]
    monkeypatch.setattr("config.middleware.time.time", lambda: now[0])

    def advance(minutes):
        now[0] += minutes * 60

    return advance


def signed_in(client, path):
    response = client.get(path)
    return response.status_code == 200


def test_staff_are_signed_out_after_half_an_hour_idle(client, staff, clock):
    client.force_login(staff)
    assert signed_in(client, "/admin/")
    clock(29)
    assert signed_in(client, "/admin/")
    clock(31)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert "_auth_user_id" not in client.session


def test_applicants_have_two_hours_idle_but_not_more(client, clock):
    user = UserFactory()
    GroupFactory(leader=user)
    client.force_login(user)
    assert signed_in(client, "/dashboard/")
    clock(100)
    assert signed_in(client, "/dashboard/")  # a long form typed slowly: still signed in
    clock(121)
    response = client.get("/dashboard/")
    assert response.status_code == 302
    follow = client.get(response["Location"])
    assert "您已长时间未操作" in follow.content.decode()


def test_no_session_lasts_longer_than_twelve_hours_however_active(client, clock):
    user = UserFactory()
    client.force_login(user)
    assert signed_in(client, "/dashboard/")
    for _ in range(13):
        clock(59)
        client.get("/dashboard/")
    assert client.get("/dashboard/").status_code == 302


# --- passwords -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password, says",
    [
        ("Ab1!xyz", "密码太短"),
        ("password123", "这个密码太常见了"),
        ("8391047562", "密码只包含数字"),
        ("chenmin.cuihu", "密码跟 电子邮件地址 太相似了"),
    ],
    ids=["too-short", "common", "numeric", "like-the-email"],
)
def test_weak_passwords_are_refused_with_the_reason(client, password, says):
    response = client.post(
        reverse("account_signup"),
        {"email": "chenmin.cuihu@example.invalid", "password1": password, "password2": password},
    )
    assert response.status_code == 200
    assert says in response.content.decode()
    assert not get_user_model().objects.filter(email="chenmin.cuihu@example.invalid").exists()


def test_a_password_needs_at_least_ten_characters(client):
    def sign_up(email, password):
        return client.post(reverse("account_signup"), {"email": email, "password1": password, "password2": password})

    response = sign_up("nine@example.invalid", "Qz7!mk2#p")
    assert "密码太短，至少需要 10 个字符" in response.content.decode()
    assert not get_user_model().objects.filter(email="nine@example.invalid").exists()
    sign_up("ten@example.invalid", "Qz7!mk2#pw")
    assert get_user_model().objects.filter(email="ten@example.invalid").exists()


# --- caching of signed-in pages ----------------------------------------------------------------


def _cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


def test_signed_in_pages_are_kept_by_no_cache(client, staff):
    user = UserFactory()
    GroupFactory(leader=user)
    client.force_login(user)
    for path in ("/dashboard/", "/transparency/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert {"private", "no-store"} <= _cache_control(response), path
        assert "public" not in _cache_control(response), path
    client.force_login(staff)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert {"private", "no-store"} <= _cache_control(response)


def test_public_pages_for_visitors_stay_cacheable(client):
    response = client.get("/transparency/")
    assert response.status_code == 200
    assert "no-store" not in _cache_control(response) and "private" not in _cache_control(response)


# --- private files ---------------------------------------------------------------------------


def pdf(name="plan.pdf"):
    return SimpleUploadedFile(
        name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="application/pdf"
    )


def test_private_files_have_no_address_of_their_own(client, settings):
    from pathlib import Path

    application = ApplicationFactory()
    member = application.group.memberships.first().user
    attachment = application_services.application_attach(application=application, user=member, file=pdf())
    name = attachment.file.name
    assert Path(settings.PRIVATE_MEDIA_ROOT, name).exists()
    assert not Path(settings.PRIVATE_MEDIA_ROOT).resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    client.force_login(member)
    for path in (f"/media/{name}", f"/private-media/{name}", f"/static/../private-media/{name}", f"/{name}"):
        assert client.get(path).status_code == 404, path
    # Only through the view that checks who is asking.
    assert client.get(reverse("grants:attachment_download", args=[attachment.pk])).status_code == 200
    client.force_login(UserFactory())
    assert client.get(reverse("grants:attachment_download", args=[attachment.pk])).status_code == 404


# --- uploads ---------------------------------------------------------------------------------


def jpeg_with_secrets():
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90°
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue() + b"<script>alert(1)</script>"


def stored_bytes(attachment):
    with attachment.file.open("rb") as handle:
        return handle.read()


def test_an_uploaded_jpeg_is_stored_redrawn_without_exif_or_trailing_bytes():
    application = ApplicationFactory()
    member = application.group.memberships.first().user
    upload = SimpleUploadedFile("site.jpg", jpeg_with_secrets(), content_type="image/jpeg")
    attachment = application_services.application_attach(application=application, user=member, file=upload)
    data = stored_bytes(attachment)
    assert b"SecretCam" not in data and b"<script>" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert image.size == (30, 40)  # turned the way the camera meant
        assert not image.getexif()
    assert attachment.content_type == "image/jpeg" and attachment.size == len(data)


def test_an_uploaded_png_loses_its_text_chunks():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "home address: 翠湖路1号")
    out = io.BytesIO()
    Image.new("RGBA", (8, 8), (0, 0, 0, 0)).save(out, format="PNG", pnginfo=info)
    application = ApplicationFactory()
    member = application.group.memberships.first().user
    upload = SimpleUploadedFile("map.png", out.getvalue(), content_type="image/png")
    data = stored_bytes(application_services.application_attach(application=application, user=member, file=upload))
    assert "翠湖路".encode() not in data and b"Comment" not in data
    assert Image.open(io.BytesIO(data)).mode == "RGBA"


@pytest.mark.parametrize(
    "content, says",
    [
        (jpeg_with_secrets()[:120], "图片无法读取"),
        (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "只接受 PDF、JPEG、PNG",
        ),
    ],
    ids=["truncated-jpeg", "svg"],
)
def test_unreadable_images_and_svg_are_refused_and_nothing_is_stored(content, says):
    from grants.common import GrantsError

    application = ApplicationFactory()
    member = application.group.memberships.first().user
    with pytest.raises(GrantsError) as refused:
        application_services.application_attach(
            application=application, user=member, file=SimpleUploadedFile("x.jpg", content, content_type="image/jpeg")
        )
    assert says in " ".join(refused.value.messages)
    assert ApplicationAttachment.objects.count() == 0


def test_an_image_bomb_is_refused_before_it_is_decoded():
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, format="PNG")  # 81 million pixels in a small file
    from grants.common import GrantsError

    application = ApplicationFactory()
    member = application.group.memberships.first().user
    with pytest.raises(GrantsError) as refused:
        application_services.application_attach(
            application=application, user=member, file=SimpleUploadedFile("x.png", out.getvalue())
        )
    assert "图片太大" in " ".join(refused.value.messages)


# --- the audit log ---------------------------------------------------------------------------


def test_staff_actions_and_transitions_are_in_the_audit_log_with_who_and_why(client, staff, roles):
    group = GroupFactory(filing_status=FilingStatus.PENDING)
    client.force_login(staff)
    client.post(
        reverse("grants_admin:group_filing", args=[group.pk]),
        {"action": "file", "filing_number": "CH-2026-031", "filed_on": timezone.localdate().isoformat()},
    )
    entry = ModelLogEntry.objects.get(action="grants.group_file")
    assert entry.user == staff and entry.object_id == str(group.pk)
    assert entry.data["filing_number"] == "CH-2026-031"

    application = put_in_state(ApplicationFactory(), Status.SUBMITTED)
    transitions.application_transition(
        application=application, name="return_for_changes", user=staff, reason="补充预算"
    )
    step = ModelLogEntry.objects.get(action="grants.transition")
    assert step.data == {"step": "return_for_changes", "before": "submitted", "after": "returned", "reason": "补充预算"}
    assert StateLog.objects.get(object_id=application.pk, transition="return_for_changes").by == staff

    # Staff read it in the admin's site history, in Chinese.
    page = client.get("/admin/reports/site-history/").content.decode()
    assert "小组已备案" in page and "申报状态已变更" in page
    with translation.override("zh-hans"):
        step = str(lifecycle.STEPS["return_for_changes"].label)
        states = [str(lifecycle.STATE[s].staff_label) for s in ("submitted", "returned")]
    assert f"步骤: {step}; 原状态: {states[0]}; 新状态: {states[1]}; 原因: 补充预算" in page
    assert "return_for_changes" not in page


def test_money_posted_by_a_person_is_logged_and_a_donation_by_webhook_is_not(finance, gov):
    today = timezone.localdate()
    ledger_services.inflow_record(
        source_type="government", funder=gov, amount="1000.00", received_on=today, external_ref="BANK-1", actor=finance
    )
    ledger_services.inflow_record(source_type="donation", amount="20.00", received_on=today, external_ref="pi_1")
    logged = ModelLogEntry.objects.filter(action="fund.entry_post")
    assert [(e.user, e.data["amount"], e.data["external_ref"]) for e in logged] == [(finance, "1000.00", "BANK-1")]


@pytest.mark.parametrize("table", ["wagtailcore_modellogentry", "django_fsm_log_statelog"])
def test_the_audit_log_refuses_update_and_delete_in_the_database(staff, table):
    application = put_in_state(ApplicationFactory(), Status.SUBMITTED)
    transitions.application_transition(application=application, name="return_for_changes", user=staff, reason="补充")
    for sql in (f"UPDATE {table} SET timestamp = timestamp", f"DELETE FROM {table}"):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql)
    assert ModelLogEntry.objects.filter(action="grants.transition").count() == 1
    assert StateLog.objects.filter(transition="return_for_changes").count() == 1


def test_someone_in_the_transition_log_is_deactivated_not_deleted(client, staff, roles):
    admin = UserFactory(username="root-admin", is_superuser=True, is_staff=True)
    application = put_in_state(ApplicationFactory(), Status.SUBMITTED)
    transitions.application_transition(application=application, name="return_for_changes", user=staff, reason="补充")
    client.force_login(admin)
    response = client.post(reverse("wagtailusers_users:delete", args=[staff.pk]), follow=True)
    assert response.status_code == 200
    assert "不能删除" in response.content.decode()
    assert get_user_model().objects.filter(pk=staff.pk).exists()


# --- error pages -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "view, status, says",
    [
        ("bad_request", 400, "请求无法处理"),
        ("permission_denied", 403, "无权访问"),
        ("page_not_found", 404, "找不到"),
        ("server_error", 500, "出错了"),
    ],
)
def test_error_pages_speak_chinese_and_give_a_way_home(rf, view, status, says):
    from django.views import defaults

    request = rf.get("/x/")
    handler = getattr(defaults, view)
    response = handler(request) if view == "server_error" else handler(request, Exception("x"))
    body = response.content.decode()
    assert response.status_code == status
    assert says in body and 'href="/"' in body
    assert "Not Found" not in body and "Server Error" not in body


def test_an_expired_form_says_so_in_chinese(client):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(reverse("account_login"), {"login": "a@b.c", "password": "x"})
    assert response.status_code == 403
    assert "表单已过期" in response.content.decode()
