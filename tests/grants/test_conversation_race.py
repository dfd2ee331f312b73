"""A double click, or two tabs, sending one message: the same form token posted at once by
several threads makes one message and one email (PostgreSQL, real threads)."""

import pytest
from django.db import connection

from core.models import OutboundEmail
from grants.conversation import services
from grants.lifecycle import Status
from grants.models import Message, Thread

from ..factories import ApplicationFactory
from ..fundpool.test_concurrency import race
from .conftest import put_in_state

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL and concurrent sessions"),
    pytest.mark.django_db(transaction=True),
]


def test_the_same_message_sent_at_once_from_several_threads_is_one_message(staff):
    application = put_in_state(ApplicationFactory(), Status.SUBMITTED)
    leader = application.group.memberships.get().user
    results = race(
        6,
        lambda i: services.message_send(
            application=application, user=leader, body="双击发送的消息", as_fund=False, nonce="same-form"
        ),
    )
    assert all(isinstance(r, services.Sent) for r in results), results
    assert Message.objects.count() == 1
    assert sum(r.created for r in results) == 1
    assert Thread.objects.count() == 1
    assert OutboundEmail.objects.filter(kind="message").count() == 1


def test_the_first_messages_of_a_thread_racing_make_one_thread(roles):
    application = put_in_state(ApplicationFactory(), Status.SUBMITTED)
    leader = application.group.memberships.get().user
    results = race(
        4,
        lambda i: services.message_send(
            application=application, user=leader, body=f"消息{i}", as_fund=False, nonce=f"n{i}"
        ),
    )
    assert all(isinstance(r, services.Sent) for r in results), results
    assert Thread.objects.count() == 1 and Message.objects.count() == 4
