"""The company's cases (GET, scope `read`): the list with its filters and keyset pages, one case with
its record, and an evidence file's download. Everything is read through api/selectors.py: another
company's case or file is a 404, the same as a missing one."""

import re
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema

from complaints import actions
from complaints.models import (
    CaseCompany,
    CaseEvent,
    ClaimType,
    CompanyAnswer,
    CompanyRole,
    Complaint,
    Evidence,
    Offer,
    OfferStatus,
    PartStatus,
    ServiceMethod,
)
from complaints.selectors import CASE_NUMBER, CASE_NUMBER_START
from complaints.states import State
from oversight.models import Clock, Kind, WhoActs
from parties.models import Province, User
from parties.paginator import rows_among

from ..auth import KeyContext, require_scope
from ..cursors import cursor_for, position_of
from ..downloads import stored_file_response
from ..errors import VALIDATION_ERROR, ApiError, error_responses
from ..models import Scope
from ..schemas import CaseDetail, CasePage, Day
from ..selectors import case_for_key, evidence_for_key, served_parts_for_key

router = Router(tags=["Cases"])
evidence_router = Router(tags=["Cases"])

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
CURSOR_LIST = "cases"
ASSIGNEE = re.compile(r"^(me|none|[1-9]\d{0,18})$")
# complaints.selectors.CASE_NUMBER and CASE_NUMBER_START, in a form the OpenAPI document can carry.
CASE_NUMBER_QUERY = r"^(?:[Dd][Cc]-)?\d{4}-[1-9]\d{0,5}$|^[Dd][Cc]-[\d-]*$"
# What the files can be (complaints/uploads.py sniffs every upload to one of these).
EVIDENCE_TYPES = ("application/pdf", "image/jpeg", "image/png", "image/heic")


class CaseFilters(Schema):
    state: list[State] = Field(default_factory=list, description="The case's state (repeat for several)")
    part_status: list[PartStatus] = Field(default_factory=list, description="Your part's status (repeatable)")
    received_from: Day | None = Field(None, description="Served on your company on or after this day")
    received_to: Day | None = Field(None, description="Served on your company on or before this day")
    deadline_before: Day | None = Field(
        None, description="Only cases where your company owes a move due before the end of this day"
    )
    assignee: str | None = Field(
        None, pattern=ASSIGNEE.pattern, description="A representative's user id, `me` (the key's creator) or `none`"
    )
    q: str | None = Field(
        None,
        max_length=30,
        pattern=CASE_NUMBER_QUERY,
        description="A case number: DC-2026-000123, 2026-123, or its start (DC-2026-00)",
    )
    cursor: str | None = Field(None, max_length=500, description="The `next_cursor` of the previous page")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page (at most 100)")


# --- Reading ---------------------------------------------------------------------------------------


def _company_deadline(field: str) -> Subquery:
    """The part's soonest open wait on the company (oversight: who_acts=company, about this part)."""
    clocks = Clock.objects.filter(
        complaint_id=OuterRef("complaint_id"), subject_id=OuterRef("pk"), who_acts=WhoActs.COMPANY, closed_at=None
    ).order_by("due_at", "pk")
    return Subquery(clocks.values(field)[:1])


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _number_filter(text: str) -> Q:
    text = text.strip()
    if number := CASE_NUMBER.match(text):
        year, sequence = number.groups()
        return Q(complaint__number=f"DC-{year}-{int(sequence):06d}")
    if CASE_NUMBER_START.match(text):
        return Q(complaint__number__startswith=text.upper())
    raise ApiError(
        400,
        VALIDATION_ERROR,
        gettext("q must be a case number, like DC-2026-000123 or 2026-123, or its start, like DC-2026-00."),
        errors=[{"field": "query.q", "message": gettext("Not a case number.")}],
    )


def _assignee_filter(value: str, context: KeyContext) -> Q:
    if value == "me":
        return Q(assignee_id=context.user.pk)
    if value == "none":
        return Q(assignee__isnull=True)
    return Q(assignee_id=int(value))


def case_rows(context: KeyContext, filters: CaseFilters) -> QuerySet[CaseCompany]:
    """The page's rows (the company's served parts with their case, assignee and deadline), newest
    case first, keyset from the cursor, in one query that reads the page's keys first
    (`parties.paginator.rows_among`) and then only the page's rows whole. The parts' side of the
    keys comes from `casecompany_served` alone (it carries the position and the id); a state joins
    `complaint_status_newest`, so that side is an index too; without one, each case's state (the
    lead sees its case only in some) is read by its key. The part's status, dates and assignee read
    the parts, the number the cases, the deadline the clocks. Read whole while walking, a state that
    only older cases are in (breached) made the planner walk every company's parts."""
    rows = case_keys(context, filters)
    return rows_among(
        rows.select_related("complaint__company", "assignee").annotate(
            deadline_kind=_company_deadline("kind"), deadline_due_at=_company_deadline("due_at")
        ),
        rows.values("pk")[: filters.limit + 1],
    )


def case_keys(context: KeyContext, filters: CaseFilters) -> QuerySet[CaseCompany]:
    """The parts the filters leave, newest case first."""
    rows = served_parts_for_key(context)
    before = position_of(CURSOR_LIST, filters.cursor, int)
    if before is not None:
        rows = rows.filter(complaint_id__lt=before)
    if filters.state:
        rows = rows.filter(complaint__status__in=[str(state) for state in filters.state])
    if filters.part_status:
        rows = rows.filter(status__in=[str(status) for status in filters.part_status])
    if filters.received_from is not None:
        rows = rows.filter(notified_at__gte=_start_of(filters.received_from))
    if filters.received_to is not None:
        rows = rows.filter(notified_at__lt=_start_of(filters.received_to + timedelta(days=1)))
    if filters.deadline_before is not None:
        due = Clock.objects.filter(
            complaint_id=OuterRef("complaint_id"),
            subject_id=OuterRef("pk"),
            who_acts=WhoActs.COMPANY,
            closed_at=None,
            due_at__lt=_start_of(filters.deadline_before + timedelta(days=1)),
        )
        rows = rows.filter(Exists(due))
    if filters.assignee:
        rows = rows.filter(_assignee_filter(filters.assignee, context))
    if filters.q:
        rows = rows.filter(_number_filter(filters.q))
    return rows.order_by("-complaint_id")


# --- Building the answers --------------------------------------------------------------------------


def _coded(code: str, label: object) -> dict:
    return {"code": code, "label": str(label)}


def _choice(choices: type, code: str) -> dict | None:
    if not code:
        return None
    try:
        return _coded(code, choices(code).label)
    except ValueError:
        return _coded(code, code)


def _person(user: User | None) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.get_role_display()}


def _deadline(kind: str | None, due_at: datetime | None) -> dict | None:
    if not kind or due_at is None:
        return None
    return {"kind": _choice(Kind, kind), "due_at": due_at}


def _item(request: HttpRequest, part: CaseCompany) -> dict:
    case = part.complaint
    return {
        "id": case.pk,
        "number": case.number,
        "state": _choice(State, case.status),
        "created_at": case.created_at,
        "consumer_name": case.consumer_name,
        "company_name": case.company_display_name,
        "product": case.product,
        "claim": {"type": _choice(ClaimType, case.claim_type), "amount": case.claim_amount},
        "part": {
            "id": part.pk,
            "position": part.position,
            "status": _choice(PartStatus, part.status),
            "notified_at": part.notified_at,
            "assignee": _person(part.assignee),
            "acknowledged_at": part.acknowledged_at,
        },
        "deadline": _deadline(getattr(part, "deadline_kind", None), getattr(part, "deadline_due_at", None)),
        "url": request.build_absolute_uri(reverse("company_api:case", args=[case.pk])),
    }


def _action_label(code: str) -> str:
    if actions.is_declared(code):
        return str(actions.get(code).label)
    return code.replace("_", " ").capitalize()


def _actor(event: CaseEvent) -> str | None:
    actor = event.actor
    if actor is None:
        return None
    # The name and role the timeline shows, never an e-mail in place of a missing name.
    name = actor.get_full_name()
    return f"{name} · {actor.get_role_display()}" if name else str(actor.get_role_display())


def _event(event: CaseEvent) -> dict:
    return {
        "id": event.pk,
        "action": _coded(event.action, _action_label(event.action)),
        "at": event.created_at,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "actor": _actor(event),
        # The page's rule: a reason the action keeps private is not the company's to read.
        "reason": actions.reason_for(event, company_side=True),
    }


def _evidence(request: HttpRequest, item: Evidence) -> dict:
    return {
        "id": item.pk,
        "name": item.original_name,
        "description": item.description,
        "content_type": item.content_type,
        "size": item.size,
        "sha256": item.sha256,
        "uploaded_at": item.uploaded_at,
        "download_url": request.build_absolute_uri(reverse("company_api:evidence_download", args=[item.pk])),
    }


def _offer(offer: Offer) -> dict:
    return {
        "id": offer.pk,
        "part_id": offer.part_id,
        "status": _choice(OfferStatus, offer.status),
        "amount": offer.amount,
        "terms": offer.terms,
        "fulfil_by": offer.fulfil_by,
        "instalments": [
            {"due": row["due"].isoformat(), "amount": f"{row['amount']:.2f}"} for row in offer.instalment_rows()
        ],
        "created_at": offer.created_at,
        "answered_at": offer.answered_at,
        "counter_amount": offer.counter_amount,
        "counter_terms": offer.counter_terms,
    }


def _company_in_case(part: CaseCompany, context: KeyContext) -> dict:
    return {
        "id": part.pk,
        "position": part.position,
        "name": part.display_name,
        "cuit": part.company.cuit if part.company else part.cuit,
        "role": _choice(CompanyRole, part.role),
        "status": _choice(PartStatus, part.status),
        "service_method": _choice(ServiceMethod, part.service_method),
        "notified_at": part.notified_at,
        "closed_at": part.closed_at,
        "is_yours": part.company_id == context.company.pk,
    }


def case_detail(request: HttpRequest, context: KeyContext, case: Complaint) -> dict:
    """What the case file shows the company's representative, in a fixed number of queries: the part
    (with its deadline), the companies, the evidence, the answers, the offers and the events."""
    part = (
        served_parts_for_key(context)
        .select_related("assignee")
        .annotate(deadline_kind=_company_deadline("kind"), deadline_due_at=_company_deadline("due_at"))
        .filter(complaint_id=case.pk)
        .first()
    )
    if part is None:
        raise Http404
    part.complaint = case
    detail = _item(request, part)
    answers = CompanyAnswer.objects.filter(complaint_id=case.pk).select_related("author").order_by("created_at", "pk")
    offers = Offer.objects.filter(complaint_id=case.pk).order_by("created_at", "pk")
    events = CaseEvent.objects.filter(complaint_id=case.pk).select_related("actor").order_by("created_at", "pk")
    detail.update(
        {
            "facts": case.facts,
            "claim_detail": case.claim_detail,
            "purchase_date": case.purchase_date,
            "amount_paid": case.amount_paid,
            "consumer_province": _choice(Province, case.consumer_province),
            "companies": [
                _company_in_case(item, context)
                for item in CaseCompany.objects.filter(complaint_id=case.pk).select_related("company")
            ],
            "evidence": [_evidence(request, item) for item in Evidence.objects.filter(complaint_id=case.pk)],
            "answers": [
                {
                    "id": answer.pk,
                    "part_id": answer.part_id,
                    "text": answer.text,
                    "author": answer.author.get_full_name() or str(answer.author.get_role_display()),
                    "created_at": answer.created_at,
                }
                for answer in answers
            ],
            "offers": [_offer(offer) for offer in offers],
            "timeline": [_event(event) for event in events],
        }
    )
    return detail


# --- Operations ------------------------------------------------------------------------------------


@router.get(
    "",
    response={200: CasePage, **error_responses()},
    url_name="cases",
    operation_id="list_cases",
    summary="The company's cases",
    description="The cases your company was served in, newest first, in pages of at most 100 "
    "(`next_cursor`). Filters add up. Scope `read`.",
)
def list_cases(request: HttpRequest, filters: Query[CaseFilters]):
    context = require_scope(request, Scope.READ)
    # One query: the parts, with their case, its lead company, the assignee and the deadline subqueries.
    rows = list(case_rows(context, filters))
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    return {
        "items": [_item(request, part) for part in rows],
        "next_cursor": cursor_for(CURSOR_LIST, rows[-1].complaint_id) if more else None,
    }


@router.get(
    "/{int:case_id}",
    response={200: CaseDetail, **error_responses()},
    url_name="case",
    operation_id="get_case",
    summary="A case with its record",
    description="The case as its file shows it to your company: the companies, the evidence (with "
    "download links), the written answers, the offers and the timeline. Scope `read`.",
)
def get_case(request: HttpRequest, case_id: int):
    context = require_scope(request, Scope.READ)
    return case_detail(request, context, case_for_key(context, case_id))


@evidence_router.get(
    "/{int:evidence_id}/download",
    response={200: None, **error_responses()},
    url_name="evidence_download",
    operation_id="download_evidence",
    summary="Download an evidence file",
    description="The file as it was uploaded, of the type sniffed at upload. Scope `read`.",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file",
                "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in EVIDENCE_TYPES},
            }
        }
    },
)
def download_evidence(request: HttpRequest, evidence_id: int):
    context = require_scope(request, Scope.READ)
    evidence = evidence_for_key(context, evidence_id)
    return stored_file_response(evidence.file, filename=evidence.original_name, content_type=evidence.content_type)
