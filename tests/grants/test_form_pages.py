"""Small things a group meets on its forms: element ids, where errors sit, what the edit page of a
returned application says, totals in the site's money format."""

import re
from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from grants import transitions
from grants.applications import services as application_services

from ..factories import ApplicationFactory

pytestmark = pytest.mark.django_db


def leader_of(application):
    return application.group.memberships.get(role="leader").user


def test_every_element_id_on_the_application_page_is_unique(client):
    """A label points at one input: two inputs with id_title sent the attachment's label to the title."""
    application = ApplicationFactory()
    client.force_login(leader_of(application))
    html = client.get(reverse("grants:application_edit", args=[application.pk])).content.decode()
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    assert [i for i, n in ids.items() if n > 1] == []
    assert 'for="id_title"' in html and html.count('for="id_title"') == 1


def test_an_attachment_is_added_from_the_prefixed_form(client):
    application = ApplicationFactory()
    client.force_login(leader_of(application))
    pdf = SimpleUploadedFile("预算说明.pdf", b"%PDF-1.4 plan", content_type="application/pdf")
    client.post(
        reverse("grants:attachment_add", args=[application.pk]),
        {"attachment-title": "预算说明", "attachment-file": pdf},
    )
    assert [a.title for a in application.attachments.all()] == ["预算说明"]


def _position(html, pattern):
    match = re.search(pattern, html)
    assert match, pattern
    return match.start()


def test_password_errors_sit_below_their_own_field_on_sign_up(client):
    response = client.post(
        reverse("account_signup"), {"email": "new@example.invalid", "password1": "short", "password2": "short"}
    )
    html = response.content.decode()
    label = _position(html, r'<label for="id_password1">')
    field = _position(html, r'<input[^>]*name="password1"')
    error = _position(html, r"密码太短")
    next_label = _position(html, r'<label for="id_password2">')
    assert label < field < error < next_label


def test_a_mismatch_is_said_below_the_repeated_password(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "new@example.invalid", "password1": "Resident-pass-2026!", "password2": "Resident-pass-2027!"},
    )
    html = response.content.decode()
    assert _position(html, r'<input[^>]*name="password2"') < _position(html, r"每次输入的密码必须相同")


def test_the_edit_page_of_a_returned_application_shows_the_latest_reason_at_the_top(client, staff):
    application = ApplicationFactory()
    leader = leader_of(application)
    for reason in ("请补充场地使用证明", "请把餐费单价降到每份 15 元以内"):
        application_services.application_submit(application=application, user=leader)
        transitions.application_transition(
            application=application, name="return_for_changes", user=staff, reason=reason
        )
    client.force_login(leader)
    html = client.get(reverse("grants:application_edit", args=[application.pk])).content.decode()
    latest = html.find("请把餐费单价降到每份 15 元以内")
    assert 0 < latest < html.index('id="application-form"')
    assert "请补充场地使用证明" not in html


def _errors_in(html) -> list[tuple[str, str]]:
    """(where, message) for every error on the page: a field's list by its id, the form-wide list,
    and the site's messages."""
    main = html[html.index("<main") : html.index("</main>")]
    found = []
    for attrs, block in re.findall(r'<ul class="(errorlist[^"]*|messages)"[^>]*?>(.*?)</ul>', main, re.S):
        where = "form" if "nonfield" in attrs else "messages" if attrs == "messages" else "field"
        found += [(where, re.sub(r"<[^>]+>", "", li).strip()) for li in re.findall(r"<li[^>]*>(.*?)</li>", block, re.S)]
    return found


@pytest.mark.parametrize(
    "kind, data",
    [
        ("activity", {"held_on": "future", "title": "午餐会", "description": "二十位老人", "participants": "20"}),
        (
            "activity",
            {
                "held_on": "future",
                "title": "午餐会",
                "description": "二十位老人",
                "participants": "20",
                "beneficiaries_reached": "20",
            },
        ),
        ("activity", {"held_on": "today", "title": "午餐会", "description": "", "participants": "-3"}),
        ("expense", {"amount": "2500.00", "spent_on": "today", "payee": "餐具店", "receipt": True}),
        ("expense", {"amount": "0", "spent_on": "today", "payee": "餐具店", "receipt": True}),
        ("expense", {"amount": "", "spent_on": "", "payee": ""}),
    ],
)
def test_each_error_on_a_delivery_form_is_shown_once(client, staff, kind, data):
    """Each problem is said once: beside its field, or at the top when it is about the whole
    form, never in both places nor again in the site's messages."""
    from datetime import timedelta

    from django.utils import timezone

    from grants.lifecycle import Status

    from .conftest import put_in_state
    from .test_delivery import pdf, sign

    project = sign(put_in_state(ApplicationFactory(), Status.AWARDED), staff)
    client.force_login(leader_of(project))
    days = {"today": timezone.localdate(), "future": timezone.localdate() + timedelta(days=3)}
    post = {k: (days[v].isoformat() if v in days else v) for k, v in data.items()}
    if kind == "expense":
        post["budget_line"] = str(project.budget_lines.order_by("position", "pk")[1].pk)
        if post.pop("receipt", None):
            post["receipt"] = pdf()
    response = client.post(reverse(f"grants:{kind}_add", args=[project.pk]), {"csrfmiddlewaretoken": "-", **post})
    errors = _errors_in(response.content.decode())
    assert errors, "the post was meant to be refused"
    fields = {text for where, text in errors if where == "field"}
    said_again = [text for where, text in errors if where != "field" and text in fields]
    top = [text for where, text in errors if where != "field"]
    assert said_again == [] and len(top) == len(set(top))


def test_the_budget_total_on_the_application_page_is_in_the_sites_money_format(client):
    application = ApplicationFactory()
    client.force_login(leader_of(application))
    html = client.get(reverse("grants:application_edit", args=[application.pk])).content.decode()
    assert re.search(r"data-budget-total[^>]*>¥10,000\.00<", html)


def test_the_expense_forms_budget_lines_are_in_the_sites_money_format(client, staff):
    from grants.lifecycle import Status

    from .conftest import put_in_state
    from .test_delivery import sign

    project = sign(put_in_state(ApplicationFactory(), Status.AWARDED), staff)
    client.force_login(leader_of(project))
    html = client.get(reverse("grants:expense_add", args=[project.pk])).content.decode()
    assert "午餐食材（¥8,000.00）" in html


@pytest.mark.parametrize("state", ["completed", "terminated", "reporting"])
@pytest.mark.parametrize("kind", ["activity", "expense"])
def test_a_project_no_longer_under_way_offers_no_activity_or_expense_form(client, staff, state, kind):
    from grants.models import Application

    from .conftest import put_in_state
    from .test_delivery import sign

    project = sign(put_in_state(ApplicationFactory(), "awarded"), staff)
    Application.objects.filter(pk=project.pk).update(status=state)
    client.force_login(leader_of(project))
    response = client.get(reverse(f"grants:{kind}_add", args=[project.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("grants:project", args=[project.pk])
    html = response.content.decode()
    assert "只能在项目执行期间记录" in html
    assert reverse(f"grants:{kind}_add", args=[project.pk]) not in html  # and no button to it


def test_being_reviewed_appears_once_on_the_applicants_timeline(client, staff, roles):
    """start_review and close_review both read 评审中 to the group: one step for them."""
    from grants.models import ReviewAssignment

    from ..factories import UserFactory

    application = ApplicationFactory()
    leader = leader_of(application)
    application_services.application_submit(application=application, user=leader)
    for _ in range(application.call.reviewers_per_application):
        reviewer = UserFactory()
        reviewer.groups.add(roles["reviewer"])
        ReviewAssignment.objects.create(application=application, reviewer=reviewer)
    transitions.application_transition(application=application, name="start_review", user=staff)
    transitions.application_transition(
        application=application, name="close_review", user=None, system=True, reason="All assigned reviews are in."
    )
    client.force_login(leader)
    html = client.get(reverse("grants:application_detail", args=[application.pk])).content.decode()
    timeline = html[html.index('class="timeline"') :]
    assert timeline.count("<strong>评审中</strong>") == 1
    assert "<strong>已提交，资格审查中</strong>" in timeline


@pytest.mark.parametrize("state, open_", [("in_delivery", True), ("completed", True), ("terminated", False)])
def test_the_project_page_links_to_feedback_only_where_feedback_is_taken(client, staff, state, open_):
    from grants.models import Application

    from .conftest import put_in_state
    from .test_delivery import sign

    project = sign(put_in_state(ApplicationFactory(), "awarded"), staff)
    Application.objects.filter(pk=project.pk).update(status=state)
    client.force_login(leader_of(project))
    html = client.get(reverse("grants:project", args=[project.pk])).content.decode()
    feedback, qr = reverse("grants:feedback", args=[project.pk]), reverse("grants:feedback_qr", args=[project.pk])
    assert (feedback in html, qr in html) == (open_, open_)
    client.logout()
    # What the page links to answers: the feedback page and its code where they are offered.
    assert (client.get(feedback).status_code == 200) is open_
