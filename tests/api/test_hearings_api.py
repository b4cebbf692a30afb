"""GET /api/v1/hearings and /hearings/{id}/ics: the hearings of the key's company's cases, in calendar
order, filtered and paged; each one's invitation; each one's acta (/acta, /acta.pdf) once generated, the
document whose SHA-256 POST /acta/confirm sends back. Another company's hearing is a 404 like a
missing one."""

import hashlib
from datetime import datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.models import Scope
from hearings.models import Acta, ActaConfirmation, Hearing
from tests.api.conftest import API, make_key
from tests.complaints.factories import served_case
from tests.hearings.factories import next_weekday_at, scheduled_hearing
from tests.hearings.test_outcome_support import agreement_at, attend, hearing_under_way

pytestmark = pytest.mark.django_db

HEARINGS = f"{API}/hearings"


@pytest.fixture
def hearing(consumer, company, officer, conciliator, served) -> Hearing:
    return scheduled_hearing(consumer, company, officer, conciliator, complaint=served)


@pytest.fixture
def held(consumer, company, representative, officer, conciliator, django_capture_on_commit_callbacks) -> Hearing:
    """A hearing both parties attended, ended in an agreement, its acta generated (a real PDF)."""
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    start = hearing.starts_at
    attend(hearing, conciliator, "conciliator", joined=start - timedelta(minutes=3))
    attend(hearing, consumer, "consumer", joined=start + timedelta(minutes=2), left=start + timedelta(minutes=41))
    attend(hearing, representative, "company", joined=start + timedelta(minutes=7), left=start + timedelta(minutes=40))
    with django_capture_on_commit_callbacks(execute=True):
        agreement_at(hearing, conciliator)
    hearing.refresh_from_db()
    return hearing


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
    assert item["acta"] is None  # not held yet
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


@pytest.mark.parametrize("query", ["to=9999-12-31", "from=9999-12-31", "from=0001-01-01"])
def test_a_day_out_of_range_is_a_400_not_a_500(api_client, full_key, hearing, query):
    client = api_client(full_key)
    client.raise_request_exception = False

    response = client.get(f"{HEARINGS}?{query}")

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    assert response.json()["errors"][0]["field"] == f"query.{query.split('=')[0]}"


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
        # The key (and whether its creator still represents the company); the pages' scoping rule
        # (hearings_visible_to → complaints_visible_to: the person's companies, read once per request,
        # then their served parts after the lead); the page (hearings ⋈ case ⋈ conciliator, narrowed
        # to the company's served parts); the ApiCall row.
        assert len(queries) == 5, "\n".join(q["sql"][:400] for q in queries.captured_queries)
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


# --- The acta --------------------------------------------------------------------------------------


def test_a_key_reads_the_acta_downloads_it_and_confirms_that_document(api_client, full_key, held, representative):
    acta = Acta.objects.get(hearing=held)
    api = api_client(full_key)

    response = api.get(f"{HEARINGS}/{held.pk}/acta")

    assert response.status_code == 200, response.content
    body = response.json()
    generated_at = datetime.fromisoformat(body.pop("generated_at"))  # to the millisecond, in the office's time
    assert acta.generated_at is not None
    assert abs(generated_at - acta.generated_at) < timedelta(milliseconds=1)
    assert generated_at.utcoffset() == timezone.localtime(acta.generated_at).utcoffset()
    assert body == {
        "id": acta.pk,
        "hearing_id": held.pk,
        "sha256": acta.sha256,
        "pdf_url": f"http://testserver/api/v1/hearings/{held.pk}/acta.pdf",
    }
    pdf = api.get(body["pdf_url"])
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == f'attachment; filename="acta-{held.complaint.number}-{held.pk}.pdf"'
    assert pdf["Cache-Control"] == "private, no-store"
    content = b"".join(pdf.streaming_content)
    assert content.startswith(b"%PDF")
    assert hashlib.sha256(content).hexdigest() == body["sha256"]  # the document the hash names

    confirmed = api.post_json(f"{HEARINGS}/{held.pk}/acta/confirm", {"sha256": body["sha256"]})

    assert confirmed.status_code == 201, confirmed.content
    assert ActaConfirmation.objects.get(acta=acta, user=representative).sha256 == acta.sha256


def test_a_read_only_key_reads_the_acta_and_a_key_without_read_does_not(
    api_client, read_key, held, company, representative
):
    answer_only = make_key(company, representative, [Scope.ANSWER], name="Respuestas")

    assert api_client(read_key).get(f"{HEARINGS}/{held.pk}/acta").status_code == 200
    refused = api_client(answer_only).get(f"{HEARINGS}/{held.pk}/acta.pdf")
    assert refused.status_code == 403
    assert refused.json()["code"] == "scope_missing"


def test_the_list_names_each_hearing_acta_in_a_constant_number_of_queries(api_client, full_key, held, hearing):
    acta = Acta.objects.get(hearing=held)
    api = api_client(full_key)
    api.get(HEARINGS)  # the first call of the minute writes last_used_at

    with CaptureQueriesContext(connection) as queries:
        items = api.get(HEARINGS).json()["items"]

    # The key; the pages' scoping rule (two); the page (hearings ⋈ case ⋈ conciliator ⋈ acta); the
    # ApiCall row: the same as without actas, whatever the number of hearings that have one.
    assert len(queries) == 5, "\n".join(q["sql"][:400] for q in queries.captured_queries)
    by_id = {item["id"]: item["acta"] for item in items}
    assert by_id == {held.pk: {"id": acta.pk, "sha256": acta.sha256}, hearing.pk: None}


def test_an_acta_not_generated_yet_is_a_404_and_null_in_the_list(api_client, full_key, held, hearing):
    Acta.objects.filter(hearing=held).update(sha256="", generated_at=None)  # the page's rule: not ready
    api = api_client(full_key)

    for hearing_id in (held.pk, hearing.pk):  # an acta not ready; no acta at all
        for path in ("acta", "acta.pdf"):
            response = api.get(f"{HEARINGS}/{hearing_id}/{path}")
            assert response.status_code == 404, (hearing_id, path)
            assert response.json()["code"] == "not_found"
    assert [item["acta"] for item in api.get(HEARINGS).json()["items"]] == [None, None]


def test_another_company_acta_is_a_404_like_a_missing_one(api_client, rival, held):
    api = api_client(rival.key)

    for path in ("acta", "acta.pdf"):
        theirs = api.get(f"{HEARINGS}/{held.pk}/{path}")
        missing = api.get(f"{HEARINGS}/999999/{path}")
        assert theirs.status_code == missing.status_code == 404
        assert theirs.json() == missing.json()
    assert api.get(HEARINGS).json()["items"] == []
