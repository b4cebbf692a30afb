"""The case page under load (issue 16, "pages under load"): its reads do not grow with the case's
history, a choice's label is looked up rather than rebuilt for every event, the office's flag form is
drawn once per language and set of categories, and the moves on offers are asked once."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from complaints import policy, services
from complaints.forms.office import VulnerableFlagForm
from complaints.models import CaseEvent, Complaint
from complaints.vulnerability import CATEGORIES
from parties.models import Representation
from tests.complaints.factories import served_case
from tests.conftest import log_in

pytestmark = pytest.mark.django_db


def page_of(client: Client, case: Complaint) -> str:
    response = client.get(reverse("complaint_detail", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def offered_and_rejected(case: Complaint, representative, consumer) -> None:
    """Two more events (the offer, its rejection), one more offer, and messages to both sides."""
    offer = services.offer_make(
        complaint=case,
        by=representative,
        terms="Cambio de la heladera por una nueva",
        fulfil_by=timezone.localdate() + timedelta(days=15),
        amount=None,
    )
    services.offer_reject(offer=offer, by=consumer)


def tables_read(queries: list[dict]) -> list[str]:
    return [match[1] for query in queries if (match := re.match(r'SELECT .*? FROM "(\w+)"', query["sql"], re.DOTALL))]


def test_the_office_s_page_reads_as_much_for_a_long_history_as_for_a_short_one(
    consumer, company, representative, officer, client_for
):
    case = served_case(consumer, company, officer)
    client = client_for(officer)
    page_of(client, case)  # the session's first-request work
    with CaptureQueriesContext(connection) as short:
        page_of(client, case)
    for _ in range(4):
        offered_and_rejected(case, representative, consumer)
    with CaptureQueriesContext(connection) as long:
        page = page_of(client, case)
    # The timeline, the offers and the delivery record are each one read, however long.
    assert len(long) == len(short), [query["sql"][:80] for query in long.captured_queries]
    assert CaseEvent.objects.filter(complaint=case).count() == 3 + 8
    assert page.count("Offer of ") == 4


@pytest.mark.parametrize("language", ["en", "es-ar"])
def test_each_event_shows_its_states_and_who_moved_it_in_the_reader_s_language(
    consumer, company, representative, officer, language
):
    case = served_case(consumer, company, officer)
    offered_and_rejected(case, representative, consumer)
    page = page_of(log_in(Client(HTTP_ACCEPT_LANGUAGE=language), officer), case)
    events = CaseEvent.objects.filter(complaint=case).select_related("actor")
    with translation.override(language):
        moves = [
            f"{e.get_from_state_display()} → {e.get_to_state_display()}"
            for e in events
            if e.from_state and e.to_state and e.from_state != e.to_state
        ]
        actors = [f"{e.actor.display_name} · {e.actor.get_role_display()}" for e in events if e.actor]
    assert moves and actors
    for words in moves + actors:
        assert words in page, words
    with translation.override(language):
        assert str(case.get_channel_display()) in page


def flag_form(categories: list[str]) -> str:
    return VulnerableFlagForm(initial={"categories": categories}, auto_id="vulnerable-%s").render()


@pytest.mark.parametrize("language", ["en", "es-ar"])
def test_the_flag_form_is_the_form_for_the_case_s_categories(consumer, company, officer, language):
    case = served_case(consumer, company, officer)
    client = log_in(Client(HTTP_ACCEPT_LANGUAGE=language), officer)
    first, second = CATEGORIES[0][0], CATEGORIES[1][0]
    with translation.override(language):
        unflagged, flagged = flag_form([]), flag_form([first, second])
    assert unflagged != flagged
    assert unflagged in page_of(client, case)
    Complaint.objects.filter(pk=case.pk).update(vulnerable=True, vulnerable_categories=[first, second])
    page = page_of(client, case)
    assert flagged in page and unflagged not in page  # kept per set of categories, not per page


# `complaints.states.represents`: an EXISTS over the representative's companies in the case.
REPRESENTS = re.compile(r'^SELECT 1 AS "a" FROM "parties_representation" INNER JOIN "parties_company"')


def test_a_representative_s_page_asks_once_whether_they_represent_the_company(
    consumer, company, representative, officer, client_for
):
    case = served_case(consumer, company, officer)
    client = client_for(representative)
    page_of(client, case)
    with CaptureQueriesContext(connection) as queries:
        page = page_of(client, case)
    assert "Make an offer to the consumer" in page and "Answer the complaint in writing" in page
    assert "Schedule a hearing" not in page
    # Asked by the view, then known to every rule of every panel (offers, hearings) while the page is
    # drawn: not once more by each of them.
    asked = [query["sql"] for query in queries.captured_queries if REPRESENTS.match(query["sql"])]
    assert len(asked) == 1, asked
    # The companies: those the representative's cases are seen through (visibility), the case's for
    # every panel, and those the representative acts for (`{% offer_moves %}`, once for both parts).
    assert tables_read(queries.captured_queries).count("complaints_casecompany") == 3


def test_what_the_page_knew_of_the_reader_is_forgotten_after_it(consumer, company, representative, officer):
    case = served_case(consumer, company, officer)
    with policy.company_side_known(representative, case, True):
        with policy.company_side_known(representative, case, False):
            assert not policy.represents_case(representative, case)
        assert policy.represents_case(representative, case)  # the outer answer, as it was
    assert not hasattr(representative, "_policy_company_side")
    Representation.objects.filter(user=representative).update(revoked_at=timezone.now())
    assert not policy.represents_case(representative, case)  # asked anew, after the revocation
