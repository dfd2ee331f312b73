"""allauth's emails (confirm your address, reset your password, unknown or existing account) with
their links on the site's address, SITE_BASE_URL, as every other email of the site: allauth makes
them from the request (`request.build_absolute_uri`), whose host may be a proxy's or runserver's."""

from types import SimpleNamespace

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings

from core.site import site_url


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # Every link allauth hands its templates is named *_url (activate_url, password_reset_url,
        # signup_url); the site it greets from ("Hello from …", "Thank you for using …") is ours.
        context = {
            **{k: site_url(v) if k.endswith("_url") and isinstance(v, str) and v else v for k, v in context.items()},
            "current_site": SimpleNamespace(name=settings.WAGTAIL_SITE_NAME, domain=site_url()),
        }
        super().send_mail(template_prefix, email, context)
