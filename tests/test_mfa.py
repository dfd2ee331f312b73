"""The second factor for the people who move money: after the password, a code from an
authenticator app (TOTP, RFC 6238) or a recovery code, each recovery code once. With the production
setting finance and superusers must use it and are sent to set it up before anything else. Wagtail's
own login pages are no way round it. The codes here are computed from the secret as an
authenticator app computes them, independently of the library."""

import base64
import hashlib
import hmac
import re
import struct
import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.urls import reverse

from .factories import UserFactory

pytestmark = pytest.mark.django_db

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PASSWORD = "Money-mover-2026!"


def totp(secret: str, at: float) -> str:
    """RFC 6238 with SHA-1, 30-second steps and 6 digits, as authenticator apps use by default."""
    key = base64.b32decode(secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def code_now(secret: str = SECRET) -> str:
    if 30 - time.time() % 30 < 2:  # about to roll over: wait for the next step
        time.sleep(2.5)
    return totp(secret, time.time())


def person(roles, role=None, *, superuser=False, with_totp=False, username="mover"):
    user = UserFactory(
        username=username, email=f"{username}@example.invalid", password=PASSWORD, is_superuser=superuser
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    if role:
        user.groups.add(roles[role])
    if with_totp:
        TOTP.activate(user, SECRET)
    return user


def password_step(client, login, next_url="/dashboard/"):
    return client.post(f"{reverse('account_login')}?next={next_url}", {"login": login, "password": PASSWORD})


def signed_in_as(client):
    return client.session.get("_auth_user_id")


@pytest.fixture
def required(settings):
    settings.MFA_REQUIRED_ROLES = ["finance", "superuser"]


# --- signing in with the code ------------------------------------------------------------------


def test_the_password_alone_does_not_sign_in_and_the_code_then_does(client, roles):
    user = person(roles, "finance", with_totp=True)
    response = password_step(client, "mover", next_url="/admin/")
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    assert signed_in_as(client) is None
    response = client.post(reverse("mfa_authenticate"), {"code": code_now()})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert signed_in_as(client) == str(user.pk)
    assert client.get("/admin/").status_code == 200


def test_the_code_box_brings_up_a_phones_keypad(client, roles):
    person(roles, "finance", with_totp=True)
    password_step(client, "mover@example.invalid")
    html = client.get(reverse("mfa_authenticate")).content.decode()
    box = re.search(r'<input[^>]*name="code"[^>]*>', html).group(0)
    assert 'inputmode="numeric"' in box and 'autocomplete="one-time-code"' in box


def test_a_wrong_code_is_refused(client, roles):
    person(roles, "finance", with_totp=True)
    password_step(client, "mover@example.invalid")
    right = code_now()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = client.post(reverse("mfa_authenticate"), {"code": wrong})
    assert response.status_code == 200
    assert signed_in_as(client) is None
    assert client.get("/admin/").status_code == 302


def test_wrong_codes_lock_the_code_step_like_wrong_passwords(client, roles, settings):
    person(roles, "finance", with_totp=True)
    password_step(client, "mover")
    right = code_now()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("mfa_authenticate"), {"code": wrong})
    response = client.post(reverse("mfa_authenticate"), {"code": right})
    assert "错误次数过多" in response.content.decode()
    assert signed_in_as(client) is None


def test_a_recovery_code_signs_in_once(client, roles):
    user = person(roles, "finance", with_totp=True)
    code = RecoveryCodes.activate(user).generate_codes()[0]
    password_step(client, "mover")
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert signed_in_as(client) == str(user.pk)
    client.post(reverse("account_logout"))
    assert signed_in_as(client) is None
    password_step(client, "mover")
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert signed_in_as(client) is None


# --- who must use it ---------------------------------------------------------------------------


def test_with_the_production_setting_finance_sets_it_up_before_reaching_the_admin(client, roles, required):
    user = person(roles, "finance")
    password_step(client, "mover", next_url="/admin/")
    assert signed_in_as(client) == str(user.pk)
    for path in ("/admin/", "/dashboard/", "/admin/users/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp"), path
    # Turning it on asks for the password again (allauth's reauthentication), then shows the code.
    response = client.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    client.post(response["Location"], {"password": PASSWORD})
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    secret = client.session["mfa.totp.secret"]
    response = client.post(reverse("mfa_activate_totp"), {"code": code_now(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    # Recovery codes were made with it, and are offered.
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).exists()
    assert client.get(reverse("mfa_view_recovery_codes")).status_code == 200
    assert client.get("/admin/").status_code == 200


def test_a_superuser_without_it_is_sent_to_set_it_up_and_may_still_sign_out(client, roles, required):
    person(roles, superuser=True)
    password_step(client, "mover")
    assert client.get("/admin/")["Location"] == reverse("mfa_activate_totp")
    client.post(reverse("account_logout"))
    assert signed_in_as(client) is None


def test_those_who_must_use_it_cannot_switch_it_off(client, roles, required):
    user = person(roles, "finance", with_totp=True)
    password_step(client, "mover")
    client.post(reverse("mfa_authenticate"), {"code": code_now()})
    client.post(reverse("mfa_deactivate_totp"))
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def test_staff_may_turn_it_on_but_need_not_and_residents_are_never_asked(client, roles, required):
    person(roles, "staff")
    password_step(client, "mover", next_url="/admin/")
    response = client.get("/admin/account/")
    assert response.status_code == 200
    assert reverse("mfa_index") in response.content.decode()  # the way to turn it on
    client.post(reverse("account_logout"))
    person(roles, "applicant", username="resident")
    password_step(client, "resident@example.invalid")
    assert client.get("/dashboard/").status_code == 200


def test_without_the_setting_nobody_is_forced(client, roles, settings):
    assert settings.MFA_REQUIRED_ROLES == []
    person(roles, "finance")
    password_step(client, "mover")
    assert client.get("/admin/").status_code == 200


# --- Wagtail's login pages are no way round it -------------------------------------------------


def test_the_admin_login_sends_everyone_to_the_sign_in_that_asks_for_the_code(client, roles):
    person(roles, "finance", with_totp=True)
    response = client.post(reverse("wagtailadmin_login"), {"username": "mover", "password": PASSWORD})
    assert signed_in_as(client) is None
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    for login_page in ("/admin/login/", "/_util/login/"):
        response = client.get(login_page, {"next": "/admin/pages/"})
        assert response["Location"] == f"{reverse('account_login')}?next=%2Fadmin%2Fpages%2F", login_page
    # Signing in there by username, as the admin always did, still asks for the code.
    response = password_step(client, "mover", next_url="/admin/")
    assert response["Location"] == reverse("mfa_authenticate")
    assert signed_in_as(client) is None


def test_the_admin_login_will_not_send_anyone_elsewhere(client):
    response = client.get("/admin/login/", {"next": "https://evil.example/"})
    assert response["Location"] == f"{reverse('account_login')}?next=%2Fadmin%2F"


def test_staff_sign_in_to_the_admin_by_username(client, roles):
    user = person(roles, "staff")
    login_page = client.get("/admin/", follow=True)
    assert login_page.request["PATH_INFO"] == reverse("account_login")
    response = password_step(client, "mover", next_url="/admin/")
    assert response["Location"] == "/admin/"
    assert signed_in_as(client) == str(user.pk)


# --- the demo ----------------------------------------------------------------------------------


def test_the_demo_finance_account_signs_in_with_the_secret_in_the_readme(client):
    from pathlib import Path

    from demo.site import DEMO_PASSWORD, DEMO_TOTP_SECRET, seed_users

    seed_users()
    seed_users()  # twice, as `make run` does on every start: still one authenticator
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert DEMO_TOTP_SECRET in readme
    finance = Authenticator.objects.get(type=Authenticator.Type.TOTP).user
    assert finance.username == "finance"
    client.post(reverse("account_login"), {"login": "finance", "password": DEMO_PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": code_now(DEMO_TOTP_SECRET)})
    assert signed_in_as(client) == str(finance.pk)


def test_production_settings_require_it_of_finance_and_superusers(monkeypatch):
    """config/settings/production.py's default, read as the production profile reads it."""
    import importlib
    import sys

    monkeypatch.setenv("SECRET_KEY", "production-settings-under-test")
    monkeypatch.setenv("ALLOWED_HOSTS", "fund.example.org")
    monkeypatch.setenv("SITE_BASE_URL", "https://fund.example.org")
    monkeypatch.delenv("MFA_REQUIRED_ROLES", raising=False)
    monkeypatch.delitem(sys.modules, "config.settings.production", raising=False)
    production = importlib.import_module("config.settings.production")
    assert set(production.MFA_REQUIRED_ROLES) == {"finance", "superuser"}
    assert importlib.import_module("config.settings.dev").MFA_REQUIRED_ROLES == []


def test_a_signed_in_resident_at_an_admin_page_is_told_no_and_not_sent_round_in_circles(client, roles):
    """Wagtail sends a signed-in person without admin access to the login page with `next`; the
    login page sent a signed-in person straight back to `next`: round and round, until the browser
    gave up (ERR_TOO_MANY_REDIRECTS)."""
    resident = person(roles, "applicant")
    client.force_login(resident)
    response = client.get("/admin/jobs/", follow=True)
    assert response.status_code == 200 and len(response.redirect_chain) <= 2
    assert "您没有权限访问管理后台" in response.content.decode()
