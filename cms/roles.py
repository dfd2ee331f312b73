"""The people who use the system, as Django groups. Staff and finance work in the Wagtail admin;
reviewers and applicants never get admin access (their pages are the site's own)."""

from django.contrib.auth.models import Group, Permission

ROLES = {
    "staff": (
        "基金管理方 Fund staff",
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
            # Staff grant roles: Wagtail's user screens (only superusers can make superusers).
            "auth.view_user",
            "auth.change_user",
        ],
    ),
    "finance": (
        "财务 Finance",
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
        ],
    ),
    "reviewer": ("评审 Reviewer", ["grants.review_application"]),
    "applicant": ("申报主体 Applicant", []),
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
