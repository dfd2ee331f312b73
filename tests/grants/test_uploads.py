"""Every upload is stored under a name we generate, with the extension of the type its bytes were
checked to be, whatever the uploader called it; the uploader's name is kept only as a label, cleaned.
Downloads send the checked type, `nosniff`, and a file name ending in the checked extension. A real
PDF named poly.html and a PNG named x.svg, through each kind of upload: application attachments,
group charters, expense receipts, activity and report photos, inflow reference documents."""

import io
import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from fundpool.ledger import services as ledger_services
from grants.applications import services as application_services
from grants.delivery import services as delivery_services
from grants.groups import services as group_services
from grants.lifecycle import Status
from grants.models import ApplicationAttachment

from ..factories import GroupFactory, UserFactory
from .conftest import put_in_state
from .test_delivery import sign, spend

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), "blue").save(out, "PNG")
    return out.getvalue()


def poly_html():
    """A real PDF whose name says it is a web page."""
    return SimpleUploadedFile("poly.html", PDF, content_type="text/html")


def x_svg():
    """A real PNG whose name says it is an SVG (which could carry script)."""
    return SimpleUploadedFile("x.svg", png_bytes(), content_type="image/svg+xml")


def generated(folder: str, ext: str) -> re.Pattern:
    return re.compile(rf"{re.escape(folder)}\d{{4}}/(\d{{2}}/)?[0-9a-f]{{32}}\.{ext}")


def served_name(response) -> str:
    """The file name a browser saves the download as."""
    disposition = response["Content-Disposition"]
    match = re.search(r"filename\*=utf-8''(.+)$", disposition) or re.search(r'filename="(.+)"', disposition)
    from urllib.parse import unquote

    return unquote(match.group(1))


def assert_served(response, *, content_type: str, name: str, attachment: bool = True):
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment" if attachment else "inline")
    assert served_name(response) == name


@pytest.fixture
def leader_of(application):
    return application.group.memberships.get(role="leader").user


# --- application attachments ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "upload, ext, content_type, name",
    [(poly_html, "pdf", "application/pdf", "poly.pdf"), (x_svg, "png", "image/png", "x.png")],
    ids=["pdf-named-poly.html", "png-named-x.svg"],
)
def test_an_attachment_is_stored_and_served_as_what_it_is(
    client, application, leader_of, upload, ext, content_type, name
):
    client.force_login(leader_of)
    response = client.post(reverse("grants:attachment_add", args=[application.pk]), {"attachment-file": upload()})
    assert response.status_code == 302
    attachment = application.attachments.get()
    assert generated("grants/attachments/", ext).fullmatch(attachment.file.name), attachment.file.name
    assert attachment.title == upload().name  # the uploader's name, as a label only
    assert attachment.content_type == content_type
    assert_served(
        client.get(reverse("grants:attachment_download", args=[attachment.pk])), content_type=content_type, name=name
    )


def test_two_uploads_of_one_name_get_two_names_of_their_own(application, leader_of):
    first = application_services.application_attach(application=application, user=leader_of, file=poly_html())
    second = application_services.application_attach(application=application, user=leader_of, file=poly_html())
    assert first.file.name != second.file.name
    assert "poly" not in first.file.name and "poly" not in second.file.name


def test_a_label_is_cleaned_of_path_separators_and_control_characters(application, leader_of):
    sneaky = "..\\..\\报告\u202egpj.exe\x00\n\t.pdf"
    attachment = application_services.application_attach(
        application=application,
        user=leader_of,
        file=SimpleUploadedFile("plan.pdf", PDF, content_type="application/pdf"),
        title=sneaky,
    )
    assert attachment.title == "…_…_报告gpj.exe.pdf".replace("…", "..")
    for bad in ("\\", "/", "\u202e", "\x00", "\n", "\t"):
        assert bad not in attachment.title
    from core.uploads import upload_label

    assert upload_label("a/b\\c\u200bd\x7f") == "a_b_cd"


def test_a_file_stored_before_names_were_generated_is_still_served_as_what_it_is(client, application, leader_of):
    """Rows from before keep their stored path (named as uploaded); they are served by their checked
    type and extension all the same."""
    attachment = ApplicationAttachment(
        application=application, title="poly.html", content_type="application/pdf", size=len(PDF), uploaded_by=leader_of
    )
    stored = ApplicationAttachment._meta.get_field("file").storage.save(
        "grants/attachments/2025/01/poly.html", ContentFile(PDF)
    )
    attachment.file.name = stored
    attachment.save()
    client.force_login(leader_of)
    assert_served(
        client.get(reverse("grants:attachment_download", args=[attachment.pk])),
        content_type="application/pdf",
        name="poly.pdf",
    )


# --- group charters ----------------------------------------------------------------------------


def register(charter):
    return group_services.group_register(
        user=UserFactory(),
        name="章程测试队",
        group_type="interest",
        community=GroupFactory().community,
        leader_name="甲",
        leader_phone="13700000000",
        member_count=12,
        member_list="甲",
        charter=charter,
    )


@pytest.mark.parametrize(
    "upload, ext, content_type",
    [(poly_html, "pdf", "application/pdf"), (x_svg, "png", "image/png")],
    ids=["pdf-named-poly.html", "png-named-x.svg"],
)
def test_a_charter_is_stored_and_served_as_what_it_is(client, staff, upload, ext, content_type):
    group = register(upload())
    assert generated("grants/charters/", ext).fullmatch(group.charter.name), group.charter.name
    client.force_login(staff)
    response = client.get(reverse("grants:group_charter", args=[group.pk]))
    assert_served(response, content_type=content_type, name=f"章程测试队章程.{ext}")


def test_a_legacy_charter_is_served_by_what_its_bytes_are(client, staff):
    """Charters carry no recorded type: the stored bytes are judged when served."""
    group = register(None)
    field = type(group)._meta.get_field("charter")
    group.charter.name = field.storage.save("grants/charters/2025/01/章程.html", ContentFile(PDF))
    group.save(update_fields=["charter"])
    client.force_login(staff)
    response = client.get(reverse("grants:group_charter", args=[group.pk]))
    assert_served(response, content_type="application/pdf", name="章程测试队章程.pdf")


# --- receipts and photos -----------------------------------------------------------------------


@pytest.fixture
def project(application, staff):
    return sign(put_in_state(application, Status.AWARDED), staff)


@pytest.mark.parametrize(
    "upload, ext, content_type",
    [(poly_html, "pdf", "application/pdf"), (x_svg, "png", "image/png")],
    ids=["pdf-named-poly.html", "png-named-x.svg"],
)
def test_a_receipt_is_stored_and_served_as_what_it_is(client, project, leader_of, upload, ext, content_type):
    expense = spend(project, leader_of, "100.00", receipt=upload())
    assert generated("grants/receipts/", ext).fullmatch(expense.receipt.name), expense.receipt.name
    client.force_login(leader_of)
    response = client.get(reverse("grants:receipt", args=[expense.pk]))
    assert_served(response, content_type=content_type, name=f"收据-{expense.pk}.{ext}")


def test_an_activity_photo_named_svg_is_stored_and_shown_as_the_jpeg_we_drew(client, project, leader_of):
    activity = delivery_services.activity_record(
        application=project,
        user=leader_of,
        held_on=timezone.localdate(),
        title="端午包粽子",
        description="二十位老人一起包粽子。",
        participants=20,
        beneficiaries_reached=20,
        photos=[x_svg()],
    )
    photo = activity.photos.get()
    assert generated("grants/photos/", "jpg").fullmatch(photo.image.name), photo.image.name
    client.force_login(leader_of)
    response = client.get(reverse("grants:photo", args=[photo.pk]))
    assert_served(response, content_type="image/jpeg", name=f"照片-{photo.pk}.jpg", attachment=False)


# --- inflow reference documents ---------------------------------------------------------------------


def test_an_inflow_document_is_stored_and_served_as_what_it_is(client, finance, receive, gov):
    inflow = receive("1000.00", funder=gov)
    document = ledger_services.inflow_attach_document(inflow=inflow, title="", file=poly_html(), actor=finance)
    assert generated("fundpool/inflows/", "pdf").fullmatch(document.file.name), document.file.name
    assert document.title == "poly.html"
    client.force_login(finance)
    response = client.get(reverse("inflow:document", args=[document.pk]))
    assert_served(response, content_type="application/pdf", name="poly.pdf")
