"""Wagtail's own screens speak Chinese to staff: the strings Wagtail's zh_Hans catalogue lacks are
filled in ours, our words don't take over Wagtail's (our "Pages" is a pager, Wagtail's is the page
tree), and yes/no values read as words, not True/False."""

import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.translation import override as translation_override
from wagtail.models import Page

from cms.models import StandardPage
from fundpool.ledger import commitments
from tests.factories import CallFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_staff(client, staff):
    client.force_login(staff)
    return client


def text_of(html: str) -> str:
    """What a person reads: the page without scripts, tags or repeated blanks."""
    html = re.sub(r"<(script|style|template|svg)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_dashboard_counts_pages_in_chinese(as_staff):
    html = as_staff.get("/admin/").content.decode()
    assert not re.search(r"\d+ Pages?\b", text_of(html))
    assert re.search(r"\d+ 个页面", text_of(html))


def test_the_sidebar_calls_the_page_tree_pages_not_pagination(as_staff):
    html = as_staff.get("/admin/").content.decode()
    props = re.search(r'<script id="wagtail-sidebar-props" type="application/json">(.*?)</script>', html, re.S)
    labels = re.findall(r'"label": "((?:[^"\\]|\\.)*)"', props.group(1))
    labels = [json.loads(f'"{label}"') for label in labels]
    assert "页面" in labels
    assert "分页" not in labels


def test_a_new_record_screen_is_titled_in_chinese(as_staff):
    html = as_staff.get("/admin/call/new/").content.decode()
    assert "New: " not in text_of(html)
    assert "新建：申报批次" in text_of(html)


def test_a_form_with_errors_offers_the_first_error_in_chinese(as_staff):
    response = as_staff.post("/admin/call/new/", {"title": ""})
    assert response.status_code == 200
    page = text_of(response.content.decode())
    assert "Go to the first error" not in page
    assert "转到第一个错误" in page


def test_the_page_explorer_counts_its_rows_in_chinese(as_staff):
    home = Page.objects.get(depth=2)
    page = text_of(as_staff.get(reverse("wagtailadmin_explore", args=[home.pk])).content.decode())
    assert not re.search(r"\d+-\d+ of \d+", page)
    assert re.search(r"第 1–\d+ 项，共 \d+ 个页面", page)


def test_a_page_search_with_one_result_names_what_it_counted(as_staff):
    home = Page.objects.get(depth=2)
    home.add_child(instance=StandardPage(title="Zebracrossing", slug="zebracrossing"))
    response = as_staff.get(reverse("wagtailadmin_pages:search_results"), {"q": "Zebracrossing"})
    page = text_of(response.content.decode())
    assert "Zebracrossing" in page
    assert "None" not in page and "matching page" not in page
    assert "共 1 个页面" in page


def test_the_published_column_says_yes_or_no(as_staff):
    CallFactory(published=True)
    html = as_staff.get("/admin/call/").content.decode()
    cells = re.findall(r'<span class="w-sr-only">\s*(.*?)\s*</span>\s*</td>', html, re.S)
    assert cells and set(cells) <= {"是", "否"}
    assert "True" not in text_of(html)


def test_a_call_inspected_shows_words_not_python_values(as_staff):
    call = CallFactory(published=True, blind_review=False, tracks=["filed", "registered"])
    page = text_of(as_staff.get(f"/admin/call/inspect/{call.pk}/").content.decode())
    for raw in ("True", "False", "['filed'", "None"):
        assert raw not in page
    assert "备案的居民团队" in page and "登记注册的社会组织" in page


def test_the_commitments_list_says_whether_it_is_capacity_building_in_words(as_staff, receive):
    receive("500.00")
    commitments.commitment_commit(reference="grant:777", amount=Decimal("100.00"))
    page = text_of(as_staff.get("/admin/commitment/").content.decode())
    assert "grant:777" in page
    assert "False" not in page and "True" not in page
    assert "否" in page
    assert "Capacity building" not in page and "组织发展金" in page


def test_wagtails_user_screens_keep_their_own_words(as_staff):
    someone = UserFactory(username="someone")
    listing = as_staff.get("/admin/users/").content.decode()
    group_filter = re.search(r'aria-controls="drilldown-id_group"[^\n]*\n\s*(\S+)', listing)
    assert group_filter.group(1) == "组"
    form = text_of(as_staff.get(f"/admin/users/edit/{someone.pk}/").content.decode())
    assert "进行中" not in form
    assert "有效" in form


def test_the_admins_script_messages_are_in_chinese(as_staff):
    script = as_staff.get("/admin/jsi18n/").content.decode()
    catalog = json.loads(re.search(r"const newcatalog = (\{.*?\});", script, re.S).group(1))
    assert catalog["Autosave in progress…"] == "正在自动保存…"
    assert catalog["Changes have been autosaved."] == "更改已自动保存。"


def test_wagtails_default_workflow_and_groups_are_named_in_chinese(as_staff):
    about = Page.objects.get(slug="about")
    page = text_of(as_staff.get(reverse("wagtailadmin_pages:edit", args=[about.pk])).content.decode())
    assert "Moderators approval" not in page
    assert "提交给审核员审批" in page


def test_the_fund_roles_read_in_the_readers_language_on_the_user_screens(client, roles):
    admin = UserFactory(username="the-admin", is_superuser=True, is_staff=True)
    someone = UserFactory(username="someone")
    client.force_login(admin)
    form = text_of(client.get(f"/admin/users/edit/{someone.pk}/").content.decode())
    assert "财务" in form and "申报主体" in form and "评审" in form
    assert "Finance" not in form and "Applicant" not in form and "Fund staff" not in form
    with translation_override("en"):
        english = text_of(client.get(f"/admin/users/edit/{someone.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert "Fund staff" in english and "基金管理方" not in english
