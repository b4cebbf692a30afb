"""Reads on cases. Every view, export and download starts from `complaints_visible_to`."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import CharField, Exists, F, Func, Lookup, OuterRef, Prefetch, Q, QuerySet, TextField, Value
from django.db.models.functions import Cast, Concat
from django.db.models.lookups import IContains
from django.http import Http404

from complaints.models import (
    CaseCompany,
    CaseEvent,
    CaseNumberSequence,
    Complaint,
    ConsumerRepresentative,
    Evidence,
)
from complaints.states import OFFICE_ROLES, VISIBLE_TO_COMPANY_STATES, State
from parties.models import Company, PowerStatus, Role, User

# A case number with its sequence as people say it, zeros left out: DC-2026-123, or 2026-123.
CASE_NUMBER = re.compile(r"^(?:DC-)?(\d{4})-([1-9]\d{0,5})$", re.IGNORECASE)
# The start of a case number as it is printed: DC-2026, DC-2026-0001, DC-2026-000123.
CASE_NUMBER_START = re.compile(r"^DC-[\d-]*$", re.IGNORECASE)
# What people put between the digits of a DNI (25.111.222) or a CUIT (30-71234567-1).
SEPARATORS = re.compile(r"[\s.\-/]")
# How many cases a representative's companies may be named in after the lead before they are
# matched through a subquery rather than a list of values (`_served_companies_cases`).
SERVED_NOT_LEAD_AS_VALUES = 2000


def complaints_visible_to(user: User) -> QuerySet[Complaint]:
    """consumer: their own, and those they represent a consumer in with a validated power ·
    representative: each case one of their companies was served in (one person may be all of
    these, and sees all) · conciliator: cases with a hearing assigned to them · officer and
    supervisor: all but others' drafts · others: none."""
    if not user.is_authenticated:
        return Complaint.objects.none()
    if user.may_act_as_consumer:
        represented = ConsumerRepresentative.objects.filter(
            user=user, revoked_at__isnull=True, power_status=PowerStatus.VALIDATED
        ).order_by()
        scope = Q(consumer=user) | _pk_in(represented.values("complaint_id"))
        if user.is_representative:
            scope |= _served_companies_cases(_represented_company_ids(user))
        return Complaint.objects.filter(scope)
    if user.role == Role.CONCILIATOR:
        # The hearings floor adds `Hearing.complaint` (related_name "hearings"); the lookup is by name.
        if "hearings" in {rel.name for rel in Complaint._meta.related_objects}:
            # A hearing that was called off ("cancelled") no longer opens the case file. Both
            # conditions in one filter() so that they speak of the same hearing.
            live = ["scheduled", "held", "adjourned"]
            return Complaint.objects.filter(hearings__conciliator=user, hearings__status__in=live).distinct()
        return Complaint.objects.none()
    if user.role in OFFICE_ROLES or user.role == Role.DIRECTOR:  # the director homologates any case
        return Complaint.objects.filter(~Q(status=State.DRAFT) | Q(filed_by=user))
    return Complaint.objects.none()


def _served_companies_cases(company_ids: list[int]) -> Q:
    """The cases in which one of these companies was served.

    - As the lead, through the case row and its state (the index on company and status: a company
      may lead 100,000 cases); a lead served while the others still await service (the case is
      still "admitted") through its part, checked only on those few admitted cases.
    - In second place or later, through its part (partial index `casecompany_served_not_lead`).
      Those ids are read first: a few thousand at most go to the database as a list of values,
      which it hashes and can read through the primary key; beyond that (a company named second
      in tens of thousands of cases) as a subquery, which it hashes once (bench/RESULTS.md)."""
    # The EXISTS last: PostgreSQL evaluates a branch's conditions in the order written.
    lead = Q(company_id__in=company_ids, status__in=VISIBLE_TO_COMPANY_STATES) | (
        Q(company_id__in=company_ids, status=State.ADMITTED)
        & Q(Exists(CaseCompany.objects.filter(complaint_id=OuterRef("pk"), position=1, notified_at__isnull=False)))
    )
    others = CaseCompany.objects.filter(
        company_id__in=company_ids, position__gt=1, notified_at__isnull=False
    ).values_list("complaint_id", flat=True)
    return lead | _pk_among(others)


# The lead company sees its case in these states (and while it is still "admitted" once the lead's own
# part was served, the others awaiting service); a company named after the lead, once its part was served.
LEAD_VISIBLE_STATES = frozenset({*VISIBLE_TO_COMPANY_STATES, State.ADMITTED})


def parts_seen_by_their_company() -> Q:
    """The company parts (CaseCompany) whose company sees the case: `_served_companies_cases`'s rule,
    read from the part. Whatever tells a company about a case (the API, webhooks) asks this, so a
    company is never told of a case its representatives get a 404 for."""
    return Q(notified_at__isnull=False) & (Q(position__gt=1) | Q(complaint__status__in=LEAD_VISIBLE_STATES))


def _represented_company_ids(user: User) -> list[int]:
    # The companies first, as values: a join through representations hides from the planner
    # that one company may have tens of thousands of cases (bench/RESULTS.md). Read once per
    # request (User.represented_company_ids).
    return list(user.represented_company_ids)


def complaint_for(user: User, pk: int) -> Complaint:
    """The case if the user may see it; a 404 that says nothing otherwise."""
    case = complaints_visible_to(user).select_related("company", "consumer", "filed_by").filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


def own_complaint(user: User, pk: int) -> Complaint | None:
    """The case if the user is its consumer and acts as one: `complaints_visible_to`'s first reach
    (Q(consumer=user) for whoever may act as a consumer), recognised on the row itself, so the pages
    a consumer edits their own case on ask nothing else (not whether they also speak for a company).
    None for any other case: ask `complaint_for`, which knows every other reach."""
    if not (user.is_authenticated and user.may_act_as_consumer):
        return None
    try:
        return Complaint.objects.select_related("company", "consumer", "filed_by").get(pk=pk, consumer=user)
    except Complaint.DoesNotExist:
        return None


def evidence_for(user: User, pk: int) -> Evidence:
    evidence = Evidence.objects.filter(pk=pk, complaint__in=complaints_visible_to(user)).first()
    if evidence is None:
        raise Http404
    return evidence


def case_events_intact(case: Complaint, events: Iterable[CaseEvent] | None = None) -> bool:
    """True when the case's record agrees with its keyed hash chain (complaints/integrity.py).

    `events`: every event of the case, as a page has already read them (with `case`): checked
    without reading them again; a break found that way is confirmed by reading both anew."""
    from complaints.integrity import verify_case, verify_read  # the rule lives there

    return not (verify_case(case) if events is None else verify_read(case, events))


# --- A list of cases ----------------------------------------------------------------------------

# What a list of cases shows of each (templates/complaints/case/list.html and the `case_rows` tag):
# its link, number, consumer, companies, product, state and dates. The other forty columns (the facts,
# the claim, the addresses, the chain's seal) were a third of the time a page spent building its rows.
CASE_LIST_COLUMNS = (
    "number",
    "status",
    "draft_step",
    "consumer_name",
    "company",
    "company_name",
    "product",
    "created_at",
    "submitted_at",
    "company__cuit",
    "company__legal_name",
)
# Every company of each case, lead first, with what the list shows of it: its name.
CASE_LIST_PARTS = Prefetch(
    "parts",
    queryset=CaseCompany.objects.select_related("company")
    .only("complaint", "position", "company", "name", "company__legal_name")
    .order_by("complaint_id", "position", "pk"),
)


def case_list_rows(cases: QuerySet[Complaint]) -> QuerySet[Complaint]:
    """`cases` as a list page reads them: the columns it shows, with their companies, every company
    of each case in one query whatever their number (`case.parts.all` in the list's templates)."""
    return cases.select_related("company").only(*CASE_LIST_COLUMNS).prefetch_related(CASE_LIST_PARTS)


# --- The timeline ------------------------------------------------------------------------------

# `services.offer_event_reason`: "ARS 1234.50 · 2026-03-01 · <terms>", without the "ARS" part if no amount.
OFFER_EVENT_REASON = re.compile(
    r"^(?:ARS (?P<amount>\d+\.\d{2}) · )?(?P<fulfil_by>\d{4}-\d{2}-\d{2}) · (?P<terms>.*)$", re.DOTALL
)
OFFER_EVENTS = ("offer_made", "accept_offer")


@dataclass(frozen=True)
class OfferTerms:
    amount: Decimal | None
    fulfil_by: date
    terms: str


def offer_terms_in(event: CaseEvent) -> OfferTerms | None:
    """The offer an offer event records, for the page to word in the reader's language; None for
    other events and for a reason in any other form, which is shown as it was written."""
    match = OFFER_EVENT_REASON.match(event.reason) if event.action in OFFER_EVENTS else None
    if match is None:
        return None
    try:
        fulfil_by = date.fromisoformat(match["fulfil_by"])
    except ValueError:
        return None
    amount = Decimal(match["amount"]) if match["amount"] else None
    return OfferTerms(amount=amount, fulfil_by=fulfil_by, terms=match["terms"])


# --- Search --------------------------------------------------------------------------------------


def complaint_search(cases: QuerySet[Complaint], text: str, *, user: User) -> QuerySet[Complaint]:
    """`cases` narrowed to what was typed, read the way it was meant, each reading on an index:

    - a case number: "DC-2026-123" or "2026-123" is that case; "DC-2026-00…" the cases it begins;
    - digits alone (dots, dashes and spaces ignored): 11 are a CUIT, 7 or 8 the consumer's DNI,
      up to 6 the sequence part of a case number in any year ("123" is DC-YYYY-000123);
    - anything else: the consumer's or the company's name, case-insensitive, and on PostgreSQL
      accent-insensitive too ("Gomez" finds "Gómez").

    A company representative cannot search by DNI, not even one who also files as a consumer: a
    company must not learn a consumer's DNI by probing the search box."""
    text = text.strip()
    if not text:
        return cases
    if number := CASE_NUMBER.match(text):
        year, sequence = number.groups()
        return cases.filter(number=f"DC-{year}-{int(sequence):06d}")
    if CASE_NUMBER_START.match(text):
        return cases.filter(number__startswith=text.upper())
    digits = SEPARATORS.sub("", text)
    # ASCII digits only: "²" or "①" pass str.isdigit() but not int().
    if not (digits.isascii() and digits.isdigit()):
        return cases.filter(_names_contain(text))
    if len(digits) == 11:
        # The registered company by its unique CUIT, read first and passed as a value: a subquery
        # hides from the planner that one company may have 100k cases (bench/RESULTS.md).
        # Submitting registers the company, so only drafts need `company_cuit` (partial index).
        # Any of the case's companies counts: the lead on `Complaint.company`, the others through
        # their parts (partial indexes of migration 0009: parts after the first, unregistered parts).
        # The drafts come as ids, so that every column the filter asks of a case is in
        # `complaint_recent` and the list, walked in its order, is read from that index alone.
        draft = Q(status=State.DRAFT) & (
            _pk_in(Complaint.objects.filter(status=State.DRAFT, company_cuit=digits).order_by().values("pk"))
            | _pk_in(CaseCompany.objects.filter(company__isnull=True, cuit=digits).order_by().values("complaint_id"))
        )
        registered = Company.objects.filter(cuit=digits).values_list("pk", flat=True).first()
        return cases.filter(cases_of_company(registered) | draft if registered is not None else draft)
    if len(digits) in (7, 8) and not user.is_representative:
        return cases.filter(consumer_dni=digits)
    if len(digits) <= 6:
        # One exact number per year that has cases, rather than a LIKE '%-000123' on every row.
        numbers = CaseNumberSequence.objects.annotate(
            number=Concat(Value("DC-"), Cast("year", CharField()), Value(f"-{int(digits):06d}"))
        ).values("number")
        return cases.filter(number__in=numbers)
    return cases.none()


class ImmutableUnaccent(Func):
    """PostgreSQL's `unaccent()` through the IMMUTABLE wrapper that migration 0002 creates and the
    trigram indexes on the names are built on."""

    function = "immutable_unaccent"
    output_field = TextField()


class EqualsAny(Lookup):
    """`column = ANY(ARRAY(SELECT …))`. PostgreSQL runs the subquery once and can then OR the result
    with other indexed conditions (a BitmapOr); `column IN (SELECT …)` inside an OR reads every row."""

    lookup_name = "equals_any"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)


def _contains(field: str, text: str) -> Q:
    if connection.vendor == "postgresql":
        return Q(IContains(ImmutableUnaccent(field), ImmutableUnaccent(Value(text))))
    return Q(**{f"{field}__icontains": text})


def _names_contain(text: str) -> Q:
    """The consumer's name, the legal or trade names of any of the case's companies, or a draft's
    unregistered company."""
    matching = Company.objects.filter(_contains("legal_name", text) | _contains("trade_names", text))
    companies = matching.order_by().values("pk")
    if connection.vendor == "postgresql":
        of_company = Q(EqualsAny(F("company"), ArraySubquery(companies)))
    else:
        of_company = Q(company__in=companies)
    # The companies after the first (registered, or a draft's unregistered one), each way on a
    # partial index of migration 0009.
    later = CaseCompany.objects.filter(position__gt=1)
    of_later_part = _pk_in(later.filter(of_company).order_by().values("complaint_id")) | _pk_in(
        later.filter(_contains("name", text), company__isnull=True).order_by().values("complaint_id")
    )
    return _contains("consumer_name", text) | of_company | _contains("company_name", text) | of_later_part


def cases_of_company(company_id: int) -> Q:
    """The cases that name the company, in any position: the lead through `Complaint.company` (the
    planner knows how many cases a company leads), the others through the parts after the first, a
    small partial index (migration 0009) read into an array before the cases are."""
    later = CaseCompany.objects.filter(company_id=company_id, position__gt=1).values_list("complaint_id", flat=True)
    return Q(company_id=company_id) | _pk_among(later)


def _pk_among(complaint_ids: QuerySet) -> Q:
    """The cases whose ids this (indexed) query gives, read first: up to SERVED_NOT_LEAD_AS_VALUES
    go to the database as values, which it hashes when it filters a scan and can also read through
    the primary key (a small company's few cases); more than that (a company named after the lead
    in tens of thousands of cases) as a subquery, which it hashes once. An array subquery (`_pk_in`)
    is compared element by element on every row the list's index scan reads: 1.6 s for the biggest
    company at a million cases (bench/RESULTS.md)."""
    few = list(complaint_ids.order_by()[: SERVED_NOT_LEAD_AS_VALUES + 1])
    if len(few) > SERVED_NOT_LEAD_AS_VALUES:
        return Q(pk__in=complaint_ids.order_by())
    if connection.vendor == "postgresql":
        return Q(AmongValues(F("pk"), few))
    return Q(pk__in=few)


class AmongValues(Lookup):
    """`column = ANY('{1,2,3}'::bigint[])`: a list of ids sent as one parameter. PostgreSQL reads
    `column IN (1, 2, 3)` as exactly this array of constants (same plan, same hashing); but Django
    compiles, and psycopg splits, one placeholder per value, each time a query is compiled: for the
    1,400 cases a company is named in after the lead, 5 to 10 ms of Python for the count and again
    for the page (bench/RESULTS.md, session 9)."""

    lookup_name = "among_values"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        array_type = self.lhs.output_field.cast_db_type(connection)
        values = "{" + ",".join(str(int(value)) for value in self.rhs) + "}"
        return f"{lhs} = ANY(%s::{array_type}[])", (*lhs_params, values)


def _pk_in(complaint_ids: QuerySet) -> Q:
    """`id = ANY(ARRAY(SELECT …))` on PostgreSQL (see EqualsAny), a plain IN elsewhere."""
    if connection.vendor == "postgresql":
        return Q(EqualsAny(F("pk"), ArraySubquery(complaint_ids)))
    return Q(pk__in=complaint_ids)
