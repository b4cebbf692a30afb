"""The consumer's representative: named with the power, validated by the office, then sees the case
and answers offers for the consumer; revoked, the case is gone for them."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.models import ConsumerRepresentative, Offer
from complaints.states import State
from notifications.models import Notification
from parties.models import PowerStatus
from tests.complaints.factories import PDF_BYTES, served_case
from tests.conftest import make_user


@pytest.fixture
def lawyer(db):
    return make_user("abogada@estudio.test", first_name="Laura", last_name="Paz")


def name(client, case, email, kind="lawyer", bar="T. 100 F. 20"):
    return client.post(
        reverse("consumer_rep_name", args=[case.pk]),
        {
            "rep-email": email,
            "rep-kind": kind,
            "rep-bar_registration": bar,
            "rep-document": SimpleUploadedFile("poder.pdf", PDF_BYTES, content_type="application/pdf"),
        },
        follow=True,
    )


def test_named_validated_sees_the_case_and_accepts_an_offer_then_revoked(
    consumer, company, officer, representative, lawyer, client_for
):
    case = served_case(consumer, company, officer)
    lawyer_client = client_for(lawyer)
    name(client_for(consumer), case, lawyer.email)
    rep = ConsumerRepresentative.objects.get(complaint=case)
    assert (rep.user, rep.power_status, rep.named_by) == (lawyer, PowerStatus.PENDING, consumer)
    assert case.events.filter(action="consumer_rep_named").exists()
    # Before the office validates the power, the lawyer does not see the case.
    assert lawyer_client.get(reverse("complaint_detail", args=[case.pk])).status_code == 404

    client_for(officer).post(
        reverse("consumer_rep_decide", args=[rep.pk]), {"decision": "validate", "power_sha256": rep.power_sha256}
    )
    rep.refresh_from_db()
    assert rep.power_status == PowerStatus.VALIDATED
    assert case.events.filter(action="consumer_rep_validated").exists()
    assert Notification.objects.filter(recipient=lawyer, event="consumer_rep_update").exists()

    offer = services.offer_make(
        complaint=case,
        by=representative,
        terms="Reintegro.",
        fulfil_by=timezone.localdate() + timedelta(days=10),
        amount=None,
    )
    page = lawyer_client.get(reverse("complaint_detail", args=[case.pk]))
    assert page.status_code == 200
    assert reverse("offer_accept", args=[offer.pk]) in page.content.decode()
    lawyer_client.post(reverse("offer_accept", args=[offer.pk]))
    case.refresh_from_db()
    assert case.status == State.AGREEMENT
    assert Offer.objects.get(pk=offer.pk).answered_by == lawyer

    client_for(consumer).post(reverse("consumer_rep_revoke", args=[rep.pk]))
    rep.refresh_from_db()
    assert rep.revoked_at is not None and rep.revoked_by == consumer
    assert case.events.filter(action="consumer_rep_revoked").exists()
    assert lawyer_client.get(reverse("complaint_detail", args=[case.pk])).status_code == 404


def test_naming_someone_without_an_account_says_so(consumer, company, officer, client_for):
    case = served_case(consumer, company, officer)
    response = name(client_for(consumer), case, "nadie@example.com")
    assert any("sign up on Concilia first" in str(m) for m in response.context["messages"])
    assert not ConsumerRepresentative.objects.exists()


def test_a_lawyer_needs_a_bar_registration(consumer, company, officer, lawyer, client_for):
    case = served_case(consumer, company, officer)
    response = name(client_for(consumer), case, lawyer.email, bar="")
    assert any("bar registration" in str(m) for m in response.context["messages"])
    assert not ConsumerRepresentative.objects.exists()


def test_the_company_cannot_name_or_revoke_the_consumers_representative(
    consumer, company, officer, representative, lawyer, client_for
):
    case = served_case(consumer, company, officer)
    assert name(client_for(representative), case, lawyer.email).status_code == 403
    name(client_for(consumer), case, lawyer.email)
    rep = ConsumerRepresentative.objects.get()
    assert client_for(representative).post(reverse("consumer_rep_revoke", args=[rep.pk])).status_code == 403
    assert (
        client_for(representative)
        .post(reverse("consumer_rep_decide", args=[rep.pk]), {"decision": "validate", "power_sha256": rep.power_sha256})
        .status_code
        == 403
    )
    rep.refresh_from_db()
    assert rep.revoked_at is None and rep.power_status == PowerStatus.PENDING
