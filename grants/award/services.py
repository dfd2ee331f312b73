"""The public notice (公示) and its objections: filed, confirmed by the objector, merged per contact, digested for staff, decided; notices closed when they end."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _

from core import audit
from grants import lifecycle, notify, system_reasons
from grants.common import MAX_TEXT, GrantsError, acting_user
from grants.models import (
    Application,
    ContactMethod,
    Objection,
    ObjectionDigest,
    ObjectionStatement,
    ObjectionStatus,
)
from grants.transitions import application_transition

# Further statements one contact may add to one objection (each up to MAX_TEXT characters).
MAX_STATEMENTS = 20


_PHONE_SEPARATORS = re.compile(r"[\s\-–—()（）.]")


_MOBILE = re.compile(r"1[3-9][0-9]{9}")


_LANDLINE = re.compile(r"0[1-9][0-9]{8,10}")  # area code and number


@dataclass
class ObjectionFiled:
    """What the objector is told: their objection (a new one, or the earlier one from the same
    contact that this statement was added to) and, while a phone number waits for staff's call,
    the code to read out to them."""

    objection: Objection
    merged: bool
    code: str = ""


def objection_contact(contact: str) -> tuple[str, str] | None:
    """(method, key) for a mobile number, a landline with its area code or an email address; None
    for anything else. The key is what makes two contacts the same: full-width characters, spaces,
    dashes, brackets, a +86 prefix and the email's letter case do not count."""
    value = unicodedata.normalize("NFKC", contact or "").strip()
    if "@" in value:
        try:
            validate_email(value)
        except ValidationError:
            return None
        return ContactMethod.EMAIL, value.lower()
    digits = _PHONE_SEPARATORS.sub("", value)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
            break
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return ContactMethod.PHONE, digits
    return None


@transaction.atomic
def objection_submit(*, application: Application, name: str, contact: str, text: str) -> ObjectionFiled:
    """A signed objection to a proposed award, during the notice period only. A second one from the
    same contact to the same notice is kept with the first as a further statement: no new
    objection, no new email. A new one holds up the award only once its contact is confirmed: an
    email address by the link sent to it, a phone number by staff, who call it and check the code
    the objector is shown."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status != lifecycle.Status.ON_NOTICE or application.notice_ends_at is None:
        raise GrantsError(_("This award is not on public notice."))
    if timezone.now() >= application.notice_ends_at:
        raise GrantsError(_("The public notice for this award has ended; objections are no longer accepted."))
    name, contact, text = (name or "").strip(), (contact or "").strip(), (text or "").strip()
    method_key = objection_contact(contact) if contact else None
    errors = []
    if not name:
        errors.append(_("Give your real name: anonymous objections are not accepted. It stays confidential."))
    if not contact:
        errors.append(_("Give a phone number or email so the fund can reply. It stays confidential."))
    elif method_key is None:
        errors.append(
            _(
                "Give a mobile number, a landline with its area code, or an email address, so that the fund "
                "can confirm the objection is yours. It stays confidential."
            )
        )
    if not text:
        errors.append(_("Say what the objection is."))
    if errors:
        raise GrantsError(*errors)
    method, key = method_key
    earlier = (
        Objection.objects.select_for_update()
        .filter(application=application, notice_starts_at=application.notice_starts_at, contact_key=key)
        .first()
    )
    if earlier is not None:
        if earlier.statements.count() >= MAX_STATEMENTS:
            raise GrantsError(
                _("The fund already has many statements from this contact on this award; staff will contact you.")
            )
        ObjectionStatement.objects.create(objection=earlier, name=name[:50], text=text[:MAX_TEXT])
        return ObjectionFiled(earlier, merged=True, code=earlier.phone_code() if earlier.awaits_phone_check else "")
    objection = Objection.objects.create(
        application=application,
        name=name[:50],
        contact=contact[:100],
        contact_method=method,
        contact_key=key,
        notice_starts_at=application.notice_starts_at,
        text=text[:MAX_TEXT],
    )
    if method == ContactMethod.EMAIL:
        transaction.on_commit(lambda: notify.objection_confirm_link(objection))
        return ObjectionFiled(objection, merged=False)
    return ObjectionFiled(objection, merged=False, code=objection.phone_code())


def _objection_confirm(objection: Objection, by) -> Objection:
    objection = Objection.objects.select_for_update(of=("self",)).select_related("application").get(pk=objection.pk)
    if objection.status == ObjectionStatus.OPEN:
        return objection  # confirmed already (a second click on the link)
    if objection.status != ObjectionStatus.PENDING:
        raise GrantsError(_("This objection has already been decided."))
    application = objection.application
    if application.status != lifecycle.Status.ON_NOTICE or application.notice_starts_at != objection.notice_starts_at:
        raise GrantsError(_("The public notice this objection was made to is over; it can no longer be confirmed."))
    objection.status, objection.confirmed_at, objection.confirmed_by = (
        ObjectionStatus.OPEN,
        timezone.now(),
        acting_user(by),
    )
    objection.save(update_fields=["status", "confirmed_at", "confirmed_by"])
    return objection


@transaction.atomic
def objection_confirm(*, token: str) -> Objection:
    """The objector opened the link emailed to them and confirmed: the objection now holds up the award."""
    objection = Objection.for_token(token)
    if objection is None:
        raise GrantsError(_("This confirmation link is not valid."))
    return _objection_confirm(objection, by=None)


@transaction.atomic
def objection_verify(*, objection: Objection, actor, code: str) -> Objection:
    """Staff phoned the number the objector gave and were told the code the objector was shown."""
    if not (actor and actor.has_perm("grants.decide_application")):
        raise GrantsError(_("You may not confirm objections."))
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    if objection.contact_method != ContactMethod.PHONE:
        raise GrantsError(_("This objection gave no phone number to check."))
    if objection.status != ObjectionStatus.PENDING:
        raise GrantsError(_("This objection's contact is confirmed already, or the objection is decided."))
    if not constant_time_compare((code or "").strip()[:20], objection.phone_code()):
        raise GrantsError(_("That is not the code this objector was shown; ask them to read it out again."))
    objection = _objection_confirm(objection, by=actor)
    audit.record(objection, "grants.objection_verify", by=actor)
    return objection


@transaction.atomic
def objection_resolve(*, objection: Objection, actor, uphold: bool, reason: str) -> Objection:
    """Staff dismiss an objection, or uphold it: the proposed award goes back to decision and its
    money back to the pool."""
    if not (actor and actor.has_perm("grants.decide_application")):
        raise GrantsError(_("You may not resolve objections."))
    objection = Objection.objects.select_for_update().select_related("application").get(pk=objection.pk)
    if objection.status == ObjectionStatus.PENDING:
        raise GrantsError(_("This objection's contact is not confirmed yet; confirm it or dismiss it as not genuine."))
    if objection.status != ObjectionStatus.OPEN:
        raise GrantsError(_("This objection has already been resolved."))
    reason = (reason or "").strip()
    if not reason:
        raise GrantsError(_("Give the reason for the decision; it is kept with the objection."))
    if uphold:
        objection.status = ObjectionStatus.UPHELD
        objection.resolution, objection.resolved_by, objection.resolved_at = reason, acting_user(actor), timezone.now()
        objection.save()
        application_transition(application=objection.application, name="uphold_objection", user=actor, reason=reason)
    else:
        objection.status = ObjectionStatus.DISMISSED
        objection.resolution, objection.resolved_by, objection.resolved_at = reason, acting_user(actor), timezone.now()
        objection.save()
    audit.record(objection, "grants.objection_resolve", by=actor, outcome=objection.status, reason=reason)
    return objection


@transaction.atomic
def objection_dismiss_not_genuine(*, application: Application, objection_ids, actor, reason: str) -> int:
    """Staff dismiss undecided objections to one award as not genuine (a flood, made-up contacts),
    all at once. The reason is kept with each, and each is in the audit log."""
    if not (actor and actor.has_perm("grants.decide_application")):
        raise GrantsError(_("You may not resolve objections."))
    reason = (reason or "").strip()[:2000]
    if not reason:
        raise GrantsError(_("Give the reason; it is kept with each objection."))
    ids = {int(i) for i in objection_ids if str(i).isdecimal() and len(str(i)) < 19}
    chosen = list(
        Objection.objects.select_for_update()
        .filter(application=application, pk__in=ids, status__in=[ObjectionStatus.PENDING, ObjectionStatus.OPEN])
        .order_by("pk")
    )
    if not chosen:
        raise GrantsError(_("Choose the objections to dismiss."))
    now = timezone.now()
    for objection in chosen:
        objection.status, objection.resolution = ObjectionStatus.NOT_GENUINE, reason
        objection.resolved_by, objection.resolved_at = acting_user(actor), now
        objection.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
        audit.record(objection, "grants.objection_dismiss", by=actor, reason=reason)
    return len(chosen)


@transaction.atomic
def objection_digest_send() -> ObjectionDigest | None:
    """Email the fund's deciders one list of the objections they have not been told of: those
    confirmed, and those waiting for staff to phone. Each is in one digest only (the digest it was
    sent in is recorded on it); run on a schedule with close_notices. Names, contacts and what the
    objectors wrote stay in the system."""
    due = Objection.objects.filter(digest__isnull=True).filter(
        Q(status=ObjectionStatus.OPEN) | Q(status=ObjectionStatus.PENDING, contact_method=ContactMethod.PHONE)
    )
    if not due.exists():
        return None
    digest = ObjectionDigest.objects.create()
    # One UPDATE claims them: a run at the same time claims only what this one did not.
    if not due.update(digest=digest):
        digest.delete()
        return None
    objections = list(digest.objections.select_related("application").order_by("application_id", "pk"))
    recipients = notify.decider_emails()
    digest.recipients = len(recipients)
    digest.save(update_fields=["recipients"])
    transaction.on_commit(lambda: notify.objection_digest(objections, recipients))
    return digest


def notices_close(*, now=None) -> list[Application]:
    """Confirm every award whose notice period is over with no open objection (scheduled)."""
    now = now or timezone.now()
    confirmed = []
    due = Application.objects.filter(status=lifecycle.Status.ON_NOTICE, notice_ends_at__lte=now).order_by("pk")
    for application in due:
        if application.has_open_objection():
            continue
        try:
            # The lifecycle checks "notice period over" as of the same moment the choice was made.
            with lifecycle.as_of(now):
                confirmed.append(
                    application_transition(
                        application=application,
                        name="confirm_award",
                        user=None,
                        system=True,
                        reason=system_reasons.encode("grants.notice_ended"),
                    )
                )
        except GrantsError:
            continue  # changed meanwhile; the next run looks again
    return confirmed


@transaction.atomic
def objection_reply(*, objection: Objection, actor, text: str) -> Objection:
    """Staff's answer to the objector, shown on the objector's private page (and emailed to them
    when they gave an email address). Nothing of it is public."""
    if not (actor and actor.has_perm("grants.decide_application")):
        raise GrantsError(_("You may not answer objections."))
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise GrantsError(_("Write the answer before sending."))
    if len(text) > MAX_TEXT:
        raise GrantsError(_("The answer holds at most %(n)s characters.") % {"n": MAX_TEXT})
    objection = Objection.objects.select_for_update().select_related("application").get(pk=objection.pk)
    objection.reply, objection.replied_at, objection.replied_by = text, timezone.now(), acting_user(actor)
    objection.save(update_fields=["reply", "replied_at", "replied_by"])
    audit.record(objection, "grants.objection_reply", by=actor)
    if objection.contact_method == ContactMethod.EMAIL:
        transaction.on_commit(lambda: notify.objection_answered(objection))
    return objection


@transaction.atomic
def agreement_conditions_set(*, application: Application, actor, conditions: str) -> Application:
    """Staff set the special conditions of the draft agreement, before the group confirms it."""
    if not (actor and actor.has_perm("grants.manage_delivery")):
        raise GrantsError(_("You may not change the agreement."))
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status != lifecycle.Status.AWARDED:
        raise GrantsError(_("The agreement is signed already; change it by an amendment."))
    conditions = (conditions or "").replace("\r\n", "\n").strip()
    if len(conditions) > 5000:
        raise GrantsError(_("At most %(n)s characters.") % {"n": 5000})
    application.agreement_conditions = conditions
    application.save(update_fields=["agreement_conditions", "updated_at"])
    return application


@transaction.atomic
def agreement_confirm(*, application: Application, user, terms_hash_seen: str):
    """The group's leader confirms the draft agreement in the site: the time, the account and the
    hash of the terms they were shown are recorded. Staff then record the signing with it."""
    from grants.award.agreement import agreement_terms, terms_hash
    from grants.models import AgreementConsent, MemberRole

    application = Application.objects.select_for_update().select_related("group").get(pk=application.pk)
    if not application.group.memberships.filter(user=user, role=MemberRole.LEADER).exists():
        raise GrantsError(_("Only the group's leader signs the agreement."))
    if application.status != lifecycle.Status.AWARDED:
        raise GrantsError(_("There is no agreement waiting to be signed."))
    current = terms_hash(agreement_terms(application, application.agreement_conditions))
    if terms_hash_seen != current:
        raise GrantsError(_("The draft changed while you were reading it; read it again and confirm."))
    return AgreementConsent.objects.create(application=application, user=user, terms_hash=current)
