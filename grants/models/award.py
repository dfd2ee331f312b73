"""The public notice's objections (with their statements and digests), the agreement, and tranches."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db import models
from django.db.models import Q
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from core.uploads import GeneratedName
from fundpool.models import MONEY
from grants.models.applications import Application
from grants.models.common import ContactMethod, ObjectionStatus, TrancheStatus, TrancheTrigger, _private_storage

_REFERENCE_LETTERS = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # nothing that reads as another (0/O, 1/I/L)


def objection_reference() -> str:
    """A new objection reference such as "YY-7K3M9Q2H": random, so it tells nothing of how many
    objections there are, and easy to read out on the phone."""
    import secrets

    return "YY-" + "".join(secrets.choice(_REFERENCE_LETTERS) for _ in range(8))


class ObjectionDigest(models.Model):
    """One email to the fund's deciders listing the objections received since the last one; each
    objection is in one digest at most (`Objection.digest`)."""

    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("objection digest")
        verbose_name_plural = _("objection digests")

    def __str__(self):
        return f"#{self.pk} {self.sent_at:%Y-%m-%d %H:%M}"


class Objection(models.Model):
    """A written, signed objection to a proposed award. Who wrote it stays confidential.

    One per contact and notice: a later statement from the same contact (normalised, `contact_key`)
    is kept with it as an `ObjectionStatement`. It holds up the award only once its contact is
    confirmed: an email address by the link sent to it, a phone number by staff, who call it and
    check the code the objector was shown (`phone_code`)."""

    CONFIRM_SALT = "grants.objection.confirm"
    CONFIRM_MAX_AGE = 60 * 24 * 3600  # seconds; the notice it belongs to must still run, too

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="objections")
    name = models.CharField(_("your real name"), max_length=50)
    contact = models.CharField(_("phone or email"), max_length=100)
    contact_method = models.CharField(_("confirmed by"), max_length=10, choices=ContactMethod.choices, blank=True)
    contact_key = models.CharField(max_length=100, blank=True, db_index=True)
    # Which notice of the application it was filed during (an award may go on notice again).
    notice_starts_at = models.DateTimeField(null=True, blank=True)
    text = models.TextField(_("the objection"))
    status = models.CharField(
        _("status"), max_length=20, choices=ObjectionStatus.choices, default=ObjectionStatus.PENDING
    )
    confirmed_at = models.DateTimeField(_("contact confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    digest = models.ForeignKey(
        ObjectionDigest, null=True, blank=True, on_delete=models.PROTECT, related_name="objections"
    )
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)
    # The objector's reference (shown to them, said on the phone) and staff's answer, which appears
    # on their private page (`page_token`); neither is public.
    reference = models.CharField(_("reference"), max_length=12, unique=True, null=True, blank=True)
    reply = models.TextField(_("answer to the objector"), blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "notice_starts_at", "contact_key"],
                condition=~Q(contact_key=""),
                name="objection_one_per_contact_and_notice",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} → {self.application}"

    def save(self, *args, **kwargs):
        if not self.reference:
            self.reference = objection_reference()
        super().save(*args, **kwargs)

    @property
    def awaits_phone_check(self) -> bool:
        return self.status == ObjectionStatus.PENDING and self.contact_method == ContactMethod.PHONE

    def confirm_token(self) -> str:
        """The signed token in the link emailed to the objector."""
        return signing.dumps([self.pk, self.contact_key], salt=self.CONFIRM_SALT)

    @classmethod
    def for_token(cls, token: str) -> Objection | None:
        try:
            pk, key = signing.loads(str(token)[:400], salt=cls.CONFIRM_SALT, max_age=cls.CONFIRM_MAX_AGE)
        except (signing.BadSignature, ValueError, TypeError):
            return None
        return cls.objects.select_related("application").filter(pk=pk, contact_key=key).first()

    PAGE_SALT = "grants.objection.page"

    def page_token(self) -> str:
        """The signed token of the objector's private page (no expiry: the answer may come late)."""
        return signing.dumps([self.pk, self.reference], salt=self.PAGE_SALT)

    @classmethod
    def for_page_token(cls, token: str) -> Objection | None:
        try:
            pk, reference = signing.loads(str(token)[:400], salt=cls.PAGE_SALT)
        except (signing.BadSignature, ValueError, TypeError):
            return None
        if not reference:
            return None
        return cls.objects.select_related("application").filter(pk=pk, reference=reference).first()

    def phone_code(self) -> str:
        """The six digits the objector is shown and reads out when staff call. Derived with the
        site's secret, so it is never stored and the same contact sees the same code again."""
        digest = salted_hmac("grants.objection.phone", f"{self.pk}:{self.contact_key}").hexdigest()
        return f"{int(digest, 16) % 1_000_000:06d}"


class ObjectionStatement(models.Model):
    """A later statement from the same contact on the same notice, kept with the first objection."""

    objection = models.ForeignKey(Objection, on_delete=models.PROTECT, related_name="statements")
    name = models.CharField(_("name given"), max_length=50)
    text = models.TextField(_("statement"))
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("further statement")
        verbose_name_plural = _("further statements")

    def __str__(self):
        return f"#{self.objection_id}: {self.created_at:%Y-%m-%d %H:%M}"


class Agreement(models.Model):
    """The grant agreement as signed: its terms frozen, with their hash."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="agreement")
    number = models.CharField(_("agreement number"), max_length=40, unique=True)
    terms = models.JSONField(_("terms"))
    content_hash = models.CharField(_("content hash (SHA-256)"), max_length=64)
    signed_on = models.DateField(_("signed on"))
    # The document as rendered once, right after signing, and served unchanged ever after.
    pdf = models.FileField(
        _("agreement (PDF)"), upload_to="grants/agreements/%Y/", storage=_private_storage, blank=True
    )
    pdf_sha256 = models.CharField(_("PDF hash (SHA-256)"), max_length=64, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # How the signature was given: the signed paper's scan, uploaded by staff, or the group's leader
    # confirming the draft in the site (`consent`: when, by whom, which terms).
    scan = models.FileField(
        _("signed scan"), upload_to=GeneratedName("grants/agreements/signed/%Y/"), storage=_private_storage, blank=True
    )
    scan_content_type = models.CharField(max_length=100, blank=True)
    consent = models.ForeignKey(
        "grants.AgreementConsent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("grant agreement")
        verbose_name_plural = _("grant agreements")

    def __str__(self):
        return self.number


class Tranche(models.Model):
    """One instalment of an award, from the call's plan, paid through the fund pool."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="tranches")
    number = models.PositiveSmallIntegerField()
    share = models.DecimalField(_("share (%)"), max_digits=5, decimal_places=2)
    amount = models.DecimalField(_("amount"), **MONEY)
    trigger = models.CharField(_("paid when"), max_length=10, choices=TrancheTrigger.choices)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=TrancheStatus.choices, default=TrancheStatus.PLANNED)
    payment_reference = models.CharField(_("payment reference"), max_length=100, null=True, blank=True, unique=True)
    # What was paid: the planned amount, or less for a final tranche when the group spent less.
    paid_amount = models.DecimalField(_("amount paid"), null=True, blank=True, **MONEY)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application", "number"]
        constraints = [
            models.UniqueConstraint(fields=["application", "number"], name="tranche_unique_number"),
            models.CheckConstraint(name="tranche_amount_positive", condition=Q(amount__gt=0)),
        ]

    def __str__(self):
        return f"{self.application} #{self.number}: {self.amount}"
