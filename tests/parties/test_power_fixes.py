"""Reviewer fixes on the office's decision on a power: the officer decides on the PDF they opened
(a file replaced meanwhile refuses the decision), each decision is told (a second rejection of the
same PDF too), and a crafted company filter on the queue is ignored, never a server error."""

import hashlib

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from complaints.models import ConsumerRepresentative
from notifications.models import Notification
from parties.models import PowerKind, PowerStatus, Representation
from tests.complaints.factories import PDF_BYTES, served_case
from tests.conftest import make_user
from tests.notifications.helpers import rendered

OTHER_PDF = PDF_BYTES + b"%another version\n"


def upload(client, company, data=PDF_BYTES):
    return client.post(
        reverse("power_upload", args=[company.pk]),
        {"kind": PowerKind.SPECIAL, "document": SimpleUploadedFile("poder.pdf", data, content_type="application/pdf")},
    )


def said(response) -> str:
    return " ".join(str(message) for message in get_messages(response.wsgi_request))


def test_the_queue_carries_the_hash_of_the_pdf_shown(company, officer, unvalidated_representative, client_for):
    upload(client_for(unvalidated_representative), company)
    representation = Representation.objects.get(user=unvalidated_representative)

    page = client_for(officer).get(reverse("power_queue")).content.decode()

    assert f'name="power_sha256" value="{representation.power_sha256}"' in page


def test_a_power_replaced_after_the_officer_opened_it_is_not_validated(
    company, officer, unvalidated_representative, client_for
):
    rep_client = client_for(unvalidated_representative)
    upload(rep_client, company)
    opened = Representation.objects.get(user=unvalidated_representative).power_sha256
    upload(rep_client, company, OTHER_PDF)  # replaced while the officer reads the first one

    response = client_for(officer).post(
        reverse("power_decide", args=[Representation.objects.get(user=unvalidated_representative).pk]),
        {"decision": "validate", "power_sha256": opened},
    )

    representation = Representation.objects.get(user=unvalidated_representative)
    assert representation.power_status == PowerStatus.PENDING
    assert representation.power_sha256 == hashlib.sha256(OTHER_PDF).hexdigest()
    assert "uploaded another document after you opened this power" in said(response)
    assert not Notification.objects.filter(event="power_decided").exists()


def test_the_power_opened_is_validated(company, officer, unvalidated_representative, client_for):
    upload(client_for(unvalidated_representative), company)
    representation = Representation.objects.get(user=unvalidated_representative)

    client_for(officer).post(
        reverse("power_decide", args=[representation.pk]),
        {"decision": "validate", "power_sha256": representation.power_sha256},
    )

    representation.refresh_from_db()
    assert representation.power_status == PowerStatus.VALIDATED


def test_a_second_rejection_of_the_same_pdf_is_told_too(company, officer, unvalidated_representative, client_for):
    rep_client, office = client_for(unvalidated_representative), client_for(officer)
    for reason in ("Sin firma.", "Sigue sin firma."):
        upload(rep_client, company)  # the same PDF, sent again
        representation = Representation.objects.get(user=unvalidated_representative)
        office.post(
            reverse("power_decide", args=[representation.pk]),
            {"decision": "reject", "reason": reason, "power_sha256": representation.power_sha256},
        )

    told = Notification.objects.filter(recipient=unvalidated_representative, event="power_decided", channel="email")
    assert told.count() == 2
    assert any("Sigue sin firma." in row.body_text for row in rendered(told))


def test_the_consumers_representative_is_not_decided_on_another_pdf(consumer, company, officer, client_for):
    case = served_case(consumer, company, officer)
    lawyer = make_user("abogada@estudio.test", first_name="Laura", last_name="Paz")
    client_for(consumer).post(
        reverse("consumer_rep_name", args=[case.pk]),
        {
            "rep-email": lawyer.email,
            "rep-kind": "lawyer",
            "rep-bar_registration": "T. 100 F. 20",
            "rep-document": SimpleUploadedFile("poder.pdf", PDF_BYTES, content_type="application/pdf"),
        },
    )
    rep = ConsumerRepresentative.objects.get(complaint=case)
    office = client_for(officer)
    assert f'value="{rep.power_sha256}"' in office.get(reverse("power_queue") + "?tab=consumers").content.decode()

    refused = office.post(
        reverse("consumer_rep_decide", args=[rep.pk]),
        {"decision": "validate", "power_sha256": hashlib.sha256(OTHER_PDF).hexdigest()},
    )
    rep.refresh_from_db()
    assert rep.power_status == PowerStatus.PENDING
    assert "uploaded another document after you opened this power" in said(refused)

    office.post(
        reverse("consumer_rep_decide", args=[rep.pk]), {"decision": "validate", "power_sha256": rep.power_sha256}
    )
    rep.refresh_from_db()
    assert rep.power_status == PowerStatus.VALIDATED


@pytest.mark.parametrize("value", ["²", "٣", "1²", "99999999999999999999999", "-1", " 1"])
def test_a_crafted_company_filter_is_ignored_not_a_server_error(value, company, officer, client_for):
    response = client_for(officer).get(reverse("power_queue"), {"company": value})

    assert response.status_code == 200
    assert response.context["company"] is None
