"""A hearing of several companies where each company's agreement has its own schedule: one pays in
instalments, another at once, the third does not agree. The console's form takes a schedule per
company, refuses a bad one next to that company's field, and each Agreement gets its own rows."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.models import PartStatus
from hearings.errors import HearingError
from hearings.forms.outcome import CompaniesOutcomeForm
from hearings.models import Agreement, Hearing, PartOutcome
from hearings.services.outcome import CompanyOutcome, outcome_record
from tests.hearings.test_outcome_support import compliance_day
from tests.hearings.test_several_companies import three  # noqa: F401  (the fixture)
from tests.hearings.test_several_companies_pages import _statuses, case_of_three  # noqa: F401

Outcome = Hearing.Outcome


def days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


def lines(*rows: tuple[int, str]) -> str:
    return "\n".join(f"{days(n).isoformat()} {amount}" for n, amount in rows)


def test_each_companys_agreement_gets_its_own_schedule_or_none(three, conciliator):  # noqa: F811
    hearing, parts, _reps = three
    a, b, c = parts
    outcome_record(
        hearing=hearing,
        by=conciliator,
        outcome=Outcome.AGREEMENT,
        per_company={
            a.pk: CompanyOutcome(
                Outcome.AGREEMENT,
                terms="El vendedor devuelve el precio en dos cuotas.",
                amount=Decimal("100000.00"),
                instalments=[(days(30), Decimal("50000")), (days(60), Decimal("50000"))],
            ),
            b.pk: CompanyOutcome(
                Outcome.AGREEMENT,
                terms="La fábrica paga de una vez.",
                amount=Decimal("20000.00"),
                compliance_due=compliance_day(),
            ),
            c.pk: CompanyOutcome(Outcome.NO_AGREEMENT),
        },
    )
    by_part = {agreement.part_id: agreement for agreement in Agreement.objects.filter(complaint=hearing.complaint)}
    assert set(by_part) == {a.pk, b.pk}
    in_instalments, at_once = by_part[a.pk], by_part[b.pk]
    assert in_instalments.compliance_due == days(60)
    assert list(in_instalments.instalments.values_list("number", "due_date", "amount")) == [
        (1, days(30), Decimal("50000")),
        (2, days(60), Decimal("50000")),
    ]
    assert at_once.compliance_due == compliance_day()
    assert not at_once.instalments.exists()


def test_a_companys_schedule_that_does_not_add_up_records_nothing(three, conciliator):  # noqa: F811
    hearing, parts, _reps = three
    a, b, c = parts
    with pytest.raises(HearingError, match="not to the agreed amount"):
        outcome_record(
            hearing=hearing,
            by=conciliator,
            outcome=Outcome.AGREEMENT,
            per_company={
                a.pk: CompanyOutcome(
                    Outcome.AGREEMENT,
                    terms="Dos cuotas.",
                    amount=Decimal("100000.00"),
                    instalments=[(days(30), Decimal("10")), (days(60), Decimal("10"))],
                ),
                b.pk: CompanyOutcome(Outcome.NO_AGREEMENT),
                c.pk: CompanyOutcome(Outcome.NO_AGREEMENT),
            },
        )
    assert not Agreement.objects.exists() and not PartOutcome.objects.exists()


# --- The console's form ----------------------------------------------------------------------------------


def _post(parts, **extra):
    a, b, c = parts
    data = {
        "outcome": "each_company",
        "notes": "Audiencia con las tres empresas.",
        f"part-{a.pk}-outcome": Outcome.AGREEMENT,
        f"part-{a.pk}-terms": "El vendedor devuelve el precio en tres cuotas.",
        f"part-{a.pk}-amount": "90000",
        f"part-{a.pk}-compliance_due": "",
        f"part-{a.pk}-instalments": lines((30, "30000"), (60, "30000"), (90, "30000,00")),
        f"part-{b.pk}-outcome": Outcome.AGREEMENT,
        f"part-{b.pk}-terms": "La fábrica paga de una vez.",
        f"part-{b.pk}-amount": "20000",
        f"part-{b.pk}-compliance_due": compliance_day().isoformat(),
        f"part-{c.pk}-outcome": Outcome.NO_AGREEMENT,
    }
    data.update(extra)
    return data


def test_the_console_shows_a_schedule_field_for_each_company(case_of_three, conciliator, client_for):  # noqa: F811
    hearing, parts, _reps = case_of_three
    html = client_for(conciliator).get(reverse("hearing_console", args=[hearing.pk])).content.decode()
    for part in parts:
        assert f'name="part-{part.pk}-instalments"' in html
        assert f'for="id_part-{part.pk}-instalments"' in html
        assert f'aria-describedby="id_part-{part.pk}-instalments_helptext"' in html
    assert html.count("Paid in instalments (optional)") == len(parts)


def test_the_console_records_one_company_in_instalments_and_another_at_once(
    case_of_three,  # noqa: F811
    conciliator,
    client_for,
):
    hearing, parts, _reps = case_of_three
    a, b, _c = parts
    response = client_for(conciliator).post(reverse("hearing_outcome", args=[hearing.pk]), _post(parts))
    assert response.status_code == 302
    assert _statuses(parts) == [PartStatus.AGREEMENT, PartStatus.AGREEMENT, PartStatus.REFERRED]
    first = Agreement.objects.get(part=a)
    assert first.compliance_due == days(90)
    assert list(first.instalments.values_list("amount", flat=True)) == [Decimal("30000")] * 3
    second = Agreement.objects.get(part=b)
    assert (second.compliance_due, second.instalments.count()) == (compliance_day(), 0)


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("mañana 30000", "Line 1: write the date as YYYY-MM-DD"),
        (lines((30, "30000"), (60, "30000")), "add up to 60000.00, not to the agreed amount of 90000.00"),
        (lines((30, "90000")), "at least two instalments"),
    ],
)
def test_a_bad_schedule_is_named_next_to_that_companys_field(
    case_of_three,  # noqa: F811
    conciliator,
    client_for,
    schedule,
    message,
):
    hearing, parts, _reps = case_of_three
    a = parts[0]
    response = client_for(conciliator).post(
        reverse("hearing_outcome", args=[hearing.pk]), _post(parts, **{f"part-{a.pk}-instalments": schedule})
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "error-summary" in html
    assert message in html
    assert f'id="id_part-{a.pk}-instalments_error"' in html
    assert not PartOutcome.objects.filter(hearing=hearing).exists()
    assert not Agreement.objects.exists()


def test_without_a_schedule_the_company_still_needs_its_deadline(case_of_three, conciliator):  # noqa: F811
    _hearing, parts, _reps = case_of_three
    a = parts[0]
    form = CompaniesOutcomeForm(_post(parts, **{f"part-{a.pk}-instalments": ""}), parts=parts)
    assert not form.is_valid()
    assert f"Enter the date by which {a.display_name} must comply." in str(form.errors[f"part-{a.pk}-compliance_due"])


def test_a_bad_amount_next_to_a_schedule_is_a_form_error_not_a_crash(case_of_three, conciliator):  # noqa: F811
    _hearing, parts, _reps = case_of_three
    a = parts[0]
    form = CompaniesOutcomeForm(_post(parts, **{f"part-{a.pk}-amount": "mucho"}), parts=parts)
    assert not form.is_valid()
    assert f"part-{a.pk}-amount" in form.errors


# --- An offer in instalments accepted before the hearing ------------------------------------------------


def test_a_company_that_agreed_by_an_offer_in_instalments_keeps_them_at_homologation(
    three,  # noqa: F811
    consumer,
    conciliator,
    director,
):
    from complaints.services import offer_accept, offer_make
    from hearings.services.acta import acta_confirm, acta_generate
    from hearings.services.approval import agreement_approve

    hearing, parts, reps = three
    a, b, c = parts
    offer = offer_make(
        complaint=hearing.complaint,
        by=reps[2],
        part=c,
        terms="El banco devuelve los intereses en dos cuotas.",
        fulfil_by=None,
        amount=Decimal("12000.00"),
        instalments=[(days(20), Decimal("6000")), (days(50), Decimal("6000"))],
    )
    offer_accept(offer=offer, by=consumer)
    assert _statuses(parts)[2] == PartStatus.AGREEMENT
    outcome_record(
        hearing=hearing,
        by=conciliator,
        outcome=Outcome.AGREEMENT,
        per_company={
            a.pk: CompanyOutcome(Outcome.AGREEMENT, terms="El vendedor cambia la heladera.", compliance_due=days(40)),
            b.pk: CompanyOutcome(Outcome.NO_AGREEMENT),
        },
    )
    acta_generate(hearing_id=hearing.pk)
    acta_confirm(hearing=hearing, by=consumer)
    acta_confirm(hearing=hearing, by=reps[0])
    agreement_approve(complaint=hearing.complaint, by=director)

    from_offer = Agreement.objects.get(part=c)
    assert (from_offer.hearing_id, from_offer.compliance_due) == (None, days(50))
    assert list(from_offer.instalments.values_list("number", "due_date", "amount")) == [
        (1, days(20), Decimal("6000")),
        (2, days(50), Decimal("6000")),
    ]
    assert not Agreement.objects.get(part=a).instalments.exists()
