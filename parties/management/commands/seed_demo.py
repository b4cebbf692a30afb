"""Creates a small, realistic demo office and prints its logins. Safe to run twice."""

from datetime import time

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from parties.models import Company, ConciliatorProfile, ConsumerProfile, Representation, Role, User

DEMO_PASSWORD = "concilia-demo-2026"

PEOPLE = [
    # (e-mail, first name, last name, role)
    ("consumidora@demo.concilia.ar", "María", "González", Role.CONSUMER),
    ("apoderado@electrosur.demo.concilia.ar", "Jorge", "Fernández", Role.REPRESENTATIVE),
    ("apoderada@conectar.demo.concilia.ar", "Lucía", "Martínez", Role.REPRESENTATIVE),
    ("admision@demo.concilia.ar", "Carlos", "Pereyra", Role.OFFICER),
    ("conciliadora@demo.concilia.ar", "Ana", "Rodríguez", Role.CONCILIATOR),
    ("conciliador@demo.concilia.ar", "Martín", "López", Role.CONCILIATOR),
    ("supervisora@demo.concilia.ar", "Silvia", "Romero", Role.SUPERVISOR),
    # Homologates agreements by a signed disposición (hearings/services/disposition.py).
    ("directora@demo.concilia.ar", "Elena", "Suárez", Role.DIRECTOR),
    # The legal directorate: referred cases, charges, descargos, fines (legal/).
    ("juridica@demo.concilia.ar", "Lucía", "Méndez", Role.LEGAL),
]

COMPANIES = [
    # (CUIT, legal name, trade names, address, electronic domicile, representative's e-mail, sector)
    (
        "30712345671",
        "Electrodomésticos del Sur S.A.",
        "ElectroSur, Casa del Frío",
        "Av. Rivadavia 4500, CABA",
        "notificaciones@electrosur.demo.concilia.ar",
        "apoderado@electrosur.demo.concilia.ar",
        "retail",
    ),
    (
        "30703088534",
        "Conectar Telecomunicaciones S.A.",
        "Conectar, Conectar Fibra",
        "Av. Corrientes 1200, CABA",
        "legales@conectar.demo.concilia.ar",
        "apoderada@conectar.demo.concilia.ar",
        "telecom",
    ),
]


class Command(BaseCommand):
    help = "Create the demo office (a consumer, two companies with representatives, staff) and print logins."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        users = {email: self._person(email, first, last, role) for email, first, last, role in PEOPLE}

        ConsumerProfile.objects.update_or_create(
            user=users["consumidora@demo.concilia.ar"],
            defaults={
                "dni": "30123456",
                "cuil": "27301234568",
                "phone": "+5491123456789",
                "street_address": "Av. San Juan 2150, 3º B",
                "city": "Ciudad Autónoma de Buenos Aires",
                "postal_code": "C1232",
                "province": "CABA",
                "whatsapp_consent_at": timezone.now(),
            },
        )
        for cuit, legal_name, trade_names, address, domicile, rep_email, sector in COMPANIES:
            company, _ = Company.objects.update_or_create(
                cuit=cuit,
                defaults={
                    "legal_name": legal_name,
                    "trade_names": trade_names,
                    "legal_address": address,
                    "sector": sector,
                    "electronic_domicile": domicile,
                    "electronic_domicile_set_at": timezone.now(),
                },
            )
            Representation.objects.get_or_create(
                user=users[rep_email], company=company, revoked_at__isnull=True, defaults={"is_admin": True}
            )
        for email, start, end in [
            ("conciliadora@demo.concilia.ar", time(9), time(15)),
            ("conciliador@demo.concilia.ar", time(10), time(17)),
        ]:
            ConciliatorProfile.objects.update_or_create(
                user=users[email], defaults={"work_start": start, "work_end": end, "work_days": "1,2,3,4,5"}
            )
        supervisor = users["supervisora@demo.concilia.ar"]
        supervisor.is_staff = supervisor.is_superuser = True
        supervisor.save(update_fields=["is_staff", "is_superuser"])

        self.stdout.write(self.style.SUCCESS("Demo ready. Every account's password is: " + DEMO_PASSWORD))
        for email, _first, _last, role in PEOPLE:
            self.stdout.write(f"  {Role(role).label:<28} {email}")

    def _person(self, email: str, first: str, last: str, role: str) -> User:
        user, created = User.objects.get_or_create(
            email=email, defaults={"first_name": first, "last_name": last, "role": role}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        return user
