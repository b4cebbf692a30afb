"""No personal data reaches an open-data file, tested field by field.

Cases are built through the real services (filed, answered, withdrawn or rejected, surveyed) by a
consumer with distinctive personal data against a company that is a human person, their facts are
built by the real refresh, and then every text value of every row involved — the consumer, her
profile, the cases, the companies' parts, the company, its representative, the answers, the surveys,
the record's reasons — and every exact date is looked for in both files. The fields are read from the
models, not listed by hand, so a personal field added later is checked too."""

import csv
import io
import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import models
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from stdnum.ar import cuit as stdnum_cuit

from complaints import services
from complaints.models import CaseCompany, CaseEvent, CompanyAnswer, Complaint
from parties.models import Company, ConsumerProfile, PowerKind, PowerStatus, Representation, Role, User
from reporting import opendata
from reporting.models import CaseFact, Survey
from reporting.refresh import rebuild
from reporting.surveys import survey_answer
from tests.complaints.factories import served_case, submitted_case
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

BA = ZoneInfo("America/Argentina/Buenos_Aires")
OCTOBER = date(2026, 10, 1)
# Fields of the record that hold the app's vocabulary (codes with no list of choices on the field), not
# anyone's data: "withdraw" is part of the outcome code "withdrawn", rightly in the file.
CODE_FIELDS = {
    ("complaints.caseevent", "action"),
    ("complaints.caseevent", "from_state"),
    ("complaints.caseevent", "to_state"),
}


def a_cuit(prefix: str, number: int) -> str:
    body = f"{prefix}{number:08d}"
    return body + stdnum_cuit.calc_check_digit(body)


@pytest.fixture
def eulalia(db) -> User:
    user = make_user("eulalia.quispe@correo.test", first_name="Eulalia", last_name="Quispe Mamaní")
    ConsumerProfile.objects.create(
        user=user,
        dni="27999111",
        cuil="27279991116",
        phone="+5491187654321",
        street_address="Calle Inventada 4321",
        city="Villa Ortúzar Norte",
        postal_code="C1427",
        province="CABA",
    )
    return user


@pytest.fixture
def sole_trader(db) -> Company:
    """A company that is a human person: its CUIT and name are personal data."""
    return Company.objects.create(
        cuit=a_cuit("20", 17_345_678),
        legal_name="Zacarías Quintanilla Ferreyra",
        trade_names="Almacén Don Zacarías",
        legal_address="Pasaje Ombú 1234, Lanús",
        electronic_domicile="zacarias.quintanilla@correo.test",
    )


@pytest.fixture
def zacarias(sole_trader) -> User:
    user = make_user("zq.apoderado@correo.test", Role.REPRESENTATIVE, first_name="Teodomiro", last_name="Bustillo")
    Representation.objects.create(
        user=user,
        company=sole_trader,
        is_admin=True,
        power_kind=PowerKind.GENERAL,
        power_status=PowerStatus.VALIDATED,
    )
    return user


def at(day: int, hour: int = 11) -> datetime:
    return datetime(2026, 10, day, hour, 0, tzinfo=BA)


@pytest.fixture
def closed_in_october(eulalia, sole_trader, zacarias, officer, django_capture_on_commit_callbacks) -> list[Complaint]:
    """One case served, answered and withdrawn, and one rejected at admission, both in October 2026,
    both surveyed with comments; then the facts as the refresh builds them."""
    particulars: dict[str, Any] = {
        "product": "Lavarropas Zeta Tornado 8 kg",
        "purchase_city": "Remedios de Escalada Oeste",
        "facts": "El lavarropas Tornado inundó el departamento de la calle Inventada el día de la mudanza.",
        "claim_detail": "Quiero que me devuelvan los $ 612.345 pagados con la tarjeta terminada en 9876.",
    }
    with django_capture_on_commit_callbacks(execute=True):
        with time_machine.travel(at(5), tick=False):
            withdrawn = served_case(eulalia, sole_trader, officer, **particulars)
            CaseCompany.objects.filter(complaint=withdrawn).update(address="Pasaje Ombú 1234, Lanús")
        with time_machine.travel(at(8), tick=False):
            services.company_answer(
                complaint=withdrawn, by=zacarias, text="Teodomiro ofrece revisar el equipo en Pasaje Ombú."
            )
        with time_machine.travel(at(14), tick=False):
            services.complaint_withdraw(complaint=withdrawn, by=eulalia, reason="Me lo arregló mi cuñado Anselmo.")
        with time_machine.travel(at(6), tick=False):
            rejected = submitted_case(eulalia, sole_trader, **particulars)
        with time_machine.travel(at(9), tick=False):
            services.complaint_reject(
                complaint=rejected, by=officer, reason="duplicate", detail="Repite el reclamo de la señora Quispe."
            )
    with time_machine.travel(at(20), tick=False):
        for survey in Survey.objects.filter(complaint__in=[withdrawn, rejected]).select_related("complaint"):
            survey_answer(
                survey=survey,
                by=None,
                satisfaction=2,
                solved=Survey.Solved.NO,
                would_use_again=True,
                comment=f"Comentario reservado número {survey.pk} de la encuesta: Anselmo no vino.",
            )
    rebuild()
    assert CaseFact.objects.filter(closed_month=OCTOBER, closed=True).count() == 2
    return [withdrawn, rejected]


def files(client: Client) -> dict[str, str]:
    """Each file's rows as text (the JSON's metadata aside: it says when it was generated, today)."""
    found: dict[str, str] = {}
    for fmt in opendata.FORMATS:
        response = client.get(reverse("open_data_file", kwargs={"year": 2026, "month": "10", "fmt": fmt}))
        assert response.status_code == 200 and isinstance(response, StreamingHttpResponse)
        text = response.getvalue().decode()
        found[fmt] = text if fmt == "csv" else json.dumps(json.loads(text)["rows"], ensure_ascii=False)
    return found


def rows_involved(cases: list[Complaint], people: list[User], company: Company) -> Iterator[models.Model]:
    yield from people
    yield from ConsumerProfile.objects.filter(user__in=people)
    yield company
    for case in Complaint.objects.filter(pk__in=[c.pk for c in cases]):
        yield case
        yield from case.parts.all()
        yield from CaseEvent.objects.filter(complaint=case)
        yield from CompanyAnswer.objects.filter(complaint=case)
        yield from Survey.objects.filter(complaint=case)


def personal_values(rows: Iterator[models.Model]) -> Iterator[tuple[str, str]]:
    """Every text a person or a company wrote or was registered with (codes from a list of choices
    are vocabulary, not personal data), and every exact date, in the forms a file could carry."""
    for row in rows:
        for field in row._meta.concrete_fields:
            where = f"{row._meta.label_lower}.{field.name}"
            if (row._meta.label_lower, field.name) in CODE_FIELDS:
                continue
            value = getattr(row, field.attname)
            if value in (None, "", [], {}):
                continue
            if isinstance(field, models.DateTimeField):
                day = timezone.localtime(value).date()
                yield where, day.isoformat()
                yield where, day.strftime("%d/%m/%Y")
            elif isinstance(field, models.DateField):
                yield where, value.isoformat()
                yield where, value.strftime("%d/%m/%Y")
            elif isinstance(field, models.CharField | models.TextField) and not field.choices:
                yield where, str(value)
            elif isinstance(field, models.JSONField):
                yield from ((where, str(item)) for item in (value if isinstance(value, list) else [value]))


def test_no_personal_value_of_any_row_involved_appears_in_either_file(
    client, closed_in_october, eulalia, zacarias, sole_trader
):
    texts = files(client)
    values = list(personal_values(rows_involved(closed_in_october, [eulalia, zacarias], sole_trader)))

    # The data set is what the test says it is: the distinctive values are among those looked for.
    looked_for = {value for _where, value in values}
    assert {"27999111", "+5491187654321", "Calle Inventada 4321", "Eulalia", "Quispe Mamaní"} <= looked_for
    assert {sole_trader.cuit, sole_trader.legal_name, "Repite el reclamo de la señora Quispe."} <= looked_for
    assert any("Comentario reservado" in value for value in looked_for)
    assert {"2026-10-05", "2026-10-14"} <= looked_for
    leaks = [(fmt, where, value) for fmt, text in texts.items() for where, value in values if value in text]
    assert leaks == []


def test_the_sole_traders_rows_keep_their_figures_without_its_identity(client, closed_in_october):
    response = client.get(reverse("open_data_file", kwargs={"year": 2026, "month": "10", "fmt": "csv"}))
    assert isinstance(response, StreamingHttpResponse)
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))

    assert sorted(row["outcome"] for row in rows) == ["rejected", "withdrawn"]
    for row in rows:
        assert (row["company_cuit"], row["company_name"], row["company_withheld"]) == ("", "", "natural_person")
        assert row["company_natural_person"] == "true"
        assert row["month_closed"] == "2026-10" and row["month_filed"] == "2026-10"
        # Both surveys were answered (2 out of 5, not solved): no row tells either answer.
        assert not {"consumer_satisfaction", "solved", "consumer_would_return", "company_satisfaction"} & set(row)
    withdrawn = next(row for row in rows if row["outcome"] == "withdrawn")
    assert withdrawn["company_answered"] == "true" and withdrawn["served"] == "true"
    # No id of the case: the anonymous row ids are neither the parts' nor the cases' ids or numbers.
    ids = {str(pk) for pk in CaseCompany.objects.values_list("pk", flat=True)} | {
        str(pk) for pk in Complaint.objects.values_list("pk", flat=True)
    }
    numbers = set(Complaint.objects.exclude(number=None).values_list("number", flat=True))
    assert not {row["row_id"] for row in rows} & (ids | numbers)


def test_what_a_consumer_typed_about_a_company_is_not_in_the_files(client, settings, eulalia, officer):
    """A consumer names a company the office does not know: the registry gets it as she typed it. Even
    if the refresh publishes it (one closed case is enough here), the files never show that text."""
    from reporting.models import CompanyFigure
    from tests.reporting.test_public_pages import a_company
    from tests.reporting.test_publication import filed_against_an_unknown_company

    settings.PUBLIC_MIN_CLOSED_CASES = 1
    known = a_company("Conocida S.A.")
    with time_machine.travel(at(5), tick=False):
        typed = filed_against_an_unknown_company(
            eulalia, known, cuit=a_cuit("30", 71_555_666), name="Kiosco de mi cuñado Anselmo"
        )
    with time_machine.travel(at(9), tick=False):
        case = Complaint.objects.get(parts__company=typed)
        services.complaint_reject(complaint=case, by=officer, reason="duplicate", detail="Sin datos.")
    rebuild()
    CompanyFigure.objects.filter(company=typed).update(published=True)  # whatever the refresh decided

    texts = files(client)
    response = client.get(reverse("open_data_file", kwargs={"year": 2026, "month": "10", "fmt": "csv"}))
    assert isinstance(response, StreamingHttpResponse)
    [row] = list(csv.DictReader(io.StringIO(response.getvalue().decode())))

    assert (row["company_cuit"], row["company_name"], row["company_withheld"]) == ("", "", "not_published")
    for text in texts.values():
        assert "Anselmo" not in text and "Kiosco" not in text
        assert typed.cuit not in text and stdnum_cuit.format(typed.cuit) not in text
