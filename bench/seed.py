"""Fill a dedicated PostgreSQL database with a national volume of synthetic cases, fast.

    DJANGO_ENV=test .venv/bin/python bench/seed.py --cases 1000000 [--reset]

Rows go in with COPY (psycopg's `cursor.copy`), not through the services: a million cases through
the workflow would take hours. The shapes follow the models, so the pages and selectors read them
like real data: a status mix that depends on each case's age, ~20,000 companies with a Zipf-skewed
share of the cases (a few with 30,000+), 300,000 consumers with Spanish names (some typed without
their accents), 20 conciliators with hearings that never overlap (the database's exclusion
constraint `hearing_no_double_booking` checks it), and a hash-chained history for the cases that
had a hearing.

The database is DATABASE_URL (default postgres://postgres@127.0.0.1:5432/concilia_bench). It is
created if missing and migrated; a database that already has cases is left alone unless --reset,
which drops and recreates it. As a guard, the database's name must contain "bench".
"""

from __future__ import annotations

import argparse
import bisect
import functools
import json
import math
import os
import random
import sys
import time
import unicodedata
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/concilia_bench")
os.environ.setdefault("DATABASE_POOL", "0")

import dj_database_url  # noqa: E402
import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402


@functools.cache
def office_tz() -> ZoneInfo:
    """The office's time zone, settings.TIME_ZONE (read once Django's settings can be)."""
    from django.conf import settings

    return ZoneInfo(settings.TIME_ZONE)


EMAIL_DOMAIN = "bench.concilia.ar"
PASSWORD = "!bench-unusable-password"  # starts with "!": Django treats it as unusable; run.py force_logins

# --- The shape of the data ---------------------------------------------------------------------------
COMPANIES = 20_000
CONSUMERS = 300_000
OFFICERS = 5
CONCILIATORS = 20
# Representatives: three for the biggest company, one for each of the next ones.
REPRESENTED_COMPANIES = 200
SPAN_DAYS = 4 * 365  # cases filed over four years, more each year (national roll-out)
HEARING_HOURS = (9, 10, 11, 12, 13, 14)  # the default ConciliatorProfile: 9 to 15, one-hour hearings
PAST_HEARINGS_PER_CASE = 0.042  # ~42,000 held hearings for a million cases
ASSISTED_SHARE = 0.03  # filed at the counter by an officer
# Art. 40: a share of the cases name the seller with the manufacturer and/or the financier.
SEVERAL_COMPANIES_SHARE = 0.10  # of these, half name two companies and half three
UNACCENTED_SHARE = 0.15  # people who type "Gomez" for "Gómez"

FIRST_NAMES = (  # noqa: SIM905
    "María José Martín Lucía Sofía Agustín Joaquín Belén Ramón Inés Julián Valentín Matías Tomás "
    "Andrés Mónica Verónica Héctor Óscar Rubén Germán Sebastián Florencia Camila Paula Juan Pedro "
    "Carlos Ana Laura Silvia Jorge Raúl Nicolás Lautaro Máximo Zoe Abril Noemí Débora Ángel Efraín "
    "Simón Iván Elías"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Gómez González Rodríguez Fernández López Martínez Pérez García Sánchez Romero Díaz Álvarez "
    "Benítez Giménez Suárez Muñoz Ibáñez Núñez Acuña Peña Castro Sosa Ruiz Torres Herrera Medina "
    "Aguirre Pereyra Gutiérrez Molina Silva Rojas Ortiz Luna Juárez Cabrera Ríos Ferreyra Godoy "
    "Morales Domínguez Ramírez Vázquez Méndez Córdoba Quiroga Figueroa Acosta Ledesma Maldonado "
    "Ávila Chávez"
).split()
BIG_COMPANIES = [
    ("Telefonía Federal S.A.", "Telefed, Fedmóvil"),
    ("Conectar Comunicaciones S.A.", "Conectar"),
    ("Banco del Plata S.A.", "Plata Banca"),
    ("ElectroSur Distribuidora S.A.", "ElectroSur"),
    ("Compañía Aérea Austral S.A.", "Austral Vuelos"),
    ("Tarjeta Pampeana S.A.", "Pampeana"),
    ("Gas del Litoral S.A.", "Litogas"),
    ("Mercado Ágil S.R.L.", "Ágil"),
    ("Óptica Visión S.A.", "Visión+"),
    ("Aseguradora Andina S.A.", "Andina Seguros"),
]
# The sector (parties.models.Sector) of each big company, in the same order: the biggest are telecom
# and banking, as in the offices' real figures.
BIG_SECTORS = (
    "telecom",
    "telecom",
    "banking",
    "utilities",
    "transport",
    "banking",
    "utilities",
    "retail",
    "health",
    "insurance",
)
# The next 40 companies by size lean to the same sectors; the long tail is mostly shops and services.
LARGE_SECTOR_WEIGHTS = {"telecom": 25, "banking": 25, "insurance": 10, "health": 10, "utilities": 10, "retail": 20}
SECTOR_WEIGHTS = {
    "retail": 30,
    "services": 15,
    "automotive": 8,
    "housing": 8,
    "health": 6,
    "tourism": 6,
    "transport": 5,
    "education": 5,
    "banking": 5,
    "insurance": 4,
    "telecom": 3,
    "utilities": 2,
    "other": 3,
}
# Channels besides the web form and the counter (the counter is ASSISTED_SHARE, filed by an officer).
REMOTE_CHANNELS = {"phone": 0.04, "whatsapp": 0.05, "chat": 0.02}
VULNERABLE_SHARE = 0.06  # hipervulnerable consumers (Res. 139/2020)
# Surveys (reporting.Survey): sent for every case closed in the last SURVEY_DAYS; a share answered.
SURVEY_DAYS = 120
SURVEY_CONSUMER_ANSWERED = 0.12
SURVEY_COMPANY_ANSWERED = 0.06
COMPANY_WORDS = (  # noqa: SIM905
    "Electro Hogar Norte Sur Andes Pampa Litoral Patagonia Río Cuyo Delta Sierra Valle Puerto Centro "
    "Digital Móvil Crédito Viajes Muebles Motos Autos Salud Turismo Energía Agua Cable Red Vía Plaza"
).split()
COMPANY_KINDS = (  # noqa: SIM905
    "Comercial Servicios Distribuidora Inversiones Construcciones Tecnología Hermanos"
).split()
COMPANY_SUFFIXES = ("S.A.", "S.R.L.", "S.A.U.", "S.A.S.")
CITIES = [
    ("Ciudad Autónoma de Buenos Aires", "CABA", "C1001"),
    ("La Plata", "BA", "B1900"),
    ("Mar del Plata", "BA", "B7600"),
    ("Córdoba", "CB", "X5000"),
    ("Rosario", "SF", "S2000"),
    ("Mendoza", "MZ", "M5500"),
    ("San Miguel de Tucumán", "TM", "T4000"),
    ("Neuquén", "NQ", "Q8300"),
    ("Salta", "SA", "A4400"),
    ("Posadas", "MN", "N3300"),
    ("Río Gallegos", "SC", "Z9400"),
    ("Paraná", "ER", "E3100"),
]
STREETS = (  # noqa: SIM905
    "San Martín|Belgrano|Rivadavia|Sarmiento|Mitre|Güemes|Moreno|Alberdi|Av. Colón|9 de Julio"
).split("|")
PRODUCTS = [
    "Heladera no frost",
    "Servicio de internet hogar",
    "Plan de telefonía móvil",
    "Televisor 50 pulgadas",
    "Pasaje aéreo Buenos Aires - Bariloche",
    "Tarjeta de crédito",
    "Lavarropas automático",
    "Notebook",
    "Seguro del automotor",
    "Colchón de dos plazas",
    "Servicio de TV por cable",
    "Préstamo personal",
]
FACTS = [
    "Compré el producto y a los pocos días dejó de funcionar. Llevé el equipo al servicio técnico "
    "oficial, que se negó a repararlo alegando mal uso sin revisarlo. Reclamé por teléfono varias veces "
    "y me dieron números de gestión, pero nunca una solución.",
    "Me facturaron cargos que no contraté durante tres meses seguidos. Pedí la baja de esos servicios "
    "por la aplicación y por teléfono; siguen apareciendo en la factura y me amenazan con el corte.",
    "El vuelo fue cancelado con dos horas de aviso y la empresa no ofreció reprogramación ni reintegro. "
    "Tuve que comprar otro pasaje a un precio mucho mayor y perdí una noche de hotel ya pagada.",
    "Solicité la baja del servicio según el botón de baja y la empresa siguió cobrando. Además me "
    "informaron una deuda inexistente a una central de riesgo crediticio.",
    "La entrega estaba prevista para una fecha y nunca llegó. El vendedor dejó de responder y la "
    "plataforma no me devuelve el dinero aunque el seguimiento muestra que el envío no salió del depósito.",
]
CLAIM_TYPES = ("refund", "repair", "replacement", "fulfilment", "other")

# Status mix by the case's age in days: (oldest age of the bucket, {status: weight}).
STATUS_BY_AGE: list[tuple[float, dict[str, float]]] = [
    (7, {"draft": 8, "submitted": 85, "observed": 5, "rejected": 2}),
    (
        30,
        {
            "draft": 2,
            "submitted": 45,
            "observed": 12,
            "admitted": 12,
            "company_notified": 15,
            "rejected": 4,
            "withdrawn": 2,
            "archived": 1,
        },
    ),
    (
        120,
        {
            "submitted": 3,
            "observed": 2,
            "admitted": 8,
            "company_notified": 25,
            "adjourned": 3,
            "agreement": 4,
            "agreement_approved": 10,
            "no_agreement": 3,
            "company_absent": 3,
            "consumer_absent": 2,
            "withdrawn": 5,
            "rejected": 5,
            "referred": 12,
            "archived": 5,
            "complied": 10,
        },
    ),
    (
        365,
        {
            "agreement_approved": 8,
            "complied": 35,
            "breached": 3,
            "referred": 25,
            "archived": 12,
            "withdrawn": 7,
            "rejected": 6,
            "no_agreement": 2,
            "company_absent": 1,
            "consumer_absent": 1,
        },
    ),
    (math.inf, {"complied": 40, "referred": 28, "archived": 16, "withdrawn": 7, "rejected": 6, "breached": 3}),
]
ADMITTED_OR_LATER = {
    "admitted",
    "company_notified",
    "hearing_scheduled",
    "adjourned",
    "agreement",
    "agreement_approved",
    "complied",
    "breached",
    "no_agreement",
    "company_absent",
    "consumer_absent",
    "referred",
}
SERVED_OR_LATER = ADMITTED_OR_LATER - {"admitted"}
CLOSED = {"rejected", "complied", "withdrawn", "referred", "archived"}
# What a held hearing ended in, for a case now in this status.
HEARING_OUTCOME = {
    "agreement": ("held", "agreement", "record_agreement"),
    "agreement_approved": ("held", "agreement", "record_agreement"),
    "complied": ("held", "agreement", "record_agreement"),
    "breached": ("held", "agreement", "record_agreement"),
    "no_agreement": ("held", "no_agreement", "record_no_agreement"),
    "referred": ("held", "no_agreement", "record_no_agreement"),
    "company_absent": ("held", "company_absent", "record_company_absent"),
    "consumer_absent": ("held", "consumer_absent", "record_consumer_absent"),
    "withdrawn": ("held", "consumer_absent", "record_consumer_absent"),
    "adjourned": ("adjourned", "adjourned", "adjourn"),
}
# The states the case passed through after its hearing, as (action, from, to): the rest of the timeline.
AFTER_HEARING = {
    "agreement_approved": [("approve_agreement", "agreement", "agreement_approved")],
    "complied": [
        ("approve_agreement", "agreement", "agreement_approved"),
        ("confirm_compliance", "agreement_approved", "complied"),
    ],
    "breached": [
        ("approve_agreement", "agreement", "agreement_approved"),
        ("report_breach", "agreement_approved", "breached"),
    ],
    "referred": [("refer", "no_agreement", "referred")],
    "withdrawn": [("deem_withdrawn", "consumer_absent", "withdrawn")],
}


STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f}s] {message}", flush=True)


def strip_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")


def cuit_with_check(prefix: str, body: int) -> str | None:
    number = f"{prefix}{body:08d}"
    weights = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
    check = 11 - sum(w * int(n) for w, n in zip(weights, number, strict=True)) % 11
    if check == 10:
        return None
    return number + str(0 if check == 11 else check)


def local_at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=office_tz()).astimezone(UTC)


def money(low: int, high: int, rng: random.Random) -> Decimal:
    return Decimal(rng.randrange(low * 100, high * 100)) / 100


# --- The database ------------------------------------------------------------------------------------


def database_params() -> dict[str, Any]:
    parsed = dj_database_url.parse(os.environ["DATABASE_URL"])
    return {
        "dbname": parsed["NAME"],
        "user": parsed.get("USER") or None,
        "password": parsed.get("PASSWORD") or None,
        "host": parsed.get("HOST") or None,
        "port": parsed.get("PORT") or None,
    }


def prepare_database(*, reset: bool, any_database: bool) -> None:
    params = database_params()
    name = params["dbname"]
    if "bench" not in name and not any_database:
        sys.exit(f"Refusing to seed {name!r}: the database's name must contain 'bench' (or pass --any-database).")
    maintenance = {key: value for key, value in params.items() if key != "dbname" and value is not None}
    with psycopg.connect(dbname="postgres", autocommit=True, **maintenance) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
        if exists and reset:
            log(f"Dropping database {name}")
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = False
        if not exists:
            log(f"Creating database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def copy_rows(conn: psycopg.Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY the rows into the table; returns how many."""
    count = 0
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def check_columns(model: Any, columns: Sequence[str]) -> None:
    """Every NOT NULL column of the model must be given, unless it has a database default (db_default)."""
    missing = [
        field.column
        for field in model._meta.concrete_fields
        if not field.null and not field.has_db_default() and field.column not in columns
    ]
    if missing:
        sys.exit(f"{model._meta.db_table}: the seed does not fill the NOT NULL columns {missing}; update bench/seed.py")


def with_defaults(
    model: Any, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> tuple[list[str], Iterable[Sequence[Any]]]:
    """The NOT NULL columns the seed does not give but the model has a default for (a flag, a list or
    a blank text added later, e.g. `User.has_no_email`), filled with that default on every row."""
    from psycopg.types.json import Jsonb

    extra = [
        field
        for field in model._meta.concrete_fields
        if not field.null
        and not field.has_db_default()
        and (field.has_default() or (field.blank and field.empty_strings_allowed))
        and field.column not in columns
    ]
    if not extra:
        return list(columns), rows
    values = []
    for field in extra:
        value = field.get_default()
        values.append(Jsonb(value) if field.get_internal_type() == "JSONField" else value)
    return [*columns, *(field.column for field in extra)], ((*row, *values) for row in rows)


def secondary_indexes(conn: psycopg.Connection, table: str) -> list[tuple[str, str]]:
    """The table's indexes that no constraint owns (those can be dropped and rebuilt after a load)."""
    return conn.execute(
        """
        SELECT i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = %s::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        ORDER BY i.relname
        """,
        [table],
    ).fetchall()


def load(conn: psycopg.Connection, model: Any, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Drop the secondary indexes, COPY, rebuild them: much faster than maintaining them row by row."""
    table = model._meta.db_table
    columns, rows = with_defaults(model, columns, rows)
    check_columns(model, columns)
    indexes = secondary_indexes(conn, table)
    started = time.monotonic()
    with conn.transaction():
        for name, _definition in indexes:
            conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        count = copy_rows(conn, table, columns, rows)
    copied = time.monotonic()
    for _name, definition in indexes:
        conn.execute(definition)
    log(
        f"  {table}: {count:,} rows in {copied - started:.1f}s, "
        f"{len(indexes)} indexes rebuilt in {time.monotonic() - copied:.1f}s"
    )
    return count


# --- The plan ----------------------------------------------------------------------------------------


class Plan:
    """Everything decided before writing: who, when, which status, which hearing."""

    def __init__(self, cases: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.cases = cases
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.start = self.now - timedelta(days=SPAN_DAYS)
        self.scale = min(1.0, cases / 1_000_000)

        # Users: 1 supervisor, officers, conciliators, representatives, then the consumers.
        self.supervisor_id = 1
        self.officer_ids = list(range(2, 2 + OFFICERS))
        self.conciliator_ids = list(range(self.officer_ids[-1] + 1, self.officer_ids[-1] + 1 + CONCILIATORS))
        first_rep = self.conciliator_ids[-1] + 1
        # (user id, company id, is_admin): three for company 1, one for each of companies 2..N.
        self.representations = [(first_rep + i, 1, i == 0) for i in range(3)]
        self.representations += [(first_rep + 1 + c, c, True) for c in range(2, REPRESENTED_COMPANIES + 1)]
        self.first_consumer_id = self.representations[-1][0] + 1
        self.consumers = CONSUMERS

        self._plan_companies()
        self._plan_times_and_statuses()
        self._plan_hearings()

    # Companies: Zipf (s = 1) over 20,000 ranks; rank 1 is company id 1, the biggest.
    def _plan_companies(self) -> None:
        weights = [1 / rank for rank in range(1, COMPANIES + 1)]
        total = sum(weights)
        counts = [int(self.cases * w / total) for w in weights]
        for rank in self.rng.sample(range(COMPANIES), self.cases - sum(counts)):
            counts[rank] += 1
        company_of: list[int] = []
        for rank, count in enumerate(counts):
            company_of.extend([rank + 1] * count)
        self.rng.shuffle(company_of)
        self.company_of = company_of
        self.company_counts = counts

    def _created_at(self, i: int) -> datetime:
        # Density rising linearly from 0.25 to 1.75 over the span: F(t) = 0.25 t + 0.75 t².
        u = (i + 0.5) / self.cases
        t = (-0.25 + math.sqrt(0.0625 + 3 * u)) / 1.5
        return self.start + timedelta(seconds=round(t * SPAN_DAYS * 86400))

    def _plan_times_and_statuses(self) -> None:
        rng = self.rng
        self.created = [self._created_at(i) for i in range(self.cases)]
        self.created_epoch = [moment.timestamp() for moment in self.created]
        buckets = [(limit, list(mix), list(accumulate(mix.values()))) for limit, mix in STATUS_BY_AGE]
        statuses = []
        for moment in self.created:
            age = (self.now - moment).total_seconds() / 86400
            for limit, names, cumulative in buckets:
                if age <= limit:
                    statuses.append(rng.choices(names, cum_weights=cumulative)[0])
                    break
        self.status = statuses

    def _case_between(self, oldest: datetime, newest: datetime, wanted: set[str], used: set[int]) -> int | None:
        low = bisect.bisect_left(self.created_epoch, oldest.timestamp())
        high = bisect.bisect_right(self.created_epoch, newest.timestamp())
        if high <= low:
            return None
        for _ in range(30):
            i = self.rng.randrange(low, high)
            if i not in used and self.status[i] in wanted:
                return i
        return None

    def _plan_hearings(self) -> None:
        """Hearings on the conciliators' grid, one per (conciliator, day, hour) at most: no overlaps."""
        rng = self.rng
        from parties.business_days import is_business_day

        today = self.now.astimezone(office_tz()).date()
        # (case index, conciliator id, start, status, outcome, continues: index into self.hearings or None)
        self.hearings: list[tuple[int, int, datetime, str, str, int | None]] = []
        used: set[int] = set()

        # Upcoming: nearly full for two weeks, then thinning out over three months (scaled with the cases).
        future: list[tuple[int, datetime]] = []
        day, business = today, 0
        while business < 80:
            day += timedelta(days=1)
            if not is_business_day(day):
                continue
            fill = (0.9 if business < 10 else max(0.0, 0.9 - 0.85 * (business - 10) / 60)) * self.scale
            business += 1
            for conciliator in self.conciliator_ids:
                for hour in HEARING_HOURS:
                    if rng.random() < fill:
                        future.append((conciliator, local_at(day, hour)))

        # The cases waiting for those hearings: served 3 to 12 weeks ago.
        scheduled: list[int] = []
        for _conciliator, _start in future:
            i = self._case_between(
                self.now - timedelta(days=84), self.now - timedelta(days=21), {"company_notified"}, used
            )
            if i is None:
                continue
            used.add(i)
            self.status[i] = "hearing_scheduled"
            scheduled.append(i)
        future = future[: len(scheduled)]
        rng.shuffle(scheduled)
        # One in ten continues an adjourned hearing (cuarto intermedio) held in the last weeks.
        continuing = scheduled[: len(scheduled) // 10]

        past_target = round(PAST_HEARINGS_PER_CASE * self.cases)
        held: list[tuple[int, int, datetime, str, str, int | None]] = []
        predecessor: dict[int, int] = {}
        day = today
        wanted = set(HEARING_OUTCOME) - {"adjourned"}
        while len(held) < past_target and day > self.start.date():
            day -= timedelta(days=1)
            if not is_business_day(day):
                continue
            for conciliator in self.conciliator_ids:
                for hour in HEARING_HOURS:
                    if rng.random() >= 0.8:
                        continue
                    start = local_at(day, hour)
                    if continuing:
                        case = continuing.pop()
                        predecessor[case] = len(held)
                        held.append((case, conciliator, start, "adjourned", "adjourned", None))
                        continue
                    recent = start > self.now - timedelta(days=75)
                    i = self._case_between(
                        start - timedelta(days=150),
                        start - timedelta(days=25),
                        wanted | {"adjourned"} if recent else wanted,
                        used,
                    )
                    if i is None:
                        continue
                    used.add(i)
                    status, outcome, _action = HEARING_OUTCOME[self.status[i]]
                    held.append((i, conciliator, start, status, outcome, None))
        self.hearings = held
        for i, (conciliator, start) in zip(scheduled, future, strict=True):
            self.hearings.append((i, conciliator, start, "scheduled", "", predecessor.get(i)))
        # The latest hearing of each case: its dates must come after the case was served.
        self.last_hearing: dict[int, datetime] = {}
        for i, _conciliator, start, *_rest in self.hearings:
            self.last_hearing[i] = max(start, self.last_hearing.get(i, start))


# --- The rows ----------------------------------------------------------------------------------------


def write_people(conn: psycopg.Connection, plan: Plan) -> tuple[list[tuple[str, str, str, str, str, str]], Any]:
    from allauth.mfa.models import Authenticator

    from parties.models import ConciliatorProfile, ConsumerProfile, Representation, User

    rng = plan.rng
    joined = plan.start - timedelta(days=30)
    user_columns = [
        "id",
        "password",
        "last_login",
        "is_superuser",
        "first_name",
        "last_name",
        "is_staff",
        "is_active",
        "date_joined",
        "email",
        "role",
        "preferred_language",
    ]
    staff: list[tuple[int, str, str, str, str]] = [
        (plan.supervisor_id, "supervisor", "Silvia", "Quiroga", "supervisora")
    ]
    staff += [
        (pk, "officer", rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), f"admision{n}")
        for n, pk in enumerate(plan.officer_ids, 1)
    ]
    staff += [
        (pk, "conciliator", rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), f"conciliador{n}")
        for n, pk in enumerate(plan.conciliator_ids, 1)
    ]
    reps = [
        (pk, "representative", rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), f"apoderado{company}-{pk}")
        for pk, company, _admin in plan.representations
    ]
    # Consumers: (name, dni, email, phone, address, province) per consumer index, kept for the cases.
    consumers: list[tuple[str, str, str, str, str, str]] = []
    profiles: list[tuple[Any, ...]] = []

    def user_rows() -> Iterator[tuple[Any, ...]]:
        for pk, role, first, last, local in staff + reps:
            yield (
                pk,
                PASSWORD,
                None,
                role == "supervisor",
                first,
                last,
                role == "supervisor",
                True,
                joined,
                f"{local}@{EMAIL_DOMAIN}",
                role,
                "es-ar",
            )
        for n in range(plan.consumers):
            pk = plan.first_consumer_id + n
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            if rng.random() < 0.3:
                first = f"{first} {rng.choice(FIRST_NAMES)}"
            if rng.random() < UNACCENTED_SHARE:
                first, last = strip_accents(first), strip_accents(last)
            email = f"{strip_accents(first).split()[0].lower()}.{strip_accents(last).lower()}.{n}@correo.example"
            dni = str(18_000_000 + n * 131)
            phone = f"+54911{rng.randrange(10_000_000, 99_999_999)}"
            city, province, postal = rng.choice(CITIES)
            street = f"{rng.choice(STREETS)} {rng.randrange(1, 5000)}"
            consumers.append((f"{first} {last}", dni, email, phone, f"{street}, {city}", province))
            profiles.append(
                (
                    n + 1,
                    dni,
                    f"20{dni}{rng.randrange(10)}",
                    phone,
                    street,
                    city,
                    postal,
                    province,
                    joined if rng.random() < 0.4 else None,
                    None,
                    joined,
                    pk,
                )
            )
            yield (pk, PASSWORD, None, False, first, last, False, True, joined, email, "consumer", "es-ar")

    load(conn, User, user_columns, user_rows())
    profile_columns = [
        "id",
        "dni",
        "cuil",
        "phone",
        "street_address",
        "city",
        "postal_code",
        "province",
        "sms_consent_at",
        "whatsapp_consent_at",
        "updated_at",
        "user_id",
    ]
    load(conn, ConsumerProfile, profile_columns, profiles)
    load(
        conn,
        ConciliatorProfile,
        ["id", "work_days", "work_start", "work_end", "max_hearings_per_day", "user_id"],
        [(n, "1,2,3,4,5", "09:00", "15:00", 6, pk) for n, pk in enumerate(plan.conciliator_ids, 1)],
    )
    load(
        conn,
        Representation,
        ["id", "is_admin", "created_at", "revoked_at", "company_id", "revoked_by_id", "user_id"],
        [(n, admin, joined, None, company, None, pk) for n, (pk, company, admin) in enumerate(plan.representations, 1)],
    )
    staff_ids = [pk for pk, *_rest in staff]
    load(
        conn,
        Authenticator,
        ["id", "type", "data", "user_id", "created_at", "last_used_at"],
        [
            (n, "totp", json.dumps({"secret": "JBSWY3DPEHPK3PXP"}), pk, joined, None)
            for n, pk in enumerate(staff_ids, 1)
        ],
    )
    return consumers, staff


def write_companies(conn: psycopg.Connection, plan: Plan) -> list[tuple[str, str, bool]]:
    """Returns (cuit, legal name, has electronic domicile) by company id - 1."""
    from parties.models import Company

    rng = plan.rng
    # A separate stream for what was added later (sectors, channels), so the rest stays the same data.
    extra_rng = random.Random(plan.seed + 1)
    companies: list[tuple[str, str, bool]] = []
    rows = []
    body = 50_000_000
    for n in range(COMPANIES):
        cuit = None
        while cuit is None:
            body += rng.randrange(1, 7)
            cuit = cuit_with_check("30", body)
        if n < len(BIG_COMPANIES):
            name, trade = BIG_COMPANIES[n]
        elif rng.random() < 0.05:  # family businesses, so a surname search also meets companies
            name, trade = f"{rng.choice(LAST_NAMES)} Hermanos {rng.choice(COMPANY_SUFFIXES)}", ""
        else:
            name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)} "
            name += rng.choice(COMPANY_SUFFIXES)
            trade = rng.choice(COMPANY_WORDS) if rng.random() < 0.3 else ""
        domicile = n < 50 or rng.random() < 0.9
        if n < len(BIG_SECTORS):
            sector = BIG_SECTORS[n]
        else:
            weights = LARGE_SECTOR_WEIGHTS if n < 50 else SECTOR_WEIGHTS
            sector = extra_rng.choices(list(weights), weights=list(weights.values()))[0]
        created = plan.start - timedelta(days=rng.randrange(1, 60))
        email = f"notificaciones@empresa{n + 1}.example" if domicile else ""
        rows.append(
            (
                n + 1,
                cuit,
                name,
                trade,
                f"{rng.choice(STREETS)} {rng.randrange(1, 3000)}, CABA",
                email,
                created if domicile else None,
                created,
                plan.supervisor_id,
                sector,
            )
        )
        companies.append((cuit, name, domicile))
    columns = [
        "id",
        "cuit",
        "legal_name",
        "trade_names",
        "legal_address",
        "electronic_domicile",
        "electronic_domicile_set_at",
        "created_at",
        "created_by_id",
        "sector",
    ]
    load(conn, Company, columns, rows)
    return companies


def write_complaints(
    conn: psycopg.Connection,
    plan: Plan,
    consumers: Sequence[tuple[str, ...]],
    companies: Sequence[tuple[str, str, bool]],
) -> list[int]:
    """Returns each case's consumer (user id)."""
    from complaints.models import CaseNumberSequence, Complaint

    rng = plan.rng
    columns = [
        "id",
        "number",
        "channel",
        "status",
        "draft_step",
        "consumer_name",
        "consumer_dni",
        "consumer_email",
        "consumer_phone",
        "consumer_address",
        "consumer_province",
        "company_cuit",
        "company_name",
        "product",
        "purchase_date",
        "amount_paid",
        "facts",
        "claim_type",
        "claim_amount",
        "claim_detail",
        "declaration_accepted_at",
        "observation",
        "rejection_reason",
        "rejection_detail",
        "created_at",
        "updated_at",
        "submitted_at",
        "review_due_at",
        "correction_due_at",
        "admitted_at",
        "domicile_due_at",
        "company_notified_at",
        "justification_due_at",
        "closed_at",
        "company_id",
        "consumer_id",
        "filed_by_id",
        "vulnerable",
    ]
    extra_rng = random.Random(plan.seed + 2)  # channels and vulnerability, added later: a stream of their own
    remote = list(REMOTE_CHANNELS)
    remote_cumulative = list(accumulate(REMOTE_CHANNELS.values()))
    last_number: dict[int, int] = {}
    consumer_of: list[int] = []
    day = timedelta(days=1)

    def rows() -> Iterator[tuple[Any, ...]]:
        for i in range(plan.cases):
            status = plan.status[i]
            created = plan.created[i]
            consumer = rng.randrange(plan.consumers)
            consumer_of.append(plan.first_consumer_id + consumer)
            name, dni, email, phone, address, province = consumers[consumer]
            company_id = plan.company_of[i]
            cuit, company_name, _domicile = companies[company_id - 1]
            assisted = rng.random() < ASSISTED_SHARE
            filed_by = rng.choice(plan.officer_ids) if assisted else None
            draft = status == "draft"
            submitted = None if draft else created + timedelta(minutes=rng.randrange(5, 90))
            number = None
            if submitted is not None:
                year = submitted.astimezone(office_tz()).year
                last_number[year] = last_number.get(year, 0) + 1
                number = f"DC-{year}-{last_number[year]:06d}"
            hearing = plan.last_hearing.get(i)
            served = status in SERVED_OR_LATER or hearing is not None
            admitted = None
            if submitted and (served or status == "admitted"):
                admitted = submitted + rng.randrange(1, 8) * day
            notified = admitted + rng.randrange(0, 3) * day if admitted and served else None
            closed = None
            if status in CLOSED:
                closed = min((hearing or notified or submitted or created) + rng.randrange(20, 120) * day, plan.now)
            paid = money(20_000, 2_500_000, rng)
            channel = "in_person" if assisted else "web"
            pick = extra_rng.random()
            if not assisted and pick < remote_cumulative[-1]:
                channel = remote[bisect.bisect_right(remote_cumulative, pick)]
            yield (
                i + 1,
                number,
                channel,
                status,
                5 if not draft else rng.randrange(1, 5),
                name,
                dni,
                email,
                phone,
                address,
                province,
                cuit,
                company_name,
                rng.choice(PRODUCTS),
                (created - rng.randrange(10, 400) * day).date(),
                paid,
                rng.choice(FACTS),
                rng.choice(CLAIM_TYPES),
                paid if rng.random() < 0.7 else paid * 2,
                "Pido el reintegro de lo pagado y una compensación por los gastos.",
                submitted,
                "Adjunte la factura de compra completa y legible." if status == "observed" else "",
                "other" if status == "rejected" else "",
                "No surge una relación de consumo." if status == "rejected" else "",
                created,
                closed or notified or admitted or submitted or created,
                submitted,
                submitted + 7 * day if status == "submitted" and submitted else None,
                submitted + 14 * day if status == "observed" and submitted else None,
                admitted,
                admitted + 14 * day if status == "admitted" and admitted else None,
                notified,
                (notified or created) + 30 * day if status in ("company_absent", "consumer_absent") else None,
                closed,
                company_id,
                plan.first_consumer_id + consumer,
                filed_by,
                extra_rng.random() < VULNERABLE_SHARE,
            )

    load(conn, Complaint, columns, rows())
    load(conn, CaseNumberSequence, ["year", "last_number"], sorted(last_number.items()))
    return consumer_of


def write_parts(conn: psycopg.Connection, plan: Plan) -> None:
    """Every case's companies (complaints.CaseCompany): the lead as the case names it, and for
    SEVERAL_COMPANIES_SHARE of the cases one or two more (picked like the leads, so the big companies
    are often the second or third company too). Each part's status, service and dates are read from
    its case's, as a case-wide move carries every part (the same mapping as migration 0008)."""
    import importlib

    from complaints.models import CaseCompany

    parts_migration = importlib.import_module("complaints.migrations.0008_parts_for_existing_cases")
    status = parts_migration._status_case_sql()
    closed = ", ".join(f"'{name}'" for name in parts_migration.CLOSED)
    rng = plan.rng
    extra: list[tuple[int, int, int]] = []  # (complaint id, position, company id)
    for i in range(plan.cases):
        if rng.random() >= SEVERAL_COMPANIES_SHARE:
            continue
        named = {plan.company_of[i]}
        for position in range(2, 3 + (rng.random() < 0.5)):
            company = plan.company_of[rng.randrange(plan.cases)]
            while company in named:
                company = plan.company_of[rng.randrange(plan.cases)]
            named.add(company)
            extra.append((i + 1, position, company))
    conn.execute("CREATE TEMPORARY TABLE bench_parts (complaint_id integer, position smallint, company_id integer)")
    copy_rows(conn, "bench_parts", ["complaint_id", "position", "company_id"], extra)
    conn.execute(
        "INSERT INTO bench_parts SELECT id, 1, company_id FROM complaints_complaint WHERE company_id IS NOT NULL"
    )
    indexes = secondary_indexes(conn, CaseCompany._meta.db_table)
    started = time.monotonic()
    with conn.transaction():
        for name, _definition in indexes:
            conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        count = conn.execute(
            f"""
            INSERT INTO complaints_casecompany
                (complaint_id, position, company_id, cuit, name, role, address, province, status,
                 service_method, notified_at, domicile_due_at, justification_due_at, closed_at, created_at)
            SELECT c.id, b.position, co.id, co.cuit, co.legal_name,
                   CASE WHEN NOT EXISTS (SELECT 1 FROM bench_parts o WHERE o.complaint_id = c.id AND o.position = 2)
                        THEN '' WHEN b.position = 1 THEN 'seller' WHEN b.position = 2 THEN 'manufacturer'
                        ELSE 'financier' END,
                   co.legal_address, 'CABA', {status},
                   CASE WHEN c.company_notified_at IS NULL THEN '' ELSE 'electronic' END,
                   c.company_notified_at,
                   c.domicile_due_at,
                   CASE WHEN c.status = 'company_absent' THEN c.justification_due_at END,
                   CASE WHEN {status} IN ({closed}) THEN COALESCE(c.closed_at, c.updated_at) END,
                   c.created_at
            FROM bench_parts b
            JOIN complaints_complaint c ON c.id = b.complaint_id
            JOIN parties_company co ON co.id = b.company_id
            ORDER BY c.id, b.position
            """
        ).rowcount
    copied = time.monotonic()
    for _name, definition in indexes:
        conn.execute(definition)
    conn.execute("DROP TABLE bench_parts")
    log(
        f"  complaints_casecompany: {count:,} rows ({len(extra):,} after the lead) in {copied - started:.1f}s, "
        f"{len(indexes)} indexes rebuilt in {time.monotonic() - copied:.1f}s"
    )


def write_hearings_and_events(conn: psycopg.Connection, plan: Plan, consumer_of: Sequence[int]) -> None:
    from complaints.integrity import current_key_id, seal_existing_chains
    from complaints.models import CaseEvent
    from hearings.models import Hearing

    rng = plan.rng
    hour = timedelta(hours=1)
    columns = [
        "id",
        "starts_at",
        "ends_at",
        "status",
        "room",
        "ical_uid",
        "ical_sequence",
        "reschedule_count",
        "cancel_reason",
        "outcome",
        "outcome_notes",
        "outcome_recorded_at",
        "reminded_48h_at",
        "reminded_1h_at",
        "created_at",
        "updated_at",
        "complaint_id",
        "conciliator_id",
        "continues_id",
        "outcome_recorded_by_id",
        "scheduled_by_id",
    ]
    rows = []
    # The hearings of each case, oldest first, for the timeline.
    by_case: dict[int, list[tuple[datetime, str, str, int]]] = {}
    for n, (i, conciliator, start, status, outcome, continues) in enumerate(plan.hearings, 1):
        scheduled_at = min(start - 10 * 24 * hour, plan.now - hour)
        recorded = start + hour if outcome else None
        officer = rng.choice(plan.officer_ids)
        rows.append(
            (
                n,
                start,
                start + hour,
                status,
                f"concilia-{rng.getrandbits(128):032x}",
                uuid.UUID(int=rng.getrandbits(128), version=4),
                0,
                0,
                "",
                outcome,
                "Se dejó constancia en el acta." if outcome else "",
                recorded,
                start - 48 * hour if start - 48 * hour < plan.now else None,
                start - hour if start - hour < plan.now else None,
                scheduled_at,
                recorded or scheduled_at,
                i + 1,
                conciliator,
                continues + 1 if continues is not None else None,
                conciliator if outcome else None,
                officer,
            )
        )
        by_case.setdefault(i, []).append((start, status, outcome, officer))
    load(conn, Hearing, columns, rows)

    # A hash-chained history for every case that had a hearing (the case page shows it).
    event_columns = [
        "id",
        "action",
        "from_state",
        "to_state",
        "reason",
        "created_at",
        "previous_hash",
        "hash",
        "actor_id",
        "complaint_id",
        "key_id",
    ]
    events_rows = []
    pk = 0
    cases = {}
    for row in conn.execute(
        "SELECT id, status, submitted_at, admitted_at, company_notified_at "
        "FROM complaints_complaint WHERE id = ANY(%s)",
        [[i + 1 for i in by_case]],
    ):
        cases[row[0]] = row
    for i, hearings in by_case.items():
        case_id, status, submitted, admitted, notified = cases[i + 1]
        officer = hearings[0][3]
        steps: list[tuple[str, str, str, int | None, datetime]] = [
            ("submit", "draft", "submitted", consumer_of[i], submitted),
            ("admit", "submitted", "admitted", officer, admitted),
            ("serve_company", "admitted", "company_notified", None, notified),
        ]
        state = "company_notified"
        for start, hearing_status, outcome, by in sorted(hearings):
            steps.append(("schedule_hearing", state, "hearing_scheduled", by, min(start - 10 * 24 * hour, plan.now)))
            state = "hearing_scheduled"
            if hearing_status != "scheduled":
                action, target = {
                    "agreement": ("record_agreement", "agreement"),
                    "no_agreement": ("record_no_agreement", "no_agreement"),
                    "company_absent": ("record_company_absent", "company_absent"),
                    "consumer_absent": ("record_consumer_absent", "consumer_absent"),
                    "adjourned": ("adjourn", "adjourned"),
                }[outcome]
                steps.append((action, state, target, None, start + hour))
                state = target
        moment = steps[-1][4]
        for action, source, target in AFTER_HEARING.get(status, []):
            moment += timedelta(days=rng.randrange(3, 40))
            steps.append((action, source, target, None, min(moment, plan.now)))
        previous = ""
        last = None
        for action, source, target, actor, at in steps:
            # Keep the timeline in order even where the planned dates crossed.
            at = max(at.replace(microsecond=0), last + timedelta(seconds=1)) if last else at.replace(microsecond=0)
            last = at
            pk += 1
            event = CaseEvent(
                complaint_id=case_id,
                action=action,
                from_state=source,
                to_state=target,
                actor_id=actor,
                reason="",
                created_at=at.astimezone(UTC),
                previous_hash=previous,
                key_id=current_key_id(),
            )
            digest = event.compute_hash()
            events_rows.append(
                (pk, action, source, target, "", event.created_at, previous, digest, actor, case_id, event.key_id)
            )
            previous = digest
    load(conn, CaseEvent, event_columns, events_rows)
    log("Sealing the case chains")
    seal_existing_chains()


def write_clocks(conn: psycopg.Connection) -> None:
    """The clocks (oversight/) of the waits the seeded rows leave open, in two INSERT … SELECTs: each
    submitted case's admission review (due when the case says), and each scheduled hearing's outcome
    (due a day after it ends: calendar days here, close enough for timing the list). Reminders go a
    day before. What `manage.py sync_clocks` would write for these, without a transaction per case."""
    conn.execute(
        """
        INSERT INTO oversight_clock (complaint_id, kind, subject_id, who_acts, assignee_id, started_at,
            business_days, due_at, remind_at, reminders_sent, created_at, ending)
        SELECT id, 'admission_review', 0, 'office', assigned_officer_id, submitted_at, 5, review_due_at,
            review_due_at - interval '1 day', 0, now(), ''
        FROM complaints_complaint
        WHERE status = 'submitted' AND submitted_at IS NOT NULL AND review_due_at IS NOT NULL
        """
    )
    conn.execute(
        """
        INSERT INTO oversight_clock (complaint_id, kind, subject_id, who_acts, assignee_id, started_at,
            business_days, due_at, remind_at, reminders_sent, created_at, ending)
        SELECT complaint_id, 'outcome_record', id, 'conciliator', conciliator_id, ends_at, 1,
            ends_at + interval '1 day', ends_at, 0, now(), ''
        FROM hearings_hearing
        WHERE status = 'scheduled'
        """
    )
    # The history the list must not read: every case past admission once waited for its review, and
    # that clock is closed (about a million rows beside the open few; the list counts and pages the
    # open ones through their partial index).
    conn.execute(
        """
        INSERT INTO oversight_clock (complaint_id, kind, subject_id, who_acts, assignee_id, started_at,
            business_days, due_at, remind_at, reminders_sent, created_at, ending, closed_at)
        SELECT id, 'admission_review', 0, 'office', NULL, submitted_at, 5, submitted_at + interval '7 days',
            NULL, 1, now(), 'acted', COALESCE(admitted_at, submitted_at + interval '3 days')
        FROM complaints_complaint
        WHERE status NOT IN ('draft', 'submitted') AND submitted_at IS NOT NULL
        """
    )


REPRESENTATIVE_OF = """
    (SELECT DISTINCT ON (company_id) company_id, user_id FROM parties_representation
     WHERE revoked_at IS NULL ORDER BY company_id, is_admin DESC, id) rep
"""


def write_answers_and_offers(conn: psycopg.Connection) -> None:
    """What the indicators count as a company's response, in two INSERT … SELECTs: a written answer
    (complaints.CompanyAnswer) from a share of the served parts that varies from company to company
    (some answer nearly always, some rarely), and an accepted offer (complaints.Offer) for each case
    that reached an agreement without a hearing (an agreement by offer)."""
    conn.execute("SELECT setseed(0.2026)")
    answers = conn.execute(
        f"""
        INSERT INTO complaints_companyanswer (complaint_id, part_id, author_id, text, created_at)
        SELECT p.complaint_id, p.id, COALESCE(rep.user_id, 1),
               'Revisamos el reclamo y ofrecemos una solución según lo conversado con el cliente.',
               LEAST(p.notified_at + (1 + floor(random() * 12)::int) * interval '1 day', now())
        FROM complaints_casecompany p
        LEFT JOIN {REPRESENTATIVE_OF} ON rep.company_id = p.company_id
        WHERE p.notified_at IS NOT NULL
          AND random() < 0.3 + 0.6 * ((p.company_id * 2654435761::bigint) % 100) / 100.0
        """
    ).rowcount
    offers = conn.execute(
        f"""
        INSERT INTO complaints_offer (complaint_id, part_id, made_by_id, amount, terms, fulfil_by, status,
            created_at, answered_at, answered_by_id, counter_amount, counter_terms, instalments)
        SELECT c.id, p.id, COALESCE(rep.user_id, 1), c.claim_amount,
               'Reintegro del importe reclamado por transferencia bancaria.',
               (o.made + interval '20 days')::date, 'accepted', o.made, o.made + interval '2 days', c.consumer_id,
               NULL, '', '[]'::jsonb
        FROM complaints_complaint c
        JOIN complaints_casecompany p ON p.complaint_id = c.id AND p.position = 1
        LEFT JOIN {REPRESENTATIVE_OF} ON rep.company_id = p.company_id
        CROSS JOIN LATERAL (
            SELECT LEAST(COALESCE(c.company_notified_at, c.submitted_at) + interval '5 days',
                         now() - interval '3 days') AS made
        ) o
        WHERE c.status IN ('agreement', 'agreement_approved', 'complied', 'breached')
          AND NOT EXISTS (SELECT 1 FROM hearings_hearing h WHERE h.complaint_id = c.id)
        """
    ).rowcount
    log(f"  {answers:,} written answers, {offers:,} accepted offers")


def write_surveys(conn: psycopg.Connection) -> None:
    """The satisfaction surveys (reporting.Survey) of the cases closed in the last SURVEY_DAYS: the
    consumer's and the lead company's, sent on closing, reminded after a week when unanswered; a
    share answered, the answers leaning on how the case ended (a complied agreement pleases more
    than a referral)."""
    conn.execute("SELECT setseed(0.1914)")
    satisfaction = """
        CASE c.status
            WHEN 'complied' THEN 4 + (c.b < 0.6)::int
            WHEN 'withdrawn' THEN 2 + floor(c.b * 3)::int
            WHEN 'archived' THEN 2 + floor(c.b * 2)::int
            WHEN 'referred' THEN 1 + floor(c.b * 3)::int
            ELSE 1 + floor(c.b * 2)::int
        END
    """
    solved = """
        CASE WHEN c.status = 'complied' THEN (CASE WHEN c.b < 0.8 THEN 'yes' ELSE 'partly' END)
             WHEN c.status = 'withdrawn' THEN (CASE WHEN c.b < 0.5 THEN 'partly' ELSE 'no' END)
             ELSE (CASE WHEN c.b < 0.1 THEN 'partly' ELSE 'no' END) END
    """
    recent = f"""
        SELECT c.id, c.status, c.closed_at, c.consumer_id, random() AS a, random() AS b
        FROM complaints_complaint c
        WHERE c.closed_at >= now() - interval '{SURVEY_DAYS} days'
    """
    consumer = conn.execute(
        f"""
        INSERT INTO reporting_survey (complaint_id, respondent, part_id, nonce, sent_at, reminded_at, expires_at,
            answered_at, answered_by_id, satisfaction, solved, would_use_again, comment, created_at)
        SELECT c.id, 'consumer', NULL, md5('consumer' || c.id), c.closed_at + interval '5 minutes',
               CASE WHEN c.a >= {SURVEY_CONSUMER_ANSWERED} AND c.closed_at < now() - interval '7 days'
                    THEN c.closed_at + interval '7 days' END,
               c.closed_at + interval '30 days',
               CASE WHEN c.a < {SURVEY_CONSUMER_ANSWERED}
                    THEN LEAST(c.closed_at + (c.a / {SURVEY_CONSUMER_ANSWERED}) * interval '9 days', now()) END,
               CASE WHEN c.a < {SURVEY_CONSUMER_ANSWERED} THEN c.consumer_id END,
               CASE WHEN c.a < {SURVEY_CONSUMER_ANSWERED} THEN {satisfaction} END,
               CASE WHEN c.a < {SURVEY_CONSUMER_ANSWERED} THEN {solved} ELSE '' END,
               CASE WHEN c.a < {SURVEY_CONSUMER_ANSWERED} THEN c.b < 0.75 END,
               '', c.closed_at + interval '5 minutes'
        FROM ({recent}) c
        """
    ).rowcount
    company = conn.execute(
        f"""
        INSERT INTO reporting_survey (complaint_id, respondent, part_id, nonce, sent_at, reminded_at, expires_at,
            answered_at, answered_by_id, satisfaction, solved, would_use_again, comment, created_at)
        SELECT c.id, 'company', p.id, md5('company' || p.id), c.closed_at + interval '5 minutes',
               CASE WHEN c.a >= {SURVEY_COMPANY_ANSWERED} AND c.closed_at < now() - interval '7 days'
                    THEN c.closed_at + interval '7 days' END,
               c.closed_at + interval '30 days',
               CASE WHEN c.a < {SURVEY_COMPANY_ANSWERED}
                    THEN LEAST(c.closed_at + (c.a / {SURVEY_COMPANY_ANSWERED}) * interval '9 days', now()) END,
               CASE WHEN c.a < {SURVEY_COMPANY_ANSWERED} THEN rep.user_id END,
               CASE WHEN c.a < {SURVEY_COMPANY_ANSWERED} THEN 3 + floor(c.b * 3)::int END,
               CASE WHEN c.a < {SURVEY_COMPANY_ANSWERED} THEN (CASE WHEN c.b < 0.6 THEN 'yes' ELSE 'partly' END)
                    ELSE '' END,
               CASE WHEN c.a < {SURVEY_COMPANY_ANSWERED} THEN c.b < 0.9 END,
               '', c.closed_at + interval '5 minutes'
        FROM ({recent}) c
        JOIN complaints_casecompany p ON p.complaint_id = c.id AND p.position = 1 AND p.company_id IS NOT NULL
        LEFT JOIN {REPRESENTATIVE_OF} ON rep.company_id = p.company_id
        """
    ).rowcount
    answered = conn.execute("SELECT count(*) FROM reporting_survey WHERE answered_at IS NOT NULL").fetchone()
    log(f"  {consumer:,} consumer and {company:,} company surveys sent, {answered[0] if answered else 0:,} answered")


def rebuild_reporting(conn: psycopg.Connection) -> float | None:
    """Build the reporting tables (facts, the monthly cube, company and sector figures) with the refresh
    beat runs, reporting.refresh.rebuild(); returns its duration in seconds (None if it is missing)."""
    try:
        from reporting.refresh import rebuild
    except Exception as error:  # missing, or still being written: the cases are there, say so and go on
        log(f"  reporting.refresh.rebuild() is not available ({error!r}): the reporting tables stay empty")
        log("  build them later with: bench/seed.py --refresh-only")
        return None
    started = time.monotonic()
    result = rebuild()
    seconds = time.monotonic() - started
    log(f"  rebuild() took {seconds:.1f}s{f': {result}' if result is not None else ''}")
    conn.execute(
        "ANALYZE reporting_casefact, reporting_monthlyfigure, reporting_pairfigure, reporting_lowfigure,"
        " reporting_companyfigure,"
        " reporting_sectorfigure"
    )
    return seconds


def finish(conn: psycopg.Connection) -> None:
    """Sequences past the ids we chose, then VACUUM ANALYZE (visibility map and statistics)."""
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection

    for statement in connection.ops.sequence_reset_sql(no_style(), list(apps.get_models())):
        conn.execute(statement)
    log("VACUUM ANALYZE")
    conn.execute("VACUUM (ANALYZE)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000, help="how many complaints (default 1,000,000)")
    parser.add_argument("--reset", action="store_true", help="drop and recreate the database first")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (same seed, same data)")
    parser.add_argument("--any-database", action="store_true", help="allow a database whose name lacks 'bench'")
    parser.add_argument(
        "--refresh-only",
        action="store_true",
        help="on a seeded database, only (re)build the reporting tables with reporting.refresh.rebuild()",
    )
    args = parser.parse_args(argv)
    if args.cases < 1000:
        parser.error("--cases must be at least 1000")

    started = time.monotonic()
    if not args.refresh_only:
        prepare_database(reset=args.reset, any_database=args.any_database)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    log("Migrating")
    call_command("migrate", verbosity=0, interactive=False)
    connection.ensure_connection()
    conn: psycopg.Connection = connection.connection
    conn.autocommit = True
    if args.refresh_only:
        log("Reporting tables (reporting.refresh.rebuild())")
        seconds = rebuild_reporting(conn)
        if seconds is not None:
            # run.py reads the seed's record back for RESULTS.md: add the rebuild's duration to it.
            name = database_params()["dbname"]
            row = conn.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name]
            ).fetchone()
            info = json.loads(row[0] or "{}") if row else {}
            info["rebuild_seconds"] = round(seconds, 1)
            conn.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(json.dumps(info)))
            )
        return
    if conn.execute("SELECT EXISTS (SELECT 1 FROM complaints_complaint)").fetchone() != (False,):
        sys.exit("The database already has cases: pass --reset to drop and seed it again.")
    conn.execute("SET maintenance_work_mem = '1GB'")
    conn.execute("SET synchronous_commit = off")
    # The rows are consistent by construction: skip the per-row foreign-key triggers while loading.
    conn.execute("SET session_replication_role = replica")

    log(f"Planning {args.cases:,} cases")
    plan = Plan(args.cases, args.seed)
    log(
        f"  biggest companies: {', '.join(f'{n:,}' for n in plan.company_counts[:5])} cases; "
        f"{len(plan.hearings):,} hearings"
    )
    log("Companies")
    companies = write_companies(conn, plan)
    log("Users, consumer and conciliator profiles, representations, staff authenticators")
    consumers, _staff = write_people(conn, plan)
    log("Complaints")
    consumer_of = write_complaints(conn, plan, consumers, companies)
    log("Each case's companies (its parts)")
    write_parts(conn, plan)
    log("Hearings and case events")
    write_hearings_and_events(conn, plan, consumer_of)
    log("Deadline clocks")
    write_clocks(conn)
    log("Companies' answers and accepted offers")
    write_answers_and_offers(conn)
    log("Satisfaction surveys")
    write_surveys(conn)
    conn.execute("SET session_replication_role = origin")
    finish(conn)
    log("Reporting tables (reporting.refresh.rebuild())")
    refresh_seconds = rebuild_reporting(conn)

    elapsed = time.monotonic() - started
    info = {
        "cases": args.cases,
        "seed": args.seed,
        "seconds": round(elapsed),
        "seeded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rebuild_seconds": round(refresh_seconds, 1) if refresh_seconds is not None else None,
    }
    # run.py reads this back for RESULTS.md.
    conn.execute(
        sql.SQL("COMMENT ON DATABASE {} IS {}").format(
            sql.Identifier(database_params()["dbname"]), sql.Literal(json.dumps(info))
        )
    )
    log(f"Done: {args.cases:,} cases in {elapsed / 60:.1f} min")


if __name__ == "__main__":
    main()
