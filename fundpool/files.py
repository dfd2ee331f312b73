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


IMAGE_FORMATS = {"image/jpeg": ("JPEG", ".jpg"), "image/png": ("PNG", ".png")}
MAX_IMAGE_PIXELS = 40_000_000


def reencode_image(file, content_type: str):
    """A JPEG or PNG drawn afresh from its pixels: turned the way the camera meant, with no EXIF,
    location, comments or anything hidden after the image data. What is stored is only ever an
    image we wrote ourselves."""
    import io
    import os

    from django.core.files.base import ContentFile
    from PIL import Image, ImageOps, UnidentifiedImageError

    fmt, ext = IMAGE_FORMATS[content_type]
    file.seek(0)
    try:
        with Image.open(file) as source:
            if source.width * source.height > MAX_IMAGE_PIXELS:
                raise UploadRefused(
                    _("The image is too large (at most %(mp)s million pixels)."), mp=MAX_IMAGE_PIXELS // 10**6
                )
            source.load()
            image = ImageOps.exif_transpose(source)
    except UploadRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise UploadRefused(_("This image could not be read; it may be damaged. Choose another file.")) from None
    finally:
        file.seek(0)
    if fmt == "JPEG" and image.mode not in ("RGB", "L", "CMYK"):
        image = image.convert("RGB")
    if fmt == "PNG" and image.mode not in ("RGB", "RGBA", "L", "LA", "P", "1"):
        image = image.convert("RGBA")
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, format="JPEG", quality=90, optimize=True)  # no exif=: nothing carried over
    else:
        image.save(out, format="PNG", optimize=True)
    stem = os.path.splitext(os.path.basename(getattr(file, "name", "") or "image"))[0] or "image"
    return ContentFile(out.getvalue(), name=stem + ext)


def accept_upload(file, *, max_bytes: int = MAX_UPLOAD_BYTES):
    """`check_upload`, then images re-encoded: returns (the file to store, its content type)."""
    content_type = check_upload(file, max_bytes=max_bytes)
    if content_type in IMAGE_FORMATS:
        file = reencode_image(file, content_type)
    return file, content_type


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
