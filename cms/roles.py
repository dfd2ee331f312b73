"""The people who use the system, as Django groups. Staff and finance work in the Wagtail admin;
reviewers and applicants never get admin access (their pages are the site's own).

Who may give whom a role is decided here, once, for Wagtail's user screens and bulk actions alike
(cms/users.py, cms/wagtail_hooks.py): only superusers grant or take away the superuser flag, staff
or finance; nobody changes their own roles; and only superusers open the account of a superuser,
staff or finance (setting its password or email would be taking it over)."""

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from core.roles import ROLE_NAMES

ROLES = {
    "staff": (
        ROLE_NAMES["staff"],
        [
            "wagtailadmin.access_admin",
            "fundpool.view_account",
            "fundpool.view_commitment",
            "fundpool.view_journalentry",
            "fundpool.view_inflow",
            "fundpool.add_inflow",
            "fundpool.view_pledge",
            "fundpool.add_pledge",
            "fundpool.change_pledge",
            "fundpool.view_funder",
            "fundpool.add_funder",
            "fundpool.change_funder",
            "fundpool.view_theme",
            "fundpool.add_theme",
            "fundpool.view_donation",
            "fundpool.view_campaign",
            "fundpool.add_campaign",
            "fundpool.change_campaign",
            "fundpool.record_receipt_number",
            "fundpool.view_importbatch",
            "fundpool.add_importbatch",
            "fundpool.change_theme",
            "grants.view_application",
            "grants.screen_application",
            "grants.decide_application",
            "grants.manage_delivery",
            "grants.evaluate_report",
            "reports.generate_annual_report",
            "grants.view_lifecycle",
            "grants.file_residentgroup",
            "grants.view_residentgroup",
            "grants.change_residentgroup",
            "grants.view_call",
            "grants.add_call",
            "grants.change_call",
            "grants.view_priorityproblem",
            "grants.add_priorityproblem",
            "grants.change_priorityproblem",
            "grants.view_community",
            "grants.add_community",
            "grants.change_community",
            "grants.view_subdistrict",
            "grants.add_subdistrict",
            "grants.change_subdistrict",
            # Decisions staff take on these are logged on them; Wagtail's site history shows an
            # entry only to people with a permission on its object's model.
            "grants.view_objection",
            "grants.view_expense",
            "grants.view_projectreport",
            "grants.view_feedback",
            # Staff look after residents' and reviewers' accounts on Wagtail's user screens; the
            # fund's own roles are the superusers' to give (FUND_ROLES below).
            "auth.view_user",
            "auth.change_user",
            # The outbox and the background jobs: "was the group told?", and a job to try again.
            "core.view_outboundemail",
            "core.manage_jobs",
        ],
    ),
    "finance": (
        ROLE_NAMES["finance"],
        [
            "wagtailadmin.access_admin",
            "fundpool.view_account",
            "fundpool.view_commitment",
            "fundpool.view_journalentry",
            "fundpool.reverse_journalentry",
            "fundpool.view_inflow",
            "fundpool.add_inflow",
            "fundpool.view_pledge",
            "fundpool.add_pledge",
            "fundpool.change_pledge",
            "fundpool.view_funder",
            "fundpool.view_theme",
            "fundpool.view_donation",
            "fundpool.view_campaign",
            "fundpool.record_receipt_number",
            "fundpool.view_importbatch",
            "fundpool.add_importbatch",
            "fundpool.view_stripeevent",
            # Finance pays; it does not sign agreements, decide expenses or accept reports.
            "grants.pay_tranche",
            "grants.view_application",
            # Finance decide expenses and moderate feedback too: their decisions, in the history.
            "grants.view_expense",
            "grants.view_feedback",
        ],
    ),
    "reviewer": (ROLE_NAMES["reviewer"], ["grants.review_application"]),
    "applicant": (ROLE_NAMES["applicant"], []),
}


def ensure_roles() -> dict[str, Group]:
    groups = {}
    for key, (name, perms) in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
        group.permissions.add(*wanted)
        groups[key] = group
    _staff_edit_pages(groups["staff"])
    return groups


def _staff_edit_pages(group) -> None:
    """Staff write and publish the public site's pages (outcomes, about pages) from the home page down."""
    from wagtail.models import GroupPagePermission, Page

    home = Page.objects.filter(depth=2).order_by("path").first()
    if home is None:
        return
    for codename in ("add_page", "change_page", "publish_page", "lock_page", "unlock_page"):
        permission = Permission.objects.filter(content_type__app_label="wagtailcore", codename=codename).first()
        if permission is not None:
            GroupPagePermission.objects.get_or_create(group=group, page=home, permission=permission)


# Roles that move money or run the programme: only a superuser grants or removes them.
FUND_ROLES = ("staff", "finance")


class RoleChangeRefused(PermissionDenied):
    """A change of someone's roles that the person asking may not make."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def fund_group_names() -> set[str]:
    return {ROLES[key][0] for key in FUND_ROLES}


def holds_fund_role(user) -> bool:
    """A superuser, or a member of staff or finance."""
    if user.is_superuser:
        return True
    return user.pk is not None and user.groups.filter(name__in=fund_group_names()).exists()


def grantable_groups(actor):
    """The groups `actor` may give or take away on the user screens."""
    groups = Group.objects.order_by("name")
    return groups if actor.is_superuser else groups.exclude(name__in=fund_group_names())


def may_manage_account(actor, target) -> bool:
    """Whether `actor` may open `target`'s account on the user screens at all: superusers any,
    everyone their own, others only accounts without a fund role."""
    return actor.is_superuser or actor.pk == target.pk or not holds_fund_role(target)


def account_change_check(*, actor, target_pk, groups, is_superuser: bool) -> None:
    """Refuse (RoleChangeRefused) a save of the account `target_pk` (None: a new account) that would
    leave it with these `groups` and this superuser flag, if `actor` may not make that change."""
    from django.contrib.auth import get_user_model

    stored = get_user_model()._default_manager.filter(pk=target_pk).first() if target_pk else None
    before_groups = set(stored.groups.values_list("pk", flat=True)) if stored else set()
    before_superuser = bool(stored and stored.is_superuser)
    after_groups = {group.pk for group in groups}
    if stored is not None and not may_manage_account(actor, stored):
        raise RoleChangeRefused(_("Only a superuser may change the account of a superuser, staff or finance."))
    if stored is not None and stored.pk == actor.pk:
        if after_groups != before_groups or bool(is_superuser) != before_superuser:
            raise RoleChangeRefused(_("Nobody changes their own roles: ask a superuser."))
    if actor.is_superuser:
        return
    if bool(is_superuser) != before_superuser:
        raise RoleChangeRefused(_("Only a superuser may make someone a superuser."))
    changed = after_groups ^ before_groups
    if Group.objects.filter(pk__in=changed, name__in=fund_group_names()).exists():
        raise RoleChangeRefused(_("Only a superuser may give or take away the staff or finance role."))
