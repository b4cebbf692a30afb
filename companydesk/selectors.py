"""Reads of the company's desk: the company a representative opens it for, its served cases (each its
part in a case, joined to the case), the company's deadlines on each, and which are at risk.

Every page, bulk action and export of the desk starts from `desk_parts(company)`:

- a part of this company that was served (`notified_at` set), newest case first, read from the
  partial index `casecompany_served` (company, -complaint WHERE notified_at IS NOT NULL);
- the same cases `complaints.selectors.complaints_visible_to` gives the company's representatives
  (its `_served_companies_cases`): a part after the lead once served, the lead once served while the
  case is in a state the company sees (tests/companydesk/test_desk_list.py proves they agree).

The company's deadlines are oversight's clocks (oversight/rules.py): the open waits whose `who_acts`
is the company, each about the company's part (`subject_id`). "At risk" is reporting's and the
digest's rule, oversight's `at_risk_horizon`: an open wait of the company overdue or due by then
(reporting/views/company.py `cases_at_risk`)."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.http import Http404

from complaints import policy
from complaints.models import CaseCompany
from complaints.selectors import parts_seen_by_their_company
from oversight.models import Clock, Kind, WhoActs
from parties.models import Company, Representation, User


def desk_representation(user: User, company_pk: int) -> Representation:
    """The user's active representation of the company whose desk this is (with the company); a 404
    that says nothing for anyone else, as for a company that does not exist."""
    representation = (
        Representation.objects.active().select_related("company").filter(user_id=user.pk, company_id=company_pk).first()
    )
    if representation is None:
        raise Http404
    return representation


def company_people(company: Company) -> list[User]:
    """Everyone who ever represented the company — an active representative, one whose representation
    was revoked, one whose account was deactivated — each with `assignable` (the policy's
    `assignable_representatives`: whom cases may be given to now). The admin's "assigned to" filter
    offers them all, so the cases of someone who left can be found and handed over. One query."""
    return list(
        User.objects.filter(representations__company_id=company.pk)
        .annotate(assignable=Exists(policy.assignable_representatives(company).filter(pk=OuterRef("pk"))))
        .distinct()
        .order_by("first_name", "last_name", "email")
    )


def desk_parts(company: Company) -> QuerySet[CaseCompany]:
    """The company's served parts its representatives see (the case pages' and the API's rule,
    `parts_seen_by_their_company`), each with its case, newest case first."""
    return CaseCompany.objects.filter(parts_seen_by_their_company(), company=company).order_by("-complaint_id")


def company_waits() -> QuerySet[Clock]:
    """The open waits on the company about the outer part (a subquery's rows)."""
    return Clock.objects.filter(
        closed_at__isnull=True,
        who_acts=WhoActs.COMPANY,
        complaint_id=OuterRef("complaint_id"),
        subject_id=OuterRef("pk"),
    )


# How many open clocks due soon (every company's) are read as a list of values before the company's
# parts are narrowed to theirs; past that, a subquery (see `at_risk`).
AT_RISK_AS_VALUES = 5000


def at_risk(parts: QuerySet[CaseCompany], *, horizon: datetime) -> QuerySet[CaseCompany]:
    """The parts with an open wait on the company overdue or due by `horizon`.

    The open clocks due by then are read first, on the partial index `clock_open_due` (a few thousand
    at national volume), and go to the database as a list of part ids, fetched by primary key. As a
    subquery the planner cannot tell that few open clocks fall due soon (it multiplies "open" by "due
    by then", the closed ones being in the past too) and walks all of a company's 95,000 parts instead
    (100+ ms there, a few ms this way). The EXISTS pins each wait to its part's own case."""
    due = Clock.objects.filter(closed_at__isnull=True, who_acts=WhoActs.COMPANY, due_at__lte=horizon).order_by()
    ids = list(due.values_list("subject_id", flat=True)[: AT_RISK_AS_VALUES + 1])
    pinned = parts.filter(Exists(company_waits().filter(due_at__lte=horizon)))
    if len(ids) > AT_RISK_AS_VALUES:  # a national backlog of overdue waits: let the database join them
        return pinned.filter(pk__in=due.values("subject_id"))
    return pinned.filter(pk__in=ids)


def deadlines(parts: QuerySet[CaseCompany]) -> QuerySet[CaseCompany]:
    """Each part with the company's deadlines, in the same query as the rows (subqueries per row):

    - `current_due` / `current_kind`: the company's open wait due first (what it must do next);
    - `answer_due` / `answer_closed_at`: its answer's clock (the open one, else the last one)."""
    current = company_waits().order_by("due_at", "id")
    answer = Clock.objects.filter(
        kind=Kind.COMPANY_ANSWER, complaint_id=OuterRef("complaint_id"), subject_id=OuterRef("pk")
    ).order_by(F("closed_at").desc(nulls_first=True), "-started_at", "-id")
    return parts.annotate(
        current_due=Subquery(current.values("due_at")[:1]),
        current_kind=Subquery(current.values("kind")[:1]),
        answer_due=Subquery(answer.values("due_at")[:1]),
        answer_closed_at=Subquery(answer.values("closed_at")[:1]),
    )


def with_deadlines(parts: QuerySet[CaseCompany]) -> QuerySet[CaseCompany]:
    """The page's rows: each part with its case, assignee (`assignee_current`: still one the company's
    cases may be given to, else the row says they no longer represent it) and the company's
    deadlines, one query."""
    current = policy.assignable_representatives(OuterRef("company_id")).filter(pk=OuterRef("assignee_id"))
    return deadlines(parts.select_related("complaint", "assignee")).annotate(assignee_current=Exists(current))


@dataclass(frozen=True)
class DeskRow:
    """One row of the desk: the part, its case, and the company's deadlines (exports.lines reads the
    same from values, for speed)."""

    part: CaseCompany
    current_due: datetime | None
    current_kind: str
    answer_due: datetime | None
    answer_closed_at: datetime | None
    now: datetime
    horizon: datetime
    # The assignee may still be given the company's cases (False: they no longer represent it).
    assignee_current: bool = True

    @property
    def case(self):
        return self.part.complaint

    @property
    def current_label(self) -> str:
        return str(Kind(self.current_kind).label) if self.current_kind else ""

    @property
    def overdue(self) -> bool:
        return self.current_due is not None and self.current_due < self.now

    @property
    def at_risk(self) -> bool:
        """Reporting's rule (see the module's docstring): an open wait due by the horizon, overdue too."""
        return self.current_due is not None and self.current_due <= self.horizon

    @property
    def answered(self) -> bool:
        return self.answer_due is not None and self.answer_closed_at is not None


def desk_rows(parts, *, now: datetime, horizon: datetime) -> list[DeskRow]:
    """Rows of a queryset (or page) built by `with_deadlines`."""
    return [
        DeskRow(
            part=part,
            current_due=part.current_due,
            current_kind=part.current_kind or "",
            answer_due=part.answer_due,
            answer_closed_at=part.answer_closed_at,
            now=now,
            horizon=horizon,
            assignee_current=part.assignee_id is None or bool(part.assignee_current),
        )
        for part in parts
    ]
