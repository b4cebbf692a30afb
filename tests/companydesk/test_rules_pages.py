"""The company's assignment rules page: its administrators list the rules in order, add one at the
end, move one up or down and delete one; a representative who is not an admin gets a 403, a stranger
a 404; a second click on "delete" is a message, not an error."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from complaints.models import AssignmentRule
from parties.models import Representation

from .conftest import desk_url

pytestmark = pytest.mark.django_db

RULES = "companydesk_rules"
MOVE = "companydesk_rule_move"
DELETE = "companydesk_rule_delete"


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def rule(company, assignee, *, position: int, province: str = "", product: str = "") -> AssignmentRule:
    return AssignmentRule.objects.create(
        company=company, position=position, province=province, product_contains=product, assignee=assignee
    )


def order(company) -> list[tuple[str, str]]:
    return list(
        AssignmentRule.objects.filter(company=company)
        .order_by("position", "pk")
        .values_list("province", "product_contains")
    )


def test_the_admin_sees_the_rules_in_order_and_how_they_apply(client_for, company, representative, clerk):
    rule(company, clerk, position=1, province="CB")
    rule(company, representative, position=2, product="fibra")

    response = client_for(representative).get(desk_url(company, RULES))

    assert response.status_code == 200
    assert [r.province for r in response.context["rules"]] == ["CB", ""]
    page = response.content.decode()
    assert page.index("Córdoba") < page.index("“fibra”")
    assert "the first that matches assigns it" in page
    assert "Pablo Acosta" in page and "Jorge Fernández" in page


def test_the_admin_adds_a_rule_at_the_end(client_for, company, representative, clerk):
    rule(company, representative, position=1, province="CB")

    response = client_for(representative).post(
        desk_url(company, RULES), {"province": "", "product_contains": "  Heladera   No Frost ", "assignee": clerk.pk}
    )

    assert response.status_code == 302 and response["Location"] == desk_url(company, RULES)
    added = AssignmentRule.objects.get(company=company, assignee=clerk)
    assert (added.position, added.province, added.product_contains) == (2, "", "Heladera No Frost")
    assert added.created_by == representative
    assert "Rule added. It applies to the cases served from now on." in said(response)


def test_a_rule_without_an_assignee_is_shown_again_with_the_error(client_for, company, representative):
    response = client_for(representative).post(desk_url(company, RULES), {"province": "CB", "assignee": ""})

    assert response.status_code == 200
    assert "Choose who the matching cases go to." in response.content.decode()
    assert not AssignmentRule.objects.exists()


def test_a_rule_for_someone_who_is_not_a_representative_of_the_company_is_refused(
    client_for, company, representative, rival
):
    response = client_for(representative).post(desk_url(company, RULES), {"assignee": rival.pk})

    assert response.status_code == 200
    assert "Choose a representative of the company." in response.content.decode()
    assert not AssignmentRule.objects.exists()


def test_the_admin_moves_a_rule_up_and_down(client_for, company, representative, clerk):
    first = rule(company, clerk, position=1, province="CB")
    rule(company, clerk, position=2, province="MZ")
    third = rule(company, clerk, position=3, province="SF")
    admin = client_for(representative)

    admin.post(desk_url(company, MOVE), {"rule": third.pk, "direction": "up"})
    assert order(company) == [("CB", ""), ("SF", ""), ("MZ", "")]

    admin.post(desk_url(company, MOVE), {"rule": first.pk, "direction": "down"})
    assert order(company) == [("SF", ""), ("CB", ""), ("MZ", "")]

    # The first up, the last down: nothing moves, nothing breaks.
    admin.post(desk_url(company, MOVE), {"rule": third.pk, "direction": "up"})
    admin.post(desk_url(company, MOVE), {"rule": third.pk, "direction": "sideways"})
    assert order(company) == [("SF", ""), ("CB", ""), ("MZ", "")]


def test_the_admin_deletes_a_rule_and_a_second_click_is_a_message(client_for, company, representative, clerk):
    first = rule(company, clerk, position=1, province="CB")
    rule(company, clerk, position=2, province="MZ")
    admin = client_for(representative)

    deleted = admin.post(desk_url(company, DELETE), {"rule": first.pk})
    again = admin.post(desk_url(company, DELETE), {"rule": first.pk})

    assert "Rule deleted." in said(deleted)
    assert "That rule no longer exists: the list below is up to date." in said(again)
    assert again.status_code == 302
    assert list(AssignmentRule.objects.values_list("province", "position")) == [("MZ", 1)]


def test_a_rule_whose_representative_left_is_marked_as_skipped(client_for, company, representative, clerk):
    rule(company, clerk, position=1, province="CB")
    Representation.objects.filter(user=clerk).update(revoked_at=timezone.now())

    page = client_for(representative).get(desk_url(company, RULES)).content.decode()

    assert "Skipped: no longer a representative" in page


def test_a_representative_who_is_not_an_admin_gets_a_403(client_for, company, clerk, representative):
    kept = rule(company, representative, position=1)

    assert client_for(clerk).get(desk_url(company, RULES)).status_code == 403
    assert client_for(clerk).post(desk_url(company, RULES), {"assignee": clerk.pk}).status_code == 403
    assert client_for(clerk).post(desk_url(company, DELETE), {"rule": kept.pk}).status_code == 403
    assert client_for(clerk).post(desk_url(company, MOVE), {"rule": kept.pk, "direction": "down"}).status_code == 403
    assert AssignmentRule.objects.filter(pk=kept.pk).exists()


def test_a_stranger_gets_a_404_and_another_companys_rule_is_not_touched(
    client_for, company, other_company, representative, rival
):
    ours = rule(company, representative, position=1)

    assert client_for(rival).get(desk_url(company, RULES)).status_code == 404
    assert client_for(rival).post(desk_url(company, DELETE), {"rule": ours.pk}).status_code == 404
    # Through their own company's URL, our rule's id names nothing.
    response = client_for(rival).post(reverse(DELETE, args=[other_company.pk]), {"rule": ours.pk})
    assert response.status_code == 302
    assert AssignmentRule.objects.filter(pk=ours.pk).exists()
