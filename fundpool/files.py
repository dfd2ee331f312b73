"""Uploaded files are judged by their bytes, not their names."""

from __future__ import annotations

import zipfile

from django.utils.translation import gettext_lazy as _

from .errors import FundpoolError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class UploadRefused(FundpoolError):
    default_message = _("This file cannot be accepted.")


def sniff(head: bytes, file) -> str | None:
    """The content type the bytes show, among those we accept, or None."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"PK\x03\x04"):
        try:
            file.seek(0)
            names = set(zipfile.ZipFile(file).namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        finally:
            file.seek(0)
        if "[Content_Types].xml" in names:
            if any(n.startswith("word/") for n in names):
                return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            if any(n.startswith("xl/") for n in names):
                return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return None


def check_upload(file, *, max_bytes: int = MAX_UPLOAD_BYTES) -> str:
    """Accept PDF, JPEG, PNG, DOCX or XLSX of at most `max_bytes`; return the content type."""
    if file is None:
        raise UploadRefused(_("Choose a file."))
    if file.size > max_bytes:
        raise UploadRefused(_("The file is larger than %(mb)s MB."), mb=max_bytes // (1024 * 1024))
    if file.size == 0:
        raise UploadRefused(_("The file is empty."))
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    content_type = sniff(head, file)
    if content_type is None:
        raise UploadRefused(_("Only PDF, JPEG, PNG, DOCX and XLSX files are accepted (judged by their content)."))
    return content_type


def private_file_response(field, *, content_type: str | None = None, download: bool = True, cache: str = ""):
    """A stored private file as a response, once the caller has checked who may have it; a file
    missing from storage is a 404, not a 500."""
    from django.http import FileResponse, Http404

    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    kwargs = {"content_type": content_type} if content_type else {}
    if download:
        kwargs.update(as_attachment=True, filename=field.name.rsplit("/", 1)[-1])
    response = FileResponse(handle, **kwargs)
    if cache:
        response["Cache-Control"] = cache
    return response
