"""The hearings of the company's cases (GET, scope `read`): the list in calendar order with keyset
pages, each hearing's invitation as an .ics file (the same file the parties are sent), and its acta
(the PDF and its SHA-256, which POST /hearings/{id}/acta/confirm sends back) under the page's rule for
reading it (hearings/policy.py `may_read_acta`, as hearings/views/outcome.py `acta_download` asks it)."""

from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from hearings import ics
from hearings import policy as hearing_policy
from hearings.models import Acta, Hearing

from ..auth import KeyContext, require_scope
from ..cursors import cursor_for, invalid_cursor, position_of
from ..downloads import stored_file_response
from ..errors import error_responses
from ..models import Scope
from ..schemas import ActaOut, Day, HearingPage
from ..selectors import hearing_for_key, hearings_for_key

router = Router(tags=["Hearings"])

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
CURSOR_LIST = "hearings"


class HearingFilters(Schema):
    # `from` is a Python keyword: the field is `starts_from`, read from the query parameter `from`.
    starts_from: Day | None = Field(None, alias="from", description="Hearings starting on or after this day")
    to: Day | None = Field(None, description="Hearings starting on or before this day")
    case_id: int | None = Field(None, ge=1, le=2**63 - 1, description="Only this case's hearings")
    cursor: str | None = Field(None, max_length=500, description="The `next_cursor` of the previous page")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page (at most 100)")


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def hearing_rows(context: KeyContext, filters: HearingFilters) -> QuerySet[Hearing]:
    rows = hearings_for_key(context)
    after = position_of(CURSOR_LIST, filters.cursor, list)
    if after is not None:
        try:
            starts_at, pk = datetime.fromisoformat(after[0]), int(after[1])
        except (IndexError, TypeError, ValueError):
            raise invalid_cursor() from None
        rows = rows.filter(Q(starts_at__gt=starts_at) | Q(starts_at=starts_at, pk__gt=pk))
    if filters.starts_from is not None:
        rows = rows.filter(starts_at__gte=_start_of(filters.starts_from))
    if filters.to is not None:
        rows = rows.filter(starts_at__lt=_start_of(filters.to + timedelta(days=1)))
    if filters.case_id is not None:
        rows = rows.filter(complaint_id=filters.case_id)
    # The acta (a reverse one-to-one) in the same query: a row's `acta` costs no query of its own.
    return rows.select_related("acta").order_by("starts_at", "pk")


def _readable_acta(context: KeyContext, hearing: Hearing) -> Acta | None:
    """The hearing's acta if the key's person may read it now (the page's rule: a party, once it is
    generated), else None."""
    acta = hearing_policy.acta_of(hearing)
    if acta is None or not hearing_policy.may_read_acta(context.user, hearing):
        return None
    return acta


def acta_for_key(context: KeyContext, hearing_id: int) -> tuple[Hearing, Acta]:
    """A hearing the key sees and its acta the key's person may read; a 404 otherwise (no acta yet, or
    a stranger's hearing: the same answer as a missing one)."""
    hearing = hearing_for_key(context, hearing_id)
    acta = _readable_acta(context, hearing)
    if acta is None:
        raise Http404
    return hearing, acta


def _hearing(request: HttpRequest, context: KeyContext, hearing: Hearing) -> dict:
    outcome = hearing.outcome
    # The key's person represents the key's company (api.auth refuses the key otherwise), a part of
    # every case the list holds: their company side is known, so the rule asks no query per row.
    with hearing_policy.company_side_known(context.user, hearing.complaint, True):
        acta = _readable_acta(context, hearing)
    return {
        "id": hearing.pk,
        "case_id": hearing.complaint_id,
        "case_number": hearing.complaint.number,
        "starts_at": hearing.starts_at,
        "ends_at": hearing.ends_at,
        "status": {"code": hearing.status, "label": str(hearing.get_status_display())},
        "outcome": {"code": outcome, "label": str(hearing.get_outcome_display())} if outcome else None,
        "conciliator": hearing.conciliator.get_full_name() if hearing.conciliator else "",
        "ics_url": request.build_absolute_uri(reverse("company_api:hearing_ics", args=[hearing.pk])),
        "acta": {"id": acta.pk, "sha256": acta.sha256} if acta is not None else None,
    }


@router.get(
    "",
    response={200: HearingPage, **error_responses()},
    url_name="hearings",
    operation_id="list_hearings",
    summary="The hearings of the company's cases",
    description="In calendar order (earliest first), in pages of at most 100 (`next_cursor`); cancelled "
    "ones included, with their status. Scope `read`.",
)
def list_hearings(request: HttpRequest, filters: Query[HearingFilters]):
    context = require_scope(request, Scope.READ)
    # One query: the hearings with their case, conciliator (hearings_visible_to's select_related) and acta.
    rows = list(hearing_rows(context, filters)[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    last = rows[-1] if rows else None
    return {
        "items": [_hearing(request, context, hearing) for hearing in rows],
        "next_cursor": cursor_for(CURSOR_LIST, [last.starts_at.isoformat(), last.pk]) if more and last else None,
    }


@router.get(
    "/{int:hearing_id}/ics",
    response={200: None, **error_responses()},
    url_name="hearing_ics",
    operation_id="hearing_ics",
    summary="A hearing's calendar invitation (.ics)",
    description="The invitation as it stands (METHOD:REQUEST), or its withdrawal (METHOD:CANCEL) for a "
    "cancelled hearing: the file the parties are sent. Scope `read`.",
    openapi_extra={
        "responses": {
            200: {
                "description": "An iCalendar file",
                "content": {"text/calendar": {"schema": {"type": "string"}}},
            }
        }
    },
)
def hearing_ics(request: HttpRequest, hearing_id: int):
    context = require_scope(request, Scope.READ)
    hearing = hearing_for_key(context, hearing_id)
    content = ics.hearing_ics(hearing, cancelled=hearing.status == Hearing.Status.CANCELLED)
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    name = hearing.complaint.number or str(hearing.pk)
    response["Content-Disposition"] = f'attachment; filename="audiencia-{name}.ics"'
    return response


@router.get(
    "/{int:hearing_id}/acta",
    response={200: ActaOut, **error_responses()},
    url_name="hearing_acta",
    operation_id="hearing_acta",
    summary="A hearing's acta",
    description="The acta once it was generated: its SHA-256 (what `POST /hearings/{hearing_id}/acta/confirm` "
    "sends back) and where to download its PDF. 404 before it is generated. Scope `read`.",
)
def hearing_acta(request: HttpRequest, hearing_id: int):
    context = require_scope(request, Scope.READ)
    hearing, acta = acta_for_key(context, hearing_id)
    return {
        "id": acta.pk,
        "hearing_id": hearing.pk,
        "sha256": acta.sha256,
        "generated_at": acta.generated_at,
        "pdf_url": request.build_absolute_uri(reverse("company_api:hearing_acta_pdf", args=[hearing.pk])),
    }


@router.get(
    "/{int:hearing_id}/acta.pdf",
    response={200: None, **error_responses()},
    url_name="hearing_acta_pdf",
    operation_id="hearing_acta_pdf",
    summary="Download a hearing's acta (PDF)",
    description="The PDF the parties confirm, byte for byte (its SHA-256 is the acta's `sha256`). 404 before "
    "it is generated. Scope `read`.",
    openapi_extra={
        "responses": {
            200: {
                "description": "The acta",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def hearing_acta_pdf(request: HttpRequest, hearing_id: int):
    context = require_scope(request, Scope.READ)
    hearing, acta = acta_for_key(context, hearing_id)
    number = hearing.complaint.number or hearing.complaint_id
    # Named as the page names it (hearings/views/outcome.py `acta_download`).
    return stored_file_response(acta.file, filename=f"acta-{number}-{hearing.pk}.pdf", content_type="application/pdf")
