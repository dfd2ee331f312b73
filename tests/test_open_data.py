"""Open data: every award in the 360Giving format, valid against the standard's schema (offline),
with amounts from the ledger and no personal data."""

import csv
import io
import json
from pathlib import Path

import pytest
from django.utils import timezone
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from grants import transitions
from grants.lifecycle import Status
from grants.models import Objection

from .factories import ApplicationFactory, GroupFactory
from .grants.conftest import put_in_state

pytestmark = pytest.mark.django_db
SCHEMAS = Path(__file__).resolve().parent / "fixtures" / "360giving"
GRANT_URL = "https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.2/schema/360-giving-schema.json"


def validator():
    grant = json.loads((SCHEMAS / "360-giving-schema.json").read_text())
    package = json.loads((SCHEMAS / "360-giving-package-schema.json").read_text())
    registry = Registry().with_resource(GRANT_URL, Resource(contents=grant, specification=DRAFT202012))
    return Draft202012Validator(package, registry=registry)


@pytest.fixture
def awards(staff):
    filed = put_in_state(ApplicationFactory(title="长者助餐点", summary="每周三次午餐。"), Status.AWARDED)
    filed = transitions.application_transition(
        application=filed, name="sign_agreement", user=staff, signed_on=timezone.localdate()
    )
    registered = ApplicationFactory(
        title="社区议事厅",
        group=GroupFactory(
            group_type="registered",
            credit_code="52440300MJ0000001T",
            filing_status="not_required",
            filing_number="",
            filed_on=None,
        ),
    )
    registered = put_in_state(registered, Status.AWARDED)
    notice = put_in_state(ApplicationFactory(title="尚在公示"), Status.ON_NOTICE)
    Objection.objects.create(application=notice, name="举报人赵某", contact="13911112222", text="有意见")
    draft = ApplicationFactory(title="草稿不公开")
    return filed, registered, notice, draft


def test_the_json_is_valid_360giving_with_every_award(client, awards):
    filed, registered, notice, draft = awards
    data = client.get("/open-data/360giving.json").json()
    errors = sorted(validator().iter_errors(data), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    by_id = {g["id"]: g for g in data["grants"]}
    assert set(by_id) == {f"360G-cuihu-fund-{filed.pk}", f"360G-cuihu-fund-{registered.pk}"}
    grant = by_id[f"360G-cuihu-fund-{filed.pk}"]
    assert (grant["amountAppliedFor"], grant["amountAwarded"], grant["amountDisbursed"]) == (10000, 9000, 5400)
    assert grant["recipientOrganization"][0]["id"] == f"360G-cuihu-fund-group-{filed.group.pk}"
    assert by_id[f"360G-cuihu-fund-{registered.pk}"]["recipientOrganization"][0]["id"] == "CN-USC-52440300MJ0000001T"
    assert grant["grantProgramme"][0]["title"] == filed.call.title
    assert grant["classifications"][0]["code"] == filed.problem.theme.code
    assert grant["beneficiaryLocation"][0]["countryCode"] == "CN"


def test_open_data_names_no_person(client, awards):
    filed = awards[0]
    group = filed.group
    leader = group.memberships.get().user
    secrets_ = [group.leader_name, group.leader_phone, "李强 2栋", leader.email, "举报人赵某", "13911112222"]
    for url in ("/open-data/360giving.json", "/open-data/360giving.csv"):
        body = client.get(url).content.decode("utf-8-sig")
        assert not [s for s in secrets_ if s and s in body], url


def test_the_csv_has_a_row_per_award_and_defuses_formulas(client, awards, settings):
    filed = awards[0]
    type(filed).objects.filter(pk=filed.pk).update(title='=HYPERLINK("http://x")')
    response = client.get("/open-data/360giving.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2
    titles = {r["Title"] for r in rows}
    assert '\'=HYPERLINK("http://x")' in titles
    assert {r["Amount Awarded"] for r in rows} == {"9000"}


def test_amounts_with_fen_are_published_exactly():
    from decimal import Decimal

    from grants.open_data import _number

    assert _number(Decimal("9000.00")) == 9000 and isinstance(_number(Decimal("9000.00")), int)
    assert repr(_number(Decimal("1234.56"))) == "1234.56"
    assert repr(_number(Decimal("99999999999.99"))) == "99999999999.99"
