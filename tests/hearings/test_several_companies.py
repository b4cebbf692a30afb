"""A hearing of a case against several companies (art. 40): the outcome is recorded per company, the
acta lists each, each agreeing company confirms it through a validated power, and the case concludes
once every company's part has ended."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from complaints.models import CaseCompany, CaseEvent, PartStatus
from complaints.services import complaint_admit, complaint_submit
from complaints.services.parts import name_company
from complaints.states import State
from hearings import policy
from hearings.errors import HearingError
from hearings.models import Acta, ActaConfirmation, Agreement, Hearing, PartOutcome
from hearings.services.absences import absence_decide, absence_justify, act_on_expired_part_absences
from hearings.services.acta import acta_confirm, acta_generate
from hearings.services.approval import agreement_approve
from hearings.services.follow_up import compliance_confirm
from hearings.services.outcome import CompanyOutcome, outcome_record
from notifications.models import Notification
from parties.models import Company, PowerKind, PowerStatus, Representation, Role, User
from tests.complaints.factories import draft_case
from tests.conftest import make_user
from tests.hearings.test_outcome_support import compliance_day, hearing_under_way, read_text, recipients

Outcome = Hearing.Outcome


def _company(cuit: str, name: str, domicile: str) -> Company:
    return Company.objects.create(cuit=cuit, legal_name=name, electronic_domicile=domicile)


def _rep(email: str, company: Company, *, validated: bool = True) -> User:
    user = make_user(email, Role.REPRESENTATIVE, first_name=email.split("@")[0].title(), last_name="Rep")
    Representation.objects.create(
        user=user,
        company=company,
        is_admin=True,
        power_kind=PowerKind.SPECIAL,
        power_status=PowerStatus.VALIDATED if validated else PowerStatus.PENDING,
    )
    return user


@pytest.fixture
def three(consumer, company, officer, conciliator):
    """A case against a seller (the `company` fixture), a manufacturer and a financier, each with an
    electronic domicile: filed, admitted, each served; its hearing under way."""
    maker = _company("30500010912", "Fábrica Frío S.A.", "legales@friosa.test")
    bank = _company("30500001735", "Banco Cuotas S.A.", "legales@bancocuotas.test")
    case = draft_case(consumer, company)
    name_company(case, company=maker)
    name_company(case, company=bank)
    case = complaint_submit(complaint=case, by=consumer)
    case = complaint_admit(complaint=case, by=officer)
    assert case.status == State.COMPANY_NOTIFIED
    parts = list(CaseCompany.objects.filter(complaint=case).order_by("position"))
    assert [p.status for p in parts] == [PartStatus.SERVED] * 3
    reps = [
        _rep("ana@electrosur.test", company),
        _rep("beto@friosa.test", maker),
        _rep("carla@bancocuotas.test", bank),
    ]
    hearing = hearing_under_way(consumer, company, officer, conciliator, complaint=case)
    return hearing, parts, reps


def _mixed(hearing, conciliator, parts):
    a, b, c = parts
    outcome_record(
        hearing=hearing,
        by=conciliator,
        outcome=Outcome.AGREEMENT,
        notes="Audiencia con las tres empresas.",
        per_company={
            a.pk: CompanyOutcome(
                Outcome.AGREEMENT,
                terms="El vendedor cambia la heladera.",
                amount=Decimal("850000.00"),
                compliance_due=compliance_day(),
            ),
            b.pk: CompanyOutcome(Outcome.COMPANY_ABSENT),
            c.pk: CompanyOutcome(Outcome.NO_AGREEMENT, notes="El banco no ofreció nada."),
        },
    )
    hearing.refresh_from_db()
    return hearing


def _reload(parts):
    return [CaseCompany.objects.get(pk=p.pk) for p in parts]


def test_a_mixed_outcome_moves_each_company_and_the_case_follows_them_to_its_end(
    three, consumer, conciliator, officer, director
):
    hearing, parts, reps = three
    case = hearing.complaint
    hearing = _mixed(hearing, conciliator, parts)
    case.refresh_from_db()
    a, b, c = _reload(parts)

    # The case is in agreement; B absent with its own deadline; C referred at once.
    assert case.status == State.AGREEMENT and hearing.outcome == Outcome.AGREEMENT
    assert (a.status, b.status, c.status) == (PartStatus.AGREEMENT, PartStatus.ABSENT, PartStatus.REFERRED)
    assert b.justification_due_at is not None and b.justification_due_at > timezone.now()
    assert c.closed_at is not None and a.closed_at is None
    assert case.justification_due_at is None
    referred = CaseEvent.objects.filter(complaint=case, action="part_referred")
    assert [e.reason.split(" (")[0] for e in referred] == ["Banco Cuotas S.A."]
    assert set(CaseEvent.objects.filter(complaint=case).values_list("action", flat=True)) >= {
        "part_agreement",
        "part_absent",
        "part_no_agreement",
        "record_agreement",
    }
    assert {(o.part_id, o.outcome) for o in PartOutcome.objects.filter(hearing=hearing)} == {
        (a.pk, Outcome.AGREEMENT),
        (b.pk, Outcome.COMPANY_ABSENT),
        (c.pk, Outcome.NO_AGREEMENT),
    }
    assert list(Agreement.objects.filter(complaint=case).values_list("part_id", flat=True)) == [a.pk]
    assert consumer.email in recipients("outcome_recorded")

    # The acta lists the three companies with their outcome.
    acta = acta_generate(hearing_id=hearing.pk)
    assert acta is not None
    with acta.file.open("rb") as handle:
        text = read_text(handle.read())
    for name in ("Electrodomésticos del Sur S.A.", "Fábrica Frío S.A.", "Banco Cuotas S.A."):
        assert name in text
    assert "El vendedor cambia la heladera." in text
    assert "850.000,00" in text
    assert consumer.email in recipients("acta_ready")

    # Homologation waits for B, absent with its window to justify still open (the agreements are
    # homologated together once every company has been heard) — not for C, referred.
    case.refresh_from_db()
    with pytest.raises(HearingError, match=r"still to be heard: Fábrica Frío S\.A\."):
        agreement_approve(complaint=case, by=director)
    acta_confirm(hearing=hearing, by=consumer)
    confirmation = acta_confirm(hearing=hearing, by=reps[0])
    assert (confirmation.party, confirmation.part_id) == ("company", a.pk)
    assert "validated" in confirmation.acting_as or "validad" in confirmation.acting_as

    # B's deadline passes without a justification: the sweep refers B alone.
    with time_machine.travel(b.justification_due_at + timedelta(minutes=1)):
        assert act_on_expired_part_absences() == 1
        assert act_on_expired_part_absences() == 0
    a, b, c = _reload(parts)
    assert b.status == PartStatus.REFERRED and b.closed_at is not None
    case.refresh_from_db()
    assert case.status == State.AGREEMENT
    assert Notification.objects.filter(event="complaint_referred", recipient=reps[1]).exists()
    # Now it waits only for the consumer's and A's confirmations, which were given above.
    assert policy.why_not(policy.APPROVE_AGREEMENT, director, case) is None

    # The office approves; the consumer confirms A complied: the case concludes.
    agreement_approve(complaint=case, by=director)
    case.refresh_from_db()
    assert case.status == State.AGREEMENT_APPROVED
    assert Acta.objects.get(hearing=hearing).approved_by == director
    case = compliance_confirm(complaint=case, by=consumer)
    a, b, c = _reload(parts)
    assert (a.status, b.status, c.status) == (PartStatus.COMPLIED, PartStatus.REFERRED, PartStatus.REFERRED)
    assert case.status == State.CONCLUDED and case.closed_at is not None
    assert all(p.closed_at is not None for p in (a, b, c))
    assert CaseEvent.objects.filter(complaint=case, action="conclude").count() == 1
    assert Notification.objects.filter(event="case_update", recipient=consumer).count() >= 2  # approved, complied


def test_an_unvalidated_representative_cannot_confirm_the_acta(three, conciliator, company):
    hearing, parts, _reps = three
    hearing = _mixed(hearing, conciliator, parts)
    acta_generate(hearing_id=hearing.pk)
    pending = _rep("nuevo@electrosur.test", company, validated=False)
    with pytest.raises(HearingError, match="office must validate"):
        acta_confirm(hearing=hearing, by=pending)
    assert not ActaConfirmation.objects.filter(user=pending).exists()


def test_an_absent_company_justifies_on_its_own_and_resumes_when_accepted(three, conciliator, officer):
    hearing, parts, reps = three
    hearing = _mixed(hearing, conciliator, parts)
    with pytest.raises(HearingError):
        absence_justify(hearing=hearing, by=reps[0], text="No faltamos.")  # A was not absent
    justification = absence_justify(hearing=hearing, by=reps[1], text="El apoderado estuvo internado.")
    assert justification.part_id == parts[1].pk
    absence_decide(justification=justification, by=officer, accept=True)
    b = CaseCompany.objects.get(pk=parts[1].pk)
    assert b.status == PartStatus.SERVED and b.justification_due_at is None
    assert CaseEvent.objects.filter(complaint=hearing.complaint, action="part_resumed").exists()
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        assert act_on_expired_part_absences() == 0


def test_a_rejected_justification_refers_that_company_alone(three, conciliator, officer):
    hearing, parts, reps = three
    hearing = _mixed(hearing, conciliator, parts)
    justification = absence_justify(hearing=hearing, by=reps[1], text="Se nos pasó.")
    absence_decide(justification=justification, by=officer, accept=False, reason="No es causa suficiente.")
    a, b, _c = _reload(parts)
    assert (a.status, b.status) == (PartStatus.AGREEMENT, PartStatus.REFERRED)
    hearing.complaint.refresh_from_db()
    assert hearing.complaint.status == State.AGREEMENT


def test_a_uniform_outcome_is_the_case_wide_move(three, conciliator):
    hearing, parts, _reps = three
    outcome_record(hearing=hearing, by=conciliator, outcome=Outcome.NO_AGREEMENT, notes="Nadie ofreció nada.")
    case = hearing.complaint
    case.refresh_from_db()
    assert case.status == State.NO_AGREEMENT
    assert [p.status for p in _reload(parts)] == [PartStatus.NO_AGREEMENT] * 3
    actions = set(CaseEvent.objects.filter(complaint=case).values_list("action", flat=True))
    assert "record_no_agreement" in actions and not actions & {"part_no_agreement", "part_referred"}
    assert PartOutcome.objects.filter(hearing=hearing, outcome=Outcome.NO_AGREEMENT).count() == 3


def test_a_uniform_agreement_gives_each_company_its_own_agreement(three, conciliator, consumer, officer, director):
    hearing, parts, reps = three
    outcome_record(
        hearing=hearing,
        by=conciliator,
        outcome=Outcome.AGREEMENT,
        per_company={
            p.pk: CompanyOutcome(Outcome.AGREEMENT, terms=f"Paga la empresa {i}.", compliance_due=compliance_day())
            for i, p in enumerate(parts, start=1)
        },
    )
    case = hearing.complaint
    case.refresh_from_db()
    assert case.status == State.AGREEMENT
    assert [p.status for p in _reload(parts)] == [PartStatus.AGREEMENT] * 3
    assert Agreement.objects.filter(complaint=case).count() == 3
    assert not CaseEvent.objects.filter(complaint=case, action="part_agreement").exists()
    acta_generate(hearing_id=hearing.pk)
    acta_confirm(hearing=hearing, by=consumer)
    acta_confirm(hearing=hearing, by=reps[0])
    with pytest.raises(HearingError, match="Banco Cuotas"):
        agreement_approve(complaint=case, by=director)
