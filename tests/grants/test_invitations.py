"""Invitations to a group: the group page lists the pending ones and its leader can cancel them;
the join page tells the person invited which group it is and who invited them, and tells nobody
else anything about the group."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from grants.common import GrantsError
from grants.groups import services as group_services
from grants.models import GroupInvitation, GroupMembership

from ..factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def group():
    return GroupFactory(name="银发互助队")


@pytest.fixture
def leader(group):
    return group.memberships.get(role="leader").user


@pytest.fixture
def member(group):
    user = UserFactory(email="member@example.invalid")
    GroupMembership.objects.create(group=group, user=user, role="member")
    return user


def invite(group, leader, email="new@example.invalid"):
    return group_services.group_invite(group=group, email=email, actor=leader)


def test_the_group_page_lists_pending_invitations_with_a_cancel_button_for_the_leader(client, group, leader):
    pending = invite(group, leader, "pending@example.invalid")
    used = invite(group, leader, "used@example.invalid")
    GroupInvitation.objects.filter(pk=used.pk).update(accepted_at=timezone.now())
    old = invite(group, leader, "old@example.invalid")
    GroupInvitation.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))
    client.force_login(leader)
    html = client.get(reverse("grants:group_detail", args=[group.pk])).content.decode()
    assert "pending@example.invalid" in html
    assert "used@example.invalid" not in html and "old@example.invalid" not in html
    assert reverse("grants:invitation_cancel", args=[pending.pk]) in html


def test_a_member_who_is_not_the_leader_sees_the_list_but_no_cancel_button(client, group, leader, member):
    pending = invite(group, leader, "pending@example.invalid")
    client.force_login(member)
    html = client.get(reverse("grants:group_detail", args=[group.pk])).content.decode()
    assert "pending@example.invalid" in html
    assert reverse("grants:invitation_cancel", args=[pending.pk]) not in html


def test_the_leader_cancels_an_invitation_and_its_link_stops_working(client, group, leader):
    invitation = invite(group, leader)
    client.force_login(leader)
    response = client.post(reverse("grants:invitation_cancel", args=[invitation.pk]), follow=True)
    assert "已撤销" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.cancelled_at is not None and invitation.cancelled_by == leader
    assert "new@example.invalid" not in client.get(reverse("grants:group_detail", args=[group.pk])).content.decode()
    invitee = UserFactory(email="new@example.invalid")
    with pytest.raises(GrantsError, match="撤销"):
        group_services.invitation_accept(token=invitation.token, user=invitee)
    assert not group.memberships.filter(user=invitee).exists()


def test_only_the_leader_may_cancel(group, leader, member):
    invitation = invite(group, leader)
    with pytest.raises(GrantsError, match="负责人"):
        group_services.invitation_cancel(invitation=invitation, actor=member)
    invitation.refresh_from_db()
    assert invitation.cancelled_at is None


def test_an_accepted_invitation_cannot_be_cancelled(group, leader):
    invitation = invite(group, leader)
    group_services.invitation_accept(token=invitation.token, user=UserFactory(email="new@example.invalid"))
    with pytest.raises(GrantsError):
        group_services.invitation_cancel(invitation=invitation, actor=leader)


def test_the_join_page_names_the_group_and_who_invited(client, group, leader):
    invitation = invite(group, leader)
    client.force_login(UserFactory(email="new@example.invalid"))
    html = client.get(reverse("grants:invitation_accept", args=[invitation.token])).content.decode()
    assert "银发互助队" in html and leader.email in html
    assert 'type="submit"' in html


def test_the_join_page_tells_someone_else_nothing_about_the_group(client, group, leader):
    invitation = invite(group, leader)
    client.force_login(UserFactory(email="someone-else@example.invalid"))
    response = client.get(reverse("grants:invitation_accept", args=[invitation.token]))
    html = response.content.decode()
    assert response.status_code == 403
    assert "银发互助队" not in html and leader.email not in html and "new@example.invalid" not in html
    assert "另一个邮箱" in html


def test_a_cancelled_invitations_page_says_so_without_a_form(client, group, leader):
    invitation = invite(group, leader)
    group_services.invitation_cancel(invitation=invitation, actor=leader)
    client.force_login(UserFactory(email="new@example.invalid"))
    html = client.get(reverse("grants:invitation_accept", args=[invitation.token])).content.decode()
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    assert "撤销" in main and "<form" not in main


def test_an_unknown_invitation_link_is_404(client):
    client.force_login(UserFactory())
    assert client.get(reverse("grants:invitation_accept", args=["no-such-token"])).status_code == 404


def test_a_second_invitation_to_a_waiting_address_is_refused_and_sends_nothing(
    client, group, leader, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(group, leader, "neighbour@example.invalid")
    with pytest.raises(GrantsError, match="已邀请过 neighbour@example.invalid"):
        invite(group, leader, " Neighbour@Example.INVALID ")
    client.force_login(leader)
    response = client.post(
        reverse("grants:group_detail", args=[group.pk]), {"email": "neighbour@example.invalid"}, follow=True
    )
    assert "已邀请过 neighbour@example.invalid" in response.content.decode()
    assert group.invitations.count() == 1 and len(mailoutbox) == 1


def test_an_address_may_be_invited_again_once_its_invitation_is_cancelled(
    group, leader, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = invite(group, leader, "neighbour@example.invalid")
        group_services.invitation_cancel(invitation=first, actor=leader)
        invite(group, leader, "neighbour@example.invalid")
    assert group.invitations.count() == 2 and len(mailoutbox) == 2
