"""What the case page offers is what the server accepts: for every hearing action, every role and
the case states where the action is in question, the button shows exactly when the move goes through
(both ask the same rule in hearings/policy.py)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complaint
from complaints.states import State
from hearings.models import AbsenceJustification, Acta, ActaConfirmation, ComplianceProof, Hearing
from hearings.scheduling import propose_slots
from hearings.services.absences import absence_decide, absence_justify
from hearings.services.acta import acta_confirm
from hearings.services.approval import agreement_approve
from hearings.services.follow_up import compliance_proof_upload
from hearings.services.outcome import outcome_record
from hearings.services.scheduling import hearing_reschedule
from tests.complaints.factories import PDF_BYTES, PNG_BYTES
from tests.hearings.factories import make_conciliator
from tests.hearings.test_outcome_support import agreement_at, free_slot, hearing_under_way

pytestmark = pytest.mark.django_db

ROLES = (
    "consumer",
    "representative",
    "officer",
    "conciliator",
    "other_conciliator",
    "supervisor",
    "director",
    "stranger",
)


@dataclass
class World:
    people: dict
    hearing: Hearing
    capture: Callable

    @property
    def case(self) -> Complaint:
        return Complaint.objects.get(pk=self.hearing.complaint_id)

    def by(self, role: str):
        return self.people[role]


# --- The states ---------------------------------------------------------------------------------------


def under_way(world: World) -> None:
    """The hearing started 45 minutes ago (past the tolerance)."""


def company_absent(world: World) -> None:
    outcome_record(hearing=world.hearing, by=world.by("conciliator"), outcome=Hearing.Outcome.COMPANY_ABSENT)


def justification_pending(world: World) -> None:
    company_absent(world)
    upload = SimpleUploadedFile("certificado.pdf", PDF_BYTES)
    absence_justify(hearing=world.hearing, by=world.by("representative"), text="Internación.", file=upload)


def excused(world: World) -> None:
    justification_pending(world)
    absence_decide(justification=AbsenceJustification.objects.get(), by=world.by("officer"), accept=True)


def excused_then_absent_again(world: World) -> None:
    excused(world)
    first = world.hearing
    Hearing.objects.filter(pk=first.pk).update(
        starts_at=first.starts_at - timedelta(days=3), ends_at=first.ends_at - timedelta(days=3)
    )
    began = timezone.now() - timedelta(minutes=45)
    second = Hearing.objects.create(
        complaint=world.case, conciliator=first.conciliator, starts_at=began, ends_at=began + timedelta(hours=1)
    )
    Complaint.objects.filter(pk=first.complaint_id).update(status=State.HEARING_SCHEDULED)
    outcome_record(hearing=second, by=world.by("conciliator"), outcome=Hearing.Outcome.COMPANY_ABSENT)


def no_agreement(world: World) -> None:
    outcome_record(hearing=world.hearing, by=world.by("conciliator"), outcome=Hearing.Outcome.NO_AGREEMENT)


def agreement_reached(world: World) -> None:
    with world.capture(execute=True):
        agreement_at(world.hearing, world.by("conciliator"))


def confirmed_by_the_consumer(world: World) -> None:
    agreement_reached(world)
    acta_confirm(hearing=world.hearing, by=world.by("consumer"))


def confirmed_by_both(world: World) -> None:
    confirmed_by_the_consumer(world)
    acta_confirm(hearing=world.hearing, by=world.by("representative"))


def approved(world: World) -> None:
    confirmed_by_both(world)
    agreement_approve(complaint=world.case, by=world.by("director"))


def approved_with_proof(world: World) -> None:
    approved(world)
    upload = SimpleUploadedFile("transferencia.png", PNG_BYTES)
    compliance_proof_upload(complaint=world.case, by=world.by("representative"), upload=upload)


# --- The actions: what the page offers, and whether the server accepts -----------------------------


def case_page(client: Client, world: World) -> str:
    response = client.get(reverse("complaint_detail", args=[world.hearing.complaint_id]))
    return response.content.decode() if response.status_code == 200 else ""


def offers(url_name: str, arg: Callable[[World], int]) -> Callable[[Client, World], bool]:
    return lambda client, world: f'"{reverse(url_name, args=[arg(world)])}"' in case_page(client, world)


def the_hearing(world: World) -> int:
    return world.hearing.pk


def the_latest_hearing(world: World) -> int:
    return Hearing.objects.filter(complaint_id=world.hearing.complaint_id).latest("starts_at").pk


def the_case(world: World) -> int:
    return world.hearing.complaint_id


def the_justification(world: World) -> int:
    return AbsenceJustification.objects.get().pk


def the_proof(world: World) -> int:
    return ComplianceProof.objects.get().pk


def status(world: World) -> str:
    return world.case.status


def schedule(client: Client, world: World) -> bool:
    before = Hearing.objects.count()
    slots = propose_slots(world.case)
    client.post(reverse("hearing_schedule", args=[the_case(world)]), {"slot": slots[0].value if slots else ""})
    return Hearing.objects.count() == before + 1


def reschedule(client: Client, world: World) -> bool:
    # The page's form needs a free slot; the service is what its POST calls (the view adds the 403).
    user = client.user  # type: ignore[attr-defined]
    try:
        hearing_reschedule(hearing=world.hearing, by=user, starts_at=free_slot(), reason="Pedido de la empresa.")
    except Exception:
        return False
    return Hearing.objects.get(pk=world.hearing.pk).reschedule_count == 1


def cancel(client: Client, world: World) -> bool:
    client.post(reverse("hearing_cancel", args=[world.hearing.pk]), {"reason": "Feriado."})
    return Hearing.objects.get(pk=world.hearing.pk).status == Hearing.Status.CANCELLED


def open_console(client: Client, world: World) -> bool:
    return client.get(reverse("hearing_console", args=[world.hearing.pk])).status_code == 200


def console_offers_to_record(client: Client, world: World) -> bool:
    response = client.get(reverse("hearing_console", args=[world.hearing.pk]))
    return (
        response.status_code == 200 and reverse("hearing_outcome", args=[world.hearing.pk]) in response.content.decode()
    )


def record_outcome(client: Client, world: World) -> bool:
    before = Hearing.objects.get(pk=world.hearing.pk).outcome_recorded_at
    client.post(
        reverse("hearing_outcome", args=[world.hearing.pk]), {"outcome": "no_agreement", "notes": "Sin acuerdo."}
    )
    return Hearing.objects.get(pk=world.hearing.pk).outcome_recorded_at != before


def read_acta(client: Client, world: World) -> bool:
    return client.get(reverse("acta_download", args=[world.hearing.pk])).status_code == 200


def confirm_acta(client: Client, world: World) -> bool:
    before = ActaConfirmation.objects.count()
    sha256 = Acta.objects.get(hearing=world.hearing).sha256
    client.post(reverse("acta_confirm", args=[world.hearing.pk]), {"agree": "on", "sha256": sha256})
    return ActaConfirmation.objects.count() == before + 1


def approve(client: Client, world: World) -> bool:
    before = status(world)
    client.post(reverse("agreement_approve", args=[the_case(world)]))
    return before != State.AGREEMENT_APPROVED and status(world) == State.AGREEMENT_APPROVED


def justify(client: Client, world: World) -> bool:
    before = AbsenceJustification.objects.count()
    hearing = the_latest_hearing(world)
    client.post(reverse("absence_justify", args=[hearing]), {"text": "Corte de luz en la zona."})
    return AbsenceJustification.objects.count() == before + 1


def decide(client: Client, world: World) -> bool:
    pending = AbsenceJustification.objects.filter(decision=AbsenceJustification.Decision.PENDING)
    before = pending.count()
    client.post(reverse("absence_decide", args=[the_justification(world)]), {"decision": "accept", "reason": ""})
    return pending.count() == before - 1


def read_justification_file(client: Client, world: World) -> bool:
    return client.get(reverse("absence_justification_file", args=[the_justification(world)])).status_code == 200


def answer_compliance(client: Client, world: World) -> bool:
    client.post(reverse("compliance_answer", args=[the_case(world)]), {"complied": "yes", "details": ""})
    return status(world) == State.COMPLIED


def upload_proof(client: Client, world: World) -> bool:
    before = ComplianceProof.objects.count()
    upload = SimpleUploadedFile("recibo.png", PNG_BYTES)
    client.post(reverse("compliance_proof_upload", args=[the_case(world)]), {"file": upload, "note": ""})
    return ComplianceProof.objects.count() == before + 1


def read_proof(client: Client, world: World) -> bool:
    return client.get(reverse("compliance_proof_download", args=[the_proof(world)])).status_code == 200


def refer(client: Client, world: World) -> bool:
    client.post(reverse("case_refer", args=[the_case(world)]), {"reason": "Sin acuerdo."})
    return status(world) == State.REFERRED


@dataclass(frozen=True)
class Action:
    name: str
    offered: Callable[[Client, World], bool]
    accepted: Callable[[Client, World], bool]
    states: tuple[Callable[[World], None], ...]


ACTIONS = (
    Action(
        "schedule a hearing",
        offers("hearing_schedule", the_case),
        schedule,
        (under_way, company_absent, justification_pending, excused, excused_then_absent_again),
    ),
    Action("move the hearing", offers("hearing_reschedule", the_hearing), reschedule, (under_way, company_absent)),
    Action("cancel the hearing", offers("hearing_cancel", the_hearing), cancel, (under_way, company_absent)),
    Action("open the console", offers("hearing_console", the_hearing), open_console, (under_way, no_agreement)),
    Action("record the outcome", console_offers_to_record, record_outcome, (under_way, no_agreement)),
    Action("read the acta", offers("acta_download", the_hearing), read_acta, (agreement_reached,)),
    Action(
        "confirm the acta",
        offers("acta_confirm", the_hearing),
        confirm_acta,
        (agreement_reached, confirmed_by_the_consumer),
    ),
    Action(
        "approve the agreement",
        offers("agreement_approve", the_case),
        approve,
        (agreement_reached, confirmed_by_the_consumer, confirmed_by_both, approved),
    ),
    Action(
        "justify the absence",
        offers("absence_justify", the_latest_hearing),
        justify,
        (company_absent, justification_pending, excused, excused_then_absent_again),
    ),
    Action(
        "decide on the justification",
        offers("absence_decide", the_justification),
        decide,
        (justification_pending, excused),
    ),
    Action(
        "read the supporting document",
        offers("absence_justification_file", the_justification),
        read_justification_file,
        (justification_pending,),
    ),
    Action(
        "answer whether the company complied",
        offers("compliance_answer", the_case),
        answer_compliance,
        (confirmed_by_both, approved),
    ),
    Action(
        "upload proof of compliance",
        offers("compliance_proof_upload", the_case),
        upload_proof,
        (under_way, confirmed_by_both, approved),
    ),
    Action(
        "read proof of compliance", offers("compliance_proof_download", the_proof), read_proof, (approved_with_proof,)
    ),
    Action(
        "refer the case",
        offers("case_refer", the_case),
        refer,
        (company_absent, justification_pending, excused, no_agreement, approved),
    ),
)

CASES = [
    pytest.param(action, state, role, id=f"{action.name}-{state.__name__}-{role}")
    for action in ACTIONS
    for state in action.states
    for role in ROLES
    # The director's only move is to homologate (they read actas and proofs as the office does,
    # hearings.policy.reads_as_office, but none of the office's other moves).
    if role != "director" or action.name == "approve the agreement"
]


@pytest.fixture
def world(
    consumer,
    company,
    representative,
    officer,
    conciliator,
    supervisor,
    director,
    stranger,
    django_capture_on_commit_callbacks,
):
    people = {
        "consumer": consumer,
        "representative": representative,
        "officer": officer,
        "conciliator": conciliator,
        "other_conciliator": make_conciliator("bruno@oficina.test", "Bruno", "Aguirre"),
        "supervisor": supervisor,
        "director": director,
        "stranger": stranger,
    }
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    return World(people=people, hearing=hearing, capture=django_capture_on_commit_callbacks)


@pytest.mark.parametrize(("action", "state", "role"), CASES)
def test_the_page_offers_an_action_exactly_when_the_server_accepts_it(world, action, state, role, client_for):
    state(world)
    client = client_for(world.by(role))
    client.user = world.by(role)

    offered = action.offered(client, world)
    accepted = action.accepted(client, world)

    answer = "accepts" if accepted else "refuses"
    assert offered == accepted, f"{role} is {'' if offered else 'not '}offered to {action.name}; the server {answer}"
