"""Outcome pages: drafted when a final report is accepted, published by staff in Wagtail, money
figures read live, photos public only once published, an unpublished page is a 404."""

import pytest
from django.utils import timezone
from wagtail.test.utils import WagtailPageTestCase

from cms.models import HomePage, OutcomeIndexPage, OutcomePage, StandardPage
from grants import transitions
from grants.delivery import services as delivery_services
from grants.lifecycle import Status

from .factories import ApplicationFactory
from .grants.conftest import put_in_state
from .grants.test_delivery import photo_with_location, report, spend

pytestmark = pytest.mark.django_db


@pytest.fixture
def completed(staff, django_capture_on_commit_callbacks):
    project = transitions.application_transition(
        application=put_in_state(ApplicationFactory(title="长者助餐点"), Status.AWARDED),
        name="sign_agreement",
        user=staff,
        signed_on=timezone.localdate(),
    )
    leader = project.group.memberships.get().user
    delivery_services.activity_record(
        application=project,
        user=leader,
        held_on=timezone.localdate(),
        title="午餐会",
        description="",
        participants=10,
        beneficiaries_reached=30,
        photos=[photo_with_location(800, 600)],
    )
    spend(project, leader, "7000.00")
    delivery_services.report_evaluate(
        report=report(project, leader, "midterm"), actor=staff, score="80", comment="", accept=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        delivery_services.report_evaluate(
            report=report(project, leader, "final"), actor=staff, score="90", comment="", accept=True
        )
    return project


def test_accepting_the_final_report_drafts_an_unpublished_outcome_page(client, completed):
    page = OutcomePage.objects.get(application=completed)
    assert not page.live and page.get_parent().specific_class is OutcomeIndexPage
    assert "按计划每周供餐三次" in page.summary
    assert client.get(page.url_path.replace("/home", "", 1)).status_code == 404


def test_a_published_outcome_shows_live_figures_and_public_photos(client, completed):
    page = OutcomePage.objects.get(application=completed)
    photo = completed.photos.get()
    assert client.get(f"/outcome-photos/{photo.pk}/").status_code == 404  # not yet published
    page.save_revision().publish()
    html = client.get(page.url).content.decode()
    assert "长者助餐点" in html and "¥9,000.00" in html and "¥7,000.00" in html  # awarded, paid
    assert f"/outcome-photos/{photo.pk}/" in html
    assert client.get(f"/outcome-photos/{photo.pk}/").status_code == 200
    assert "长者助餐点" in client.get("/").content.decode()  # latest outcomes on the home page


def test_rich_text_with_script_and_javascript_links_is_sanitised(client, completed):
    page = OutcomePage.objects.get(application=completed)
    page.summary = '<p>好<script>alert(1)</script><a href="javascript:alert(1)">x</a><img src=x onerror=alert(1)></p>'
    page.save_revision().publish()
    html = client.get(page.url).content.decode()
    assert "<script>alert(1)" not in html and "javascript:alert" not in html and "onerror" not in html


class TestPageTree(WagtailPageTestCase):
    def test_outcomes_live_under_their_index_and_standard_pages_under_home(self):
        self.assertCanCreateAt(OutcomeIndexPage, OutcomePage)
        self.assertCanNotCreateAt(HomePage, OutcomePage)
        self.assertCanCreateAt(HomePage, StandardPage)
        self.assertCanCreateAt(StandardPage, StandardPage)

    def test_the_default_site_has_its_pages(self):
        home = HomePage.objects.get()
        slugs = set(home.get_children().values_list("slug", flat=True))
        assert {"outcomes", "about"} <= slugs
        assert self.client.get("/about/").status_code == 200
        assert self.client.get("/outcomes/").status_code == 200


def test_staff_can_edit_and_publish_outcome_pages_in_the_admin(client, completed, staff):
    page = OutcomePage.objects.get(application=completed)
    client.force_login(staff)
    assert client.get(f"/admin/pages/{page.pk}/edit/").status_code == 200
    assert page.permissions_for_user(staff).can_publish()


def test_the_outcome_page_follows_the_visitors_language(client, completed):
    from django.utils import translation

    page = OutcomePage.objects.get(application=completed)
    page.save_revision().publish()
    with translation.override("en"):
        english = client.get(page.url, HTTP_ACCEPT_LANGUAGE="en", HTTP_COOKIE="django_language=en").content.decode()
    chinese = client.get(page.url).content.decode()
    assert "Public small donation" in english
    assert "公众小额捐赠" in chinese and "Public small donation" not in chinese
