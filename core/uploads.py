"""Uploaded files are judged by their bytes, not their names. They are stored under names we
generate, with the extension of the type that was checked, and served with that type; what the
uploader called a file is kept only as a label, never as a path or a served extension."""

from __future__ import annotations

import posixpath
import re
import unicodedata
import uuid
import zipfile

from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from .errors import Refused

MAX_UPLOAD_BYTES = 10 * 1024 * 1024

# The types `sniff` recognises, and the one extension each is stored and served with.
EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}
UNKNOWN_TYPE, UNKNOWN_EXTENSION = "application/octet-stream", ".bin"


class UploadRefused(Refused):
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


UNREADABLE_IMAGE = _("This image could not be read; it may be damaged. Choose another file.")


def reencode_image(
    file,
    content_type: str,
    *,
    as_jpeg: bool = False,
    max_edge: int | None = None,
    quality: int = 90,
    unreadable=UNREADABLE_IMAGE,
):
    """A JPEG or PNG drawn afresh from its pixels: turned the way the camera meant, with no EXIF,
    location, comments or anything hidden after the image data. What is stored is only ever an
    image we wrote ourselves. `as_jpeg` writes a JPEG whatever came in; `max_edge` shrinks it to
    at most that many pixels a side. Returns the file; its `image_size` is (width, height)."""
    import io

    from django.core.files.base import ContentFile
    from PIL import Image, ImageOps, UnidentifiedImageError

    fmt, ext = IMAGE_FORMATS["image/jpeg" if as_jpeg else content_type]
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
        raise UploadRefused(unreadable) from None
    finally:
        file.seek(0)
    if max_edge:
        image.thumbnail((max_edge, max_edge))
    if fmt == "JPEG" and image.mode not in ("RGB", "L", "CMYK"):
        image = image.convert("RGB")
    if fmt == "PNG" and image.mode not in ("RGB", "RGBA", "L", "LA", "P", "1"):
        image = image.convert("RGBA")
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, format="JPEG", quality=quality, optimize=True)  # no exif=: nothing carried over
    else:
        image.save(out, format="PNG", optimize=True)
    content = ContentFile(out.getvalue(), name="image" + ext)
    content.image_size = image.size
    return content


def accept_upload(file, *, max_bytes: int = MAX_UPLOAD_BYTES):
    """`check_upload`, then images re-encoded: returns (the file to store, its content type). The
    file's name is now ours, with the checked type's extension: the uploader's name (which the
    caller may keep as a label) goes no further."""
    content_type = check_upload(file, max_bytes=max_bytes)
    if content_type in IMAGE_FORMATS:
        file = reencode_image(file, content_type)
    file.name = "upload" + EXTENSIONS[content_type]
    return file, content_type


@deconstructible
class GeneratedName:
    """`upload_to` for every uploaded file: `<folder, dated>/<random hex><extension>`. Only an
    extension of a type we accept survives (`accept_upload` has set the checked one); any other
    becomes .bin, so that nothing an uploader names a file ever reaches the stored path."""

    def __init__(self, folder: str):
        self.folder = folder

    def __call__(self, instance, filename: str) -> str:
        ext = posixpath.splitext(filename or "")[1].lower()
        if ext not in EXTENSIONS.values():
            ext = UNKNOWN_EXTENSION
        return posixpath.join(timezone.now().strftime(self.folder), uuid.uuid4().hex + ext)

    def __eq__(self, other):
        return isinstance(other, GeneratedName) and other.folder == self.folder


_SEPARATORS = re.compile(r"[/\\]")
_INVISIBLE = {"Cc", "Cf", "Zl", "Zp", "Cs"}


def upload_label(name: str, *, limit: int = 200) -> str:
    """What the uploader called a file (or typed as its title), fit to show: no path separators, no
    control, format (bidi overrides, zero-width), line-separator or lone-surrogate characters."""
    text = _SEPARATORS.sub("_", str(name or ""))
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _INVISIBLE)
    return text.strip()[:limit]


# An extension at the end of a label ("poly.html"), dropped for the served name ("poly.pdf").
_LABEL_EXTENSION = re.compile(r"\.(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{1,5}$")


def download_name(label: str, content_type: str) -> str:
    """The name a download is saved under: the label without any extension of its own, then the
    checked type's extension."""
    stem = _LABEL_EXTENSION.sub("", upload_label(label, limit=120)).strip(" .") or "file"
    return stem + EXTENSIONS.get(content_type, UNKNOWN_EXTENSION)


def private_file_response(
    field, *, content_type: str | None = None, label: str = "", download: bool = True, cache: str = ""
):
    """A stored private file as a response, once the caller has checked who may have it: with the
    type checked at upload (or, for a file with none recorded, the type its bytes show), never a
    type guessed from a name; `nosniff`; and a file name ending in that type's extension (the label,
    else the stored name, before it). A file missing from storage is a 404, not a 500."""
    from django.http import FileResponse, Http404

    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    if content_type not in EXTENSIONS:
        head = handle.read(16)
        handle.seek(0)
        content_type = sniff(head, handle) or UNKNOWN_TYPE
    filename = download_name(label or posixpath.basename(field.name), content_type)
    response = FileResponse(handle, content_type=content_type, as_attachment=download, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    if cache:
        response["Cache-Control"] = cache
    return response
