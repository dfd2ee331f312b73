"""What the system writes by itself (a review that closed, a notice that ended, a gift the webhook
booked) is stored as a code and read in the reader's language, whichever language was active when
the step was taken. What people typed, and rows stored before codes, read as they were written."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone, translation
from django_fsm_log.models import StateLog

from core import audit
from fundpool.ledger import services as ledger_services
from fundpool.models import SourceType
from fundpool.system_reasons import display, encode
from grants.applications import selectors as application_selectors
from grants.award import services as award_services
from grants.lifecycle import Status
from grants.models import Application
from grants.review import services as review_services

from ..factories import ApplicationFactory, UserFactory
from .conftest import put_in_state
from .test_review import full_marks, in_review

pytestmark = pytest.mark.django_db


def last_reason(application, language, for_applicant=True):
    with translation.override(language):
        return application_selectors.application_timeline(application=application, for_applicant=for_applicant)[
            -1
        ].reason


def test_a_notice_closed_under_chinese_reads_in_english_on_an_english_page(application):
    put_in_state(application, Status.ON_NOTICE)
    with translation.override("zh-hans"):
        award_services.notices_close()
    assert Application.objects.get(pk=application.pk).status == Status.AWARDED
    assert last_reason(application, "en") == "Public notice ended with no open objection."
    assert last_reason(application, "zh-hans") == "公示期满，无未处理异议。"


def test_a_review_closed_under_english_reads_in_chinese_on_a_chinese_page(staff, roles):
    panel = [UserFactory(username=f"trustee-{n}") for n in "ab"]
    for person in panel:
        person.groups.add(roles["reviewer"])
    application = in_review(ApplicationFactory(), staff, panel)
    with translation.override("en"):
        for a in application.review_assignments.order_by("pk"):
            review_services.review_save(
                assignment=a, user=a.reviewer, scores=full_marks(application), recommendation="fund", submit=True
            )
    assert Application.objects.get(pk=application.pk).status == Status.REVIEWED
    # Closing the review is a step whose reason stays with staff: read on staff's timeline.
    assert last_reason(application, "zh-hans", for_applicant=False) == "分配的评审已全部提交。"
    assert last_reason(application, "en", for_applicant=False) == "All assigned reviews are in."


def test_a_reason_stored_in_chinese_before_codes_reads_as_it_was_written(application):
    application = put_in_state(application, Status.AWARDED)
    StateLog.objects.create(
        content_type=ContentType.objects.get_for_model(Application),
        object_id=application.pk,
        transition="confirm_award",
        source_state=Status.ON_NOTICE,
        state=Status.AWARDED,
        description="公示期满，无未处理异议。",
    )
    assert last_reason(application, "en") == "公示期满，无未处理异议。"


def test_what_a_person_typed_passes_through_unchanged():
    for typed in ("项目负责人搬离社区", "", "⟦sys", '⟦sys⟧{"code": "no.such.code"}', '⟦sys⟧{"code": "grants.notice'):
        assert display(typed) == typed


def test_a_memo_with_parameters_reads_in_each_language():
    stored = encode("grants.returned_by", group="银发互助队", project="长者助餐")
    with translation.override("en"):
        assert display(stored) == "Returned by 银发互助队 for “长者助餐”"
    with translation.override("zh-hans"):
        assert display(stored) == "银发互助队 退回“长者助餐”的资助款"


def test_the_history_report_reads_a_system_reason_in_the_readers_language():
    details = {"step": "accept_report", "reason": encode("grants.final_report_accepted")}
    with translation.override("en"):
        assert "reason: Final report accepted." in audit.describe(details)
    with translation.override("zh-hans"):
        assert "原因: 结项报告已通过。" in audit.describe(details)


def test_an_inflow_booked_by_the_system_is_described_in_the_readers_language(client, staff):
    from wagtail.users.models import UserProfile

    inflow = ledger_services.inflow_record(
        source_type=SourceType.DONATION,
        amount=Decimal("50.00"),
        received_on=timezone.localdate(),
        description=encode("fund.online_gift", n=7),
    )
    client.force_login(staff)
    url = f"/admin/inflow/inspect/{inflow.pk}/"
    assert "线上捐赠 #7" in client.get(url).content.decode()
    UserProfile.get_for_user(staff).__class__.objects.filter(user=staff).update(preferred_language="en")
    page = client.get(url).content.decode()
    assert "Online gift #7" in page and "⟦sys⟧" not in page


def test_the_groups_email_gives_a_system_reason_in_the_sites_language(
    application, mailoutbox, django_capture_on_commit_callbacks
):
    put_in_state(application, Status.ON_NOTICE)
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        award_services.notices_close()
    body = mailoutbox[-1].body
    assert "公示期满，无未处理异议。" in body
    assert "⟦sys⟧" not in body


def test_money_owed_back_after_underspending_is_explained_in_the_readers_language(client, application, staff):
    from .test_delivery import finish, sign

    project = sign(put_in_state(application, Status.AWARDED), staff)
    leader = project.group.memberships.get(role="leader").user
    with translation.override("zh-hans"):
        finish(project, leader, staff, [(0, "5000.00")])
    client.force_login(leader)
    url = f"/projects/{project.pk}/"
    assert "已拨付金额超过项目实际支出。" in client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Paid more than the project spent." in page and "⟦sys⟧" not in page


def test_a_gift_to_the_general_pool_is_acknowledged_in_the_donors_language(client, stripe_on):
    from fundpool.models import Donation

    from ..fundpool import stripe_kit as kit
    from ..test_donate import form

    with translation.override("zh-hans"):
        client.post("/donate/", form(designation="pool"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    donation = Donation.objects.get()
    kit.post(client, kit.event("checkout.session.completed", kit.session_for(donation)))
    url = f"/donations/{donation.token}/"
    assert "基金池统筹" in client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The general pool" in page and "基金池统筹" not in page
