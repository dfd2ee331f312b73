"""Everything that talks to Stripe, in one module: creating Checkout Sessions, verifying webhook
signatures, listing events for reconciliation. Tests replace `checkout_create` here (Checkout has
no local stand-in); the rest runs the real SDK, over HTTP to `STRIPE_API_BASE` when it is set."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import stripe
from django.conf import settings

from fundpool.money import to_minor_units


class GatewayError(Exception):
    """Stripe could not be reached or refused the request."""


def configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def webhook_configured() -> bool:
    return bool(settings.STRIPE_WEBHOOK_SECRET)


def client() -> stripe.StripeClient:
    base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, base_addresses=base, max_network_retries=2)


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


def checkout_params(donation, *, success_url: str, cancel_url: str, product_name: str) -> dict:
    methods = list(settings.STRIPE_PAYMENT_METHODS)
    params = {
        "mode": "payment",
        "client_reference_id": str(donation.pk),
        "metadata": {"donation": str(donation.pk)},
        "payment_method_types": methods,
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": donation.currency.lower(),
                    "unit_amount": to_minor_units(donation.amount, donation.currency),
                    "product_data": {"name": product_name},
                },
            }
        ],
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    if "wechat_pay" in methods:
        params["payment_method_options"] = {"wechat_pay": {"client": "web"}}
    if donation.email:
        params["customer_email"] = donation.email
    return params


def checkout_create(donation, *, success_url: str, cancel_url: str, product_name: str) -> CheckoutSession:
    """A Checkout Session for this donation; its idempotency key comes from our own row, so a retry
    returns the same session instead of a second one."""
    try:
        session = client().v1.checkout.sessions.create(
            params=checkout_params(donation, success_url=success_url, cancel_url=cancel_url, product_name=product_name),
            options={"idempotency_key": donation.idempotency_key},
        )
    except stripe.StripeError as exc:
        raise GatewayError(str(exc)) from exc
    return CheckoutSession(id=session.id, url=session.url)


def verify_webhook(payload: bytes, signature: str | None) -> dict:
    """The event, if `signature` is Stripe's over exactly these bytes within 5 minutes; otherwise
    `stripe.SignatureVerificationError` or ValueError (the body is not an event)."""
    try:
        event = json.loads(payload)
    except RecursionError:  # "[[[[…" nested deeper than Python parses: not an event either
        raise ValueError("the body is nested too deeply") from None
    # A body not shaped like an event (a list, a string, data that is not an object) is refused
    # first: the SDK itself fails on such a body, and nothing of it must be stored.
    data = event.get("data") if isinstance(event, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise ValueError("the body is not a Stripe event")
    stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=300)
    return event


def events_since(since: datetime) -> Iterator[dict]:
    """Every event Stripe holds from `since` on (Stripe keeps 30 days), oldest first."""
    try:
        listed = client().v1.events.list(params={"created": {"gte": int(since.timestamp())}, "limit": 100})
        # The SDK turns decimal strings into Decimals; keep the event as the JSON Stripe sent.
        events = [json.loads(json.dumps(e.to_dict(), default=str)) for e in listed.auto_paging_iter()]
    except stripe.StripeError as exc:
        raise GatewayError(str(exc)) from exc
    return iter(sorted(events, key=lambda e: (e.get("created") or 0, e.get("id") or "")))
