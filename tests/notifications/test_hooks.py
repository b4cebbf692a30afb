"""Mail that starts on the floor below goes through the outbox: company invitations (a parties
signal) and allauth's own messages (the account adapter)."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from notifications.models import Channel, Notification, Status
from parties.models import Invitation
from parties.services import invitation_create
from parties.signals import invitation_created

pytestmark = pytest.mark.django_db


def test_an_invitation_queues_exactly_one_email_with_the_accept_link(
    company, representative, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitation_create(
            company=company, email="Nuevo@ElectroSur.test", is_admin=False, by=representative
        )
    accept_url = "https://concilia.test" + reverse("invitation_accept", args=[invitation.token])
    row = Notification.objects.get(event="company_invitation")
    assert row.address == "nuevo@electrosur.test"
    assert row.status == Status.SENT
    assert accept_url in row.body_text
    assert accept_url in row.body_html
    [message] = mail.outbox
    assert message.to == ["nuevo@electrosur.test"]
    assert accept_url in message.body
    assert "Electrodomésticos del Sur S.A." in message.subject

    # The signal again (a retried after-commit hook) writes nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        invitation_created.send(sender=Invitation, invitation=invitation)
    assert Notification.objects.filter(event="company_invitation").count() == 1
    assert len(mail.outbox) == 1


def test_signup_verification_goes_through_the_outbox(client, settings, django_capture_on_commit_callbacks):
    settings.ACCOUNT_ADAPTER = "notifications.account_adapter.AccountAdapter"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/cuenta/signup/",
            {
                "email": "Nueva@Example.com",
                "password1": "una-clave-bien-larga-42",
                "password2": "una-clave-bien-larga-42",
            },
        )
    assert response.status_code == 302
    row = Notification.objects.get(channel=Channel.EMAIL)
    assert row.event == "account_email_confirmation_signup"
    assert row.address == "nueva@example.com"
    assert row.recipient is not None
    assert row.recipient.email == "nueva@example.com"
    assert row.subject.startswith("[Concilia] ")
    assert row.status == Status.SENT
    link = re.search(r"https?://\S+/cuenta/confirm-email/\S+/", row.body_text)
    assert link is not None
    [message] = mail.outbox
    assert message.subject == row.subject
    assert link.group(0) in message.body

    # The link works: it confirms the address.
    path = link.group(0).split("testserver", 1)[1]
    assert client.post(path).status_code == 302
    from allauth.account.models import EmailAddress

    assert EmailAddress.objects.get(email="nueva@example.com").verified


def test_each_allauth_message_is_a_row_of_its_own(client, consumer, settings, django_capture_on_commit_callbacks):
    settings.ACCOUNT_ADAPTER = "notifications.account_adapter.AccountAdapter"
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            client.post("/cuenta/password/reset/", {"email": consumer.email})
    rows = Notification.objects.filter(event="account_password_reset_key")
    assert rows.count() == 2
    assert {row.recipient for row in rows} == {consumer}
    assert len(mail.outbox) == 2
