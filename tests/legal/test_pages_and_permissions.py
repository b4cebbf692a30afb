"""Who may act on a proceeding, the pages that offer each move, and the legal directorate's queue."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.models import CaseCompany, PartStatus
from hearings.models import Hearing
from hearings.services.outcome import CompanyOutcome, outcome_record
from legal import policy
from legal.models import Proceeding, ProceedingStatus
from legal.services import proceeding_charge, proceeding_receive
from tests.conftest import make_user
from tests.hearings.test_several_companies import three  # noqa: F401  (the fixture)
from tests.legal.conftest import pdf, refer_without_agreement

S = ProceedingStatus


@pytest.fixture
def charged(proceeding, legal_officer):
    proceeding_receive(proceeding=proceeding, by=legal_officer)
    return proceeding_charge(proceeding=proceeding, by=legal_officer, text="Imputación por el art. 19.")


def field(name: str, proceeding, key: str) -> str:
    """The posted name of a form's field: each proceeding's forms carry its own prefix."""
    return f"{name}-{proceeding.pk}-{key}"


@pytest.mark.parametrize("who", ["consumer", "other_company_rep", "officer", "conciliator", "supervisor"])
def test_it_lets_nobody_but_the_legal_directorate_charge(request, proceeding, legal_officer, client_for, who):
    proceeding_receive(proceeding=proceeding, by=legal_officer)
    person = request.getfixturevalue(who)
    response = client_for(person).post(
        reverse("legal_charge", args=[proceeding.pk]), {field("charge", proceeding, "text"): "Imputación."}
    )
    # Who cannot see the proceeding gets a 404 (a stranger learns nothing); who sees it, a 403.
    assert response.status_code == {"consumer": 403, "supervisor": 403}.get(who, 404)
    proceeding.refresh_from_db()
    assert proceeding.status == S.RECEIVED


@pytest.mark.parametrize("who", ["consumer", "other_company_rep", "officer", "conciliator", "stranger"])
def test_only_the_company_or_the_directorate_files_a_defence(request, charged, client_for, who):
    person = request.getfixturevalue(who)
    response = client_for(person).post(
        reverse("legal_defence", args=[charged.pk]), {field("defence", charged, "text"): "Descargo."}
    )
    assert response.status_code == (403 if who == "consumer" else 404)
    charged.refresh_from_db()
    assert charged.status == S.CHARGED


def test_a_stranger_gets_a_404_for_every_page_and_download(charged, representative, stranger, client_for):
    from legal.services import proceeding_file_defence

    proceeding_file_defence(proceeding=charged, by=representative, text="Descargo.", file=pdf())
    for name in ("legal_defence_file", "legal_proceeding", "legal_referral_file"):
        response = client_for(stranger).get(reverse(name, args=[charged.pk]))
        assert response.status_code in (403, 404), name
    assert client_for(stranger).get(reverse("legal_defence_file", args=[charged.pk])).status_code == 404
    assert client_for(representative).get(reverse("legal_defence_file", args=[charged.pk])).status_code == 200


def test_the_company_files_its_defence_from_the_case_page(
    charged, representative, unvalidated_representative, client_for
):
    url = reverse("complaint_detail", args=[charged.complaint_id])
    page = client_for(representative).get(url).content.decode()
    assert reverse("legal_defence", args=[charged.pk]) in page
    assert "Imputación por el art. 19." in page
    # An unbound representative reads the charge but is not offered the form, and is refused.
    page = client_for(unvalidated_representative).get(url).content.decode()
    assert "Imputación por el art. 19." in page and reverse("legal_defence", args=[charged.pk]) not in page
    response = client_for(unvalidated_representative).post(
        reverse("legal_defence", args=[charged.pk]), {field("defence", charged, "text"): "No."}, follow=True
    )
    refusal = policy.why_not(policy.FILE_DEFENCE, unvalidated_representative, charged)
    assert refusal is not None and not refusal.forbidden
    assert str(refusal).replace("'", "&#x27;") in response.content.decode()
    charged.refresh_from_db()
    assert charged.status == S.CHARGED

    response = client_for(representative).post(
        reverse("legal_defence", args=[charged.pk]),
        {field("defence", charged, "text"): "Reparamos la heladera.", field("defence", charged, "file"): pdf()},
    )
    assert response.status_code == 302 and response["Location"].endswith("#legal")
    charged.refresh_from_db()
    assert charged.status == S.DEFENCE_FILED
    # A second submit does not file twice: it is told why.
    response = client_for(representative).post(
        reverse("legal_defence", args=[charged.pk]), {field("defence", charged, "text"): "Otra vez."}, follow=True
    )
    assert "no longer possible" in response.content.decode()
    charged.refresh_from_db()
    assert charged.defence_text == "Reparamos la heladera."


def test_the_consumer_sees_the_status_on_the_case_page(charged, consumer, client_for):
    page = client_for(consumer).get(reverse("complaint_detail", args=[charged.complaint_id])).content.decode()
    assert "Legal directorate" in page and "Charged (imputación), awaiting the defence" in page
    assert reverse("legal_defence", args=[charged.pk]) not in page


def test_the_proceeding_page_offers_only_what_the_rule_allows(proceeding, legal_officer, supervisor, client_for):
    url = reverse("legal_proceeding", args=[proceeding.pk])
    page = client_for(legal_officer).get(url).content.decode()
    assert reverse("legal_receive", args=[proceeding.pk]) in page
    assert reverse("legal_charge", args=[proceeding.pk]) not in page  # acknowledge first
    assert reverse("legal_referral_file", args=[proceeding.pk]) in page
    assert policy.allowed(policy.RECEIVE, legal_officer, proceeding)

    response = client_for(legal_officer).post(
        reverse("legal_receive", args=[proceeding.pk]), {field("receive", proceeding, "note"): ""}
    )
    assert response.status_code == 302
    page = client_for(legal_officer).get(url).content.decode()
    assert (
        reverse("legal_charge", args=[proceeding.pk]) in page and reverse("legal_archive", args=[proceeding.pk]) in page
    )
    assert "Referral received by the legal directorate" in page  # the timeline
    # The supervisor reads, and is offered nothing.
    page = client_for(supervisor).get(url).content.decode()
    assert reverse("legal_charge", args=[proceeding.pk]) not in page


def test_an_empty_charge_is_shown_back_with_its_error(proceeding, legal_officer, client_for):
    proceeding_receive(proceeding=proceeding, by=legal_officer)
    response = client_for(legal_officer).post(
        reverse("legal_charge", args=[proceeding.pk]), {field("charge", proceeding, "text"): ""}
    )
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()


def test_the_referral_file_downloads_for_the_directorate(proceeding, legal_officer, client_for, monkeypatch):
    monkeypatch.setattr("legal.views.render_pdf", lambda *args, **kwargs: b"%PDF-1.4 expediente")
    response = client_for(legal_officer).get(reverse("legal_referral_file", args=[proceeding.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_the_legal_role_lands_on_its_queue(legal_officer, client_for):
    response = client_for(legal_officer).get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("legal_queue")


# --- The queue ------------------------------------------------------------------------------------


@pytest.fixture
def queue_world(consumer, company, other_company, representative, officer, conciliator, legal_officer):
    """Three referred cases: two against the `company` fixture (one charged), one against another company."""
    other_company.electronic_domicile = "legales@conectar.test"
    other_company.save(update_fields=["electronic_domicile"])
    first = refer_without_agreement(consumer, company, officer, conciliator, minutes_ago=45)
    second = refer_without_agreement(consumer, company, officer, conciliator, minutes_ago=150)
    third = refer_without_agreement(consumer, other_company, officer, conciliator, minutes_ago=300)
    proceeding_receive(proceeding=second, by=legal_officer)
    proceeding_charge(proceeding=second, by=legal_officer, text="Imputación.")
    return first, second, third


def _rows(client, **params) -> list[str]:
    response = client.get(reverse("legal_queue"), params)
    assert response.status_code == 200
    return [str(p.pk) for p in response.context["page_obj"].object_list]


def test_the_queue_filters_by_status_company_case_number_and_overdue(queue_world, legal_officer, client_for):
    first, second, third = queue_world
    client = client_for(legal_officer)
    assert _rows(client) == [str(p.pk) for p in sorted(queue_world, key=lambda p: (p.received_at, p.pk))]
    assert _rows(client, status="charged") == [str(second.pk)]
    assert set(_rows(client, company="Electrodomésticos")) == {str(first.pk), str(second.pk)}
    assert _rows(client, company=third.company_cuit) == [str(third.pk)]
    assert _rows(client, case_number=first.complaint.number) == [str(first.pk)]
    assert _rows(client, reason="no_agreement", status="received") == sorted(
        [str(first.pk), str(third.pk)], key=lambda pk: Proceeding.objects.get(pk=pk).received_at
    )
    assert _rows(client, overdue="on") == []
    Proceeding.objects.filter(pk=second.pk).update(defence_due_at=timezone.now() - timedelta(hours=1))
    assert _rows(client, overdue="on") == [str(second.pk)]


def test_the_queue_costs_the_same_queries_whatever_its_rows(
    queue_world, legal_officer, client_for, django_assert_max_num_queries
):
    client = client_for(legal_officer)
    client.get(reverse("legal_queue"))  # warm the session and the user
    # session, user, authenticator (second factor), the capped count, the rows with their cases.
    with django_assert_max_num_queries(8):
        response = client.get(reverse("legal_queue"))
    assert len(response.context["page_obj"].object_list) == 3


def test_the_queue_is_closed_to_other_roles(client_for, officer, representative, consumer):
    for person in (officer, representative, consumer):
        assert client_for(person).get(reverse("legal_queue")).status_code == 403


# --- Several companies ------------------------------------------------------------------------------


def test_in_a_case_of_several_companies_only_the_referred_company_gets_a_proceeding(
    three,  # noqa: F811
    conciliator,
):
    hearing, parts, reps = three
    a, b, c = parts
    from decimal import Decimal

    from tests.hearings.test_outcome_support import compliance_day

    outcome_record(
        hearing=hearing,
        by=conciliator,
        outcome=Hearing.Outcome.AGREEMENT,
        per_company={
            a.pk: CompanyOutcome(
                Hearing.Outcome.AGREEMENT, terms="Cambio.", amount=Decimal("1000.00"), compliance_due=compliance_day()
            ),
            b.pk: CompanyOutcome(Hearing.Outcome.AGREEMENT, terms="Reintegro.", compliance_due=compliance_day()),
            c.pk: CompanyOutcome(Hearing.Outcome.NO_AGREEMENT),
        },
    )
    assert CaseCompany.objects.get(pk=c.pk).status == PartStatus.REFERRED
    (proceeding,) = Proceeding.objects.filter(complaint=hearing.complaint)
    assert proceeding.part_id == c.pk and proceeding.referral_reason == "no_agreement"
    assert proceeding.company_name == "Banco Cuotas S.A."
    # The company that agreed is told nothing of another's proceeding; its representatives do not see it.
    assert not policy.allowed(policy.FILE_DEFENCE, reps[0], proceeding)


def test_a_stranger_consumer_sees_no_proceeding(proceeding, stranger):
    from legal.selectors import proceedings_visible_to

    assert not proceedings_visible_to(stranger).exists()
    assert not proceedings_visible_to(make_user("nadie@example.com")).exists()
