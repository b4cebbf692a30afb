"""GET /api/v1/cases and /cases/{id}: a key reads its company's served cases — the pages' scoping
rule narrowed to the company — filtered, in keyset pages, in a constant number of queries; another
company's case is a 404 with the same body as a missing one."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.auth import KeyContext
from api.routers.cases import CaseFilters, case_keys
from api.selectors import cases_for_key
from complaints import services
from complaints.models import CaseCompany, Complaint, PartStatus
from complaints.selectors import complaints_visible_to
from complaints.services import case_parts
from complaints.services.vulnerable import complaint_flag_vulnerable
from complaints.states import State
from oversight.models import Clock, Kind, WhoActs
from parties.models import Company, ConsumerProfile, Representation, Role
from tests.api.conftest import API, make_key
from tests.complaints.factories import draft_case, served_case, submitted_case
from tests.conftest import make_user
from tests.helpers import case_number, explain

pytestmark = pytest.mark.django_db

CASES = f"{API}/cases"


def copies(case: Complaint, how_many: int, *, start: int = 1) -> list[Complaint]:
    """`how_many` more cases served like `case` (the case and its parts), straight into the tables."""
    made = []
    for i in range(start, start + how_many):
        row = Complaint.objects.get(pk=case.pk)
        row.pk = None
        row.number = f"DC-2020-{i:06d}"
        row.save()
        for part in CaseCompany.objects.filter(complaint_id=case.pk):
            part.pk = None
            part.complaint = row
            part.save()
        made.append(row)
    return made


# --- The list --------------------------------------------------------------------------------------


def test_a_key_lists_its_company_served_cases_and_nothing_else(api_client, full_key, served, rival, consumer):
    submitted_case(consumer, full_key.company)  # not served yet: the company does not see it

    response = api_client(full_key).get(CASES)

    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body["items"]] == [served.pk]
    assert body["next_cursor"] is None
    item = body["items"][0]
    assert item["number"] == case_number(served)
    assert item["state"] == {"code": "company_notified", "label": "Company notified"}
    assert item["consumer_name"] == "María González"
    assert item["company_name"] == "Electrodomésticos del Sur S.A."
    assert item["product"] == "Heladera No Frost 360 L"
    assert item["claim"]["type"]["code"] == "replacement"
    part = CaseCompany.objects.get(complaint=served, company=full_key.company)
    assert item["part"]["id"] == part.pk
    assert item["part"]["status"]["code"] == "served"
    assert item["part"]["assignee"] is None
    assert item["url"].endswith(f"/api/v1/cases/{served.pk}")


def test_the_list_shows_the_company_answer_deadline(api_client, full_key, served):
    part = CaseCompany.objects.get(complaint=served, company=full_key.company)
    clock = Clock.objects.get(complaint=served, who_acts=WhoActs.COMPANY, closed_at=None)

    item = api_client(full_key).get(CASES).json()["items"][0]

    assert clock.subject_id == part.pk and clock.kind == Kind.COMPANY_ANSWER
    assert item["deadline"]["kind"] == {"code": "company_answer", "label": "Company's answer and offer"}
    assert item["deadline"]["due_at"] == timezone.localtime(clock.due_at).isoformat()  # the office's time


def test_a_company_named_second_sees_the_case_once_its_part_is_served(
    api_client, consumer, officer, company, representative, rival
):
    """The lead is the rival; our company is second. Admission serves both (both have a domicile)."""
    case = draft_case(consumer, rival.company)
    case_parts.name_company(case, company=company, position=2)
    key = make_key(company, representative)
    assert api_client(key).get(CASES).json()["items"] == []

    services.complaint_admit(complaint=services.complaint_submit(complaint=case, by=consumer), by=officer)

    items = api_client(key).get(CASES).json()["items"]
    assert [item["id"] for item in items] == [case.pk]
    assert items[0]["part"]["position"] == 2
    assert items[0]["company_name"] == "Banco del Plata S.A."


@pytest.fixture
def mixed(consumer, officer, company, rival) -> dict:
    """Cases of several companies, lead and second position, admitted-but-not-served, and drafts."""
    third = Company.objects.create(cuit="30999999995", legal_name="Tercera S.R.L.")  # no domicile
    ours_lead = served_case(consumer, company, officer)
    ours_second = draft_case(consumer, rival.company)
    case_parts.name_company(ours_second, company=company, position=2)
    services.complaint_admit(complaint=services.complaint_submit(complaint=ours_second, by=consumer), by=officer)
    # Admitted, the lead (the third company, without an electronic domicile) awaiting its paper notice:
    # our company, second, was served and sees it.
    waiting = draft_case(consumer, third)
    case_parts.name_company(waiting, company=company, position=2)
    waiting = services.complaint_admit(complaint=services.complaint_submit(complaint=waiting, by=consumer), by=officer)
    # Admitted, our company leading and its notice not yet proven (as with a paper notice in flight).
    unproven = served_case(consumer, company, officer)
    Complaint.objects.filter(pk=unproven.pk).update(status=State.ADMITTED)
    CaseCompany.objects.filter(complaint=unproven).update(notified_at=None, status=PartStatus.NAMED)
    draft_case(consumer, company)
    submitted_case(consumer, company)
    return {"visible": {ours_lead.pk, ours_second.pk, waiting.pk}, "waiting": waiting}


def test_the_key_scope_is_the_pages_scope_narrowed_to_its_company(mixed, full_key, rival, company):
    context = KeyContext(key=full_key.key, company=company, user=full_key.user)
    pages = complaints_visible_to(full_key.user).filter(parts__company=company, parts__notified_at__isnull=False)

    assert set(cases_for_key(context).values_list("pk", flat=True)) == set(pages.values_list("pk", flat=True))
    assert set(cases_for_key(context).values_list("pk", flat=True)) == mixed["visible"]
    assert mixed["waiting"].status == State.ADMITTED
    # The rival's key, on the same data, sees its own two cases (its served one, and ours_second it leads).
    rival_context = KeyContext(key=rival.key.key, company=rival.company, user=rival.admin)
    rival_pages = complaints_visible_to(rival.admin).filter(
        parts__company=rival.company, parts__notified_at__isnull=False
    )
    assert set(cases_for_key(rival_context).values_list("pk", flat=True)) == set(
        rival_pages.values_list("pk", flat=True)
    )


def test_filters_by_state_part_status_dates_and_number(api_client, full_key, served, consumer, officer):
    other = served_case(consumer, full_key.company, officer)
    CaseCompany.objects.filter(complaint=other).update(
        status=PartStatus.NO_AGREEMENT, notified_at=timezone.now() - timedelta(days=40)
    )
    api = api_client(full_key)
    today = timezone.localdate()

    def ids(**query) -> list[int]:
        response = api.get(f"{CASES}?{urlencode(query, doseq=True)}")
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids(state=["company_notified"]) == [other.pk, served.pk]
    assert ids(state=["hearing_scheduled", "agreement"]) == []
    assert ids(part_status="no_agreement") == [other.pk]
    assert ids(received_from=(today - timedelta(days=1)).isoformat()) == [served.pk]
    assert ids(received_to=(today - timedelta(days=30)).isoformat()) == [other.pk]
    assert ids(q=case_number(served)) == [served.pk]
    year, sequence = case_number(served).split("-")[1:]
    assert ids(q=f"{year}-{int(sequence)}") == [served.pk]
    assert ids(q=f"DC-{year}-") == [other.pk, served.pk]


def test_filters_by_deadline(api_client, full_key, served):
    clock = Clock.objects.get(complaint=served, who_acts=WhoActs.COMPANY, closed_at=None)
    due = timezone.localtime(clock.due_at).date()
    api = api_client(full_key)

    assert [i["id"] for i in api.get(f"{CASES}?deadline_before={due.isoformat()}").json()["items"]] == [served.pk]
    before = (due - timedelta(days=1)).isoformat()
    assert api.get(f"{CASES}?deadline_before={before}").json()["items"] == []


def test_filters_by_assignee(api_client, full_key, served, consumer, officer, unvalidated_representative):
    mine = served_case(consumer, full_key.company, officer)
    theirs = served_case(consumer, full_key.company, officer)
    CaseCompany.objects.filter(complaint=mine).update(assignee=full_key.user)
    CaseCompany.objects.filter(complaint=theirs).update(assignee=unvalidated_representative)
    api = api_client(full_key)

    def ids(value: str) -> list[int]:
        return [item["id"] for item in api.get(f"{CASES}?assignee={value}").json()["items"]]

    assert ids("me") == [mine.pk]
    assert ids("none") == [served.pk]
    assert ids(str(unvalidated_representative.pk)) == [theirs.pk]
    item = api.get(f"{CASES}?assignee=me").json()["items"][0]
    assert item["part"]["assignee"] == {"id": full_key.user.pk, "name": "Jorge Fernández"}


@pytest.mark.parametrize(
    "query",
    ["assignee=someone", "state=flying", "limit=0", "limit=101", "q=Gomez", "received_from=yesterday", "cursor=abc"],
)
def test_a_bad_filter_is_a_400_that_says_which(api_client, full_key, query):
    response = api_client(full_key).get(f"{CASES}?{query}")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert response.json()["message"]


@pytest.mark.parametrize(
    "query",
    [
        "received_to=9999-12-31",  # the filter reads up to the next day's start, which 9999 has not
        "deadline_before=9999-12-31",
        "received_from=9999-12-31",
        "received_from=0001-01-01",
        "received_to=1899-12-31",
    ],
)
def test_a_day_out_of_range_is_a_400_not_a_500(api_client, full_key, served, query):
    client = api_client(full_key)
    client.raise_request_exception = False

    response = client.get(f"{CASES}?{query}")

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["errors"][0]["field"] == f"query.{query.split('=')[0]}"
    assert "from 1900-01-01 to 9998-12-31" in body["errors"][0]["message"]


def test_the_last_day_accepted_is_9998_12_31(api_client, full_key, served):
    response = api_client(full_key).get(f"{CASES}?received_to=9998-12-31&deadline_before=9998-12-31")

    assert response.status_code == 200


# --- Keyset pages ----------------------------------------------------------------------------------


def test_the_cursor_walks_every_case_once_while_new_ones_arrive(api_client, full_key, served):
    copies(served, 6)
    expected = set(CaseCompany.objects.filter(company=full_key.company).values_list("complaint_id", flat=True))
    api = api_client(full_key)
    seen: list[int] = []
    url = f"{CASES}?limit=3"
    arrived = 0
    while True:
        body = api.get(url).json()
        seen += [item["id"] for item in body["items"]]
        if arrived == 0:
            # Cases served while the client pages go to the top: the pages already read are not shifted.
            arrived = len(copies(served, 2, start=100))
        if body["next_cursor"] is None:
            break
        url = f"{CASES}?{urlencode({'limit': 3, 'cursor': body['next_cursor']})}"

    assert len(seen) == len(set(seen)) == len(expected) == 7
    assert set(seen) == expected
    assert seen == sorted(seen, reverse=True)


def test_a_tampered_cursor_is_a_400(api_client, full_key, served):
    copies(served, 2)
    api = api_client(full_key)
    cursor = api.get(f"{CASES}?limit=1").json()["next_cursor"]
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")

    response = api.get(f"{CASES}?{urlencode({'cursor': tampered})}")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert response.json()["errors"][0]["field"] == "query.cursor"
    # A hearings cursor is not a cases cursor either.
    from api.cursors import cursor_for

    assert api.get(f"{CASES}?{urlencode({'cursor': cursor_for('hearings', served.pk)})}").status_code == 400


def test_the_list_costs_the_same_queries_for_5_or_50_cases(api_client, full_key, served, unvalidated_representative):
    copies(served, 4)
    CaseCompany.objects.filter(company=full_key.company).update(assignee=unvalidated_representative)
    api = api_client(full_key)
    api.get(CASES)  # last_used_at is written on the first call of the minute: not part of what is compared

    with CaptureQueriesContext(connection) as five:
        assert len(api.get(f"{CASES}?limit=100").json()["items"]) == 5
    copies(served, 45, start=10)
    CaseCompany.objects.filter(company=full_key.company).update(assignee=unvalidated_representative)
    with CaptureQueriesContext(connection) as fifty:
        assert len(api.get(f"{CASES}?limit=100").json()["items"]) == 50

    # The key (with its creator's representation), the page (parts ⋈ case ⋈ lead company ⋈ assignee,
    # with the deadline subqueries), and the ApiCall row.
    assert len(five) == len(fifty) == 3, [q["sql"] for q in fifty.captured_queries]
    page = [q["sql"] for q in fifty.captured_queries if 'FROM "complaints_casecompany"' in q["sql"]]
    assert len(page) == 1


@pytest.mark.postgres
@pytest.mark.parametrize("state", [[], [State.BREACHED], [State.COMPANY_NOTIFIED, State.HEARING_SCHEDULED]])
def test_on_postgresql_a_page_s_keys_are_read_from_indexes_alone(full_key, served, state):
    context = KeyContext(key=full_key.key, company=full_key.company, user=full_key.user)
    keys = case_keys(context, CaseFilters.model_validate({"state": state})).values("pk")[:51]

    plan = explain(keys, off=("seqscan", "bitmapscan"))  # as on a million parts, not a handful

    # The company's parts newest first, with what the filter asks of each (its position, its id),
    # from `casecompany_served`: a state that only old cases are in walks index entries, not rows.
    assert "Index Only Scan using casecompany_served" in plan, plan


# --- One case --------------------------------------------------------------------------------------


def test_a_case_with_its_record(api_client, full_key, served, consumer):
    response = api_client(full_key).get(f"{CASES}/{served.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == served.pk
    assert body["facts"].startswith("La heladera dejó de enfriar")
    assert [c["name"] for c in body["companies"]] == ["Electrodomésticos del Sur S.A."]
    assert body["companies"][0]["is_yours"] is True
    assert [e["name"] for e in body["evidence"]] == ["factura.pdf", "foto-heladera.png"]
    evidence = body["evidence"][0]
    assert evidence["content_type"] == "application/pdf" and len(evidence["sha256"]) == 64
    assert evidence["download_url"].endswith(f"/api/v1/evidence/{evidence['id']}/download")
    actions = [event["action"]["code"] for event in body["timeline"]]
    assert actions[:2] == ["submit", "admit"]
    assert body["timeline"][0]["action"]["label"] == "Complaint submitted"
    assert body["answers"] == [] and body["offers"] == []
    # What the page keeps from the company stays out: the consumer's contact details.
    assert "30123456" not in response.content.decode()
    assert "maria@example.com" not in response.content.decode()


def test_a_case_shows_offers_answers_and_counter_terms(api_client, full_key, served, representative, consumer):
    from complaints.services import offers as offer_services

    services.company_answer(complaint=served, by=representative, text="Enviamos un técnico el lunes.")
    offer = offer_services.offer_make(
        complaint=served,
        by=representative,
        amount=Decimal("100000.00"),
        terms="Reintegro parcial",
        fulfil_by=timezone.localdate() + timedelta(days=10),
    )
    offer_services.offer_reject(offer=offer, by=consumer, counter_amount=Decimal("200000.00"), counter_terms="El total")

    body = api_client(full_key).get(f"{CASES}/{served.pk}").json()

    assert body["answers"][0]["text"] == "Enviamos un técnico el lunes."
    assert body["answers"][0]["author"] == "Jorge Fernández"
    [made] = body["offers"]
    assert made["status"]["code"] == "countered"
    assert made["amount"] == "100000.00" and made["counter_amount"] == "200000.00"
    assert made["counter_terms"] == "El total"


def test_the_consumer_vulnerability_stays_out_of_the_company_timeline(api_client, full_key, served, officer):
    complaint_flag_vulnerable(complaint=served, by=officer, categories=["disability"], note="Usa silla de ruedas")

    body = api_client(full_key).get(f"{CASES}/{served.pk}").json()

    [flagged] = [event for event in body["timeline"] if event["action"]["code"] == "vulnerable_flagged"]
    assert flagged["reason"] == ""
    assert "silla de ruedas" not in str(body)


def test_another_company_case_is_a_404_like_a_missing_one(api_client, full_key, served, rival):
    api = api_client(full_key)

    theirs = api.get(f"{CASES}/{rival.case.pk}")
    missing = api.get(f"{CASES}/999999999")

    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json() == {"code": "not_found", "message": "Not found among your company's cases."}


def test_a_representative_of_a_company_not_yet_served_gets_a_404(api_client, full_key, consumer):
    waiting = submitted_case(consumer, full_key.company)

    assert api_client(full_key).get(f"{CASES}/{waiting.pk}").status_code == 404


# --- Evidence --------------------------------------------------------------------------------------


def test_an_evidence_file_downloads_through_the_page_rule(api_client, full_key, served, rival):
    api = api_client(full_key)
    ours = served.evidence.order_by("pk").first()
    theirs = rival.case.evidence.order_by("pk").first()
    assert ours is not None and theirs is not None

    response = api.get(f"{API}/evidence/{ours.pk}/download")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]
    assert api.get(f"{API}/evidence/{theirs.pk}/download").json() == api.get(f"{API}/evidence/999999/download").json()
    assert api.get(f"{API}/evidence/{theirs.pk}/download").status_code == 404


def test_a_consumer_who_is_also_a_representative_sees_only_the_company_cases(api_client, company, officer, consumer):
    """Her own complaint against another company is hers on the pages, not her company's in the API."""
    person = make_user("ines@electrosur.test", Role.REPRESENTATIVE, first_name="Inés", last_name="Paz")
    ConsumerProfile.objects.create(
        user=person,
        dni="28999111",
        phone="+5491155550000",
        street_address="Corrientes 1234",
        city="CABA",
        province="CABA",
    )
    Representation.objects.create(user=person, company=company, is_admin=True)
    key = make_key(company, person)
    elsewhere = Company.objects.create(
        cuit="30711111112", legal_name="Otra S.A.", electronic_domicile="legales@otra.test"
    )
    own = served_case(person, elsewhere, officer)

    assert own.pk in complaints_visible_to(person).values_list("pk", flat=True)
    assert api_client(key).get(f"{CASES}/{own.pk}").status_code == 404
