"""Who enters the room of a hearing with several companies and representatives: the consumer or their
validated representative, the representatives of every served company (each their own token, named
for whom they act), the conciliator as the only moderator; who is told of the hearing; and the
scheduling list, hipervulnerable consumers first."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from complaints import services as case_services
from complaints.models import CaseCompany, CaseEvent, ConsumerRepresentative
from complaints.services.parts import name_company
from hearings import policy
from hearings.models import Attendance
from hearings.notify import notify_hearing
from hearings.services.room import attendance_correct, recording_consent
from notifications.models import Notification
from parties.models import Company, PowerStatus, Representation, Role
from tests.complaints.factories import draft_case, served_case
from tests.conftest import make_user
from tests.hearings.factories import scheduled_hearing
from tests.hearings.test_jitsi_tokens import verify_like_jitsi
from tests.hearings.test_room_page import options_in, room_url


@pytest.fixture
def second_company(db) -> Company:
    return Company.objects.create(
        cuit="30500010912", legal_name="Financiera Andina S.A.", electronic_domicile="legales@andina.test"
    )


@pytest.fixture
def second_rep(second_company):
    user = make_user("marta@andina.test", Role.REPRESENTATIVE, first_name="Marta", last_name="Quiroga")
    Representation.objects.create(user=user, company=second_company, is_admin=True)
    return user


@pytest.fixture
def two_company_hearing(consumer, company, second_company, officer, conciliator, representative, second_rep):
    draft = draft_case(consumer, company)
    name_company(draft, company=second_company)
    case = case_services.complaint_submit(complaint=draft, by=consumer)
    case = case_services.complaint_admit(complaint=case, by=officer)
    assert CaseCompany.objects.filter(complaint=case, notified_at__isnull=False).count() == 2
    return scheduled_hearing(consumer, company, officer, conciliator, complaint=case)


@pytest.fixture
def lawyer(consumer):
    return make_user("dra.lopez@estudio.test", first_name="Carla", last_name="López")


def name_lawyer(case, lawyer, consumer, status=PowerStatus.VALIDATED):
    return ConsumerRepresentative.objects.create(
        complaint=case, user=lawyer, kind="lawyer", power_status=status, named_by=consumer
    )


def room_open(hearing):
    return time_machine.travel(hearing.starts_at - timedelta(minutes=10), tick=False)


def test_each_served_companys_representative_gets_a_token_naming_the_company(
    client_for, two_company_hearing, consumer, representative, second_rep, company, second_company
):
    hearing = two_company_hearing
    for person in (consumer, representative, second_rep):
        recording_consent(hearing=hearing, user=person, consented=True)
    with room_open(hearing):
        tokens = {}
        for person, company_name in ((representative, company.legal_name), (second_rep, second_company.legal_name)):
            options = options_in(client_for(person).get(room_url(hearing)))
            claims = verify_like_jitsi(options["jwt"])
            tokens[person.pk] = options["jwt"]
            assert claims["context"]["user"]["id"] == str(person.pk)
            # "Name (por Company)" in the office's language, whatever the browser's.
            name = claims["context"]["user"]["name"]
            assert name.startswith(f"{person.get_full_name()} (") and name.endswith(f" {company_name})")
            assert claims["context"]["user"]["moderator"] == "false"
            assert claims["context"]["user"]["affiliation"] == "member"
            assert claims["moderator"] is False
            assert "lobby_bypass" not in claims["context"]["user"]
            assert options["userInfo"]["displayName"] == claims["context"]["user"]["name"]
    assert tokens[representative.pk] != tokens[second_rep.pk]


def test_a_representatives_attendance_names_the_company_they_appear_for(
    client_for, two_company_hearing, second_rep, second_company
):
    hearing = two_company_hearing
    with room_open(hearing):
        response = client_for(second_rep).post(
            reverse("hearing_attendance_report", args=[hearing.pk]),
            {"event": "videoConferenceJoined", "event_id": "p1-1"},
            content_type="application/json",
        )
    assert response.status_code == 201
    row = Attendance.objects.get(hearing=hearing, user=second_rep)
    assert row.party == Attendance.Party.COMPANY
    assert row.part is not None and row.part.company == second_company


def test_the_conciliator_names_another_company_for_someone_who_represents_both(
    two_company_hearing, representative, second_company, conciliator
):
    hearing = two_company_hearing
    Representation.objects.create(user=representative, company=second_company, is_admin=False)
    second_part = CaseCompany.objects.get(complaint=hearing.complaint, company=second_company)
    # By default the first company they represent; the conciliator's record may name the other.
    assert policy.served_parts_of(representative, hearing.complaint)[0].position == 1

    rows = attendance_correct(
        hearing=hearing,
        by=conciliator,
        user_or_name=representative,
        party=Attendance.Party.COMPANY,
        joined_at=hearing.starts_at,
        left_at=None,
        note="Se presentó por la financiera.",
        part=second_part,
    )

    assert [row.part_id for row in rows] == [second_part.pk]
    event = CaseEvent.objects.filter(complaint=hearing.complaint, action="attendance_corrected").last()
    assert event is not None and second_company.legal_name in event.reason


def test_a_company_not_yet_served_does_not_enter_the_room(client_for, two_company_hearing, second_rep, second_company):
    hearing = two_company_hearing
    CaseCompany.objects.filter(complaint=hearing.complaint, company=second_company).update(notified_at=None)
    recording_consent(hearing=hearing, user=second_rep, consented=True)

    with room_open(hearing):
        response = client_for(second_rep).get(room_url(hearing))

    # The case is not even visible to a company it has not been served on.
    assert response.status_code == 404
    assert 'id="jitsi-options"' not in response.content.decode()
    assert not policy.may_enter_room(second_rep, hearing)


def test_the_consumers_validated_representative_gets_their_own_token(client_for, consumer, lawyer, hearing):
    name_lawyer(hearing.complaint, lawyer, consumer)
    recording_consent(hearing=hearing, user=lawyer, consented=True)

    with room_open(hearing):
        options = options_in(client_for(lawyer).get(room_url(hearing)))
        claims = verify_like_jitsi(options["jwt"])

    assert claims["room"] == hearing.room
    assert claims["context"]["user"]["id"] == str(lawyer.pk)
    name = claims["context"]["user"]["name"]
    assert name.startswith("Carla López (") and name.endswith(f" {hearing.complaint.consumer_name})")
    assert claims["context"]["user"]["moderator"] == "false"
    assert claims["moderator"] is False


def test_a_representative_whose_power_is_not_validated_gets_nothing(client_for, consumer, lawyer, hearing):
    name_lawyer(hearing.complaint, lawyer, consumer, status=PowerStatus.PENDING)

    with room_open(hearing):
        response = client_for(lawyer).get(room_url(hearing))

    assert response.status_code == 404
    assert not policy.may_enter_room(lawyer, hearing)


@pytest.fixture
def hearing(consumer, company, officer, conciliator):
    return scheduled_hearing(consumer, company, officer, conciliator)


def test_a_hearing_notice_reaches_every_served_company_and_the_consumers_representative(
    two_company_hearing, consumer, representative, second_rep, lawyer, conciliator
):
    hearing = two_company_hearing
    name_lawyer(hearing.complaint, lawyer, consumer)

    notify_hearing(hearing, "hearing_reminder", key=f"hearing:{hearing.pk}:test", context={})
    notify_hearing(hearing, "hearing_cancelled", key=f"hearing:{hearing.pk}:test-formal", context={"reason": "x"})

    told = set(Notification.objects.filter(event="hearing_reminder").values_list("recipient_id", flat=True))
    assert {consumer.pk, lawyer.pk, representative.pk, second_rep.pk, conciliator.pk} <= told
    domiciles = set(
        Notification.objects.filter(event="hearing_cancelled", recipient=None, formal=True).values_list(
            "address", flat=True
        )
    )
    assert domiciles == {"legales@electrosur.test", "legales@andina.test"}


def test_the_cases_awaiting_a_date_list_hipervulnerable_consumers_first(client_for, consumer, company, officer):
    earlier = served_case(consumer, company, officer)
    later = served_case(consumer, company, officer)
    type(later).objects.filter(pk=later.pk).update(vulnerable=True)

    response = client_for(officer).get(reverse("hearing_list"))

    assert [case.pk for case in response.context["awaiting"]] == [later.pk, earlier.pk]
    page = response.content.decode()
    assert page.count("data-vulnerable") == 1
    assert page.index(later.number) < page.index(earlier.number)
