"""Background jobs (core/jobs.py on django-q2) and the outbox every email goes through
(core/outbox.py): the webhook answers Stripe at once and a job books the gift, once; the annual
report is a job; a failing job is tried again later with backoff, then given up with staff told and
listed in the admin with a button to try again; the schedules (closing notices, reminders, the
sweeps) exist after migrate with the intervals of the settings; every email is a row staff can
read, and the application's page says who was told what."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule, Task

from core import jobs
from core.models import OutboundEmail, OutboxStatus
from core.selectors import failed_jobs
from fundpool.donations import services as donation_services
from fundpool.ledger.verify import verify
from fundpool.models import Donation, DonationStatus, EntryKind, EventStatus, JournalEntry, StripeEvent
from grants import notify
from grants.lifecycle import Status
from reports.models import DocumentJob, JobStatus

from . import jobs as test_jobs
from .factories import ApplicationFactory, UserFactory
from .fundpool import stripe_kit as kit
from .grants.conftest import put_in_state
from .jobs import run_queued, waiting

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def stripe_keys(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_fundpool"
    settings.STRIPE_WEBHOOK_SECRET = kit.SECRET
    return settings


@pytest.fixture(autouse=True)
def _no_calls():
    test_jobs.CALLS.clear()


def gift(amount="50.00"):
    donation = donation_services.donation_start(amount=amount, email="donor@example.invalid", display_name="小林")
    Donation.objects.filter(pk=donation.pk).update(stripe_session_id=f"cs_test_{donation.pk:08d}")
    donation.refresh_from_db()
    return donation


# --- Stripe events and documents are jobs --------------------------------------------------------


def test_the_webhook_answers_at_once_and_a_job_books_the_gift_once(client, stripe_keys, queued_jobs):
    donation = gift()
    ev = kit.event("checkout.session.completed", kit.session_for(donation))
    response = kit.post(client, ev)
    assert response.status_code == 200 and response.json()["status"] == EventStatus.RECEIVED
    assert Donation.objects.get(pk=donation.pk).status == DonationStatus.PENDING
    assert [task["args"][0] for task in waiting()] == ["fundpool.jobs.process_event"]
    thanks = client.get(f"/donate/thanks/{donation.token}/").content.decode()
    assert "我们正在向支付机构确认您捐赠的 ¥50.00" in thanks  # the donor is told it is on its way

    assert kit.post(client, ev).status_code == 200  # Stripe delivers it again before it is booked
    assert len(waiting()) == 1  # one job for the event, not one per delivery
    assert run_queued() == 1
    assert kit.post(client, ev).status_code == 200  # Stripe's retry: nothing new to do
    assert waiting() == []
    run_queued()
    assert Donation.objects.get(pk=donation.pk).status == DonationStatus.CONFIRMED
    assert JournalEntry.objects.filter(kind=EntryKind.INFLOW).count() == 1
    assert StripeEvent.objects.get().status == EventStatus.PROCESSED
    assert verify().ok


def test_an_event_whose_job_was_lost_is_booked_by_the_sweep(client, stripe_keys, queued_jobs):
    donation = gift()
    kit.post(client, kit.event("checkout.session.completed", kit.session_for(donation)))
    from django_q.models import OrmQ

    OrmQ.objects.all().delete()  # the job never reached the queue
    assert "1 event(s)" in jobs.run("fundpool.jobs.process_waiting_events", [])
    assert Donation.objects.get(pk=donation.pk).status == DonationStatus.CONFIRMED


def test_the_annual_report_is_a_job_not_the_web_process(client, staff, queued_jobs, settings):
    year = timezone.localdate().year
    client.force_login(staff)
    settings.LANGUAGE_CODE = "zh-hans"
    response = client.post("/admin/documents/", {"year": str(year)}, follow=True)
    assert "排队中" in response.content.decode()
    job = DocumentJob.objects.get()
    assert job.status == JobStatus.QUEUED
    assert [tuple(task["args"][:2]) for task in waiting()] == [("reports.jobs.generate_annual_report", [job.pk])]

    run_queued()
    job.refresh_from_db()
    assert (job.status, job.progress, len(job.sha256)) == (JobStatus.DONE, 100, 64)
    assert client.get(f"/annual-reports/{year}.pdf").status_code == 200
    jobs.run("reports.jobs.generate_annual_report", [job.pk])  # the job run twice (a worker was killed)
    assert DocumentJob.objects.get().finished_at == job.finished_at  # generated once


def test_a_report_whose_worker_was_killed_is_taken_again_by_the_next_run(settings):
    job = DocumentJob.objects.create(
        year=timezone.localdate().year,
        status=JobStatus.RUNNING,
        progress=30,
        started_at=timezone.now() - timedelta(seconds=settings.JOB_DOCUMENTS_TIMEOUT + 5),
    )
    jobs.run("reports.jobs.generate_annual_report", [job.pk])
    assert DocumentJob.objects.get(pk=job.pk).status == JobStatus.DONE


def test_a_report_still_running_is_left_to_its_worker(settings):
    job = DocumentJob.objects.create(
        year=timezone.localdate().year, status=JobStatus.RUNNING, progress=30, started_at=timezone.now()
    )
    jobs.run("reports.jobs.generate_annual_report", [job.pk])
    assert DocumentJob.objects.get(pk=job.pk).status == JobStatus.RUNNING


def test_a_report_cut_off_long_ago_is_marked_failed_by_the_sweep_and_can_be_asked_again(client, staff, settings):
    year = timezone.localdate().year
    long_ago = timezone.now() - timedelta(seconds=settings.DOCUMENT_JOB_TIMEOUT + 60)
    cut_off = DocumentJob.objects.create(year=year, status=JobStatus.RUNNING, progress=25, started_at=long_ago)
    running = DocumentJob.objects.create(year=year, status=JobStatus.RUNNING, progress=50, started_at=timezone.now())
    jobs.run("reports.jobs.run_waiting_documents", [])
    cut_off.refresh_from_db()
    running.refresh_from_db()
    assert cut_off.status == JobStatus.FAILED and "重新" in cut_off.error
    assert running.status == JobStatus.RUNNING
    client.force_login(staff)
    assert "失败" in client.get("/admin/documents/").content.decode()
    client.post("/admin/documents/", {"year": str(year)})  # jobs run as queued in tests
    assert DocumentJob.objects.filter(status=JobStatus.DONE).count() == 1


def test_a_report_that_cannot_be_stored_is_marked_failed_not_left_running(monkeypatch):
    from django.db.models.fields.files import FieldFile

    def disk_full(self, name, content, save=True):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(FieldFile, "save", disk_full)
    job = DocumentJob.objects.create(year=timezone.localdate().year)
    jobs.run("reports.jobs.generate_annual_report", [job.pk])
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "No space left" in job.error


# --- retries, giving up, the failed jobs' screen ---------------------------------------------------


def retries():
    return Schedule.objects.filter(func=jobs.RUNNER, name__startswith="retry").order_by("next_run")


def test_a_failing_job_is_tried_again_later_each_time_longer(settings):
    settings.JOB_RETRIES, settings.JOB_RETRY_BASE = 4, 30
    before = timezone.now()
    with pytest.raises(RuntimeError, match="boom"):
        jobs.run("tests.jobs.fail_always", ["a"], 1)
    first = retries().get()
    assert first.args == repr(("tests.jobs.fail_always", ["a"], 2, None))
    assert timedelta(seconds=29) < first.next_run - before < timedelta(seconds=40)
    first.delete()
    with pytest.raises(RuntimeError):
        jobs.run("tests.jobs.fail_always", ["a"], 2)
    assert timedelta(seconds=59) < retries().get().next_run - before < timedelta(seconds=70)
    assert not mail.outbox  # staff are told only when it is given up


def test_after_the_last_try_a_job_is_given_up_and_staff_are_told(settings):
    settings.JOB_RETRIES = 3
    settings.MANAGERS = [("基金管理方", "staff-alerts@example.invalid")]
    with pytest.raises(jobs.GaveUp):
        jobs.run("tests.jobs.fail_always", ["a"], 3)
    assert not retries().exists()
    alert = OutboundEmail.objects.get(to="staff-alerts@example.invalid")
    assert "放弃" in alert.subject and "tests.jobs.fail_always" in alert.body and alert.status == OutboxStatus.SENT


def failure(func, args, attempt, *, minutes_ago=1, success=False):
    now = timezone.now() - timedelta(minutes=minutes_ago)
    return Task.objects.create(
        id=f"t{Task.objects.count():031d}",
        name=f"{func}{attempt}",
        func=jobs.RUNNER,
        args=(func, args, attempt, None),
        started=now,
        stopped=now,
        success=success,
        result="RuntimeError: boom" if not success else "ok",
    )


def test_the_admin_lists_failed_jobs_and_whether_they_will_be_tried_again(client, staff, settings):
    settings.JOB_RETRIES = 5
    failure("tests.jobs.fail_always", ["given-up"], 5)
    failure("tests.jobs.fail_always", ["retrying"], 2)
    jobs.enqueue("tests.jobs.fail_always", "retrying", attempt=3, delay=600)
    failure("tests.jobs.succeed", ["fixed"], 1, minutes_ago=5)
    jobs.run("tests.jobs.succeed", ["fixed"], 2)  # its next try succeeds: its failed try is forgotten
    listed = {tuple(job.args): job for job in failed_jobs()}
    assert set(listed) == {("given-up",), ("retrying",)}
    assert listed[("given-up",)].gave_up and not listed[("retrying",)].gave_up

    client.force_login(staff)
    page = client.get(reverse("core_admin:jobs")).content.decode()
    assert "已放弃" in page and "given-up" in page and "retrying" in page and "fixed" not in page


def test_try_again_queues_the_job_from_its_first_try(client, staff):
    given_up = failure("tests.jobs.succeed", ["again"], 5)
    client.force_login(staff)
    response = client.post(reverse("core_admin:job_retry", args=[given_up.id]), follow=True)
    assert response.status_code == 200 and test_jobs.CALLS == [("again",)]  # it ran (jobs run as queued here)
    assert not failed_jobs()


@pytest.mark.parametrize("role", ["finance", "reviewer", "applicant"])
def test_only_staff_see_the_jobs_and_the_outbox(client, roles, role):
    person = UserFactory()
    person.groups.add(roles[role])
    given_up = failure("tests.jobs.succeed", ["x"], 5)
    client.force_login(person)
    for url in (reverse("core_admin:jobs"), reverse("outboundemail:index")):
        response = client.get(url)
        assert response.status_code in (302, 403), url
    response = client.post(reverse("core_admin:job_retry", args=[given_up.id]))
    assert response.status_code in (302, 403) and test_jobs.CALLS == []


# --- schedules ---------------------------------------------------------------------------------


def test_the_schedules_exist_after_migrate_with_the_settings_intervals(settings):
    by_name = {s.name: s for s in Schedule.objects.filter(func=jobs.RUNNER, schedule_type=Schedule.MINUTES)}
    assert set(by_name) == {"close notices", "send reminders", "stripe events", "documents", "daily digest"}
    assert by_name["daily digest"].minutes == settings.JOB_DIGEST_EVERY == 24 * 60
    assert by_name["close notices"].minutes == settings.JOB_CLOSE_NOTICES_EVERY
    assert by_name["send reminders"].minutes == 24 * 60
    settings.JOB_CLOSE_NOTICES_EVERY = 1  # what `make run` uses
    jobs.schedules_sync()
    assert Schedule.objects.get(name="close notices").minutes == 1


def test_the_scheduled_job_closes_a_notice_that_ended(staff):
    from fundpool.ledger import services as ledger_services
    from fundpool.models import SourceType
    from grants.transitions import application_transition

    ledger_services.inflow_record(source_type=SourceType.DONATION, amount="50000", received_on=timezone.localdate())
    application = put_in_state(ApplicationFactory(), Status.REVIEWED)
    application = application_transition(
        application=application, name="propose_award", user=staff, amount="8000", reason="评审通过"
    )
    type(application).objects.filter(pk=application.pk).update(notice_ends_at=timezone.now() - timedelta(minutes=1))
    assert "1 award(s) confirmed" in jobs.run("grants.jobs.close_notices", [])
    application.refresh_from_db()
    assert application.status == Status.AWARDED


def test_make_run_starts_the_worker_and_production_runs_two_clusters():
    assert "manage.py qcluster" in (ROOT / "scripts" / "run-dev").read_text()
    assert "scripts/run-dev" in (ROOT / "Makefile").read_text()
    script = (ROOT / "scripts" / "serve-production").read_text()
    assert "supervise $PY manage.py qcluster" in script
    assert "Q_CLUSTER_NAME=documents $PY manage.py qcluster" in script


# --- the outbox ---------------------------------------------------------------------------------


def test_an_email_is_kept_in_the_outbox_with_what_it_is_about_and_sent(staff):
    application = put_in_state(ApplicationFactory(), Status.SUBMITTED)
    notify.application_status_changed(application, "请补充预算说明", step="return_for_changes")
    row = OutboundEmail.objects.get()
    assert row.ref == application.reference and row.kind == "status_changed"
    assert row.status == OutboxStatus.SENT and row.sent_at is not None and row.attempts == 1
    sent = mail.outbox[0]
    assert sent.to == row.recipients and sent.subject == row.subject
    assert "X-Fundpool-Ref" not in sent.extra_headers  # kept on the row, not sent


class Broken:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server is down")


def test_an_email_that_cannot_go_is_recorded_and_tried_again(settings):
    settings.OUTBOX_DELIVERY_BACKEND = "tests.test_jobs.Broken"
    settings.JOB_RETRIES = 2
    application = put_in_state(ApplicationFactory(), Status.SUBMITTED)
    notify.application_status_changed(application, "", step="start_review")  # the sender is not held up
    row = OutboundEmail.objects.get()
    assert row.status == OutboxStatus.FAILED and "mail server is down" in row.last_error
    assert retries().get().args == repr(("core.outbox.deliver", [row.pk], 2, "email"))
    with pytest.raises(jobs.GaveUp):
        jobs.run("core.outbox.deliver", [row.pk], 2, "email")
    row.refresh_from_db()
    assert row.status == OutboxStatus.GAVE_UP and row.attempts == 2
    assert OutboundEmail.objects.count() == 1  # no alert about a failed email: it would not go either

    settings.OUTBOX_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    jobs.run("core.outbox.deliver", [row.pk])  # staff's "try again"
    jobs.run("core.outbox.deliver", [row.pk])  # run twice: sent once
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT and len(mail.outbox) == 1


def test_staff_read_the_outbox_and_the_application_page_says_who_was_told(client, staff):
    application = put_in_state(ApplicationFactory(), Status.SUBMITTED)
    notify.application_status_changed(application, "请补充预算说明", step="return_for_changes")
    row = OutboundEmail.objects.get()
    client.force_login(staff)
    listing = client.get(reverse("outboundemail:index")).content.decode()
    assert row.subject in listing
    inspect = client.get(reverse("outboundemail:inspect", args=[row.pk])).content.decode()
    assert "请补充预算说明" in inspect
    page = client.get(reverse("grants_admin:application", args=[application.pk])).content.decode()
    assert "关于此申报的邮件" in page and row.subject in page and "已发送" in page


@pytest.mark.slow
def test_the_demo_seed_sends_its_emails_through_the_outbox(transactional_db):
    """As under `make run`: each of the seed's steps commits, and its emails go to the outbox. One
    award's notice ends minutes after the seed, with no objection: the close-notices job (every
    minute under `make run`) confirms it once it has ended."""
    from grants.models import Application

    call_command("seed_demo", stdout=io.StringIO())
    soon = Application.objects.get(status=Status.ON_NOTICE, objections__isnull=True)
    assert timezone.now() < soon.notice_ends_at < timezone.now() + timedelta(minutes=5)
    type(soon).objects.filter(pk=soon.pk).update(notice_ends_at=timezone.now())  # three minutes later
    jobs.run("grants.jobs.close_notices", [])
    soon.refresh_from_db()
    assert soon.status == Status.AWARDED
    assert OutboundEmail.objects.filter(status=OutboxStatus.SENT).count() >= 5
    assert OutboundEmail.objects.exclude(ref="").exists()


def test_an_email_reads_in_the_sites_time_and_in_its_paragraphs(client, staff, settings):
    from django.utils import formats

    application = put_in_state(ApplicationFactory(), Status.SUBMITTED)
    notify.application_status_changed(application, "第一段。\n\n第二段。", step="return_for_changes")
    row = OutboundEmail.objects.get()
    client.force_login(staff)
    page = client.get(reverse("outboundemail:inspect", args=[row.pk])).content.decode()
    assert formats.date_format(timezone.localtime(row.created_at), "DATETIME_FORMAT") in page
    assert "第一段。</p>" in page and "<p>第二段。</p>" in page and "&lt;p&gt;" not in page


def test_an_email_with_markup_in_it_is_plain_text_and_shown_as_text(client, staff):
    """A reason typed by staff is quoted back in a plain-text email as typed (it was sent as
    &lt;b&gt; and &amp;), and the outbox's page escapes it."""
    application = put_in_state(ApplicationFactory(), Status.SUBMITTED)
    notify.application_status_changed(application, "<script>alert(1)</script> & 'x'\n\n再看", step="return_for_changes")
    assert "<script>alert(1)</script> & 'x'" in mail.outbox[0].body
    client.force_login(staff)
    page = client.get(reverse("outboundemail:inspect", args=[OutboundEmail.objects.get().pk])).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
