"""The second factor (django-allauth's MFA: an authenticator app's code, and recovery codes) and
who must use it: MFA_REQUIRED_ROLES, empty in development and tests, finance and superusers in
production. config.middleware.MFARequiredMiddleware sends such a person to set it up."""

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.base import forms as mfa_forms
from django import forms
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _


def mfa_required(user) -> bool:
    """Whether `user` must sign in with a second factor: they hold one of MFA_REQUIRED_ROLES
    ("superuser", or a role of cms/roles.py such as "finance")."""
    from .roles import ROLES

    wanted = set(settings.MFA_REQUIRED_ROLES)
    if not wanted or not user.is_authenticated:
        return False
    if "superuser" in wanted and user.is_superuser:
        return True
    names = [ROLES[key][0] for key in wanted if key in ROLES]
    return bool(names) and user.groups.filter(name__in=names).exists()


def has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


class MFAAdapter(DefaultMFAAdapter):
    """Someone who must use a second factor cannot switch it off; a lost phone is what the
    recovery codes are for."""

    def can_delete_authenticator(self, authenticator) -> bool:
        return not mfa_required(authenticator.user)


class WrongCodeLimit:
    """The code step counts wrong codes per account, as django-axes counts wrong passwords
    (allauth's own limit on it shares the `login_failed` limit, which is off here so that axes is
    the one lockout): after AXES_FAILURE_LIMIT wrong codes the account's code step is closed for
    AXES_COOLOFF_TIME, recovery codes included."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Authenticator codes and allauth's recovery codes are all digits: a phone shows its keypad.
        self.fields["code"].widget.attrs.update(inputmode="numeric", autocomplete="one-time-code")

    def clean_code(self):
        key = f"mfa:wrong-codes:{self.user.pk}"
        minutes = round(settings.AXES_COOLOFF_TIME * 60)
        if (cache.get(key) or 0) >= settings.AXES_FAILURE_LIMIT:
            raise forms.ValidationError(
                _("Too many wrong codes. Try again in %(minutes)d minutes.") % {"minutes": minutes}, code="locked"
            )
        try:
            code = super().clean_code()
        except forms.ValidationError:
            if not cache.add(key, 1, minutes * 60):
                cache.incr(key)
            raise
        cache.delete(key)
        return code


class AuthenticateForm(WrongCodeLimit, mfa_forms.AuthenticateForm):
    """The code after the password (MFA_FORMS["authenticate"])."""


class ReauthenticateForm(WrongCodeLimit, mfa_forms.ReauthenticateForm):
    """The code asked again before a sensitive change (MFA_FORMS["reauthenticate"])."""
