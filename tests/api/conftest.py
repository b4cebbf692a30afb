"""Fixtures for the company API, shared by every tests/api/ file.

    key = full_key                       # ApiKeyFor: .key (the row), .token ("ck_…"), .company, .user
    api = api_client(full_key)           # a test client that sends "Authorization: Bearer ck_…"
    api.get("/api/v1/cases")             # in English unless asked: api_client(key, language="es-ar")
    api.post_json(url, {...}, idempotency_key="k1")

The company (`company`, Electrodomésticos del Sur, with an electronic domicile) is administered by
`representative` (tests/conftest.py: admin, validated power). `full_key` holds every scope,
`read_key` only read. `rival` is another company with its own administrator, key and served case
(`rival.case`): what company A's key must never see."""

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from api.models import ApiKey, Scope
from api.services.keys import api_key_create
from complaints.models import Complaint
from parties.models import Company, PowerKind, PowerStatus, Representation, Role, User
from tests.complaints.factories import served_case
from tests.conftest import make_user

API = "/api/v1"


@dataclass(frozen=True)
class ApiKeyFor:
    key: ApiKey
    token: str
    company: Company
    user: User


def make_key(company: Company, user: User, scopes: list[str] | None = None, *, name: str = "ERP") -> ApiKeyFor:
    """A key created through the real service (`user` must administer `company`)."""
    key, token = api_key_create(company=company, by=user, name=name, scopes=scopes or list(Scope.values))
    return ApiKeyFor(key=key, token=token, company=company, user=user)


class ApiClient(Client):
    """A Django test client that authenticates every request with an API key."""

    def __init__(self, token: str, *, language: str = "en", header: str = "Authorization", **defaults: Any) -> None:
        if header == "Authorization":
            defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        else:
            defaults["HTTP_X_API_KEY"] = token
        if language:
            defaults["HTTP_ACCEPT_LANGUAGE"] = language
        super().__init__(**defaults)

    def post_json(self, path: str, data: Any, *, idempotency_key: str | None = None, **extra: Any) -> Any:
        if idempotency_key is not None:
            extra["HTTP_IDEMPOTENCY_KEY"] = idempotency_key
        return self.post(path, data, content_type="application/json", **extra)


@pytest.fixture
def api_client():
    """api_client(key_or_token, language="en") → an ApiClient; pass language="" to send no Accept-Language."""

    def _api_client(key: ApiKeyFor | str, **options: Any) -> ApiClient:
        return ApiClient(key.token if isinstance(key, ApiKeyFor) else key, **options)

    return _api_client


@pytest.fixture
def company_admin(representative) -> User:
    """The company's administrator (the same person as `representative`)."""
    return representative


@pytest.fixture
def full_key(company, representative) -> ApiKeyFor:
    return make_key(company, representative, list(Scope.values), name="ERP")


@pytest.fixture
def read_key(company, representative) -> ApiKeyFor:
    return make_key(company, representative, [Scope.READ], name="Tablero")


@pytest.fixture
def served(consumer, company, officer) -> Complaint:
    """A case served on `company` ("company_notified"), with the consumer's two evidence files."""
    return served_case(consumer, company, officer, evidence=True)


@dataclass(frozen=True)
class Rival:
    company: Company
    admin: User
    key: ApiKeyFor
    case: Complaint


@pytest.fixture
def rival(consumer, officer) -> Rival:
    """Another company, with its administrator, a full key and a served case (with evidence)."""
    company = Company.objects.create(
        cuit="30500010912", legal_name="Banco del Plata S.A.", electronic_domicile="legales@bancoplata.test"
    )
    admin = make_user("lucia@bancoplata.test", Role.REPRESENTATIVE, first_name="Lucía", last_name="Benítez")
    Representation.objects.create(
        user=admin, company=company, is_admin=True, power_kind=PowerKind.GENERAL, power_status=PowerStatus.VALIDATED
    )
    case = served_case(consumer, company, officer, evidence=True)
    return Rival(company=company, admin=admin, key=make_key(company, admin, name="Rival ERP"), case=case)
