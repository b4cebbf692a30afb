"""The hearings panel of the case file: each hearing with who attended and when, the acta with its
hash and confirmations, recordings, justifications, the agreement, and what the viewer may do — read
in a number of queries that does not grow with the hearings."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone

from hearings.models import Acta, ActaConfirmation, Hearing, Recording
from hearings.services.absences import absence_justify
from hearings.services.acta import acta_confirm
from hearings.services.outcome import outcome_record
from tests.complaints.factories import served_case
from tests.hearings.test_outcome_support import agreement_at, attend, hearing_under_way


def page_of(client, case) -> str:
    response = client.get(reverse("complaint_detail", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def hhmm(moment) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


@pytest.fixture
def held(consumer, company, representative, officer, conciliator, django_capture_on_commit_callbacks):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    attend(hearing, consumer, "consumer", joined=hearing.starts_at + timedelta(minutes=3))
    attend(hearing, representative, "company", joined=hearing.starts_at + timedelta(minutes=6))
    with django_capture_on_commit_callbacks(execute=True):
        agreement_at(hearing, conciliator)
    hearing.refresh_from_db()
    return hearing


def test_the_case_file_shows_who_attended_and_when_and_the_acta(held, consumer, client_for):
    acta = Acta.objects.get(hearing=held)
    acta_confirm(hearing=held, by=consumer)
    page = page_of(client_for(consumer), held.complaint)
    panel = page.split('id="hearings-title"')[1].split('id="notices-title"')[0]
    assert "María González" in panel and "Jorge Fernández" in panel
    assert f"joined at {hhmm(held.starts_at + timedelta(minutes=3))}" in panel
    assert f"joined at {hhmm(held.starts_at + timedelta(minutes=6))}" in panel
    assert "Agreement" in panel
    assert reverse("acta_download", args=[held.pk]) in panel
    assert f"SHA-256 {acta.sha256}" in panel
    confirmation = ActaConfirmation.objects.get(user=consumer)
    assert "Confirmed by María González (Consumer)" in panel
    assert formats.date_format(timezone.localtime(confirmation.confirmed_at), "SHORT_DATETIME_FORMAT") in panel
    assert "Still to confirm: company" in panel
    assert held.complaint.agreements.get().terms in panel


def test_a_party_who_has_not_confirmed_is_offered_to_confirm(held, consumer, representative, client_for):
    confirm_url = reverse("acta_confirm", args=[held.pk])
    assert confirm_url in page_of(client_for(representative), held.complaint)
    acta_confirm(hearing=held, by=consumer)
    assert confirm_url not in page_of(client_for(consumer), held.complaint)


def test_the_director_homologates_once_both_parties_confirmed(
    held, consumer, representative, officer, director, client_for
):
    approve_url = reverse("agreement_approve", args=[held.complaint_id])
    page = page_of(client_for(officer), held.complaint)
    assert approve_url not in page
    assert "The agreement can be approved once both parties confirm the acta." in page
    acta_confirm(hearing=held, by=consumer)
    acta_confirm(hearing=held, by=representative)
    assert approve_url not in page_of(client_for(officer), held.complaint)  # not a delegate
    assert approve_url in page_of(client_for(director), held.complaint)
    assert approve_url not in page_of(client_for(consumer), held.complaint)


def test_the_links_to_the_hearing_depend_on_who_looks(
    consumer, company, representative, officer, conciliator, client_for
):
    hearing = hearing_under_way(consumer, company, officer, conciliator, minutes_ago=-60)
    case = hearing.complaint
    room, console, move, cancel = (
        f'href="{reverse(name, args=[hearing.pk])}"'
        for name in ("hearing_room", "hearing_console", "hearing_reschedule", "hearing_cancel")
    )
    for party in (consumer, representative):
        page = page_of(client_for(party), case)
        assert room in page and console not in page and move not in page
    page = page_of(client_for(conciliator), case)
    assert room in page and console in page and move not in page
    page = page_of(client_for(officer), case)
    assert console in page and move in page and cancel in page and room not in page


def test_the_office_is_offered_to_schedule_only_when_the_case_waits_for_a_hearing(
    consumer, company, representative, officer, conciliator, client_for
):
    case = served_case(consumer, company, officer)
    schedule = reverse("hearing_schedule", args=[case.pk])
    assert schedule in page_of(client_for(officer), case)
    assert schedule not in page_of(client_for(consumer), case)
    hearing_under_way(consumer, company, officer, conciliator, complaint=case)
    assert schedule not in page_of(client_for(officer), case)


def test_a_pending_justification_is_shown_with_the_office_s_decision_link(
    consumer, company, representative, officer, conciliator, client_for
):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    outcome_record(hearing=hearing, by=conciliator, outcome="company_absent")
    justification = absence_justify(hearing=hearing, by=representative, text="Paro de transporte.")
    decide = reverse("absence_decide", args=[justification.pk])
    page = page_of(client_for(officer), hearing.complaint)
    assert "Paro de transporte." in page and decide in page
    page = page_of(client_for(consumer), hearing.complaint)
    assert "Paro de transporte." in page and decide not in page


# --- Queries ------------------------------------------------------------------------------------


def past_hearing(case, conciliator, consumer, representative, *, days_ago: int) -> Hearing:
    """An adjourned hearing with everything the panel shows: attendance, an acta confirmed by the
    consumer, a recording."""
    start = timezone.now() - timedelta(days=days_ago)
    hearing = Hearing.objects.create(
        complaint=case,
        conciliator=conciliator,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        status=Hearing.Status.ADJOURNED,
        outcome=Hearing.Outcome.ADJOURNED,
        outcome_recorded_at=start + timedelta(minutes=50),
        outcome_recorded_by=conciliator,
    )
    attend(hearing, consumer, "consumer", joined=start + timedelta(minutes=2), left=start + timedelta(minutes=50))
    attend(hearing, representative, "company", joined=start + timedelta(minutes=4))
    acta = Acta.objects.create(
        hearing=hearing, file=f"actas/{hearing.pk}.pdf", sha256=f"{hearing.pk:064d}", generated_at=start
    )
    ActaConfirmation.objects.create(
        acta=acta, user=consumer, party="consumer", sha256=acta.sha256, confirmed_at=start + timedelta(hours=2)
    )
    Recording.objects.create(hearing=hearing, url=f"https://grabaciones.test/{hearing.pk}", registered_at=start)
    return hearing


def test_the_panel_reads_the_same_number_of_queries_for_one_hearing_or_many(
    consumer, company, representative, officer, conciliator, client_for
):
    case = served_case(consumer, company, officer)
    past_hearing(case, conciliator, consumer, representative, days_ago=20)
    client = client_for(consumer)
    page_of(client, case)  # the session and the first-request work out of the way
    with CaptureQueriesContext(connection) as one:
        page_of(client, case)
    for days_ago in (15, 10, 5):
        past_hearing(case, conciliator, consumer, representative, days_ago=days_ago)
    with CaptureQueriesContext(connection) as four:
        page = page_of(client, case)
    # The panel: hearings (with conciliator, acta), attendance, confirmations (with who), recordings,
    # justifications, the agreement, whether the viewer represents the company — whatever the count.
    assert len(four) == len(one), [q["sql"] for q in four.captured_queries]
    assert page.count("SHA-256 0000") == 4
    assert page.count("grabaciones.test/") == 4
    assert page.count("Confirmed by María González") == 4


def test_the_panel_and_the_console_read_in_spanish(held, consumer, conciliator, client_for):
    for user, url in (
        (consumer, reverse("complaint_detail", args=[held.complaint_id])),
        (conciliator, reverse("hearing_console", args=[held.pk])),
        (consumer, reverse("acta_confirm", args=[held.pk])),
    ):
        client = client_for(user)
        response = client.get(url, headers={"accept-language": "es-AR"})
        assert response.status_code == 200
        assert '<html lang="es-ar"' in response.content.decode()
