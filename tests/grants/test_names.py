"""Names that look alike are the same name: a group name with an invisible character, a
direction override or another spelling of the same letters is the name it looks like. Names are
shown isolated (<bdi>), so a name in another script never reorders the text around it."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.text import clean_name, name_key
from fundpool.donations import services as donation_services
from grants.common import GrantsError
from grants.groups import services as group_services
from grants.models import ResidentGroup

from ..factories import ApplicationFactory, CommunityFactory, GroupFactory, UserFactory
from .conftest import application_form
from .test_services import register

pytestmark = pytest.mark.django_db

ZWSP, RLO, PDF = "\u200b", "\u202e", "\u202c"


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("邻里互助队" + ZWSP, "邻里互助队"),
        ("邻里\u2060互助队\ufeff", "邻里互助队"),  # word joiner, byte-order mark
        (RLO + "邻里互助队" + PDF, "邻里互助队"),
        ("\u2067邻里互助队\u2069\u200f", "邻里互助队"),  # isolate and right-to-left mark
        ("Cafe\u0301", "Café"),
        ("Cafe" + ZWSP + "\u0301", "Café"),
        ("  银发   互助\t队 ", "银发 互助 队"),
        ("邻里\u3164互助队", "邻里互助队"),  # Hangul filler: a letter drawn as nothing
        ("长者食堂（二期）💡", "长者食堂（二期）💡"),  # full-width brackets are good Chinese typography
    ],
)
def test_a_name_is_kept_without_invisible_characters_and_in_one_spelling(typed, stored):
    assert clean_name(typed) == stored


@pytest.mark.parametrize(
    "one, other",
    [("Ｃａｆé　互助队", "Café 互助队"), ("银发互助队（二组）", "银发互助队(二组)"), ("第１组", "第1组")],
)
def test_full_width_and_ordinary_forms_are_one_name_to_uniqueness(one, other):
    assert name_key(one) == name_key(other)
    community = CommunityFactory()
    register(UserFactory(), name=one, community=community)
    with pytest.raises(GrantsError, match="已登记同名"):
        register(UserFactory(), name=other, community=community)


@pytest.mark.parametrize(
    "look_alike",
    ["银发互助队" + ZWSP, ZWSP + "银发互助队", RLO + "银发互助队", "银发互助队\u200d", "银发\u00ad互助队"],
)
def test_a_look_alike_of_a_registered_name_is_the_same_name(look_alike):
    community = CommunityFactory()
    register(UserFactory(), name="银发互助队", community=community)
    with pytest.raises(GrantsError, match="已登记同名"):
        register(UserFactory(), name=look_alike, community=community)
    assert ResidentGroup.objects.filter(community=community).count() == 1


def test_cafe_composed_and_decomposed_is_one_name():
    community = CommunityFactory()
    first = register(UserFactory(), name="Caf\u00e9 读书会", community=community)
    with pytest.raises(GrantsError, match="已登记同名"):
        register(UserFactory(), name="Cafe\u0301 读书会", community=community)
    assert first.name == "Café 读书会"


def test_a_direction_override_is_never_stored():
    group = register(UserFactory(), name=RLO + "队助互" + PDF, leader_name="陈" + ZWSP + "敏")
    group.refresh_from_db()
    assert group.name == "队助互" and group.leader_name == "陈敏"


def test_renaming_a_group_to_a_look_alike_of_another_is_refused():
    community = CommunityFactory()
    register(UserFactory(), name="银发互助队", community=community)
    user = UserFactory()
    other = register(user, name="青年志愿队", community=community)
    with pytest.raises(GrantsError):
        group_services.group_update(group=other, user=user, name="银发互助队" + ZWSP)
    other.refresh_from_db()
    assert other.name == "青年志愿队"


def test_a_name_of_invisible_characters_only_is_no_name():
    with pytest.raises(GrantsError):
        register(UserFactory(), name=ZWSP + RLO + "\u3164")
    assert not ResidentGroup.objects.exists()


def test_the_model_cleans_names_for_every_path_that_validates_it():
    """Staff correct groups through Wagtail's generic edit view, which validates the model."""
    group = GroupFactory.build(name="银发" + ZWSP + "互助队", leader_name=RLO + "陈敏", community=CommunityFactory())
    group.full_clean(exclude=["created_by"])
    assert group.name == "银发互助队" and group.leader_name == "陈敏"


def test_staff_editing_a_group_in_the_admin_cannot_make_a_look_alike(client, staff):
    community = CommunityFactory()
    GroupFactory(name="银发互助队", community=community)
    other = GroupFactory(name="青年志愿队", community=community)
    client.force_login(staff)
    url = reverse("residentgroup:edit", args=[other.pk])
    data = {
        "name": "银发互助队" + ZWSP,
        "group_type": other.group_type,
        "community": community.pk,
        "leader_name": other.leader_name,
        "leader_phone": other.leader_phone,
        "member_count": other.member_count,
        "member_list": other.member_list,
        "introduction": "",
        "credit_code": "",
    }
    client.post(url, data)
    other.refresh_from_db()
    assert other.name == "青年志愿队"


def test_an_application_title_is_cleaned_when_saved(client):
    application = ApplicationFactory()
    client.force_login(application.group.memberships.get(role="leader").user)
    client.post(
        reverse("grants:application_edit", args=[application.pk]),
        application_form(application, title=RLO + "长者" + ZWSP + "食堂"),
    )
    application.refresh_from_db()
    assert application.title == "长者食堂"


def test_a_donors_display_name_is_cleaned():
    donation = donation_services.donation_start(amount="50.00", display_name=RLO + "王" + ZWSP + "先生")
    assert donation.display_name == "王先生"


def bdi(html: str, text: str) -> bool:
    return re.search(r"<bdi>\s*" + re.escape(text) + r"\s*</bdi>", html) is not None


def test_names_are_isolated_where_they_sit_beside_other_text(client, staff):
    application = ApplicationFactory(title="长者食堂")
    group = application.group
    client.force_login(group.memberships.get(role="leader").user)
    for url in (reverse("grants:dashboard"), reverse("grants:group_detail", args=[group.pk])):
        html = client.get(url).content.decode()
        assert bdi(html, group.name) and bdi(html, "长者食堂"), url
    html = client.get(reverse("grants:application_detail", args=[application.pk])).content.decode()
    assert bdi(html, group.name)
    from grants.lifecycle import Status

    from .conftest import put_in_state

    put_in_state(application, Status.SUBMITTED)
    client.force_login(staff)
    html = client.get(reverse("grants_admin:call_applications", args=[application.call_id])).content.decode()
    assert bdi(html, group.name) and bdi(html, "长者食堂")


def test_the_public_notice_and_directory_isolate_names(client):
    from grants.lifecycle import Status

    from .conftest import put_in_state

    on_notice = put_in_state(ApplicationFactory(title="长者食堂"), Status.ON_NOTICE)
    type(on_notice).objects.filter(pk=on_notice.pk).update(
        notice_starts_at=timezone.now(), notice_ends_at=timezone.now() + timedelta(days=5)
    )
    html = client.get(reverse("grants:notice")).content.decode()
    assert bdi(html, on_notice.group.name) and bdi(html, "长者食堂")
    funded = put_in_state(ApplicationFactory(title="楼道花园"), Status.IN_DELIVERY)
    html = client.get(reverse("directory")).content.decode()
    assert bdi(html, funded.group.name) and bdi(html, "楼道花园")
