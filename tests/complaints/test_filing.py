"""Filing a complaint: the guided steps, the server-side draft, submission, receipt, assisted filing."""

import hashlib
import html
import io
from datetime import timedelta
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from complaints import services
from complaints.models import CaseEvent, Channel, Complaint, Evidence
from complaints.states import State
from parties.models import Company, ConsumerProfile, Role, User
from tests.conftest import make_user

FIXTURES = Path(__file__).parent / "fixtures"


def page(response) -> str:
    return html.unescape(response.content.decode()).replace("\xa0", " ")


def english(client: Client) -> Client:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def step_url(case: Complaint, step: int) -> str:
    return reverse("complaint_step", args=[case.pk, step])


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (0, 114, 187)).save(buffer, "PNG")
    return buffer.getvalue()


PDF_BYTES = (FIXTURES / "factura.pdf").read_bytes()
JPEG_BYTES = (FIXTURES / "foto.jpg").read_bytes()


def fill_draft(client: Client, case: Complaint, company: Company) -> None:
    """Steps 1 to 4 with valid answers."""
    client.post(step_url(case, 1))
    client.post(step_url(case, 2), {"company": str(company.pk), "role": "seller"})
    client.post(
        step_url(case, 3),
        {
            "product": "Heladera Samsung RT38",
            "purchase_date": (timezone.localdate() - timedelta(days=40)).isoformat(),
            "amount_paid": "450000",
            "purchase_province": "CABA",
        },
    )
    client.post(
        step_url(case, 4),
        {
            "facts": "Dejó de enfriar a las dos semanas y el service no vino.",
            "claim_type": "refund",
            "claim_amount": "450000",
            "claim_detail": "",
        },
    )


# A company that is not registered, as the company step receives it.
CONECTAR = {
    "company": "other",
    "company_cuit": "30-70308853-4",
    "company_name": "Conectar S.A.",
    "role": "service",
    "address": "Av. Corrientes 1234",
    "province": "CABA",
}


@pytest.fixture
def consumer_client(consumer, client_for) -> Client:
    return english(client_for(consumer))


@pytest.fixture
def draft(consumer) -> Complaint:
    return services.complaint_start_draft(consumer=consumer)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# --- The whole journey -----------------------------------------------------------------------------


def test_it_files_a_full_complaint_with_a_pdf_and_photos_and_gives_a_numbered_receipt(
    consumer, company, consumer_client, media, django_capture_on_commit_callbacks
):
    client = consumer_client
    start = client.get(reverse("complaint_new"))
    assert "Before you start" in page(start)
    assert "PDF, JPEG, PNG or HEIC" in page(start)

    response = client.post(reverse("complaint_new"))
    case = Complaint.objects.get(consumer=consumer)
    assert response["Location"] == step_url(case, 1)
    assert case.status == State.DRAFT

    details = client.get(step_url(case, 1))
    assert "María González" in page(details) and "30123456" in page(details)
    assert client.post(step_url(case, 1))["Location"] == step_url(case, 2)

    search = client.get(step_url(case, 2), {"q": "electro"})
    assert "Electrodomésticos del Sur S.A." in page(search)
    assert 'type="radio" name="company"' in page(search)
    assert client.post(step_url(case, 2), {"company": str(company.pk), "role": "seller"})["Location"] == step_url(
        case, 3
    )

    fill_draft(client, case, company)
    uploaded = client.post(
        reverse("evidence_upload", args=[case.pk]),
        {
            "evidence_files": [
                SimpleUploadedFile("factura.pdf", PDF_BYTES, "application/pdf"),
                SimpleUploadedFile("heladera.jpg", JPEG_BYTES, "image/jpeg"),
                SimpleUploadedFile("mensaje.png", png_bytes(), "image/png"),
            ]
        },
        follow=True,
    )
    assert "3 file(s) uploaded" in page(uploaded)
    assert client.post(step_url(case, 5))["Location"] == step_url(case, 6)

    review = page(client.get(step_url(case, 6)))
    for answer in ["Heladera Samsung RT38", "Electrodomésticos del Sur S.A.", "Refund", "factura.pdf", "heladera.jpg"]:
        assert answer in review
    assert review.count(">Change<") >= 6
    assert "I declare that what I state is true" in review

    with django_capture_on_commit_callbacks(execute=True):
        submitted = client.post(reverse("complaint_submit", args=[case.pk]), {"declaration": "on"})
    assert submitted["Location"] == reverse("complaint_receipt", args=[case.pk])

    case.refresh_from_db()
    number = f"DC-{timezone.localdate().year}-000001"
    assert case.status == State.SUBMITTED
    assert case.number == number
    assert case.declaration_accepted_at is not None
    assert case.review_due_at is not None
    assert CaseEvent.objects.filter(complaint=case, from_state=State.DRAFT, to_state=State.SUBMITTED).count() == 1
    stored = {e.original_name: e for e in Evidence.objects.filter(complaint=case)}
    assert set(stored) == {"factura.pdf", "heladera.jpg", "mensaje.png"}
    assert stored["factura.pdf"].sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert stored["heladera.jpg"].content_type == "image/jpeg"
    assert stored["mensaje.png"].content_type == "image/png"

    receipt = page(client.get(reverse("complaint_receipt", args=[case.pk])))
    assert number in receipt
    assert stored["factura.pdf"].sha256 in receipt
    assert "What happens next" in receipt

    pdf = client.get(reverse("complaint_receipt_pdf", args=[case.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert f'filename="constancia-{number}.pdf"' in pdf["Content-Disposition"]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert number in text


def test_it_keeps_the_draft_on_the_server_so_a_new_session_resumes_it(consumer, company, client_for):
    first = english(client_for(consumer))
    first.post(reverse("complaint_new"))
    case = Complaint.objects.get(consumer=consumer)
    fill_draft(first, case, company)

    second = english(client_for(consumer))  # another browser, the first one closed
    assert "You have a complaint you started" in page(second.get(reverse("complaint_new")))
    response = second.post(reverse("complaint_new"), follow=True)

    assert Complaint.objects.filter(consumer=consumer).count() == 1
    case.refresh_from_db()
    assert response.redirect_chain[0][0] == step_url(case, case.draft_step)
    assert case.draft_step == 5
    assert case.company == company
    assert case.product == "Heladera Samsung RT38"
    assert "You are continuing the complaint you had started" in page(response)
    purchase = page(second.get(step_url(case, 3)))
    assert 'value="Heladera Samsung RT38"' in purchase


def test_a_double_click_on_new_complaint_starts_one_draft(consumer, client_for):
    client = english(client_for(consumer))

    first = client.post(reverse("complaint_new"))
    second = client.post(reverse("complaint_new"))

    case = Complaint.objects.get(consumer=consumer)
    assert first["Location"] == second["Location"] == step_url(case, 1)
    assert case.status == State.DRAFT


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_starts_of_a_complaint_leave_one_draft(consumer, client_for):

    from tests.complaints.test_concurrency import run_together

    clients = [english(client_for(consumer)) for _ in range(6)]

    results = run_together(6, lambda i: clients[i].post(reverse("complaint_new")))

    case = Complaint.objects.get(consumer=consumer)
    assert [getattr(result, "url", result) for result in results] == [step_url(case, 1)] * 6


def test_a_draft_that_was_submitted_meanwhile_is_not_changed_by_a_step_saved_from_another_tab(
    draft, company, consumer_client
):
    fill_draft(consumer_client, draft, company)
    consumer_client.post(reverse("complaint_submit", args=[draft.pk]), {"declaration": "on"})

    response = consumer_client.post(
        step_url(draft, 3),
        {"product": "Otra cosa", "purchase_date": "2025-01-02", "amount_paid": "1", "purchase_online": "on"},
        follow=True,
    )

    draft.refresh_from_db()
    assert draft.product == "Heladera Samsung RT38"
    assert response.redirect_chain[-1][0] == reverse("complaint_receipt", args=[draft.pk])


def test_it_sends_a_consumer_without_a_profile_to_complete_it_first(db, client_for):
    newcomer = make_user("nuevo@example.com")
    client = english(client_for(newcomer))

    response = client.get(reverse("complaint_new"), follow=True)

    assert response.redirect_chain[0][0] == f"{reverse('profile')}?next=%2Freclamos%2Fnuevo%2F"
    assert "complete your personal details" in page(response)
    assert not Complaint.objects.filter(consumer=newcomer).exists()


# --- Step by step ----------------------------------------------------------------------------------


def test_it_refreshes_the_consumer_snapshot_from_the_profile_on_step_one(consumer, draft, consumer_client):
    ConsumerProfile.objects.filter(user=consumer).update(street_address="Bolívar 1", city="Salta", province="SA")

    response = consumer_client.get(step_url(draft, 1))

    draft.refresh_from_db()
    assert draft.consumer_address == "Bolívar 1, Salta"
    assert draft.consumer_province == "SA"
    assert "Bolívar 1, Salta" in page(response)


def test_it_links_a_registered_cuit_typed_by_hand_to_that_company(draft, company, consumer_client):
    response = consumer_client.post(
        step_url(draft, 2),
        {"company": "other", "company_cuit": "30-71234567-1", "company_name": "", "role": "seller"},
        follow=True,
    )

    draft.refresh_from_db()
    assert draft.company == company
    assert [(part.company, part.cuit) for part in draft.parts.all()] == [(company, company.cuit)]
    assert "which is registered: we linked your complaint to it" in page(response)


def test_it_keeps_an_unregistered_company_by_cuit_and_name_until_submission(
    consumer, draft, consumer_client, django_capture_on_commit_callbacks
):
    consumer_client.post(step_url(draft, 2), CONECTAR)
    draft.refresh_from_db()
    assert (draft.company, draft.company_cuit, draft.company_name) == (None, "30703088534", "Conectar S.A.")
    assert not Company.objects.filter(cuit="30703088534").exists()

    consumer_client.post(
        step_url(draft, 3),
        {
            "product": "Plan móvil",
            "purchase_date": timezone.localdate().isoformat(),
            "amount_paid": "0",
            "purchase_online": "on",
        },
    )
    consumer_client.post(step_url(draft, 4), {"facts": "Me cobran de más.", "claim_type": "repair"})
    with django_capture_on_commit_callbacks(execute=True):
        consumer_client.post(reverse("complaint_submit", args=[draft.pk]), {"declaration": "on"})

    draft.refresh_from_db()
    assert draft.status == State.SUBMITTED
    assert draft.company is not None and draft.company.cuit == "30703088534"


def test_it_refuses_an_invalid_cuit_with_a_message_next_to_the_field(draft, consumer_client):
    response = consumer_client.post(
        step_url(draft, 2), {"company": "other", "company_cuit": "30-71234567-2", "company_name": "X"}
    )

    assert response.status_code == 200
    assert "check digit does not match" in page(response)
    draft.refresh_from_db()
    assert draft.company_cuit == ""


def test_it_asks_to_choose_a_company_when_nothing_was_chosen(draft, consumer_client):
    response = consumer_client.post(step_url(draft, 2), {})

    assert response.status_code == 200
    assert "Choose the company from the search results" in page(response)


def test_it_refuses_a_purchase_date_in_the_future(draft, consumer_client):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = consumer_client.post(
        step_url(draft, 3),
        {"product": "TV", "purchase_date": tomorrow.isoformat(), "amount_paid": "100", "purchase_province": "CABA"},
    )

    assert response.status_code == 200
    assert "The date cannot be in the future." in page(response)
    draft.refresh_from_db()
    assert draft.product == ""


def test_it_requires_the_amount_for_a_refund(draft, consumer_client):
    response = consumer_client.post(step_url(draft, 4), {"facts": "No funciona.", "claim_type": "refund"})

    assert "Enter the amount you want refunded." in page(response)
    draft.refresh_from_db()
    assert draft.claim_type == ""


def test_it_returns_to_the_summary_after_a_change_from_it(draft, consumer_client):
    response = consumer_client.post(
        step_url(draft, 3) + "?return=review",
        {
            "product": "Lavarropas",
            "purchase_date": timezone.localdate().isoformat(),
            "amount_paid": "10",
            "purchase_online": "on",
            "return": "review",
        },
    )

    assert response["Location"] == step_url(draft, 6)


def test_it_lists_the_companies_matching_a_lookup_as_a_fragment(company, other_company, consumer_client):
    response = consumer_client.get(reverse("company_lookup"), {"q": "conectar"})

    assert response.status_code == 200
    text = page(response)
    assert "Conectar Telecomunicaciones S.A." in text
    assert "Electrodomésticos" not in text
    assert "<html" not in text


def test_it_lists_at_most_ten_companies_in_a_lookup(consumer_client):
    Company.objects.bulk_create(Company(cuit=f"3070000{i:04d}", legal_name=f"Empresa Demo {i} S.A.") for i in range(15))

    text = page(consumer_client.get(reverse("company_lookup"), {"q": "Empresa Demo"}))

    assert text.count('type="radio"') == 10


def test_it_does_not_answer_a_lookup_for_an_anonymous_visitor(company):
    response = Client().get(reverse("company_lookup"), {"q": "electro"})

    assert response.status_code == 302
    assert "Electrodomésticos" not in page(response)


# --- Submission ------------------------------------------------------------------------------------


def test_it_gives_one_number_when_the_complaint_is_submitted_twice(
    draft, company, consumer_client, django_capture_on_commit_callbacks
):
    fill_draft(consumer_client, draft, company)
    submit = reverse("complaint_submit", args=[draft.pk])
    with django_capture_on_commit_callbacks(execute=True):
        consumer_client.post(submit, {"declaration": "on"})
        again = consumer_client.post(submit, {"declaration": "on"}, follow=True)

    draft.refresh_from_db()
    assert again.redirect_chain[-1][0] == reverse("complaint_receipt", args=[draft.pk])
    assert f"This complaint was already submitted as {draft.number}" in page(again)
    assert Complaint.objects.exclude(number=None).count() == 1
    assert CaseEvent.objects.filter(complaint=draft, to_state=State.SUBMITTED).count() == 1


def test_it_refuses_to_submit_with_missing_parts_and_lists_them(draft, consumer_client):
    consumer_client.post(
        step_url(draft, 3),
        {
            "product": "TV",
            "purchase_date": timezone.localdate().isoformat(),
            "amount_paid": "100",
            "purchase_online": "1",
        },
    )

    response = consumer_client.post(reverse("complaint_submit", args=[draft.pk]), {}, follow=True)

    text = page(response)
    assert response.redirect_chain[-1][0] == step_url(draft, 6)
    assert "Before submitting, complete:" in text
    assert "the company" in text and "what you ask for" in text
    assert "the declaration that what you state is true" in text
    draft.refresh_from_db()
    assert draft.status == State.DRAFT and draft.number is None


def test_it_shows_the_observation_and_resubmits_the_corrected_complaint(
    draft, company, consumer_client, officer, django_capture_on_commit_callbacks
):
    fill_draft(consumer_client, draft, company)
    with django_capture_on_commit_callbacks(execute=True):
        consumer_client.post(reverse("complaint_submit", args=[draft.pk]), {"declaration": "on"})
        services.complaint_observe(complaint=draft, by=officer, observation="Adjunte la factura.")

    step = page(consumer_client.get(step_url(draft, 5)))
    assert "Adjunte la factura." in step
    assert "The office asks you to correct your complaint" in step

    with django_capture_on_commit_callbacks(execute=True):
        response = consumer_client.post(reverse("complaint_resubmit", args=[draft.pk]), {"declaration": "on"})

    draft.refresh_from_db()
    assert response["Location"] == reverse("complaint_receipt", args=[draft.pk])
    assert draft.status == State.SUBMITTED
    assert CaseEvent.objects.filter(complaint=draft, from_state=State.OBSERVED, to_state=State.SUBMITTED).exists()


def test_it_sends_the_owner_of_a_submitted_complaint_to_its_receipt_instead_of_the_steps(
    draft, company, consumer_client, django_capture_on_commit_callbacks
):
    fill_draft(consumer_client, draft, company)
    with django_capture_on_commit_callbacks(execute=True):
        consumer_client.post(reverse("complaint_submit", args=[draft.pk]), {"declaration": "on"})

    response = consumer_client.post(step_url(draft, 3), {"product": "Otra cosa"}, follow=True)

    draft.refresh_from_db()
    assert draft.product == "Heladera Samsung RT38"
    assert response.redirect_chain[-1][0] == reverse("complaint_receipt", args=[draft.pk])
    assert "can no longer be changed" in page(response)


# --- Who may see what ------------------------------------------------------------------------------


def test_a_stranger_gets_404_on_every_filing_url_of_someone_elses_case(
    draft, company, consumer, consumer_client, stranger, client_for, media, django_capture_on_commit_callbacks
):
    fill_draft(consumer_client, draft, company)
    consumer_client.post(
        reverse("evidence_upload", args=[draft.pk]), {"evidence_files": [SimpleUploadedFile("f.pdf", PDF_BYTES)]}
    )
    evidence = Evidence.objects.get(complaint=draft)
    outsider = client_for(stranger)
    draft_urls = [
        ("get", step_url(draft, 1)),
        ("post", step_url(draft, 3)),
        ("post", reverse("evidence_upload", args=[draft.pk])),
        ("post", reverse("evidence_delete", args=[evidence.pk])),
        ("post", reverse("complaint_submit", args=[draft.pk])),
        ("post", reverse("complaint_resubmit", args=[draft.pk])),
        ("get", reverse("complaint_receipt", args=[draft.pk])),
        ("get", reverse("complaint_receipt_pdf", args=[draft.pk])),
    ]
    for method, url in draft_urls:
        assert getattr(outsider, method)(url).status_code == 404, url

    with django_capture_on_commit_callbacks(execute=True):
        consumer_client.post(reverse("complaint_submit", args=[draft.pk]), {"declaration": "on"})
    for method, url in draft_urls:
        assert getattr(outsider, method)(url).status_code == 404, url
    assert Evidence.objects.filter(pk=evidence.pk).exists()


def test_an_officer_who_did_not_file_a_draft_cannot_see_it(draft, officer, client_for):
    response = client_for(officer).get(step_url(draft, 1))

    assert response.status_code == 404


def test_only_consumers_start_a_complaint_from_the_web(officer, conciliator, client_for):
    # A representative is a consumer too (roles add up): tests/security/test_auth_additive_roles.py.
    assert client_for(officer).get(reverse("complaint_new")).status_code == 403
    assert client_for(conciliator).get(reverse("complaint_new")).status_code == 403


# --- Assisted filing -------------------------------------------------------------------------------

WALK_IN = {
    "channel": Channel.PHONE,
    "email": "Rosa.Acosta@Example.com",
    "first_name": "Rosa",
    "last_name": "Acosta",
    "dni": "25.123.456",
    "phone": "11 4567-8901",
    "street_address": "Calle 7 nº 1234",
    "city": "La Plata",
    "province": "BA",
}


def test_an_officer_files_for_a_citizen_who_phoned_and_the_citizen_gets_an_account_and_an_invitation(
    officer, company, client_for, django_capture_on_commit_callbacks
):
    client = english(client_for(officer))
    assert "File a complaint for a citizen" in page(client.get(reverse("assisted_filing")))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("assisted_filing"), WALK_IN)

    citizen = User.objects.get(email="rosa.acosta@example.com")
    assert citizen.role == Role.CONSUMER
    assert not citizen.has_usable_password()
    assert EmailAddress.objects.get(user=citizen).verified is False
    profile = ConsumerProfile.objects.get(user=citizen)
    assert (profile.dni, profile.phone, profile.province) == ("25123456", "+541145678901", "BA")
    case = Complaint.objects.get(consumer=citizen)
    assert (case.filed_by, case.channel, case.status) == (officer, Channel.PHONE, State.DRAFT)
    assert case.consumer_dni == "25123456"
    assert response["Location"] == step_url(case, 1)
    invitations = [m for m in mail.outbox if "rosa.acosta@example.com" in m.to]
    assert len(invitations) == 1
    assert "/cuenta/password/reset/key/" in invitations[0].body

    # The officer goes on in the same steps and submits for the citizen.
    fill_draft(client, case, company)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("complaint_submit", args=[case.pk]), {"declaration": "on"})
    case.refresh_from_db()
    assert case.status == State.SUBMITTED
    assert CaseEvent.objects.get(complaint=case, to_state=State.SUBMITTED).actor == officer


def test_assisted_filing_for_an_existing_consumer_keeps_their_account_and_sends_no_invitation(
    officer, consumer, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(officer).post(
            reverse("assisted_filing"), {**WALK_IN, "email": consumer.email, "channel": "in_person"}
        )

    case = Complaint.objects.get(consumer=consumer)
    assert case.channel == Channel.IN_PERSON and case.filed_by == officer
    assert case.consumer_dni == "30123456"  # their own profile, untouched
    assert User.objects.filter(email__iexact=consumer.email).count() == 1
    assert mail.outbox == []


def test_assisted_filing_refuses_the_address_of_a_staff_account(officer, supervisor, client_for):
    response = english(client_for(officer)).post(reverse("assisted_filing"), {**WALK_IN, "email": supervisor.email})

    assert "belongs to an account that is not a consumer's" in page(response)
    assert not Complaint.objects.exists()


def test_assisted_filing_refuses_the_web_channel_and_a_bad_dni(officer, client_for):
    response = english(client_for(officer)).post(reverse("assisted_filing"), {**WALK_IN, "channel": "web", "dni": "12"})

    assert response.status_code == 200
    assert "A DNI has 7 or 8 digits." in page(response)
    assert not User.objects.filter(email="rosa.acosta@example.com").exists()


def test_only_the_office_may_file_for_a_citizen(consumer, conciliator, client_for):
    assert client_for(consumer).get(reverse("assisted_filing")).status_code == 403
    assert client_for(conciliator).get(reverse("assisted_filing")).status_code == 403


def test_an_officer_who_did_not_file_a_submitted_case_may_read_it_but_not_edit_it(
    draft, company, consumer_client, officer, client_for, django_capture_on_commit_callbacks
):
    fill_draft(consumer_client, draft, company)
    with django_capture_on_commit_callbacks(execute=True):
        consumer_client.post(reverse("complaint_submit", args=[draft.pk]), {"declaration": "on"})
    office = client_for(officer)

    assert office.get(reverse("complaint_receipt", args=[draft.pk])).status_code == 200
    assert office.get(step_url(draft, 3)).status_code == 403
    assert office.post(reverse("complaint_resubmit", args=[draft.pk])).status_code == 403


def test_a_consumer_correcting_a_complaint_may_name_an_unregistered_company_which_joins_the_registry(
    draft, company, consumer, consumer_client, officer, django_capture_on_commit_callbacks
):
    fill_draft(consumer_client, draft, company)
    with django_capture_on_commit_callbacks(execute=True):
        consumer_client.post(reverse("complaint_submit", args=[draft.pk]), {"declaration": "on"})
        services.complaint_observe(complaint=draft, by=officer, observation="La empresa es otra: revise la factura.")

    consumer_client.post(step_url(draft, 2), {"remove": str(draft.parts.get().pk)})
    consumer_client.post(step_url(draft, 2), CONECTAR)
    with django_capture_on_commit_callbacks(execute=True):
        consumer_client.post(reverse("complaint_resubmit", args=[draft.pk]), {"declaration": "on"})

    draft.refresh_from_db()
    assert draft.status == State.SUBMITTED
    assert draft.company is not None
    assert (draft.company.cuit, draft.company.legal_name, draft.company.created_by) == (
        "30703088534",
        "Conectar S.A.",
        consumer,
    )


def test_the_review_step_lists_what_is_still_missing_but_not_the_declaration_box_on_it(draft, consumer_client):
    text = page(consumer_client.get(step_url(draft, 6)))

    assert "Before submitting, complete:" in text
    assert "what you ask for" in text
    assert "the declaration that what you state is true" not in text
