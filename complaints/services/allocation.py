"""The admission queue allocated to officers: the supervisor assigns complaints awaiting review (one or
many) or spreads the unassigned queue among the active officers; an officer takes the next one.

Each assignment is a case event (`admission_assigned`, the officer's name as its reason), written
under the case's row lock. Nobody outside the office is told: it is the office's own work.

A complaint held by someone who can no longer review it (deactivated, or no longer in the office)
counts as unassigned: take-next, balancing and the queue's "unassigned" filter offer it again.

"Take next" and balancing claim rows with SELECT … FOR UPDATE SKIP LOCKED, the order the queue shows
(hipervulnerable first, then the oldest): two officers pressing the button at once get two
different complaints, and neither waits for the other."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from complaints import actions, policy
from complaints.errors import CaseError
from complaints.models import Complaint
from complaints.services import lock_case, record_event
from complaints.states import OFFICE_ROLES, State
from parties.models import Role, User

# How many complaints one press of "balance" hands out (the rest wait for the next press), and how
# many each of its transactions holds locked.
BALANCE_BATCH = 500
BALANCE_CHUNK = 50


@dataclass
class Balance:
    """What balancing did: how many complaints each officer received."""

    given: dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.given.values())


def active_officers() -> list[User]:
    """The people the queue is spread among: active admission officers."""
    return list(User.objects.filter(role=Role.OFFICER, is_active=True).order_by("pk"))


def _check_officer(officer: User | None) -> User:
    if officer is None or officer.role != Role.OFFICER or not officer.is_active:
        raise CaseError(_("Choose an active admission officer."))
    return officer


def _reason(officer: User, *, taken: bool) -> str:
    """The event's reason, in the office's language whoever clicked."""
    with translation.override(settings.LANGUAGE_CODE):
        if taken:
            return _(gettext_noop("Taken by %(name)s.")) % {"name": officer.display_name}
        return _(gettext_noop("Assigned to %(name)s.")) % {"name": officer.display_name}


def _give(case: Complaint, officer: User, *, by: User, taken: bool = False) -> Complaint:
    """The case is locked by the caller."""
    case.assigned_officer = officer
    case.save(update_fields=["assigned_officer", "updated_at"])
    record_event(case=case, action=actions.ADMISSION_ASSIGNED.code, by=by, reason=_reason(officer, taken=taken))
    return case


def admission_assign(*, complaints: Iterable[Complaint], officer: User, by: User) -> list[Complaint]:
    """The supervisor gives these complaints (awaiting review) to `officer`; all or none. A complaint
    already with that officer is left as it is (a second submission assigns nothing twice)."""
    _check_officer(officer)
    done = []
    with transaction.atomic():
        for pk in sorted({case.pk for case in complaints}):  # one lock order: no deadlock between two supervisors
            case = lock_case(pk)
            policy.ensure(policy.ASSIGN_ADMISSION, by, case)
            if case.assigned_officer_id == officer.pk:
                continue
            done.append(_give(case, officer, by=by))
    return done


def orphan_holders() -> list[int]:
    """Who holds complaints awaiting review but can no longer review them: deactivated, or no longer
    in the admission office. Their complaints count as unassigned (take-next, balancing, the queue's
    "unassigned" filter). One query: the holders come from `complaint_my_queue` (a handful of ids),
    then their user rows by primary key."""
    holders = Complaint.objects.filter(status=State.SUBMITTED, assigned_officer__isnull=False).values(
        "assigned_officer_id"
    )
    return list(
        User.objects.filter(pk__in=holders)
        .exclude(is_active=True, role__in=OFFICE_ROLES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def unassigned(orphans: list[int] | None = None) -> Q:
    """Awaiting review and nobody (able to review it) holds it. Without orphans this is exactly the
    condition of the `complaint_unassigned_queue` index."""
    orphans = orphan_holders() if orphans is None else orphans
    nobody = Q(assigned_officer__isnull=True)
    if orphans:
        nobody |= Q(assigned_officer_id__in=orphans)
    return Q(status=State.SUBMITTED) & nobody


# The queue's order, exactly that of the `complaint_unassigned_queue` and `complaint_my_queue` indexes.
QUEUE_ORDER = ("-vulnerable", "submitted_at", "id")


def admission_take_next(*, by: User) -> Complaint | None:
    """The officer takes the next unassigned complaint awaiting review (hipervulnerable first, then
    the oldest); None when there is none. Rows another officer is taking are skipped, not waited on."""
    orphans = orphan_holders()
    with transaction.atomic():
        case = (
            Complaint.objects.select_for_update(skip_locked=True, of=("self",), no_key=True)
            .select_related("company", "consumer")
            .filter(unassigned(orphans))
            .order_by(*QUEUE_ORDER)
            .first()
        )
        if case is None:
            return None
        policy.ensure(policy.TAKE_ADMISSION, by, case)
        return _give(case, by, by=by, taken=True)


def admission_balance(*, by: User, limit: int = BALANCE_BATCH, chunk: int = BALANCE_CHUNK) -> Balance:
    """Spread the unassigned queue among the active officers by their current load: each complaint
    (hipervulnerable first, then the oldest) goes to the officer with the fewest complaints awaiting
    review (ties: the lowest id). With equal loads that is round-robin.

    In transactions of `chunk` complaints (each claimed with SKIP LOCKED, each with its event), so an
    officer admitting one of them waits at most for one short chunk, never for the whole batch; a
    failure keeps the chunks already committed."""
    officers = active_officers()
    if not officers:
        raise CaseError(_("There is no active admission officer to give complaints to."))
    orphans = orphan_holders()
    counts = dict(
        Complaint.objects.filter(status=State.SUBMITTED, assigned_officer__in=officers)
        .values_list("assigned_officer")
        .annotate(n=Count("pk"))
        .order_by()
    )
    load = {officer.pk: counts.get(officer.pk, 0) for officer in officers}
    balance = Balance()
    while balance.total < limit:
        with transaction.atomic():
            cases = list(
                Complaint.objects.select_for_update(skip_locked=True, of=("self",), no_key=True)
                .select_related("company", "consumer")
                .filter(unassigned(orphans))
                .order_by(*QUEUE_ORDER)[: min(chunk, limit - balance.total)]
            )
            for case in cases:
                policy.ensure(policy.ASSIGN_ADMISSION, by, case)
                officer = min(officers, key=lambda o: (load[o.pk], o.pk))
                _give(case, officer, by=by)
                load[officer.pk] += 1
                balance.given[officer.pk] = balance.given.get(officer.pk, 0) + 1
        if len(cases) < chunk:
            break
    return balance
