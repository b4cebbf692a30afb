"""The public JSON API: read-only, open, the pages' figures as numbers (null when not computed), a 404
for a company that is not published, a 400 in the reader's language for an invalid parameter, and
every answer valid against the OpenAPI document the API itself serves."""

import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from parties.models import Sector
from tests.reporting.test_public_pages import a_company, a_cuit, publish, sector_figures

pytestmark = pytest.mark.django_db

COMPANIES = reverse("public_api:companies")
SECTORS = reverse("public_api:sectors")
OPENAPI = reverse("public_api:openapi-json")
DOCS = reverse("public_api:openapi-view")


def company_url(cuit: str) -> str:
    return reverse("public_api:company", args=[cuit])


def sector_url(code: str) -> str:
    return reverse("public_api:sector", args=[code])


# --- Checking an answer against the served OpenAPI document ---------------------------------------
# jsonschema is not among the project's dependencies; the schemas pydantic writes use a small part of
# JSON Schema (object, array, the scalar types, anyOf with null, $ref, enum), checked here.

TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def violations(value: Any, schema: dict, document: dict, where: str = "$") -> list[str]:
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        return violations(value, document["components"]["schemas"][name], document, where)
    if "anyOf" in schema:
        options = [violations(value, option, document, where) for option in schema["anyOf"]]
        return [] if any(not found for found in options) else [f"{where}: {value!r} matches no option"]
    found: list[str] = []
    kind = schema.get("type")
    if kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return [f"{where}: {value!r} is not an integer"]
    elif kind == "number":
        if not isinstance(value, int | float) or isinstance(value, bool):
            return [f"{where}: {value!r} is not a number"]
    elif kind is not None and not isinstance(value, TYPES[kind]):
        return [f"{where}: {value!r} is not {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: {value!r} not in {schema['enum']}")
    if schema.get("format") == "date" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        found.append(f"{where}: {value!r} is not a date")
    if schema.get("format") == "date-time" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})", value):
        found.append(f"{where}: {value!r} is not a date-time")
    if kind == "object":
        properties = schema.get("properties", {})
        missing = set(schema.get("required", [])) - set(value)
        found += [f"{where}: {name} is missing" for name in sorted(missing)]
        found += [f"{where}: {name} is not in the schema" for name in sorted(set(value) - set(properties))]
        for name, item in value.items():
            if name in properties:
                found += violations(item, properties[name], document, f"{where}.{name}")
    if kind == "array":
        for index, item in enumerate(value):
            found += violations(item, schema["items"], document, f"{where}[{index}]")
    return found


@pytest.fixture
def document(client) -> dict:
    response = client.get(OPENAPI)
    assert response.status_code == 200
    return response.json()


def answer(client, document: dict, path: str, params: dict | None = None, *, status: int = 200) -> Any:
    """GET the path, and check the answer against the schema the document gives for that status."""
    response = client.get(path, params or {})
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    route = next(
        template for template in document["paths"] if re.fullmatch(re.sub(r"\{\w+\}", r"[^/]+", template), path)
    )
    schema = document["paths"][route]["get"]["responses"][str(status)]["content"]["application/json"]["schema"]
    body = response.json()
    problems = violations(body, schema, document)
    assert not problems, problems
    return body


@pytest.fixture
def conectar(other_company):
    other_company.sector = Sector.TELECOM
    other_company.trade_names = "Conecta2, FibraYa"
    other_company.save()
    publish(other_company)
    sector_figures(Sector.TELECOM)
    return other_company


# --- The document and its reference page ---------------------------------------------------------


def test_the_openapi_document_describes_every_operation(document):
    assert document["openapi"].startswith("3.")
    assert document["info"]["version"] == "1.0.0"
    assert "no personal data" in document["info"]["description"]
    assert set(document["paths"]) == {
        "/api/publica/v1/empresas",
        "/api/publica/v1/empresas/{cuit}",
        "/api/publica/v1/sectores",
        "/api/publica/v1/sectores/{sector}",
    }
    # Read-only: GET alone.
    assert {method for operations in document["paths"].values() for method in operations} == {"get"}
    figures = document["components"]["schemas"]["Figures"]["properties"]
    assert "Of the complaints that reached an outcome" in figures["agreement_rate"]["description"]


class Assets(HTMLParser):
    """The URLs a page loads (scripts, stylesheets, icons, images) and its inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self._script_type: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            if values.get("src"):
                self.urls.append(values["src"] or "")
            else:
                self._script_type = values.get("type") or "text/javascript"
        elif tag == "link" and values.get("href"):
            self.urls.append(values["href"] or "")
        elif tag == "img" and values.get("src"):
            self.urls.append(values["src"] or "")

    def handle_data(self, data: str) -> None:
        if self._script_type is not None and self._script_type != "application/json" and data.strip():
            self.inline_scripts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script_type = None


def test_the_reference_page_loads_only_the_app_s_own_files_and_runs_no_inline_script(client):
    response = client.get(DOCS)

    assert response.status_code == 200
    assets = Assets()
    assets.feed(response.content.decode())
    assert assets.urls, "the page loads Swagger UI"
    for url in assets.urls:
        assert url.startswith(settings.STATIC_URL), url
        assert finders.find(url.removeprefix(settings.STATIC_URL)), f"{url} is not among the static files"
    assert any(url.endswith("swagger-ui-bundle.js") for url in assets.urls)
    # Inline code would need the CSP nonce; the settings travel as data read by a static file.
    assert assets.inline_scripts == []
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    settings_block = re.search(r'id="swagger-settings">(.*?)</script>', response.content.decode(), re.S)
    assert settings_block is not None
    swagger = json.loads(settings_block.group(1))
    assert swagger["url"] == OPENAPI
    # Swagger UI would otherwise ask validator.swagger.io to draw a badge.
    assert swagger["validatorUrl"] is None


def test_the_reference_page_is_in_the_reader_s_language(client):
    from django.test import Client

    assert '<html lang="en"' in client.get(DOCS).content.decode()
    assert '<html lang="es-ar"' in Client(HTTP_ACCEPT_LANGUAGE="es-AR").get(DOCS).content.decode()


# --- Companies --------------------------------------------------------------------------------------


def test_a_company_s_figures_are_numbers_as_the_rows_hold_them(client, document, conectar):
    body = answer(client, document, company_url(conectar.cuit))

    assert body["cuit"] == "30703088534"
    assert body["cuit_display"] == "30-70308853-4"
    assert body["legal_name"] == "Conectar Telecomunicaciones S.A."
    assert body["trade_names"] == ["Conecta2", "FibraYa"]
    assert body["sector"] == {"code": "telecom", "name": "Telecommunications, internet and pay TV"}
    assert body["window"] == {"start": "2025-05-01", "end": "2026-05-31"}
    assert body["refreshed_at"] == "2026-06-01T06:00:00Z"
    assert (body["received"], body["closed"]) == (120, 80)
    assert body["figures"] == {
        "answered_share": 0.84,
        "agreement_rate": 0.6,
        "compliance_rate": 0.9,
        "median_days_answer": 4.0,
        "median_days_resolution": 23.5,
        "satisfaction": 3.8,
        "solved_share": 0.55,
    }
    assert body["page_url"] == "http://testserver/transparencia/empresas/30703088534/"


def test_a_figure_not_computed_is_null(client, document, company):
    publish(company, compliance_rate=None, satisfaction=None)

    figures = answer(client, document, company_url(company.cuit))["figures"]

    assert figures["compliance_rate"] is None
    assert figures["satisfaction"] is None
    assert figures["agreement_rate"] == 0.6


def test_a_cuit_with_dashes_finds_the_company(client, document, conectar):
    assert answer(client, document, company_url("30-70308853-4"))["cuit"] == "30703088534"


@pytest.mark.parametrize("case", ["unpublished", "unknown", "person", "invalid"])
def test_a_company_not_published_is_not_found(client, document, company, settings, case):
    settings.PUBLIC_MIN_CLOSED_CASES = 12
    publish(company, published=False)
    person = a_company("Zoilo Pereyra Iraola", prefix="20", number=28_111_222)
    publish(person)  # the flag is wrong: a person is never published all the same
    cuit = {"unpublished": company.cuit, "unknown": "30712345672", "person": person.cuit, "invalid": "abc"}[case]

    body = answer(client, document, company_url(cuit), status=404)

    assert "at least 12 closed complaints" in body["detail"]


def test_a_company_made_from_what_a_consumer_typed_is_not_in_the_api(client, document, consumer, company):
    from tests.reporting.test_publication import filed_against_an_unknown_company

    typed = filed_against_an_unknown_company(consumer, company, cuit=a_cuit("30", 71_555_666), name="Taller Rigoberto")
    publish(typed, verify=False)  # the flag is wrong: an unverified company is not named all the same

    answer(client, document, company_url(typed.cuit), status=404)
    for params in ({}, {"q": "Rigoberto"}, {"q": typed.cuit}, {"sector": typed.sector}):
        assert answer(client, document, COMPANIES, params)["results"] == [], params
    sector = answer(client, document, sector_url(typed.sector))
    assert sector["published_companies"] == 0


def test_the_404_is_told_in_spanish_when_asked(document, company):
    from django.test import Client

    response = Client(HTTP_ACCEPT_LANGUAGE="es-AR").get(company_url(company.cuit))

    assert response.status_code == 404
    assert "No hay indicadores públicos para este CUIT" in response.json()["detail"]


@pytest.mark.parametrize("typed", ["conectar", "FIBRAYA", "30-70308853-4", "30703088534"])
def test_the_companies_are_searched_by_name_trade_name_or_cuit(client, document, conectar, company, typed):
    publish(company)

    body = answer(client, document, COMPANIES, {"q": typed})

    assert [row["cuit"] for row in body["results"]] == ["30703088534"]
    assert body["count"] == 1


def test_an_invalid_cuit_is_a_400_that_says_what_is_wrong(client, document, conectar):
    body = answer(client, document, COMPANIES, {"q": "30-70308853-5"}, status=400)

    assert "check digit does not match" in body["detail"]


def test_the_companies_are_paged_in_alphabetical_order(client, document):
    for number in range(25):
        publish(a_company(f"Empresa {number:02d}"))
    publish(a_company("Persona", prefix="27", number=11_222_333))
    publish(a_company("Sin Figuras"), published=False)

    first = answer(client, document, COMPANIES, {"page_size": 10})
    last = answer(client, document, COMPANIES, {"page_size": 10, "page": 3})
    beyond = answer(client, document, COMPANIES, {"page_size": 10, "page": 9})

    assert (first["count"], first["pages"], first["page"], first["page_size"]) == (25, 3, 1, 10)
    assert [row["legal_name"] for row in first["results"]] == [f"Empresa {n:02d}" for n in range(10)]
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/publica/v1/empresas?page_size=10&page=2"
    assert [row["legal_name"] for row in last["results"]] == [f"Empresa {n:02d}" for n in range(20, 25)]
    assert last["next"] is None
    assert last["previous"] == "http://testserver/api/publica/v1/empresas?page_size=10&page=2"
    assert beyond["results"] == []


def test_the_companies_of_one_sector(client, document, conectar, company):
    publish(company)

    body = answer(client, document, COMPANIES, {"sector": "telecom"})

    assert [row["cuit"] for row in body["results"]] == [conectar.cuit]


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"page_size": 1000}, "page_size must be a whole number from 1 to 100."),
        ({"page_size": 0}, "page_size must be a whole number from 1 to 100."),
        ({"page": 0}, "page must be a whole number, 1 or more."),
        ({"page": "two"}, "page must be a whole number, 1 or more."),
        ({"sector": "casinos"}, "sector must be one of these codes: telecom, "),
        ({"q": "x" * 101}, "q may hold at most 100 characters."),
        ({"q": "co"}, "Type at least 3 letters of the name, or the 11 digits of the CUIT."),
    ],
)
def test_an_invalid_parameter_is_the_documented_400(client, document, params, says):
    body = answer(client, document, COMPANIES, params, status=400)

    assert says in body["detail"]


def test_several_invalid_parameters_are_all_told(client, document):
    body = answer(client, document, COMPANIES, {"page": 0, "page_size": 0}, status=400)

    assert "page must be a whole number, 1 or more." in body["detail"]
    assert "page_size must be a whole number from 1 to 100." in body["detail"]


def test_an_invalid_parameter_is_told_in_spanish_when_asked(document):
    from django.test import Client

    response = Client(HTTP_ACCEPT_LANGUAGE="es-AR").get(COMPANIES, {"page": 0})

    assert response.status_code == 400
    assert response.json() == {"detail": "page tiene que ser un número entero, 1 o mayor."}


def test_every_status_an_operation_answers_is_in_the_document(document):
    """The list answers 200 or 400 (an invalid parameter); a single company or sector 200 or 404."""
    statuses = {path: set(operations["get"]["responses"]) for path, operations in document["paths"].items()}

    assert statuses["/api/publica/v1/empresas"] == {"200", "400"}
    assert statuses["/api/publica/v1/empresas/{cuit}"] == {"200", "404"}
    assert statuses["/api/publica/v1/sectores/{sector}"] == {"200", "404"}
    assert document["components"]["schemas"]["Error"]["properties"]["detail"]["type"] == "string"


# --- Sectors ----------------------------------------------------------------------------------------


def test_every_sector_is_listed_with_its_figures_or_null(client, document, conectar):
    body = answer(client, document, SECTORS)

    assert [row["code"] for row in body] == list(Sector.values)
    telecom = body[0]
    assert telecom["published_companies"] == 1
    assert telecom["figures"]["agreement_rate"] == 0.52
    assert telecom["median_company"] == {
        "answered_share": 0.75,
        "agreement_rate": 0.5,
        "compliance_rate": 0.83,
        "satisfaction": 3.3,
    }
    assert (telecom["received"], telecom["closed"]) == (4000, 3100)
    tourism = next(row for row in body if row["code"] == "tourism")
    assert tourism["figures"] is None and tourism["window"] is None and tourism["published_companies"] == 0


def test_a_sector_s_figures(client, document, conectar):
    body = answer(client, document, sector_url("telecom"))

    assert body["name"] == "Telecommunications, internet and pay TV"
    assert body["figures"]["median_days_resolution"] == 31.0
    assert body["companies_url"] == "http://testserver/api/publica/v1/empresas?sector=telecom"


def test_an_unknown_sector_is_not_found(client, document):
    answer(client, document, sector_url("casinos"), status=404)


# --- Read-only, cacheable, constant queries ------------------------------------------------------------


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_api_only_reads(client, conectar, method):
    for url in (COMPANIES, company_url(conectar.cuit), SECTORS, sector_url("telecom")):
        assert getattr(client, method)(url).status_code == 405, (method, url)


def test_an_answer_may_be_cached_a_few_minutes_by_anyone(client, conectar):
    """JSON carries no CSRF token nor CSP nonce: a shared cache may keep it."""
    for url in (COMPANIES, company_url(conectar.cuit), SECTORS, sector_url("telecom"), OPENAPI):
        response = client.get(url)
        assert response["Content-Type"].startswith("application/json"), url
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        assert {"public", "max-age=300"} <= directives, url


def test_the_reference_page_is_kept_by_the_visitor_s_browser_only(client):
    directives = {d.strip() for d in client.get(DOCS)["Cache-Control"].split(",")}

    assert {"private", "max-age=300"} <= directives
    assert "public" not in directives


def test_the_api_reads_from_the_replica(client, conectar, monkeypatch):
    from config import routers
    from reporting import transparency

    seen = []
    original = transparency.published_figures

    def spy():
        seen.append(routers._reporting.get())
        return original()

    monkeypatch.setattr(transparency, "published_figures", spy)

    client.get(COMPANIES)
    client.get(company_url(conectar.cuit))

    assert seen and all(seen)


def count_queries(client, path: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(path, params or {}).status_code == 200
    return len(context)


def test_no_answer_s_query_count_grows_with_its_rows(client):
    sector_figures()
    for number in range(3):
        publish(a_company(f"Pocas {number}"))
    few = {path: count_queries(client, path) for path in (COMPANIES, SECTORS, sector_url("telecom"))}
    for number in range(40):
        publish(a_company(f"Muchas {number}"))

    many = {path: count_queries(client, path) for path in (COMPANIES, SECTORS, sector_url("telecom"))}

    assert many == few
    # The list: its count and its page. The sectors: their rows and the published per sector.
    assert few[COMPANIES] <= 2
    assert few[SECTORS] <= 2
