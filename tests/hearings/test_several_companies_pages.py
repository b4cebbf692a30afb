"""The pages of a hearing of several companies: the conciliator records each company's outcome
through the console's form, the case page shows each company's outcome and agreement and lets the
consumer answer compliance per agreement, and the acta is confirmed once per company a
representative binds through a validated power."""

from decimal import Decimal

import pytest
from django.urls import reverse

from complaints.models import CaseCompany, PartStatus
from complaints.services import complaint_admit, complaint_submit
from complaints.services.parts import name_company
from complaints.states import State
from hearings import policy
from hearings.models import Acta, ActaConfirmation, Agreement, Hearing, PartOutcome
from hearings.services.acta import acta_confirm, acta_generate
from hearings.services.approval import agreement_approve
from hearings.services.outcome import CompanyOutcome, outcome_record
from parties.models import PowerKind, PowerStatus, Representation, Role
from tests.complaints.factories import draft_case
from tests.conftest import make_user
from tests.hearings.test_outcome_support import agreement_at, compliance_day, hearing_under_way
from tests.hearings.test_several_companies import _company, _rep

Outcome = Hearing.Outcome


@pytest.fixture
def case_of_three(consumer, company, officer, conciliator):
    """A case against three companies, each served, its hearing under way; a validated
    representative for each company."""
    maker = _company("30500010912", "Fábrica Frío S.A.", "legales@friosa.test")
    bank = _company("30500001735", "Banco Cuotas S.A.", "legales@bancocuotas.test")
    case = draft_case(consumer, company)
    name_company(case, company=maker)
    name_company(case, company=bank)
    case = complaint_submit(complaint=case, by=consumer)
    case = complaint_admit(complaint=case, by=officer)
    parts = list(CaseCompany.objects.filter(complaint=case).order_by("position"))
    reps = [
        _rep("ana@electrosur.test", company),
        _rep("beto@friosa.test", maker),
        _rep("carla@bancocuotas.test", bank),
    ]
    hearing = hearing_under_way(consumer, company, officer, conciliator, complaint=case)
    return hearing, parts, reps


def _statuses(parts):
    return [CaseCompany.objects.get(pk=p.pk).status for p in parts]


def _mixed_post(parts, **extra):
    a, b, c = parts
    data = {
        "outcome": "each_company",
        "notes": "Audiencia con las tres empresas.",
        f"part-{a.pk}-outcome": Outcome.AGREEMENT,
        f"part-{a.pk}-terms": "El vendedor cambia la heladera.",
        f"part-{a.pk}-amount": "850000",
        f"part-{a.pk}-compliance_due": compliance_day().isoformat(),
        f"part-{b.pk}-outcome": Outcome.COMPANY_ABSENT,
        f"part-{c.pk}-outcome": Outcome.NO_AGREEMENT,
    }
    data.update(extra)
    return data


# --- The outcome form ------------------------------------------------------------------------------


def test_the_console_asks_each_company_its_outcome_and_records_a_mixed_outcome(case_of_three, conciliator, client_for):
    hearing, parts, _reps = case_of_three
    client = client_for(conciliator)
    page = client.get(reverse("hearing_console", args=[hearing.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    for part in parts:
        assert f'name="part-{part.pk}-outcome"' in html
        assert part.display_name in html
    response = client.post(reverse("hearing_outcome", args=[hearing.pk]), _mixed_post(parts))
    assert response.status_code == 302
    assert _statuses(parts) == [PartStatus.AGREEMENT, PartStatus.ABSENT, PartStatus.REFERRED]
    agreement = Agreement.objects.get(complaint=hearing.complaint)
    assert (agreement.part_id, agreement.amount) == (parts[0].pk, Decimal("850000"))
    assert PartOutcome.objects.filter(hearing=hearing).count() == 3
    hearing.complaint.refresh_from_db()
    assert hearing.complaint.status == State.AGREEMENT


@pytest.mark.parametrize(
    "crafted",
    [
        {"part-abc-outcome": Outcome.AGREEMENT},
        {"part-999999-outcome": Outcome.NO_AGREEMENT},
        {"part--terms": "x"},
    ],
)
def test_crafted_company_ids_are_a_form_error_not_a_crash(case_of_three, conciliator, client_for, crafted):
    hearing, parts, _reps = case_of_three
    response = client_for(conciliator).post(
        reverse("hearing_outcome", args=[hearing.pk]), _mixed_post(parts, **crafted)
    )
    assert response.status_code == 200
    assert "not awaiting this hearing" in response.content.decode()
    assert not PartOutcome.objects.filter(hearing=hearing).exists()
    assert _statuses(parts) == [PartStatus.SERVED] * 3


def test_a_company_without_its_outcome_or_terms_is_named_next_to_the_field(case_of_three, conciliator, client_for):
    hearing, parts, _reps = case_of_three
    a, b, _c = parts
    data = _mixed_post(parts, **{f"part-{a.pk}-terms": "", f"part-{a.pk}-amount": "mucho"})
    del data[f"part-{b.pk}-outcome"]
    response = client_for(conciliator).post(reverse("hearing_outcome", args=[hearing.pk]), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "error-summary" in html
    assert f"Write the terms agreed with {a.display_name}." in html
    assert f"Choose how the hearing ended for {b.display_name}." in html
    assert not PartOutcome.objects.filter(hearing=hearing).exists()


def test_a_consumer_absence_stays_a_whole_case_choice(case_of_three, conciliator, client_for):
    hearing, _parts, _reps = case_of_three
    response = client_for(conciliator).post(
        reverse("hearing_outcome", args=[hearing.pk]), {"outcome": Outcome.CONSUMER_ABSENT, "notes": "No vino."}
    )
    assert response.status_code == 302
    hearing.complaint.refresh_from_db()
    assert hearing.complaint.status == State.CONSUMER_ABSENT


# --- The case page: outcomes, agreements and compliance per company -----------------------------


def _two_agreements_approved(hearing, parts, reps, consumer, conciliator, director):
    a, b, c = parts
    outcome_record(
        hearing=hearing,
        by=conciliator,
        outcome=Outcome.AGREEMENT,
        per_company={
            a.pk: CompanyOutcome(
                Outcome.AGREEMENT, terms="El vendedor cambia la heladera.", compliance_due=compliance_day()
            ),
            b.pk: CompanyOutcome(
                Outcome.AGREEMENT, terms="La fábrica repara el motor.", compliance_due=compliance_day()
            ),
            c.pk: CompanyOutcome(Outcome.NO_AGREEMENT),
        },
    )
    hearing.refresh_from_db()
    acta_generate(hearing_id=hearing.pk)
    case = hearing.complaint
    case.refresh_from_db()
    if case.status == State.AGREEMENT:
        acta = Acta.objects.get(hearing=hearing)
        done = {c.user_id for c in acta.confirmations.all()}
        for person in (consumer, reps[0], reps[1]):
            if person.pk not in done:
                acta_confirm(hearing=hearing, by=person)
        agreement_approve(complaint=case, by=director)
        case.refresh_from_db()
    assert case.status == State.AGREEMENT_APPROVED
    return case


def test_the_consumer_answers_compliance_for_each_companys_agreement_from_the_case_page(
    case_of_three, consumer, conciliator, director, client_for
):
    hearing, parts, reps = case_of_three
    case = _two_agreements_approved(hearing, parts, reps, consumer, conciliator, director)
    a, b, _c = parts
    first, second = Agreement.objects.filter(complaint=case).order_by("pk")
    client = client_for(consumer)
    page = client.get(reverse("complaint_detail", args=[case.pk])).content.decode()
    for part in parts:
        assert part.display_name in page
    assert f"Agreement with {a.display_name}" in page and f"Agreement with {b.display_name}" in page
    assert f'name="agreement" value="{first.pk}"' in page
    assert f"Report a breach by {b.display_name}" in page

    url = reverse("compliance_answer", args=[case.pk])
    # A crafted or foreign agreement id: a form error, nothing moves.
    for crafted in ("abc", "999999", ""):
        response = client.post(url, {"agreement": crafted, "complied": "yes"})
        assert response.status_code == 200
        assert "agreement you are answering for" in response.content.decode()
    assert _statuses(parts)[:2] == [PartStatus.AGREEMENT, PartStatus.AGREEMENT]

    assert client.post(url, {"agreement": first.pk, "complied": "yes"}).status_code == 302
    assert _statuses(parts)[:2] == [PartStatus.COMPLIED, PartStatus.AGREEMENT]
    breach_page = client.get(f"{url}?agreement={second.pk}").content.decode()
    assert b.display_name in breach_page
    response = client.post(url, {"agreement": second.pk, "complied": "no", "details": "No reparó el motor."})
    assert response.status_code == 302
    assert _statuses(parts)[:2] == [PartStatus.COMPLIED, PartStatus.REFERRED]
    # The first one is no longer open: answering it again is a form error.
    response = client.post(url, {"agreement": first.pk, "complied": "yes"})
    assert response.status_code in (200, 302)
    assert _statuses(parts)[0] == PartStatus.COMPLIED


# --- The acta: confirmed only through a validated power, once per company --------------------------


def test_an_unvalidated_representative_cannot_confirm_the_acta_of_a_single_company_case(
    consumer, company, officer, conciliator, unvalidated_representative, client_for
):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    agreement_at(hearing, conciliator)
    acta = acta_generate(hearing_id=hearing.pk)
    assert acta is not None
    hearing.refresh_from_db()
    assert not policy.may_confirm_acta(unvalidated_representative, hearing)
    client = client_for(unvalidated_representative)
    response = client.post(
        reverse("acta_confirm", args=[hearing.pk]), {"sha256": acta.sha256, "agree": "on"}, follow=True
    )
    assert "office must validate" in response.content.decode()
    assert not ActaConfirmation.objects.filter(user=unvalidated_representative).exists()


def test_a_representative_of_two_agreeing_companies_confirms_for_each(
    case_of_three, company, consumer, conciliator, client_for
):
    hearing, parts, _reps = case_of_three
    a, b, c = parts
    both = make_user("dora@grupo.test", Role.REPRESENTATIVE, first_name="Dora", last_name="Rep")
    for each in (company, b.company):
        Representation.objects.create(
            user=both, company=each, is_admin=True, power_kind=PowerKind.GENERAL, power_status=PowerStatus.VALIDATED
        )
    outcome_record(
        hearing=hearing,
        by=conciliator,
        outcome=Outcome.AGREEMENT,
        per_company={
            a.pk: CompanyOutcome(Outcome.AGREEMENT, terms="Cambia la heladera.", compliance_due=compliance_day()),
            b.pk: CompanyOutcome(Outcome.AGREEMENT, terms="Repara el motor.", compliance_due=compliance_day()),
            c.pk: CompanyOutcome(Outcome.NO_AGREEMENT),
        },
    )
    acta = acta_generate(hearing_id=hearing.pk)
    assert acta is not None
    client = client_for(both)
    url = reverse("acta_confirm", args=[hearing.pk])
    for _ in range(2):
        response = client.post(url, {"sha256": acta.sha256, "agree": "on"})
        assert response.status_code == 302
    confirmations = ActaConfirmation.objects.filter(acta=acta, user=both)
    assert sorted(confirmations.values_list("part_id", flat=True)) == sorted([a.pk, b.pk])
    hearing.refresh_from_db()
    assert not policy.may_confirm_acta(both, hearing)
    response = client.post(url, {"sha256": acta.sha256, "agree": "on"}, follow=True)
    assert "already confirmed" in response.content.decode()
    assert confirmations.count() == 2
    missing = policy.acta_missing_confirmations(acta, hearing)
    assert a.display_name not in missing and b.display_name not in missing


# --- The consumer's validated representative -----------------------------------------------------


def test_the_consumers_validated_representative_justifies_the_absence_and_answers_compliance(
    consumer, company, officer, conciliator
):
    from complaints.models import ConsumerRepresentative

    hearing = hearing_under_way(consumer, company, officer, conciliator)
    lawyer = make_user("dra.lopez@estudio.test", first_name="Carla", last_name="López")
    pending = make_user("dr.paz@estudio.test", first_name="Luis", last_name="Paz")
    ConsumerRepresentative.objects.create(
        complaint=hearing.complaint, user=lawyer, kind="lawyer", power_status=PowerStatus.VALIDATED, named_by=consumer
    )
    ConsumerRepresentative.objects.create(
        complaint=hearing.complaint, user=pending, kind="lawyer", power_status=PowerStatus.PENDING, named_by=consumer
    )
    outcome_record(hearing=hearing, by=conciliator, outcome=Outcome.CONSUMER_ABSENT, notes="No se presentó.")
    hearing = Hearing.objects.select_related("complaint").get(pk=hearing.pk)
    assert policy.may_justify_absence(lawyer, hearing)
    assert not policy.may_justify_absence(pending, hearing)
    not_now = policy.why_not(policy.ANSWER_COMPLIANCE, lawyer, hearing.complaint)
    refused = policy.why_not(policy.ANSWER_COMPLIANCE, pending, hearing.complaint)
    assert not_now is not None and not_now.forbidden is False  # not now
    assert refused is not None and refused.forbidden is True
