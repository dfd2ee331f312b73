"""The rules on roles (cms/roles.py) at the doors of Wagtail's user screens: before an account is
opened, created or deleted, and before a bulk action on the user list runs. The forms and views of
cms/users.py check the saved values again; these hooks stop a request before anything is shown.
And on the admin's account page, the way to the second factor (cms/mfa.py)."""

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.auth import permission_denied

from .roles import fund_group_names, holds_fund_role, may_manage_account
from .users import RoleCheckedAssignRole, RoleCheckedSetActiveState


@hooks.register("before_edit_user")
def _edit_only_accounts_one_may_manage(request, user):
    if not may_manage_account(request.user, user):
        return permission_denied(request)
    if request.method == "POST" and not request.user.is_superuser and "is_superuser" in request.POST:
        return permission_denied(request)  # never in the form staff see: a crafted request
    return None


@hooks.register("before_delete_user")
def _delete_only_accounts_one_may_manage(request, user):
    if user.pk == request.user.pk or not may_manage_account(request.user, user):
        return permission_denied(request)
    return None


@hooks.register("before_create_user")
def _create_without_fund_roles(request):
    if request.method != "POST" or request.user.is_superuser:
        return None
    from django.contrib.auth.models import Group

    wanted = [pk for pk in request.POST.getlist("groups") if pk.isdigit()]
    if "is_superuser" in request.POST or Group.objects.filter(pk__in=wanted, name__in=fund_group_names()).exists():
        return permission_denied(request)
    return None


@hooks.register("before_bulk_action")
def _bulk_only_on_accounts_one_may_manage(request, action_type, objects, action):
    if getattr(action, "model", None) is not get_user_model():
        return None
    if not all(may_manage_account(request.user, user) for user in objects):
        return permission_denied(request)
    if action_type == "assign_role":
        role = action.cleaned_form.cleaned_data.get("role")
        if any(user.pk == request.user.pk for user in objects):
            return permission_denied(request)
        if role is not None and role.name in fund_group_names() and not request.user.is_superuser:
            return permission_denied(request)
    return None


# After Wagtail's own (order 0), so that these replace its actions of the same type.
hooks.register("register_bulk_action", RoleCheckedAssignRole, order=1)
hooks.register("register_bulk_action", RoleCheckedSetActiveState, order=1)


@hooks.register("register_account_menu_item")
def _second_factor(request):
    if not holds_fund_role(request.user):
        return None
    return {
        "url": reverse("mfa_index"),
        "label": _("Two-step sign-in"),
        "help_text": _("After the password, a code from an authenticator app on your phone; with recovery codes."),
    }
