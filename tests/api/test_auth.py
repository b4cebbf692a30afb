"""Who may call the company API: a key its company's administrator created, sent as a Bearer token (or
X-Api-Key), while it is not revoked and its creator still represents the company; within its scopes
and its rate limit. Every call made with a valid key is in the company's log (and one made with the
right secret of a key that no longer works, refused); errors come in the
caller's language with stable codes."""

import pytest
from django.test import RequestFactory
from django.utils import timezone

from api.auth import KeyContext, require_scope
from api.errors import ApiError, ManagementError
from api.models import ApiCall, ApiKey, Scope
from api.policy import may_manage_company_api
from api.services.keys import api_key_create, api_key_revoke
from parties.models import Representation, Role
from parties.services import invitation_accept, invitation_create, representation_revoke
from tests.api.conftest import API, ApiClient, make_key
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

CASES = f"{API}/cases"
INVALID_KEY = {
    "code": "invalid_key",
    "message": "The API key is missing, unknown or no longer valid. Send it as “Authorization: Bearer ck_…”; "
    "your company's administrator can create a new one.",
}


# --- Keys --------------------------------------------------------------------------------------------


def test_a_key_is_shown_once_and_stored_hashed(company, representative):
    key, token = api_key_create(company=company, by=representative, name="  ERP  ", scopes=["offer", "read"])

    assert token.startswith(f"ck_{key.prefix}_")
    stored = ApiKey.objects.get(pk=key.pk)
    assert stored.name == "ERP"
    assert stored.scopes == ["read", "offer"]
    secret = token.split("_", 2)[2]
    assert secret not in str(ApiKey.objects.filter(pk=key.pk).values().get())
    assert len(stored.secret_sha256) == 64


def test_only_the_company_administrator_creates_and_revokes_keys(
    company, representative, unvalidated_representative, officer, rival
):
    for person in (unvalidated_representative, officer, rival.admin):
        assert not may_manage_company_api(person, company)
        with pytest.raises(ManagementError):
            api_key_create(company=company, by=person, name="ERP", scopes=["read"])
    key = make_key(company, representative)
    with pytest.raises(ManagementError):
        api_key_revoke(key=key.key, by=rival.admin)
    assert ApiKey.objects.get(pk=key.key.pk).revoked_at is None


@pytest.mark.parametrize(("name", "scopes"), [("", ["read"]), ("x" * 101, ["read"]), ("ERP", []), ("ERP", ["all"])])
def test_a_key_needs_a_name_and_known_scopes(company, representative, name, scopes):
    with pytest.raises(ManagementError):
        api_key_create(company=company, by=representative, name=name, scopes=scopes)
    assert not ApiKey.objects.exists()


# --- Authentication -----------------------------------------------------------------------------


def test_a_bearer_key_or_an_x_api_key_header_authenticates(api_client, full_key, served):
    assert api_client(full_key).get(CASES).status_code == 200
    assert api_client(full_key, header="X-Api-Key").get(CASES).status_code == 200


def test_without_a_key_the_answer_is_401_and_nothing_is_logged(client):
    response = client.get(CASES)

    assert response.status_code == 401
    assert response.json() == INVALID_KEY
    assert not ApiCall.objects.exists()


@pytest.mark.parametrize("token", ["ck_", "ck_0123456789ab_" + "x" * 43, "Bearer", "not-a-key", "ck_ZZZ_secret"])
def test_an_unknown_or_malformed_key_is_401_and_not_logged(api_client, full_key, token):
    response = api_client(token).get(CASES)

    assert response.status_code == 401
    assert response.json() == INVALID_KEY
    assert not ApiCall.objects.exists()


def test_a_wrong_secret_is_401(api_client, full_key):
    wrong = f"ck_{full_key.key.prefix}_{'A' * 43}"

    assert api_client(wrong).get(CASES).json() == INVALID_KEY
    assert ApiKey.objects.get(pk=full_key.key.pk).last_used_at is None


def test_a_revoked_key_is_401(api_client, full_key, representative):
    api_key_revoke(key=full_key.key, by=representative)

    response = api_client(full_key).get(CASES)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_key"


def test_a_key_stops_when_its_creator_no_longer_represents_the_company(api_client, full_key, representative):
    Representation.objects.filter(user=representative).update(revoked_at=timezone.now())

    assert api_client(full_key).get(CASES).status_code == 401


def test_an_old_key_stays_dead_when_its_creator_is_invited_again(api_client, full_key, representative, company):
    """The key belongs to the representation it was made under: a new one, months later, is a new
    start (the person creates a new key), whatever its rights."""
    other_admin = make_user("otra@electrosur.test", Role.REPRESENTATIVE, first_name="Otra", last_name="Admin")
    Representation.objects.create(user=other_admin, company=company, is_admin=True)
    representation_revoke(representation=Representation.objects.get(user=representative), by=other_admin)
    assert api_client(full_key).get(CASES).status_code == 401

    invitation = invitation_create(company=company, email=representative.email, is_admin=True, by=other_admin)
    invitation_accept(invitation=invitation, user=representative)

    assert api_client(full_key).get(CASES).json() == INVALID_KEY
    assert api_client(make_key(company, representative, name="Nuevo ERP")).get(CASES).status_code == 200


def test_a_call_with_a_revoked_key_is_refused_and_in_the_company_log(api_client, full_key, representative):
    api_key_revoke(key=full_key.key, by=representative)

    response = api_client(full_key).post(f"{CASES}/1/answer", {"text": "x"}, HTTP_IDEMPOTENCY_KEY="k-1")

    assert response.json() == INVALID_KEY
    call = ApiCall.objects.get()
    assert (call.company_id, call.key_id, call.method, call.path, call.status, call.idempotency_key) == (
        full_key.company.pk,
        full_key.key.pk,
        "POST",
        f"{CASES}/1/answer",
        401,
        "k-1",
    )
    assert ApiKey.objects.get(pk=full_key.key.pk).last_used_at is None  # a refused call is no use


def test_a_call_with_the_key_of_someone_who_left_is_in_the_company_log(api_client, full_key, representative):
    Representation.objects.filter(user=representative).update(revoked_at=timezone.now())

    assert api_client(full_key).get(CASES).status_code == 401
    assert list(ApiCall.objects.values_list("key_id", "status")) == [(full_key.key.pk, 401)]


def test_a_wrong_secret_for_a_known_prefix_is_not_logged(api_client, full_key):
    """Whoever guesses a prefix does not write in the company's log."""
    assert api_client(f"ck_{full_key.key.prefix}_{'A' * 43}").get(CASES).status_code == 401
    assert not ApiCall.objects.exists()


def test_a_key_stops_when_its_creator_account_is_deactivated(api_client, full_key, representative):
    representative.is_active = False
    representative.save(update_fields=["is_active"])

    assert api_client(full_key).get(CASES).status_code == 401


def test_a_key_records_its_last_use_once_a_minute(api_client, full_key):
    api = api_client(full_key)
    api.get(CASES)
    first = ApiKey.objects.get(pk=full_key.key.pk).last_used_at
    api.get(CASES)

    assert first is not None
    assert ApiKey.objects.get(pk=full_key.key.pk).last_used_at == first


# --- Scopes --------------------------------------------------------------------------------------


def test_a_key_without_the_scope_is_refused_with_scope_missing(full_key, read_key):
    request = RequestFactory().post("/")
    request.auth = KeyContext(key=read_key.key, company=read_key.company, user=read_key.user)  # type: ignore[attr-defined]

    with pytest.raises(ApiError) as refused:
        require_scope(request, Scope.ANSWER)

    assert (refused.value.status, refused.value.code) == (403, "scope_missing")
    request.auth = KeyContext(key=full_key.key, company=full_key.company, user=full_key.user)  # type: ignore[attr-defined]
    assert require_scope(request, Scope.ANSWER).key == full_key.key


def test_a_read_only_key_cannot_answer_a_case(api_client, read_key, served):
    """One of the writes (api/routers/actions.py): refused before anything is done, and logged."""
    response = api_client(read_key).post(f"{CASES}/{served.pk}/answer", {"text": "Respondemos."})

    assert response.status_code == 403
    assert response.json()["code"] == "scope_missing"
    assert not served.answers.exists()
    assert ApiCall.objects.get().status == 403


def test_a_key_without_read_cannot_list(api_client, company, representative):
    key = make_key(company, representative, [Scope.ANSWER])

    response = api_client(key).get(CASES)

    assert response.status_code == 403
    assert response.json() == {
        "code": "scope_missing",
        "message": "This API key may not do this: it lacks the “read” scope.",
    }


# --- Rate limit ----------------------------------------------------------------------------------


def test_past_the_rate_limit_the_key_gets_429_with_retry_after(api_client, full_key, rival, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    api = api_client(full_key)

    statuses = [api.get(CASES).status_code for _ in range(3)]
    response = api.get(CASES)

    assert statuses == [200, 200, 429]
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    # Each key counts on its own.
    assert api_client(rival.key).get(CASES).status_code == 200
    assert list(ApiCall.objects.filter(key=full_key.key).order_by("pk").values_list("status", flat=True)) == [
        200,
        200,
        429,
        429,
    ]


# --- The company's log ---------------------------------------------------------------------------


def test_every_call_with_a_valid_key_is_in_the_company_log(api_client, full_key, served, rival):
    api = api_client(full_key)
    api.get(CASES, REMOTE_ADDR="203.0.113.5")
    api.get(f"{CASES}/{rival.case.pk}")
    api.get(f"{CASES}?limit=0")

    calls = list(ApiCall.objects.order_by("pk"))
    assert [(c.method, c.path, c.status) for c in calls] == [
        ("GET", CASES, 200),
        ("GET", f"{CASES}/{rival.case.pk}", 404),
        ("GET", f"{CASES}?limit=0", 400),
    ]
    assert {c.company_id for c in calls} == {full_key.company.pk}
    assert {c.key_id for c in calls} == {full_key.key.pk}
    assert calls[0].ip == "203.0.113.5"


# --- Language ------------------------------------------------------------------------------------


def test_errors_are_in_english_when_asked(api_client, full_key):
    response = api_client(full_key, language="en").get(f"{CASES}/999999")

    assert response.json() == {"code": "not_found", "message": "Not found among your company's cases."}


def test_without_accept_language_the_api_answers_in_spanish(full_key):
    response = ApiClient(full_key.token, language="").get(f"{CASES}/999999")

    assert response["Content-Language"] == "es-ar"
    assert response.json()["code"] == "not_found"


def test_errors_are_in_spanish_by_default(full_key):
    # needs es_AR catalogue
    response = ApiClient(full_key.token, language="").get(f"{CASES}/999999")

    assert response.json()["message"] == "No está entre los casos de tu empresa."


def test_a_validation_error_says_which_field(api_client, full_key):
    body = api_client(full_key).get(f"{CASES}?limit=500").json()

    assert body["code"] == "validation_error"
    assert body["message"] == "Some of the data sent is not valid."
    assert body["errors"][0]["field"] == "query.limit"
