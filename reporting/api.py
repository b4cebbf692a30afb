"""The public JSON API: the transparency pages' figures, read-only (GET), without authentication.

Mounted at /api/publica/v1/ (reporting/urls_public.py), with its OpenAPI document at `openapi.json`
and a reference page at `docs`: django-ninja's Swagger UI, served from the app's own static files
(ninja is an installed app) through a page with no inline script, so it runs under the project's
Content-Security-Policy and loads nothing from another origin.

It reads what the pages read (reporting/transparency.py: the published companies, the search, the
definitions), from the replica when there is one; answers may be cached `PUBLIC_MAX_AGE` seconds.
Numbers are JSON numbers; a figure that was not computed (nothing to divide by) is null. Shares are
fractions between 0 and 1; times are business days; satisfaction goes from 1 to 5. Not rate-limited
here: put a limit in front of it (the proxy) if it is ever abused."""

from collections.abc import Callable
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import override as language
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from ninja import Field, NinjaAPI, Query, Schema, Status
from ninja.decorators import decorate_view
from ninja.errors import ValidationError as ParameterError
from ninja.openapi.docs import Swagger
from pydantic import create_model

from config.routers import reads_from_replica
from parties.models import Sector

from . import transparency
from .models import CompanyFigure, SectorFigure
from .transparency import PUBLIC_FIGURES, public_cache

MAX_PAGE_SIZE = 100

DESCRIPTION = """
The figures the consumer-defense office publishes about how companies answer their consumers'
complaints, and about their sectors: the same figures as the public pages at /transparencia/.

- **Read-only and open**: GET only, no authentication, no personal data. A company appears only once it
  has enough closed complaints in the period, and companies that are people (sole traders) never do.
- **Numbers are numbers**; a figure that could not be computed (nothing to divide by) is `null`. Shares
  are fractions between 0 and 1; times are business days of the office's calendar; satisfaction goes
  from 1 to 5.
- **Never a ranking by volume**: companies are listed in alphabetical order.
- Figures are refreshed every few minutes; answers may be cached for 5 minutes.
- Names of sectors and error messages follow the `Accept-Language` header (Spanish by default).
- An invalid parameter (a page out of range, an unknown sector, a search too long or too short, a
  CUIT with a wrong check digit) is a 400 whose `detail` says what is wrong.
"""


class LocalSwagger(Swagger):
    """Swagger UI from the app's static files, on a page with no inline script (CSP)."""

    template = "reporting/public/api_docs.html"


def _document_view(view: Callable) -> Callable:
    """The document and its reference page: cacheable like the figures, and GET (or HEAD) only; any
    other method a 405 rather than the document (or a CSRF page)."""
    return csrf_exempt(require_safe(public_cache(view)))


api = NinjaAPI(
    urls_namespace="public_api",
    title="Concilia: public figures of companies and sectors",
    description=DESCRIPTION,
    version="1.0.0",
    docs=LocalSwagger(settings={"validatorUrl": None, "tryItOutEnabled": True}),
    docs_url="docs",
    openapi_url="openapi.json",
    docs_decorator=_document_view,
)

# --- Schemas ---------------------------------------------------------------------------------------

with language("en"):
    # The OpenAPI document is in English: each figure's description is its definition's msgid.
    _FIGURE_FIELDS: dict = {
        public.key: (float | None, Field(..., description=f"{public.definition} ({public.kind})"))
        for public in PUBLIC_FIGURES
    }
    _MEDIAN_FIELDS: dict = {
        public.key: (
            float | None,
            Field(..., description=f"The median company's figure of the sector: {public.definition}"),
        )
        for public in PUBLIC_FIGURES
        if public.sector_median
    }
    _RECEIVED = str(transparency.RECEIVED_DEFINITION)
    _CLOSED = str(transparency.CLOSED_DEFINITION)

Figures = create_model("Figures", __base__=Schema, **_FIGURE_FIELDS)
MedianCompany = create_model("MedianCompany", __base__=Schema, **_MEDIAN_FIELDS)


class Error(Schema):
    detail: str = Field(..., description="What is wrong, in the language asked for")


class CompanySearch(Schema):
    q: str = Field(
        "",
        max_length=transparency.SEARCH_MAX_LENGTH,
        description=f"A name (at least {transparency.NAME_MIN_LENGTH} letters), or a CUIT",
    )
    sector: Sector | None = Field(None, description="Only this sector's companies")
    page: int = Field(1, ge=1)
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)


class SectorRef(Schema):
    code: str = Field(..., description="The sector's code, e.g. telecom")
    name: str = Field(..., description="The sector's name, in the language asked for")


class Window(Schema):
    start: date = Field(..., description="First day of the period (cases filed from this day)")
    end: date = Field(..., description="Last day of the period")


class Company(Schema):
    cuit: str = Field(..., description="The company's CUIT, 11 digits")
    cuit_display: str = Field(..., description="The CUIT with dashes, e.g. 30-71234567-1")
    legal_name: str
    trade_names: list[str] = Field(..., description="Brands the public knows it by")
    sector: SectorRef
    window: Window
    refreshed_at: datetime = Field(..., description="When these figures were last computed")
    received: int = Field(..., description=_RECEIVED)
    closed: int = Field(..., description=_CLOSED)
    figures: Figures  # type: ignore[valid-type]
    url: str = Field(..., description="This company in the API")
    page_url: str = Field(..., description="This company's public page")


class CompanyList(Schema):
    count: int = Field(..., description="Companies that match, on every page")
    page: int
    pages: int
    page_size: int
    next: str | None = Field(..., description="The next page, or null on the last one")
    previous: str | None = Field(..., description="The previous page, or null on the first one")
    results: list[Company]


class SectorOut(Schema):
    code: str
    name: str
    published_companies: int = Field(..., description="Companies of the sector with public figures")
    window: Window | None = Field(..., description="The period, or null when no figures were computed yet")
    refreshed_at: datetime | None
    received: int | None = Field(..., description="Complaints filed against the sector's companies")
    closed: int | None
    figures: Figures | None = Field(..., description="The sector's cases pooled")  # type: ignore[valid-type]
    median_company: MedianCompany | None = Field(  # type: ignore[valid-type]
        ..., description="The figure of the sector's median published company"
    )
    companies_url: str = Field(..., description="The sector's published companies in the API")
    page_url: str = Field(..., description="The sector's public page")


# --- Building the answers --------------------------------------------------------------------------


def _figures(row: CompanyFigure | SectorFigure) -> dict[str, float | None]:
    return {public.key: getattr(row, public.key) for public in PUBLIC_FIGURES}


def _company(request: HttpRequest, figure: CompanyFigure) -> dict:
    cuit = figure.company.cuit
    return {
        "cuit": cuit,
        "cuit_display": transparency.cuit_display(cuit),
        "legal_name": figure.company.legal_name,
        "trade_names": transparency.trade_names(figure),
        "sector": {"code": figure.sector, "name": transparency.sector_label(figure.sector)},
        "window": {"start": figure.window_start, "end": figure.window_end},
        "refreshed_at": figure.refreshed_at,
        "received": figure.received,
        "closed": figure.closed,
        "figures": _figures(figure),
        "url": request.build_absolute_uri(reverse("public_api:company", args=[cuit])),
        "page_url": request.build_absolute_uri(reverse("transparency_company", args=[cuit])),
    }


def _sector(request: HttpRequest, code: str, row: SectorFigure | None, published: int) -> dict:
    return {
        "code": code,
        "name": transparency.sector_label(code),
        "published_companies": published,
        "window": {"start": row.window_start, "end": row.window_end} if row else None,
        "refreshed_at": row.refreshed_at if row else None,
        "received": row.received if row else None,
        "closed": row.closed if row else None,
        "figures": _figures(row) if row else None,
        "median_company": (
            {public.key: getattr(row, public.sector_median) for public in PUBLIC_FIGURES if public.sector_median}
            if row
            else None
        ),
        "companies_url": request.build_absolute_uri(
            reverse("public_api:companies") + "?" + urlencode({"sector": code})
        ),
        "page_url": request.build_absolute_uri(reverse("transparency_sector", args=[code])),
    }


def _not_published() -> dict:
    return {
        "detail": gettext(
            "No public figures for this CUIT. A company is published once it has at least %(minimum)s closed "
            "complaints in the period; companies that are people are never published."
        )
        % {"minimum": settings.PUBLIC_MIN_CLOSED_CASES}
    }


def _parameter_problem(error: dict) -> str:
    """One invalid parameter, said in the reader's language (pydantic's own messages are English)."""
    location = error.get("loc") or ()
    name = str(location[-1]) if location else ""
    if name == "q":
        return gettext("q may hold at most %(max)s characters.") % {"max": transparency.SEARCH_MAX_LENGTH}
    if name == "sector":
        return gettext("sector must be one of these codes: %(codes)s.") % {"codes": ", ".join(Sector.values)}
    if name == "page":
        return gettext("page must be a whole number, 1 or more.")
    if name == "page_size":
        return gettext("page_size must be a whole number from 1 to %(max)s.") % {"max": MAX_PAGE_SIZE}
    return gettext("The parameter %(name)s is not valid.") % {"name": name or "?"}


@api.exception_handler(ParameterError)
def invalid_parameters(request: HttpRequest, error: ParameterError) -> HttpResponse:
    """A parameter that does not validate is the documented 400 (Error), not ninja's 422 list."""
    problems = list(dict.fromkeys(_parameter_problem(item) for item in error.errors))
    return api.create_response(request, {"detail": " ".join(problems)}, status=400)


def _page_link(request: HttpRequest, page: int) -> str:
    params = request.GET.copy()
    params["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


# --- Operations ------------------------------------------------------------------------------------


@api.get(
    "empresas",
    response={200: CompanyList, 400: Error},
    url_name="companies",
    operation_id="list_companies",
    tags=["Companies"],
    summary="Published companies",
    description="Companies with public figures, in alphabetical order: all of them, or those whose "
    "legal or trade name contains `q`, or the one whose CUIT is `q` (with or without dashes).",
)
@decorate_view(public_cache, reads_from_replica)
def companies(request: HttpRequest, filters: Query[CompanySearch]):
    try:
        query = transparency.read_query(filters.q)
    except ValidationError as error:
        return Status(400, {"detail": " ".join(error.messages)})
    page, page_size = filters.page, filters.page_size
    found = transparency.published_figures()
    if filters.sector is not None:
        found = found.filter(sector=filters.sector)
    found = transparency.search(found, query).order_by(*transparency.ordering(""))
    paginator = Paginator(found, page_size)
    rows = paginator.page(page).object_list if page <= paginator.num_pages else []
    return Status(
        200,
        {
            "count": paginator.count,
            "page": page,
            "pages": paginator.num_pages,
            "page_size": page_size,
            "next": _page_link(request, page + 1) if page < paginator.num_pages else None,
            "previous": _page_link(request, min(page - 1, paginator.num_pages)) if page > 1 else None,
            "results": [_company(request, figure) for figure in rows],
        },
    )


@api.get(
    "empresas/{cuit}",
    response={200: Company, 404: Error},
    url_name="company",
    operation_id="get_company",
    tags=["Companies"],
    summary="A company's figures",
    description="By CUIT (11 digits, with or without dashes). 404 when the company is unknown or not published.",
)
@decorate_view(public_cache, reads_from_replica)
def company(request: HttpRequest, cuit: str):
    figure = transparency.company_figure("".join(ch for ch in cuit if ch.isdigit()))
    if figure is None:
        return Status(404, _not_published())
    return Status(200, _company(request, figure))


@api.get(
    "sectores",
    response=list[SectorOut],
    url_name="sectors",
    operation_id="list_sectors",
    tags=["Sectors"],
    summary="Sectors and their figures",
    description="Every sector, in a fixed order, with its figures (null while none were computed).",
)
@decorate_view(public_cache, reads_from_replica)
def sectors(request: HttpRequest):
    rows = {row.sector: row for row in SectorFigure.objects.all()}
    published = transparency.published_per_sector()
    return [_sector(request, code, rows.get(code), published.get(code, 0)) for code in Sector.values]


@api.get(
    "sectores/{sector}",
    response={200: SectorOut, 404: Error},
    url_name="sector",
    operation_id="get_sector",
    tags=["Sectors"],
    summary="A sector's figures",
    description="By the sector's code (as listed by /sectores). 404 for an unknown code.",
)
@decorate_view(public_cache, reads_from_replica)
def sector(request: HttpRequest, sector: str):
    if sector not in Sector.values:
        return Status(404, {"detail": gettext("No such sector.")})
    published = transparency.published_figures().filter(sector=sector).count()
    return Status(200, _sector(request, sector, transparency.sector_figure(sector), published))
