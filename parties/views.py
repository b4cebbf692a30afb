"""Pages for profiles, companies, representatives and staff. Thin: check, call a service, redirect."""

from collections.abc import Callable
from functools import wraps
from typing import cast

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parties import selectors, services
from parties.adapter import INVITATION_SESSION_KEY
from parties.forms import (
    AccountDetailsForm,
    CompanyForm,
    CompanySearchForm,
    CompanySectorForm,
    ConciliatorProfileForm,
    ConsumerProfileForm,
    DayOffForm,
    ElectronicDomicileForm,
    InvitationForm,
    PowerUploadForm,
    StaffRoleForm,
)
from parties.http import AuthenticatedRequest
from parties.models import (
    STAFF_ROLES,
    Company,
    ConciliatorDayOff,
    ConciliatorProfile,
    Invitation,
    Representation,
    Role,
    User,
)
from parties.redirects import safe_next

PAGE_SIZE = 25


def _user_passes(check: Callable[[User], bool]) -> Callable:
    """Logged in, and `check(user)` holds; anyone else gets a 403."""

    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapped(request: AuthenticatedRequest, *args, **kwargs) -> HttpResponse:
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def role_required(*roles: str) -> Callable:
    """Logged in, and holding one of these office roles; anyone else gets a 403."""
    return _user_passes(lambda user: user.role in roles)


staff_required = role_required(*STAFF_ROLES)
# Roles outside the office add up: one person may file as a consumer and speak for a company.
consumer_required = _user_passes(lambda user: user.may_act_as_consumer)
representative_required = _user_passes(lambda user: user.is_representative)


@login_required
def profile(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    next_url = safe_next(request)
    form: ConsumerProfileForm | AccountDetailsForm
    if _wants_consumer_details(user, next_url):
        instance = getattr(user, "consumer_profile", None)
        form = ConsumerProfileForm(request.POST or None, instance=instance, user=user)
    else:
        form = AccountDetailsForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your details were saved."))
        return redirect(next_url)
    return render(
        request, "parties/profile.html", {"form": form, "consumer_details": isinstance(form, ConsumerProfileForm)}
    )


def _wants_consumer_details(user: User, next_url: str) -> bool:
    """Consumers keep their DNI and address here. A representative is asked for them only once
    they set out to file a complaint of their own."""
    if not user.may_act_as_consumer:
        return False
    return user.is_consumer or next_url == reverse("complaint_new")


# --- Companies ----------------------------------------------------------------------------------


@staff_required
def company_list(request: AuthenticatedRequest) -> HttpResponse:
    search = CompanySearchForm(request.GET or None)
    companies = selectors.companies_visible_to(request.user)
    if search.is_valid():
        companies = selectors.company_search(companies, search.cleaned_data["q"])
    domicile = request.GET.get("domicile")
    if domicile == "yes":
        companies = companies.exclude(electronic_domicile="")
    elif domicile == "no":
        companies = companies.filter(electronic_domicile="")
    companies = companies.annotate(
        representative_count=Count("representations", filter=Q(representations__revoked_at__isnull=True))
    ).order_by("legal_name", "pk")
    page = Paginator(companies, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "parties/company_list.html", {"search": search, "page_obj": page, "domicile": domicile})


@staff_required
def company_create(request: AuthenticatedRequest) -> HttpResponse:
    form = CompanyForm(request.POST or None, initial={"cuit": request.GET.get("cuit", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            company = services.company_create(
                cuit=data["cuit"],
                legal_name=data["legal_name"],
                trade_names=data["trade_names"],
                sector=data["sector"],
                legal_address=data["legal_address"],
                by=request.user,
            )
            if data["electronic_domicile"]:
                services.company_set_electronic_domicile(
                    company=company,
                    email=data["electronic_domicile"],
                    by=request.user,
                )
        except services.PartiesError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The company was registered. You can now invite its representatives."))
            return redirect("company_detail", pk=company.pk)
    return render(request, "parties/company_form.html", {"form": form})


@login_required
def company_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    company = selectors.company_for(user, pk)
    can_manage = selectors.can_manage_company(user, company)
    representations = company.representations.active().select_related("user").order_by("created_at")
    invitations = company.invitations.filter(accepted_at__isnull=True, cancelled_at__isnull=True).order_by(
        "-created_at"
    )
    return render(
        request,
        "parties/company_detail.html",
        {
            "company": company,
            "can_manage": can_manage,
            "representations": representations,
            "invitations": invitations if can_manage else [],
            "invitation_form": InvitationForm(),
            "domicile_form": ElectronicDomicileForm(initial={"electronic_domicile": company.electronic_domicile}),
            "sector_form": CompanySectorForm(initial={"sector": company.sector}) if user.has_staff_role else None,
            # The visitor's own representation and the form to upload their power.
            "my_representation": representations.filter(user_id=user.pk).first(),
            "power_form": PowerUploadForm(),
        },
    )


def _company_to_manage(request: AuthenticatedRequest, pk: int) -> Company:
    company = selectors.company_for(request.user, pk)
    if not selectors.can_manage_company(request.user, company):
        raise PermissionDenied
    return company


@require_POST
@login_required
def company_invite(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    company = _company_to_manage(request, pk)
    form = InvitationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a valid e-mail address to invite."))
        return redirect("company_detail", pk=company.pk)
    try:
        invitation = services.invitation_create(
            company=company,
            email=form.cleaned_data["email"],
            is_admin=form.cleaned_data["is_admin"],
            by=request.user,
        )
    except services.PartiesError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("An invitation was sent to %(email)s. It expires on %(date)s.")
            % {"email": invitation.email, "date": invitation.expires_at.strftime("%d/%m/%Y")},
        )
    return redirect("company_detail", pk=company.pk)


@require_POST
@staff_required
def company_set_sector(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    company = selectors.company_for(request.user, pk)
    form = CompanySectorForm(request.POST)
    if form.is_valid():
        services.company_set_sector(company=company, sector=form.cleaned_data["sector"], by=request.user)
        messages.success(request, _("The sector was saved."))
    else:
        messages.error(request, _("Choose one of the sectors."))
    return redirect("company_detail", pk=company.pk)


@require_POST
@login_required
def company_set_domicile(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    company = _company_to_manage(request, pk)
    form = ElectronicDomicileForm(request.POST)
    if form.is_valid():
        services.company_set_electronic_domicile(
            company=company,
            email=form.cleaned_data["electronic_domicile"],
            by=request.user,
        )
        messages.success(request, _("The electronic domicile was saved."))
    else:
        messages.error(request, _("Enter a valid e-mail address for the electronic domicile."))
    return redirect("company_detail", pk=company.pk)


@require_POST
@login_required
def representation_revoke(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    representation = get_object_or_404(Representation.objects.select_related("company", "user"), pk=pk)
    company = _company_to_manage(request, representation.company_id)
    try:
        services.representation_revoke(representation=representation, by=request.user)
    except services.PartiesError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("%(name)s no longer represents this company.") % {"name": representation.user.display_name}
        )
    return redirect("company_detail", pk=company.pk)


@require_POST
@login_required
def invitation_cancel(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=pk)
    company = _company_to_manage(request, invitation.company_id)
    services.invitation_cancel(invitation=invitation, by=request.user)
    messages.success(request, _("The invitation to %(email)s was cancelled.") % {"email": invitation.email})
    return redirect("company_detail", pk=company.pk)


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = Invitation.objects.select_related("company").filter(token=token).first()
    if invitation is None or not invitation.is_pending:
        return render(request, "parties/invitation_invalid.html", {"invitation": invitation}, status=410)
    if not request.user.is_authenticated:
        if User.objects.filter(email__iexact=invitation.email).exists():
            messages.info(request, _("Log in with %(email)s to accept the invitation.") % {"email": invitation.email})
            return redirect(f"{reverse('account_login')}?{urlencode({'next': request.path})}")
        # The link reached this inbox, so the address needs no second verification.
        request.session[INVITATION_SESSION_KEY] = invitation.token
        get_adapter(request).stash_verified_email(request, invitation.email)
        return redirect(f"{reverse('account_signup')}?{urlencode({'email': invitation.email})}")
    if request.method == "POST":
        try:
            services.invitation_accept(invitation=invitation, user=cast(User, request.user))
        except services.InvitationError as error:
            messages.error(request, str(error))
            return redirect("home")
        messages.success(
            request, _("You now represent %(company)s on Concilia.") % {"company": invitation.company.legal_name}
        )
        return redirect("company_detail", pk=invitation.company_id)
    return render(request, "parties/invitation_accept.html", {"invitation": invitation})


@require_POST
@login_required
def power_upload(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A representative uploads their own power to bind the company; the office validates it."""
    company = selectors.company_for(request.user, pk)
    representation = company.representations.active().filter(user_id=request.user.pk).first()
    if representation is None:
        raise Http404  # only a representative has a power to upload: the same answer as no company
    form = PowerUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("company_detail", pk=company.pk)
    try:
        services.power_upload(
            representation=representation,
            by=request.user,
            kind=form.cleaned_data["kind"],
            document=form.cleaned_data["document"],
            valid_until=form.cleaned_data["valid_until"],
        )
    except services.PartiesError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("Your power was uploaded. The office will check it; we will tell you when it is validated.")
        )
    return redirect("company_detail", pk=company.pk)


@representative_required
def my_companies(request: AuthenticatedRequest) -> HttpResponse:
    companies = list(selectors.companies_visible_to(request.user).order_by("legal_name"))
    if len(companies) == 1:
        return redirect("company_detail", pk=companies[0].pk)
    return render(request, "parties/my_companies.html", {"companies": companies})


# --- Staff --------------------------------------------------------------------------------------


@role_required(Role.SUPERVISOR)
def staff_list(request: AuthenticatedRequest) -> HttpResponse:
    form = StaffRoleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = User.objects.get(email__iexact=form.cleaned_data["email"])
        try:
            services.staff_role_grant(user=person, role=form.cleaned_data["role"], by=request.user)
        except services.PartiesError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("%(name)s is now %(role)s.") % {"name": person.display_name, "role": Role(person.role).label},
            )
            return redirect("staff_list")
    staff = User.objects.filter(role__in=STAFF_ROLES).select_related("conciliator_profile")
    text = request.GET.get("q", "").strip()
    if text:
        staff = staff.filter(Q(email__icontains=text) | Q(first_name__icontains=text) | Q(last_name__icontains=text))
    role = request.GET.get("role", "")
    if role in STAFF_ROLES:
        staff = staff.filter(role=role)
    page = Paginator(staff.order_by("role", "last_name", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "parties/staff_list.html",
        {"form": form, "page_obj": page, "q": text, "role": role, "roles": [r for r in Role if r in STAFF_ROLES]},
    )


@role_required(Role.SUPERVISOR, Role.CONCILIATOR)
def conciliator_calendar(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Working hours and days off. Supervisors edit anyone's; a conciliator sees their own."""
    user = request.user
    conciliator = get_object_or_404(ConciliatorProfile.objects.select_related("user"), pk=pk)
    if user.role == Role.CONCILIATOR and conciliator.user_id != user.pk:
        raise Http404  # another conciliator's calendar: the same answer as one that does not exist
    can_edit = user.role == Role.SUPERVISOR
    form = ConciliatorProfileForm(request.POST or None, instance=conciliator, prefix="hours")
    day_off_form = DayOffForm(prefix="dayoff")
    if request.method == "POST" and can_edit:
        if "hours-work_start" in request.POST and form.is_valid():
            form.save()
            messages.success(request, _("Working hours saved."))
            return redirect("conciliator_calendar", pk=pk)
        if "dayoff-date" in request.POST:
            day_off_form = DayOffForm(request.POST, prefix="dayoff")
            if day_off_form.is_valid():
                ConciliatorDayOff.objects.get_or_create(
                    conciliator=conciliator,
                    date=day_off_form.cleaned_data["date"],
                    defaults={"reason": day_off_form.cleaned_data["reason"]},
                )
                messages.success(request, _("Day off added."))
                return redirect("conciliator_calendar", pk=pk)
    return render(
        request,
        "parties/conciliator_calendar.html",
        {
            "conciliator": conciliator,
            "form": form,
            "day_off_form": day_off_form,
            "days_off": conciliator.days_off.all(),
            "can_edit": can_edit,
        },
    )


@require_POST
@role_required(Role.SUPERVISOR)
def day_off_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    day_off = get_object_or_404(ConciliatorDayOff, pk=pk)
    day_off.delete()
    messages.success(request, _("Day off removed."))
    return redirect("conciliator_calendar", pk=day_off.conciliator_id)
