"""Demo logins, one per role."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from cms.roles import ensure_roles

DEMO_PASSWORD = "demo-pass-2026"
# The demo finance account signs in with a second factor: this secret, typed into any authenticator
# app (README.md), gives its codes. Public on purpose; nobody else in the demo is asked for one.
DEMO_TOTP_USER = "finance"
DEMO_TOTP_SECRET = "MZXW6YTBOJRGC3TDMVQW4Y3FORZWK4TB"
DEMO_USERS = [
    # username, role, superuser, description, the name shown on pages (kept whole in first_name:
    # Chinese names put the family name first, which Django's "first last" would reverse)
    ("admin", None, True, "管理员 administrator (everything)", ""),
    ("staff", "staff", False, "基金管理方 fund staff (Wagtail admin)", "周敏"),
    ("finance", "finance", False, "财务 finance (Wagtail admin, pays tranches)", "吴霞"),
    ("reviewer", "reviewer", False, "评审 trustee reviewer", "郑明远"),
    ("reviewer2", "reviewer", False, "评审 second trustee reviewer", "何静"),
    ("reviewer3", "reviewer", False, "评审 reviewer with a declared conflict", "冯立"),
    ("applicant", "applicant", False, "申报主体 resident group member", "王芳"),
]


def seed_users() -> list[tuple[str, str]]:
    User = get_user_model()
    groups = ensure_roles()
    logins = []
    for username, role, superuser, description, name in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "email": f"{username}@demo.invalid",
                "is_staff": superuser,
                "is_superuser": superuser,
                "first_name": name,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        if role:
            user.groups.add(groups[role])
        # The site's own pages sign in by (verified) email; the staff admin by username.
        EmailAddress.objects.get_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
        if username == DEMO_TOTP_USER:
            _demo_totp(user)
        logins.append((username, user.email, description))
    return logins


def _demo_totp(user) -> None:
    """Through allauth's own models: the TOTP authenticator with the documented secret, and
    recovery codes beside it, as turning it on in the browser would leave them."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)
    RecoveryCodes.activate(user)


def bulk_outcome_pages(*, count: int = 300, stream=None) -> int:
    """Published outcome pages for the first `count` completed projects that have none (for the
    large benchmark data set): a short story each, added one by one under the outcomes index."""
    import sys

    from django.utils import timezone

    from cms.models import OutcomeIndexPage, OutcomePage
    from grants.models import Application

    index = OutcomeIndexPage.objects.first()
    if index is None:
        return 0
    stream = stream or sys.stderr
    projects = list(
        Application.objects.filter(status="completed", outcome_page__isnull=True)
        .select_related("group")
        .order_by("pk")[:count]
    )
    now = timezone.now()
    for i, project in enumerate(projects, start=1):
        page = OutcomePage(
            title=project.title,
            slug=f"project-{project.pk}",
            application=project,
            summary=f"<p>{project.group.name}带领居民完成了“{project.title}”，服务居民{project.beneficiary_count or 0}人次。</p>",
            body=[("heading", "居民怎么说"), ("quote", "大家一起做成了一件事，邻里之间熟悉多了。")],
            first_published_at=now,
            last_published_at=now,
        )
        index.add_child(instance=page)
        index.refresh_from_db()  # treebeard: the parent's child count moved on
        page.save_revision()
        if i % 25 == 0 or i == len(projects):
            stream.write(f"\routcome pages {i}/{len(projects)}")
            stream.flush()
    if projects:
        stream.write("\n")
    return len(projects)
