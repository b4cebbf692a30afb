"""Filing names several companies (art. 40 joint liability), where the purchase took place, warns of
prescription (LDC art. 50) and takes the consumer's own hipervulnerability declaration."""

import html
import io
from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from complaints import services
from complaints.models import CaseCompany, Complaint
from complaints.states import State
from parties.models import Company

UNREGISTERED_CUIT = "30711111111"
FABRICA = {
    "company": "other",
    "company_cuit": "30-71111111-1",
    "company_name": "Fábrica Austral S.A.",
    "role": "manufacturer",
    "address": "Ruta 3 km 1200",
    "province": "CH",
}
TIME_BARRED = "the office may find that your claim is time-barred"


def page(response) -> str:
    return html.unescape(response.content.decode()).replace("\xa0", " ")


def step_url(case: Complaint, step: int) -> str:
    return reverse("complaint_step", args=[case.pk, step])


@pytest.fixture
def consumer_client(consumer, client_for) -> Client:
    client = client_for(consumer)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def draft(consumer) -> Complaint:
    return services.complaint_start_draft(consumer=consumer)


def add(client: Client, case: Complaint, fields: dict, *, another: bool = True):
    return client.post(step_url(case, 2), {**fields, **({"action": "add"} if another else {})})


def named(case: Complaint) -> list[tuple[int, str, str, str]]:
    return [
        (part.position, part.cuit, part.role, part.province)
        for part in CaseCompany.objects.filter(complaint=case).order_by("position")
    ]


def purchase(client: Client, case: Complaint, **fields: str):
    values = {"product": "Celular", "purchase_date": timezone.localdate().isoformat(), "amount_paid": "300000"}
    return client.post(step_url(case, 3), {**values, **fields})


def test_a_draft_names_three_companies_one_unregistered_and_all_are_parts_once_submitted(
    draft, company, other_company, consumer, consumer_client, django_capture_on_commit_callbacks
):
    client = consumer_client
    assert add(client, draft, {"company": str(company.pk), "role": "seller"})["Location"] == step_url(draft, 2)
    assert add(client, draft, {"company": str(other_company.pk), "role": "financier", "province": "BA"}).status_code
    assert add(client, draft, FABRICA)["Location"] == step_url(draft, 2)
    assert named(draft) == [
        (1, company.cuit, "seller", ""),
        (2, other_company.cuit, "financier", "BA"),
        (3, UNREGISTERED_CUIT, "manufacturer", "CH"),
    ]
    listing = page(client.get(step_url(draft, 2)))
    assert "Electrodomésticos del Sur S.A." in listing and "Fábrica Austral S.A." in listing
    assert "CUIT 30-71111111-1 · Manufacturer or importer" in listing
    assert "Not registered in Concilia yet" in listing

    # The same CUIT twice is refused, whether chosen from the list or typed.
    again = add(client, draft, {"company": str(company.pk), "role": "other"})
    assert again.status_code == 200
    assert "That company is already in your complaint" in page(again)
    typed = add(client, draft, {**FABRICA, "company_name": "Otra"})
    assert "That company is already in your complaint" in page(typed)
    assert len(named(draft)) == 3

    # Remove the second: the others close ranks, the first stays the lead.
    part = CaseCompany.objects.get(complaint=draft, cuit=other_company.cuit)
    assert client.post(step_url(draft, 2), {"remove": str(part.pk)})["Location"] == step_url(draft, 2)
    assert named(draft) == [(1, company.cuit, "seller", ""), (2, UNREGISTERED_CUIT, "manufacturer", "CH")]
    draft.refresh_from_db()
    assert draft.company == company

    # Named again with "Save and continue": it is added and the wizard moves on.
    response = add(client, draft, {"company": str(other_company.pk), "role": "financier"}, another=False)
    assert response["Location"] == step_url(draft, 3)
    assert len(named(draft)) == 3
    # With companies named and nothing typed, "Save and continue" just moves on.
    assert client.post(step_url(draft, 2), {"role": ""})["Location"] == step_url(draft, 3)

    purchase(client, draft, purchase_province="CABA", purchase_city="Buenos Aires")
    client.post(step_url(draft, 4), {"facts": "No funciona y nadie responde.", "claim_type": "repair"})
    review = page(client.get(step_url(draft, 6)))
    assert "The companies" in review
    for name in ("Electrodomésticos del Sur S.A.", "Fábrica Austral S.A.", "Conectar Telecomunicaciones S.A."):
        assert name in review
    assert "Buenos Aires, Ciudad Autónoma de Buenos Aires" in review
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("complaint_submit", args=[draft.pk]), {"declaration": "on"})
    assert response["Location"] == reverse("complaint_receipt", args=[draft.pk])

    draft.refresh_from_db()
    assert draft.status == State.SUBMITTED
    parts = list(CaseCompany.objects.filter(complaint=draft).order_by("position"))
    assert [part.company_id is not None for part in parts] == [True, True, True]
    registered = Company.objects.get(cuit=UNREGISTERED_CUIT)
    assert (registered.legal_name, registered.legal_address, registered.created_by) == (
        "Fábrica Austral S.A.",
        "Ruta 3 km 1200",
        consumer,
    )
    assert parts[1].company == registered

    receipt = page(client.get(reverse("complaint_receipt", args=[draft.pk])))
    assert "CUIT 30-71234567-1 · Seller" in receipt
    assert "Fábrica Austral S.A. · CUIT 30-71111111-1 · Manufacturer or importer" in receipt
    assert "Conectar Telecomunicaciones S.A. · CUIT 30-70308853-4 · Card issuer or financier" in receipt
    assert "Where it was bought or hired" in receipt
    pdf = client.get(reverse("complaint_receipt_pdf", args=[draft.pk]))
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Fábrica Austral S.A." in text and "Conectar Telecomunicaciones S.A." in text


def test_an_unregistered_company_needs_its_address_and_province(draft, consumer_client):
    response = add(consumer_client, draft, {**FABRICA, "address": "", "province": ""})

    assert response.status_code == 200
    text = page(response)
    assert "Enter the company's address" in text and "Choose the company's province" in text
    assert named(draft) == []


def test_the_companys_part_in_the_purchase_is_required(draft, company, consumer_client):
    response = add(consumer_client, draft, {"company": str(company.pk)}, another=False)

    assert response.status_code == 200
    assert "Choose what the company's part in your purchase was" in page(response)
    assert named(draft) == []


def test_nothing_named_and_nothing_chosen_asks_for_a_company(draft, consumer_client):
    response = consumer_client.post(step_url(draft, 2), {})

    assert response.status_code == 200
    assert "Choose the company from the search results" in page(response)


def test_a_draft_names_at_most_the_configured_number_of_companies(
    settings, draft, company, other_company, consumer_client
):
    settings.MAX_COMPANIES_PER_COMPLAINT = 2
    add(consumer_client, draft, {"company": str(company.pk), "role": "seller"})
    add(consumer_client, draft, {"company": str(other_company.pk), "role": "financier"})

    response = add(consumer_client, draft, FABRICA, another=False)

    assert response.status_code == 200
    assert "A complaint can name at most 2 companies" in page(response)
    assert len(named(draft)) == 2
    listing = page(consumer_client.get(step_url(draft, 2)))
    assert "Your complaint names 2 companies, the most it can name" in listing
    assert 'name="company_cuit"' not in listing


def test_a_stranger_cannot_remove_a_company_from_someone_elses_draft(draft, company, stranger, client_for):
    services.case_parts.name_company(draft, company=company, role="seller")
    part = CaseCompany.objects.get(complaint=draft)

    response = client_for(stranger).post(step_url(draft, 2), {"remove": str(part.pk)})

    assert response.status_code == 404
    assert CaseCompany.objects.filter(pk=part.pk).exists()


# --- Where the purchase took place -------------------------------------------------------------------


def test_the_purchase_place_is_required_either_a_province_or_online(draft, consumer_client):
    response = purchase(consumer_client, draft, purchase_city="Rosario")

    assert response.status_code == 200
    assert "Choose the province where you bought or hired it, or tick that you did it online or by phone" in page(
        response
    )
    draft.refresh_from_db()
    assert draft.product == ""

    assert purchase(consumer_client, draft, purchase_province="SF", purchase_city="Rosario")["Location"] == step_url(
        draft, 4
    )
    draft.refresh_from_db()
    assert (draft.purchase_province, draft.purchase_city, draft.purchase_online) == ("SF", "Rosario", False)

    purchase(consumer_client, draft, purchase_online="on", purchase_province="SF", purchase_city="Rosario")
    draft.refresh_from_db()
    assert (draft.purchase_province, draft.purchase_city, draft.purchase_online) == ("", "", True)
    assert "Online or by phone" in page(consumer_client.get(step_url(draft, 6)))


# --- Prescription -----------------------------------------------------------------------------------


def test_a_purchase_four_years_old_is_warned_of_prescription_but_accepted(draft, consumer_client):
    old = timezone.localdate() - relativedelta(years=4)

    response = purchase(consumer_client, draft, purchase_date=old.isoformat(), purchase_online="on")
    assert response["Location"] == step_url(draft, 4)
    draft.refresh_from_db()
    assert draft.purchase_date == old  # a warning, not a refusal

    assert TIME_BARRED in page(consumer_client.get(step_url(draft, 4)))  # the message after saving
    assert TIME_BARRED in page(consumer_client.get(step_url(draft, 3)))
    assert TIME_BARRED in page(consumer_client.get(step_url(draft, 6)))


def test_a_recent_purchase_gets_no_prescription_warning(draft, consumer_client):
    recent = timezone.localdate() - relativedelta(years=3) + timedelta(days=1)

    purchase(consumer_client, draft, purchase_date=recent.isoformat(), purchase_online="on")

    for step in (4, 3, 6):
        assert TIME_BARRED not in page(consumer_client.get(step_url(draft, step)))


def test_the_prescription_period_is_a_setting(settings, draft, consumer_client):
    settings.PRESCRIPTION_YEARS = 5
    purchase(
        consumer_client,
        draft,
        purchase_date=(timezone.localdate() - relativedelta(years=4)).isoformat(),
        purchase_online="on",
    )

    assert TIME_BARRED not in page(consumer_client.get(step_url(draft, 3)))


# --- Hipervulnerability -------------------------------------------------------------------------------


def test_the_consumer_may_declare_themselves_hipervulnerable_and_withdraw_it(draft, consumer_client):
    details = page(consumer_client.get(step_url(draft, 1)))
    assert "Older adult (70 or over)" in details and "Person with a disability" in details

    response = consumer_client.post(step_url(draft, 1), {"vulnerable_categories": ["older_adult", "disability"]})
    assert response["Location"] == step_url(draft, 2)
    draft.refresh_from_db()
    assert (draft.vulnerable, draft.vulnerable_categories, draft.vulnerable_flagged_by) == (
        True,
        ["older_adult", "disability"],
        None,
    )
    assert "Older adult (70 or over), Person with a disability" in page(consumer_client.get(step_url(draft, 6)))

    consumer_client.post(step_url(draft, 1), {})
    draft.refresh_from_db()
    assert (draft.vulnerable, draft.vulnerable_categories) == (False, [])


def test_an_unknown_vulnerability_category_is_refused(draft, consumer_client):
    response = consumer_client.post(step_url(draft, 1), {"vulnerable_categories": ["astronaut"]})

    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.vulnerable is False


def test_the_consumer_cannot_undo_a_flag_the_office_set(draft, officer, consumer_client):
    Complaint.objects.filter(pk=draft.pk).update(
        vulnerable=True, vulnerable_categories=["low_income"], vulnerable_flagged_by=officer
    )

    consumer_client.post(step_url(draft, 1), {})

    draft.refresh_from_db()
    assert (draft.vulnerable, draft.vulnerable_categories) == (True, ["low_income"])
