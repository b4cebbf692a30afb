"""A citizen without e-mail files at the desk: an account reachable by phone (SMS and/or WhatsApp,
with the consent recorded by the officer), no e-mail ever written, a printed receipt, and any
officer can act for them later."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.models import CaseEvent, Complaint
from complaints.states import State, allow_owner_consumer
from notifications.models import Notification
from parties.models import ConsumerProfile, Role, User
from tests.conftest import enrol_totp, make_user

pytestmark = pytest.mark.django_db

WITHOUT_EMAIL = {
    "channel": "in_person",
    "no_email": "on",
    "sms_consent": "on",
    "first_name": "Ramona",
    "last_name": "Ibarra",
    "dni": "12.345.678",
    "phone": "11 4567-8901",
    "street_address": "Av. Siempreviva 742",
    "city": "CABA",
    "province": "CABA",
}


def file_at_the_desk(client, data=WITHOUT_EMAIL):
    return client.post(reverse("assisted_filing"), data)


def complete_and_submit(case: Complaint, company, officer) -> Complaint:
    services.case_parts.name_company(case, company=company, position=1)
    case.product = "Garrafa"
    case.facts = "La garrafa vino vacía."
    case.claim_type = "refund"
    case.declaration_accepted_at = timezone.now()
    case.save()
    return services.complaint_submit(complaint=case, by=officer)


def test_the_desk_creates_an_account_without_email(officer, client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = file_at_the_desk(client_for(officer))
    citizen = User.objects.get(consumer_profile__dni="12345678")
    assert citizen.has_no_email
    assert citizen.role == Role.CONSUMER
    assert citizen.email.endswith("@concilia.invalid")
    assert not citizen.has_usable_password()
    assert not EmailAddress.objects.filter(user=citizen).exists()  # nothing to verify
    profile = ConsumerProfile.objects.get(user=citizen)
    assert profile.phone == "+541145678901"
    assert profile.sms_consent_at is not None
    assert profile.whatsapp_consent_at is None
    case = Complaint.objects.get(consumer=citizen)
    assert (case.filed_by, case.status) == (officer, State.DRAFT)
    assert response["Location"] == reverse("complaint_step", args=[case.pk, 1])
    assert mail.outbox == []  # no invitation to choose a password
    assert not Notification.objects.filter(channel="email").exists()


def test_the_consent_to_be_reached_by_phone_is_required(officer, client_for):
    data = {key: value for key, value in WITHOUT_EMAIL.items() if key != "sms_consent"}
    response = file_at_the_desk(client_for(officer), data)
    assert response.status_code == 200
    assert "tick at least one" in response.content.decode()
    assert not User.objects.filter(consumer_profile__dni="12345678").exists()


def test_without_the_box_an_email_is_still_required(officer, client_for):
    data = {key: value for key, value in WITHOUT_EMAIL.items() if key != "no_email"}
    response = file_at_the_desk(client_for(officer), data)
    assert response.status_code == 200
    assert "or tick “The citizen has no e-mail address”" in response.content.decode()
    assert not User.objects.filter(consumer_profile__dni="12345678").exists()


def test_the_citizen_is_told_by_sms_and_never_by_email(
    officer, company, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        file_at_the_desk(client_for(officer))
    citizen = User.objects.get(consumer_profile__dni="12345678")
    case = Complaint.objects.get(consumer=citizen)
    with django_capture_on_commit_callbacks(execute=True):
        case = complete_and_submit(case, company, officer)
    rows = Notification.objects.filter(recipient=citizen, event="complaint_received")
    assert set(rows.values_list("channel", flat=True)) == {"sms", "inbox"}
    assert rows.get(channel="sms").address == "+541145678901"
    assert not Notification.objects.filter(address__endswith=".invalid", channel="email").exists()
    # The receipt is printed for them at the desk.
    receipt = client_for(officer).get(reverse("complaint_receipt", args=[case.pk]))
    assert receipt.status_code == 200
    assert case.number in receipt.content.decode()


def test_a_citizen_who_comes_back_keeps_their_account(officer, client_for):
    client = client_for(officer)
    file_at_the_desk(client)
    file_at_the_desk(client, {**WITHOUT_EMAIL, "sms_consent": "", "whatsapp_consent": "on"})
    citizen = User.objects.get(consumer_profile__dni="12345678")
    assert Complaint.objects.filter(consumer=citizen).count() == 2
    profile = citizen.consumer_profile
    assert profile.sms_consent_at is None and profile.whatsapp_consent_at is not None


def test_any_officer_can_act_for_a_citizen_without_email_later(officer, company, client_for):
    file_at_the_desk(client_for(officer))
    citizen = User.objects.get(consumer_profile__dni="12345678")
    case = complete_and_submit(Complaint.objects.get(consumer=citizen), company, officer)
    other_officer = make_user("otra@oficina.test", Role.OFFICER)
    enrol_totp(other_officer)
    assert allow_owner_consumer(case, other_officer)

    case = services.complaint_withdraw(complaint=case, by=other_officer, reason="Lo pidió en la ventanilla.")
    assert case.status == State.WITHDRAWN
    assert CaseEvent.objects.filter(complaint=case).latest("pk").actor == other_officer


def test_other_officers_still_cannot_act_for_a_citizen_with_email(consumer, officer):
    other_officer = make_user("otra@oficina.test", Role.OFFICER)
    case = services.complaint_start_draft(consumer=consumer, filed_by=officer, channel="phone")
    assert not allow_owner_consumer(case, other_officer)
