"""Wagtail's user screens with the project's rules on roles (cms/roles.py): the form offers only
what the person editing may give, and the views check the values about to be saved again, so a
crafted POST cannot get round the form. Installed through `UsersConfig` (cms/apps.py), Wagtail's
way of swapping its user viewset."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from wagtail.users.forms import UserCreationForm, UserEditForm
from wagtail.users.views import users as wagtail_users
from wagtail.users.views.bulk_actions import AssignRoleBulkAction, SetActiveStateBulkAction

from core.roles import role_label

from .roles import account_change_check, grantable_groups, may_manage_account


class RoleRulesMixin:
    """For a form of Wagtail's user screens: `actor` is who is editing."""

    def _apply_role_rules(self, actor, editing_self: bool) -> None:
        self.actor = actor
        if not actor.is_superuser:
            self.fields.pop("is_superuser", None)
        groups = self.fields["groups"]
        groups.label_from_instance = role_label  # the fund's roles in the reader's language
        if editing_self:
            groups.disabled = True  # the stored groups stay, whatever is posted
            groups.help_text = _("Nobody changes their own roles: ask a superuser.")
        else:
            groups.queryset = grantable_groups(actor)

    def clean(self):
        cleaned = super().clean()
        try:
            account_change_check(
                actor=self.actor,
                target_pk=self.instance.pk,
                groups=cleaned.get("groups") or [],
                is_superuser=self._superuser_after(),
            )
        except PermissionDenied as refused:
            raise forms.ValidationError(refused.message, code="role_refused") from None
        return cleaned

    def _superuser_after(self) -> bool:
        if "is_superuser" in self.fields:
            return bool(self.cleaned_data.get("is_superuser"))
        return bool(self.instance.is_superuser)  # not posted: the stored flag stays


class RoleCheckedUserCreationForm(RoleRulesMixin, UserCreationForm):
    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self._apply_role_rules(actor, editing_self=False)


class RoleCheckedUserEditForm(RoleRulesMixin, UserEditForm):
    def __init__(self, *args, actor, editing_self=False, **kwargs):
        super().__init__(*args, editing_self=editing_self, **kwargs)
        self._apply_role_rules(actor, editing_self=editing_self)


def _check_save(view) -> None:
    """The last word before a save, on the values the form is about to write."""
    form = view.form
    account_change_check(
        actor=view.request.user,
        target_pk=form.instance.pk,
        groups=form.cleaned_data.get("groups") or [],
        is_superuser=form.instance.is_superuser,
    )


class CreateView(wagtail_users.CreateView):
    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "actor": self.request.user}

    def save_instance(self):
        _check_save(self)
        return super().save_instance()


class EditView(wagtail_users.EditView):
    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "actor": self.request.user}

    def save_instance(self):
        _check_save(self)
        return super().save_instance()


class DeleteView(wagtail_users.DeleteView):
    def dispatch(self, request, *args, **kwargs):
        if not may_manage_account(request.user, self.get_object()):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class UserViewSet(wagtail_users.UserViewSet):
    add_view_class = CreateView
    edit_view_class = EditView
    delete_view_class = DeleteView
    # A copy of an account would carry its roles past the rules on creating one.
    copy_view_enabled = False

    def get_form_class(self, for_update=False):
        return RoleCheckedUserEditForm if for_update else RoleCheckedUserCreationForm


class RoleForm(forms.Form):
    role = forms.ModelChoiceField(queryset=None, label=_("Role"))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = grantable_groups(actor)
        self.fields["role"].label_from_instance = role_label


class RoleCheckedAssignRole(AssignRoleBulkAction):
    """Wagtail's "assign role" on the user list, offering only the roles the person may give, and
    leaving out their own account and any account they may not manage."""

    form_class = RoleForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "actor": self.request.user}

    def check_perm(self, obj):
        return super().check_perm(obj) and obj.pk != self.request.user.pk and may_manage_account(self.request.user, obj)


class RoleCheckedSetActiveState(SetActiveStateBulkAction):
    """Wagtail's "set active state", leaving out accounts the person may not manage."""

    def check_perm(self, obj):
        return super().check_perm(obj) and may_manage_account(self.request.user, obj)
