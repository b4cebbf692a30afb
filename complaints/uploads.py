"""Evidence files: type judged from the content, never the name; limits stated and enforced."""

import contextlib
import hashlib
import os
import warnings
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from complaints.models import Complaint, Evidence
from complaints.states import State
from parties.models import User

# Browsers send file names of up to 255 characters; the record keeps fewer.
NAME_LIMIT: int = Evidence._meta.get_field("original_name").max_length  # type: ignore[assignment]
ALLOWED_TYPES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG", "image/heic": "HEIC"}
_HEIC_BRANDS = (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1")
# The images Pillow reads (and the case file export embeds): their pixels are bounded at upload.
MEASURED_IMAGES = ("image/jpeg", "image/png")


def sniff_content_type(head: bytes) -> str | None:
    """What the first bytes say the file is (its magic number), or None."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in _HEIC_BRANDS:
        return "image/heic"
    return None


def _check_name(name: str) -> None:
    if not name or "/" in name or "\\" in name or name.startswith(".") or "\x00" in name:
        raise ValidationError(
            _("The file name “%(name)s” is not allowed: it must not contain folders or start with a dot.")
            % {"name": name}
        )


def evidence_label(name: str) -> str:
    """The person's file name as the record keeps it: cut short to fit, with an ellipsis before
    the extension so the label still says what kind of file it is."""
    if len(name) <= NAME_LIMIT:
        return name
    stem, extension = os.path.splitext(name)
    if len(extension) > 16:  # not an extension anyone would recognise: cut the name as a whole
        stem, extension = name, ""
    return f"{stem[: NAME_LIMIT - len(extension) - 1]}…{extension}"


def validate_evidence(upload: UploadedFile, *, already: int) -> str:
    """Raise a ValidationError that says what is wrong, or return the sniffed content type."""
    name = upload.name or ""
    _check_name(name)
    if already >= settings.EVIDENCE_MAX_FILES:
        raise ValidationError(
            _("You can attach up to %(count)s files. Remove one to add another.")
            % {"count": settings.EVIDENCE_MAX_FILES}
        )
    if not upload.size:
        raise ValidationError(_("The file “%(name)s” is empty.") % {"name": name})
    if upload.size > settings.EVIDENCE_MAX_BYTES:
        raise ValidationError(
            _("The file “%(name)s” is %(size)s; the limit is %(limit)s per file.")
            % {
                "name": name,
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(settings.EVIDENCE_MAX_BYTES),
            }
        )
    upload.seek(0)
    content_type = sniff_content_type(upload.read(16))
    upload.seek(0)
    if content_type is None:
        raise ValidationError(
            _("The file “%(name)s” is not a PDF, JPEG, PNG or HEIC file (whatever its name says).") % {"name": name}
        )
    if content_type in MEASURED_IMAGES:
        _check_pixels(upload, name)
    return content_type


def image_pixels(source: object) -> int:
    """Width times height from the image's header, without decoding its pixels. Raises
    `Image.DecompressionBombError` for a count Pillow itself refuses to open, and
    `UnidentifiedImageError`/`OSError` for a file that is not a readable image."""
    with warnings.catch_warnings():
        # Pillow warns above its own limit; ours is lower and checked below, so the warning says nothing new.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(source) as image:  # type: ignore[arg-type]
            width, height = image.size
    return width * height


def _check_pixels(upload: UploadedFile, name: str) -> None:
    """A small file can hold a huge image (a "decompression bomb": 410 KiB of PNG that decodes to
    12000 by 12000 pixels and half a gigabyte of memory). Judge it by the header alone."""
    too_large = ValidationError(
        _(
            "The image “%(name)s” is too large: it has more than %(limit)s megapixels. "
            "Save it at a smaller size (or take a screenshot of it) and upload that."
        )
        % {"name": name, "limit": settings.EVIDENCE_MAX_IMAGE_PIXELS // 1_000_000}
    )
    upload.seek(0)
    try:
        pixels = image_pixels(upload)
    except Image.DecompressionBombError:
        raise too_large from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            _("The image “%(name)s” cannot be read: the file may be damaged. Save it again and upload it.")
            % {"name": name}
        ) from None
    finally:
        upload.seek(0)
    if pixels > settings.EVIDENCE_MAX_IMAGE_PIXELS:
        raise too_large


def evidence_problems(files: Sequence[UploadedFile], *, already: int) -> list[str]:
    """What is wrong with each file of a batch, judged before any is stored (empty: all may be)."""
    problems: list[str] = []
    for index, upload in enumerate(files):
        try:
            validate_evidence(upload, already=already + index)
        except ValidationError as error:
            problems.extend(error.messages)
    return problems


def evidence_add(*, complaint: Complaint, upload: UploadedFile, by: User, description: str = "") -> Evidence:
    """Store one evidence file on a draft or observed case; nothing is stored if it is refused."""
    with transaction.atomic():
        case = Complaint.objects.select_for_update(no_key=True).get(pk=complaint.pk)
        if case.status not in (State.DRAFT, State.OBSERVED):
            raise ValidationError(_("Evidence can only be added while the complaint is a draft or being corrected."))
        content_type = validate_evidence(upload, already=case.evidence.count())
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        evidence = Evidence(
            complaint=case,
            original_name=evidence_label(upload.name or ""),
            content_type=content_type,
            size=upload.size or 0,
            sha256=digest.hexdigest(),
            description=description,
            uploaded_by=by,
        )
        evidence.file.save(evidence.original_name, upload, save=False)
        # If the row cannot be written, the stored file goes too: nothing half-kept.
        try:
            evidence.save()
        except Exception:
            evidence.file.delete(save=False)
            raise
    return evidence


def evidence_add_all(*, complaint: Complaint, files: Sequence[UploadedFile], by: User) -> list[Evidence]:
    """Store a batch of evidence files: all of them, or none (a ValidationError says why)."""
    stored: list[Evidence] = []
    try:
        with transaction.atomic():
            for upload in files:
                stored.append(evidence_add(complaint=complaint, upload=upload, by=by))
    except ValidationError:
        for evidence in stored:  # the rows rolled back; their files must go too
            if evidence.file.name:
                with contextlib.suppress(OSError):
                    evidence.file.storage.delete(evidence.file.name)
        raise
    return stored


def evidence_remove(*, evidence: Evidence, by: User) -> None:
    with transaction.atomic():
        case = Complaint.objects.select_for_update(no_key=True).get(pk=evidence.complaint_id)
        if case.status not in (State.DRAFT, State.OBSERVED):
            raise ValidationError(_("Evidence of a submitted complaint cannot be removed."))
        stored = evidence.file.name or ""
        evidence.delete()
        transaction.on_commit(lambda: evidence.file.storage.delete(stored))


def limits_text() -> str:
    return _("PDF, JPEG, PNG or HEIC; up to %(count)s files of %(size)s each.") % {
        "count": settings.EVIDENCE_MAX_FILES,
        "size": filesizeformat(settings.EVIDENCE_MAX_BYTES),
    }
