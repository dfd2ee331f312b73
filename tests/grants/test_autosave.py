"""Autosave never drops what the group typed. It posts the application page's own form (the same
field names as the page's script sends); a line with a typo is kept as typed and comes back when
the page is opened again, the other lines are saved, and the answer names what was not saved."""

import pytest
from django.urls import reverse

from grants.applications import services as application_services
from grants.common import GrantsError
from grants.models import Application

from ..factories import ApplicationFactory
from .conftest import application_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(client):
    application = ApplicationFactory()
    client.force_login(application.group.memberships.get(role="leader").user)
    return client, application


def autosave(client, application, **overrides):
    return client.post(
        reverse("grants:application_autosave", args=[application.pk]), application_form(application, **overrides)
    )


def test_a_typo_in_one_line_keeps_every_line_and_says_not_saved(page):
    client, application = page
    response = autosave(client, application, **{"lines-1-unit_cost": "12.3.4", "lines-0-item": "新鲜蔬菜"})
    body = response.json()
    assert response.status_code == 200
    assert body["saved"] is False and "未保存" in body["message"]
    assert list(body["errors"]) == ["lines-1-unit_cost"] and "12.3.4" in body["errors"]["lines-1-unit_cost"]
    # The good line is saved; the bad one is kept as typed.
    application.refresh_from_db()
    assert [line.item for line in application.budget_lines.all()] == ["新鲜蔬菜"]
    assert [row["unit_cost"] for row in application.budget_draft] == ["20", "12.3.4"]


def test_the_line_with_the_typo_comes_back_when_the_page_is_opened_again(page):
    client, application = page
    autosave(client, application, **{"lines-1-unit_cost": "12.3.4"})
    html = client.get(reverse("grants:application_edit", args=[application.pk])).content.decode()
    assert 'name="lines-1-unit_cost" value="12.3.4"' in html
    assert 'name="lines-0-item" value="午餐食材"' in html and 'name="lines-1-item" value="餐具"' in html
    assert "“12.3.4”不是数字" in html  # marked beside the line, not only in a message at the top


def test_correcting_the_typo_saves_the_line_and_forgets_the_raw_text(page):
    client, application = page
    autosave(client, application, **{"lines-1-unit_cost": "12.3.4"})
    body = autosave(client, application).json()
    assert body["saved"] is True and body["errors"] == {} and "自动保存" in body["message"]
    application.refresh_from_db()
    assert [line.item for line in application.budget_lines.all()] == ["午餐食材", "餐具"]
    assert application.budget_draft == []
    html = client.get(reverse("grants:application_edit", args=[application.pk])).content.decode()
    assert 'name="lines-1-unit_cost" value="100' in html


def test_a_bad_amount_field_is_named_and_the_rest_is_saved(page):
    client, application = page
    response = autosave(client, application, title="自动保存的标题", requested_amount="12.345")
    body = response.json()
    assert response.status_code == 200 and body["saved"] is False and "requested_amount" in body["errors"]
    application.refresh_from_db()
    assert application.title == "自动保存的标题" and application.requested_amount == 10000


def test_a_line_whose_product_is_wrong_is_kept_and_marked(page):
    client, application = page
    body = autosave(client, application, **{"lines-0-amount": "7000"}).json()
    assert list(body["errors"]) == ["lines-0-amount"]
    application.refresh_from_db()
    assert [row["amount"] for row in application.budget_draft] == ["7000", "2000.00"]


def test_a_removed_or_untouched_row_is_not_kept(page):
    client, application = page
    autosave(
        client,
        application,
        **{
            "lines-TOTAL_FORMS": "4",
            "lines-1-unit_cost": "12.3.4",
            "lines-2-category": "food",
            "lines-2-item": "不要了",
            "lines-2-unit_cost": "abc",
            "lines-2-quantity": "1",
            "lines-2-amount": "",
            "lines-2-DELETE": "on",
        },
    )
    application.refresh_from_db()
    assert [row["item"] for row in application.budget_draft] == ["午餐食材", "餐具"]


def test_an_application_with_an_unsaved_line_cannot_be_submitted(page):
    client, application = page
    autosave(client, application, **{"lines-1-unit_cost": "12.3.4"})
    leader = application.group.memberships.get(role="leader").user
    with pytest.raises(GrantsError, match="预算第 2 行"):
        application_services.application_submit(application=Application.objects.get(pk=application.pk), user=leader)


def test_the_pages_own_save_button_changes_nothing_with_a_typo_but_shows_it_marked(page):
    """Bad input through the page's buttons changes nothing (the whole form or nothing); the
    page comes back with every line as typed and the bad one marked."""
    client, application = page
    response = client.post(
        reverse("grants:application_edit", args=[application.pk]),
        {**application_form(application, **{"lines-1-unit_cost": "12.3.4"}), "save": "1"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and "“12.3.4”不是数字" in html and 'value="12.3.4"' in html
    application.refresh_from_db()
    assert application.budget_draft == [] and application.budget_lines.count() == 2
