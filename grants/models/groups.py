"""Resident groups, filed (备案) or registered, their members and invitations."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.text import clean_name, name_key
from core.uploads import GeneratedName
from grants.models.calls import Community
from grants.models.common import FilingStatus, GroupType, MemberRole, _private_storage
from grants.validators import normalise_phone, validate_credit_code, validate_phone


class ResidentGroup(models.Model):
    """申报主体: a resident group (filed with the sub-district) or a registered organisation."""

    name = models.CharField(_("group name"), max_length=100)
    # The name as uniqueness sees it (core.text.name_key): look-alikes share one key.
    name_key = models.CharField(max_length=300, editable=False, default="")
    group_type = models.CharField(_("type"), max_length=20, choices=GroupType.choices)
    community = models.ForeignKey(
        Community, verbose_name=_("community"), on_delete=models.PROTECT, related_name="groups"
    )
    leader_name = models.CharField(_("leader's name"), max_length=50)
    leader_phone = models.CharField(_("leader's phone"), max_length=30, validators=[validate_phone])
    member_count = models.PositiveSmallIntegerField(_("number of members"))
    member_list = models.TextField(_("members"), help_text=_("One member per line: name and building/unit."))
    introduction = models.TextField(_("what the group does"), blank=True)
    charter = models.FileField(
        _("charter"), upload_to=GeneratedName("grants/charters/%Y/%m/"), storage=_private_storage, blank=True
    )
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, validators=[validate_credit_code]
    )
    filing_status = models.CharField(
        _("filing"), max_length=20, choices=FilingStatus.choices, default=FilingStatus.PENDING
    )
    filing_number = models.CharField(_("filing number"), max_length=50, blank=True)
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    filing_note = models.TextField(_("note from staff"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["community__name", "name"]
        verbose_name = _("resident group")
        verbose_name_plural = _("resident groups")
        permissions = [("file_residentgroup", "Can file (备案) resident groups")]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "name_key"],
                name="group_unique_name_in_community",
                violation_error_message=_("A group with this name is already registered in this community."),
            ),
            models.UniqueConstraint(
                fields=["credit_code"], condition=~Q(credit_code=""), name="group_unique_credit_code"
            ),
            models.UniqueConstraint(
                fields=["filing_number"], condition=~Q(filing_number=""), name="group_unique_filing_number"
            ),
            models.CheckConstraint(
                name="group_filed_has_number",
                condition=~Q(filing_status="filed") | (~Q(filing_number="") & Q(filed_on__isnull=False)),
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # Every write keeps the key in step with the name, whichever path made it.
        self.name_key = name_key(self.name)[: self._meta.get_field("name_key").max_length]
        if kwargs.get("update_fields") is not None and "name" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_key"}
        super().save(*args, **kwargs)

    @property
    def is_filed(self) -> bool:
        return self.filing_status == FilingStatus.FILED

    def clean(self):
        # Before any uniqueness check: a look-alike name is the name it looks like.
        self.name, self.leader_name = clean_name(self.name), clean_name(self.leader_name)
        self.name_key = name_key(self.name)
        try:
            self.leader_phone = normalise_phone(self.leader_phone)
        except ValidationError:
            pass  # the field's validator says what to type
        errors = {}
        if not self.name:
            errors["name"] = _("Give the group's name.")
        elif len(self.name_key) > self._meta.get_field("name_key").max_length:
            errors["name"] = _("This name is too long.")
        elif (
            self.community_id
            and ResidentGroup.objects.filter(community_id=self.community_id, name_key=self.name_key)
            .exclude(pk=self.pk)
            .exists()
        ):
            # Said here, beside the name, on every form (the key itself is on none of them); the
            # database constraint still decides between two registrations at the same moment.
            errors["name"] = _("A group with this name is already registered in this community.")
        if self.group_type == GroupType.REGISTERED and not self.credit_code:
            errors["credit_code"] = _("A registered organisation gives its unified social credit code.")
        if self.group_type != GroupType.REGISTERED and self.member_count is not None and self.member_count < 3:
            errors["member_count"] = _("A resident group needs at least 3 organisers or 10 members.")
        if errors:
            raise ValidationError(errors)


class GroupMembership(models.Model):
    group = models.ForeignKey(ResidentGroup, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_memberships")
    role = models.CharField(_("role"), max_length=10, choices=MemberRole.choices, default=MemberRole.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="membership_unique")]

    def __str__(self):
        return f"{self.user} @ {self.group}"


def _invitation_token() -> str:
    return secrets.token_urlsafe(32)


class GroupInvitation(models.Model):
    group = models.ForeignKey(ResidentGroup, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email"))
    token = models.CharField(max_length=64, unique=True, default=_invitation_token)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Cancelled by the group's leader before anyone accepted it: kept, with who and when.
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    INVITATION_DAYS = 14

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} → {self.group}"

    @property
    def expired(self) -> bool:
        return timezone.now() > self.created_at + timedelta(days=self.INVITATION_DAYS)

    @property
    def problem(self) -> str:
        """Why this invitation can no longer be accepted, or "" while it can."""
        if self.accepted_at is not None:
            return _("This invitation has already been used.")
        if self.cancelled_at is not None:
            return _("This invitation was cancelled by the group's leader.")
        if self.expired:
            return _("This invitation has expired; ask for a new one.")
        return ""
