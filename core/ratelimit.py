"""Rate limits on the public forms that write something: objections to a proposed award, gifts
started on the donate page, residents' ratings of a project (and staff checking an objector's
phone code). One limiter, django-ratelimit, counts every POST in the default cache (Redis in
production), per sender's address and, where the form is about one thing (an award, a project),
per address and thing. Views call `limited` before the service, so a limited request writes and
sends nothing.

The sender's address is the one our own proxies saw (`client_address`, `TRUSTED_PROXY_HOPS`), so a
sender cannot pick their own with X-Forwarded-For. django-ratelimit's "ip" key reads it through
RATELIMIT_IP_META_KEY, and groups IPv6 addresses by /64, as one subscriber usually holds one."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django_ratelimit.core import is_ratelimited


@dataclass(frozen=True)
class Limit:
    per_address: int
    per_item: int | None = None
    seconds: int = 3600


# Generous for people (many residents share one address behind a carrier's NAT), tight for a script.
LIMITS = {
    "objection": Limit(per_address=20, per_item=5),
    "donation": Limit(per_address=20),
    "feedback": Limit(per_address=20, per_item=3),
    "objection_verify": Limit(per_address=30),
}


def client_address(request) -> str:
    """The sender's address as our own proxies saw it: the entry the last trusted proxy appended to
    X-Forwarded-For (the sender can write anything before it), or REMOTE_ADDR with no proxy. Always
    an IP address: anything else (a socket with no address) counts as "0.0.0.0", one shared bucket."""
    address = request.META.get("REMOTE_ADDR", "")
    hops = settings.TRUSTED_PROXY_HOPS
    if hops > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return "0.0.0.0"  # noqa: S104 - a bucket name, not an address to listen on


def limited(request, rule: str, item=None) -> bool:
    """Count this request against `rule`'s limits (per address; per address and `item` when given)
    and say whether any is now exceeded."""
    limit = LIMITS[rule]
    over = is_ratelimited(
        request, group=f"{rule}:address", key="ip", rate=(limit.per_address, limit.seconds), increment=True
    )
    if item is not None and limit.per_item:
        over |= is_ratelimited(
            request,
            group=f"{rule}:item",
            key=lambda _group, r: f"{client_address(r)}|{item}",
            rate=(limit.per_item, limit.seconds),
            increment=True,
        )
    return over
