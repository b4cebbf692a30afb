"""The supervisor's dashboard: the office's indicators for a period and filters, each table beside its
chart and downloadable as CSV or XLSX with the same figures. Supervisors and the director see it;
everyone else gets a 403, as on the other office pages. Every read goes to the replica when one is
configured (config/routers.py), so reporting never slows filing and hearings.

Queries: the session and the user, the conciliators of the filter's select, the company of a CUIT
filter, the refresh state, and, once per refresh and filters, what `indicators.figures` reads (a
constant number; reporting/figures_cache.py keeps the figures until the next refresh): none grows
with the cases.
One filter or none reads the cube, two the pair rows, three or four low-cardinality filters their own
rows, others the fact rows in one query (reporting/indicators.py; timings at a million cases in
bench/RESULTS.md, session 7)."""

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import gettext as _

from config.routers import reads_from_replica
from parties.http import AuthenticatedRequest
from parties.models import Role
from parties.views import role_required

from .. import dashboard_sections, exports, figures_cache
from ..forms_dashboard import DashboardFilterForm

dashboard_access = role_required(Role.SUPERVISOR, Role.DIRECTOR)

# Who may open the deadlines list the dashboard links to: oversight.views.clock_list's own roles.
CLOCK_LIST_ROLES = (Role.OFFICER, Role.SUPERVISOR)

CSV, XLSX = "csv", "xlsx"
ALL_TABLES = "all"
WIDE_COLUMNS = 3  # a table of more columns than this does not fit a phone's width


def _form(request: AuthenticatedRequest) -> DashboardFilterForm:
    return DashboardFilterForm(request.GET, today=timezone.localdate())


@dashboard_access
@reads_from_replica
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    form = _form(request)
    context: dict = {"form": form, "refresh_minutes": max(1, settings.REPORTING_REFRESH_SECONDS // 60)}
    if form.is_valid():
        figures = figures_cache.figures(form.filters())
        clock_url = reverse("clock_list") if request.user.role in CLOCK_LIST_ROLES else None
        sections = dashboard_sections.sections(figures, clock_url=clock_url)
        query = form.query()
        context.update(
            figures=figures,
            # Each section with the links to download its table, filtered as the page is.
            parts=[
                {
                    "section": section,
                    "csv": _export_url(query, section.table.slug, CSV),
                    "xlsx": _export_url(query, section.table.slug, XLSX),
                    # Wider than a phone: under its chart, whole width, with a hint that it scrolls.
                    "wide": len(section.table.columns) > WIDE_COLUMNS,
                }
                for section in sections
            ],
            highlights=dashboard_sections.highlights(figures),
            described=form.description(),
            download_all=_export_url(query, ALL_TABLES, XLSX),
        )
    return render(request, "reporting/dashboard/dashboard.html", context)


def _export_url(query: dict[str, str], table: str, fmt: str) -> str:
    return reverse("dashboard_export") + "?" + urlencode({**query, "table": table, "format": fmt})


@dashboard_access
@reads_from_replica
def dashboard_export(request: AuthenticatedRequest) -> HttpResponse:
    """One table as CSV or XLSX, or every table as one workbook (`table=all`, the default, XLSX only).
    Invalid filters send the person back to the page, which says what is wrong."""
    form = _form(request)
    if not form.is_valid():
        return redirect(reverse("dashboard") + "?" + request.GET.urlencode())
    table_slug = request.GET.get("table") or ALL_TABLES
    fmt = request.GET.get("format") or XLSX
    if fmt not in (CSV, XLSX) or (fmt == CSV and table_slug == ALL_TABLES):
        raise Http404("no such download")
    figures = figures_cache.figures(form.filters())
    tables = dashboard_sections.tables(figures)
    if table_slug != ALL_TABLES:
        tables = [table for table in tables if table.slug == table_slug]
        if not tables:
            raise Http404("no such table")
    stem = slugify(_("indicators"))
    name = f"{stem}_{form.slug()}" if table_slug == ALL_TABLES else f"{stem}_{tables[0].file_stem()}_{form.slug()}"
    if fmt == CSV:
        return exports.csv_response(tables[0], filename=f"{name}.csv")
    generated = date_format(timezone.localtime(), "SHORT_DATETIME_FORMAT")
    about = [*form.description(), (_("Generated"), generated)]
    return exports.xlsx_response(tables, filename=f"{name}.xlsx", heading=_("Office indicators"), about=about)
