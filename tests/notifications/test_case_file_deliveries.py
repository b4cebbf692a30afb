"""The case file's delivery record, as the office sees it: what the provider reported and when, its
message id, its error, a bounced address, and the copy of a formal notice sent by another channel."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications.addresses import mark_bounced
from notifications.channels.mail import message_id
from notifications.feedback import apply_status
from notifications.models import Channel, Notification, ProviderStatus, Status
from notifications.selectors import deliveries_for_case
from tests.complaints.factories import served_case
from tests.conftest import log_in
from tests.notifications.conftest import translated

pytestmark = pytest.mark.django_db


@pytest.fixture
def served(consumer, company, officer):
    return served_case(consumer, company, officer)


@pytest.fixture
def bounced_notice(served, company, representative) -> Notification:
    """The formal notice to the company's electronic domicile bounced; the representative got it
    by e-mail instead."""
    notice = Notification.objects.get(case_number=served.number, event="formal_notice", recipient=None)
    Notification.objects.filter(pk=notice.pk).update(
        status=Status.SENT, sent_at=timezone.now(), provider_message_id=message_id(notice)
    )
    mark_bounced(company.electronic_domicile, reason="5.1.1 User unknown", notification=notice)
    apply_status(notice, status="bounced", error="5.1.1 550 User unknown")
    return notice


def case_page(client, case) -> str:
    response = client.get(reverse("complaint_detail", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_office_sees_the_providers_status_its_id_and_the_bounced_address(
    served, officer, client_for, bounced_notice
):
    page = case_page(client_for(officer), served)
    row = f'id="delivery-{bounced_notice.pk}"'
    assert row in page
    record = page[page.index(row) :].split("</tr>")[0]
    assert "Bounced" in record
    assert "5.1.1 550 User unknown" in record
    assert message_id(bounced_notice).replace("<", "&lt;").replace(">", "&gt;") in record
    assert "Bounced address" in record
    assert "text-bg-danger" in record


def test_the_record_leaves_out_the_offices_own_messages_about_failures(served, officer, client_for, bounced_notice):
    # Written without a case number now; older ones carried it, and stay out too.
    Notification.objects.create(
        address="silvia@oficina.test",
        channel=Channel.EMAIL,
        event="delivery_failed",
        case_number=served.number,
        idempotency_key="delivery-failed:old",
    )
    assert Notification.objects.filter(event="delivery_failed").exists()
    assert "delivery_failed" not in {row.event for row in deliveries_for_case(served.number, limit=200)}
    assert "delivery_failed" not in case_page(client_for(officer), served)


def test_the_office_sees_which_copy_was_sent_instead_of_the_failed_notice(
    served, officer, representative, client_for, bounced_notice
):
    copy = bounced_notice.fallbacks.get(channel=Channel.EMAIL)
    page = case_page(client_for(officer), served)
    record = page[page.index(f'id="delivery-{copy.pk}"') :].split("</tr>")[0]
    assert f"Sent again by E-mail instead of message #{bounced_notice.pk}" in record
    failed = page[page.index(f'id="delivery-{bounced_notice.pk}"') :].split("</tr>")[0]
    assert f"Sent again by E-mail as message #{copy.pk}" in failed


def test_the_office_reads_the_providers_status_in_spanish(served, officer, bounced_notice):
    officer.preferred_language = "es-ar"
    officer.save(update_fields=["preferred_language"])
    page = case_page(log_in(Client(HTTP_ACCEPT_LANGUAGE="es-AR"), officer), served)
    record = page[page.index(f'id="delivery-{bounced_notice.pk}"') :].split("</tr>")[0]
    assert translated("es-ar", "Bounced") in record
    assert translated("es-ar", "Bounced address") in record


def test_the_company_does_not_see_the_delivery_record(served, representative, client_for, bounced_notice):
    page = case_page(client_for(representative), served)
    assert "5.1.1 550 User unknown" not in page
    assert "Bounced address" not in page


def test_the_record_takes_the_same_queries_however_many_messages(
    served, company, bounced_notice, django_assert_num_queries
):
    # rows with their recipients, the copies sent instead of them, the bounced addresses among them
    with django_assert_num_queries(3):
        few = deliveries_for_case(served.number, limit=200)
    for number in range(5):
        mark_bounced(f"otra{number}@example.com", reason="5.1.1", notification=None)
        Notification.objects.create(
            address=f"otra{number}@example.com",
            channel=Channel.EMAIL,
            event="complaint_admitted",
            case_number=served.number,
            idempotency_key=f"extra:{number}",
            provider_status=ProviderStatus.DELIVERED,
        )
    with django_assert_num_queries(3):
        many = deliveries_for_case(served.number, limit=200)
    assert len(many) == len(few) + 5
    assert all(row.address_bounced for row in many if row.address.startswith("otra"))  # type: ignore[attr-defined]
