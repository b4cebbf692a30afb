"""schemathesis against the OpenAPI document the app serves (/api/v1/openapi.json), in-process through
the WSGI application: every operation, with a valid key holding every scope, answers no 500 and only
what the document says (status, headers, body schema). Then the stranger checks: for every operation
that takes an id, another company's id answers exactly as a missing one.

Deterministic and short: a few examples per operation (explicit examples, then generated ones,
derandomized), no shrinking. Runs on PostgreSQL in CI like the rest of the suite."""

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from ninja.responses import NinjaJSONEncoder
from schemathesis.checks import positive_data_acceptance

from api.company_api import api
from api.errors import COMMON_ERRORS
from complaints.services import offers as offer_services
from config.wsgi import application
from hearings.models import Acta
from tests.api.conftest import API, ApiClient, Rival
from tests.complaints.factories import PDF_BYTES
from tests.hearings.factories import next_weekday_at, scheduled_hearing

pytestmark = pytest.mark.django_db

OPENAPI = f"{API}/openapi.json"
MISSING_ID = 987_654_321


@pytest.fixture
def _same_connection() -> Iterator[None]:
    """The WSGI handler closes "old" connections when a request starts and ends, which inside the
    test's transaction would poison it; Django's own test client disconnects the same receiver."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _room_for_many_calls(settings) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 100_000  # many calls a minute with one key: not what is tested here


# The document the app serves, built once at collection (it needs no database), run against the WSGI
# application in-process (the test's own database connection and transaction). `test_the_served_
# document_is_the_one_tested` proves it is the document /api/v1/openapi.json serves. (Not
# `schemathesis.pytest.from_fixture`: its lazy loader reads `Node._nodeid`, which pytest 9.2 removed.)
schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = application


@schema.parametrize()
@settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_what_the_document_says(case, _same_connection, full_key, served, rival):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {full_key.token}"},
        # A request the schema allows may still be refused with the documented 400: a cursor whose
        # signature does not hold, an offer due in the past, an empty answer (the page's own forms).
        excluded_checks=[positive_data_acceptance],
    )


# --- The document --------------------------------------------------------------------------------


def test_the_served_document_is_the_one_tested(client):
    served = client.get(OPENAPI).json()

    assert served == json.loads(json.dumps(api.get_openapi_schema(), cls=NinjaJSONEncoder))


def test_every_operation_documents_its_errors(client):
    document = client.get(OPENAPI).json()
    operations = [(path, method, op) for path, item in document["paths"].items() for method, op in item.items()]

    assert len(operations) >= 5
    for path, method, operation in operations:
        documented = {int(code) for code in operation["responses"]}
        assert set(COMMON_ERRORS) <= documented, (method, path, documented)
        error = operation["responses"]["404"]["content"]["application/json"]["schema"]
        assert error == {"$ref": "#/components/schemas/ErrorOut"}, (method, path)
        assert operation.get("security"), (method, path)


def test_the_document_and_its_reference_page_are_served_without_a_key(client):
    document = client.get(OPENAPI)
    page = client.get(f"{API}/docs")

    assert document.status_code == 200
    assert document.json()["info"]["title"] == "Concilia: the companies' API"
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert "<script>" not in html  # no inline script: the page runs under the CSP


# --- Another company's ids -----------------------------------------------------------------------


@pytest.fixture
def rival_ids(rival: Rival, consumer, officer, conciliator) -> dict[str, int]:
    """An object of each kind, of the rival company's case (its hearing with an acta ready, which its
    own parties may read: only the key's company decides the answer)."""
    hearing = scheduled_hearing(consumer, rival.company, officer, conciliator, complaint=rival.case)
    acta = Acta(hearing=hearing, sha256=hashlib.sha256(PDF_BYTES).hexdigest(), generated_at=timezone.now())
    acta.file.save("acta.pdf", ContentFile(PDF_BYTES), save=False)
    acta.save()
    offer = offer_services.offer_make(
        complaint=rival.case,
        by=rival.admin,
        terms="Reintegro total",
        fulfil_by=next_weekday_at(10).date(),
        amount=None,
    )
    evidence = rival.case.evidence.order_by("pk").first()
    assert evidence is not None
    return {
        "case_id": rival.case.pk,
        "evidence_id": evidence.pk,
        "hearing_id": hearing.pk,
        "offer_id": offer.pk,
    }


def minimal_body(operation_id: str) -> dict[str, Any]:
    """A valid request body for each write that takes an id: without one the call would be a 400 on
    its body before the id is looked up, and the check could not fail. A fresh one per call (a file
    is read once)."""
    due = (timezone.localdate() + timedelta(days=10)).isoformat()
    bodies: dict[str, Callable[[], dict[str, Any]]] = {
        "case_answer": lambda: {"data": {"text": "Respondemos."}},
        "offer_make": lambda: {"data": {"terms": "Reintegro", "amount": "1.00", "fulfil_by": due}, "json": True},
        "offer_counter_answer": lambda: {"data": {"accept": True, "fulfil_by": due}, "json": True},
        "acta_confirm": lambda: {"data": {"sha256": "0" * 64}, "json": True},
        "compliance_proof_upload": lambda: {
            "data": {"file": SimpleUploadedFile("recibo.pdf", PDF_BYTES, content_type="application/pdf"), "note": "x"}
        },
    }
    assert operation_id in bodies, f"Give {operation_id} a minimal valid body here."
    return bodies[operation_id]()


def test_another_company_ids_answer_like_missing_ones(full_key, served, rival, rival_ids):
    """Every operation with an id in its path: the rival's id and a missing id get the same answer,
    the 404 — for a write too, sent with a valid body so that only the id can refuse it."""
    document = api.get_openapi_schema()
    api_client = ApiClient(full_key.token)
    assert ApiClient(rival.key.token).get(f"{API}/hearings/{rival_ids['hearing_id']}/acta").status_code == 200
    checked: list[str] = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
            if not names:
                continue
            assert set(names) <= set(rival_ids), (method, path, names)
            theirs = path.format(**{name: rival_ids[name] for name in names})
            missing = path.format(**dict.fromkeys(names, MISSING_ID))
            if method == "get":
                answer, absent = api_client.get(theirs), api_client.get(missing)
            else:

                def send(url: str, operation_id: str = operation["operationId"]) -> Any:
                    body = minimal_body(operation_id)
                    if body.get("json"):
                        return api_client.post_json(url, body["data"])
                    return api_client.post(url, body["data"])

                answer, absent = send(theirs), send(missing)
            assert (answer.status_code, answer.content) == (absent.status_code, absent.content), (method, path)
            assert answer.status_code == 404, (method, path, answer.content)
            assert answer.json()["code"] == "not_found"
            checked.append(operation["operationId"])

    assert {"get_case", "download_evidence", "hearing_ics", "hearing_acta", "hearing_acta_pdf"} <= set(checked)
    assert {"case_answer", "offer_make", "acta_confirm", "compliance_proof_upload"} <= set(checked)
    assert not rival_ids_touched(rival_ids)


def rival_ids_touched(rival_ids: dict[str, int]) -> list[str]:
    """What the key wrote on the rival's case (nothing, or the check above would have failed first)."""
    from complaints.models import CompanyAnswer, Offer
    from hearings.models import ActaConfirmation, ComplianceProof

    touched = []
    if CompanyAnswer.objects.filter(complaint_id=rival_ids["case_id"]).exists():
        touched.append("answer")
    if Offer.objects.filter(complaint_id=rival_ids["case_id"]).count() > 1:
        touched.append("offer")
    if ActaConfirmation.objects.exists() or ComplianceProof.objects.exists():
        touched.append("acta or proof")
    return touched
