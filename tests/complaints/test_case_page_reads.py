"""The case page reads each record once: the hash chain is checked on the events the timeline read,
and the hearings panel takes the companies and offers the page read; the blank form to name a
representative is drawn once per language (issue 16, pages under load)."""

import re

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from complaints import services
from complaints.forms.representatives import ConsumerRepForm
from complaints.integrity import EVENT_FIELDS, HEAD_FIELDS, check_chain, verify_case, verify_read
from complaints.models import CaseEvent, Complaint
from tests.complaints.factories import served_case
from tests.complaints.tampering import as_a_dba
from tests.conftest import log_in
from tests.hearings.test_case_file_hearings import past_hearing


def events_of(case: Complaint) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(complaint=case).select_related("actor").order_by("created_at", "pk"))


def tables_read(queries: list[dict]) -> list[str]:
    """The table each SELECT reads from (its FROM), in order."""
    return [match[1] for query in queries if (match := re.match(r'SELECT .*? FROM "(\w+)"', query["sql"], re.DOTALL))]


# --- The chain, checked on what the page read ---------------------------------------------------


def test_an_intact_record_is_checked_without_reading_it_again(consumer, company, officer, django_assert_num_queries):
    case = served_case(consumer, company, officer)
    case, events = Complaint.objects.get(pk=case.pk), events_of(case)
    with django_assert_num_queries(0):
        assert verify_read(case, events) == []


def test_an_edited_event_is_found_as_verify_case_finds_it(consumer, company, officer):
    case = served_case(consumer, company, officer)
    admitted = CaseEvent.objects.get(complaint=case, action="admit")
    with as_a_dba():
        CaseEvent.objects.filter(pk=admitted.pk).update(reason="Rechazado por duplicado.")
    case = Complaint.objects.get(pk=case.pk)
    found = verify_read(case, events_of(case))
    assert [(b.kind, b.event_id) for b in found] == [("edited", admitted.pk)]
    assert found == verify_case(case)


def test_a_case_row_edited_behind_the_application_is_a_break(consumer, company, officer):
    case = served_case(consumer, company, officer)
    Complaint.objects.filter(pk=case.pk).update(status="referred")
    case = Complaint.objects.get(pk=case.pk)
    assert {b.kind for b in verify_read(case, events_of(case))} == {"seal", "status"}


def test_a_move_between_reading_the_case_and_its_events_is_not_a_break(consumer, company, officer):
    case = served_case(consumer, company, officer)
    read_first = Complaint.objects.get(pk=case.pk)
    services.complaint_withdraw(complaint=Complaint.objects.get(pk=case.pk), by=consumer, reason="Ya no hace falta.")
    events = events_of(case)  # one more event than the case read above knows of
    head = tuple(getattr(read_first, name) for name in HEAD_FIELDS)
    rows = [tuple(getattr(event, name) for name in EVENT_FIELDS) for event in events]
    assert check_chain(head, rows)  # the two reads, taken together, disagree…
    assert verify_read(read_first, events) == []  # …so both are read again, as one snapshot


# --- The page -----------------------------------------------------------------------------------


def test_the_office_case_page_reads_each_record_once(
    consumer, company, representative, officer, conciliator, client_for
):
    case = served_case(consumer, company, officer)
    past_hearing(case, conciliator, consumer, representative, days_ago=20)
    client = client_for(officer)
    client.get(reverse("complaint_detail", args=[case.pk]))  # the session's first-request work
    with CaptureQueriesContext(connection) as page:
        response = client.get(reverse("complaint_detail", args=[case.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Record integrity verified: the hash chain of 3 events is intact." in html
    assert "SHA-256 0000" in html  # the hearings panel, with its acta
    tables = tables_read(page.captured_queries)
    # The case, its companies and its events once each: the chain is checked on the timeline's events
    # and the hearings panel takes the companies the page read.
    assert tables.count("complaints_complaint") == 1, tables
    assert tables.count("complaints_casecompany") == 1, tables
    assert tables.count("complaints_caseevent") == 1, tables
    # 1 session, 2 user, 3 MFA (middleware); the case; its companies, offers, evidence, events, answers,
    # formal notices (_case_record); 3 the delivery record; the inbox count (header); paper notices,
    # company and consumer representatives (panels); the hearings panel: hearings, attendance, acta
    # confirmations, recordings, justifications, part outcomes, agreements; legal proceedings; the
    # access log's INSERT.
    assert len(page) == 26, [query["sql"][:80] for query in page.captured_queries]


def test_the_blank_representative_form_is_the_form_in_the_readers_language(consumer, company, officer, client_for):
    case = served_case(consumer, company, officer)
    url = reverse("complaint_detail", args=[case.pk])
    english = client_for(officer).get(url).content.decode()
    spanish = log_in(Client(HTTP_ACCEPT_LANGUAGE="es-AR"), officer).get(url).content.decode()
    with translation.override("en"):
        assert ConsumerRepForm(prefix="rep").render() in english
    with translation.override("es-ar"):
        in_spanish = ConsumerRepForm(prefix="rep").render()
    assert in_spanish in spanish
    assert in_spanish not in english  # each language its own, though both are kept
