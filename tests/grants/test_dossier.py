"""The project dossier: for a completed project, one ZIP with every part the auditor asks for,
and a manifest whose SHA-256 sums check out; built by the job and by the command alike."""

import hashlib
import io
import zipfile
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from grants.conversation import services as conversation_services
from grants.delivery import amendments
from grants.lifecycle import Status
from grants.models import DossierStatus, Objection, ProjectDossier
from grants.overview import dossier

from .conftest import put_in_state
from .test_delivery import finish, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def completed(application, leader, staff):
    Objection.objects.create(
        application=application,
        name="赵六",
        contact="13900000000",
        text="有异议",
        status="dismissed",
        resolution="查无实据",
    )
    project = sign(put_in_state(application, Status.AWARDED), staff)
    later = project.final_due_on + timedelta(days=10)
    amendment = amendments.amendment_request(
        application=project, user=leader, kind="extend", details={"final_due_on": later.isoformat()}, why="延期"
    )
    amendments.amendment_decide(amendment=amendment, actor=staff, approve=True, reason="同意")
    conversation_services.message_send(application=project, user=staff, body="请上传签到表", as_fund=True)
    finish(project, leader, staff, [(0, "6000.00"), (1, "1000.00")])
    project.refresh_from_db()
    assert project.status == Status.COMPLETED
    return project


def _check(data: bytes) -> set[str]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = set(archive.namelist())
    manifest = archive.read("MANIFEST.sha256").decode()
    listed = {}
    for line in manifest.splitlines():
        digest, path = line.split("  ", 1)
        listed[path] = digest
    assert set(listed) == names - {"MANIFEST.sha256"}
    for path, digest in listed.items():
        assert hashlib.sha256(archive.read(path)).hexdigest() == digest, path
    return names


def test_the_dossier_of_a_completed_project_holds_every_part_and_its_manifest_checks_out(completed, tmp_path):
    out = tmp_path / "dossier.zip"
    call_command("project_dossier", str(completed.pk), str(out))
    names = _check(out.read_bytes())
    for expected in (
        "01-application/application.json",
        "02-review/review_summary.json",
        "03-notice/notice_and_objections.json",
        "04-agreement/v1.pdf",
        "04-agreement/v2.pdf",
        "04-agreement/v2.json",
        "05-money/payments.csv",
        "05-money/expenses.csv",
        "06-reports/reports.json",
        "07-amendments/amendments.json",
        "08-messages/thread.txt",
        "09-outcome/outcome.json",
    ):
        assert expected in names, expected
    assert len([n for n in names if n.startswith("05-money/receipts/")]) == 2
    archive = zipfile.ZipFile(out)
    notice = archive.read("03-notice/notice_and_objections.json").decode()
    assert "查无实据" in notice and "赵六" not in notice and "13900000000" not in notice
    assert (
        "BANK" in archive.read("05-money/payments.csv").decode()
        or completed.reference in archive.read("05-money/payments.csv").decode()
    )


def test_staff_ask_for_the_dossier_and_the_job_makes_it(completed, staff, client, queued_jobs):
    from tests.jobs import run_queued

    client.force_login(staff)
    client.post(reverse("grants_admin:dossier_request", args=[completed.pk]))
    made = ProjectDossier.objects.get()
    assert made.status == DossierStatus.QUEUED
    run_queued()
    made.refresh_from_db()
    assert made.status == DossierStatus.DONE and made.size > 0
    response = client.get(reverse("grants_admin:dossier_download", args=[made.pk]))
    data = b"".join(response.streaming_content)
    assert hashlib.sha256(data).hexdigest() == made.sha256
    _check(data)


def test_the_dossier_is_for_the_fund_only(completed, client):
    made = ProjectDossier.objects.create(application=completed)
    dossier.dossier_run(made.pk)
    client.force_login(completed.group.memberships.get().user)
    assert client.get(reverse("grants_admin:dossier_download", args=[made.pk])).status_code in (302, 403)
