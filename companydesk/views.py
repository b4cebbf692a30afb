"""The company's desk: its served cases with its deadlines, the bulk actions on a selection (assign,
acknowledge, export) and its assignment rules.

Thin views: the company loaded through the person's active representation of it (anyone else: a 404,
as for a company that does not exist), the one predicate per action asked (complaints/policy.py: a
refusal about who the person is answers 403), the services of complaints/services/assignment.py
called, a refusal turned into a message. A selection is the ticked rows or "all matching the
filters": the same filter form reads the list's GET and the bulk form's hidden copy of it, so the
cases acted on are the cases listed (an invalid filter refuses the action rather than widen it)."""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from kombu.exceptions import OperationalError

from complaints import policy
from complaints.errors import CaseError
from complaints.models import AssignmentRule, CaseCompany
from complaints.services import assignment as services
from oversight.services.digest import at_risk_horizon
from parties.http import AuthenticatedRequest, as_id
from parties.models import Company, Representation, User
from parties.paginator import CappedPaginator
from parties.views import representative_required

from . import exports
from .forms import (
    SCOPE_ALL,
    AssignmentRuleForm,
    DeskFilterForm,
    assignee_choice,
    ticked_ids,
)
from .selectors import company_people, desk_parts, desk_representation, desk_rows, with_deadlines

PAGE_SIZE = 25


@dataclass
class Desk:
    """The company whose desk this is, what the person may do on it, and the filters they set."""

    company: Company
    representation: Representation
    can_assign: bool
    can_acknowledge: bool
    representatives: list[User]  # whom the cases may be assigned to (an admin's choices)
    former: list[User]  # who represented the company and no longer may be given cases (the admin's filter)
    form: DeskFilterForm
    now: datetime
    horizon: datetime

    def matching(self) -> QuerySet[CaseCompany]:
        return self.form.filter(desk_parts(self.company), horizon=self.horizon)

    def url(self, name: str = "companydesk_cases", **extra: str) -> str:
        """A page of the desk with the same filters."""
        query = urlencode([*self.form.hidden_values(), *extra.items()])
        return reverse(name, args=[self.company.pk]) + (f"?{query}" if query else "")


def _open(request: AuthenticatedRequest, pk: int, data) -> Desk:
    user = request.user
    representation = desk_representation(user, pk)
    company = representation.company
    can_assign = policy.allowed(policy.ASSIGN_CASE, user, company)
    now = timezone.now()
    people = company_people(company) if can_assign else []
    representatives = [person for person in people if person.assignable]  # type: ignore[attr-defined]
    former = [person for person in people if not person.assignable]  # type: ignore[attr-defined]
    return Desk(
        company=company,
        representation=representation,
        can_assign=can_assign,
        can_acknowledge=policy.allowed(policy.ACKNOWLEDGE_CASE, user, company),
        representatives=representatives,
        former=former,
        form=DeskFilterForm(data, user=user, representatives=representatives, former=former),
        now=now,
        horizon=at_risk_horizon(now),
    )


def _refuse(request: AuthenticatedRequest, action: str, desk: Desk) -> HttpResponse | None:
    """None when the rule allows it; a 403 when it is about who the person is; else a message."""
    refusal = policy.why_not(action, request.user, desk.company)
    if refusal is None:
        return None
    if refusal.forbidden:
        raise PermissionDenied(refusal.message)
    messages.error(request, refusal.message)
    return redirect(desk.url())


# --- The list ------------------------------------------------------------------------------------


@representative_required
@require_safe
def company_desk(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    desk = _open(request, pk, request.GET or None)
    # Two queries whatever the page's size: the capped count of the bare parts (on the served-cases
    # index, in its order), then the page's rows, each with its case, assignee and deadlines (the
    # deadlines' subqueries run for those rows only, never for the count). The at-risk tab reads the
    # open clocks due soon first (selectors.at_risk): one more.
    parts = desk.matching()
    page = CappedPaginator(parts, PAGE_SIZE, count_in_order=True).get_page(request.GET.get("page"))
    first = (page.number - 1) * PAGE_SIZE
    rows = with_deadlines(parts)[first : first + PAGE_SIZE]
    page.object_list = desk_rows(rows, now=desk.now, horizon=desk.horizon)
    form = desk.form
    return render(
        request,
        "companydesk/desk.html",
        {
            "desk": desk,
            "company": desk.company,
            "form": form,
            "filter_fields": [
                form["state"],
                form["part_status"],
                form["assigned"],
                form["province"],
                form["received_from"],
                form["received_to"],
                form["acknowledged"],
            ],
            "page_obj": page,
            "at_risk_tab": form.at_risk_tab,
            "all_url": _tab_url(request, risk=False),
            "risk_url": _tab_url(request, risk=True),
            "csv_url": desk.url("companydesk_export_csv"),
            "xlsx_url": desk.url("companydesk_export_xlsx"),
            "hidden_filters": form.hidden_values(),
            "filters_valid": not form.is_bound or form.is_valid(),
        },
    )


def _tab_url(request: AuthenticatedRequest, *, risk: bool) -> str:
    """The list with the same filters, on the "all" or the "at risk" tab, from its first page."""
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("risk", None)
    if risk:
        query["risk"] = "on"
    return f"?{query.urlencode()}" if query else "?"


# --- Bulk actions --------------------------------------------------------------------------------


def _confirmed_moment(value: str | None) -> datetime | None:
    """The moment of the count the person confirmed (the confirmation page's `as_of`), or None when
    there is none. ValueError when it is not a moment with its offset (a forged or mangled form)."""
    if not value:
        return None
    moment = parse_datetime(value)  # ValueError too for a well-formed impossible one (February 30th)
    if moment is None or timezone.is_naive(moment):
        raise ValueError(value)
    return moment


def _selection(request: AuthenticatedRequest, desk: Desk) -> QuerySet[CaseCompany] | None:
    """The cases a bulk action acts on, or None with a message on the page: the ticked rows (among
    the company's served cases), or every case matching the filters as they were when the person
    confirmed the count: served by then (`as_of`; a case served since, an older one whose notice was
    delivered meanwhile too, is not swept in) and no newer than the newest case counted (`up_to`)."""
    parts = desk_parts(desk.company)
    if request.POST.get("scope") == SCOPE_ALL:
        if not desk.form.is_valid():
            messages.error(request, _("Some filters are not valid, so nothing was done. Correct them and try again."))
            return None
        try:
            as_of = _confirmed_moment(request.POST.get("as_of"))
        except ValueError:
            messages.error(request, _("This confirmation is no longer valid, so nothing was done. Please try again."))
            return None
        parts = desk.matching()
        if as_of is not None:
            parts = parts.filter(notified_at__lte=as_of)
        up_to = as_id(request.POST.get("up_to"))
        return parts.filter(complaint_id__lte=up_to) if up_to else parts
    ids = ticked_ids(request.POST)
    if not ids:
        messages.error(request, _("Tick the cases first, or choose every case that matches the filters."))
        return None
    return parts.filter(pk__in=ids)


def _needs_confirmation(request: AuthenticatedRequest) -> bool:
    return request.POST.get("scope") == SCOPE_ALL and request.POST.get("confirm") != "1"


def _confirm(request: AuthenticatedRequest, desk: Desk, parts: QuerySet[CaseCompany], action: str, **context):
    """The count of "all matching", and a button that does it: nothing is done on the first press."""
    summary = parts.order_by().aggregate(newest=Max("complaint_id"), count=Count("pk"))
    count = summary["count"]
    if not count:
        messages.info(request, _("No case matches these filters: nothing to do."))
        return redirect(desk.url())
    return render(
        request,
        "companydesk/confirm.html",
        {
            "desk": desk,
            "company": desk.company,
            "action": action,
            "count": count,
            "up_to": summary["newest"],
            "as_of": desk.now.isoformat(),
            "hidden_filters": desk.form.hidden_values(),
            "back_url": desk.url(),
            **context,
        },
    )


@require_POST
@representative_required
def company_desk_assign(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The selection to one of the company's representatives (`to`), or to nobody ("nobody")."""
    desk = _open(request, pk, request.POST)
    refused = _refuse(request, policy.ASSIGN_CASE, desk)
    if refused is not None:
        return refused
    valid, assignee = assignee_choice(request.POST, desk.representatives)
    if not valid:
        messages.error(request, _("Choose whom to assign the cases to."))
        return redirect(desk.url())
    parts = _selection(request, desk)
    if parts is None:
        return redirect(desk.url())
    if _needs_confirmation(request):
        return _confirm(request, desk, parts, "assign", assignee=assignee, to=request.POST.get("to"))
    try:
        # The selection as a subquery: "all matching" may be the company's 95,000 cases, never read here.
        done = services.parts_assign_bulk(
            company=desk.company, part_ids=parts.order_by().values("pk"), assignee=assignee, by=request.user
        )
    except CaseError as error:
        messages.error(request, str(error))
        return redirect(desk.url())
    name = assignee.display_name if assignee is not None else ""
    if not done:
        text = (
            _("Those cases were already assigned to %(name)s.")
            if assignee
            else _("Those cases were already assigned to nobody.")
        )
        messages.info(request, text % {"name": name})
    elif assignee is None:
        messages.success(
            request,
            ngettext("%(count)s case is now assigned to nobody.", "%(count)s cases are now assigned to nobody.", done)
            % {"count": done},
        )
    else:
        messages.success(
            request,
            ngettext("%(count)s case assigned to %(name)s.", "%(count)s cases assigned to %(name)s.", done)
            % {"count": done, "name": name},
        )
    return redirect(desk.url())


@require_POST
@representative_required
def company_desk_acknowledge(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Acknowledge receiving the selected cases (those not yet acknowledged); a large selection in the
    background (complaints.tasks_assignment.acknowledge_parts), each case its own event."""
    desk = _open(request, pk, request.POST)
    refused = _refuse(request, policy.ACKNOWLEDGE_CASE, desk)
    if refused is not None:
        return refused
    parts = _selection(request, desk)
    if parts is None:
        return redirect(desk.url())
    parts = parts.filter(acknowledged_at__isnull=True)
    if _needs_confirmation(request):
        return _confirm(request, desk, parts, "acknowledge")
    ids = list(parts.values_list("pk", flat=True))
    if not ids:
        messages.info(request, _("Those cases were already acknowledged."))
        return redirect(desk.url())
    # Each acknowledgement writes an event on its case: a large selection goes to the background.
    if len(ids) > services.ACKNOWLEDGE_INLINE_MAX:
        return _acknowledge_in_background(request, desk, ids)
    try:
        done = services.parts_acknowledge_bulk(company=desk.company, part_ids=ids, by=request.user)
    except CaseError as error:
        messages.error(request, str(error))
        return redirect(desk.url())
    messages.success(
        request,
        ngettext("%(count)s case acknowledged.", "%(count)s cases acknowledged.", done) % {"count": done},
    )
    return redirect(desk.url())


def _acknowledge_in_background(request: AuthenticatedRequest, desk: Desk, ids: list[int]) -> HttpResponse:
    from complaints.tasks_assignment import acknowledge_parts

    try:
        acknowledge_parts.delay(desk.company.pk, ids, request.user.pk)
    except OperationalError:  # the broker is down: nothing was queued, the person may try again
        messages.error(request, _("We could not start acknowledging the cases. Try again in a few minutes."))
        return redirect(desk.url())
    messages.info(
        request,
        ngettext(
            "We'll acknowledge %(count)s case in the background. Reload the list in a few minutes to see it.",
            "We'll acknowledge %(count)s cases in the background. Reload the list in a few minutes to see them.",
            len(ids),
        )
        % {"count": len(ids)},
    )
    return redirect(desk.url())


# --- Exports -------------------------------------------------------------------------------------


def _export_selection(request: AuthenticatedRequest, pk: int) -> tuple[Desk, QuerySet[CaseCompany] | None]:
    """GET: every case matching the filters (the list's download links); POST: the bulk form's
    selection (ticked rows, or all matching)."""
    if request.method == "POST":
        desk = _open(request, pk, request.POST)
        return desk, _selection(request, desk)
    desk = _open(request, pk, request.GET or None)
    if desk.form.is_bound and not desk.form.is_valid():
        messages.error(request, _("Some filters are not valid, so nothing was exported. Correct them and try again."))
        return desk, None
    return desk, desk.matching()


def _file_name(desk: Desk, extension: str) -> str:
    return f"casos-{desk.company.cuit}-{timezone.localdate(desk.now):%Y-%m-%d}.{extension}"


@require_http_methods(["GET", "HEAD", "POST"])
@representative_required
def company_desk_export_csv(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    desk, parts = _export_selection(request, pk)
    if parts is None:
        return redirect(desk.url())
    return exports.csv_response(parts, now=desk.now, horizon=desk.horizon, filename=_file_name(desk, "csv"))


@require_http_methods(["GET", "HEAD", "POST"])
@representative_required
def company_desk_export_xlsx(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    desk, parts = _export_selection(request, pk)
    if parts is None:
        return redirect(desk.url())
    title = _("Cases of %(company)s") % {"company": desk.company.legal_name}
    return exports.xlsx_response(
        parts, now=desk.now, horizon=desk.horizon, title=title, filename=_file_name(desk, "xlsx")
    )


# --- Assignment rules ----------------------------------------------------------------------------


def _rules_company(request: AuthenticatedRequest, pk: int) -> Company:
    """The company whose rules these are: 404 for a stranger, 403 for a representative who is not
    one of its administrators."""
    company = desk_representation(request.user, pk).company
    refusal = policy.why_not(policy.MANAGE_ASSIGNMENT_RULES, request.user, company)
    if refusal is not None:
        raise PermissionDenied(refusal.message)
    return company


@require_http_methods(["GET", "HEAD", "POST"])
@representative_required
def assignment_rules(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The company's rules in the order they are tried, and the form to add one at the end."""
    company = _rules_company(request, pk)
    representatives = list(policy.assignable_representatives(company))
    form = AssignmentRuleForm(request.POST or None, representatives=representatives)
    if request.method == "POST" and form.is_valid():
        try:
            services.assignment_rule_create(
                company=company,
                province=form.cleaned_data["province"],
                product_contains=form.cleaned_data["product_contains"],
                assignee=form.cleaned_data["assignee"],
                by=request.user,
            )
        except CaseError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Rule added. It applies to the cases served from now on."))
            return redirect("companydesk_rules", pk=company.pk)
    return render(
        request,
        "companydesk/rules.html",
        {
            "company": company,
            "form": form,
            "rules": services.assignment_rules_of(company),
            "desk_url": reverse("companydesk_cases", args=[company.pk]),
        },
    )


def _posted_rule(request: AuthenticatedRequest, company: Company) -> AssignmentRule | None:
    """The rule named in the form, if it is still one of the company's (a double click on "delete"
    finds it gone: a message, not an error)."""
    pk = as_id(request.POST.get("rule"))
    rule = AssignmentRule.objects.filter(company=company, pk=pk).first() if pk else None
    if rule is None:
        messages.info(request, _("That rule no longer exists: the list below is up to date."))
    return rule


@require_POST
@representative_required
def assignment_rule_move(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    company = _rules_company(request, pk)
    rule = _posted_rule(request, company)
    direction = request.POST.get("direction")
    if rule is not None and direction in ("up", "down"):
        try:
            target = rule.position - 1 if direction == "up" else rule.position + 1
            services.assignment_rule_move(rule=rule, to_position=target, by=request.user)
        except CaseError as error:
            messages.error(request, str(error))
    return redirect("companydesk_rules", pk=company.pk)


@require_POST
@representative_required
def assignment_rule_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    company = _rules_company(request, pk)
    rule = _posted_rule(request, company)
    if rule is not None:
        try:
            services.assignment_rule_delete(rule=rule, by=request.user)
        except CaseError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Rule deleted."))
    return redirect("companydesk_rules", pk=company.pk)
