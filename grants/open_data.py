"""Every award as 360Giving open data (schema 1.4). Public facts only: the project, the group (by
name, with its credit code or our own identifier), amounts, dates, the call, the theme and the
community. No person is named: no leader, member, phone, objector or donor."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from fundpool.ledger.selectors import paid_by_reference

from .lifecycle import Status
from .models import Application

# Awards the fund has confirmed (proposals still on public notice are not yet awards).
AWARDED = [Status.AWARDED, Status.IN_DELIVERY, Status.REPORTING, Status.COMPLETED, Status.TERMINATED]


def prefix() -> str:
    return settings.OPEN_DATA_PREFIX


def grant_id(application: Application) -> str:
    return f"360G-{prefix()}-{application.pk}"


def recipient_id(group) -> str:
    # Registered organisations by their unified social credit code; filed groups by our own reference.
    if group.credit_code:
        return f"CN-USC-{group.credit_code}"
    return f"360G-{prefix()}-group-{group.pk}"


def _number(amount: Decimal):
    """A JSON number, as the 360Giving schema requires (a string is invalid). Whole amounts are ints;
    otherwise the float's shortest repr must read back as exactly the same Decimal, or we refuse
    rather than publish a rounded amount (it always does for money of up to 15 significant digits)."""
    if amount == amount.to_integral_value():
        return int(amount)
    number = float(amount)
    if Decimal(repr(number)) != amount:
        raise ValueError(f"{amount} cannot be written exactly as a JSON number")
    return number


def _midnight(day) -> str:
    from datetime import datetime, time

    return timezone.make_aware(datetime.combine(day, time.min)).isoformat()


def awards():
    return (
        Application.objects.filter(status__in=AWARDED, awarded_amount__isnull=False)
        .select_related("call", "group__community__sub_district", "problem__theme", "agreement")
        .order_by("pk")
    )


def grants_360(*, base_url: str = "") -> list[dict]:
    """One 360Giving grant record per award, in three queries whatever the number of awards."""
    rows = list(awards())
    paid = paid_by_reference(a.reference for a in rows)
    fund = {"id": f"360G-{prefix()}", "name": settings.WAGTAIL_SITE_NAME}
    out = []
    for a in rows:
        # A date-time, not a bare date: the schema's awardDate is oneOf(date pattern, date-time), and
        # a bare date matches both when formats go unchecked.
        agreement = getattr(a, "agreement", None)
        if agreement is not None:
            awarded_at = _midnight(agreement.signed_on)  # the date the grant was made binding
        else:
            awarded_at = timezone.localtime(a.notice_ends_at or a.updated_at).replace(microsecond=0).isoformat()
        group = a.group
        record = {
            "id": grant_id(a),
            "title": a.title,
            "description": a.summary or a.title,
            "currency": settings.FUNDPOOL_CURRENCY,
            "amountAppliedFor": _number(a.requested_amount),
            "amountAwarded": _number(a.awarded_amount),
            "amountDisbursed": _number(paid.get(a.reference, Decimal("0"))),
            "awardDate": awarded_at,
            "fundingOrganization": [fund],
            "recipientOrganization": [
                {
                    "id": recipient_id(group),
                    "name": group.name,
                    "location": [{"name": group.community.name, "countryCode": "CN"}],
                }
            ],
            "beneficiaryLocation": [
                {"name": f"{group.community.sub_district.name}{group.community.name}", "countryCode": "CN"}
            ],
            "grantProgramme": [{"code": a.call.slug, "title": a.call.title}],
            "fromOpenCall": "Yes",
            "dateModified": timezone.localtime(a.updated_at).isoformat(timespec="seconds"),
        }
        if a.problem_id:
            record["classifications"] = [
                {"vocabulary": f"{prefix()}-themes", "code": a.problem.theme.code, "title": a.problem.theme.name}
            ]
        if agreement is not None:
            planned = {"startDate": _midnight(agreement.signed_on)}
            if a.final_due_on:
                planned["endDate"] = _midnight(a.final_due_on)
            record["plannedDates"] = [planned]
        if base_url:
            record["dataSource"] = f"{base_url}/open-data/360giving.json"
        out.append(record)
    return out


def package_360(*, base_url: str = "") -> dict:
    now = timezone.localtime()
    return {
        "grants": grants_360(base_url=base_url),
        "version": "1.4",
        "title": f"{settings.WAGTAIL_SITE_NAME} · 360Giving",
        "issued": now.isoformat(timespec="seconds"),
        "modified": now.isoformat(timespec="seconds"),
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "publisher": {"name": settings.WAGTAIL_SITE_NAME, "identifier": f"360G-{prefix()}"},
    }


CSV_COLUMNS = [
    ("Identifier", lambda g: g["id"]),
    ("Title", lambda g: g["title"]),
    ("Description", lambda g: g["description"]),
    ("Currency", lambda g: g["currency"]),
    ("Amount Applied For", lambda g: g["amountAppliedFor"]),
    ("Amount Awarded", lambda g: g["amountAwarded"]),
    ("Amount Disbursed", lambda g: g["amountDisbursed"]),
    ("Award Date", lambda g: g["awardDate"]),
    ("Planned Dates:Start Date", lambda g: (g.get("plannedDates") or [{}])[0].get("startDate", "")),
    ("Planned Dates:End Date", lambda g: (g.get("plannedDates") or [{}])[0].get("endDate", "")),
    ("Recipient Org:Identifier", lambda g: g["recipientOrganization"][0]["id"]),
    ("Recipient Org:Name", lambda g: g["recipientOrganization"][0]["name"]),
    ("Funding Org:Identifier", lambda g: g["fundingOrganization"][0]["id"]),
    ("Funding Org:Name", lambda g: g["fundingOrganization"][0]["name"]),
    ("Grant Programme:Code", lambda g: g["grantProgramme"][0]["code"]),
    ("Grant Programme:Title", lambda g: g["grantProgramme"][0]["title"]),
    ("Beneficiary Location:Name", lambda g: g["beneficiaryLocation"][0]["name"]),
    ("Beneficiary Location:Country Code", lambda g: g["beneficiaryLocation"][0]["countryCode"]),
    ("Classifications:Code", lambda g: (g.get("classifications") or [{}])[0].get("code", "")),
    ("Classifications:Title", lambda g: (g.get("classifications") or [{}])[0].get("title", "")),
    ("Last Modified", lambda g: g["dateModified"]),
]
