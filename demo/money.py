"""Deterministic demo money for a community fund: a sub-district allocation (pledged, partly
received), two company CSR gifts (one restricted to elderly care), a charitable trust restricted
to environment and expiring, a matching partner's capacity-building money, and many small public
donations.

`seed_small` goes through the services, like staff would. `seed_bulk` writes the same kinds of
rows with bulk inserts (for benchmarks: ≥ 1,000,000 postings) and leaves a ledger that
`ledger_verify` accepts."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from fundpool.donations import imports as donation_imports
from fundpool.donations import services as donation_services
from fundpool.donations import stripe_events
from fundpool.ledger import services as ledger_services
from fundpool.ledger.engine import (
    Restriction,
)
from fundpool.models import (
    Funder,
    RestrictionKind,
    SourceType,
    Theme,
)

THEMES = [
    ("elderly", "为老服务", "Elderly care"),
    ("environment", "环境保护", "Environment"),
    ("safety", "平安建设", "Community safety"),
    ("youth", "青少年成长", "Youth"),
    ("mutual-aid", "邻里互助", "Neighbourly mutual aid"),
    ("culture", "社区文化", "Community culture"),
]


FUNDERS = [
    ("翠湖街道办事处", SourceType.GOVERNMENT),
    ("华星科技有限公司", SourceType.CSR),
    ("康泰医药集团有限公司", SourceType.CSR),
    ("明德慈善信托", SourceType.TRUST),
    ("江州市慈善总会", SourceType.MATCHING),
]


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"


GIVEN = "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国晓东海燕文博雨欣子涵浩然"


MESSAGES = ["", "", "", "支持社区！", "为邻里出一份力", "愿老人们过得更好", "加油", "保护我们的河道", "一点心意"]


YEAR_START = date(2026, 1, 1)


LAST_DAY = date(2026, 11, 20)


def _day(rng: random.Random, start: date, end: date) -> date:
    end = min(end, timezone.localdate())
    return start + timedelta(days=rng.randrange(max((end - start).days, 0) + 1))


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _donation_amount(rng: random.Random) -> Decimal:
    preset = rng.random()
    if preset < 0.75:
        return Decimal(rng.choice([10, 20, 20, 50, 50, 50, 100, 100, 200, 500]))
    return Decimal(rng.randrange(100, 30000)) / 100  # a custom amount, with fen


def _fee(rng: random.Random, amount: Decimal) -> Decimal:
    # Some arrive by card or wallet with a processing fee (about 0.6 %); bank transfers have none.
    if rng.random() < 0.4:
        return max((amount * Decimal("0.006")).quantize(Decimal("0.01")), Decimal("0.01"))
    return Decimal("0.00")


def seed_themes() -> dict[str, Theme]:
    return {
        code: Theme.objects.get_or_create(code=code, defaults={"name": name, "name_en": en})[0]
        for code, name, en in THEMES
    }


def seed_funders() -> dict[str, Funder]:
    return {
        name: Funder.objects.get_or_create(name=name, defaults={"source_type": source})[0] for name, source in FUNDERS
    }


@transaction.atomic
def seed_small(*, seed: int = 2026, donations: int = 300) -> dict:
    rng = random.Random(seed)
    themes = seed_themes()
    funders = seed_funders()
    gov, tech, pharma, trust, match = (funders[name] for name, _ in FUNDERS)

    allocation = ledger_services.pledge_record(
        funder=gov,
        amount=Decimal("300000.00"),
        pledged_on=date(2026, 1, 10),
        expected_by=date(2026, 12, 31),
        description="2026年度社区公益基金财政拨款",
    )
    ledger_services.pledge_receive(
        pledge=allocation,
        amount=Decimal("120000.00"),
        received_on=date(2026, 3, 15),
        external_ref="DEMO-GOV-2026-1",
        description="第一笔拨款",
    )
    ledger_services.pledge_receive(
        pledge=allocation,
        amount=Decimal("60000.00"),
        received_on=date(2026, 7, 1),
        external_ref="DEMO-GOV-2026-2",
        description="第二笔拨款",
    )
    ledger_services.inflow_record(
        source_type=SourceType.CSR,
        funder=tech,
        amount=Decimal("50000.00"),
        received_on=date(2026, 4, 8),
        external_ref="DEMO-CSR-HX",
        description="华星科技企业社会责任捐赠（非限定）",
    )
    ledger_services.inflow_record(
        source_type=SourceType.CSR,
        funder=pharma,
        amount=Decimal("80000.00"),
        received_on=date(2026, 5, 20),
        external_ref="DEMO-CSR-KT",
        restriction=Restriction(kind=RestrictionKind.THEME, theme=themes["elderly"]),
        description="康泰医药捐赠，限定用于为老服务",
    )
    ledger_services.inflow_record(
        source_type=SourceType.TRUST,
        funder=trust,
        amount=Decimal("100000.00"),
        received_on=date(2026, 6, 1),
        external_ref="DEMO-TRUST-MD",
        restriction=Restriction(kind=RestrictionKind.THEME, theme=themes["environment"], expires_on=date(2027, 6, 30)),
        description="明德慈善信托资金，限定环境保护，2027年6月30日前使用",
    )
    ledger_services.inflow_record(
        source_type=SourceType.MATCHING,
        funder=match,
        amount=Decimal("20000.00"),
        received_on=date(2026, 6, 15),
        external_ref="DEMO-MATCH-CF",
        restriction=Restriction(kind=RestrictionKind.CAPACITY),
        description="市慈善总会种子资金（组织发展金）",
    )
    gifts = []
    for i in range(donations):
        amount = _donation_amount(rng)
        anonymous = rng.random() < 0.3
        gifts.append(
            ledger_services.inflow_record(
                source_type=SourceType.DONATION,
                amount=amount,
                fee=_fee(rng, amount) or None,
                received_on=_day(rng, YEAR_START, LAST_DAY),
                external_ref=f"DEMO-DON-{seed}-{i:05d}",
                description=rng.choice(MESSAGES),
                payer_name="" if anonymous else _name(rng),
                anonymous=anonymous,
            )
        )
    ledger_services.refund_record(
        inflow=gifts[0], amount=gifts[0].amount, external_ref=f"DEMO-REFUND-{seed}-1", description="捐赠人申请退款"
    )
    return {"donations": len(gifts)}


def _event(kind: str, obj: dict, n: int) -> dict:
    return {
        "id": f"evt_demo_{n:04d}_{kind.replace('.', '_')}",
        "object": "event",
        "type": kind,
        "created": int(timezone.now().timestamp()),
        "data": {"object": obj},
    }


def _session(donation, *, paid: bool = True) -> dict:
    return {
        "id": donation.stripe_session_id,
        "object": "checkout.session",
        "amount_total": int(donation.amount * 100),
        "currency": "cny",
        "payment_status": "paid" if paid else "unpaid",
        "status": "complete" if paid else "open",
        "payment_intent": f"pi_demo_{donation.pk:06d}",
        "client_reference_id": str(donation.pk),
        "metadata": {"donation": str(donation.pk)},
    }


PLATFORM_CSV = """订单号,捐赠时间,金额,捐赠人,是否匿名,留言
TX-20260909-0001,2026年9月9日 10:02,200.00,陈晓,否,九九公益日支持社区
TX-20260909-0002,2026-09-09 10:15,５０,,是,
TX-20260909-0003,2026/09/09 11:40,"1,000.00",滨江物业,否,
"""


BANK_CSV = """交易流水号,交易日期,借方金额,贷方金额,对方户名,摘要
BK202609100001,2026.09.10,,5000.00,江州华联超市有限公司,社区公益捐赠
BK202609100002,2026.09.10,12.00,,,手续费
"""


def seed_donations(*, staff=None) -> dict:
    """Online gifts confirmed by (demo) Stripe events, one pending, failed, expired and cancelled;
    a refund; a dispute won and one lost; a matching campaign; platform and bank imports; an official
    receipt number. Everything goes through the services, as the webhook and staff would."""
    from fundpool.models import Campaign, Donation, Pledge

    if Donation.objects.exists():
        return {"donations": 0}
    themes = {t.code: t for t in Theme.objects.all()}
    match_funder = Funder.objects.get(name="江州市慈善总会")
    pledge = ledger_services.pledge_record(
        funder=match_funder,
        amount=Decimal("5000.00"),
        pledged_on=timezone.localdate() - timedelta(days=30),
        restriction=Restriction(kind=RestrictionKind.THEME, theme=themes["elderly"]),
        description="九九公益日为老服务配捐",
    )
    campaign = Campaign.objects.create(
        title="九九公益日 · 为老服务配捐",
        slug="99-elderly",
        description="9月9日起，您为社区长者服务捐出的每一元，市慈善总会都会再配一元，直到配捐 3,000 元用完。",
        goal=Decimal("10000.00"),
        restriction_kind=RestrictionKind.THEME,
        theme=themes["elderly"],
        designation_label=themes["elderly"].name,
        match_pledge=pledge,
        match_cap=Decimal("3000.00"),
        starts_on=timezone.localdate() - timedelta(days=20),
    )
    n = 0

    def online(amount, *, restriction=Restriction(), label="", name="", anonymous=False, campaign=None, email=""):
        nonlocal n
        n += 1
        donation = donation_services.donation_start(
            amount=amount,
            restriction=restriction,
            designation_label=label,
            display_name=name,
            anonymous=anonymous,
            message="",
            email=email,
            campaign=campaign,
        )
        Donation.objects.filter(pk=donation.pk).update(stripe_session_id=f"cs_demo_{donation.pk:06d}")
        donation.refresh_from_db()
        return donation

    elderly = Restriction(kind=RestrictionKind.THEME, theme=themes["elderly"])
    confirmed = []
    for amount, name, anon in [
        ("50.00", "小林", False),
        ("100.00", "", True),
        ("200.00", "周阿姨", False),
        ("20.00", "", True),
    ]:
        confirmed.append(
            online(
                amount, restriction=elderly, label=themes["elderly"].name, name=name, anonymous=anon, campaign=campaign
            )
        )
    for amount in ("88.00", "66.00", "500.00"):
        confirmed.append(online(amount, name="邻居"))
    for i, donation in enumerate(confirmed):
        stripe_events.event_receive(_event("checkout.session.completed", _session(donation), 100 + i))
    pending = online("30.00", name="小王")
    failed = online("40.00")
    stripe_events.event_receive(_event("checkout.session.async_payment_failed", _session(failed, paid=False), 200))
    expired = online("60.00")
    stripe_events.event_receive(_event("checkout.session.expired", _session(expired, paid=False), 201))
    donation_services.donation_cancel(token=online("25.00").token)
    # A refund of the 88 gift, a dispute lost on the 66 gift, a dispute won on the 500 gift.
    refunded, lost, won = (Donation.objects.get(pk=d.pk) for d in confirmed[4:7])
    charge = lambda d, **kw: {  # noqa: E731
        "id": f"ch_demo_{d.pk:06d}",
        "object": "charge",
        "amount": int(d.amount * 100),
        "currency": "cny",
        "payment_intent": d.stripe_payment_intent,
        **kw,
    }
    stripe_events.event_receive(
        _event(
            "charge.refunded",
            charge(
                refunded,
                amount_refunded=8800,
                refunds={
                    "object": "list",
                    "data": [
                        {
                            "id": f"re_demo_{refunded.pk:06d}",
                            "object": "refund",
                            "amount": 8800,
                            "currency": "cny",
                            "status": "succeeded",
                        }
                    ],
                },
            ),
            300,
        )
    )
    for d, status, k in ((lost, "lost", 310), (won, "won", 320)):
        dispute = {
            "id": f"dp_demo_{d.pk:06d}",
            "object": "dispute",
            "amount": int(d.amount * 100),
            "currency": "cny",
            "charge": f"ch_demo_{d.pk:06d}",
            "payment_intent": d.stripe_payment_intent,
            "status": "needs_response",
        }
        stripe_events.event_receive(_event("charge.dispute.created", dispute, k))
        stripe_events.event_receive(_event("charge.dispute.closed", {**dispute, "status": status}, k + 1))
    stripe_events.event_receive(_event("customer.created", {"id": "cus_demo", "object": "customer"}, 400))
    imported = 0
    for channel, text in (("platform", PLATFORM_CSV), ("bank", BANK_CSV)):
        batch = donation_imports.donations_import(
            preview=donation_imports.import_preview(channel=channel, data=text.encode("utf-8")),
            filename=f"demo-{channel}.csv",
        )
        imported += batch.imported
    if staff is not None and staff.has_perm("fundpool.record_receipt_number"):
        donation_services.receipt_number_record(
            donation=Donation.objects.get(pk=confirmed[2].pk), number="赣财0026-000123", actor=staff
        )
    return {
        "donations": Donation.objects.count(),
        "online": len(confirmed),
        "imported": imported,
        "pending": pending.pk,
        "campaign": campaign.slug,
        "pledge": Pledge.objects.filter(pk=pledge.pk).values_list("received", flat=True).first(),
    }
