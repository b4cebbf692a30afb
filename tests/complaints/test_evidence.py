"""Evidence on a draft: what is accepted, what is refused (with a clear message and nothing
stored), where files land, and removing them."""

import html
import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from PIL import Image
from pypdf import PdfReader

from complaints import pdf, services, uploads
from complaints.models import Complaint, Evidence
from tests.complaints import factories
from tests.helpers import stored_name

FIXTURES = Path(__file__).parent / "fixtures"
PDF_BYTES = (FIXTURES / "factura.pdf").read_bytes()
JPEG_BYTES = (FIXTURES / "foto.jpg").read_bytes()
# The start of a Windows executable, renamed to look like an invoice.
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def page(response) -> str:
    return html.unescape(response.content.decode()).replace("\xa0", " ")


def pixel_size(image: Image.Image | None) -> tuple[int, int]:
    """The size of an image pypdf decoded from a PDF (it gives None for one it could not decode)."""
    assert image is not None
    return image.size


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def draft(consumer) -> Complaint:
    return services.complaint_start_draft(consumer=consumer)


@pytest.fixture
def client(consumer, client_for) -> Client:
    client = client_for(consumer)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def upload(client: Client, case: Complaint, *files: SimpleUploadedFile):
    return client.post(reverse("evidence_upload", args=[case.pk]), {"evidence_files": list(files)}, follow=True)


def test_it_states_the_limits_on_the_evidence_step(draft, client):
    response = client.get(reverse("complaint_step", args=[draft.pk, 5]))

    with translation.override("en"):
        limits = uploads.limits_text().replace("\xa0", " ")
    assert limits in page(response)
    assert 'enctype="multipart/form-data"' in page(response)
    assert "multiple" in page(response)


def test_it_stores_a_pdf_under_the_case_with_its_fingerprint(draft, client, media):
    response = upload(client, draft, SimpleUploadedFile("factura.pdf", PDF_BYTES))

    evidence = Evidence.objects.get(complaint=draft)
    assert stored_name(evidence.file).startswith(f"evidence/{draft.pk}/")
    assert (media / evidence.file.name).read_bytes() == PDF_BYTES
    assert response.redirect_chain[-1][0] == reverse("complaint_step", args=[draft.pk, 5])
    assert "factura.pdf" in page(response)


def test_it_refuses_an_executable_renamed_to_pdf_and_stores_nothing(draft, client, media):
    response = upload(client, draft, SimpleUploadedFile("factura.pdf", EXE_BYTES, "application/pdf"))

    assert "Nothing was uploaded." in page(response)
    assert "The file “factura.pdf” is not a PDF, JPEG, PNG or HEIC file (whatever its name says)." in page(response)
    assert not Evidence.objects.exists()
    assert stored_files(media) == []


def test_it_refuses_an_oversized_file_and_stores_nothing(draft, client, media, settings):
    settings.EVIDENCE_MAX_BYTES = 1024

    response = upload(client, draft, SimpleUploadedFile("grande.pdf", b"%PDF-1.4\n" + b"0" * 2048))

    assert "The file “grande.pdf” is 2.0 KB; the limit is 1.0 KB per file." in page(response)
    assert not Evidence.objects.exists()
    assert stored_files(media) == []


def test_it_refuses_more_files_than_the_limit_and_stores_none_of_the_batch(draft, client, media, settings):
    settings.EVIDENCE_MAX_FILES = 2

    response = upload(
        client,
        draft,
        SimpleUploadedFile("a.pdf", PDF_BYTES),
        SimpleUploadedFile("b.jpg", JPEG_BYTES),
        SimpleUploadedFile("c.pdf", PDF_BYTES),
    )

    assert "You can attach up to 2 files. Remove one to add another." in page(response)
    assert not Evidence.objects.exists()
    assert stored_files(media) == []


def test_it_refuses_one_more_file_once_the_limit_is_reached(draft, client, media, settings):
    settings.EVIDENCE_MAX_FILES = 1
    upload(client, draft, SimpleUploadedFile("a.pdf", PDF_BYTES))

    response = upload(client, draft, SimpleUploadedFile("b.jpg", JPEG_BYTES))

    assert "You can attach up to 1 files." in page(response)
    assert list(Evidence.objects.values_list("original_name", flat=True)) == ["a.pdf"]
    assert len(stored_files(media)) == 1


def test_it_refuses_an_empty_file_and_stores_nothing(draft, client, media):
    response = upload(client, draft, SimpleUploadedFile("vacio.pdf", b""))

    assert "The file “vacio.pdf” is empty." in page(response)
    assert not Evidence.objects.exists()
    assert stored_files(media) == []


def test_it_stores_nothing_of_a_batch_with_one_bad_file_and_names_the_bad_one(draft, client, media):
    response = upload(
        client,
        draft,
        SimpleUploadedFile("factura.pdf", PDF_BYTES),
        SimpleUploadedFile("virus.jpg", EXE_BYTES),
    )

    text = page(response)
    assert "Nothing was uploaded. Fix the following and choose the files again:" not in text  # one problem: one line
    assert "Nothing was uploaded. The file “virus.jpg” is not a PDF" in text
    assert not Evidence.objects.exists()
    assert stored_files(media) == []


def test_it_asks_for_a_file_when_none_was_chosen(draft, client, media):
    response = client.post(reverse("evidence_upload", args=[draft.pk]), {}, follow=True)

    assert "Choose at least one file to upload." in page(response)


def test_the_service_refuses_a_file_name_with_folders_and_stores_nothing(draft, consumer, media):
    evil = SimpleUploadedFile("evil.pdf", PDF_BYTES)
    # Django's own parser strips folders; a caller might not. `_name` is what the sanitising `name`
    # setter writes; the stubs do not declare that private attribute.
    evil._name = "../../etc/evil.pdf"  # type: ignore[attr-defined]

    with pytest.raises(ValidationError, match="must not contain folders"):
        uploads.evidence_add(complaint=draft, upload=evil, by=consumer)

    assert not Evidence.objects.exists()
    assert stored_files(media) == []


def test_a_posted_file_name_with_folders_lands_under_the_case_with_a_safe_name(draft, client, media):
    boundary = "ConciliaBoundary"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="evidence_files"; filename="../../etc/passwd.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + PDF_BYTES
        + f"\r\n--{boundary}--\r\n".encode()
    )

    client.post(
        reverse("evidence_upload", args=[draft.pk]),
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )

    evidence = Evidence.objects.get(complaint=draft)
    assert evidence.original_name == "passwd.pdf"
    assert stored_name(evidence.file).startswith(f"evidence/{draft.pk}/")
    assert ".." not in stored_name(evidence.file)
    assert Path(evidence.file.path).resolve().is_relative_to(media.resolve())
    assert not (media.parent / "etc").exists()


def test_it_removes_a_file_and_its_stored_copy(draft, client, media, django_capture_on_commit_callbacks):
    upload(client, draft, SimpleUploadedFile("factura.pdf", PDF_BYTES))
    evidence = Evidence.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("evidence_delete", args=[evidence.pk]), follow=True)

    assert "“factura.pdf” was removed." in page(response)
    assert not Evidence.objects.exists()
    assert stored_files(media) == []


def test_evidence_urls_take_only_posts(draft, client):
    assert client.get(reverse("evidence_upload", args=[draft.pk])).status_code == 405


def test_no_evidence_is_added_or_removed_once_the_complaint_is_submitted(
    draft, company, client, media, django_capture_on_commit_callbacks
):
    upload(client, draft, SimpleUploadedFile("factura.pdf", PDF_BYTES))
    evidence = Evidence.objects.get()
    services.case_parts.name_company(draft, company=company, role="seller")
    Complaint.objects.filter(pk=draft.pk).update(product="TV", facts="No anda.", claim_type="repair")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("complaint_submit", args=[draft.pk]), {"declaration": "on"})
    draft.refresh_from_db()
    assert draft.number

    added = upload(client, draft, SimpleUploadedFile("otra.pdf", PDF_BYTES))
    removed = client.post(reverse("evidence_delete", args=[evidence.pk]), follow=True)

    assert "can no longer be changed" in page(added)
    assert "can no longer be changed" in page(removed)
    assert list(Evidence.objects.values_list("original_name", flat=True)) == ["factura.pdf"]
    assert len(stored_files(media)) == 1


def test_it_keeps_a_long_file_name_cut_to_fit_with_its_extension(draft, client, media):
    long_name = "factura-" + "x" * 243 + ".pdf"  # 255 characters, the most a browser sends
    assert len(long_name) == 255

    upload(client, draft, SimpleUploadedFile(long_name, PDF_BYTES))

    evidence = Evidence.objects.get(complaint=draft)
    assert len(evidence.original_name) == Evidence._meta.get_field("original_name").max_length == 200
    assert evidence.original_name.startswith("factura-xxx")
    assert evidence.original_name.endswith("x….pdf")


def test_a_name_that_fits_is_kept_as_it_is_and_an_odd_extension_is_cut_with_the_rest():
    assert uploads.evidence_label("factura.pdf") == "factura.pdf"
    assert uploads.evidence_label("a" * 200) == "a" * 200
    odd = uploads.evidence_label("factura." + "b" * 240)
    assert len(odd) == 200
    assert odd.startswith("factura.bbb")
    assert odd.endswith("b…")


# --- Images: pixels bounded at upload, downscaled in the export -------------------------------------


def png_of(width: int, height: int) -> bytes:
    """A real PNG of that size; one bit per pixel, so a huge one is still a small file."""
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def jpeg_of(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (0, 114, 187)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def bomb_png() -> bytes:
    return png_of(12000, 12000)


def test_it_refuses_a_png_of_12000_by_12000_pixels_and_stores_nothing(draft, client, media, bomb_png):
    assert len(bomb_png) < 1024 * 1024  # small on disk: the size limit alone would let it in

    response = upload(client, draft, SimpleUploadedFile("captura.png", bomb_png, "image/png"))

    assert "Nothing was uploaded." in page(response)
    assert "The image “captura.png” is too large: it has more than 40 megapixels." in page(response)
    assert not Evidence.objects.filter(complaint=draft).exists()
    assert stored_files(media) == []


def test_the_pixel_limit_is_a_setting(draft, client, media, settings):
    settings.EVIDENCE_MAX_IMAGE_PIXELS = 1_000_000

    response = upload(client, draft, SimpleUploadedFile("foto.jpg", jpeg_of(1200, 1000), "image/jpeg"))

    assert "The image “foto.jpg” is too large: it has more than 1 megapixels." in page(response)
    assert stored_files(media) == []


def test_it_accepts_an_image_within_the_pixel_limit(draft, client, media):
    upload(client, draft, SimpleUploadedFile("foto.jpg", jpeg_of(3000, 2000), "image/jpeg"))

    assert Evidence.objects.get(complaint=draft).content_type == "image/jpeg"


def test_it_refuses_a_png_whose_header_is_damaged(draft, client, media):
    broken = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

    response = upload(client, draft, SimpleUploadedFile("foto.png", broken, "image/png"))

    assert "The image “foto.png” cannot be read: the file may be damaged." in page(response)
    assert stored_files(media) == []


def test_the_case_file_export_embeds_a_large_photo_downscaled(consumer, company, officer, client_for, media):
    case = factories.draft_case(consumer, company)
    uploads.evidence_add(
        complaint=case, upload=SimpleUploadedFile("heladera.jpg", jpeg_of(4000, 3000), "image/jpeg"), by=consumer
    )
    case = services.complaint_submit(complaint=case, by=consumer)

    response = client_for(officer).get(reverse("complaint_export_pdf", args=[case.pk]))

    reader = PdfReader(io.BytesIO(response.content))
    embedded = {pixel_size(image.image) for pdf_page in reader.pages for image in pdf_page.images}
    assert embedded == {(pdf.EMBED_MAX_SIDE, 1200)}
    stored = Evidence.objects.get(complaint=case)
    assert Image.open(stored.file.path).size == (4000, 3000)  # the original is kept as it was


def test_evidence_is_stored_under_a_name_nobody_can_derive_from_the_file(draft, client, media):
    upload(client, draft, SimpleUploadedFile("factura.pdf", PDF_BYTES))
    upload(client, draft, SimpleUploadedFile("factura-otra-vez.pdf", PDF_BYTES))

    first, second = Evidence.objects.filter(complaint=draft)
    assert first.sha256 == second.sha256
    assert first.sha256[:16] not in stored_name(first.file)
    assert first.file.name != second.file.name
