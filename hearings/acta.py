"""The acta as a PDF: what a hearing was, who came and when, how it ended (WeasyPrint, like the case
file export). Written in the office's language and time zone: it is the record, whoever reads it."""

from datetime import datetime

from django.conf import settings
from django.utils import timezone, translation

from complaints.pdf import render_pdf

from .models import Agreement, Hearing
from .selectors import attendance_summary

ACTA_TEMPLATE = "hearings/acta/acta.html"


def acta_context(hearing: Hearing, *, generated_at: datetime) -> dict:
    case = hearing.complaint
    agreement = (
        Agreement.objects.filter(complaint=case, hearing=hearing).first()
        if hearing.outcome == Hearing.Outcome.AGREEMENT
        else None
    )
    return {
        "hearing": hearing,
        "case": case,
        "attendance": attendance_summary(hearing),
        "agreement": agreement,
        "continuation": hearing.continuations.exclude(status=Hearing.Status.CANCELLED).order_by("starts_at").first(),
        "continues": hearing.continues,
        "tolerance_minutes": settings.HEARINGS["TOLERANCE_MINUTES"],
        "generated_at": generated_at,
    }


def render_acta(hearing: Hearing, *, generated_at: datetime) -> bytes:
    with translation.override(settings.LANGUAGE_CODE), timezone.override(timezone.get_default_timezone()):
        return render_pdf(ACTA_TEMPLATE, acta_context(hearing, generated_at=generated_at))
