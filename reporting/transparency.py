"""What the public may read about companies and sectors, without logging in: the transparency pages
(reporting/views/public.py) and the public JSON API (reporting/api.py) read the same selection, the
same search and the same definitions, declared once here.

- The published set: a company's `CompanyFigure` row marked `published` by the refresh (at least
  settings.PUBLIC_MIN_CLOSED_CASES closed cases in the window) AND, checked again here when read, a
  company that may be named in public (reporting/publication.py: not a human person, and verified by
  the office). So a wrong or stale flag can never name a sole trader (personal data, Ley 25.326), nor
  show as a company's name what a consumer typed when filing against a company the office did not
  know.
- Figures are read from the summary rows the refresh writes, never computed from cases here; a rate
  is None (shown "—", null in JSON) when there was nothing to divide by.
- Never a ranking by volume: lists are in alphabetical order, or by a rate the visitor chose; the
  number of complaints is shown on a company's own page, never sorted on.

Search, and what it costs (PostgreSQL):
- a CUIT (with or without dashes, checked by python-stdnum) is an equality on parties_company's
  unique CUIT index, then the figure row by its primary key (the company id);
- a name (at least `NAME_MIN_LENGTH` letters or digits) is an accent- and case-insensitive "contains"
  on the legal name and the trade names together, tested only on the published companies: the query
  starts from the published `CompanyFigure` rows (a few thousand at most, against every company that
  was ever named in a complaint), joins each to its company and tests the name on the joined row. The
  name is read through the figure's own `published` (CASE WHEN published THEN the names END), so the
  condition needs both rows and PostgreSQL cannot test it while scanning the companies (it would run
  unaccent on every one of them); and it is deliberately not the expression the trigram indexes of
  complaints migration 0004 are built on, so a common word ("servicios") does not have it read every
  company that holds the word and look up a figure for each. (The join itself reads the narrow company
  rows without the name test; a partial index on reporting_companyfigure (company_id) WHERE published
  would let it skip the unpublished figure rows and probe companies by primary key instead.)
- A sector's list reads its companies through `companyfigure_sector` (sector, published)."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Case, Count, F, Q, QuerySet, TextField, Value, When
from django.db.models.expressions import OrderBy
from django.db.models.functions import Concat
from django.db.models.lookups import IContains
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints.selectors import ImmutableUnaccent
from parties.models import Sector
from parties.validators import format_cuit, normalize_cuit

from .models import CompanyFigure, SectorFigure
from .publication import nameable_q

# Figures change only when beat refreshes them (settings.REPORTING_REFRESH_SECONDS, 10 minutes by
# default): a browser or a proxy may keep a public page or API answer this long.
PUBLIC_MAX_AGE = 300
SEARCH_MAX_LENGTH = 100
# Fewer letters would match most companies, and say nothing about which one is sought.
NAME_MIN_LENGTH = 3
# Between the legal name and the trade names when they are searched together: a search never holds
# one (what was typed is split on whitespace and joined with single spaces), so no match spans both.
NAME_SEPARATOR = "\n"
# What someone typed is read as a CUIT when it holds only digits and separators.
CUIT_TYPED = re.compile(r"[\d\s.\-/]+")


class Kind(StrEnum):
    SHARE = "share"  # 0 to 1, shown as a percentage
    DAYS = "days"  # business days of the office's calendar
    SCORE = "score"  # 1 to 5


@dataclass(frozen=True)
class PublicFigure:
    """One figure a company is measured by. `key` names the attribute on CompanyFigure and, pooled
    over the sector's cases, on SectorFigure; `sector_median` the median company's, where kept."""

    key: str
    label: Promise
    kind: Kind
    definition: Promise
    higher_is_better: bool
    sector_median: str | None = None


PUBLIC_FIGURES: tuple[PublicFigure, ...] = (
    PublicFigure(
        "answered_share",
        _("Complaints answered"),
        Kind.SHARE,
        _(
            "Of the complaints served on the company, the share it answered in writing or with an offer "
            "to the consumer."
        ),
        higher_is_better=True,
        sector_median="median_answered_share",
    ),
    PublicFigure(
        "agreement_rate",
        _("Agreement rate"),
        Kind.SHARE,
        _(
            "Of the complaints that reached an outcome, the share that ended in an agreement: an offer the "
            "consumer accepted before the hearing, or an agreement reached at the hearing."
        ),
        higher_is_better=True,
        sector_median="median_agreement_rate",
    ),
    PublicFigure(
        "compliance_rate",
        _("Agreements honoured"),
        Kind.SHARE,
        _(
            "Of the agreements whose compliance is settled (the company proved it, or the consumer "
            "reported a breach), the share the company honoured."
        ),
        higher_is_better=True,
        sector_median="median_compliance_rate",
    ),
    PublicFigure(
        "median_days_answer",
        _("Time to answer"),
        Kind.DAYS,
        _(
            "Median business days from the company being served to its first answer or offer: half of "
            "the complaints were answered sooner."
        ),
        higher_is_better=False,
    ),
    PublicFigure(
        "median_days_resolution",
        _("Time to resolution"),
        Kind.DAYS,
        _("Median business days from the filing of a complaint to its closing: half of them closed sooner."),
        higher_is_better=False,
    ),
    PublicFigure(
        "satisfaction",
        _("Consumer satisfaction"),
        Kind.SCORE,
        _(
            "The consumers' average answer, from 1 (very unsatisfied) to 5 (very satisfied), to the short "
            "survey sent when their case ends."
        ),
        higher_is_better=True,
        sector_median="median_satisfaction",
    ),
    PublicFigure(
        "solved_share",
        _("Problem solved"),
        Kind.SHARE,
        _("Of the consumers who answered the survey, the share who said their problem was solved."),
        higher_is_better=True,
    ),
)
FIGURES_BY_KEY = {figure.key: figure for figure in PUBLIC_FIGURES}

RECEIVED_DEFINITION = _(
    "Complaints filed against the company in the period shown: a complaint that names several companies "
    "counts once for each of them."
)
CLOSED_DEFINITION = _("Of those, the complaints already closed, whatever the outcome.")


def display(kind: Kind, value: float | None) -> str | None:
    """A figure as the page shows it, in the reader's language; None when it was not computed."""
    if value is None:
        return None
    if kind is Kind.SHARE:
        return gettext("%(percent)s%%") % {"percent": number_format(value * 100, 0)}
    if kind is Kind.DAYS:
        return gettext("%(days)s business days") % {"days": number_format(value, 1)}
    return gettext("%(score)s out of 5") % {"score": number_format(value, 1)}


# --- Who is published, and the search --------------------------------------------------------------


def published_figures() -> QuerySet[CompanyFigure]:
    """Every company the public may see, with its company row (one query, whatever is asked): marked
    published by the refresh, and nameable now (reporting/publication.py)."""
    return CompanyFigure.objects.filter(Q(published=True) & nameable_q("company__")).select_related("company")


@dataclass(frozen=True)
class CompanyQuery:
    """What someone typed in the search box, read once: a valid CUIT, or words of a name."""

    cuit: str = ""
    name: str = ""

    def __bool__(self) -> bool:
        return bool(self.cuit or self.name)


def name_too_short() -> str:
    return gettext("Type at least %(count)s letters of the name, or the 11 digits of the CUIT.") % {
        "count": NAME_MIN_LENGTH
    }


def read_query(text: str) -> CompanyQuery:
    """Digits (with dashes, dots or spaces) are a CUIT and must be a valid one; anything else is part
    of a name, of at least NAME_MIN_LENGTH letters or digits. A ValidationError says what is wrong."""
    text = " ".join(str(text or "").split())[:SEARCH_MAX_LENGTH]
    if not text:
        return CompanyQuery()
    if CUIT_TYPED.fullmatch(text):
        return CompanyQuery(cuit=normalize_cuit(re.sub(r"\D", "", text)))
    if sum(ch.isalnum() for ch in text) < NAME_MIN_LENGTH:
        raise ValidationError(name_too_short(), code="too_short")
    return CompanyQuery(name=text)


def _names_contain(text: str) -> Q:
    """The legal name or a trade name holds `text`, whatever the accents and the case. Tested on each
    published company's row (see the module's docstring), never through the trigram indexes."""
    # Read through the figure row's `published`: the condition then needs both rows, so PostgreSQL
    # cannot test it while scanning the companies, only on the published figures joined to theirs.
    names = Case(
        When(published=True, then=Concat("company__legal_name", Value(NAME_SEPARATOR), "company__trade_names")),
        default=Value(""),
        output_field=TextField(),
    )
    if connection.vendor == "postgresql":
        return Q(IContains(ImmutableUnaccent(names), ImmutableUnaccent(Value(text))))
    return Q(IContains(names, text))


def search(figures: QuerySet[CompanyFigure], query: CompanyQuery) -> QuerySet[CompanyFigure]:
    if query.cuit:
        return figures.filter(company__cuit=query.cuit)
    if query.name:
        return figures.filter(_names_contain(query.name))
    return figures


def company_figure(cuit: str) -> CompanyFigure | None:
    """A published company's figures by its CUIT (11 digits), or None."""
    if not (len(cuit) == 11 and cuit.isascii() and cuit.isdigit()):
        return None
    return published_figures().filter(company__cuit=cuit).first()


def sector_figure(sector: str) -> SectorFigure | None:
    return SectorFigure.objects.filter(sector=sector).first()


def published_per_sector() -> dict[str, int]:
    """How many companies of each sector have a public page (one GROUP BY query)."""
    rows = published_figures().order_by().values("sector").annotate(companies=Count("pk"))
    return {row["sector"]: row["companies"] for row in rows}


def trade_names(figure: CompanyFigure) -> list[str]:
    return [name.strip() for name in figure.company.trade_names.split(",") if name.strip()]


def cuit_display(cuit: str) -> str:
    return format_cuit(cuit)


def sector_label(code: str) -> str:
    return str(Sector(code).label) if code in Sector.values else code


# --- Order of a sector's companies ----------------------------------------------------------------

BY_NAME = "name"


def sort_choices() -> list[tuple[str, str]]:
    """How a sector's companies may be ordered, in the reader's language (asked per request)."""
    return [(BY_NAME, gettext("Name (A to Z)"))] + [
        (figure.key, gettext("%(figure)s, best first") % {"figure": figure.label}) for figure in PUBLIC_FIGURES
    ]


def ordering(sort: str) -> list[OrderBy | str]:
    """By name, or by one figure best first (companies without it last), then by name. Never by the
    number of complaints."""
    by_name: list[OrderBy | str] = ["company__legal_name", "company_id"]
    figure = FIGURES_BY_KEY.get(sort)
    if figure is None:
        return by_name
    column = F(figure.key)
    best_first = column.desc(nulls_last=True) if figure.higher_is_better else column.asc(nulls_last=True)
    return [best_first, *by_name]


# --- Caching a public answer ----------------------------------------------------------------------

V = TypeVar("V", bound=Callable[..., Any])


def is_html(response: HttpResponseBase) -> bool:
    return str(response.get("Content-Type", "")).startswith("text/html")


def allow_caching(response: HttpResponseBase, max_age: int) -> None:
    """An answer may be kept `max_age` seconds. An HTML page only by the visitor's own browser
    (`private`): it carries a CSRF token (and sets its cookie) and a CSP nonce, which must never be
    served to someone else from a shared cache. Data (the API's JSON, the open-data files) carries
    neither and may be kept by shared caches too (`public`)."""
    if is_html(response):
        patch_cache_control(response, private=True, max_age=max_age)
    else:
        patch_cache_control(response, public=True, max_age=max_age)


def public_cache(view: V) -> V:
    """A successful answer may be kept `PUBLIC_MAX_AGE` seconds (`allow_caching`). It varies with the
    language asked for and with the cookies (the language chosen; a signed-in person, whose pages
    config.middleware_headers marks `private, no-store` anyway)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            allow_caching(response, PUBLIC_MAX_AGE)
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response

    return wrapper  # type: ignore[return-value]
