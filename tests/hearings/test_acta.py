"""The acta: a PDF that names the parties, the attendance with its times and the outcome's terms;
its SHA-256 kept; confirmed by each party from their account, bound to that hash."""

import hashlib
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from hearings.errors import HearingError
from hearings.models import Acta, ActaConfirmation
from hearings.services.acta import acta_confirm, acta_generate
from hearings.services.outcome import outcome_record
from notifications.models import Notification
from parties.models import Representation, Role
from tests.conftest import make_user
from tests.hearings.test_outcome_support import (
    OBLIGATIONS,
    TERMS,
    agreement_at,
    attend,
    hearing_under_way,
    read_text,
    recipients,
)
from tests.helpers import stored_name


@pytest.fixture
def held(consumer, company, representative, officer, conciliator, django_capture_on_commit_callbacks):
    """A hearing both parties attended, ended in an agreement, its acta generated."""
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    start = hearing.starts_at
    attend(hearing, conciliator, "conciliator", joined=start - timedelta(minutes=3))
    attend(hearing, consumer, "consumer", joined=start + timedelta(minutes=2), left=start + timedelta(minutes=41))
    attend(hearing, representative, "company", joined=start + timedelta(minutes=7), left=start + timedelta(minutes=40))
    with django_capture_on_commit_callbacks(execute=True):
        agreement_at(hearing, conciliator)
    hearing.refresh_from_db()
    return hearing


def hhmm(moment) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


def test_the_acta_names_both_parties_the_attendance_with_times_and_the_terms(held, representative):
    acta = Acta.objects.get(hearing=held)
    with acta.file.open("rb") as handle:
        pdf = handle.read()
    text = read_text(pdf)
    case = held.complaint
    assert case.number in text
    assert "María González" in text and "30123456" in text
    assert "Electrodomésticos del Sur S.A." in text
    assert "Ana Rodríguez" in text and "Jorge Fernández" in text
    start = held.starts_at
    for moment in (start + timedelta(minutes=2), start + timedelta(minutes=41), start + timedelta(minutes=7)):
        assert hhmm(moment) in text
    assert TERMS in text
    assert OBLIGATIONS in text
    assert "850.000,00" in text  # the amount, as the office writes it (es-AR)


def test_its_stored_hash_is_the_hash_of_the_stored_file(held):
    acta = Acta.objects.get(hearing=held)
    with acta.file.open("rb") as handle:
        assert acta.sha256 == hashlib.sha256(handle.read()).hexdigest()
    assert stored_name(acta.file).startswith("actas/")
    assert held.complaint.events.filter(action="acta_generated", reason=f"SHA-256 {acta.sha256}").exists()


def test_it_asks_every_party_to_confirm_the_acta(held, consumer, representative, conciliator):
    assert recipients("acta_ready") == {consumer.email, representative.email, conciliator.email}
    message = Notification.objects.filter(event="acta_ready", recipient=consumer, channel="email").get()
    assert reverse("acta_confirm", args=[held.pk]) in message.body_text


def test_generating_again_keeps_the_acta_as_it_is(held, consumer):
    acta = Acta.objects.get(hearing=held)
    acta_confirm(hearing=held, by=consumer)
    again = acta_generate(hearing_id=held.pk)
    assert again is not None
    assert (again.pk, again.sha256, again.file.name) == (acta.pk, acta.sha256, acta.file.name)
    assert held.complaint.events.filter(action="acta_generated").count() == 1


def test_no_acta_is_generated_before_there_is_an_outcome(consumer, company, officer, conciliator):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    assert acta_generate(hearing_id=hearing.pk) is None
    assert not Acta.objects.exists()


def test_an_absence_acta_says_until_when_the_absence_can_be_justified(
    consumer, company, officer, conciliator, django_capture_on_commit_callbacks
):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    with django_capture_on_commit_callbacks(execute=True):
        outcome_record(hearing=hearing, by=conciliator, outcome="company_absent")
    acta = Acta.objects.get(hearing=hearing)
    with acta.file.open("rb") as handle:
        text = read_text(handle.read())
    hearing.complaint.refresh_from_db()
    assert timezone.localtime(hearing.complaint.justification_due_at).strftime("%Y") in text
    assert "María González" in text


# --- Confirmations ------------------------------------------------------------------------------


def test_a_party_confirms_from_their_account_and_the_confirmation_keeps_the_hash(held, consumer, client_for):
    acta = Acta.objects.get(hearing=held)
    page = client_for(consumer).get(reverse("acta_confirm", args=[held.pk])).content.decode()
    assert acta.sha256 in page
    assert reverse("acta_download", args=[held.pk]) in page
    response = client_for(consumer).post(
        reverse("acta_confirm", args=[held.pk]), {"sha256": acta.sha256, "agree": "on"}
    )
    assert response.status_code == 302
    confirmation = ActaConfirmation.objects.get(acta=acta, user=consumer)
    assert (confirmation.party, confirmation.sha256) == ("consumer", acta.sha256)
    assert timezone.now() - confirmation.confirmed_at < timedelta(minutes=1)
    assert held.complaint.events.filter(action="acta_confirmed", actor=consumer).exists()


def test_a_confirmation_of_another_version_is_refused(held, consumer, client_for):
    response = client_for(consumer).post(
        reverse("acta_confirm", args=[held.pk]), {"sha256": "0" * 64, "agree": "on"}, follow=True
    )
    assert "The acta changed after you opened it" in response.content.decode()
    assert not ActaConfirmation.objects.exists()


def test_each_person_confirms_once(held, representative):
    acta_confirm(hearing=held, by=representative)
    with pytest.raises(HearingError, match="You already confirmed this acta"):
        acta_confirm(hearing=held, by=representative)
    assert ActaConfirmation.objects.filter(user=representative).count() == 1


def test_the_conciliator_confirms_too_but_the_office_does_not(held, conciliator, officer):
    assert acta_confirm(hearing=held, by=conciliator).party == "conciliator"
    with pytest.raises(HearingError, match="Only the parties"):
        acta_confirm(hearing=held, by=officer)


@pytest.mark.parametrize(
    ("role", "expected"),
    [("consumer", 200), ("representative", 200), ("officer", 200), ("conciliator", 200), ("stranger", 404)],
)
def test_the_acta_is_downloaded_by_the_parties_and_the_office_only(request, held, client_for, role, expected):
    user = request.getfixturevalue(role)
    response = client_for(user).get(reverse("acta_download", args=[held.pk]))
    assert response.status_code == expected
    if expected == 200:
        assert response["Content-Type"] == "application/pdf"
        assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == Acta.objects.get().sha256


def test_a_representative_of_another_company_gets_a_404(held, other_company, client_for):
    outsider = make_user("lucia@conectar.test", Role.REPRESENTATIVE)
    Representation.objects.create(user=outsider, company=other_company)
    assert client_for(outsider).get(reverse("acta_download", args=[held.pk])).status_code == 404
    assert client_for(outsider).post(reverse("acta_confirm", args=[held.pk]), {"agree": "on"}).status_code == 404
