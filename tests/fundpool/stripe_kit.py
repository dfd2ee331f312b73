"""Stripe payloads built from Stripe's own example objects (tests/fixtures/stripe, from the public
stripe/openapi repository), wrapped in events and signed the way Stripe signs them."""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import time
from pathlib import Path

FIXTURES = json.loads(
    (Path(__file__).resolve().parent.parent / "fixtures" / "stripe" / "fixtures3-subset.json").read_text()
)["resources"]
SECRET = "whsec_test_fundpool"
_ids = itertools.count(1)


def obj(name: str, **fields) -> dict:
    """A copy of Stripe's example `name` object with `fields` set."""
    data = copy.deepcopy(FIXTURES[name])
    data.update(fields)
    return data


def event(type_: str, data_object: dict, *, event_id: str | None = None, created: int | None = None) -> dict:
    ev = copy.deepcopy(FIXTURES["event"])
    ev.update(
        id=event_id or f"evt_test_{next(_ids):06d}_{int(time.time() * 1000) % 10**9}",
        type=type_,
        created=created or int(time.time()),
        data={"object": data_object},
    )
    return ev


def sign(body: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def body_of(ev: dict) -> bytes:
    return json.dumps(ev, ensure_ascii=False).encode()


def session_for(donation, *, paid: bool = True, amount_total: int | None = None, currency: str = "cny", **fields):
    return obj(
        "checkout.session",
        id=donation.stripe_session_id or f"cs_test_{donation.pk:08d}",
        amount_total=amount_total if amount_total is not None else int(donation.amount * 100),
        currency=currency,
        payment_status="paid" if paid else "unpaid",
        status="complete",
        payment_intent=f"pi_test_{donation.pk:08d}",
        client_reference_id=str(donation.pk),
        metadata={"donation": str(donation.pk)},
        **fields,
    )


def charge_for(donation, *, refunded: int = 0, refunds: list | None = None, **fields):
    data = obj(
        "charge",
        id=f"ch_test_{donation.pk:08d}",
        amount=int(donation.amount * 100),
        amount_captured=int(donation.amount * 100),
        amount_refunded=refunded,
        currency="cny",
        payment_intent=f"pi_test_{donation.pk:08d}",
        refunded=refunded >= int(donation.amount * 100),
        **fields,
    )
    if refunds is not None:
        data["refunds"] = {"object": "list", "data": refunds, "has_more": False}
    return data


def refund_for(donation, amount: int, n: int = 1):
    return obj(
        "refund",
        id=f"re_test_{donation.pk:06d}_{n}",
        amount=amount,
        currency="cny",
        charge=f"ch_test_{donation.pk:08d}",
        payment_intent=f"pi_test_{donation.pk:08d}",
        status="succeeded",
    )


def dispute_for(donation, *, amount: int | None = None, status: str = "needs_response", n: int = 1):
    return obj(
        "dispute",
        id=f"dp_test_{donation.pk:06d}_{n}",
        amount=amount if amount is not None else int(donation.amount * 100),
        currency="cny",
        charge=f"ch_test_{donation.pk:08d}",
        payment_intent=f"pi_test_{donation.pk:08d}",
        status=status,
    )


def post(client, ev: dict, *, secret: str = SECRET, timestamp: int | None = None, body: bytes | None = None):
    raw = body if body is not None else body_of(ev)
    return client.post(
        "/stripe/webhook/",
        data=raw,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(raw if body is None else body_of(ev), secret=secret, timestamp=timestamp),
    )
