"""Homologation as an act: only the director or a delegate homologates, by a disposición PDF that is
numbered without gaps each year, hashed, sealed with the office's key and written into the case's
chain; each party downloads it, a stranger gets a 404; the director delegates and withdraws."""

import hashlib
from datetime import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from complaints import integrity
from complaints import services as case_services
from complaints.models import CaseEvent, ConsumerRepresentative, Offer
from complaints.states import State
from hearings.errors import HearingError
from hearings.models import DelegationChange, Disposition
from hearings.services import disposition as disposition_services
from hearings.services.acta import acta_confirm
from hearings.services.approval import agreement_approve
from parties.models import PowerStatus
from tests.complaints.factories import served_case
from tests.conftest import make_user
from tests.hearings.test_outcome_support import (
    TERMS,
    agreement_at,
    compliance_day,
    hearing_under_way,
    read_text,
)


@pytest.fixture
def agreed(consumer, company, officer, conciliator, representative, django_capture_on_commit_callbacks):
    """A case whose hearing ended in an agreement, the acta confirmed by both parties."""
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    with django_capture_on_commit_callbacks(execute=True):
        agreement_at(hearing, conciliator)
    for party in (consumer, representative):
        acta_confirm(hearing=hearing, by=party)
    hearing.complaint.refresh_from_db()
    return hearing.complaint


def approve_url(case) -> str:
    return reverse("agreement_approve", args=[case.pk])


# --- Who homologates ------------------------------------------------------------------------------


def test_it_refuses_an_officer_and_a_supervisor_without_the_delegation(agreed, officer, supervisor, client_for):
    for person in (officer, supervisor):
        with pytest.raises(HearingError, match="director"):
            agreement_approve(complaint=agreed, by=person)
        assert client_for(person).post(approve_url(agreed)).status_code == 403
        page = client_for(person).get(reverse("complaint_detail", args=[agreed.pk]))
        assert approve_url(agreed) not in page.content.decode()
    agreed.refresh_from_db()
    assert agreed.status == State.AGREEMENT
    assert not Disposition.objects.exists()


def test_it_offers_the_director_the_button_and_homologates(agreed, director, client_for):
    page = client_for(director).get(reverse("complaint_detail", args=[agreed.pk]))
    assert page.status_code == 200
    assert approve_url(agreed) in page.content.decode()

    response = client_for(director).post(approve_url(agreed), follow=True)

    agreed.refresh_from_db()
    assert agreed.status == State.AGREEMENT_APPROVED
    disposition = Disposition.objects.get(complaint=agreed)
    assert (disposition.signed_by, disposition.signed_as) == (director, Disposition.SignedAs.DIRECTOR)
    assert disposition.label in response.content.decode()
    assert reverse("disposition_download", args=[agreed.pk]) in response.content.decode()


def test_a_double_submit_homologates_once(agreed, director, client_for):
    client = client_for(director)
    client.post(approve_url(agreed))
    client.post(approve_url(agreed))
    assert Disposition.objects.filter(complaint=agreed).count() == 1
    assert CaseEvent.objects.filter(complaint=agreed, action="disposition_issued").count() == 1


def test_a_delegate_homologates_once_granted_and_not_after_it_is_withdrawn(agreed, director, officer, client_for):
    client_for(director).post(reverse("homologation_delegation_toggle", args=[officer.pk]), {"grant": "1"})
    officer.refresh_from_db()
    assert officer.may_homologate
    page = client_for(officer).get(reverse("complaint_detail", args=[agreed.pk]))
    assert approve_url(agreed) in page.content.decode()

    client_for(director).post(reverse("homologation_delegation_toggle", args=[officer.pk]), {"grant": "0"})
    officer.refresh_from_db()
    assert not officer.may_homologate
    assert client_for(officer).post(approve_url(agreed)).status_code == 403

    client_for(director).post(reverse("homologation_delegation_toggle", args=[officer.pk]), {"grant": "1"})
    officer.refresh_from_db()
    agreement_approve(complaint=agreed, by=officer)
    disposition = Disposition.objects.get(complaint=agreed)
    assert (disposition.signed_by, disposition.signed_as) == (officer, Disposition.SignedAs.DELEGATE)
    changes = list(DelegationChange.objects.filter(user=officer).order_by("at", "pk").values_list("granted", "by"))
    assert changes == [(True, director.pk), (False, director.pk), (True, director.pk)]


def test_only_the_director_delegates_and_only_to_officers_and_supervisors(
    director, officer, supervisor, conciliator, client_for
):
    assert client_for(supervisor).get(reverse("homologation_delegation")).status_code == 403
    assert (
        client_for(supervisor).post(reverse("homologation_delegation_toggle", args=[officer.pk]), {"grant": "1"})
    ).status_code == 403
    with pytest.raises(HearingError):
        disposition_services.delegation_set(user=officer, granted=True, by=supervisor)
    assert (
        client_for(director).post(reverse("homologation_delegation_toggle", args=[conciliator.pk]), {"grant": "1"})
    ).status_code == 404
    officer.refresh_from_db()
    assert not officer.may_homologate
    page = client_for(director).get(reverse("homologation_delegation"), {"q": "Pereyra"})
    assert officer.email in page.content.decode() and supervisor.email not in page.content.decode()


def test_a_repeated_grant_changes_nothing(director, officer):
    disposition_services.delegation_set(user=officer, granted=True, by=director)
    disposition_services.delegation_set(user=officer, granted=True, by=director)
    assert DelegationChange.objects.filter(user=officer).count() == 1


# --- The disposición ----------------------------------------------------------------------------------


def test_the_disposition_says_what_was_homologated_and_verifies(agreed, director):
    agreement_approve(complaint=agreed, by=director)
    disposition = Disposition.objects.get(complaint=agreed)
    pdf = disposition.file.read()
    assert hashlib.sha256(pdf).hexdigest() == disposition.sha256
    assert disposition_services.seal_matches(disposition.seal, disposition.sha256)
    assert not disposition_services.seal_matches(disposition.seal, "0" * 64)
    assert disposition_services.disposition_verifies(disposition)

    text = read_text(pdf)
    acta = agreed.hearings.get().acta
    for expected in (disposition.label, agreed.number, TERMS[:40], director.get_full_name(), "24.240", "757"):
        assert expected in text
    assert acta.sha256 in text.replace(" ", "")
    assert "Electrodomésticos del Sur" in text
    assert disposition.content_sha256 in text.replace(" ", "")


def test_the_hash_is_in_the_case_chain_and_the_chain_still_verifies(agreed, director):
    agreement_approve(complaint=agreed, by=director)
    disposition = Disposition.objects.get(complaint=agreed)
    event = CaseEvent.objects.get(complaint=agreed, action="disposition_issued")
    assert disposition.sha256 in event.reason and disposition.seal in event.reason
    assert event.actor == director
    agreed.refresh_from_db()
    assert integrity.verify_case(agreed) == []


def test_a_tampered_file_no_longer_verifies(agreed, director):
    agreement_approve(complaint=agreed, by=director)
    disposition = Disposition.objects.get(complaint=agreed)
    with open(disposition.file.path, "ab") as stored:
        stored.write(b"%")
    assert not disposition_services.disposition_verifies(disposition)


def test_an_offer_agreement_is_homologated_with_the_offer_in_the_disposition(
    consumer, company, representative, officer, director
):
    case = served_case(consumer, company, officer)
    offer = case_services.offer_make(
        complaint=case, by=representative, terms="Cambio de la heladera.", fulfil_by=compliance_day(10), amount=None
    )
    case_services.offer_accept(offer=Offer.objects.get(pk=offer.pk), by=consumer)
    agreement_approve(complaint=case, by=director)
    disposition = Disposition.objects.get(complaint=case)
    text = read_text(disposition.file.read())
    assert "Cambio de la heladera." in text
    assert list(disposition.agreements.all()) == list(case.agreements.all())


def test_numbers_are_gapless_per_year(consumer, company, representative, officer, director):
    def homologate_one() -> Disposition:
        case = served_case(consumer, company, officer)
        offer = case_services.offer_make(
            complaint=case, by=representative, terms="Reintegro.", fulfil_by=compliance_day(10), amount=None
        )
        case_services.offer_accept(offer=Offer.objects.get(pk=offer.pk), by=consumer)
        agreement_approve(complaint=case, by=director)
        return Disposition.objects.get(complaint=case)

    with time_machine.travel(timezone.make_aware(datetime(2026, 12, 30, 10)), tick=False):
        first, second = homologate_one(), homologate_one()
    with time_machine.travel(timezone.make_aware(datetime(2027, 1, 4, 10)), tick=False):
        third = homologate_one()
    assert [(d.year, d.number) for d in (first, second, third)] == [(2026, 1), (2026, 2), (2027, 1)]
    assert third.label == "DI-2027-000001"


def test_a_failed_homologation_gives_its_number_back(agreed, director, monkeypatch):
    def broken(facts: dict) -> bytes:
        raise RuntimeError("WeasyPrint failed")

    monkeypatch.setattr(disposition_services, "render_disposition", broken)
    with pytest.raises(RuntimeError):
        agreement_approve(complaint=agreed, by=director)
    agreed.refresh_from_db()
    assert agreed.status == State.AGREEMENT
    monkeypatch.undo()
    agreement_approve(complaint=agreed, by=director)
    assert Disposition.objects.get(complaint=agreed).number == 1


# --- Who downloads it ------------------------------------------------------------------------------


def test_each_party_downloads_it_and_a_stranger_gets_a_404(
    agreed, director, consumer, representative, officer, stranger, client_for
):
    agreement_approve(complaint=agreed, by=director)
    disposition = Disposition.objects.get(complaint=agreed)
    lawyer = make_user("abogada@estudio.test", first_name="Lucía", last_name="Paz")
    ConsumerRepresentative.objects.create(
        complaint=agreed, user=lawyer, kind="lawyer", power_status=PowerStatus.VALIDATED, named_by=consumer
    )
    url = reverse("disposition_download", args=[agreed.pk])
    for person in (consumer, representative, lawyer, officer, director):
        response = client_for(person).get(url)
        assert response.status_code == 200, person
        assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == disposition.sha256
        assert response["Content-Disposition"].startswith("attachment")
    assert client_for(stranger).get(url).status_code == 404


def test_there_is_nothing_to_download_before_homologation(agreed, consumer, client_for):
    assert client_for(consumer).get(reverse("disposition_download", args=[agreed.pk])).status_code == 404


# --- The director's list -----------------------------------------------------------------------------


def test_the_director_home_lists_agreements_awaiting_homologation(agreed, director, client_for):
    page = client_for(director).get(reverse("home"))
    assert page.status_code == 200
    assert agreed.number in page.content.decode()
    assert agreed.number not in client_for(director).get(reverse("home"), {"q": "nadie-asi"}).content.decode()
    agreement_approve(complaint=agreed, by=director)
    assert agreed.number not in client_for(director).get(reverse("home")).content.decode()


def test_the_queue_reads_a_fixed_number_of_queries(
    consumer, company, representative, officer, director, client_for, django_assert_max_num_queries
):
    for _n in range(3):
        case = served_case(consumer, company, officer)
        offer = case_services.offer_make(
            complaint=case, by=representative, terms="Reintegro.", fulfil_by=compliance_day(10), amount=None
        )
        case_services.offer_accept(offer=Offer.objects.get(pk=offer.pk), by=consumer)
    client = client_for(director)
    client.get(reverse("homologation_queue"))  # warm the session
    # session and user, the capped count, the page's rows (with their company), the navigation's
    # own reads: the same for 3 rows as for 25.
    with django_assert_max_num_queries(12):
        page = client.get(reverse("homologation_queue"))
    assert page.status_code == 200 and page.content.decode().count("/reclamos/") >= 3


def test_only_who_may_homologate_sees_the_queue(director, officer, client_for):
    assert client_for(officer).get(reverse("homologation_queue")).status_code == 403
    officer.may_homologate = True
    officer.save(update_fields=["may_homologate"])
    assert client_for(officer).get(reverse("homologation_queue")).status_code == 200
    assert client_for(director).get(reverse("homologation_queue")).status_code == 200
