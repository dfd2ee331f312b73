"""Demo logins, one per role."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from .roles import ensure_roles

DEMO_PASSWORD = "demo-pass-2026"
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
        logins.append((username, user.email, description))
    return logins
