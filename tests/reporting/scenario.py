"""A small hand-made office for the indicator tests (this module holds no tests).

Eight cases, each moved by the real services at chosen moments (time_machine), so the facts come
from the record exactly as in production. July 2026 has the Independence holidays on Thursday 9 and
Friday 10 (then a weekend): from Wednesday 8 to Monday 13 is ONE business day.

    July 2026       Mo Tu We Th Fr
                           1  2  3
                     6  7  8 (9)(10)      ( ) holiday
                    13 14 15 16 17
                    20 21 22 23 24
                    27 28 29 30 31        August: Mon 3 is a business day

Case  company  filed        admitted      served        what happens                        ends
A     X retail We 1 Jul 10  We 8 Jul      We 8 (at once) answer Mo 13; hearing Tu 21: agreement;
                                                          approved; complied Mo 3 Aug         Mo 3 Aug
B     X        Th 2 Jul 9   Fr 3 Jul      Fr 3           offer Mo 6, accepted We 8 (agreement
                                                          by offer); approved; breach Mo 20 →
                                                          referred                            Mo 20 Jul
C     Y telecom Mo 6 Jul    Tu 14 Jul     Tu 14          hearing We 22: no agreement;
      (BA)                                                referred Fr 24                      Fr 24 Jul
D     Y (desk) Tu 7 Jul     We 8 Jul      We 8           withdrawn Mo 13                     Mo 13 Jul
E     X (desk) We 8 Jul     — rejected Mo 13                                                  Mo 13 Jul
F     Z telecom Th 2 Jul    Mo 6 Jul      We 8 (Z had no domicile until Tu 7); answer Tu 14;
      (BA)                                                hearing Mo 20: consumer absent      open
G     X (vuln.) Fr 3 Jul    Mo 6 Jul      Mo 6           hearing Th 16 (Ana) adjourned; hearing
                                                          Th 23 (Bruno): agreement            open
H     Z        Mo 29 Jun    — awaiting admission                                              open

Surveys: A's consumer 5 / solved yes / would return yes, and company X 4; B's consumer 2 / no / yes;
C's consumer 1 / no / no. Everything is refreshed on Monday 10 August 2026.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.db import transaction

from complaints import services
from complaints.models import CaseCompany, Complaint, Offer
from complaints.services.offers import company_answer, offer_accept, offer_make
from complaints.services.parts import name_company
from complaints.services.serving import complaint_serve_company
from hearings.models import Hearing
from hearings.services.follow_up import compliance_confirm, compliance_report_breach
from hearings.services.outcome import CompanyOutcome, outcome_record
from parties.models import Company, ConsumerProfile, PowerKind, PowerStatus, Representation, Role, Sector, User
from reporting.models import Survey
from tests.complaints.factories import draft_case, submitted_case
from tests.conftest import make_user
from tests.hearings.factories import make_conciliator

BA = ZoneInfo("America/Argentina/Buenos_Aires")
REFRESHED = datetime(2026, 8, 10, 9, 0, tzinfo=BA)


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BA)


def travel(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


@dataclass
class Office:
    x: Company
    y: Company
    z: Company
    ana: User
    bruno: User
    cases: dict[str, Complaint]

    def case(self, letter: str) -> Complaint:
        return Complaint.objects.get(pk=self.cases[letter].pk)


def consumer_named(letter: str, province: str = "CABA") -> User:
    user = make_user(f"consumer-{letter.lower()}@example.com", first_name=f"Persona {letter}", last_name="Prueba")
    ConsumerProfile.objects.create(
        user=user,
        dni=f"3{ord(letter):07d}",
        phone="+5491123456789",
        street_address="Av. Corrientes 1234",
        city="CABA" if province == "CABA" else "La Plata",
        province=province,
    )
    return user


def representative_of(company: Company, email: str) -> User:
    user = make_user(email, Role.REPRESENTATIVE, first_name="Rep", last_name=company.legal_name[:10])
    Representation.objects.create(
        user=user, company=company, is_admin=True, power_kind=PowerKind.GENERAL, power_status=PowerStatus.VALIDATED
    )
    return user


def file_case(letter: str, company: Company, when: datetime, *, province: str = "CABA", **fields: object) -> Complaint:
    consumer = consumer_named(letter, province)
    with travel(when):
        return submitted_case(consumer, company, **fields)  # type: ignore[arg-type]


def hearing_at(case: Complaint, conciliator: User, officer: User, start: datetime) -> Hearing:
    """A hearing booked a week earlier (the ORM plus the case's real transition, as
    tests/hearings/factories.py does)."""
    with travel(start - timedelta(days=7)), transaction.atomic():
        hearing = Hearing.objects.create(
            complaint=case,
            conciliator=conciliator,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            scheduled_by=officer,
        )
        services.complaint_transition(complaint=case, transition="schedule_hearing", by=officer)
    return hearing


def outcome(hearing: Hearing, value: str, **fields: object) -> None:
    """Recorded 45 minutes after the start (past the tolerance, for an absence)."""
    with travel(hearing.starts_at + timedelta(minutes=45)):
        outcome_record(hearing=hearing, by=hearing.conciliator, outcome=value, **fields)  # type: ignore[arg-type]


def agreement(hearing: Hearing) -> None:
    outcome(hearing, "agreement", terms="Reintegro del precio.", compliance_due=date(2026, 9, 30))


def approve(case: Complaint, director: User, when: datetime) -> None:
    with travel(when), transaction.atomic():
        services.complaint_transition(complaint=case, transition="approve_agreement", by=director)


def survey(case: Complaint, satisfaction: int, solved: str, again: bool | None, *, part=None) -> Survey:
    respondent = Survey.Respondent.COMPANY if part is not None else Survey.Respondent.CONSUMER
    return Survey.objects.create(
        complaint=case,
        respondent=respondent,
        part=part,
        sent_at=at(8, 4),
        expires_at=at(9, 4),
        answered_at=at(8, 5),
        satisfaction=satisfaction,
        solved=solved,
        would_use_again=again,
    )


def build_office(
    *, company: Company, other_company: Company, representative: User, officer: User, conciliator: User, director: User
) -> Office:
    x = company
    Company.objects.filter(pk=x.pk).update(sector=Sector.RETAIL)
    # Y set up its electronic domicile (the office's verification: reporting/publication.py).
    Company.objects.filter(pk=other_company.pk).update(
        sector=Sector.TELECOM, electronic_domicile="legales@y.test", electronic_domicile_set_at=at(6, 1)
    )
    y = Company.objects.get(pk=other_company.pk)
    z = Company.objects.create(cuit="30500010912", legal_name="Zeta Cable S.A.", sector=Sector.TELECOM)
    z_rep = representative_of(z, "rep@zeta.test")
    bruno = make_conciliator("bruno@oficina.test", "Bruno", "Sosa")
    cases: dict[str, Complaint] = {}

    # A: agreement at the hearing, complied.
    a = cases["A"] = file_case("A", x, at(7, 1))
    with travel(at(7, 8)):
        a = services.complaint_admit(complaint=a, by=officer)
    with travel(at(7, 13)):
        company_answer(complaint=a, by=representative, text="Ofrecemos revisar el equipo.")
    hearing = hearing_at(a, conciliator, officer, at(7, 21))
    agreement(hearing)
    approve(a, director, at(7, 22))
    with travel(at(8, 3)):
        compliance_confirm(complaint=a, by=a.consumer)
    survey(a, 5, "yes", True)
    survey(a, 4, "", None, part=a.parts.get())

    # B: an offer accepted before any hearing; the agreement breached, so referred.
    b = cases["B"] = file_case("B", x, at(7, 2, 9))
    with travel(at(7, 3, 9)):
        b = services.complaint_admit(complaint=b, by=officer)
    with travel(at(7, 6)):
        offer = offer_make(
            complaint=b, by=representative, terms="Devolución total.", fulfil_by=date(2026, 7, 31), amount=None
        )
    with travel(at(7, 8)):
        offer_accept(offer=Offer.objects.get(pk=offer.pk), by=b.consumer)
    approve(b, director, at(7, 13))
    with travel(at(7, 20)):
        compliance_report_breach(complaint=b, by=b.consumer, details="No devolvieron el dinero.")
    survey(b, 2, "no", True)

    # C: no agreement at the hearing, referred.
    c = cases["C"] = file_case("C", y, at(7, 6), province="BA")
    with travel(at(7, 14)):
        c = services.complaint_admit(complaint=c, by=officer)
    hearing = hearing_at(c, conciliator, officer, at(7, 22))
    outcome(hearing, "no_agreement", notes="Sin acuerdo.")
    with travel(at(7, 24)), transaction.atomic():
        services.complaint_transition(complaint=c, transition="refer", by=officer)
    survey(c, 1, "no", False)

    # D: withdrawn by the consumer (filed at the desk).
    d = cases["D"] = file_case("D", y, at(7, 7), channel="in_person")
    with travel(at(7, 8)):
        d = services.complaint_admit(complaint=d, by=officer)
    with travel(at(7, 13)):
        services.complaint_withdraw(complaint=d, by=d.consumer, reason="Se solucionó.")

    # E: rejected at admission (filed at the desk).
    e = cases["E"] = file_case("E", x, at(7, 8), channel="in_person")
    with travel(at(7, 13)):
        services.complaint_reject(complaint=e, by=officer, reason="not_consumer")

    # F: Z had no domicile at admission; served once it set one up; the consumer missed the hearing.
    f = cases["F"] = file_case("F", z, at(7, 2, 11), province="BA")
    with travel(at(7, 6)):
        f = services.complaint_admit(complaint=f, by=officer)
    Company.objects.filter(pk=z.pk).update(electronic_domicile="legales@zeta.test")
    with travel(at(7, 8)):
        f = complaint_serve_company(complaint=f, by=None)
    with travel(at(7, 14)):
        company_answer(complaint=f, by=z_rep, text="Estamos revisando.")
    hearing = hearing_at(f, conciliator, officer, at(7, 20))
    outcome(hearing, "consumer_absent", notes="No se presentó.")

    # G: a hipervulnerable consumer; adjourned with Ana, agreement with Bruno a week later.
    g = cases["G"] = file_case("G", x, at(7, 3), vulnerable=True)
    with travel(at(7, 6)):
        g = services.complaint_admit(complaint=g, by=officer)
    hearing = hearing_at(g, conciliator, officer, at(7, 16))
    outcome(hearing, "adjourned", notes="Cuarto intermedio para consultar.")
    hearing = hearing_at(Complaint.objects.get(pk=g.pk), bruno, officer, at(7, 23))
    agreement(hearing)

    # H: filed in June, still awaiting admission.
    cases["H"] = file_case("H", z, at(6, 29))
    return Office(x=x, y=y, z=z, ana=conciliator, bruno=bruno, cases=cases)


def build_shared_cases(*, company: Company, officer: User, conciliator: User) -> dict[str, Complaint]:
    """Three cases of two companies each, for the office-wide figures of cases shared by several
    companies (a separate office: build_office's figures stay as they are). Every company has an
    electronic domicile, so it is served at admission. Each case is filed We 1 Jul, admitted We 8 Jul,
    and heard on Tu 21 Jul by Ana, the hearing recording each company's own outcome:

    Case  lead     other    at the hearing Tu 21                               the case
    J     Banco J  X        bank: no agreement (referred at once); X: agreement  open (agreement)
    K     X        Banco K  X: agreement; bank absent                          open (agreement)
    M     Banco M  X        both: no agreement (the case's outcome)            referred Fr 24

    By hand, the office's July (each case once):
    - filed 3, admitted 3; hearings held 3 (one each).
    - closed 1: only M, referred by the office on Fr 24. J's lead part (the bank, referred) ended on Tu 21 but
      X's agreement is still to be approved and complied: J is open.
    - company absences 1: K's bank, though K's lead (X) was there.
    - resolution: only M, filed We 1 → referred Fr 24 = 15 business days (Jul 2 3 6 7 8 13 14 15 16
      17 20 21 22 23 24; Thu 9 and Fri 10 are holidays): median 15, one case. (J's lead part took 12,
      to Tu 21, but J is not resolved.)
    With a company or a sector chosen, each company's own part counts:
    - company X (J, K, M): filed 3, closed 1 (referred in M on Fr 24: 15 days), absences 0.
    - banking (the banks of J, K, M): filed 3, closed 2 (J's referred on Tu 21: 12 days; M's on Fr 24:
      15 days; the median of two is the first, 12), absences 1 (K's bank).
    """
    banks = {
        letter: Company.objects.create(
            cuit=cuit, legal_name=f"Banco {letter} S.A.", sector=Sector.BANKING, electronic_domicile=f"{letter}@b.test"
        )
        for letter, cuit in (("J", "30500001735"), ("K", "30500003134"), ("M", "30500005064"))
    }
    results = {  # who leads, each part's outcome, the hearing's hour on Tu 21
        "J": ("lead", {"lead": "no_agreement", "other": "agreement"}, 10),
        "K": ("x", {"lead": "agreement", "other": "company_absent"}, 12),
        "M": ("lead", {"lead": "no_agreement", "other": "no_agreement"}, 14),
    }
    cases: dict[str, Complaint] = {}
    for letter, (leader, outcomes, hour) in results.items():
        bank = banks[letter]
        lead, other = (bank, company) if leader == "lead" else (company, bank)
        consumer = consumer_named(letter)
        with travel(at(7, 1)):
            case = draft_case(consumer, lead)
            name_company(case, company=other)
            case = services.complaint_submit(complaint=case, by=consumer)
        with travel(at(7, 8)):
            case = services.complaint_admit(complaint=case, by=officer)
        lead_part, other_part = CaseCompany.objects.filter(complaint=case).order_by("position")
        hearing = hearing_at(case, conciliator, officer, at(7, 21, hour))
        per_company = {
            part.pk: (
                CompanyOutcome(value, terms="Cambio del equipo.", compliance_due=date(2026, 9, 30))
                if value == "agreement"
                else CompanyOutcome(value, notes="Constancia.")
            )
            for part, value in ((lead_part, outcomes["lead"]), (other_part, outcomes["other"]))
        }
        overall = "agreement" if "agreement" in outcomes.values() else "no_agreement"
        with travel(at(7, 21, hour, 50)):
            outcome_record(hearing=hearing, by=conciliator, outcome=overall, per_company=per_company)
        if letter == "M":  # the same outcome for both: the case's; the office refers it on Fr 24
            with travel(at(7, 24)), transaction.atomic():
                services.complaint_transition(
                    complaint=Complaint.objects.get(pk=case.pk), transition="refer", by=officer
                )
        cases[letter] = Complaint.objects.get(pk=case.pk)
    return cases
