import logging

import stripe
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from core import jobs
from fundpool.donations import gateway, stripe_events
from fundpool.donations import services as donation_services
from fundpool.ledger.selectors import pool_summary
from fundpool.models import EventStatus

logger = logging.getLogger(__name__)


def _amount(value) -> str:
    return f"{value:.2f}"


@require_GET
@cache_control(public=True, max_age=30)
def summary_json(request):
    """The pool in figures, public: no names of anyone, only totals."""
    s = pool_summary()
    return JsonResponse(
        {
            "currency": s["currency"],
            "as_of": timezone.localtime(s["as_of"]).isoformat(),
            "received": {k: _amount(v) for k, v in s["received"].items()},
            "pledged_outstanding": _amount(s["pledged_outstanding"]),
            "available": _amount(s["available"]),
            "committed": _amount(s["committed"]),
            "paid": _amount(s["paid"]),
            "by_restriction": [
                {"kind": r["kind"], "theme": r["theme"], "call": r["call"], "available": _amount(r["available"])}
                for r in s["by_restriction"]
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's events: the signature is checked over the raw body (400 and a log line if it does
    not hold); each event is stored once by its id and processed once. A duplicate gets 200 so that
    Stripe stops retrying, and so does an event held in suspense or refused for an impossible
    amount (staff are alerted and see it); a failure of ours gets 500 so that it tries again."""
    if not gateway.webhook_configured():
        logger.error("stripe webhook called but STRIPE_WEBHOOK_SECRET is not set")
        return HttpResponse("webhook not configured", status=503, content_type="text/plain")
    try:
        payload = gateway.verify_webhook(request.body, request.headers.get("Stripe-Signature"))
    except (stripe.SignatureVerificationError, ValueError) as exc:
        logger.warning("stripe webhook refused: %s", str(exc)[:200])
        return HttpResponse("invalid signature", status=400, content_type="text/plain")
    try:
        if settings.STRIPE_PROCESS_INLINE:
            event = stripe_events.event_receive(payload)
        else:
            event = stripe_events.event_store(payload)
            if event.is_new and event.status == EventStatus.RECEIVED:
                # A worker books it (fundpool/jobs.py). A repeat queues nothing more: the first
                # delivery's job is waiting, and the schedule's sweep takes any job that was lost
                # (the process stopping between the two writes, say).
                jobs.enqueue("fundpool.jobs.process_event", event.event_id)
    except donation_services.DonationError as exc:
        logger.warning("stripe webhook: %s", exc)
        return HttpResponse(str(exc), status=400, content_type="text/plain")
    except Exception:
        logger.exception("stripe webhook: event %s failed", str(payload.get("id"))[:80])
        return HttpResponse("failed; retry", status=500, content_type="text/plain")
    return JsonResponse({"received": True, "status": event.status})
