"""A case against several companies (art. 40: seller, manufacturer, financier) counts for each of them:
search, the company filter, the lists (without a query per case or per company), the case file's
companies panel, the export and a representative's home."""

import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from complaints import services
from complaints.models import CaseCompany, CompanyRole, PartStatus, ServiceMethod
from complaints.services import parts as case_parts
from complaints.states import State
from parties.models import Company, Representation, Role
from tests.complaints.factories import draft_case
from tests.conftest import make_user


@pytest.fixture
def manufacturer(db) -> Company:
    return Company.objects.create(
        cuit="30699887760", legal_name="Fabrica Frio Polar S.A.", electronic_domicile="legales@friopolar.test"
    )


@pytest.fixture
def financier(db) -> Company:
    # No electronic domicile: its part waits to be served (on paper) while the others are served.
    return Company.objects.create(cuit="30655443321", legal_name="Financiera Cuotas Ya S.A.")


@pytest.fixture
def manufacturer_rep(manufacturer):
    user = make_user("ana@friopolar.test", Role.REPRESENTATIVE, first_name="Ana", last_name="Ruiz")
    Representation.objects.create(user=user, company=manufacturer, is_admin=True)
    return user


@pytest.fixture
def financier_rep(financier):
    user = make_user("raul@cuotasya.test", Role.REPRESENTATIVE, first_name="Raúl", last_name="Paz")
    Representation.objects.create(user=user, company=financier, is_admin=True)
    return user


def several(consumer, lead, *others, officer=None, **fields):
    """A case against `lead` and `others` (in that order); submitted, and admitted if `officer`."""
    case = draft_case(consumer, lead, **fields)
    roles = [CompanyRole.MANUFACTURER, CompanyRole.FINANCIER, CompanyRole.SERVICE]
    for company, role in zip(others, roles, strict=False):
        case_parts.name_company(case, company=company, role=role)
    case = services.complaint_submit(complaint=case, by=consumer)
    if officer is not None:
        case = services.complaint_admit(complaint=case, by=officer)
    return case


@pytest.fixture
def three(consumer, company, manufacturer, financier, officer):
    return several(consumer, company, manufacturer, financier, officer=officer)


def numbers_in(response) -> set[str]:
    return {case.number for case in response.context["page_obj"]}


# --- Search and the company filter ------------------------------------------------------------


def test_three_companies_are_served_each_on_its_own(three):
    parts = list(CaseCompany.objects.filter(complaint=three).order_by("position"))
    assert [part.status for part in parts] == [PartStatus.SERVED, PartStatus.SERVED, PartStatus.NAMED]
    assert three.status == State.ADMITTED  # the financier still awaits service


@pytest.mark.parametrize("typed", ["30-69988776-0", "30655443321", "Polar", "cuotas ya"])
def test_search_finds_the_case_by_any_of_its_companies(
    client_for, officer, consumer, company, other_company, three, typed
):
    unrelated = several(consumer, other_company)
    response = client_for(officer).get(reverse("complaint_list"), {"q": typed})
    assert numbers_in(response) == {three.number}
    assert unrelated.number not in response.content.decode()


def test_search_by_the_lead_still_finds_every_case_of_the_lead(client_for, officer, consumer, company, three):
    alone = several(consumer, company)
    response = client_for(officer).get(reverse("complaint_list"), {"q": company.cuit})
    assert numbers_in(response) == {three.number, alone.number}


def test_a_draft_finds_a_later_unregistered_company_by_cuit_and_name(client_for, consumer, company):
    case = draft_case(consumer, company)
    case_parts.name_company(case, cuit="30611122233", name="Tarjetas Lejanas S.R.L.")
    client = client_for(consumer)
    assert {c.pk for c in client.get(reverse("complaint_list"), {"q": "30611122233"}).context["page_obj"]} == {case.pk}
    assert {c.pk for c in client.get(reverse("complaint_list"), {"q": "lejanas"}).context["page_obj"]} == {case.pk}
    assert not list(client.get(reverse("complaint_list"), {"q": "30611122234"}).context["page_obj"])


def test_a_representative_filters_by_a_company_that_is_not_the_lead(
    client_for, consumer, company, manufacturer, officer, three, manufacturer_rep
):
    Representation.objects.create(user=manufacturer_rep, company=company)
    alone = several(consumer, company, officer=officer)
    client = client_for(manufacturer_rep)
    assert numbers_in(client.get(reverse("complaint_list"), {"company": manufacturer.pk})) == {three.number}
    assert numbers_in(client.get(reverse("complaint_list"), {"company": company.pk})) == {three.number, alone.number}
    assert numbers_in(client.get(reverse("complaint_list"))) == {three.number, alone.number}


# --- The lists --------------------------------------------------------------------------------


def test_the_lists_name_every_company_lead_first(client_for, officer, consumer, three):
    for user in (officer, consumer):
        page = client_for(user).get(reverse("complaint_list")).content.decode()
        lead = page.index("Electrodomésticos del Sur S.A.")
        assert lead < page.index("Fabrica Frio Polar S.A.") < page.index("Financiera Cuotas Ya S.A.")
        assert "+2 more" in page


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_list_queries_do_not_grow_with_cases_or_companies(
    client_for, officer, consumer, company, manufacturer, financier, other_company, manufacturer_rep
):
    url = reverse("complaint_list")
    several(consumer, manufacturer, officer=officer)
    office, own, company_side = client_for(officer), client_for(consumer), client_for(manufacturer_rep)
    one = (_queries(office, url), _queries(own, url), _queries(company_side, url))
    for _ in range(4):
        several(consumer, manufacturer, company, financier, officer=officer)
    several(consumer, other_company, manufacturer, company)  # submitted only: the office and consumer see it
    five = (_queries(office, url), _queries(own, url), _queries(company_side, url))
    assert len(client_for(officer).get(url).context["page_obj"]) == 6
    assert len(client_for(manufacturer_rep).get(url).context["page_obj"]) == 5
    assert five == one


# --- The case file ----------------------------------------------------------------------------


def test_a_representative_of_a_later_served_company_sees_the_companies_panel(
    client_for, three, financier, manufacturer_rep
):
    # The financier's deadline to set up its domicile, as a proven paper notice starts it.
    CaseCompany.objects.filter(complaint=three, company=financier).update(
        service_method=ServiceMethod.PAPER, domicile_due_at=timezone.now() + timedelta(days=14)
    )
    response = client_for(manufacturer_rep).get(reverse("complaint_detail", args=[three.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Companies in this case (3)" in page
    for name in ("Electrodomésticos del Sur S.A.", "Fabrica Frio Polar S.A.", "Financiera Cuotas Ya S.A."):
        assert name in page
    assert "Manufacturer or importer" in page and "Card issuer or financier" in page
    # The two served, each at its own electronic domicile, with when.
    assert page.count(f"{ServiceMethod.ELECTRONIC.label} · ") == 2
    assert "notification not yet proven" in page
    assert "Electronic domicile due" in page  # the financier's deadline
    assert "and 2 other companies" in page


def test_a_representative_of_a_company_not_yet_served_does_not_see_the_case(client_for, three, financier_rep):
    assert client_for(financier_rep).get(reverse("complaint_detail", args=[three.pk])).status_code == 404


def test_the_export_lists_every_company(client_for, officer, three):
    response = client_for(officer).get(reverse("complaint_export_pdf", args=[three.pk]))
    assert response.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.getvalue())).pages)
    text = " ".join(text.split())
    for name in ("Fabrica Frio Polar S.A.", "Financiera Cuotas Ya S.A.", "Company 3 (proveedor)"):
        assert name in text


# --- Home -------------------------------------------------------------------------------------


def test_a_representative_home_counts_the_served_parts_of_their_companies(
    client_for, consumer, company, manufacturer, financier, officer, three, manufacturer_rep, financier_rep
):
    Representation.objects.create(user=manufacturer_rep, company=company)
    response = client_for(manufacturer_rep).get(reverse("home"))
    assert [case.pk for case in response.context["company_cases"]] == [three.pk]
    assert response.context["open_parts_count"] == 2  # the case counts for each of their companies
    page = response.content.decode()
    assert "Fabrica Frio Polar S.A. (Served)" in page
    # The financier was not served: nothing on its representative's home.
    assert list(client_for(financier_rep).get(reverse("home")).context["company_cases"]) == []


def test_a_part_that_ended_leaves_the_representatives_home(client_for, three, manufacturer, manufacturer_rep):
    part = CaseCompany.objects.get(complaint=three, company=manufacturer)
    CaseCompany.objects.filter(pk=part.pk).update(status=PartStatus.REFERRED)
    assert list(client_for(manufacturer_rep).get(reverse("home")).context["company_cases"]) == []


def test_the_consumer_home_still_lists_agreements_to_confirm(client_for, consumer, three):
    response = client_for(consumer).get(reverse("home"))
    assert response.status_code == 200
    assert list(response.context["to_confirm_compliance"]) == []
