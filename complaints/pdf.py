"""HTML templates rendered to PDF with WeasyPrint (receipts, the case file export)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


def render_pdf(template: str, context: dict, request: HttpRequest | None = None) -> bytes:
    from weasyprint import HTML  # imported late: it loads pango, which only PDF pages need

    html = render_to_string(template, context, request=request)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
