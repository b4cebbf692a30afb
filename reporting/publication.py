"""When a company may be named in public: ONE rule, for the transparency pages, the public API, the
open data and the refresh's `CompanyFigure.published` flag.

A company may be named when BOTH:
1. it is not a human person: its CUIT does not start with 20, 23, 24 or 27 (a sole trader's name is
   personal data, Ley 25.326; `Company.is_natural_person`); and
2. the office has verified it, by any of:
   - it has set up its electronic domicile (`electronic_domicile_set_at` is not null);
   - someone actively represents it (a `Representation` not revoked);
   - a member of the office's staff registered it (`created_by` holds a role in `STAFF_ROLES`).
   A company a consumer named by CUIT and name when filing joins the registry with what the consumer
   typed (complaints/services/parts.py, `register_unregistered_companies`): until the office verifies
   it, that text is the consumer's, not a company's public identity.

The API (everything else here is private):

    nameable(companies: QuerySet[Company]) -> QuerySet[Company]
        The companies that may be named, as a filter in SQL.
    nameable_q(prefix: str = "") -> Q
        The same condition for a query that reaches the company through a relation: e.g.
        `CompanyFigure.objects.filter(nameable_q("company__"))`. `prefix` is the path to the company
        with its trailing "__" ("" on Company itself).
    person_q(prefix: str = "") -> Q
        Only part 1 reversed: the company is a human person (its CUIT's prefix).
    may_be_named(company: Company) -> bool
        The rule for one company in Python (at most two queries: the user who registered it, then
        its representations, each only when nothing before settled it).

Cost in SQL: conditions on the company's own row only, with two subqueries PostgreSQL hashes once per
query (the active representations' companies, the staff's user ids: both small sets); fine per row of
a small set (the published figures, a batch of open-data rows), not meant to scan every company."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from parties.models import NATURAL_PERSON_CUIT_PREFIXES, STAFF_ROLES, Company, Representation, User

__all__ = ["may_be_named", "nameable", "nameable_q", "person_q"]


def person_q(prefix: str = "") -> Q:
    """The company (at `prefix`) is a human person: its CUIT starts with 20, 23, 24 or 27."""
    query = Q()
    for cuit_prefix in sorted(NATURAL_PERSON_CUIT_PREFIXES):
        query |= Q(**{f"{prefix}cuit__startswith": cuit_prefix})
    return query


def _verified_q(prefix: str) -> Q:
    represented = Exists(Representation.objects.active().filter(company_id=OuterRef(f"{prefix}pk")))
    # `created_by IN (staff)`, not a join to the user: PostgreSQL hashes the (few) staff ids once, and
    # the condition stays on the company's own row, so a query may start from wherever it likes.
    staff = User.objects.filter(role__in=sorted(STAFF_ROLES)).values("pk")
    return (
        Q(**{f"{prefix}electronic_domicile_set_at__isnull": False})
        | Q(represented)
        | Q(**{f"{prefix}created_by__in": staff})
    )


def nameable_q(prefix: str = "") -> Q:
    """The company (at `prefix`, e.g. "company__") exists, is not a human person, and the office
    verified it. A missing company (a null foreign key) is never nameable."""
    return Q(**{f"{prefix}pk__isnull": False}) & ~person_q(prefix) & _verified_q(prefix)


def nameable(companies: QuerySet[Company]) -> QuerySet[Company]:
    return companies.filter(nameable_q())


def may_be_named(company: Company) -> bool:
    if company.pk is None or company.is_natural_person:
        return False
    if company.electronic_domicile_set_at is not None:
        return True
    if company.created_by_id is not None and company.created_by is not None and company.created_by.has_staff_role:
        return True
    return Representation.objects.active().filter(company_id=company.pk).exists()
