"""The conflict register per call, and the public notice naming reviewers only when the call says so."""

import pytest
from django.urls import reverse
from django.utils import timezone

from grants.lifecycle import Status
from grants.models import Call, ReviewAssignment

from ..factories import ApplicationFactory, CallFactory, UserFactory
from .conftest import put_in_state

pytestmark = pytest.mark.django_db


def test_the_register_lists_every_declared_conflict_with_its_reason(staff, client):
    call = CallFactory()
    app = put_in_state(ApplicationFactory(call=call, title="长者助餐点"), Status.SUBMITTED)
    cousin = UserFactory(username="cousin", first_name="表哥")
    ReviewAssignment.objects.create(
        application=app, reviewer=cousin, recused=True, declared_at=timezone.now(), conflict_note="组长是我表妹"
    )
    ReviewAssignment.objects.create(application=app, reviewer=UserFactory(username="clean"), declared_at=timezone.now())
    client.force_login(staff)
    page = client.get(reverse("grants_admin:call_conflicts", args=[call.pk])).content.decode()
    assert "组长是我表妹" in page and "长者助餐点" in page
    assert "clean" not in page  # no conflict, not on the register


def test_the_notice_names_reviewers_only_when_the_call_says_so(client):
    app = put_in_state(ApplicationFactory(), Status.ON_NOTICE)
    app.notice_ends_at = timezone.now() + timezone.timedelta(days=3)
    app.save(update_fields=["notice_ends_at"])
    ReviewAssignment.objects.create(
        application=app,
        reviewer=UserFactory(username="li", first_name="李", last_name="评审"),
        declared_at=timezone.now(),
    )
    named = client.get(reverse("grants:notice")).content.decode()
    assert "李" in named.split(f'id="notice-{app.pk}"')[1]
    Call.objects.filter(pk=app.call_id).update(notice_names_reviewers=False)
    unnamed = (
        client.get(reverse("grants:notice")).content.decode().split(f'id="notice-{app.pk}"')[1].split("</article>")[0]
    )
    assert "经 1 位评审审议" in unnamed and "李" not in unnamed
