"""The fund's roles, as Django groups: each has a stored name (fixed, since the database and the
permissions refer to it) and a label, shown in the reader's language wherever a role is offered
(Wagtail's user screens). cms/roles.py gives each role its permissions."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ROLE_NAMES = {
    "staff": "基金管理方 Fund staff",
    "finance": "财务 Finance",
    "reviewer": "评审 Reviewer",
    "applicant": "申报主体 Applicant",
}
ROLE_LABELS = {
    "staff": _("Fund staff"),
    "finance": pgettext_lazy("role", "Finance"),
    "reviewer": pgettext_lazy("role", "Reviewer"),
    "applicant": pgettext_lazy("role", "Applicant"),
}
_LABEL_BY_NAME = {ROLE_NAMES[key]: label for key, label in ROLE_LABELS.items()}


def role_name(key: str) -> str:
    return ROLE_NAMES[key]


def role_label(group) -> str:
    """A group's name for people: the fund's roles in the reader's language, others as named."""
    return str(_LABEL_BY_NAME.get(group.name, group.name))
