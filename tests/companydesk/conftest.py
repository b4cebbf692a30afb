"""The company's desk: the company's admin (`representative`), a representative who is not an admin
(`clerk`), and a representative of another company (`rival`), who must get a 404 for our company."""

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.models import CaseCompany, Complaint
from oversight.models import Clock, Kind
from parties.models import Company, Representation, Role, User
from tests.complaints.factories import draft_case
from tests.conftest import make_user


@pytest.fixture
def clerk(unvalidated_representative) -> User:
    """A representative of the company who is not one of its administrators."""
    return unvalidated_representative


@pytest.fixture
def rival(other_company) -> User:
    """The admin of another company, served with cases of its own."""
    other_company.electronic_domicile = "legales@conectar.test"
    other_company.save(update_fields=["electronic_domicile"])
    user = make_user("rosa@conectar.test", Role.REPRESENTATIVE, first_name="Rosa", last_name="Paz")
    Representation.objects.create(user=user, company=other_company, is_admin=True)
    return user


def served(consumer: User, officer: User, *companies: Company, **fields: Any) -> Complaint:
    """A case against these companies (the first the lead), submitted and admitted: each company
    with an electronic domicile is served at once."""
    draft = draft_case(consumer, companies[0], **fields)
    for position, company in enumerate(companies[1:], start=2):
        services.case_parts.name_company(draft, company=company, position=position)
    case = services.complaint_submit(complaint=draft, by=consumer)
    return services.complaint_admit(complaint=case, by=officer)


def part_of(case: Complaint, company: Company) -> CaseCompany:
    return CaseCompany.objects.get(complaint=case, company=company)


def answer_due_in(case: Complaint, company: Company, delta: timedelta) -> Clock:
    """The company's open answer clock on its part of the case, now due `delta` from now."""
    clock = Clock.objects.get(
        complaint=case, kind=Kind.COMPANY_ANSWER, subject_id=part_of(case, company).pk, closed_at__isnull=True
    )
    Clock.objects.filter(pk=clock.pk).update(due_at=timezone.now() + delta)
    clock.refresh_from_db()
    return clock


def desk_url(company: Company, name: str = "companydesk_cases") -> str:
    return reverse(name, args=[company.pk])


def listed(response) -> list[int]:
    """The case ids of the desk's rows, in their order."""
    assert response.status_code == 200, response.status_code
    return [row.part.complaint_id for row in response.context["page_obj"]]
