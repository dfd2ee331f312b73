"""Accounts: sign up with a verified email, sign in and out, reset the password, and lockout
after repeated wrong passwords (the site's login and Wagtail's admin login)."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


def test_sign_up_needs_a_verified_email_before_signing_in(client, mailoutbox):
    response = client.post(
        reverse("account_signup"),
        {"email": "resident@example.invalid", "password1": "Fund-pool-2026!", "password2": "Fund-pool-2026!"},
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(email="resident@example.invalid")
    assert "_auth_user_id" not in client.session
    assert len(mailoutbox) == 1
    link = re.search(r"https?://[^\s]+/accounts/confirm-email/[^\s]+/", mailoutbox[0].body).group(0)
    path = "/" + link.split("/", 3)[3]
    client.post(path)
    assert user.emailaddress_set.get().verified
    response = client.get(reverse("grants:dashboard"))
    assert response.status_code == 200


def test_a_weak_password_is_refused_in_chinese(client):
    response = client.post(
        reverse("account_signup"), {"email": "weak@example.invalid", "password1": "12345678", "password2": "12345678"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "密码太短，至少需要 10 个字符。" in html and "密码只包含数字。" in html
    assert not get_user_model().objects.filter(email="weak@example.invalid").exists()


def verified_user(email="member@example.invalid", password="Fund-pool-2026!"):
    from allauth.account.models import EmailAddress

    user = UserFactory(username=email.split("@")[0], email=email, password=password)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def test_sign_in_with_email_and_sign_out(client):
    verified_user()
    response = client.post(reverse("account_login"), {"login": "member@example.invalid", "password": "Fund-pool-2026!"})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    client.post(reverse("account_logout"))
    assert client.get(reverse("grants:dashboard")).status_code == 302


def test_password_reset_sends_a_link(client, mailoutbox):
    verified_user()
    client.post(reverse("account_reset_password"), {"email": "member@example.invalid"})
    assert len(mailoutbox) == 1 and "/accounts/password/reset/key/" in mailoutbox[0].body


def test_five_wrong_passwords_lock_the_account_even_with_the_right_one_after(client, settings):
    verified_user()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("account_login"), {"login": "member@example.invalid", "password": "wrong-password"})
    response = client.post(reverse("account_login"), {"login": "member@example.invalid", "password": "Fund-pool-2026!"})
    assert response.status_code in (403, 429)
    assert "尝试次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_admin_login_is_locked_out_too(client, settings):
    verified_user(email="boss@example.invalid")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        admin_login(client, "boss", "nope")
    response = admin_login(client, "boss", "Fund-pool-2026!")
    assert response.status_code in (403, 429)
    assert "_auth_user_id" not in client.session


def admin_login(client, username, password):
    """Signing in at the admin's login page, by username: the page it leads to (the site's own,
    which asks for the second factor too)."""
    page = client.get(reverse("wagtailadmin_login"))
    assert page.status_code == 302
    return client.post(page["Location"], {"login": username, "password": password})


def site_login(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_a_lockout_by_email_holds_at_the_admin_login_by_username(client, settings):
    verified_user(email="boss@example.invalid")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        site_login(client, "boss@example.invalid", "wrong-password")
    admin_login(client, "boss", "Fund-pool-2026!")
    assert "_auth_user_id" not in client.session


def test_a_lockout_by_username_holds_at_the_site_login_by_email(client, settings):
    verified_user(email="boss@example.invalid")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        admin_login(client, "boss", "wrong-password")
    response = site_login(client, "BOSS@example.invalid", "Fund-pool-2026!")
    assert "尝试次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session
