"""Finance signs in to the admin with a second factor, at a desk and on a phone: the admin's login
page leads to the site's, the password is followed by the authenticator code, and only then the
admin opens. A finance officer who must use it and has none sets it up first."""

import base64
import hashlib
import hmac
import os
import struct
import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP

from ..factories import UserFactory
from .steps import desk_page, no_sideways_scroll, phone_page

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PASSWORD = "Cashier-pass-2026!"


def code_now(secret: str) -> str:
    if 30 - time.time() % 30 < 3:
        time.sleep(3.5)
    key = base64.b32decode(secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def cashier(roles, username="cashier"):
    user = UserFactory(username=username, email=f"{username}@example.invalid", password=PASSWORD)
    user.groups.add(roles["finance"])
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def password_step(page, base, username):
    page.goto(f"{base}/admin/login/")
    page.wait_for_url(f"{base}/accounts/login/**")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")


@pytest.mark.parametrize("where", ["desk", "phone"])
def test_finance_signs_in_to_the_admin_with_the_code(live_server, browser, roles, shots, where):
    user = cashier(roles)
    TOTP.activate(user, SECRET)
    page = desk_page(browser) if where == "desk" else phone_page(browser)
    base = live_server.url
    password_step(page, base, "cashier")
    page.wait_for_url(f"{base}/accounts/2fa/authenticate/")
    assert no_sideways_scroll(page)
    page.screenshot(path=os.path.join(shots, f"mfa-code-{where}.png"), full_page=True)
    page.goto(f"{base}/admin/")  # the admin stays shut until the code is given
    assert page.url.startswith(f"{base}/accounts/")
    page.goto(f"{base}/accounts/2fa/authenticate/")
    page.fill("input[name=code]", code_now(SECRET))
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/admin/")


def test_finance_who_must_use_it_sets_it_up_first(live_server, browser, roles, shots, settings):
    settings.MFA_REQUIRED_ROLES = ["finance", "superuser"]
    user = cashier(roles, "newcashier")
    page = phone_page(browser)
    base = live_server.url
    password_step(page, base, "newcashier")
    page.wait_for_url(f"{base}/accounts/reauthenticate/**")  # the password again, before setting it up
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/accounts/2fa/totp/activate/")
    assert no_sideways_scroll(page)
    page.screenshot(path=os.path.join(shots, "mfa-activate-phone.png"), full_page=True)
    secret = page.input_value("#authenticator_secret")
    page.fill("input[name=code]", code_now(secret))
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    page.screenshot(path=os.path.join(shots, "mfa-recovery-codes-phone.png"), full_page=True)
    page.goto(f"{base}/admin/")
    page.wait_for_url(f"{base}/admin/")
