"""The shapes the company API answers with (shared by its routers). Labels follow the caller's
language (Accept-Language); codes never change. Times are ISO 8601 in the office's time with their
offset; amounts are decimal strings in pesos (ARS)."""

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.utils import timezone
from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, PlainSerializer

# A moment, written in the office's time with its offset (e.g. 2026-03-19T23:59:59-03:00): a deadline's
# day is the office's day.
Moment = Annotated[datetime, PlainSerializer(timezone.localtime, return_type=datetime)]

ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_day(value: Any) -> Any:
    """Only YYYY-MM-DD: pydantic alone would read "0" or "1700000000" as a day since 1970."""
    if isinstance(value, str) and not ISO_DAY.match(value):
        raise ValueError("a day is written YYYY-MM-DD")
    if isinstance(value, (int, float)):
        raise ValueError("a day is written YYYY-MM-DD")
    return value


# The days a query or a body may name: a filter computes the next day's start (9999-12-31 has none),
# and no case of the office is dated before 1900.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9998, 12, 31)


def _within_range(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"a day from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}")
    return value


# A day in a query or a body, written YYYY-MM-DD, from 1900-01-01 to 9998-12-31.
Day = Annotated[date, BeforeValidator(_iso_day), AfterValidator(_within_range)]


class Coded(Schema):
    code: str = Field(..., description="A stable code")
    label: str = Field(..., description="Its name, in the caller's language")


class PersonRef(Schema):
    id: int
    name: str


class Deadline(Schema):
    kind: Coded = Field(..., description="What the company must do, e.g. `company_answer`")
    due_at: Moment = Field(..., description="When it is due (business days of the office's calendar)")


class PartOut(Schema):
    """The key's company's part in the case (a case may name several companies)."""

    id: int
    position: int = Field(..., description="1 for the company the case is titled by")
    status: Coded = Field(..., description="Its part's status: named, served, agreement, no_agreement…")
    notified_at: Moment | None = Field(..., description="When the company was proven served")
    assignee: PersonRef | None = Field(..., description="The representative in charge of the case, if any")
    acknowledged_at: Moment | None = Field(..., description="When the company acknowledged receiving it")


class ClaimOut(Schema):
    type: Coded | None = Field(..., description="What the consumer asks for (refund, replacement…)")
    amount: Decimal | None = Field(..., description="The amount claimed (ARS), if any")


class CaseItem(Schema):
    id: int
    number: str | None = Field(..., description="The case number, e.g. DC-2026-000123")
    state: Coded
    created_at: Moment
    consumer_name: str = Field(..., description="The consumer's name, as the case file shows it to the company")
    company_name: str = Field(..., description="The company the case is titled by")
    product: str = Field(..., description="What was bought or hired")
    claim: ClaimOut
    part: PartOut
    deadline: Deadline | None = Field(..., description="The company's open deadline in the case, if it owes a move")
    url: str = Field(..., description="This case in the API")


class CasePage(Schema):
    items: list[CaseItem]
    next_cursor: str | None = Field(..., description="Pass it as `cursor` for the next page; null on the last one")


class CompanyInCase(Schema):
    id: int = Field(..., description="The part's id")
    position: int
    name: str
    cuit: str
    role: Coded | None = Field(..., description="Its part in the purchase (seller, manufacturer…)")
    status: Coded
    service_method: Coded | None
    notified_at: Moment | None
    closed_at: Moment | None
    is_yours: bool = Field(..., description="True for the key's company")


class EventOut(Schema):
    id: int
    action: Coded = Field(..., description="What happened, e.g. `offer_made`")
    at: Moment
    from_state: str = Field(..., description="The case's state before, or empty")
    to_state: str = Field(..., description="The case's state after, or empty")
    actor: str | None = Field(..., description="Who did it (name and role), or null for an automatic move")
    reason: str = Field(..., description="What the record says, as the case file shows it to the company")


class AnswerItem(Schema):
    id: int
    part_id: int | None
    text: str
    author: str
    created_at: Moment


class OfferItem(Schema):
    id: int
    part_id: int | None
    status: Coded
    amount: Decimal | None
    terms: str
    fulfil_by: date
    instalments: list[dict] = Field(..., description='[{"due": "YYYY-MM-DD", "amount": "123.45"}, …]')
    created_at: Moment
    answered_at: Moment | None
    counter_amount: Decimal | None = Field(..., description="The consumer's counter-offer, if countered")
    counter_terms: str


class EvidenceItem(Schema):
    id: int
    name: str
    description: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: Moment
    download_url: str


class CaseDetail(CaseItem):
    facts: str
    claim_detail: str
    purchase_date: date | None
    amount_paid: Decimal | None
    consumer_province: Coded | None
    companies: list[CompanyInCase]
    evidence: list[EvidenceItem]
    answers: list[AnswerItem]
    offers: list[OfferItem]
    timeline: list[EventOut] = Field(..., description="The case's record, oldest first")


class ActaRef(Schema):
    id: int
    sha256: str = Field(..., description="The SHA-256 of the acta's PDF (what a confirmation binds to)")


class HearingItem(Schema):
    id: int
    case_id: int
    case_number: str | None
    starts_at: Moment
    ends_at: Moment
    status: Coded
    outcome: Coded | None
    conciliator: str
    ics_url: str
    acta: ActaRef | None = Field(
        ..., description="The hearing's acta once it was generated (GET `/hearings/{id}/acta`); null before"
    )


class ActaOut(Schema):
    """A hearing's acta: the PDF the parties confirm, and the SHA-256 a confirmation sends back."""

    id: int
    hearing_id: int
    sha256: str = Field(
        ..., description="The SHA-256 of the PDF; send it to `POST /hearings/{id}/acta/confirm` to confirm it"
    )
    generated_at: Moment
    pdf_url: str = Field(..., description="The PDF in the API (`GET /hearings/{id}/acta.pdf`)")


class HearingPage(Schema):
    items: list[HearingItem]
    next_cursor: str | None
