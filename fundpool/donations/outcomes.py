"""Why a Stripe event cannot be booked as it stands: it waits for another event (deferred), it is
held for staff (a currency that is not the gift's), or it is impossible as sent (refused)."""

from __future__ import annotations

from fundpool.models import EventStatus


class Deferred(Exception):
    """The event concerns a payment we have not fulfilled yet; it waits for it."""


class Unbookable(Exception):
    """The event cannot be booked as it stands. Final: nothing of it is booked, it is never retried,
    staff are alerted and see why (a key of EVENT_REASONS and its parameters)."""

    status = EventStatus.REFUSED

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, {k: str(v) for k, v in params.items()}


class Refused(Unbookable):
    """Impossible as sent (an amount that is not finite, not an integer, negative, missing, larger
    than the gift): no payment could make it possible."""


class Held(Unbookable):
    """Possible, but not ours to book automatically (another currency than the gift's): held in
    suspense for staff to record by hand."""

    status = EventStatus.SUSPENSE
