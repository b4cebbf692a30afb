"""On an assisted filing only the officer who filed it may act for the citizen, not any officer."""

import pytest

from complaints.models import CaseEvent
from complaints.services import CaseError, complaint_start_draft, complaint_withdraw
from complaints.states import State, allow_owner_consumer
from parties.models import Role
from tests.conftest import enrol_totp, make_user

pytestmark = pytest.mark.django_db


def test_only_the_filing_officer_may_act_for_the_citizen(consumer, officer):
    other_officer = make_user("otro@oficina.test", Role.OFFICER)
    enrol_totp(other_officer)
    case = complaint_start_draft(consumer=consumer, filed_by=officer, channel="phone")

    assert allow_owner_consumer(case, officer)
    assert allow_owner_consumer(case, consumer)
    assert not allow_owner_consumer(case, other_officer)


def test_another_officer_cannot_withdraw_an_assisted_case(consumer, officer, company):
    other_officer = make_user("otro@oficina.test", Role.OFFICER)
    case = complaint_start_draft(consumer=consumer, filed_by=officer, channel="phone")
    case.__class__.objects.filter(pk=case.pk).update(status=State.SUBMITTED, company=company)

    with pytest.raises(CaseError):
        complaint_withdraw(complaint=case, by=other_officer)

    case.refresh_from_db()
    assert case.status == State.SUBMITTED
    assert not CaseEvent.objects.filter(complaint=case).exists()
