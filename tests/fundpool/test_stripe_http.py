"""The real Stripe SDK, over HTTP, against a small loopback stand-in for Stripe's API (Checkout
Sessions and the event list have no other local stand-in): what the gateway sends, and that
`stripe_reconcile` processes missed events exactly once."""

import json
import threading
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import call_command
from django.utils import timezone

from fundpool.donations import gateway
from fundpool.donations import services as donation_services
from fundpool.models import Donation, DonationStatus, EntryKind, JournalEntry, StripeEvent

from . import stripe_kit as kit

pytestmark = pytest.mark.django_db


class StubStripe(BaseHTTPRequestHandler):
    sessions: dict = {}
    requests: list = []
    events: list = []

    def log_message(self, *args):  # quiet
        pass

    def _reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", "req_stub")
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode())
        self.requests.append({"path": self.path, "form": form, "headers": dict(self.headers)})
        if self.path != "/v1/checkout/sessions":
            return self._reply(404, {"error": {"type": "invalid_request_error", "message": "no such path"}})
        if self.headers.get("Authorization") != "Bearer sk_test_stub":
            return self._reply(401, {"error": {"type": "authentication_error", "message": "bad key"}})
        key = self.headers.get("Idempotency-Key")
        if key not in self.sessions:
            n = len(self.sessions) + 1
            self.sessions[key] = kit.obj(
                "checkout.session",
                id=f"cs_test_stub_{n}",
                url=f"https://checkout.stripe.test/pay/cs_test_stub_{n}",
                amount_total=int(form["line_items[0][price_data][unit_amount]"][0]),
                currency=form["line_items[0][price_data][currency]"][0],
                client_reference_id=form["client_reference_id"][0],
            )
        return self._reply(200, self.sessions[key])

    def do_GET(self):
        url = urlparse(self.path)
        if url.path != "/v1/events":
            return self._reply(404, {"error": {"type": "invalid_request_error", "message": "no such path"}})
        query = parse_qs(url.query)
        since = int(query.get("created[gte]", ["0"])[0])
        data = [e for e in self.events if e["created"] >= since]
        return self._reply(200, {"object": "list", "url": "/v1/events", "has_more": False, "data": data})


@pytest.fixture
def stub(settings):
    StubStripe.sessions, StubStripe.requests, StubStripe.events = {}, [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubStripe)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.STRIPE_SECRET_KEY = "sk_test_stub"
    settings.STRIPE_WEBHOOK_SECRET = kit.SECRET
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{server.server_address[1]}"
    settings.STRIPE_PAYMENT_METHODS = ["card", "alipay", "wechat_pay"]
    yield StubStripe
    server.shutdown()
    server.server_close()


def test_checkout_goes_through_the_sdk_with_our_idempotency_key(stub):
    donation = donation_services.donation_start(amount="50.00", email="donor@example.invalid")
    session = donation_services.donation_checkout(
        donation=donation, success_url="http://testserver/ok", cancel_url="http://testserver/cancel"
    )
    assert session.url.startswith("https://checkout.stripe.test/pay/")
    sent = stub.requests[-1]
    form = sent["form"]
    assert sent["headers"]["Idempotency-Key"] == donation.idempotency_key
    assert form["line_items[0][price_data][unit_amount]"] == ["5000"]
    assert form["line_items[0][price_data][currency]"] == ["cny"]
    assert [form[f"payment_method_types[{i}]"][0] for i in range(3)] == ["card", "alipay", "wechat_pay"]
    assert form["payment_method_options[wechat_pay][client]"] == ["web"]
    assert form["mode"] == ["payment"] and form["customer_email"] == ["donor@example.invalid"]
    assert Donation.objects.get(pk=donation.pk).stripe_session_id == session.id


def test_a_retried_checkout_does_not_create_a_second_session(stub):
    donation = donation_services.donation_start(amount="20.00")
    first = gateway.checkout_create(donation, success_url="http://t/ok", cancel_url="http://t/no", product_name="x")
    again = gateway.checkout_create(donation, success_url="http://t/ok", cancel_url="http://t/no", product_name="x")
    assert first.id == again.id and len(stub.sessions) == 1


def test_when_stripe_is_unreachable_the_donor_is_told_and_nothing_is_charged(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_stub"
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens here
    donation = donation_services.donation_start(amount="20.00")
    with pytest.raises(donation_services.DonationError, match="无法连接|could not be reached"):
        donation_services.donation_checkout(donation=donation, success_url="http://t/ok", cancel_url="http://t/no")
    assert Donation.objects.get(pk=donation.pk).stripe_session_id is None


def test_reconcile_processes_missed_events_once(stub, capsys, client):
    donation = donation_services.donation_start(amount="100.00")
    Donation.objects.filter(pk=donation.pk).update(stripe_session_id=f"cs_test_{donation.pk:08d}")
    donation.refresh_from_db()
    missed = kit.event("checkout.session.completed", kit.session_for(donation))
    delivered = kit.event("customer.created", kit.obj("charge"))
    kit.post(client, delivered)
    old = kit.event(
        "checkout.session.expired",
        kit.session_for(donation),
        created=int((timezone.now() - timedelta(days=40)).timestamp()),
    )
    stub.events = [missed, delivered, old]
    since = (timezone.localdate() - timedelta(days=2)).isoformat()
    call_command("stripe_reconcile", "--since", since)
    assert "2 event(s) at Stripe" in capsys.readouterr().out
    assert Donation.objects.get(pk=donation.pk).status == DonationStatus.CONFIRMED
    call_command("stripe_reconcile", "--since", since)
    assert JournalEntry.objects.filter(kind=EntryKind.INFLOW).count() == 1
    assert StripeEvent.objects.count() == 2
    assert Donation.objects.get(pk=donation.pk).inflow.amount == Decimal("100.00")
