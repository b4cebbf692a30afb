"""HTML templates rendered to PDF with WeasyPrint (receipts, the case file export, actas)."""

import io
import warnings
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

# Images from storage are embedded at most this many pixels on their longer side: ample for an A4
# page at 150 dpi, and it keeps a 40-megapixel photo from costing seconds and a gigabyte per page.
EMBED_MAX_SIDE = 1600


def render_pdf(template: str, context: dict, request: HttpRequest | None = None) -> bytes:
    from weasyprint import HTML  # imported late: it loads pango, which only PDF pages need

    html = render_to_string(template, context, request=request)
    return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=_fetcher()).write_pdf()


def pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def downscaled_image(path: Path) -> tuple[bytes, str]:
    """The image at `path` made at most EMBED_MAX_SIDE pixels wide and high, upright, as (bytes, content
    type). Raises ValueError for an image with more pixels than uploads accept (one stored before
    the bound), which WeasyPrint then leaves out, keeping the alt text."""
    from PIL import Image, ImageOps

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(path)
        except Image.DecompressionBombError:
            raise ValueError(f"{path.name}: too many pixels to embed") from None
    with image:
        if image.width * image.height > settings.EVIDENCE_MAX_IMAGE_PIXELS:
            raise ValueError(f"{path.name}: too many pixels to embed")
        image.draft("RGB", (EMBED_MAX_SIDE, EMBED_MAX_SIDE))  # JPEG: decode at a fraction of the size
        upright = ImageOps.exif_transpose(image)
        upright.thumbnail((EMBED_MAX_SIDE, EMBED_MAX_SIDE))
        buffer = io.BytesIO()
        if upright.mode in ("RGB", "L"):
            upright.save(buffer, "JPEG", quality=85)
            return buffer.getvalue(), "image/jpeg"
        upright.save(buffer, "PNG")  # transparency or a palette: PNG keeps it
        return buffer.getvalue(), "image/png"


_FETCHER_CLASS: Any = None


def _fetcher() -> Any:
    """WeasyPrint's URL fetcher, except that images from storage are embedded downscaled."""
    global _FETCHER_CLASS
    if _FETCHER_CLASS is None:
        from weasyprint.urls import URLFetcher, URLFetcherResponse

        class DownscalingFetcher(URLFetcher):
            def fetch(self, url: str, headers: Any = None) -> Any:
                path = _stored_image(url)
                if path is None:
                    return super().fetch(url, headers)
                body, content_type = downscaled_image(path)
                # Not a file: URL, or WeasyPrint would embed the original from disk after all.
                return URLFetcherResponse(f"downscaled:{path.name}", body, {"Content-Type": content_type})

        _FETCHER_CLASS = DownscalingFetcher
    return _FETCHER_CLASS()


def _stored_image(url: str) -> Path | None:
    """The local file behind a file:// URL, if it is a JPEG or PNG under MEDIA_ROOT."""
    if not url.startswith("file:"):
        return None
    from urllib.request import url2pathname

    path = Path(url2pathname(url.removeprefix("file:").split("?")[0])).resolve()
    if not path.is_relative_to(Path(settings.MEDIA_ROOT).resolve()):
        return None
    return path if path.suffix.lower() in (".jpg", ".jpeg", ".png") else None
