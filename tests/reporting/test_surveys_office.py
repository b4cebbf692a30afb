"""The office reads the answers (reporting/views/surveys.py `survey_answers`): supervisors and the
director see every answered survey, newest first, with its score, whether the problem was solved,
whether they would use the service again, the comment and the case; filtered in SQL, paginated, and
in as many queries for a thousand answers as for one."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints.models import CaseCompany, Complaint
from parties.models import Company, User
from reporting.models import Survey
from reporting.views.surveys import ANSWERS_PAGE_SIZE
from tests.conftest import log_in
from tests.reporting.test_surveys_support import answers, closed_served_case, consumer_survey, link

pytestmark = pytest.mark.django_db

URL = reverse("survey_answers")


def answered(
    consumer: User,
    company: Company,
    number: int,
    *,
    respondent: str = Survey.Respondent.CONSUMER,
    satisfaction: int = 4,
    solved: str = "yes",
    would_use_again: bool = True,
    comment: str = "",
    minutes_ago: int = 0,
) -> Survey:
    """An answered survey of a case of its own (rows written directly: the page only reads them)."""
    now = timezone.now()
    case = Complaint.objects.create(consumer=consumer, company=company, number=f"DC-2026-{number:06d}")
    part = None
    if respondent == Survey.Respondent.COMPANY:
        part = CaseCompany.objects.create(complaint=case, company=company, cuit=company.cuit, name=company.legal_name)
    return Survey.objects.create(
        complaint=case,
        respondent=respondent,
        part=part,
        sent_at=now - timedelta(days=2),
        expires_at=now + timedelta(days=28),
        answered_at=now - timedelta(minutes=minutes_ago),
        satisfaction=satisfaction,
        solved=solved,
        would_use_again=would_use_again,
        comment=comment,
    )


def rows_of(page: str) -> list[str]:
    """The case numbers of the table's rows, in order."""
    return [chunk.split("</a>")[0].split(">")[-1] for chunk in page.split('class="fw-bold text-nowrap" href=')[1:]]


def test_a_supervisor_reads_the_answers_newest_first_with_their_comments(
    client_for, supervisor, consumer, company, officer, representative, django_capture_on_commit_callbacks
):
    case = closed_served_case(consumer, company, officer, django_capture_on_commit_callbacks)
    Client(HTTP_ACCEPT_LANGUAGE="en").post(
        link(consumer_survey(case)),
        answers(satisfaction="2", solved="no", would_use_again="no", comment="Nadie me respondió <b>nunca</b>."),
    )
    older = answered(consumer, company, 901, respondent="company", satisfaction=5, comment="Todo bien.", minutes_ago=60)
    answered(consumer, company, 902, satisfaction=3, minutes_ago=30)
    Survey.objects.create(  # sent, not answered: not listed
        complaint=Complaint.objects.create(consumer=consumer, company=company, number="DC-2026-000903"),
        respondent="consumer",
        sent_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=30),
    )

    response = client_for(supervisor).get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert rows_of(page) == [case.number, "DC-2026-000902", "DC-2026-000901"]
    assert f'href="{reverse("complaint_detail", args=[case.pk])}"' in page
    assert "2/5" in page and "Dissatisfied" in page
    assert "Nadie me respondió &lt;b&gt;nunca&lt;/b&gt;." in page  # the comment, escaped
    assert "Todo bien." in page and "Company: Electrodomésticos del Sur S.A." in page
    assert older.part is not None
    assert "<caption" in page and "3 answers" in page
    assert "DC-2026-000903" not in page


def test_the_director_reads_them_too_and_the_rest_of_the_office_does_not(
    client, client_for, director, officer, conciliator, consumer, representative, company
):
    answered(consumer, company, 1, comment="Un comentario que solo lee la oficina.")

    assert "Un comentario que solo lee la oficina." in client_for(director).get(URL).content.decode()
    for person in (officer, conciliator, consumer, representative):
        response = client_for(person).get(URL)
        assert response.status_code == 403
        assert "Un comentario" not in response.content.decode()
    assert client.get(URL).status_code == 302  # to the login page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param({"respondent": "company"}, ["DC-2026-000002"], id="companies"),
        pytest.param({"respondent": "consumer"}, ["DC-2026-000003", "DC-2026-000001"], id="consumers"),
        pytest.param({"satisfaction": "1"}, ["DC-2026-000003"], id="score"),
        pytest.param({"comment": "yes"}, ["DC-2026-000003", "DC-2026-000002"], id="with a comment"),
        pytest.param({"comment": "no"}, ["DC-2026-000001"], id="without"),
        pytest.param({"q": " dc-2026-000002 "}, ["DC-2026-000002"], id="case number"),
        pytest.param({"q": "DC-2026-000009"}, [], id="no such case"),
        pytest.param({"respondent": "consumer", "comment": "yes"}, ["DC-2026-000003"], id="two at once"),
    ],
)
def test_the_filters_narrow_the_list(client_for, supervisor, consumer, company, query, expected):
    answered(consumer, company, 1, satisfaction=4, minutes_ago=30)
    answered(consumer, company, 2, respondent="company", satisfaction=5, comment="Bien.", minutes_ago=20)
    answered(consumer, company, 3, satisfaction=1, comment="Mal.", minutes_ago=10)

    page = client_for(supervisor).get(URL, query).content.decode()

    assert rows_of(page) == expected
    assert ("No answer matches these filters" in page) is (expected == [])
    assert "Clear filters" in page


def test_a_filter_that_is_not_valid_lists_everything_and_never_fails(client_for, supervisor, consumer, company):
    answered(consumer, company, 1)

    response = client_for(supervisor).get(URL, {"satisfaction": "9", "respondent": "nobody", "page": "x"})

    assert response.status_code == 200
    assert rows_of(response.content.decode()) == ["DC-2026-000001"]


def test_the_list_is_paginated_and_keeps_its_filters(client_for, supervisor, consumer, company):
    for number in range(ANSWERS_PAGE_SIZE + 2):
        answered(consumer, company, number + 1, comment="Algo.", minutes_ago=number)

    client = client_for(supervisor)
    first = client.get(URL, {"comment": "yes"}).content.decode()
    second = client.get(URL, {"comment": "yes", "page": "2"}).content.decode()

    assert len(rows_of(first)) == ANSWERS_PAGE_SIZE and rows_of(first)[0] == "DC-2026-000001"
    assert rows_of(second) == ["DC-2026-000026", "DC-2026-000027"]
    assert "?comment=yes&amp;page=2" in first
    assert f"{ANSWERS_PAGE_SIZE + 2} answers" in first


def test_the_page_makes_as_many_queries_for_many_answers_as_for_one(client_for, supervisor, consumer, company):
    client = client_for(supervisor)
    answered(consumer, company, 1, respondent="company")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    one = queries()
    for number in range(2, 40):
        answered(consumer, company, number, respondent="company" if number % 2 else "consumer", comment="Algo.")
    many = queries()

    # The session, the user, the second factor and the header's own; the capped count; the page's
    # rows with their case and company part in one query.
    assert one == many <= 8


def test_the_page_speaks_spanish(supervisor, consumer, company):
    answered(consumer, company, 1, satisfaction=2, solved="partly", would_use_again=False, comment="Regular.")

    page = log_in(Client(HTTP_ACCEPT_LANGUAGE="es-AR"), supervisor).get(URL).content.decode()

    assert '<html lang="es-ar"' in page
    assert "Número de expediente" in page and "Aplicar filtros" in page
    assert "2/5" in page and "Insatisfecho/a" in page and "En parte" in page
    assert "Regular." in page


def test_the_dashboard_links_to_the_answers(client_for, supervisor):
    page = client_for(supervisor).get(reverse("dashboard")).content.decode()

    assert f'href="{URL}"' in page
