"""A company's administrator manages its API keys on its pages: creates one (shown once, kept only as
a fingerprint), revokes one (asked first; a second revoke is a message), and reads the log of every
call made with them. Its other representatives, the office and consumers are refused (403); another
company's administrator never learns the company's keys exist (404). The lists cost the same queries
whatever their length."""

import hashlib
import re
import threading
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

import api.views.keys as keys_view
from api.key_state import with_key_state
from api.models import ApiCall, ApiKey, Scope
from api.services.keys import api_key_revoke
from parties.models import Representation, Role, User
from tests.api.conftest import make_key
from tests.conftest import log_in, make_user
from tests.security.test_forms_never_500 import dates, examples, has_nul, never_500, numbers, text

pytestmark = pytest.mark.django_db


def keys_page(company) -> str:
    return reverse("company_api_keys", kwargs={"pk": company.pk})


def log_page(company) -> str:
    return reverse("company_api_log", kwargs={"pk": company.pk})


def revoke_page(key: ApiKey) -> str:
    return reverse("company_api_key_revoke", kwargs={"company_pk": key.company_id, "pk": key.pk})


def create(client: Client, company, *, name="CRM", scopes=("read", "answer"), once="form-1"):
    return client.post(keys_page(company), {"name": name, "scopes": list(scopes), "once": once})


@pytest.fixture
def other_admin(other_company):
    """The administrator of another company."""
    user = make_user("rosa@conectar.test", Role.REPRESENTATIVE, first_name="Rosa", last_name="Paz")
    Representation.objects.create(user=user, company=other_company, is_admin=True)
    return user


def every_stored_text() -> str:
    """Every key row and every session, as text: where a plaintext key must never be."""
    rows = [repr(row) for row in ApiKey.objects.values_list()]
    rows += [repr(session.get_decoded()) for session in Session.objects.all()]
    return "\n".join(rows)


# --- Creating a key ---------------------------------------------------------------------------------


def test_the_administrator_sees_the_keys_and_the_way_to_the_reference(client_for, company, representative):
    make_key(company, representative, [Scope.READ], name="Tablero")

    response = client_for(representative).get(keys_page(company))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Tablero" in page
    assert reverse("company_api:openapi-view") in page
    assert reverse("company_api:openapi-json") in page
    assert reverse("company_api_log", kwargs={"pk": company.pk}) in page


def test_a_new_key_is_shown_once_and_stored_only_as_its_fingerprint(client_for, company, representative):
    client = client_for(representative)

    response = create(client, company, name="CRM", scopes=["read", "answer"])

    assert response.status_code == 302
    assert response["Location"] == keys_page(company)
    key = ApiKey.objects.get(company=company)
    assert (key.name, key.scopes, key.created_by, key.revoked_at) == ("CRM", ["read", "answer"], representative, None)

    shown = client.get(keys_page(company))
    plaintext = shown.context["new_key"]["plaintext"]
    assert plaintext.startswith(f"ck_{key.prefix}_")
    assert plaintext in shown.content.decode()
    secret = plaintext.split("_", 2)[2]
    assert key.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    # Nowhere once shown: not in the key's row, not in the session.
    assert secret not in every_stored_text()
    # Reloading the page never shows it again.
    again = client.get(keys_page(company))
    assert again.context["new_key"] is None
    assert secret not in again.content.decode()


def test_the_key_shown_opens_the_api(client_for, company, representative, api_client):
    client = client_for(representative)
    create(client, company, scopes=["read"])
    plaintext = client.get(keys_page(company)).context["new_key"]["plaintext"]

    response = api_client(plaintext).get("/api/v1/cases")

    assert response.status_code == 200


def test_a_second_click_of_the_form_creates_no_second_key(client_for, company, representative):
    client = client_for(representative)

    first = create(client, company, once="same-form")
    second = create(client, company, once="same-form")

    assert first.status_code == second.status_code == 302
    assert ApiKey.objects.filter(company=company).count() == 1
    # The page after the second click shows the key the first click created.
    shown = client.get(keys_page(company))
    assert shown.context["new_key"]["key"] == ApiKey.objects.get().pk


def test_sending_the_form_again_after_the_key_was_shown_says_so(client_for, company, representative):
    client = client_for(representative)
    create(client, company, once="same-form")
    client.get(keys_page(company))

    response = create(client, company, once="same-form")

    assert ApiKey.objects.filter(company=company).count() == 1
    page = client.get(response["Location"])
    assert "This key was already created and shown once" in page.content.decode()
    assert page.context["new_key"] is None


def test_a_new_form_creates_a_new_key(client_for, company, representative):
    client = client_for(representative)

    create(client, company, name="CRM", once="form-1")
    create(client, company, name="Tablero", once="form-2")

    assert sorted(ApiKey.objects.values_list("name", flat=True)) == ["CRM", "Tablero"]


def every_stored_byte() -> str:
    """Every key row and every session row as stored (encoded), and as read."""
    return every_stored_text() + "\n".join(session.session_data for session in Session.objects.all())


def test_the_key_never_reaches_the_session_even_when_its_page_is_never_shown(client_for, company, representative):
    client = client_for(representative)

    create(client, company)
    # Instead of the page that shows the key, the administrator goes elsewhere.
    client.get(log_page(company))
    client.get(reverse("company_webhooks", kwargs={"pk": company.pk}))

    key = ApiKey.objects.get()
    assert f"ck_{key.prefix}_" not in every_stored_byte()


def test_a_key_never_shown_is_gone_from_the_cache_after_a_while(client_for, company, representative, monkeypatch):
    monkeypatch.setattr(keys_view, "NEW_KEY_SECONDS", 1)
    client = client_for(representative)
    create(client, company)

    time.sleep(1.2)

    assert client.get(keys_page(company)).context["new_key"] is None


# PostgreSQL: the two clicks write one session row at once, which SQLite's shared in-memory test
# database refuses at once ("table is locked") instead of waiting.
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # the first click runs in a thread of its own, which commits
def test_a_double_click_while_the_first_is_still_at_work_shows_the_key(company, representative, monkeypatch):
    real_create = keys_view.api_key_create

    created = threading.Event()

    def slow_create(**kwargs):
        made = real_create(**kwargs)
        created.set()
        time.sleep(1.0)  # a busy server: the first click's answer is not ready yet
        return made

    monkeypatch.setattr(keys_view, "api_key_create", slow_create)
    first = log_in(Client(HTTP_ACCEPT_LANGUAGE="en"), representative)
    second = Client(HTTP_ACCEPT_LANGUAGE="en")
    second.cookies = first.cookies  # the same browser
    data = {"name": "CRM", "scopes": ["read"], "once": "same-form"}

    def first_click() -> None:
        first.post(keys_page(company), data)
        connection.close()

    thread = threading.Thread(target=first_click)
    thread.start()
    assert created.wait(timeout=10)  # the first click is being answered
    answer = second.post(keys_page(company), data)  # the browser follows the second click
    page = second.get(answer["Location"])
    thread.join()

    key = ApiKey.objects.get()
    assert page.context["new_key"]["key"] == key.pk
    assert page.context["new_key"]["plaintext"].startswith(f"ck_{key.prefix}_")
    assert "already created" not in page.content.decode()
    assert second.get(keys_page(company)).context["new_key"] is None


def test_a_second_click_after_the_key_was_lost_says_it_cannot_be_shown(
    client_for, company, representative, monkeypatch
):
    monkeypatch.setattr(keys_view, "SECOND_CLICK_WAIT_SECONDS", 0)
    client = client_for(representative)
    create(client, company, once="same-form")
    # Its time in the cache ran out before any page showed it.
    cache.delete(keys_view._slot(company, SimpleNamespace(user=representative), "same-form"))  # type: ignore[arg-type]

    page = client.get(create(client, company, once="same-form")["Location"])

    assert ApiKey.objects.count() == 1
    assert page.context["new_key"] is None
    assert "This form was already sent, and its key can no longer be shown" in page.content.decode()


def test_without_a_cache_the_key_is_shown_on_the_answer_to_the_form(client_for, company, representative, monkeypatch):
    class CacheThatCannotKeep:
        def __getattr__(self, name):
            return getattr(cache, name)

        def set(self, *args, **kwargs):
            raise ConnectionError("the cache does not answer")

    monkeypatch.setattr(keys_view, "cache", CacheThatCannotKeep())
    client = client_for(representative)

    response = create(client, company)

    key = ApiKey.objects.get()
    assert response.status_code == 200
    assert response.context["new_key"]["plaintext"].startswith(f"ck_{key.prefix}_")
    assert response.context["new_key"]["plaintext"] in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert f"ck_{key.prefix}_" not in every_stored_byte()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "CRM", "scopes": []}, "scopes"),
        ({"name": "   ", "scopes": ["read"]}, "name"),
        ({"name": "CRM", "scopes": ["admin"]}, "scopes"),
        ({"name": "x" * 101, "scopes": ["read"]}, "name"),
    ],
)
def test_a_form_with_a_mistake_says_where_and_creates_nothing(client_for, company, representative, data, field):
    client = client_for(representative)

    response = client.post(keys_page(company), {**data, "once": "form-1"})

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'role="alert"' in response.content.decode()
    assert not ApiKey.objects.exists()
    # The form, corrected, goes through (the refused sending did not spend its token).
    fixed = client.post(keys_page(company), {"name": "CRM", "scopes": ["read"], "once": "form-1"})
    assert fixed.status_code == 302
    assert ApiKey.objects.count() == 1


def test_the_create_form_offers_each_scope_with_its_label(client_for, company, representative):
    page = client_for(representative).get(keys_page(company)).content.decode()

    for value, label in Scope.choices:
        assert f'value="{value}"' in page
        assert str(label) in page


# --- Revoking ---------------------------------------------------------------------------------------


def test_revoking_asks_first_then_the_key_stops_working(client_for, company, representative, api_client):
    made = make_key(company, representative, name="CRM")
    client = client_for(representative)

    asked = client.get(revoke_page(made.key))
    assert asked.status_code == 200
    assert "Revoking cannot be undone" in asked.content.decode()
    assert ApiKey.objects.get(pk=made.key.pk).revoked_at is None

    response = client.post(revoke_page(made.key))

    assert response.status_code == 302
    key = ApiKey.objects.get(pk=made.key.pk)
    assert key.revoked_at is not None and key.revoked_by == representative
    assert "was revoked" in client.get(response["Location"]).content.decode()
    assert api_client(made).get("/api/v1/cases").status_code == 401


def test_revoking_twice_is_a_message_not_an_error(client_for, company, representative):
    made = make_key(company, representative, name="CRM")
    client = client_for(representative)
    client.post(revoke_page(made.key))
    revoked_at = ApiKey.objects.get(pk=made.key.pk).revoked_at

    response = client.post(revoke_page(made.key), follow=True)

    assert response.status_code == 200
    assert "was already revoked" in response.content.decode()
    assert ApiKey.objects.get(pk=made.key.pk).revoked_at == revoked_at


def test_a_revoked_key_is_listed_as_revoked_without_a_revoke_button(client_for, company, representative):
    made = make_key(company, representative, name="CRM")
    api_key_revoke(key=made.key, by=representative)

    page = client_for(representative).get(keys_page(company)).content.decode()

    assert "Revoked" in page
    assert revoke_page(made.key) not in page


# --- Who may --------------------------------------------------------------------------------------


def test_another_representative_of_the_company_is_refused(
    client_for, company, representative, unvalidated_representative
):
    made = make_key(company, representative, name="CRM")
    client = client_for(unvalidated_representative)

    assert client.get(keys_page(company)).status_code == 403
    assert client.get(log_page(company)).status_code == 403
    assert create(client, company).status_code == 403
    assert client.get(revoke_page(made.key)).status_code == 403
    assert client.post(revoke_page(made.key)).status_code == 403
    assert ApiKey.objects.count() == 1
    assert ApiKey.objects.get().revoked_at is None


def test_another_companys_administrator_learns_nothing(client_for, company, other_company, representative, other_admin):
    made = make_key(company, representative, name="CRM")
    client = client_for(other_admin)

    assert client.get(keys_page(company)).status_code == 404
    assert client.get(log_page(company)).status_code == 404
    assert create(client, company).status_code == 404
    assert client.post(revoke_page(made.key)).status_code == 404
    # Not through their own company's address either: the key is not theirs.
    theirs = reverse("company_api_key_revoke", kwargs={"company_pk": other_company.pk, "pk": made.key.pk})
    assert client.get(theirs).status_code == 404
    assert client.post(theirs).status_code == 404
    assert ApiKey.objects.get().revoked_at is None
    assert ApiKey.objects.count() == 1


def test_whoever_represents_no_company_is_refused_whatever_the_company(
    client_for, company, consumer, officer, supervisor
):
    # A consumer and the office (who see the company but hold no keys: a key acts for a representative
    # of the company) are refused before any company is looked up: the same for one that does not exist.
    nowhere = reverse("company_api_keys", kwargs={"pk": 2_000_000_000})
    for person in (consumer, officer, supervisor):
        client = client_for(person)
        assert client.get(keys_page(company)).status_code == 403
        assert client.get(nowhere).status_code == 403
        assert client.get(log_page(company)).status_code == 403
        assert create(client, company).status_code == 403
    assert not ApiKey.objects.exists()


def test_a_visitor_is_asked_to_log_in(client, company):
    response = client.get(keys_page(company))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_an_administrator_whose_representation_was_revoked_is_refused(client_for, company, representative):
    client = client_for(representative)
    Representation.objects.filter(user=representative).update(revoked_at=timezone.now())

    # They represent no company any more: closed to them, as to anyone else who represents none.
    assert client.get(keys_page(company)).status_code == 403


# --- A key that no longer works ------------------------------------------------------------------


@pytest.fixture
def ana(company) -> User:
    """Another administrator of the company, who made a key."""
    user = make_user("ana@electrosur.test", Role.REPRESENTATIVE, first_name="Ana", last_name="Gil")
    Representation.objects.create(user=user, company=company, is_admin=True)
    return user


def _leaves(person: User, company) -> None:
    Representation.objects.filter(user=person, company=company).update(revoked_at=timezone.now())


def _is_invited_again(person: User, company) -> None:
    _leaves(person, company)
    Representation.objects.create(user=person, company=company, is_admin=True)


def _account_is_closed(person: User, company) -> None:
    User.objects.filter(pk=person.pk).update(is_active=False)


def _joins_the_office(person: User, company) -> None:
    User.objects.filter(pk=person.pk).update(role=Role.OFFICER)


def key_row(page: str, key: ApiKey) -> str:
    return page.split(f'id="key-{key.pk}"')[1].split("</tr>")[0]


@pytest.mark.parametrize(
    ("what_happened", "why"),
    [
        (_leaves, "Ana Gil no longer represents the company"),
        (_is_invited_again, "Ana Gil no longer represents the company"),
        (_account_is_closed, "The account of Ana Gil was closed"),
        (_joins_the_office, "Ana Gil now works at the office"),
    ],
)
def test_a_key_the_api_refuses_is_listed_as_no_longer_working_and_why(
    client_for, company, representative, ana, api_client, what_happened, why
):
    anas = make_key(company, ana, name="ERP de Ana")
    mine = make_key(company, representative, name="CRM")
    what_happened(ana, company)

    # The API refuses it...
    assert api_client(anas).get("/api/v1/cases").status_code == 401
    assert api_client(mine).get("/api/v1/cases").status_code == 200
    # ...and the page says so, with why; it can still be revoked, so it never comes back.
    client = client_for(representative)
    page = client.get(keys_page(company)).content.decode()
    row = key_row(page, anas.key)
    assert "No longer works" in row and why in row
    assert "Active" not in row
    assert revoke_page(anas.key) in row
    assert "Active" in key_row(page, mine.key)
    assert why in client.get(revoke_page(anas.key)).content.decode()

    def listed(state: str) -> list[str]:
        return [key.name for key in client.get(keys_page(company), {"state": state}).context["page_obj"]]

    assert listed("active") == ["CRM"]
    assert listed("stopped") == ["ERP de Ana"]
    assert listed("revoked") == []


def test_the_page_and_the_api_ask_the_same_rule(company, representative, ana, api_client):
    keys = {
        "working": make_key(company, representative, name="CRM"),
        "revoked": make_key(company, representative, name="Vieja"),
        "ana's": make_key(company, ana, name="ERP de Ana"),
    }
    api_key_revoke(key=keys["revoked"].key, by=representative)
    _is_invited_again(ana, company)

    works = dict(with_key_state(ApiKey.objects.all()).values_list("name", "works"))  # type: ignore[misc]  # annotated by with_key_state

    for made in keys.values():
        answer = api_client(made).get("/api/v1/cases").status_code
        assert (answer == 200) == works[made.key.name], made.key.name
    assert works == {"CRM": True, "Vieja": False, "ERP de Ana": False}


# --- The list -------------------------------------------------------------------------------------


def test_the_keys_list_filters_and_searches(client_for, company, representative):
    crm = make_key(company, representative, name="CRM").key
    board = make_key(company, representative, name="Tablero").key
    api_key_revoke(key=board, by=representative)
    client = client_for(representative)

    def listed(**query) -> list[str]:
        return [key.name for key in client.get(keys_page(company), query).context["page_obj"]]

    assert listed() == ["CRM", "Tablero"]  # active ones first
    assert listed(state="active") == ["CRM"]
    assert listed(state="revoked") == ["Tablero"]
    assert listed(q="tabl") == ["Tablero"]
    assert listed(q=f"ck_{crm.prefix}") == ["CRM"]
    assert listed(state="nonsense") == ["CRM", "Tablero"]  # an invalid filter is ignored


def test_the_keys_list_costs_the_same_queries_for_two_keys_or_thirty(client_for, company, representative):
    client = client_for(representative)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(keys_page(company)).status_code == 200
        return len(captured)

    for number in range(2):
        make_key(company, representative, name=f"Clave {number}")
    few = queries()
    for number in range(28):
        make_key(company, representative, name=f"Otra {number}")
    many = queries()

    # Session, user, the company, the administrator check, the capped count, the page of keys (their
    # creators and revokers joined), and the header's three (representations, profile, unread inbox).
    assert few == many
    assert many <= 9


# --- The audit log --------------------------------------------------------------------------------


def call(key: ApiKey, *, path="/api/v1/cases", status=200, method="GET", ago=timedelta(0), **fields) -> ApiCall:
    row = ApiCall.objects.create(company_id=key.company_id, key=key, method=method, path=path, status=status, **fields)
    if ago:
        ApiCall.objects.filter(pk=row.pk).update(at=timezone.now() - ago)
    return row


def test_the_log_lists_the_companys_calls_newest_first(client_for, company, representative, other_company, other_admin):
    crm = make_key(company, representative, name="CRM").key
    theirs = make_key(other_company, other_admin, name="Suyo").key
    old = call(crm, path="/api/v1/cases/7", ago=timedelta(hours=2))
    new = call(crm, path="/api/v1/cases/7/answer", method="POST", status=409, idempotency_key="k-1", ip="203.0.113.9")
    call(theirs, path="/api/v1/cases/8")

    response = client_for(representative).get(log_page(company))

    assert response.status_code == 200
    assert list(response.context["page_obj"]) == [new, old]
    page = response.content.decode()
    assert "POST /api/v1/cases/7/answer" in page
    assert "k-1" in page and "203.0.113.9" in page
    assert "/api/v1/cases/8" not in page


def test_the_log_filters_by_key_answer_dates_and_path(client_for, company, representative):
    crm = make_key(company, representative, name="CRM").key
    board = make_key(company, representative, name="Tablero").key
    ok = call(crm, path="/api/v1/cases", status=200)
    refused = call(crm, path="/api/v1/cases/9", status=404)
    failed = call(board, path="/api/v1/hearings", status=500)
    old = call(board, path="/api/v1/cases", status=200, ago=timedelta(days=10))
    client = client_for(representative)
    today = timezone.localdate()

    def listed(**query) -> set[int]:
        response = client.get(log_page(company), query)
        assert response.status_code == 200
        return {row.pk for row in response.context["page_obj"]}

    assert listed() == {ok.pk, refused.pk, failed.pk, old.pk}
    assert listed(key=crm.pk) == {ok.pk, refused.pk}
    assert listed(status="2xx") == {ok.pk, old.pk}
    assert listed(status="4xx") == {refused.pk}
    assert listed(status="5xx") == {failed.pk}
    assert listed(date_from=today.isoformat()) == {ok.pk, refused.pk, failed.pk}
    assert listed(date_to=(today - timedelta(days=5)).isoformat()) == {old.pk}
    assert listed(path="hearings") == {failed.pk}
    assert listed(key=crm.pk, status="4xx", path="cases") == {refused.pk}


def test_the_log_ignores_a_filter_it_cannot_read(client_for, company, representative, other_company, other_admin):
    crm = make_key(company, representative, name="CRM").key
    theirs = make_key(other_company, other_admin, name="Suyo").key
    mine = call(crm)
    client = client_for(representative)

    for query in (
        {"key": theirs.pk},  # another company's key is not a choice
        {"key": "x"},
        {"status": "9xx"},
        {"date_from": "0001-01-01"},
        {"date_from": "not a date"},
        {"date_to": "9999-12-31"},
    ):
        response = client.get(log_page(company), query)
        assert response.status_code == 200, query
        assert [row.pk for row in response.context["page_obj"]] == [mine.pk], query
    # An end before the start: the end is refused (and said so), the start still applies.
    today = timezone.localdate()
    response = client.get(log_page(company), {"date_from": today.isoformat(), "date_to": "2000-01-01"})
    assert response.status_code == 200
    assert "date_to" in response.context["filters"].errors
    assert [row.pk for row in response.context["page_obj"]] == [mine.pk]


def test_the_log_costs_the_same_queries_for_five_calls_or_sixty(client_for, company, representative):
    crm = make_key(company, representative, name="CRM").key
    board = make_key(company, representative, name="Tablero").key
    client = client_for(representative)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(log_page(company), {"status": "2xx"}).status_code == 200
        return len(captured)

    for number in range(5):
        call(crm if number % 2 else board, path=f"/api/v1/cases/{number}")
    few = queries()
    for number in range(55):
        call(crm if number % 2 else board, path=f"/api/v1/cases/{number}")
    many = queries()

    # Session, user, the company, the administrator check, the capped count, the page of calls (their
    # keys joined), the keys for the filter, and the header's three (representations, profile, inbox).
    assert few == many
    assert many <= 10


def test_the_log_pages_through_many_calls(client_for, company, representative):
    crm = make_key(company, representative, name="CRM").key
    ApiCall.objects.bulk_create(
        ApiCall(company=company, key=crm, method="GET", path=f"/api/v1/cases/{n}", status=200) for n in range(30)
    )
    client = client_for(representative)

    first = client.get(log_page(company))
    second = client.get(log_page(company), {"page": 2})

    assert len(first.context["page_obj"]) == 25
    assert len(second.context["page_obj"]) == 5
    assert not {row.pk for row in first.context["page_obj"]} & {row.pk for row in second.context["page_obj"]}


def test_without_dates_the_log_shows_the_last_thirty_days_and_says_so(client_for, company, representative):
    crm = make_key(company, representative, name="CRM").key
    recent = call(crm, path="/api/v1/cases/1", ago=timedelta(days=29))
    old = call(crm, path="/api/v1/cases/2", ago=timedelta(days=40))
    client = client_for(representative)
    long_ago = (timezone.localdate() - timedelta(days=60)).isoformat()

    def listed(**query) -> set[int]:
        return {row.pk for row in client.get(log_page(company), query).context["page_obj"]}

    assert listed() == {recent.pk}
    assert listed(path="cases") == {recent.pk}
    assert listed(date_from=long_ago) == {recent.pk, old.pk}
    assert listed(date_to=timezone.localdate().isoformat()) == {recent.pk, old.pk}
    page = client.get(log_page(company)).content.decode()
    assert "Without dates, the log shows the last 30 days" in page
    assert "Each call is kept 180 days." in page
    assert "Without dates" not in client.get(log_page(company), {"date_from": long_ago}).content.decode()


# --- Messages and inputs ----------------------------------------------------------------------------

DJANGOS_OWN = ("Select a valid choice", "Enter a valid", "Ensure this value", "This field is required")


def test_every_mistake_is_said_in_the_pages_own_words(client_for, company, representative):
    client = client_for(representative)

    created = client.post(
        keys_page(company), {"name": "", "scopes": ["read", "admin"], "once": "x" * 65}
    ).content.decode()
    listed = client.get(keys_page(company), {"state": "gone", "q": "x" * 101}).content.decode()
    logged = client.get(log_page(company), {"key": "999999", "status": "9xx", "date_from": "31/02/2026"})

    for page in (created, listed, logged.content.decode()):
        assert not [text for text in DJANGOS_OWN if text in page]
    assert "Enter a name for the key." in created
    assert "Choose what the key may do from the list." in created
    assert "This form is out of date" in created
    assert "Choose one of the options of the list." in listed
    assert "Write at most 100 characters." in listed
    assert set(logged.context["filters"].errors) == {"key", "status", "date_from"}
    assert "Choose one of your company&#x27;s keys." in logged.content.decode()
    assert "Enter a date like 31/12/2026." in logged.content.decode()


def test_the_mistakes_are_said_in_voseo(company, representative):
    # needs es_AR catalogue
    client = log_in(Client(HTTP_ACCEPT_LANGUAGE="es-AR"), representative)

    page = client.get(log_page(company), {"status": "9xx", "date_from": "31/02/2026"}).content.decode()

    assert "Seleccione" not in page and "Introduzca" not in page
    assert "Ingresá una fecha como 31/12/2026." in page


def search_inputs(page: str) -> list[str]:
    return re.findall(r"<input[^>]*type=\"search\"[^>]*>", page)


def test_the_search_boxes_are_search_inputs_with_one_type(client_for, company, representative):
    client = client_for(representative)

    for page in (client.get(keys_page(company)).content.decode(), client.get(log_page(company)).content.decode()):
        boxes = search_inputs(page)
        assert boxes
        assert all(box.count("type=") == 1 for box in boxes), boxes


# --- Whatever is typed ----------------------------------------------------------------------------


@examples
@given(name=text, scopes=st.lists(st.one_of(st.sampled_from(Scope.values), text), max_size=4), once=text)
def test_the_create_form_answers_anything_without_a_500(client_for, company, representative, name, scopes, once):
    data = {"name": name, "scopes": scopes, "once": once}

    response = client_for(representative).post(keys_page(company), data)

    never_500(response)
    assert response.status_code in ((400,) if has_nul(*data.values()) else (200, 302))


@examples
@given(q=text, state=text, page=numbers)
def test_the_keys_list_answers_any_filter_without_a_500(client_for, company, representative, q, state, page):
    query = {"q": q, "state": state, "page": page}

    response = client_for(representative).get(keys_page(company), query)

    never_500(response)
    assert response.status_code == (400 if has_nul(*query.values()) else 200)


@examples
@given(key=numbers, status=text, date_from=dates, date_to=dates, path=text, page=numbers)
def test_the_log_answers_any_filter_without_a_500(
    client_for, company, representative, key, status, date_from, date_to, path, page
):
    query = {"key": key, "status": status, "date_from": date_from, "date_to": date_to, "path": path, "page": page}

    response = client_for(representative).get(log_page(company), query)

    never_500(response)
    assert response.status_code == (400 if has_nul(*query.values()) else 200)


# --- In Spanish -----------------------------------------------------------------------------------


def test_the_pages_speak_spanish(company, representative):
    # needs es_AR catalogue
    client = log_in(Client(HTTP_ACCEPT_LANGUAGE="es-AR"), representative)

    page = client.get(keys_page(company)).content.decode()

    assert "Claves de API" in page
    assert "Crear la clave" in page


# --- The way in, from the company's page ----------------------------------------------------------


def test_the_company_page_links_its_administrators_to_these_pages(
    company, representative, unvalidated_representative, officer, other_admin
):
    from django.template.loader import render_to_string

    def block(user) -> str:
        return render_to_string("api/_company_link.html", {"company": company, "user": user})

    assert keys_page(company) in block(representative)
    assert reverse("company_webhooks", kwargs={"pk": company.pk}) in block(representative)
    for nobody in (unvalidated_representative, officer, other_admin):
        assert block(nobody).strip() == ""
