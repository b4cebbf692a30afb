"""One fixture per role, as STYLE.md asks: the consumer, the company representative, the officer,
the conciliator, the supervisor, and a stranger who must get a 404."""

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.test import Client

from parties.models import (
    Company,
    ConciliatorProfile,
    ConsumerProfile,
    PowerKind,
    PowerStatus,
    Representation,
    Role,
    User,
)

PASSWORD = "a-long-test-password-42"


def pytest_runtest_setup(item: pytest.Item) -> None:
    """`@pytest.mark.postgres` (pyproject.toml): what only PostgreSQL has (row locks, plans, its
    triggers and statements) is skipped, cleanly, on a SQLite run."""
    from django.db import connection

    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://…)")


def make_user(email: str, role: str = Role.CONSUMER, *, verified: bool = True, **fields) -> User:
    user = User.objects.create_user(email=email, password=PASSWORD, role=role, **fields)
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    return user


def enrol_totp(user: User) -> None:
    """Staff must have an authenticator; tests that are not about MFA give them one."""
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})


@pytest.fixture
def consumer(db) -> User:
    user = make_user("maria@example.com", first_name="María", last_name="González")
    ConsumerProfile.objects.create(
        user=user,
        dni="30123456",
        phone="+5491123456789",
        street_address="Av. San Juan 2150",
        city="CABA",
        province="CABA",
    )
    return user


@pytest.fixture
def company(db) -> Company:
    return Company.objects.create(
        cuit="30712345671", legal_name="Electrodomésticos del Sur S.A.", electronic_domicile="legales@electrosur.test"
    )


@pytest.fixture
def other_company(db) -> Company:
    return Company.objects.create(cuit="30703088534", legal_name="Conectar Telecomunicaciones S.A.")


@pytest.fixture
def representative(company) -> User:
    """An admin representative whose power the office validated: may make offers and agree."""
    user = make_user("jorge@electrosur.test", Role.REPRESENTATIVE, first_name="Jorge", last_name="Fernández")
    Representation.objects.create(
        user=user, company=company, is_admin=True, power_kind=PowerKind.GENERAL, power_status=PowerStatus.VALIDATED
    )
    return user


@pytest.fixture
def unvalidated_representative(company) -> User:
    """A representative of the same company who has not had a power validated: may read the case
    and answer in writing, not bind the company."""
    user = make_user("pablo@electrosur.test", Role.REPRESENTATIVE, first_name="Pablo", last_name="Acosta")
    Representation.objects.create(user=user, company=company)
    return user


@pytest.fixture
def officer(db) -> User:
    user = make_user("carlos@oficina.test", Role.OFFICER, first_name="Carlos", last_name="Pereyra")
    enrol_totp(user)
    return user


@pytest.fixture
def conciliator(db) -> User:
    user = make_user("ana@oficina.test", Role.CONCILIATOR, first_name="Ana", last_name="Rodríguez")
    ConciliatorProfile.objects.create(user=user)
    enrol_totp(user)
    return user


@pytest.fixture
def supervisor(db) -> User:
    user = make_user("silvia@oficina.test", Role.SUPERVISOR, first_name="Silvia", last_name="Romero")
    enrol_totp(user)
    return user


@pytest.fixture
def director(db) -> User:
    """The authority who homologates agreements by a signed disposición (or delegates it)."""
    user = make_user("director@oficina.test", Role.DIRECTOR, first_name="Elena", last_name="Quiroga")
    enrol_totp(user)
    return user


@pytest.fixture
def stranger(db) -> User:
    return make_user("stranger@example.com")


def log_in(client: Client, user: User) -> Client:
    """Logs the client in as `user` the way a real login through allauth ends: for someone with an
    authenticator app, the session records that the code was given (staff pages refuse a session
    without it; tests/security/test_auth_staff_mfa.py covers that)."""
    from allauth.account.internal.flows.login import record_authentication
    from django.conf import settings
    from django.http import HttpRequest

    client.force_login(user)
    if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        request = HttpRequest()
        request.session = client.session
        authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
        record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
        request.session.save()
        assert request.session.session_key is not None  # saving gave the session its key
        client.cookies[settings.SESSION_COOKIE_NAME] = request.session.session_key
    return client


@pytest.fixture
def client_for():
    """client_for(user) → a test client logged in as that user (with the second factor, for staff)."""

    def _client_for(user: User) -> Client:
        return log_in(Client(HTTP_ACCEPT_LANGUAGE="en"), user)

    return _client_for


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded evidence and notice documents never land in the project's media/ folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """allauth's rate limits count in the cache; each test starts with none spent."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _english_unless_asked():
    """Tests read in English: code outside a request runs in English, and the test clients ask for
    English. A test about Spanish asks for it (Accept-Language: es-AR, or a plain Client())."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")
