"""Puts a few demo cases at different points of their life, through the real services, so every
role has something to look at: a complaint to admit, one with an offer to answer, one with a hearing
scheduled and one whose hearing ended in an agreement. Runs after `seed_demo`; safe to run twice
(it does nothing once the demo consumer has cases)."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from complaints import services as cases
from complaints.models import ClaimType, CompanyRole, Complaint
from complaints.services import parts as case_parts
from hearings.models import Attendance, Hearing
from hearings.scheduling import propose_slots
from hearings.services import outcome, scheduling
from parties.business_days import is_business_day
from parties.models import Company, PowerStatus, Representation, User

STORIES = [
    # (company CUIT, product, amount, facts, claim)
    (
        "30712345671",
        "Heladera No Frost 360 L",
        Decimal("850000.00"),
        "La heladera dejó de enfriar a los 20 días de la entrega y el servicio técnico no vino a las dos "
        "visitas pactadas.",
        ClaimType.REPLACEMENT,
    ),
    (
        "30703088534",
        "Plan de fibra óptica 300 Mb",
        Decimal("42000.00"),
        "Me cobraron tres meses un servicio que di de baja por teléfono en julio (gestión 55821).",
        ClaimType.REFUND,
    ),
    (
        "30712345671",
        "Lavarropas automático 8 kg",
        Decimal("610000.00"),
        "El lavarropas pierde agua desde la primera semana; la garantía no lo repara.",
        ClaimType.REPAIR,
    ),
    (
        "30703088534",
        "Router Wi-Fi en comodato",
        Decimal("18500.00"),
        "Me facturaron el router como vendido cuando el contrato dice comodato.",
        ClaimType.REFUND,
    ),
]


# Art. 40: the seller, the manufacturer and the card issuer answer together for a phone that broke.
# The seller is seed_demo's; the other two are created here, each with its electronic domicile.
SEVERAL = [
    ("30712345671", "", CompanyRole.SELLER, ""),
    ("30715554441", "Telefonía Andina S.A.", CompanyRole.MANUFACTURER, "legales@andina.demo.concilia.ar"),
    ("30709998885", "Banco Cuotas del Plata S.A.", CompanyRole.FINANCIER, "notificaciones@cuotas.demo.concilia.ar"),
]
SEVERAL_STORY = (
    "Celular Andina X5 en 12 cuotas",
    Decimal("1200000.00"),
    "El celular se apaga solo desde el primer mes; el vendedor me deriva al fabricante, el fabricante "
    "al vendedor, y el banco me sigue cobrando las cuotas.",
    ClaimType.REFUND,
)


class Command(BaseCommand):
    help = "Create demo cases (to admit, with an offer, with a hearing, with an agreement). Run after seed_demo."

    def handle(self, *args, **options) -> None:
        # The demo's messages are in each person's inbox; the terminal is kept for the logins.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            self._seed()

    def _seed(self) -> None:
        try:
            consumer = User.objects.get(email="consumidora@demo.concilia.ar")
            officer = User.objects.get(email="admision@demo.concilia.ar")
            conciliator = User.objects.get(email="conciliadora@demo.concilia.ar")
        except User.DoesNotExist as error:
            raise CommandError("Run `manage.py seed_demo` first.") from error
        if Complaint.objects.filter(consumer=consumer).exists():
            self.stdout.write("Demo cases already exist.")
            return

        # The demo's company representatives act with a power the office already validated (a real
        # one is uploaded and validated on the company's page).
        Representation.objects.filter(
            power_status=PowerStatus.PENDING, user__email__endswith=".demo.concilia.ar"
        ).update(power_status=PowerStatus.VALIDATED, power_decided_by=officer, power_decided_at=timezone.now())
        filed = [self._file(consumer, *story) for story in STORIES]
        # 1: waits in the admission queue. 2: served, with an offer to answer.
        offered = cases.complaint_admit(complaint=filed[1], by=officer)
        representative = User.objects.get(email="apoderada@conectar.demo.concilia.ar")
        cases.offer_make(
            complaint=offered,
            by=representative,
            terms="Reintegro de los tres meses cobrados, acreditado en la próxima factura.",
            fulfil_by=timezone.localdate() + timedelta(days=20),
            amount=Decimal("42000.00"),
        )
        # 3: served, with a hearing at the first slot the office would be offered.
        served = cases.complaint_admit(complaint=filed[2], by=officer)
        slot = propose_slots(served, count=1)[0]
        scheduling.hearing_schedule(
            complaint=served, by=officer, starts_at=slot.starts_at, conciliator=slot.conciliator
        )
        # 4: its hearing was held yesterday and ended in an agreement (the acta is generated).
        self._agreement(cases.complaint_admit(complaint=filed[3], by=officer), officer, conciliator)
        # 5: against three companies, each served at its own electronic domicile.
        filed.append(cases.complaint_admit(complaint=self._file_several(consumer), by=officer))
        self.stdout.write(self.style.SUCCESS(f"Demo cases: {', '.join(c.number or '' for c in filed)}"))

    def _file(
        self, consumer: User, cuit: str, product: str, amount: Decimal, facts: str, claim: str, *, submit: bool = True
    ) -> Complaint:
        case = cases.complaint_start_draft(consumer=consumer)
        case_parts.name_company(case, company=Company.objects.get(cuit=cuit), position=1)
        case.refresh_from_db()
        case.product = product
        case.purchase_date = timezone.localdate() - timedelta(days=45)
        case.amount_paid = amount
        case.facts = facts
        case.claim_type = claim
        case.claim_amount = amount
        case.declaration_accepted_at = timezone.now()
        case.save()
        return cases.complaint_submit(complaint=case, by=consumer) if submit else case

    def _file_several(self, consumer: User) -> Complaint:
        case = self._file(consumer, SEVERAL[0][0], *SEVERAL_STORY, submit=False)
        for cuit, name, role, domicile in SEVERAL:
            company = Company.objects.filter(cuit=cuit).first() or Company.objects.create(
                cuit=cuit, legal_name=name, electronic_domicile=domicile, legal_address="Av. Corrientes 1234, CABA"
            )
            position = 1 if cuit == SEVERAL[0][0] else None
            case_parts.name_company(case, company=company, role=role, province="CABA", position=position)
        return cases.complaint_submit(complaint=case, by=consumer)

    def _agreement(self, case: Complaint, officer: User, conciliator: User) -> None:
        # A hearing in the past cannot be scheduled through the service, so this one is written as
        # it would have been; everything after it goes through the services.
        day = timezone.localdate() - timedelta(days=1)
        while not is_business_day(day):
            day -= timedelta(days=1)
        start = timezone.make_aware(datetime.combine(day, time(10, 0)))
        with transaction.atomic():
            hearing = Hearing.objects.create(
                complaint=case,
                conciliator=conciliator,
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                scheduled_by=officer,
            )
            cases.complaint_transition(complaint=case, transition="schedule_hearing", by=officer)
        # Who came, as the video server reported it.
        representative = User.objects.get(email="apoderada@conectar.demo.concilia.ar")
        people = [
            (conciliator, Attendance.Party.CONCILIATOR, 0),
            (case.consumer, Attendance.Party.CONSUMER, 3),
            (representative, Attendance.Party.COMPANY, 6),
        ]
        for person, party, minutes in people:
            for kind, at in [
                (Attendance.Kind.JOINED, start + timedelta(minutes=minutes)),
                (Attendance.Kind.LEFT, start + timedelta(minutes=52)),
            ]:
                Attendance.objects.create(
                    hearing=hearing,
                    user=person,
                    party=party,
                    display_name=person.display_name,
                    kind=kind,
                    at=at,
                    source=Attendance.Source.SERVER,
                    dedupe_key=f"demo:{person.pk}:{kind}",
                )
        outcome.outcome_record(
            hearing=hearing,
            by=conciliator,
            outcome=Hearing.Outcome.AGREEMENT,
            terms="La empresa anula la factura del router y reintegra lo cobrado.",
            amount=Decimal("18500.00"),
            obligations="Conectar Telecomunicaciones S.A. acredita $ 18.500 en la cuenta de la consumidora.",
            compliance_due=timezone.localdate() + timedelta(days=15),
        )
