"""The public transparency pages, open to anyone without logging in: the search by name or CUIT with
the list of sectors, a company's page, and a sector's page. They only read the summary rows the
refresh writes (reporting/transparency.py says what is published and how it is searched), from the
replica when one is configured, and may be cached a few minutes."""

import re
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from config.routers import reads_from_replica
from parties.models import Sector
from parties.paginator import CappedPaginator

from .. import transparency
from ..models import CompanyFigure, SectorFigure
from ..transparency import PUBLIC_FIGURES, CompanyQuery, public_cache

PAGE_SIZE = 20


class CompanySearchForm(forms.Form):
    q = forms.CharField(
        label=_("Company name or CUIT"),
        help_text=_("A legal or trade name, or the 11 digits of the CUIT, with or without dashes."),
        max_length=transparency.SEARCH_MAX_LENGTH,
        required=False,
    )

    def clean_q(self) -> CompanyQuery:
        return transparency.read_query(self.cleaned_data["q"])

    @property
    def query(self) -> CompanyQuery:
        if self.is_bound and self.is_valid():
            return self.cleaned_data["q"]
        return CompanyQuery()


class SectorCompaniesForm(CompanySearchForm):
    sort = forms.ChoiceField(label=_("Order"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sort"].choices = transparency.sort_choices()  # type: ignore[attr-defined]

    @property
    def order(self) -> str:
        if self.is_bound and self.is_valid():
            return self.cleaned_data["sort"] or transparency.BY_NAME
        return transparency.BY_NAME


@dataclass(frozen=True)
class FigureLine:
    """One figure of a company beside its sector, as shown."""

    label: str
    definition: str
    company: str | None
    sector: str | None
    sector_median: str | None
    has_median: bool


def _lines(figure: CompanyFigure | None, sector: SectorFigure | None) -> list[FigureLine]:
    lines = []
    for public in PUBLIC_FIGURES:
        median = getattr(sector, public.sector_median) if sector and public.sector_median else None
        lines.append(
            FigureLine(
                label=str(public.label),
                definition=str(public.definition),
                company=transparency.display(public.kind, getattr(figure, public.key)) if figure else None,
                sector=transparency.display(public.kind, getattr(sector, public.key)) if sector else None,
                sector_median=transparency.display(public.kind, median),
                has_median=public.sector_median is not None,
            )
        )
    return lines


def _row(figure: CompanyFigure) -> tuple[CompanyFigure, list[tuple[str, str | None]]]:
    """A company in a list, with its figures (label, value) in the order of PUBLIC_FIGURES."""
    return figure, [
        (str(public.label), transparency.display(public.kind, getattr(figure, public.key))) for public in PUBLIC_FIGURES
    ]


def _definitions() -> dict[str, object]:
    return {
        "received_definition": transparency.RECEIVED_DEFINITION,
        "closed_definition": transparency.CLOSED_DEFINITION,
        "minimum": settings.PUBLIC_MIN_CLOSED_CASES,
    }


@require_safe
@public_cache
@reads_from_replica
def transparency_home(request: HttpRequest) -> HttpResponse:
    form = CompanySearchForm(request.GET or None)
    query = form.query
    page = None
    if query:
        found = transparency.search(transparency.published_figures(), query).order_by(*transparency.ordering(""))
        page = CappedPaginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    per_sector = transparency.published_per_sector()
    sectors = [(code, label, per_sector.get(code, 0)) for code, label in Sector.choices]
    context: dict[str, object] = {
        "form": form,
        "query": query,
        "page_obj": page,
        "sectors": sectors,
        "minimum": settings.PUBLIC_MIN_CLOSED_CASES,
    }
    return render(request, "reporting/public/search.html", context)


@require_safe
@public_cache
@reads_from_replica
def transparency_company(request: HttpRequest, cuit: str) -> HttpResponse:
    digits = re.sub(r"\D", "", cuit)
    if digits != cuit and len(digits) == 11:
        # 30-71234567-1 is the same page as 30712345671: one address per company.
        return HttpResponsePermanentRedirect(reverse("transparency_company", args=[digits]))
    figure = transparency.company_figure(digits)
    if figure is None:
        minimum = {"minimum": settings.PUBLIC_MIN_CLOSED_CASES}
        return render(request, "reporting/public/company_unpublished.html", minimum, status=404)
    sector = transparency.sector_figure(figure.sector)
    context: dict[str, object] = {
        "figure": figure,
        "company": figure.company,
        "trade_names": transparency.trade_names(figure),
        "sector_code": figure.sector,
        "sector_label": transparency.sector_label(figure.sector),
        "sector": sector,
        "lines": _lines(figure, sector),
        **_definitions(),
    }
    return render(request, "reporting/public/company.html", context)


@require_safe
@public_cache
@reads_from_replica
def transparency_sector(request: HttpRequest, sector: str) -> HttpResponse:
    if sector not in Sector.values:
        raise Http404
    form = SectorCompaniesForm(request.GET or None)
    companies = transparency.search(transparency.published_figures().filter(sector=sector), form.query)
    page = CappedPaginator(companies.order_by(*transparency.ordering(form.order)), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    figures = transparency.sector_figure(sector)
    context: dict[str, object] = {
        "sector_code": sector,
        "sector_label": transparency.sector_label(sector),
        "sector": figures,
        "lines": _lines(None, figures),
        "form": form,
        "filtered": bool(form.query),
        "page_obj": page,
        "rows": [_row(figure) for figure in page],
        "columns": [str(public.label) for public in PUBLIC_FIGURES],
        **_definitions(),
    }
    return render(request, "reporting/public/sector.html", context)
