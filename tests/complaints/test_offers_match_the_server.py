"""What the case page offers is what the server accepts, for the moves before the hearing: for the
company's answer and offer and the consumer's answer to it, every role and the case states where the
move is in question, the form shows exactly when the move goes through (both ask the same rule in
complaints/policy.py). States are set on the row, as a case left by an older release may be."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.models import CompanyAnswer, Complaint, Offer, OfferStatus
from complaints.states import State
from tests.complaints.factories import served_case

pytestmark = pytest.mark.django_db

ROLES = ("consumer", "representative", "officer", "stranger")


@dataclass
class World:
    people: dict
    case: Complaint

    def by(self, role: str):
        return self.people[role]

    @property
    def offer(self) -> Offer:
        return Offer.objects.filter(complaint=self.case).latest("created_at", "pk")


# --- The states ---------------------------------------------------------------------------------------


def make_an_offer(world: World) -> None:
    services.offer_make(
        complaint=world.case,
        by=world.by("representative"),
        terms="Cambio de la heladera por una nueva.",
        fulfil_by=timezone.localdate() + timedelta(days=15),
        amount=None,
    )


def set_status(world: World, status: str) -> None:
    Complaint.objects.filter(pk=world.case.pk).update(status=status)


def served(world: World) -> None:
    """Served, nothing offered yet."""


def offer_pending(world: World) -> None:
    make_an_offer(world)


def offer_pending_in_an_adjournment(world: World) -> None:
    make_an_offer(world)
    set_status(world, State.ADJOURNED)


def offer_answered(world: World) -> None:
    make_an_offer(world)
    services.offer_reject(offer=world.offer, by=world.by("consumer"))


def offer_left_pending_after_the_outcome(world: World) -> None:
    """Before moves lapsed offers, a hearing's outcome left them pending."""
    make_an_offer(world)
    set_status(world, State.NO_AGREEMENT)


def withdrawn(world: World) -> None:
    make_an_offer(world)
    services.complaint_withdraw(complaint=world.case, by=world.by("consumer"))


# --- The actions: what the page offers, and whether the server accepts -----------------------------


def case_page(client: Client, world: World) -> str:
    response = client.get(reverse("complaint_detail", args=[world.case.pk]))
    return response.content.decode() if response.status_code == 200 else ""


def offers(url_name: str, arg: Callable[[World], int]) -> Callable[[Client, World], bool]:
    return lambda client, world: f'"{reverse(url_name, args=[arg(world)])}"' in case_page(client, world)


def the_case(world: World) -> int:
    return world.case.pk


def the_offer(world: World) -> int:
    return world.offer.pk


def answer(client: Client, world: World) -> bool:
    before = CompanyAnswer.objects.count()
    client.post(reverse("company_answer", args=[the_case(world)]), {"answer-text": "No reconocemos el reclamo."})
    return CompanyAnswer.objects.count() == before + 1


def make_offer(client: Client, world: World) -> bool:
    before = Offer.objects.count()
    data = {
        "offer-amount": "850000",
        "offer-terms": "Devolución total del precio.",
        "offer-fulfil_by": (timezone.localdate() + timedelta(days=10)).isoformat(),
    }
    client.post(reverse("offer_make", args=[the_case(world)]), data)
    return Offer.objects.count() == before + 1


def accept(client: Client, world: World) -> bool:
    offer = world.offer
    client.post(reverse("offer_accept", args=[offer.pk]))
    offer.refresh_from_db()
    return offer.status == OfferStatus.ACCEPTED


def reject(client: Client, world: World) -> bool:
    offer = world.offer
    before = offer.status
    client.post(reverse("offer_reject", args=[offer.pk]), {"reject-counter_terms": "Quiero el doble."})
    offer.refresh_from_db()
    return before == OfferStatus.PENDING and offer.status == OfferStatus.COUNTERED


@dataclass(frozen=True)
class Action:
    name: str
    offered: Callable[[Client, World], bool]
    accepted: Callable[[Client, World], bool]
    states: tuple[Callable[[World], None], ...]


WITH_AN_OFFER = (
    offer_pending,
    offer_pending_in_an_adjournment,
    offer_answered,
    offer_left_pending_after_the_outcome,
    withdrawn,
)
ACTIONS = (
    Action("answer as the company", offers("company_answer", the_case), answer, (served, *WITH_AN_OFFER)),
    Action("make an offer", offers("offer_make", the_case), make_offer, (served, *WITH_AN_OFFER)),
    Action("accept the offer", offers("offer_accept", the_offer), accept, WITH_AN_OFFER),
    Action("reject the offer", offers("offer_reject", the_offer), reject, WITH_AN_OFFER),
)

CASES = [
    pytest.param(action, state, role, id=f"{action.name}-{state.__name__}-{role}")
    for action in ACTIONS
    for state in action.states
    for role in ROLES
]


@pytest.fixture
def world(consumer, company, representative, officer, stranger):
    people = {"consumer": consumer, "representative": representative, "officer": officer, "stranger": stranger}
    return World(people=people, case=served_case(consumer, company, officer))


@pytest.mark.parametrize(("action", "state", "role"), CASES)
def test_the_page_offers_a_move_before_the_hearing_exactly_when_the_server_accepts_it(
    world, action, state, role, client_for
):
    state(world)
    client = client_for(world.by(role))

    offered = action.offered(client, world)
    accepted = action.accepted(client, world)

    answer = "accepts" if accepted else "refuses"
    assert offered == accepted, f"{role} is {'' if offered else 'not '}offered to {action.name}; the server {answer}"
