from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_schedules(sender, **kwargs):
    from .jobs import schedules_sync

    schedules_sync()


class CoreConfig(AppConfig):
    """What every app uses and no app owns: uploads judged by their bytes (one image re-encoder),
    the registries of audit actions and system-written texts, background jobs and the outbox that
    every email goes through, rate limits, server-drawn charts and PDF rendering. It imports nothing
    of the other apps; they register what is theirs here."""

    name = "core"
    verbose_name = _("Common")

    def ready(self):
        # After every migrate, the job schedules match the settings wherever the site runs.
        post_migrate.connect(_sync_schedules, sender=self)
