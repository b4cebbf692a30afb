"""The open data: a public page (the months, the data dictionary, the license) and each month's file,
CSV or JSON, streamed. No login; cacheable for one refresh period (the figures change only when the
refresh runs): the files by anyone's cache, the HTML pages only by the visitor's browser (they carry a
CSRF token and a CSP nonce); read from the replica when one is configured."""

from datetime import date

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from config.routers import reads_from_replica
from reporting import opendata
from reporting.transparency import allow_caching

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def _max_age() -> int:
    # A page or a file is as fresh as the last refresh of the figures.
    return int(settings.REPORTING_REFRESH_SECONDS)


def _cacheable(response: HttpResponse | StreamingHttpResponse) -> None:
    """Kept for one refresh period: a file by anyone's cache, a page by the visitor's browser only
    (transparency.allow_caching). A signed-in person's response is marked private and no-store
    further down the stack (config/middleware_headers.py)."""
    allow_caching(response, _max_age())


@require_safe
@reads_from_replica
def open_data(request: HttpRequest) -> HttpResponse:
    months = opendata.published_months()
    response = render(
        request,
        "reporting/opendata/index.html",
        {
            "months": months,
            "columns": opendata.COLUMNS,
            "license": opendata.LICENSE,
            "update_frequency": opendata.update_frequency(),
            "formats": opendata.FORMATS,
            "spanish": (get_language() or "").startswith("es"),
        },
    )
    _cacheable(response)
    return response


def _not_published(request: HttpRequest, month: date | None, reason: str) -> HttpResponse:
    response = render(request, "reporting/opendata/not_found.html", {"month": month, "reason": reason}, status=404)
    # A month not over yet will be published: a cache keeps the refusal no longer than a refresh period.
    _cacheable(response)
    return response


@require_safe
@reads_from_replica
def open_data_file(request: HttpRequest, year: int, month: int, fmt: str) -> HttpResponse | StreamingHttpResponse:
    first_day = opendata.month_from(year, month)
    if first_day is None:
        return _not_published(request, None, "no_such_month")
    if fmt not in opendata.FORMATS:
        return _not_published(request, first_day, "format")
    if first_day >= opendata.current_month():
        return _not_published(request, first_day, "not_over")
    if not opendata.month_rows(first_day).exists():
        return _not_published(request, first_day, "empty")
    chunks = (
        opendata.csv_chunks(first_day)
        if fmt == "csv"
        else opendata.json_chunks(first_day, opendata.metadata(first_day, timezone.now()))
    )
    response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=opendata.filename(first_day, fmt)
    )
    response["Link"] = f'<{opendata.LICENSE.url}>; rel="license"'
    _cacheable(response)
    return response
