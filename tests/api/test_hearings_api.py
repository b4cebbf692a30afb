"""GET /api/v1/hearings and /hearings/{id}/ics: the hearings of the key's company's cases, in calendar
order, filtered and paged; each one's invitation. Another company's hearing is a 404 like a missing one."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hearings.models import Hearing
from tests.api.conftest import API
from tests.complaints.factories import served_case
from tests.hearings.factories import next_weekday_at, scheduled_hearing

pytestmark = pytest.mark.django_db

HEARINGS = f"{API}/hearings"


@pytest.fixture
def hearing(consumer, company, officer, conciliator, served) -> Hearing:
    return scheduled_hearing(consumer, company, officer, conciliator, complaint=served)


@pytest.fixture
def rival_hearing(consumer, officer, conciliator, rival) -> Hearing:
    return scheduled_hearing(
        consumer, rival.company, officer, conciliator, complaint=rival.case, starts_at=next_weekday_at(12)
    )


def test_a_key_lists_the_hearings_of_its_company_cases(api_client, full_key, hearing, rival_hearing):
    response = api_client(full_key).get(HEARINGS)

    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body["items"]] == [hearing.pk]
    item = body["items"][0]
    assert item["case_id"] == hearing.complaint_id
    assert item["status"] == {"code": "scheduled", "label": "Scheduled"}
    assert item["outcome"] is None
    assert item["conciliator"] == "Ana Rodríguez"
    assert item["starts_at"] == timezone.localtime(hearing.starts_at).isoformat()
    assert item["ics_url"].endswith(f"/api/v1/hearings/{hearing.pk}/ics")
    assert body["next_cursor"] is None


def test_hearings_filter_by_dates_and_case(api_client, full_key, hearing, consumer, company, officer, conciliator):
    later_case = served_case(consumer, company, officer)
    later = scheduled_hearing(
        consumer, company, officer, conciliator, complaint=later_case, starts_at=next_weekday_at(10, days_ahead=21)
    )
    api = api_client(full_key)

    def ids(**query) -> list[int]:
        response = api.get(f"{HEARINGS}?{urlencode(query)}")
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    first_day = timezone.localtime(hearing.starts_at).date()
    assert ids() == [hearing.pk, later.pk]
    assert ids(**{"from": (first_day + timedelta(days=1)).isoformat()}) == [later.pk]
    assert ids(to=first_day.isoformat()) == [hearing.pk]
    assert ids(case_id=later_case.pk) == [later.pk]
    assert ids(case_id=999999) == []


def test_the_hearings_cursor_walks_each_once_in_a_constant_number_of_queries(
    api_client, full_key, consumer, company, officer, conciliator
):
    hearings = [
        scheduled_hearing(
            consumer,
            company,
            officer,
            conciliator,
            complaint=served_case(consumer, company, officer),
            starts_at=next_weekday_at(10, days_ahead=7 + 7 * week),
        )
        for week in range(3)
    ]
    api = api_client(full_key)
    api.get(HEARINGS)  # the first call of the minute writes last_used_at
    seen: list[int] = []
    url = f"{HEARINGS}?limit=2"
    while url:
        with CaptureQueriesContext(connection) as queries:
            body = api.get(url).json()
        # The key; the pages' scoping rule (hearings_visible_to → complaints_visible_to: is the person a
        # representative, their companies, their served parts after the lead); the page (hearings ⋈
        # case ⋈ conciliator, narrowed to the company's served parts); the ApiCall row.
        assert len(queries) == 6, "\n".join(q["sql"][:400] for q in queries.captured_queries)
        seen += [item["id"] for item in body["items"]]
        url = f"{HEARINGS}?{urlencode({'limit': 2, 'cursor': body['next_cursor']})}" if body["next_cursor"] else ""

    assert seen == [h.pk for h in hearings]
    assert api.get(f"{HEARINGS}?cursor=nonsense").status_code == 400


def test_a_hearing_invitation_as_ics(api_client, full_key, hearing):
    response = api_client(full_key).get(f"{HEARINGS}/{hearing.pk}/ics")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    content = response.content.decode()
    assert "BEGIN:VCALENDAR" in content and "METHOD:REQUEST" in content
    assert f"UID:{hearing.ical_uid}@concilia" in content


def test_a_cancelled_hearing_invitation_is_its_withdrawal(api_client, full_key, hearing):
    Hearing.objects.filter(pk=hearing.pk).update(status=Hearing.Status.CANCELLED)

    content = api_client(full_key).get(f"{HEARINGS}/{hearing.pk}/ics").content.decode()

    assert "METHOD:CANCEL" in content


def test_another_company_hearing_is_a_404_like_a_missing_one(api_client, full_key, hearing, rival_hearing):
    api = api_client(full_key)

    theirs = api.get(f"{HEARINGS}/{rival_hearing.pk}/ics")
    missing = api.get(f"{HEARINGS}/999999/ics")

    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    assert api.get(f"{HEARINGS}?case_id={rival_hearing.complaint_id}").json()["items"] == []
