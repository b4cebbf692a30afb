"""No personal data can reach a public page or the public API: tested field by field.

A consumer with a distinctive name, DNI, CUIL, e-mail, phone and address files complaints with
distinctive facts, claim details and a survey comment, against a company, against a sole trader (a
company that is a person, CUIT 20-…) and against a company the office did not know, which the
registry takes as she typed it. The figures are built from those cases by the real refresh. Then
every public page and every API answer, in both languages, is searched for every text value of every
row involved: the fields are read from the models, not from a hand list, so a personal field added
later is checked too. (The open-data files have their own field-by-field test, test_opendata*.py.)"""

import html
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

import pytest
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from stdnum.ar import cuit as stdnum_cuit

from complaints import services
from complaints.models import CaseCompany, CaseEvent, Complaint
from parties.models import Company, ConsumerProfile, Sector
from parties.validators import format_phone
from reporting import refresh
from reporting.models import CompanyFigure, Survey
from tests.complaints.factories import draft_case, served_case, submitted_case
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

# What a company's own public identity is: shown on purpose for a company that is not a person.
COMPANY_IDENTITY = {
    (Company, "cuit"),
    (Company, "legal_name"),
    (Company, "trade_names"),
    (Complaint, "company_cuit"),
    (Complaint, "company_name"),
    (CaseCompany, "cuit"),
    (CaseCompany, "name"),
}
TEXT_FIELDS = (models.CharField, models.TextField, models.EmailField)
# Codes, not anyone's data: which move a case event records (declared in complaints/actions.py), and
# which key sealed it.
NOT_PERSONAL = {(CaseEvent, "action"), (CaseEvent, "key_id")}
SHORTEST = 5  # shorter values ("CABA", a two-letter code) say nothing about anyone


def text_values(row: models.Model, *, identity_is_public: bool = False) -> dict[str, str]:
    """Every text value of the row, by "Model.field", except choice codes and, for a company that is
    not a person, its public identity."""
    found = {}
    for field in row._meta.concrete_fields:
        if not isinstance(field, TEXT_FIELDS) or field.choices or (type(row), field.name) in NOT_PERSONAL:
            continue
        if identity_is_public and (type(row), field.name) in COMPANY_IDENTITY:
            continue
        value = getattr(row, field.attname)
        if isinstance(value, str) and len(value.strip()) >= SHORTEST:
            found[f"{type(row).__name__}.{field.name}"] = value.strip()
    return found


def variants(value: str) -> set[str]:
    """The value, and the ways a page could write it: a DNI with dots, a CUIT with dashes, a phone
    in its international format."""
    forms = {value}
    if value.isdigit() and len(value) in (7, 8):
        forms.add(f"{int(value):,}".replace(",", "."))
    if value.isdigit() and len(value) == 11:
        forms.add(stdnum_cuit.format(value))
    if value.startswith("+") and value[1:].isdigit():
        forms.add(format_phone(value))
    return forms


@pytest.fixture
def world(settings, officer, company):
    """The people, the cases, the survey, and the figures the refresh built from them."""
    settings.PUBLIC_MIN_CLOSED_CASES = 2
    # The company set up its electronic domicile: verified by the office, it may be named.
    Company.objects.filter(pk=company.pk).update(
        sector=Sector.RETAIL, trade_names="ElectroSur", electronic_domicile_set_at=timezone.now()
    )
    company.refresh_from_db()
    person = Company.objects.create(
        cuit="20333444551",
        legal_name="Eustaquio Barrionuevo Lanús",
        trade_names="Almacén Don Eustaquio",
        legal_address="Pasaje Ñandubay 4471, Villa Traful",
        electronic_domicile="eustaquio.barrionuevo@correo-unico.test",
        sector=Sector.RETAIL,
    )
    consumer = make_user("wenceslao.quiroga@correo-unico.test", first_name="Wenceslao", last_name="Quiroga Ybarra")
    ConsumerProfile.objects.create(
        user=consumer,
        dni="31987654",
        cuil="20319876546",
        phone="+5492944718293",
        street_address="Calle Los Arrayanes 7719",
        city="Villa La Angostura",
        postal_code="Q8407XAB",
        province="NQ",
    )
    details: dict[str, Any] = {
        "product": "Lavarropas Ñandú Supremo 9 kg",
        "facts": "El técnico Anselmo Vidaurre rompió la bomba y se negó a dejar constancia escrita.",
        "claim_detail": "Reintegro en la cuenta terminada en 4471-XYZ del Banco Patagónico.",
    }
    cases = [
        served_case(consumer, company, officer, **details),
        served_case(consumer, company, officer, **details),
        submitted_case(consumer, person, **details),
        submitted_case(consumer, person, **details),
    ]
    # Twice against a company the office did not know: she types its CUIT and what she calls it.
    for _ in range(2):
        case = draft_case(consumer, company, **details)
        services.case_parts.name_company(case, cuit="30718293843", name="Gomería del Rengo Wenceslao", position=1)
        cases.append(services.complaint_submit(complaint=case, by=consumer))
    typed = Company.objects.get(cuit="30718293843")
    typed.sector = Sector.RETAIL
    typed.save(update_fields=["sector"])
    # Every case ends (withdrawn or rejected), so both companies reach the minimum of closed cases.
    services.complaint_withdraw(complaint=cases[0], by=consumer, reason="Me devolvieron el dinero, gracias Rigoberto.")
    services.complaint_withdraw(complaint=cases[1], by=consumer, reason="Arreglado por Rigoberto.")
    for case in cases[2:]:
        services.complaint_reject(complaint=case, by=officer, reason="not_consumer", detail="Hablé con Eustaquio.")
    now = timezone.now()
    Survey.objects.update_or_create(
        complaint=cases[0],
        respondent=Survey.Respondent.CONSUMER,
        defaults={
            "expires_at": now + timedelta(days=30),
            "sent_at": now,
            "answered_at": now,
            "satisfaction": 2,
            "solved": Survey.Solved.PARTLY,
            "would_use_again": True,
            "comment": "Pésima atención de Rigoberto Saavedra en la sucursal de Tafí Viejo.",
        },
    )
    refresh.rebuild()
    return {"company": company, "person": person, "typed": typed, "consumer": consumer, "cases": cases}


def personal_values(world) -> dict[str, str]:
    """Every text value of every row involved that is not a company's public identity."""
    consumer, company, person = world["consumer"], world["company"], world["person"]
    rows: list[tuple[models.Model, bool]] = [(consumer, False), (ConsumerProfile.objects.get(user=consumer), False)]
    rows += [(company, True), (person, False), (world["typed"], False)]
    for case in Complaint.objects.filter(pk__in=[c.pk for c in world["cases"]]):
        rows.append((case, case.company_id == company.pk))
        rows += [(part, part.company_id == company.pk) for part in CaseCompany.objects.filter(complaint=case)]
        rows += [(event, False) for event in CaseEvent.objects.filter(complaint=case)]
    rows += [(survey, False) for survey in Survey.objects.filter(complaint__in=world["cases"])]
    values: dict[str, str] = {}
    for row, identity_is_public in rows:
        for name, value in text_values(row, identity_is_public=identity_is_public).items():
            values[f"{name} #{row.pk}"] = value
    return values


def public_urls(world) -> list[tuple[str, dict[str, str]]]:
    company, person, typed = world["company"], world["person"], world["typed"]
    return [
        (reverse("transparency"), {"q": "Gomería"}),
        (reverse("transparency"), {"q": typed.cuit}),
        (reverse("transparency_company", args=[typed.cuit]), {}),
        (reverse("public_api:companies"), {"q": "Rengo"}),
        (reverse("public_api:company", args=[typed.cuit]), {}),
        (reverse("transparency"), {}),
        (reverse("transparency"), {"q": "Barrionuevo"}),
        (reverse("transparency"), {"q": "Eustaquio"}),
        (reverse("transparency"), {"q": stdnum_cuit.format(person.cuit)}),
        (reverse("transparency"), {"q": "Quiroga"}),
        (reverse("transparency_company", args=[company.cuit]), {}),
        (reverse("transparency_company", args=[person.cuit]), {}),
        (reverse("transparency_sector", args=[Sector.RETAIL]), {}),
        (reverse("transparency_sector", args=[Sector.RETAIL]), {"q": "Barrionuevo"}),
        (reverse("transparency_sector", args=[Sector.RETAIL]), {"sort": "satisfaction"}),
        (reverse("public_api:companies"), {}),
        (reverse("public_api:companies"), {"q": "Barrionuevo"}),
        (reverse("public_api:companies"), {"sector": Sector.RETAIL}),
        (reverse("public_api:company", args=[company.cuit]), {}),
        (reverse("public_api:company", args=[person.cuit]), {}),
        (reverse("public_api:sectors"), {}),
        (reverse("public_api:sector", args=[Sector.RETAIL]), {}),
        (reverse("public_api:openapi-json"), {}),
        (reverse("public_api:openapi-view"), {}),
    ]


def leaks(world) -> list[str]:
    """Every personal value found on a public page or API answer, in either language. A value the
    visitor typed in the address (a CUIT searched for) is echoed back to them, and is not a leak."""
    personal = personal_values(world)
    assert len(personal) > 20, personal  # the world holds what the test is about
    found = []
    for language in ("es-AR", "en"):
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        for url, params in public_urls(world):
            response = client.get(url, params)
            assert response.status_code in (200, 404), (url, params, response.status_code)
            body = html.unescape(response.content.decode()).lower()
            body += response.content.decode("unicode_escape", errors="ignore").lower()  # JSON's \u escapes
            typed = unquote(url + " " + " ".join(params.values())).lower()
            for name, value in personal.items():
                for form in variants(value):
                    if form.lower() in body and form.lower() not in typed:
                        found.append(f"{name} ({form!r}) on {url} {params} [{language}]")
    return found


def test_the_figures_were_built_from_the_cases(world):
    """The refresh published the company and, being a person, not the sole trader; the company made of
    what the consumer typed has as many closed cases as the published one."""
    figures = {figure.company_id: figure for figure in CompanyFigure.objects.all()}

    assert figures[world["company"].pk].published
    assert figures[world["company"].pk].closed == 2
    assert figures[world["person"].pk].closed == 2
    assert not figures[world["person"].pk].published
    assert figures[world["typed"].pk].closed == 2


def test_no_personal_value_reaches_a_public_page_or_the_api(world):
    assert leaks(world) == []


def test_a_sole_trader_stays_hidden_even_if_its_figures_were_marked_published(world):
    CompanyFigure.objects.filter(company=world["person"]).update(published=True)

    assert leaks(world) == []


def test_what_the_consumer_typed_as_a_company_stays_hidden_even_if_marked_published(world):
    """The registry made a company of her text; unverified by the office, it is never named, whatever
    the figures' flag says."""
    assert world["typed"].created_by == world["consumer"]
    CompanyFigure.objects.filter(company=world["typed"]).update(published=True)

    assert leaks(world) == []


def test_the_check_finds_the_typed_name_if_it_were_named(world):
    """The check can fail: once the office verifies that company, its (typed) name is shown."""
    Company.objects.filter(pk=world["typed"].pk).update(electronic_domicile_set_at=timezone.now())
    CompanyFigure.objects.filter(company=world["typed"]).update(published=True)

    assert any("Gomería del Rengo Wenceslao" in leak for leak in leaks(world))


def test_the_check_finds_a_leak(world, monkeypatch):
    """The check itself can fail: a page that showed the consumer's phone would be caught."""
    from reporting import transparency

    phone = format_phone(ConsumerProfile.objects.get(user=world["consumer"]).phone)
    monkeypatch.setattr(transparency, "trade_names", lambda figure: [phone])

    assert any("ConsumerProfile.phone" in leak for leak in leaks(world))
