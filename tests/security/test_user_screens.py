"""Wagtail's user and group screens cannot be used to climb: only superusers grant the superuser
flag, staff or finance; nobody changes their own roles; staff never open a superuser's account, nor
another staff or finance account (setting its password or email would be taking it over). Every
attack is a crafted POST, and the target account is checked unchanged afterwards."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from ..factories import UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
ADMIN_PASSWORD = "Admin-pass-2026!"


@pytest.fixture
def admin(roles):
    return UserFactory(username="boss", email="boss@example.invalid", password=ADMIN_PASSWORD, is_superuser=True)


@pytest.fixture
def resident(roles):
    user = UserFactory(username="resident", email="resident@example.invalid", first_name="王芳", last_name="王")
    user.groups.add(roles["applicant"])
    return user


def account(user) -> dict:
    """What an auditor would compare: the flags, the roles, the password hash, the address."""
    user = User.objects.get(pk=user.pk)
    return {
        "is_superuser": user.is_superuser,
        "is_staff": user.is_staff,
        "is_active": user.is_active,
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "password": user.password,
        "email": user.email,
        "first_name": user.first_name,
    }


def edit_form(user, **changes) -> dict:
    """The user edit form as the browser would post it, with `changes` on top."""
    data = {
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name or "名",
        "last_name": user.last_name or "姓",
        "is_active": "on" if user.is_active else "",
        "groups": [str(pk) for pk in user.groups.values_list("pk", flat=True)],
        "password1": "",
        "password2": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value not in ("", None)}


def edit(client, user, **changes):
    return client.post(reverse("wagtailusers_users:edit", args=[user.pk]), edit_form(user, **changes))


# --- staff editing accounts --------------------------------------------------------------------


def test_staff_cannot_make_anyone_a_superuser(client, staff, resident):
    before = account(resident)
    client.force_login(staff)
    edit(client, resident, is_superuser="on")
    assert account(resident) == before


def test_staff_cannot_put_anyone_into_finance_or_staff(client, staff, resident, roles):
    before = account(resident)
    client.force_login(staff)
    for role in ("finance", "staff"):
        edit(client, resident, groups=[str(roles[role].pk)])
    assert account(resident) == before


def roles_of(user) -> dict:
    return {key: value for key, value in account(user).items() if key in ("is_superuser", "groups")}


def test_nobody_changes_their_own_groups(client, staff, roles):
    before = roles_of(staff)
    client.force_login(staff)
    edit(client, staff, groups=[str(roles["staff"].pk), str(roles["finance"].pk)])
    assert roles_of(staff) == before


def test_a_superuser_cannot_change_their_own_groups_either(client, admin, roles):
    before = roles_of(admin)
    client.force_login(admin)
    edit(client, admin, groups=[str(roles["finance"].pk)])
    assert roles_of(admin) == before


def test_staff_cannot_open_or_change_the_administrators_account(client, staff, admin):
    before = account(admin)
    client.force_login(staff)
    url = reverse("wagtailusers_users:edit", args=[admin.pk])
    assert client.get(url).status_code in (302, 403)
    edit(client, admin, password1="Taken-over-2026!", password2="Taken-over-2026!", email="evil@example.invalid")
    assert account(admin) == before
    assert User.objects.get(pk=admin.pk).check_password(ADMIN_PASSWORD)


def test_staff_cannot_take_over_a_finance_account(client, staff, finance):
    before = account(finance)
    client.force_login(staff)
    edit(client, finance, password1="Taken-over-2026!", password2="Taken-over-2026!")
    edit(client, finance, groups=[])  # nor strip the role
    assert account(finance) == before


def test_staff_still_look_after_residents_and_reviewers(client, staff, resident, roles):
    """The screens keep their use: staff correct a resident's name and make a trustee a reviewer."""
    client.force_login(staff)
    response = edit(client, resident, first_name="王芳芳", groups=[str(roles["reviewer"].pk)])
    assert response.status_code == 302
    after = account(resident)
    assert after["first_name"] == "王芳芳" and after["groups"] == [roles["reviewer"].name]


def test_the_form_offers_staff_neither_the_superuser_box_nor_the_fund_roles(client, staff, resident, roles):
    client.force_login(staff)
    form = client.get(reverse("wagtailusers_users:edit", args=[resident.pk])).context["form"]
    assert "is_superuser" not in form.fields
    offered = set(form.fields["groups"].queryset.values_list("name", flat=True))
    assert roles["reviewer"].name in offered
    assert not offered & {roles["staff"].name, roles["finance"].name}


def test_a_superuser_grants_finance(client, admin, resident, roles):
    client.force_login(admin)
    response = edit(client, resident, groups=[str(roles["finance"].pk)])
    assert response.status_code == 302
    assert account(resident)["groups"] == [roles["finance"].name]


def test_a_superuser_grants_the_superuser_flag(client, admin, resident):
    client.force_login(admin)
    edit(client, resident, is_superuser="on")
    assert account(resident)["is_superuser"] is True


# --- create and delete -------------------------------------------------------------------------


def new_user_form(**changes) -> dict:
    data = {
        "username": "newcomer",
        "email": "newcomer@example.invalid",
        "first_name": "新",
        "last_name": "人",
        "password1": "New-comer-2026!",
        "password2": "New-comer-2026!",
    }
    data.update(changes)
    return data


@pytest.fixture
def staff_who_may_add_and_delete(staff):
    """Staff as a superuser might one day widen them: with Django's add and delete user permissions."""
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="auth", codename__in=["add_user", "delete_user"])
    )
    return User.objects.get(pk=staff.pk)


def test_staff_cannot_create_a_superuser_or_a_finance_account(client, staff_who_may_add_and_delete, roles):
    client.force_login(staff_who_may_add_and_delete)
    url = reverse("wagtailusers_users:add")
    client.post(url, new_user_form(is_superuser="on"))
    client.post(url, new_user_form(groups=[str(roles["finance"].pk)]))
    assert not User.objects.filter(username="newcomer", is_superuser=True).exists()
    assert not User.objects.filter(username="newcomer", groups=roles["finance"]).exists()


def test_staff_who_may_add_users_create_a_reviewer(client, staff_who_may_add_and_delete, roles):
    client.force_login(staff_who_may_add_and_delete)
    client.post(reverse("wagtailusers_users:add"), new_user_form(groups=[str(roles["reviewer"].pk)]))
    assert User.objects.get(username="newcomer").groups.get() == roles["reviewer"]


def test_staff_cannot_delete_the_administrator_or_finance(client, staff_who_may_add_and_delete, admin, finance):
    client.force_login(staff_who_may_add_and_delete)
    for target in (admin, finance):
        client.post(reverse("wagtailusers_users:delete", args=[target.pk]))
    assert User.objects.filter(pk__in=[admin.pk, finance.pk]).count() == 2


def test_there_is_no_copy_of_an_account(admin):
    from django.urls import NoReverseMatch

    with pytest.raises(NoReverseMatch):
        reverse("wagtailusers_users:copy", args=[admin.pk])


# --- bulk actions on the user list -------------------------------------------------------------


def bulk(client, action, users, **data):
    url = reverse("wagtail_bulk_action", args=["auth", "user", action])
    query = "&".join(f"id={user.pk}" for user in users)
    return client.post(f"{url}?{query}", data)


def test_staff_cannot_bulk_assign_finance_to_themselves_or_others(client, staff, resident, roles):
    before = [account(staff), account(resident)]
    client.force_login(staff)
    bulk(client, "assign_role", [staff, resident], role=str(roles["finance"].pk))
    bulk(client, "assign_role", [staff], role=str(roles["reviewer"].pk))
    assert [account(staff), account(resident)] == before


def test_staff_cannot_bulk_deactivate_the_administrator(client, staff, admin, finance):
    before = [account(admin), account(finance)]
    client.force_login(staff)
    bulk(client, "set_active_state", [admin, finance], mark_as_active="False")
    assert [account(admin), account(finance)] == before


def test_staff_bulk_assign_the_reviewer_role(client, staff, resident, roles):
    client.force_login(staff)
    bulk(client, "assign_role", [resident], role=str(roles["reviewer"].pk))
    assert roles["reviewer"].name in account(resident)["groups"]


# --- the group screens ---------------------------------------------------------------------------


def test_staff_cannot_reach_the_group_screens(client, staff, roles):
    from django.contrib.auth.models import Permission

    finance_group = roles["finance"]
    before = set(finance_group.permissions.values_list("pk", flat=True))
    client.force_login(staff)
    assert client.get(reverse("wagtailusers_groups:edit", args=[finance_group.pk])).status_code in (302, 403)
    everything = Permission.objects.filter(content_type__app_label="auth").values_list("pk", flat=True)
    client.post(
        reverse("wagtailusers_groups:edit", args=[finance_group.pk]),
        {"name": finance_group.name, "permissions": [str(pk) for pk in everything]},
    )
    client.post(reverse("wagtailusers_groups:add"), {"name": "超级组", "permissions": [str(pk) for pk in everything]})
    assert set(Group.objects.get(pk=finance_group.pk).permissions.values_list("pk", flat=True)) == before
    assert not Group.objects.filter(name="超级组").exists()


# --- finance has no user screens ---------------------------------------------------------------


def test_finance_cannot_touch_accounts(client, finance, resident, roles):
    before = account(resident)
    client.force_login(finance)
    assert client.get(reverse("wagtailusers_users:edit", args=[resident.pk])).status_code in (302, 403)
    edit(client, resident, is_superuser="on", groups=[str(roles["finance"].pk)])
    bulk(client, "assign_role", [resident], role=str(roles["finance"].pk))
    assert account(resident) == before


# --- the rule itself, whatever screen calls it ---------------------------------------------------


def test_the_rule_refuses_what_the_form_would_never_offer(staff, admin, resident, roles):
    """cms/roles.py decides; the views call it on the values about to be saved, so a form that let
    something through would still be stopped there."""
    from cms.roles import RoleChangeRefused, account_change_check

    finance_role, reviewer_role = roles["finance"], roles["reviewer"]
    attempts = [
        dict(actor=staff, target_pk=resident.pk, groups=[finance_role], is_superuser=False),
        dict(actor=staff, target_pk=resident.pk, groups=[], is_superuser=True),
        dict(actor=staff, target_pk=None, groups=[finance_role], is_superuser=False),
        dict(actor=staff, target_pk=admin.pk, groups=[], is_superuser=True),
        dict(actor=staff, target_pk=staff.pk, groups=[reviewer_role, roles["staff"]], is_superuser=False),
        dict(actor=admin, target_pk=admin.pk, groups=[finance_role], is_superuser=True),
    ]
    for attempt in attempts:
        with pytest.raises(RoleChangeRefused):
            account_change_check(**attempt)
    account_change_check(actor=staff, target_pk=resident.pk, groups=[reviewer_role], is_superuser=False)
    account_change_check(actor=admin, target_pk=resident.pk, groups=[finance_role], is_superuser=True)
