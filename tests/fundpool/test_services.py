"""The fund pool's services, one behaviour each, checked as an auditor would: balances, lots,
entries, and that a refusal writes nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest

from fundpool.errors import (
    AlreadyReversed,
    CurrencyMismatch,
    DuplicateReference,
    InsufficientFunds,
    InvalidAmount,
    InvalidRestriction,
    NotReversible,
    OverCommitment,
    PledgeError,
    RestrictionExpired,
    RestrictionMismatch,
    UnknownReference,
)
from fundpool.ledger import commitments
from fundpool.ledger import services as ledger_services
from fundpool.ledger.engine import Purpose, Restriction
from fundpool.ledger.selectors import commitment_balances, pool_summary
from fundpool.ledger.verify import verify
from fundpool.models import (
    Account,
    EntryKind,
    Inflow,
    JournalEntry,
    LotMovement,
    PledgeStatus,
    Posting,
    RestrictionKind,
    SourceType,
)

pytestmark = pytest.mark.django_db


def balance(code):
    return Account.objects.get(code=code).balance


def snapshot():
    """Everything a refused operation must leave untouched."""
    return (
        JournalEntry.objects.count(),
        Posting.objects.count(),
        LotMovement.objects.count(),
        Inflow.objects.count(),
        tuple(Account.objects.order_by("pk").values_list("code", "balance")),
        tuple(Inflow.objects.order_by("pk").values_list("pk", "available")),
    )


def assert_clean():
    report = verify()
    assert report.ok, report.problems


# --- inflows ----------------------------------------------------------------------------------


def test_inflow_moves_money_from_income_to_its_restriction_bucket(receive, gov, elderly, theme_restriction):
    lot = receive("1000.00", funder=gov, restriction=theme_restriction(elderly))
    assert balance("income:government") == Decimal("-1000.00")
    assert balance("available:theme:elderly") == Decimal("1000.00")
    assert lot.available == Decimal("1000.00")
    entry = lot.entry
    assert entry.kind == EntryKind.INFLOW
    assert sum(p.amount for p in entry.postings.all()) == 0
    assert_clean()


def test_inflow_with_fee_books_the_fee_in_the_same_entry(receive):
    lot = receive("50.00", fee="1.50")
    assert balance("available:unrestricted") == Decimal("48.50")
    assert balance("fees") == Decimal("1.50")
    assert lot.available == Decimal("48.50")
    assert lot.entry.postings.count() == 4
    assert_clean()


@pytest.mark.parametrize("amount", ["0", "-10", "abc", "NaN", "Infinity", "1.001"])
def test_bad_inflow_amount_writes_nothing(gov, yesterday, amount):
    before = snapshot()
    with pytest.raises(InvalidAmount):
        ledger_services.inflow_record(
            source_type=SourceType.GOVERNMENT, funder=gov, amount=amount, received_on=yesterday
        )
    assert snapshot() == before


def test_inflow_in_another_currency_is_refused(gov, yesterday):
    before = snapshot()
    with pytest.raises(CurrencyMismatch):
        ledger_services.inflow_record(
            source_type=SourceType.GOVERNMENT, funder=gov, amount="10", currency="USD", received_on=yesterday
        )
    assert snapshot() == before


def test_inflow_needs_a_funder_unless_it_is_a_public_donation(yesterday, company):
    with pytest.raises(InvalidAmount, match="资助方"):
        ledger_services.inflow_record(source_type=SourceType.CSR, amount="10", received_on=yesterday)
    with pytest.raises(InvalidAmount):
        ledger_services.inflow_record(
            source_type=SourceType.GOVERNMENT, funder=company, amount="10", received_on=yesterday
        )


def test_inflow_with_an_expired_restriction_is_refused(receive, elderly, theme_restriction, today):
    before = snapshot()
    with pytest.raises(RestrictionExpired, match="已于 .* 过期"):
        receive(
            "100",
            restriction=theme_restriction(elderly, expires_on=today - timedelta(days=2)),
            on=today - timedelta(days=3),
        )
    assert snapshot() == before


def test_inflow_whose_restriction_ends_before_it_arrived_is_refused(receive, elderly, theme_restriction, today):
    with pytest.raises(RestrictionExpired, match="早于资金到账日期"):
        receive(
            "100",
            restriction=theme_restriction(elderly, expires_on=today - timedelta(days=3)),
            on=today - timedelta(days=1),
        )


def test_theme_restriction_needs_a_theme(receive):
    with pytest.raises(InvalidRestriction):
        receive("100", restriction=Restriction(kind=RestrictionKind.THEME))


def test_an_external_reference_is_recorded_only_once(receive):
    receive("100", external_ref="BANK-2026-0001")
    before = snapshot()
    with pytest.raises(DuplicateReference, match="BANK-2026-0001"):
        receive("100", external_ref="BANK-2026-0001")
    assert snapshot() == before


def test_money_cannot_be_received_in_the_future(receive, today):
    with pytest.raises(InvalidAmount):
        receive("100", on=today + timedelta(days=1))


# --- pledges ----------------------------------------------------------------------------------


def test_a_pledge_touches_no_balance_until_received(gov, today):
    pledge = ledger_services.pledge_record(funder=gov, amount="300000", pledged_on=today)
    assert not Account.objects.filter(code="available:unrestricted").exists()
    assert pool_summary()["pledged_outstanding"] == Decimal("300000.00")
    assert pool_summary()["available"] == 0
    assert pledge.outstanding == Decimal("300000.00")


def test_a_pledge_is_received_in_parts_with_its_restriction(gov, elderly, today):
    pledge = ledger_services.pledge_record(
        funder=gov, amount="1000", pledged_on=today, restriction=Restriction(kind=RestrictionKind.THEME, theme=elderly)
    )
    first = ledger_services.pledge_receive(pledge=pledge, amount="400", received_on=today)
    pledge.refresh_from_db()
    assert pledge.received == Decimal("400.00") and pledge.status == PledgeStatus.OPEN
    assert first.restriction_kind == RestrictionKind.THEME and first.theme == elderly
    assert balance("available:theme:elderly") == Decimal("400.00")
    assert pool_summary()["pledged_outstanding"] == Decimal("600.00")
    ledger_services.pledge_receive(pledge=pledge, amount="600", received_on=today)
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.FULFILLED and pledge.outstanding == 0
    assert_clean()


def test_receiving_more_than_is_outstanding_is_refused(gov, today):
    pledge = ledger_services.pledge_record(funder=gov, amount="1000", pledged_on=today)
    ledger_services.pledge_receive(pledge=pledge, amount="900", received_on=today)
    before = snapshot()
    with pytest.raises(PledgeError, match="100.00"):
        ledger_services.pledge_receive(pledge=pledge, amount="100.01", received_on=today)
    assert snapshot() == before


def test_a_cancelled_pledge_takes_no_more_money(gov, today):
    pledge = ledger_services.pledge_record(funder=gov, amount="1000", pledged_on=today)
    ledger_services.pledge_cancel(pledge=pledge, reason="预算调整")
    with pytest.raises(PledgeError):
        ledger_services.pledge_receive(pledge=pledge, amount="10", received_on=today)
    assert pool_summary()["pledged_outstanding"] == 0


def test_reversing_a_pledge_receipt_reopens_the_pledge(gov, today):
    pledge = ledger_services.pledge_record(funder=gov, amount="500", pledged_on=today)
    inflow = ledger_services.pledge_receive(pledge=pledge, amount="500", received_on=today)
    ledger_services.entry_reverse(entry=inflow.entry, reason="银行退回")
    pledge.refresh_from_db()
    assert pledge.received == 0 and pledge.status == PledgeStatus.OPEN
    assert balance("available:unrestricted") == 0
    assert_clean()


# --- commitments ------------------------------------------------------------------------------


def test_commit_draws_matching_restricted_money_first_then_unrestricted(
    receive, gov, company, elderly, theme_restriction
):
    unrestricted = receive("1000", funder=gov)
    restricted = receive("300", funder=company, restriction=theme_restriction(elderly))
    commitments.commitment_commit(reference="grant:1", amount="500", purpose=Purpose(theme=elderly))
    draws = {m.lot_id: m.committed_delta for m in LotMovement.objects.filter(kind=LotMovement.Kind.DRAW)}
    assert draws == {restricted.pk: Decimal("300.00"), unrestricted.pk: Decimal("200.00")}
    assert balance("committed:grant:1") == Decimal("500.00")
    assert balance("available:theme:elderly") == 0
    assert balance("available:unrestricted") == Decimal("800.00")
    assert_clean()


def test_commit_draws_the_soonest_expiring_restricted_money_first(
    receive, trust, environment, theme_restriction, today
):
    later = receive("100", funder=trust, restriction=theme_restriction(environment, today + timedelta(days=300)))
    sooner = receive("100", funder=trust, restriction=theme_restriction(environment, today + timedelta(days=30)))
    never = receive("100", funder=trust, restriction=theme_restriction(environment))
    commitments.commitment_commit(reference="grant:env", amount="150", purpose=Purpose(theme=environment))
    draws = dict(LotMovement.objects.filter(kind=LotMovement.Kind.DRAW).values_list("lot_id", "committed_delta"))
    assert draws == {sooner.pk: Decimal("100.00"), later.pk: Decimal("50.00")}
    assert never.pk not in draws


def test_restricted_money_is_never_drawn_for_another_purpose(receive, company, elderly, environment, theme_restriction):
    receive("1000", funder=company, restriction=theme_restriction(elderly))
    before = snapshot()
    with pytest.raises(RestrictionMismatch) as exc:
        commitments.commitment_commit(reference="grant:2", amount="100", purpose=Purpose(theme=environment))
    assert "其他用途" in str(exc.value)
    assert snapshot()[:4] == before[:4]


def test_commit_beyond_the_whole_pool_is_refused_with_figures(receive, gov):
    receive("1000", funder=gov)
    before = snapshot()
    with pytest.raises(InsufficientFunds) as exc:
        commitments.commitment_commit(reference="grant:3", amount="1000.01")
    assert "1000.00" in str(exc.value)
    assert snapshot()[:4] == before[:4]
    assert not JournalEntry.objects.filter(kind=EntryKind.COMMIT).exists()


def test_expired_restricted_money_cannot_be_committed(receive, trust, environment, theme_restriction, today):
    lot = receive("500", funder=trust, restriction=theme_restriction(environment, today + timedelta(days=1)), on=today)
    # Time passes: the restriction lapses.
    Inflow.objects.filter(pk=lot.pk).update(expires_on=today - timedelta(days=1))
    with pytest.raises(RestrictionExpired, match="过期"):
        commitments.commitment_commit(reference="grant:4", amount="100", purpose=Purpose(theme=environment))


def test_capacity_building_money_only_funds_capacity_building(receive, gov, elderly):
    receive("200", funder=gov, restriction=Restriction(kind=RestrictionKind.CAPACITY))
    with pytest.raises(RestrictionMismatch):
        commitments.commitment_commit(reference="grant:5", amount="100", purpose=Purpose(theme=elderly))
    commitments.commitment_commit(reference="grant:5:capacity", amount="100", purpose=Purpose(capacity_building=True))
    assert balance("available:capacity") == Decimal("100.00")


def test_call_restricted_money_serves_only_that_call(receive, gov):
    receive("300", funder=gov, restriction=Restriction(kind=RestrictionKind.CALL, call_ref="call:2026-spring"))
    with pytest.raises(RestrictionMismatch):
        commitments.commitment_commit(reference="grant:6", amount="100", purpose=Purpose(call_ref="call:2026-autumn"))
    commitments.commitment_commit(reference="grant:7", amount="100", purpose=Purpose(call_ref="call:2026-spring"))
    assert balance("available:call:call:2026-spring") == Decimal("200.00")


def test_a_reference_keeps_its_purpose(receive, gov, elderly, environment):
    receive("1000", funder=gov)
    commitments.commitment_commit(reference="grant:8", amount="100", purpose=Purpose(theme=elderly))
    with pytest.raises(RestrictionMismatch):
        commitments.commitment_commit(reference="grant:8", amount="100", purpose=Purpose(theme=environment))
    commitments.commitment_commit(reference="grant:8", amount="50", purpose=Purpose(theme=elderly))
    assert balance("committed:grant:8") == Decimal("150.00")


def test_disburse_moves_committed_money_to_paid(receive, gov):
    receive("1000", funder=gov)
    commitments.commitment_commit(reference="grant:9", amount="600")
    commitments.commitment_disburse(reference="grant:9", amount="360", external_ref="PAY-9-1")
    assert commitment_balances(reference="grant:9")["outstanding"] == Decimal("240.00")
    assert balance("paid:grant:9") == Decimal("360.00")
    assert_clean()


def test_disbursing_more_than_is_committed_is_refused(receive, gov):
    receive("1000", funder=gov)
    commitments.commitment_commit(reference="grant:10", amount="600")
    before = snapshot()
    with pytest.raises(OverCommitment, match="600.00"):
        commitments.commitment_disburse(reference="grant:10", amount="600.01")
    assert snapshot() == before


def test_a_payment_reference_cannot_be_used_twice(receive, gov):
    receive("1000", funder=gov)
    commitments.commitment_commit(reference="grant:11", amount="600")
    commitments.commitment_disburse(reference="grant:11", amount="100", external_ref="PAY-11")
    before = snapshot()
    with pytest.raises(DuplicateReference):
        commitments.commitment_disburse(reference="grant:11", amount="100", external_ref="PAY-11")
    assert snapshot() == before


def test_disbursing_an_unknown_reference_is_refused():
    with pytest.raises(UnknownReference):
        commitments.commitment_disburse(reference="grant:nope", amount="1")


def test_release_gives_the_rest_back_to_the_lots_it_came_from(receive, gov, company, elderly, theme_restriction):
    receive("1000", funder=gov)
    restricted = receive("300", funder=company, restriction=theme_restriction(elderly))
    commitments.commitment_commit(reference="grant:12", amount="500", purpose=Purpose(theme=elderly))
    commitments.commitment_disburse(reference="grant:12", amount="300")
    commitments.commitment_release(reference="grant:12")
    assert balance("committed:grant:12") == 0
    assert balance("available:unrestricted") == Decimal("1000.00")
    restricted.refresh_from_db()
    assert restricted.available == 0  # the restricted money was paid out first
    assert commitment_balances(reference="grant:12")["released"] == Decimal("200.00")
    assert_clean()


def test_releasing_more_than_is_committed_is_refused(receive, gov):
    receive("1000", funder=gov)
    commitments.commitment_commit(reference="grant:13", amount="100")
    with pytest.raises(OverCommitment):
        commitments.commitment_release(reference="grant:13", amount="100.01")
    commitments.commitment_release(reference="grant:13")
    with pytest.raises(OverCommitment):
        commitments.commitment_release(reference="grant:13")


# --- reversals --------------------------------------------------------------------------------


def test_reversal_is_a_new_mirrored_entry_and_history_stays(receive, gov):
    receive("1000", funder=gov)
    entry = commitments.commitment_commit(reference="grant:14", amount="400")
    reversal = ledger_services.entry_reverse(entry=entry, reason="录入错误")
    assert reversal.reversal_of == entry and reversal.memo == "录入错误"
    assert JournalEntry.objects.filter(pk=entry.pk).exists()
    assert balance("available:unrestricted") == Decimal("1000.00")
    assert balance("committed:grant:14") == 0
    assert_clean()


def test_an_entry_cannot_be_reversed_twice(receive, gov):
    lot = receive("100", funder=gov)
    ledger_services.entry_reverse(entry=lot.entry, reason="重复录入")
    before = snapshot()
    with pytest.raises(AlreadyReversed):
        ledger_services.entry_reverse(entry=lot.entry, reason="again")
    assert snapshot() == before


def test_a_reversal_cannot_be_reversed(receive, gov):
    lot = receive("100", funder=gov)
    reversal = ledger_services.entry_reverse(entry=lot.entry, reason="重复录入")
    with pytest.raises(NotReversible):
        ledger_services.entry_reverse(entry=reversal, reason="undo")


def test_reversing_a_commitment_already_paid_is_refused(receive, gov):
    receive("1000", funder=gov)
    entry = commitments.commitment_commit(reference="grant:15", amount="400")
    commitments.commitment_disburse(reference="grant:15", amount="100")
    before = snapshot()
    with pytest.raises(NotReversible):
        ledger_services.entry_reverse(entry=entry, reason="x")
    assert snapshot() == before


def test_reversing_money_already_committed_is_refused(receive, gov):
    lot = receive("1000", funder=gov)
    commitments.commitment_commit(reference="grant:16", amount="400")
    with pytest.raises(NotReversible, match="已"):
        ledger_services.entry_reverse(entry=lot.entry, reason="x")


def test_a_reversal_needs_a_reason(receive, gov):
    lot = receive("100", funder=gov)
    with pytest.raises(NotReversible):
        ledger_services.entry_reverse(entry=lot.entry, reason="  ")


# --- refunds, chargebacks, shortfall ----------------------------------------------------------


def test_refund_of_uncommitted_money_comes_from_the_lot(receive):
    gift = receive("50")
    ledger_services.refund_record(inflow=gift, amount="50", external_ref="re_1")
    assert balance("refunds") == Decimal("50.00")
    assert balance("available:unrestricted") == 0
    assert pool_summary()["shortfall"] == 0
    assert_clean()


def test_refund_of_committed_money_books_a_shortfall_and_leaves_grants_alone(receive):
    gift = receive("50")
    commitments.commitment_commit(reference="grant:17", amount="30")
    ledger_services.refund_record(inflow=gift, amount="50", external_ref="re_2")
    assert balance("committed:grant:17") == Decimal("30.00")
    assert balance("refunds") == Decimal("50.00")
    assert pool_summary()["shortfall"] == Decimal("30.00")
    assert_clean()


def test_more_than_the_gift_cannot_be_refunded(receive):
    gift = receive("50")
    ledger_services.refund_record(inflow=gift, amount="20")
    with pytest.raises(InvalidAmount, match="30.00"):
        ledger_services.refund_record(inflow=gift, amount="30.01")


def test_a_won_dispute_reinstates_by_reversal(receive):
    gift = receive("80")
    commitments.commitment_commit(reference="grant:18", amount="50")
    dispute = ledger_services.chargeback_record(inflow=gift, amount="80", external_ref="dp_1")
    assert pool_summary()["shortfall"] == Decimal("50.00")
    ledger_services.entry_reverse(entry=dispute, reason="争议胜诉")
    assert pool_summary()["shortfall"] == 0
    assert balance("chargebacks") == 0
    gift.refresh_from_db()
    assert gift.available == Decimal("30.00")
    assert_clean()


def test_unrestricted_money_covers_a_shortfall(receive, gov):
    gift = receive("50")
    commitments.commitment_commit(reference="grant:19", amount="50")
    ledger_services.refund_record(inflow=gift, amount="50")
    receive("100", funder=gov)
    ledger_services.shortfall_cover()
    assert pool_summary()["shortfall"] == 0
    assert balance("available:unrestricted") == Decimal("50.00")
    with pytest.raises(OverCommitment):
        ledger_services.shortfall_cover()
    assert_clean()


def test_a_fee_reported_later_is_charged_to_its_lot(receive):
    gift = receive("100")
    ledger_services.fee_record(inflow=gift, amount="0.60", external_ref="txn_1")
    gift.refresh_from_db()
    assert gift.available == Decimal("99.40")
    assert balance("fees") == Decimal("0.60")
    assert_clean()
