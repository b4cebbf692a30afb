"""Reads on parties. Every view that shows a company goes through `companies_visible_to`."""

from django.db.models import Q, QuerySet
from django.http import Http404

from parties.models import Company, Representation, User
from parties.validators import normalize_cuit


def companies_visible_to(user: User) -> QuerySet[Company]:
    """Staff see every company; a representative sees the companies they actively represent."""
    if not user.is_authenticated:
        return Company.objects.none()
    if user.has_staff_role:
        return Company.objects.all()
    return Company.objects.filter(representations__user=user, representations__revoked_at__isnull=True)


def company_for(user: User, pk: int) -> Company:
    """The company, if the user may see it; otherwise a 404 that says nothing about it."""
    company = companies_visible_to(user).filter(pk=pk).first()
    if company is None:
        raise Http404
    return company


def can_manage_company(user: User, company: Company) -> bool:
    """Office staff and the company's own admins may invite, revoke and set the domicile."""
    if user.has_staff_role:
        return True
    return Representation.objects.active().filter(user=user, company=company, is_admin=True).exists()


def company_search(queryset: QuerySet[Company], text: str) -> QuerySet[Company]:
    """By CUIT when the text is one (with or without dashes), else by legal or trade name."""
    text = text.strip()
    if not text:
        return queryset
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) == 11:
        try:
            return queryset.filter(cuit=normalize_cuit(digits))
        except Exception:
            pass
    if digits and len(digits) == len(text.replace("-", "").replace(" ", "")):
        return queryset.filter(cuit__startswith=digits)
    return queryset.filter(Q(legal_name__icontains=text) | Q(trade_names__icontains=text))
