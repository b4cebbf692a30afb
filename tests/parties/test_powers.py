"""A representative uploads their power; the office validates or rejects it; only then does the
representative bind the company. Strangers see nothing of it."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from complaints.models import Offer
from notifications.models import Notification
from parties.models import PowerKind, PowerStatus, Representation
from tests.complaints.factories import PDF_BYTES, served_case


def upload(client, company, data=PDF_BYTES):
    return client.post(
        reverse("power_upload", args=[company.pk]),
        {"kind": PowerKind.SPECIAL, "document": SimpleUploadedFile("poder.pdf", data, content_type="application/pdf")},
        follow=True,
    )


def test_upload_validate_then_the_representative_can_offer(
    consumer, company, officer, unvalidated_representative, client_for
):
    case = served_case(consumer, company, officer)
    rep_client = client_for(unvalidated_representative)
    page = rep_client.get(reverse("complaint_detail", args=[case.pk])).content.decode()
    assert "upload your power" in page
    assert 'action="/reclamos/' not in page or f'action="{reverse("offer_make", args=[case.pk])}"' not in page

    upload(rep_client, company)
    representation = Representation.objects.get(user=unvalidated_representative)
    assert representation.power_status == PowerStatus.PENDING and representation.power_document
    company_page = rep_client.get(reverse("company_detail", args=[company.pk])).content.decode()
    assert "awaiting the office" in company_page

    office = client_for(officer)
    queue = office.get(reverse("power_queue")).content.decode()
    assert unvalidated_representative.display_name in queue
    document = office.get(reverse("power_document", args=[representation.pk]))
    assert document.status_code == 200 and b"".join(document.streaming_content).startswith(b"%PDF-")
    office.post(
        reverse("power_decide", args=[representation.pk]),
        {"decision": "validate", "power_sha256": representation.power_sha256},
    )
    representation.refresh_from_db()
    assert (representation.power_status, representation.power_decided_by) == (PowerStatus.VALIDATED, officer)
    assert Notification.objects.filter(recipient=unvalidated_representative, event="power_decided").exists()

    rep_client.post(
        reverse("offer_make", args=[case.pk]),
        {
            "offer-terms": "Reintegro.",
            "offer-amount": "1000",
            "offer-fulfil_by": (timezone.localdate() + timedelta(days=10)).isoformat(),
        },
    )
    assert Offer.objects.get(complaint=case).made_by == unvalidated_representative


def test_a_rejection_needs_a_reason_and_is_shown_to_the_representative(
    company, officer, unvalidated_representative, client_for
):
    rep_client = client_for(unvalidated_representative)
    upload(rep_client, company)
    representation = Representation.objects.get(user=unvalidated_representative)
    office = client_for(officer)
    office.post(
        reverse("power_decide", args=[representation.pk]),
        {"decision": "reject", "power_sha256": representation.power_sha256},
    )
    representation.refresh_from_db()
    assert representation.power_status == PowerStatus.PENDING
    office.post(
        reverse("power_decide", args=[representation.pk]),
        {"decision": "reject", "reason": "Sin firma.", "power_sha256": representation.power_sha256},
    )
    representation.refresh_from_db()
    assert (representation.power_status, representation.power_rejection_reason) == (PowerStatus.REJECTED, "Sin firma.")
    page = rep_client.get(reverse("company_detail", args=[company.pk])).content.decode()
    assert "Sin firma." in page


def test_a_file_that_is_not_a_pdf_is_refused(company, unvalidated_representative, client_for):
    response = upload(client_for(unvalidated_representative), company, data=b"not a pdf at all")
    assert any("must be a PDF" in str(m) for m in response.context["messages"])
    assert not Representation.objects.get(user=unvalidated_representative).power_document


@pytest.mark.parametrize("who", ["stranger", "other_rep", "consumer"])
def test_strangers_cannot_see_the_powers(
    who, company, other_company, consumer, stranger, unvalidated_representative, client_for
):
    from tests.conftest import make_user

    upload(client_for(unvalidated_representative), company)
    representation = Representation.objects.get(user=unvalidated_representative)
    if who == "other_rep":
        person = make_user("x@conectar.test")
        Representation.objects.create(user=person, company=other_company, power_status=PowerStatus.VALIDATED)
    else:
        person = {"stranger": stranger, "consumer": consumer}[who]
    client = client_for(person)
    assert client.get(reverse("power_document", args=[representation.pk])).status_code == 404
    assert client.get(reverse("power_queue")).status_code == 403
    client.post(
        reverse("power_decide", args=[representation.pk]),
        {"decision": "validate", "power_sha256": representation.power_sha256},
    )
    representation.refresh_from_db()
    assert representation.power_status == PowerStatus.PENDING
