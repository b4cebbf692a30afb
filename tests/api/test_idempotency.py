"""Idempotency keys on the API's POSTs, on a real write (the written answer, api/routers/actions.py): a
retry with the same key and the same request does nothing twice and gets the first answer again; the
same key on another request is a 422; a refusal is replayed as it was; two copies sent at once make
one answer; records older than API_IDEMPOTENCY_HOURS are pruned by beat."""

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections
from django.test.client import encode_multipart
from django.utils import timezone

from api.idempotency import idempotency_records_prune
from api.models import ApiCall, IdempotentRequest
from api.tasks import prune_idempotency_records
from complaints.models import CaseEvent, CompanyAnswer
from notifications.models import Notification
from tests.api.conftest import API, ApiClient
from tests.complaints.factories import PDF_BYTES

pytestmark = pytest.mark.django_db


def answer_url(case) -> str:
    return f"{API}/cases/{case.pk}/answer"


def test_a_retry_with_the_same_key_answers_once_and_replays(api_client, full_key, served):
    api = api_client(full_key)

    first = api.post(answer_url(served), {"text": "Enviamos un técnico."}, HTTP_IDEMPOTENCY_KEY="answer-1")
    notices = Notification.objects.count()
    again = api.post(answer_url(served), {"text": "Enviamos un técnico."}, HTTP_IDEMPOTENCY_KEY="answer-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert CompanyAnswer.objects.filter(complaint=served).count() == 1
    assert CaseEvent.objects.filter(complaint=served, action="company_answered").count() == 1
    assert Notification.objects.count() == notices  # nobody is told twice
    assert list(ApiCall.objects.values_list("idempotency_key", "status")) == [("answer-1", 201), ("answer-1", 201)]


def test_the_same_key_on_another_request_is_a_422(api_client, full_key, served):
    api = api_client(full_key)
    api.post(answer_url(served), {"text": "Primera respuesta."}, HTTP_IDEMPOTENCY_KEY="k")

    response = api.post(answer_url(served), {"text": "Otra respuesta."}, HTTP_IDEMPOTENCY_KEY="k")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert [a.text for a in CompanyAnswer.objects.filter(complaint=served)] == ["Primera respuesta."]


def test_keys_are_per_api_key(api_client, company, representative, full_key, read_key, served):
    """Another key of the company may use the same Idempotency-Key for its own request."""
    from tests.api.conftest import make_key

    other = make_key(company, representative, name="Otro sistema")
    api_client(full_key).post(answer_url(served), {"text": "Uno."}, HTTP_IDEMPOTENCY_KEY="same")
    response = api_client(other).post(answer_url(served), {"text": "Dos."}, HTTP_IDEMPOTENCY_KEY="same")

    assert response.status_code == 201
    assert CompanyAnswer.objects.filter(complaint=served).count() == 2


def test_without_the_header_each_post_runs(api_client, full_key, served):
    api = api_client(full_key)
    api.post(answer_url(served), {"text": "Uno."})
    api.post(answer_url(served), {"text": "Uno."})

    assert CompanyAnswer.objects.filter(complaint=served).count() == 2
    assert not IdempotentRequest.objects.exists()


def test_a_refusal_is_stored_and_replayed(api_client, full_key, rival):
    """Another company's case: 404, and the retry gets the same 404 without asking again."""
    api = api_client(full_key)

    first = api.post(answer_url(rival.case), {"text": "Hola."}, HTTP_IDEMPOTENCY_KEY="r1")
    again = api.post(answer_url(rival.case), {"text": "Hola."}, HTTP_IDEMPOTENCY_KEY="r1")

    assert first.status_code == again.status_code == 404
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert IdempotentRequest.objects.get().status_code == 404


def test_a_multipart_retry_with_a_new_boundary_is_the_same_request(api_client, full_key, served):
    from django.core.files.uploadedfile import SimpleUploadedFile

    def post(boundary: str):
        data = {"text": "Adjuntamos la factura.", "attachments": SimpleUploadedFile("f.pdf", PDF_BYTES)}
        return api_client(full_key).post(
            answer_url(served),
            encode_multipart(boundary, data),
            content_type=f"multipart/form-data; boundary={boundary}",
            HTTP_IDEMPOTENCY_KEY="with-file",
        )

    first, again = post("BoundaryOne"), post("BoundaryTwo")

    assert first.status_code == again.status_code == 201, first.content
    assert again.json() == first.json()
    assert len(first.json()["attachments"]) == 1
    assert served.evidence.filter(original_name="f.pdf").count() == 1


@pytest.mark.parametrize("value", ["", "x" * 201, "tab\there", "ñandú"])
def test_a_bad_idempotency_key_is_a_400(api_client, full_key, served, value):
    response = api_client(full_key).post(answer_url(served), {"text": "Uno."}, HTTP_IDEMPOTENCY_KEY=value)

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert not CompanyAnswer.objects.filter(complaint=served).exists()


@pytest.mark.django_db(transaction=True)
def test_two_copies_sent_at_once_make_one_answer(full_key, served):
    """The second waits on the unique index until the first commits, then replays it (PostgreSQL)."""
    barrier = threading.Barrier(2)
    responses: list = []

    def send() -> None:
        try:
            barrier.wait(timeout=10)
            client = ApiClient(full_key.token)
            responses.append(client.post(answer_url(served), {"text": "Una vez."}, HTTP_IDEMPOTENCY_KEY="race"))
        finally:
            close_old_connections()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(r.status_code for r in responses) == [201, 201]
    assert responses[0].json() == responses[1].json()
    assert sum(r.has_header("Idempotent-Replayed") for r in responses) == 1
    assert CompanyAnswer.objects.filter(complaint=served).count() == 1


# --- Records are kept API_IDEMPOTENCY_HOURS, then beat deletes them -------------------------------


def test_records_older_than_the_setting_are_pruned_in_batches(api_client, full_key, served, settings):
    settings.API_IDEMPOTENCY_HOURS = 24
    api = api_client(full_key)
    for n in range(5):
        api.post(answer_url(served), {"text": f"Respuesta {n}."}, HTTP_IDEMPOTENCY_KEY=f"old-{n}")
    api.post(answer_url(served), {"text": "Reciente."}, HTTP_IDEMPOTENCY_KEY="recent")
    now = timezone.now()
    IdempotentRequest.objects.exclude(idempotency_key="recent").update(created_at=now - timedelta(hours=25))
    IdempotentRequest.objects.filter(idempotency_key="recent").update(created_at=now - timedelta(hours=23))

    assert idempotency_records_prune(now=now, batch_size=2) == 5

    assert list(IdempotentRequest.objects.values_list("idempotency_key", flat=True)) == ["recent"]
    # A forgotten key starts a new request; a remembered one still replays.
    again = api.post(answer_url(served), {"text": "Respuesta 0."}, HTTP_IDEMPOTENCY_KEY="old-0")
    replay = api.post(answer_url(served), {"text": "Reciente."}, HTTP_IDEMPOTENCY_KEY="recent")
    assert (again.status_code, again.has_header("Idempotent-Replayed")) == (201, False)
    assert replay["Idempotent-Replayed"] == "true"
    assert CompanyAnswer.objects.filter(complaint=served).count() == 7


def test_beat_prunes_the_records_daily_through_the_task(settings, full_key):
    entry = settings.CELERY_BEAT_SCHEDULE["api-prune-idempotency-records"]
    assert entry["task"] == prune_idempotency_records.name == "api.tasks.prune_idempotency_records"
    assert entry["schedule"].hour == {3}
    old = IdempotentRequest.objects.create(key=full_key.key, idempotency_key="old", request_sha256="0" * 64)
    IdempotentRequest.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    IdempotentRequest.objects.create(key=full_key.key, idempotency_key="new", request_sha256="0" * 64)

    assert prune_idempotency_records.apply().get() == 1

    assert list(IdempotentRequest.objects.values_list("idempotency_key", flat=True)) == ["new"]
