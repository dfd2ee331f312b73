"""Phone numbers where people type them: a mainland mobile (11 digits, 1[3-9]…) or a landline with
its area code (and an extension if any). A 7-digit number, which nobody can call from outside its
city, is refused with a message saying what to type."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from grants.common import GrantsError
from grants.lifecycle import Status
from grants.models import Objection, ResidentGroup
from grants.validators import normalise_phone

from ..factories import ApplicationFactory, CommunityFactory, UserFactory
from .conftest import put_in_state
from .test_services import register

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "typed, kept",
    [
        ("13800000000", "13800000000"),
        ("138 0000 0000", "13800000000"),
        ("138-0000-0000", "13800000000"),
        ("+86 139 1234 5678", "13912345678"),
        ("１３８００００００００", "13800000000"),  # full-width digits from a Chinese keyboard
        ("010-12345678", "010-12345678"),
        ("01012345678", "010-12345678"),
        ("0755 1234567", "0755-1234567"),
        ("(021)12345678", "021-12345678"),
        ("（0571）87654321", "0571-87654321"),
        ("021-12345678-123", "021-12345678-123"),
        ("021-12345678转8001", "021-12345678-8001"),
        ("0571 8765 4321 ext. 12", "0571-87654321-12"),
    ],
)
def test_mobile_and_landline_numbers_are_kept_in_one_form(typed, kept):
    assert normalise_phone(typed) == kept


@pytest.mark.parametrize(
    "typed",
    [
        "1234567",  # 7 digits: a landline without its area code
        "87654321",
        "23800000000",  # not 1…
        "12800000000",  # 12… is no mobile prefix
        "1380000000",  # 10 digits
        "138000000001",  # 12 digits
        "010-123456",  # 6 digits after the area code
        "010-123456789",
        "0101-2345678",  # 010 is a 3-digit area code; 0101 is none
        "phone me",
        "",
    ],
)
def test_other_numbers_are_refused_with_a_chinese_message(typed):
    with pytest.raises(ValidationError) as exc:
        normalise_phone(typed)
    assert "手机号" in str(exc.value.messages[0]) and "区号" in str(exc.value.messages[0])


def test_registering_a_group_with_a_7_digit_phone_is_refused():
    with pytest.raises(GrantsError, match="手机号"):
        register(UserFactory(), leader_phone="1234567")
    assert not ResidentGroup.objects.exists()


def test_the_group_form_says_it_beside_the_phone_and_keeps_the_number_in_one_form(client):
    client.force_login(UserFactory())
    community = CommunityFactory()
    data = {
        "name": "楼道自治角",
        "group_type": "interest",
        "community": community.pk,
        "leader_name": "周杰",
        "leader_phone": "1234567",
        "member_count": "15",
        "member_list": "周杰 3栋",
        "introduction": "",
        "credit_code": "",
    }
    html = client.post(reverse("grants:group_create"), data).content.decode()
    phone_input = html.index('name="leader_phone"')
    assert "请填写 11 位手机号" in html[phone_input:]
    assert not ResidentGroup.objects.exists()
    client.post(reverse("grants:group_create"), {**data, "leader_phone": "139 1234 5678"})
    assert ResidentGroup.objects.get().leader_phone == "13912345678"


@pytest.fixture
def on_notice(db):
    application = put_in_state(ApplicationFactory(), Status.ON_NOTICE)
    type(application).objects.filter(pk=application.pk).update(
        notice_starts_at=timezone.now(), notice_ends_at=timezone.now() + timedelta(days=5)
    )
    return application


@pytest.mark.parametrize("contact, accepted", [("1234567", False), ("13900000000", True), ("a@example.org", True)])
def test_an_objection_needs_a_phone_or_email_that_can_be_answered(client, on_notice, contact, accepted):
    client.post(
        reverse("grants:notice"),
        {"application": on_notice.pk, "name": "张三", "contact": contact, "text": "该团队并未在本社区活动。"},
    )
    assert Objection.objects.filter(application=on_notice).exists() is accepted
