"""The auditor's dossier of one project: a ZIP made by a background job, kept with its SHA-256."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from grants.models.applications import Application
from grants.models.common import _private_storage


class DossierStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class ProjectDossier(models.Model):
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="dossiers")
    status = models.CharField(_("status"), max_length=10, choices=DossierStatus.choices, default=DossierStatus.QUEUED)
    file = models.FileField(_("file"), upload_to="grants/dossiers/%Y/", storage=_private_storage, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("project dossier")
        verbose_name_plural = _("project dossiers")

    def __str__(self):
        return f"{self.application_id} {self.created_at:%Y-%m-%d %H:%M}"
