"""Grants: calls, resident groups, applications and their lifecycle (built out issue by issue).

For now: the places a fund serves, which calls, groups and open data refer to."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SubDistrict(models.Model):
    """街道: the level at which unregistered groups are filed."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    district = models.CharField(_("district"), max_length=100, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("sub-district")
        verbose_name_plural = _("sub-districts")

    def __str__(self):
        return self.name


class Community(models.Model):
    """社区: a residents' committee area."""

    sub_district = models.ForeignKey(SubDistrict, on_delete=models.PROTECT, related_name="communities")
    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=50, unique=True)

    class Meta:
        ordering = ["sub_district__name", "name"]
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        constraints = [models.UniqueConstraint(fields=["sub_district", "name"], name="community_unique_name")]

    def __str__(self):
        return self.name
