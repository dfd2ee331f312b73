from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """What every app uses and no app owns: uploads judged by their bytes (one image re-encoder),
    the registries of audit actions and system-written texts, rate limits, server-drawn charts and
    PDF rendering. It imports nothing of the other apps; they register what is theirs here."""

    name = "core"
    verbose_name = _("Common")
