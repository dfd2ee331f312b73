"""Demo logins, one per role."""

from django.contrib.auth import get_user_model

from .roles import ensure_roles

DEMO_PASSWORD = "demo-pass-2026"
DEMO_USERS = [
    # username, role, superuser, description
    ("admin", None, True, "管理员 administrator (everything)"),
    ("staff", "staff", False, "基金管理方 fund staff (Wagtail admin)"),
    ("finance", "finance", False, "财务 finance (Wagtail admin, reversals)"),
    ("reviewer", "reviewer", False, "评审 trustee reviewer"),
    ("applicant", "applicant", False, "申报主体 resident group member"),
]


def seed_users() -> list[tuple[str, str]]:
    User = get_user_model()
    groups = ensure_roles()
    logins = []
    for username, role, superuser, description in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"email": f"{username}@demo.invalid", "is_staff": superuser, "is_superuser": superuser},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        if role:
            user.groups.add(groups[role])
        logins.append((username, description))
    return logins
