"""Likely duplicates at admission: another complaint of the same consumer, still open, naming a
company in common, submitted within `settings.DUPLICATE_WINDOW_DAYS` of this one, about the same
purchase and telling much the same facts.

The candidates are one consumer's own earlier cases (a handful of rows, read through the index on
(consumer, -created_at)), so how alike two complaints are is computed here, in Python, the same on
SQLite and PostgreSQL:

- each account of the facts (its first `MAX_TEXT` characters) becomes its set of content words:
  lower-cased, accents removed ("no enfrió" and "no enfrio" agree), split on anything that is not a
  letter or a digit, words of one or two letters left out, and so are common Spanish words ("que",
  "para") and the words the filing form's help makes everyone write ("llamé", "número de reclamo",
  "servicio", "factura", "empresa", "me siguen cobrando"…), which say nothing about *which*
  incident it is; what is left is cut to its first `STEM` letters, a light stemmer ("heladeras",
  "heladera"; "pactó", "pactaron");
- the facts' likeness is two-sided (Dice: the shared words over both texts' words), so a long
  account does not match every short one that shares a few of its words; a text shorter than
  `MIN_WORDS` counts as that long, so two terse accounts ("no anda") do not match on two words;
- the purchase moves it: the same product, close purchase dates and close amounts raise it, a
  clearly different product, date or amount lowers it (`Comparison`, shown to the officer).

A match is a hint for the officer, who decides (complaints/services/duplicates.py); a false alarm
costs one click ("not a duplicate"), which is remembered for that pair of cases.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from complaints.actions import DUPLICATE_DISMISSED
from complaints.models import CaseCompany, CaseEvent, Complaint
from complaints.states import CLOSED_STATES, State

# A text with fewer content words than this counts as this long (see the module's docstring).
MIN_WORDS = 8
# Only the first this many characters of an account are compared: a 40-page account costs no more.
MAX_TEXT = 5000
# Words are compared by their first this many letters (a prefix stemmer; good enough for Spanish).
STEM = 6
# At most this many of the consumer's earlier cases are compared: the most recent ones.
MAX_CANDIDATES = 100
# The officer's "not a duplicate" event starts its reason with the other case's number, so the pair
# is not flagged again when the case is resubmitted.
CASE_NUMBER_AT_START = re.compile(r"^(DC-\d{4}-\d{6,})")

# How the purchase moves the facts' likeness (see `Comparison`).
SAME_PRODUCT, OTHER_PRODUCT = 0.15, -0.25
CLOSE_DAYS, FAR_DAYS = 7, 60
CLOSE_DATES, FAR_DATES = 0.10, -0.15
CLOSE_AMOUNTS, FAR_AMOUNTS = 0.10, -0.15  # within 10%; more than half apart

# Common Spanish words (unaccented) that say nothing about what happened.
_COMMON_WORDS = """
algo ante aqui asi aun bien cada como con contra cual cuando del desde donde dos ella ellas ello
ellos entre era eran esa esas ese eso esos esta estaba estan estas este esto estos fue fueron habia
han has hasta hay hice hizo las les los mas mes mis mucho muy nada nadie ningun ninguna nos nunca
otra otro para pero poco por porque pude que quien sea ser sin sobre son sus tal tambien tan tenia
tengo tiene todo todos tras una uno unos unas usted vez veces varias ya igual luego despues ahora
hoy ayer todavia mismo misma dijeron dicen dice dijo decir
"""
# What the filing form's help makes every complaint say, whatever happened (complaints/forms/filing.py).
_BOILERPLATE = """
llame llamado llamada llamadas llamar llamo numero reclamo reclamos reclame reclamar reclamado
servicio empresa factura facturas cobrando cobran cobraron cobro cobrar cobra atencion cliente
clientes siguen sigue seguir respuesta respuestas solucion solucionar problema problemas caso
pedi pido pedir solicite solicito quiero necesito compre contrate pague pago pagar abone abonar
monto importe peso pesos telefono mail correo whatsapp pagina web online consumidor defensa dieron
daban dan
"""
STOPWORDS = frozenset(_COMMON_WORDS.split()) | frozenset(_BOILERPLATE.split())
_NOT_A_WORD = re.compile(r"[^a-z0-9]+")


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text[:MAX_TEXT].casefold())
    return "".join(char for char in folded if not unicodedata.combining(char))


def content_words(text: str) -> frozenset[str]:
    """The words that carry the facts: normalised, unaccented, without common or boilerplate ones,
    each cut to its stem."""
    words = set()
    for word in _NOT_A_WORD.split(_fold(text)):
        if len(word) <= 2 or word in STOPWORDS:
            continue
        if len(word) > 3 and word.endswith("s"):
            word = word[:-1]
            if word in STOPWORDS:
                continue
        words.add(word[:STEM])
    return frozenset(words)


def dice(first: frozenset[str], second: frozenset[str]) -> float:
    """Two-sided likeness of two word sets, 0 to 1; short sets count as `MIN_WORDS` long."""
    if not first or not second:
        return 0.0
    return min(1.0, 2 * len(first & second) / max(len(first) + len(second), 2 * MIN_WORDS))


def similarity(first: str, second: str) -> float:
    """How alike two accounts of the facts are, from 0 (no content word in common) to 1."""
    return dice(content_words(first), content_words(second))


def _product_words(text: str) -> frozenset[str]:
    # A product is a few words ("Heladera No Frost 360 L"): every word but the common ones counts.
    return frozenset(word[:STEM] for word in _NOT_A_WORD.split(_fold(text)) if word and word not in STOPWORDS)


@dataclass(frozen=True)
class Comparison:
    """How alike two complaints are, and why: the facts' likeness, moved by the purchase."""

    facts: float
    product: float | None  # the products' likeness (None: one is blank)
    days_apart: int | None  # between the purchase dates (None: one is blank)
    amount_gap: float | None  # the amounts paid apart, as a share of the larger (None: one is blank)
    score: float

    @property
    def percent(self) -> int:
        return round(self.score * 100)

    @property
    def facts_percent(self) -> int:
        return round(self.facts * 100)


def _days_apart(first: date | None, second: date | None) -> int | None:
    return abs((first - second).days) if first and second else None


def _amount_gap(first: Decimal | None, second: Decimal | None) -> float | None:
    if first is None or second is None or max(first, second) <= 0:
        return None
    return float(abs(first - second) / max(first, second))


def compare(case: Complaint, other: Complaint, *, case_words: frozenset[str] | None = None) -> Comparison:
    """`case_words`: the case's content words, when comparing one case with many."""
    facts = dice(content_words(case.facts) if case_words is None else case_words, content_words(other.facts))
    score = facts
    product: float | None = None
    if case.product.strip() and other.product.strip():
        product = dice_plain(_product_words(case.product), _product_words(other.product))
        score += SAME_PRODUCT if product >= 0.5 else OTHER_PRODUCT if product == 0 else 0
    days = _days_apart(case.purchase_date, other.purchase_date)
    if days is not None:
        score += CLOSE_DATES if days <= CLOSE_DAYS else FAR_DATES if days > FAR_DAYS else 0
    gap = _amount_gap(case.amount_paid, other.amount_paid)
    if gap is not None:
        score += CLOSE_AMOUNTS if gap <= 0.1 else FAR_AMOUNTS if gap > 0.5 else 0
    return Comparison(facts=facts, product=product, days_apart=days, amount_gap=gap, score=max(0.0, min(1.0, score)))


def dice_plain(first: frozenset[str], second: frozenset[str]) -> float:
    """Dice without the short-text floor: a product is short by nature."""
    if not first or not second:
        return 0.0
    return 2 * len(first & second) / (len(first) + len(second))


@dataclass(frozen=True)
class Match:
    case: Complaint
    comparison: Comparison

    @property
    def score(self) -> float:
        return self.comparison.score


def _companies_in_common(case: Complaint) -> Q:
    """A case that names one of this case's companies: the same registered company, or the same CUIT
    (a company that was not registered when it was named)."""
    parts = list(CaseCompany.objects.filter(complaint_id=case.pk).values_list("company_id", "cuit"))
    company_ids = {company_id for company_id, _cuit in parts if company_id is not None}
    cuits = {cuit for _company_id, cuit in parts if cuit}
    shared = CaseCompany.objects.filter(complaint_id=OuterRef("pk")).filter(
        Q(company_id__in=company_ids) | Q(cuit__in=cuits)
    )
    return Q(Exists(shared))


def dismissed_numbers(case: Complaint) -> set[str]:
    """The cases the office already said this one does not duplicate."""
    events = CaseEvent.objects.filter(complaint_id=case.pk, action=DUPLICATE_DISMISSED.code)
    reasons = events.values_list("reason", flat=True)
    return {found.group(1) for reason in reasons if (found := CASE_NUMBER_AT_START.match(reason))}


def candidates(case: Complaint) -> list[Complaint]:
    """The consumer's earlier cases (filed before this one) that could be what this one repeats:
    still open (not a draft, not closed: a complaint filed again after a withdrawn, archived or
    rejected one is a new filing), submitted within the window of this one's submission, naming a
    company in common. One query on the (consumer, -created_at) index, newest first."""
    submitted = case.submitted_at or timezone.now()
    window = timedelta(days=settings.DUPLICATE_WINDOW_DAYS)
    earlier = (
        Complaint.objects.filter(consumer_id=case.consumer_id, created_at__lte=case.created_at, pk__lt=case.pk)
        .exclude(status__in=[State.DRAFT, *CLOSED_STATES])
        .filter(submitted_at__gte=submitted - window, submitted_at__lte=submitted + window)
        .filter(_companies_in_common(case))
        .exclude(number__in=dismissed_numbers(case))
        .only(
            "pk",
            "number",
            "facts",
            "product",
            "purchase_date",
            "amount_paid",
            "status",
            "created_at",
            "submitted_at",
            "consumer_id",
            "duplicate_of_id",
        )
        .order_by("-created_at", "-pk")
    )
    return list(earlier[:MAX_CANDIDATES])


def likely_duplicates(case: Complaint) -> list[Match]:
    """The candidates at least `settings.DUPLICATE_SIMILARITY` alike. The original before a copy of
    it (a candidate itself flagged as a duplicate, still undecided, comes after those that are not),
    then the most alike, then the earliest."""
    threshold = settings.DUPLICATE_SIMILARITY
    words = content_words(case.facts)  # once, however many candidates
    matches = [Match(other, compare(case, other, case_words=words)) for other in candidates(case)]
    matches = [match for match in matches if match.score >= threshold]
    return sorted(
        matches,
        key=lambda match: (
            match.case.duplicate_of_id is not None,
            -match.score,
            match.case.created_at,
            match.case.pk,
        ),
    )


def best_match(case: Complaint) -> Complaint | None:
    matches = likely_duplicates(case)
    return matches[0].case if matches else None
