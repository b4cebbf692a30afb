"""The hearings of the company's cases (GET, scope `read`): the list in calendar order with keyset
pages, and each hearing's invitation as an .ics file (the same file the parties are sent)."""

from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from hearings import ics
from hearings.models import Hearing

from ..auth import KeyContext, require_scope
from ..cursors import cursor_for, invalid_cursor, position_of
from ..errors import error_responses
from ..models import Scope
from ..schemas import Day, HearingPage
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
    return rows.order_by("starts_at", "pk")


def _hearing(request: HttpRequest, hearing: Hearing) -> dict:
    outcome = hearing.outcome
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
    # One query: the hearings with their case and conciliator (hearings_visible_to's select_related).
    rows = list(hearing_rows(context, filters)[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    last = rows[-1] if rows else None
    return {
        "items": [_hearing(request, hearing) for hearing in rows],
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
