"""The agreement before signing (the draft the group reads, its leader's confirmation, a signed
scan), amendments with their versions chained by hash, and agreement_verify."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from fundpool.ledger.selectors import commitment_balances
from fundpool.ledger.verify import verify
from grants import transitions
from grants.award import versions
from grants.common import GrantsError
from grants.delivery import amendments
from grants.lifecycle import Status
from grants.models import AgreementVersion, Amendment, AmendmentStatus, Application

from ..factories import ApplicationFactory
from .conftest import put_in_state

pytestmark = pytest.mark.django_db


def pdf():
    return SimpleUploadedFile(
        "signed.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="application/pdf"
    )


@pytest.fixture
def awarded(db):
    return put_in_state(ApplicationFactory(title="长者助餐点"), Status.AWARDED)


@pytest.fixture
def leader(awarded):
    return awarded.group.memberships.get().user


@pytest.fixture
def project(awarded, staff):
    return transitions.application_transition(
        application=awarded, name="sign_agreement", user=staff, signed_on=timezone.localdate()
    )


def test_the_group_reads_the_draft_and_its_leader_confirms(awarded, leader, staff, client):
    from grants.award import services as award_services

    award_services.agreement_conditions_set(application=awarded, actor=staff, conditions="每次活动后一周内上传照片")
    client.force_login(leader)
    page = client.get(reverse("grants:agreement", args=[awarded.pk])).content.decode()
    for text in ("每次活动后一周内上传照片", awarded.budget_lines.first().item, "义务", "草稿"):
        assert text in page, text
    digest = page.split('name="terms_hash" value="')[1].split('"')[0]
    client.post(reverse("grants:agreement", args=[awarded.pk]), {"terms_hash": digest})
    consent = awarded.agreement_consents.get()
    assert consent.user == leader
    project = transitions.application_transition(
        application=awarded, name="sign_agreement", user=staff, method="consent", conditions="每次活动后一周内上传照片"
    )
    assert project.agreement.consent == consent
    assert project.agreement.terms["conditions"] == "每次活动后一周内上传照片"


def test_a_consent_to_other_terms_does_not_sign(awarded, leader, staff):
    from grants.award import services as award_services
    from grants.award.agreement import agreement_terms, terms_hash

    digest = terms_hash(agreement_terms(awarded, ""))
    award_services.agreement_confirm(application=awarded, user=leader, terms_hash_seen=digest)
    with pytest.raises(GrantsError, match="确认"):
        transitions.application_transition(
            application=awarded, name="sign_agreement", user=staff, method="consent", conditions="新加的条件"
        )
    assert Application.objects.get(pk=awarded.pk).status == Status.AWARDED


def test_only_the_leader_confirms_and_only_what_they_saw(awarded, staff):
    from grants.award import services as award_services

    with pytest.raises(GrantsError):
        award_services.agreement_confirm(application=awarded, user=staff, terms_hash_seen="x")
    leader = awarded.group.memberships.get().user
    with pytest.raises(GrantsError, match="变"):
        award_services.agreement_confirm(application=awarded, user=leader, terms_hash_seen="0" * 64)
    assert not awarded.agreement_consents.exists()


def test_a_signed_scan_must_be_a_pdf_or_an_image(awarded, staff):
    with pytest.raises(GrantsError):
        transitions.application_transition(
            application=awarded,
            name="sign_agreement",
            user=staff,
            method="scan",
            scan=SimpleUploadedFile("signed.pdf", b"just text", content_type="application/pdf"),
        )
    assert Application.objects.get(pk=awarded.pk).status == Status.AWARDED
    project = transitions.application_transition(
        application=awarded, name="sign_agreement", user=staff, method="scan", scan=pdf()
    )
    assert project.agreement.scan_content_type == "application/pdf"


def test_the_frozen_terms_hold_budget_milestones_reports_and_obligations(project):
    terms = project.agreement.terms
    assert terms["budget"] and terms["obligations"] and terms["reporting"]["final_due_on"]
    assert terms["reporting"]["final_due_on"] == project.final_due_on.isoformat()
    assert project.agreement.versions.get().number == 1


def test_an_extension_moves_the_report_date_and_makes_a_chained_version(project, staff):
    leader = project.group.memberships.get().user
    later = project.final_due_on + timedelta(days=30)
    amendment = amendments.amendment_request(
        application=project, user=leader, kind="extend", details={"final_due_on": later.isoformat()}, why="场地装修"
    )
    amendments.amendment_decide(amendment=amendment, actor=staff, approve=True, reason="理由充分")
    project.refresh_from_db()
    assert project.final_due_on == later
    v1, v2 = project.agreement.versions.order_by("number")
    assert v2.previous_hash == v1.content_hash
    assert v2.content_hash == versions.chain_hash(v2.terms, v1.content_hash)
    assert v2.terms["reporting"]["final_due_on"] == later.isoformat()
    assert v2.changes[0]["after"] == later.isoformat()
    assert versions.verify_agreement(project.agreement) == []


def test_a_tampered_version_is_found(project, staff):
    leader = project.group.memberships.get().user
    amendment = amendments.amendment_request(
        application=project, user=leader, kind="scope", details={"scope": "增加周末活动"}, why="居民要求"
    )
    amendments.amendment_decide(amendment=amendment, actor=staff, approve=True, reason="同意")
    call_command("agreement_verify")
    version = project.agreement.versions.get(number=2)
    AgreementVersion.objects.filter(pk=version.pk).update(terms={**version.terms, "scope": "改过的范围"})
    problems = versions.verify_agreement(project.agreement)
    assert [p.version for p in problems] == [2]
    with pytest.raises(CommandError, match="1 problem"):
        call_command("agreement_verify")


def test_a_budget_move_cannot_take_a_line_below_what_was_spent(project, staff):
    from grants.delivery import services as delivery_services

    leader = project.group.memberships.get().user
    first, second = project.budget_lines.order_by("pk")[:2]
    delivery_services.expense_record(
        application=project,
        user=leader,
        budget_line=first,
        amount=str(first.amount - Decimal("10.00")),
        spent_on=timezone.localdate(),
        payee="菜市场",
        receipt=pdf(),
    )
    with pytest.raises(GrantsError, match="已"):
        amendments.amendment_request(
            application=project,
            user=leader,
            kind="budget",
            details={"moves": [{"from": first.pk, "to": second.pk, "amount": "50.00"}]},
            why="调整",
        )
    assert not Amendment.objects.exists()
    amendment = amendments.amendment_request(
        application=project,
        user=leader,
        kind="budget",
        details={"moves": [{"from": second.pk, "to": first.pk, "amount": "50.00"}]},
        why="调整",
    )
    before = (first.amount, second.amount)
    amendments.amendment_decide(amendment=amendment, actor=staff, approve=True, reason="同意")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.amount, second.amount) == (before[0] + 50, before[1] - 50)


def test_two_open_amendments_are_refused(project, staff):
    leader = project.group.memberships.get().user
    amendments.amendment_request(application=project, user=leader, kind="scope", details={"scope": "一"}, why="一")
    with pytest.raises(GrantsError, match="未决|open|决定"):
        amendments.amendment_request(application=project, user=leader, kind="scope", details={"scope": "二"}, why="二")
    assert Amendment.objects.count() == 1


def test_a_decrease_releases_money_once_finance_confirms(project, staff, finance):
    reference = project.reference
    outstanding = commitment_balances(reference=reference)["outstanding"]
    new = project.awarded_amount - Decimal("1000.00")
    amendment = amendments.amendment_request(
        application=project, user=staff, kind="amount", details={"amount": str(new)}, why="活动减少"
    )
    amendments.amendment_decide(amendment=amendment, actor=staff, approve=True, reason="同意")
    assert Amendment.objects.get().status == AmendmentStatus.APPROVED  # waits for finance
    assert commitment_balances(reference=reference)["outstanding"] == outstanding
    with pytest.raises(GrantsError, match="财务"):  # staff decide; finance confirms money
        amendments.amendment_confirm(amendment=amendment, actor=staff)
    amendments.amendment_confirm(amendment=amendment, actor=finance)
    assert commitment_balances(reference=reference)["outstanding"] == outstanding - Decimal("1000.00")
    project.refresh_from_db()
    assert project.awarded_amount == new
    assert verify().ok


def test_an_increase_the_pool_cannot_cover_is_refused_with_the_shortfall(staff, finance):
    from fundpool.ledger import services as ledger_services
    from fundpool.models import SourceType

    # The set-up puts 9,000 in the pool and commits all of it: nothing is left for an increase.
    awarded = put_in_state(ApplicationFactory(requested_amount=Decimal("12000.00")), Status.AWARDED)
    project = transitions.application_transition(
        application=awarded, name="sign_agreement", user=staff, signed_on=timezone.localdate()
    )
    amendment = amendments.amendment_request(
        application=project, user=staff, kind="amount", details={"amount": "10000.00"}, why="参与人数增加"
    )
    amendments.amendment_decide(amendment=amendment, actor=staff, approve=True, reason="同意")
    with pytest.raises(GrantsError) as refused:
        amendments.amendment_confirm(amendment=amendment, actor=finance)
    assert "1,000.00" in str(refused.value) or "1000.00" in str(refused.value)
    assert Amendment.objects.get().status == AmendmentStatus.APPROVED
    ledger_services.inflow_record(
        source_type=SourceType.DONATION, amount=Decimal("5000"), received_on=timezone.localdate()
    )
    amendments.amendment_confirm(amendment=amendment, actor=finance)
    project.refresh_from_db()
    assert project.awarded_amount == Decimal("10000.00")
    assert verify().ok


def test_the_group_asks_for_an_extension_on_the_site(project, client):
    leader = project.group.memberships.get().user
    client.force_login(leader)
    later = (project.final_due_on + timedelta(days=20)).isoformat()
    response = client.post(
        reverse("grants:amendment_new", args=[project.pk]), {"kind": "extend", "final_due_on": later, "why": ""}
    )
    assert response.status_code == 400 and not Amendment.objects.exists()
    client.post(
        reverse("grants:amendment_new", args=[project.pk]), {"kind": "extend", "final_due_on": later, "why": "老人生病"}
    )
    assert Amendment.objects.get().details == {"final_due_on": later}
    stranger = ApplicationFactory().group.memberships.get().user
    client.force_login(stranger)
    assert client.get(reverse("grants:amendment_new", args=[project.pk])).status_code == 404


def test_whoever_approved_a_change_of_money_does_not_confirm_it(project):
    from ..factories import UserFactory

    boss = UserFactory(username="boss", is_superuser=True)
    amendment = amendments.amendment_request(
        application=project, user=boss, kind="amount", details={"amount": str(project.awarded_amount - 100)}, why="减少"
    )
    amendments.amendment_decide(amendment=amendment, actor=boss, approve=True, reason="同意")
    with pytest.raises(GrantsError, match="双人|four"):
        amendments.amendment_confirm(amendment=amendment, actor=boss)
    assert Amendment.objects.get().status == AmendmentStatus.APPROVED
