"""The one rule for naming a company in public (reporting/publication.py): not a human person, and
verified by the office (its electronic domicile set up, an active representative, or registered by
staff). What a consumer typed about a company the office did not know is never a public name. The
rule in SQL (`nameable`, `nameable_q`) and in Python (`may_be_named`) agree on every case."""

from collections.abc import Callable

import pytest
from django.utils import timezone

from complaints import services
from parties.models import Company, PowerKind, PowerStatus, Representation, Role, User
from parties.services import company_create, company_set_electronic_domicile
from reporting import publication
from reporting.models import CompanyFigure
from tests.complaints.factories import draft_case
from tests.conftest import make_user
from tests.reporting.test_public_pages import a_company, a_cuit, publish

pytestmark = pytest.mark.django_db


def filed_against_an_unknown_company(consumer: User, company: Company, *, cuit: str, name: str) -> Company:
    """The consumer names a company the office does not know, by the CUIT and name they type, and
    files: the registry gets that company, made from what the consumer typed
    (complaints.services.parts.register_unregistered_companies)."""
    case = draft_case(consumer, company)
    services.case_parts.name_company(case, cuit=cuit, name=name, position=1)
    services.complaint_submit(complaint=case, by=consumer)
    return Company.objects.get(cuit=cuit)


def represented(company: Company, *, revoked: bool = False) -> Company:
    user = make_user(f"rep{company.pk}@empresa.test", Role.REPRESENTATIVE)
    Representation.objects.create(
        user=user,
        company=company,
        power_kind=PowerKind.GENERAL,
        power_status=PowerStatus.VALIDATED,
        revoked_at=timezone.now() if revoked else None,
    )
    return company


def registered_by(role: str) -> Callable[[], Company]:
    def make() -> Company:
        user = make_user(f"{role}@alta.test", role)
        return a_company(f"Alta por {role}", verified=False, created_by=user)

    return make


CASES: dict[str, tuple[Callable[[], Company], bool]] = {
    "domicile set up": (lambda: a_company("Con domicilio"), True),
    "domicile typed but never set up": (
        lambda: a_company("Sin constituir", verified=False, electronic_domicile="legales@x.test"),
        False,
    ),
    "an active representative": (lambda: represented(a_company("Representada", verified=False)), True),
    "only a revoked representative": (
        lambda: represented(a_company("Revocada", verified=False), revoked=True),
        False,
    ),
    "registered by an officer": (registered_by(Role.OFFICER), True),
    "registered by a supervisor": (registered_by(Role.SUPERVISOR), True),
    "registered by a consumer": (registered_by(Role.CONSUMER), False),
    "registered by a representative": (registered_by(Role.REPRESENTATIVE), False),
    "registered by nobody known": (lambda: a_company("Sin alta", verified=False), False),
    "a person, with a domicile set up": (lambda: a_company("Zoilo Pereyra", prefix="20", number=28_111_222), False),
    "a person, represented, registered by staff": (
        lambda: represented(
            a_company("Ana Ruiz", prefix="27", number=11_222_333, created_by=make_user("o@o.test", Role.OFFICER))
        ),
        False,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_rule_in_sql_and_in_python_agree(case):
    make, expected = CASES[case]
    company = make()
    a_company("Otra verificada")  # the filter keeps only its own company, not every row

    assert publication.may_be_named(Company.objects.get(pk=company.pk)) is expected
    assert publication.nameable(Company.objects.filter(pk=company.pk)).exists() is expected
    # Through a relation (a figure row → its company), as the pages and the open data use it.
    publish(company, verify=False)
    assert CompanyFigure.objects.filter(publication.nameable_q("company__"), pk=company.pk).exists() is expected


def test_a_company_made_from_what_a_consumer_typed_is_not_named_until_the_office_verifies_it(consumer, company):
    typed = filed_against_an_unknown_company(
        consumer, company, cuit=a_cuit("30", 71_555_666), name="Taller de mi vecino Rigoberto"
    )

    assert typed.legal_name == "Taller de mi vecino Rigoberto"
    assert typed.created_by == consumer
    assert not publication.may_be_named(typed)
    assert not publication.nameable(Company.objects.filter(pk=typed.pk)).exists()

    company_set_electronic_domicile(company=typed, email="legales@taller.test", by=consumer)
    typed.refresh_from_db()

    assert publication.may_be_named(typed)
    assert publication.nameable(Company.objects.filter(pk=typed.pk)).exists()


def test_a_company_the_office_registers_may_be_named(officer):
    registered = company_create(cuit=a_cuit("30", 71_777_888), legal_name="Registrada S.A.", by=officer)

    assert publication.may_be_named(registered)


def test_a_person_filed_against_is_never_named(consumer, company):
    person = filed_against_an_unknown_company(consumer, company, cuit=a_cuit("20", 17_345_678), name="Juan Pérez")
    company_set_electronic_domicile(company=person, email="juan@correo.test", by=consumer)
    person.refresh_from_db()

    assert not publication.may_be_named(person)
    assert not publication.nameable(Company.objects.filter(pk=person.pk)).exists()
    assert Company.objects.filter(publication.person_q(), pk=person.pk).exists()


def test_an_unsaved_company_is_not_named():
    assert not publication.may_be_named(Company(cuit="30712345671", legal_name="Nueva"))
