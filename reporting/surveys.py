"""The satisfaction surveys: asked once per party when a case ends, answered once through the link,
reminded once.

    surveys_ask(complaint_id=…)     a task queued when a case moves into a closing state
                                    (reporting/receivers.py, reporting/tasks_surveys.py): one survey
                                    for the consumer and one per company part served, each invited
                                    by message; a second closing asks nobody twice.
    surveys_ask_missed()            beat, hourly: the cases closed within SURVEY_LINK_DAYS that still
                                    lack a survey (the task was lost: broker down, worker dead) are
                                    asked now; the same idempotent `surveys_ask`.
    survey_answer(survey=…, by=…)   the answers, under the survey's row lock: once only.
    surveys_invite_unsent()         beat, hourly: a survey nobody could receive when it was made
                                    (a company without representative nor electronic domicile, an
                                    inactive consumer) is sent once someone can; it keeps its expiry.
    surveys_remind()                beat, hourly (reporting/tasks_surveys.py): one reminder per
                                    survey still unanswered after SURVEY_REMINDER_DAYS, claimed by a
                                    conditional UPDATE so that two workers never send it twice, and
                                    only when someone receives it.
    survey_comments_blank(…)        the case's personal data is removed: the comments go too.

Who receives a survey's messages is one rule, `recipients`: the case's consumer while their account
is active; for a company, its active representatives, or its electronic domicile when it has none.
Each recipient is written in a savepoint of its own: one who cannot be written to is logged and the
others still get theirs. A survey counts as sent once one recipient got it.

Who may answer is one rule, `why_not_answer`, asked by the page and by the service under the lock.
The link is the credential: without signing in, whoever holds it answers; signed in, only the
respondent (the case's consumer, or a representative of the part's company) may.

The comment is free text and never leaves the office: the indicators read only the scores."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from complaints.models import CaseCompany, CaseEvent, Complaint
from complaints.services import lock_case
from complaints.states import CLOSED_STATES
from notifications.services import notify, notify_address
from parties.models import Representation, User

from .models import Survey
from .survey_links import survey_url

logger = logging.getLogger("reporting")

COMMENT_MAX = 2000
REMIND_BATCH = 500
REMIND_MAX_BATCHES = 20
ASK_BATCH = 1000  # closed cases the sweeper asks per run; the next run takes the rest
INVITATION = "survey_invitation"
REMINDER = "survey_reminder"

# Why a survey cannot be answered now.
INVALID = "invalid"  # the link no longer opens it (its nonce changed)
NOT_RESPONDENT = "not_respondent"  # signed in as someone the survey is not for
ANSWERED = "answered"
EXPIRED = "expired"


@dataclass(frozen=True)
class SurveyRefusal:
    reason: str  # one of the constants above
    message: str

    @property
    def forbidden(self) -> bool:
        """About who the person is (a 403), not about the survey's moment."""
        return self.reason == NOT_RESPONDENT


class SurveyError(Exception):
    def __init__(self, refusal: SurveyRefusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


# --- Who answers -----------------------------------------------------------------------------------


def is_respondent(user: User, survey: Survey) -> bool:
    """The case's consumer for the consumer's survey; an active representative of the part's company
    for a company's."""
    if survey.respondent == Survey.Respondent.CONSUMER:
        return user.pk == survey.complaint.consumer_id
    part = survey.part
    if part is None or part.company_id is None:
        return False
    return Representation.objects.active().filter(user_id=user.pk, company_id=part.company_id).exists()


def why_not_answer(survey: Survey, user: User | None, *, now: datetime | None = None) -> SurveyRefusal | None:
    """None when `user` (None: not signed in, the link alone) may answer `survey` now."""
    if user is not None and user.is_authenticated and not is_respondent(user, survey):
        return SurveyRefusal(
            NOT_RESPONDENT,
            _(
                "This survey was sent to someone else, and you are signed in with another account. "
                "If the message was sent to you, sign out and open the link again."
            ),
        )
    if survey.answered_at is not None:
        return SurveyRefusal(ANSWERED, _("This survey was already answered. Thank you!"))
    if survey.expires_at <= (now or timezone.now()):
        return SurveyRefusal(EXPIRED, _("This survey closed on %(day)s.") % {"day": _day(survey.expires_at)})
    return None


def _day(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "DATE_FORMAT")


# --- Asking ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipients:
    """Who a survey's messages go to: people with an account, or a company's electronic domicile."""

    people: list[User] = field(default_factory=list)
    domicile: str = ""

    def __bool__(self) -> bool:
        return bool(self.people or self.domicile)


def recipients(survey: Survey, case: Complaint, *, representatives: dict[int, list[User]] | None = None) -> Recipients:
    """The consumer while their account is active; a company's active representatives, or its
    electronic domicile (where the office reaches a company without an account) when it has none.
    `representatives`: already read for several companies at once (`_representatives`)."""
    if survey.respondent == Survey.Respondent.CONSUMER:
        consumer = case.consumer
        return Recipients(people=[consumer] if consumer.is_active else [])
    company = survey.part.company if survey.part is not None else None
    if company is None:
        return Recipients()
    found = representatives if representatives is not None else _representatives({company.pk})
    people = found.get(company.pk, [])
    if people:
        return Recipients(people=people)
    return Recipients(domicile=company.electronic_domicile.strip().lower())


def surveys_ask(*, complaint_id: int, now: datetime | None = None) -> list[Survey]:
    """Create the surveys a closed case still lacks and invite each party; returns the new ones.

    Under the case's lock, so a move and this never interleave; the unique constraints (one
    consumer survey per case, one per part) back it up. A company part never served is not asked, nor
    one whose company is not in the registry (nobody could answer for it). A survey nobody could
    receive now is made unsent (sent_at empty): `surveys_invite_unsent` sends it once someone can."""
    now = now or timezone.now()
    with transaction.atomic():
        case = lock_case(complaint_id)
        if case.status not in CLOSED_STATES:
            return []  # reopened before this ran: it is asked when it closes again
        existing = list(Survey.objects.filter(complaint_id=case.pk).values_list("respondent", "part_id"))
        asked_parts = {part_id for _respondent, part_id in existing if part_id is not None}
        consumer_asked = any(respondent == Survey.Respondent.CONSUMER for respondent, _part in existing)
        parts = [
            part
            for part in CaseCompany.objects.filter(
                complaint_id=case.pk, notified_at__isnull=False, company__isnull=False
            ).select_related("company")
            if part.pk not in asked_parts
        ]
        representatives = _representatives({part.company_id for part in parts if part.company_id})
        expires_at = now + timedelta(days=settings.SURVEY_LINK_DAYS)
        surveys = [] if consumer_asked else [Survey(respondent=Survey.Respondent.CONSUMER)]
        surveys += [Survey(respondent=Survey.Respondent.COMPANY, part=part) for part in parts]
        for survey in surveys:
            survey.complaint, survey.expires_at = case, expires_at
            survey.save()
            to = recipients(survey, case, representatives=representatives)
            if _send(survey, case, to, INVITATION):
                survey.sent_at = now
                survey.save(update_fields=["sent_at"])
    return surveys


def cases_missing_surveys(*, now: datetime | None = None, limit: int = ASK_BATCH) -> list[int]:
    """The cases that moved into a closing state within SURVEY_LINK_DAYS, are still closed, and lack
    the consumer's survey or a served company's. From the case events' `created_at` index; each
    case then by the surveys' unique indexes (one per consumer, one per part)."""
    since = (now or timezone.now()) - timedelta(days=settings.SURVEY_LINK_DAYS)
    consumer_asked = Survey.objects.filter(complaint_id=OuterRef("complaint_id"), respondent=Survey.Respondent.CONSUMER)
    part_unasked = CaseCompany.objects.filter(
        complaint_id=OuterRef("complaint_id"), notified_at__isnull=False, company__isnull=False
    ).filter(~Exists(Survey.objects.filter(part_id=OuterRef("pk"))))
    return list(
        CaseEvent.objects.filter(created_at__gte=since, to_state__in=CLOSED_STATES, complaint__status__in=CLOSED_STATES)
        .filter(~Exists(consumer_asked) | Exists(part_unasked))
        .order_by()
        .values_list("complaint_id", flat=True)
        .distinct()[:limit]
    )


def surveys_ask_missed(*, now: datetime | None = None) -> int:
    """Beat: ask the cases whose survey task was lost. Returns how many surveys were made."""
    made = 0
    for complaint_id in cases_missing_surveys(now=now):
        try:
            made += len(surveys_ask(complaint_id=complaint_id, now=now))
        except Exception:
            logger.exception("Could not ask the parties of case %s for their survey.", complaint_id)
    if made:
        logger.warning("Asked %s surveys the closing's task had not made.", made)
    return made


def _representatives(company_ids: set[int]) -> dict[int, list[User]]:
    """Each company's active representatives, in one query."""
    found: dict[int, list[User]] = {}
    if not company_ids:
        return found
    for representation in (
        Representation.objects.active()
        .filter(company_id__in=company_ids, user__is_active=True)
        .select_related("user")
        .order_by("company_id", "pk")
    ):
        found.setdefault(representation.company_id, []).append(representation.user)
    return found


def _send(survey: Survey, case: Complaint, to: Recipients, event: str) -> int:
    """The invitation or the reminder, each in its recipient's language, carrying the link. Each
    recipient in a savepoint: one who cannot be written to is logged, the others still get theirs.
    Returns how many recipients it was written for."""
    link = survey_url(survey)
    context: dict[str, object] = {
        "survey_url": link,
        # The short text of an SMS or a WhatsApp message carries `case_url`: there, the link.
        "case_url": link,
        "case_number": case.number or "",
        "respondent": survey.respondent,
        "expires_at": survey.expires_at,
    }
    if survey.part is not None:
        context["company_name"] = survey.part.display_name
    kind = "invitation" if event == INVITATION else "reminder"
    key = f"survey:{survey.pk}:{kind}"
    number = case.number or ""
    writes: list[Callable[[], object]] = [
        partial(notify, recipient=person, event=event, context=context, idempotency_key=key, case_number=number)
        for person in to.people
    ]
    if to.domicile:
        writes.append(
            partial(
                notify_address, email=to.domicile, event=event, context=context, idempotency_key=key, case_number=number
            )
        )
    reached = 0
    for write in writes:
        try:
            with transaction.atomic():
                write()
        except Exception:
            logger.exception("Could not write the %s of survey %s to one of its recipients.", kind, survey.pk)
        else:
            reached += 1
    return reached


# --- Answering -------------------------------------------------------------------------------------


def survey_answer(
    *,
    survey: Survey,
    by: User | None,
    satisfaction: int,
    solved: str,
    would_use_again: bool,
    comment: str = "",
    now: datetime | None = None,
) -> Survey:
    """Record the answers, once. `survey` is the one the link opened (its nonce is checked again
    under the lock); `by` the signed-in respondent, or None when the link alone was used."""
    comment = comment.strip()
    if satisfaction not in range(1, 6) or solved not in Survey.Solved.values or len(comment) > COMMENT_MAX:
        raise ValueError("Survey answers out of range: the form checks them first.")
    now = now or timezone.now()
    user = by if by is not None and by.is_authenticated else None
    with transaction.atomic():
        locked = (
            Survey.objects.select_for_update(of=("self",))
            .select_related("complaint", "part__company")
            .filter(pk=survey.pk)
            .first()
        )
        if locked is None or not constant_time_compare(locked.nonce, survey.nonce):
            raise SurveyError(SurveyRefusal(INVALID, _("This link is not valid.")))
        refusal = why_not_answer(locked, user, now=now)
        if refusal is not None:
            raise SurveyError(refusal)
        locked.satisfaction = satisfaction
        locked.solved = solved
        locked.would_use_again = would_use_again
        locked.comment = comment
        locked.answered_at = now
        locked.answered_by = user
        locked.save(
            update_fields=["satisfaction", "solved", "would_use_again", "comment", "answered_at", "answered_by"]
        )
    return locked


# --- Reminding ------------------------------------------------------------------------------------


class NobodyReached(Exception):
    """Every recipient failed: the claim is rolled back, and the next run tries again."""


def surveys_invite_unsent(*, now: datetime | None = None) -> int:
    """Send, once, each open survey that nobody could receive when it was made, now that someone can
    (a company got a representative or an electronic domicile, a consumer's account is active
    again). It keeps its expiry. Returns how many were sent. Claimed like the reminder."""
    now = now or timezone.now()
    return _sweep(
        Survey.objects.filter(sent_at__isnull=True, answered_at__isnull=True, expires_at__gt=now),
        stamp="sent_at",
        event=INVITATION,
        now=now,
    )


def surveys_remind(*, now: datetime | None = None) -> int:
    """Remind once every survey sent SURVEY_REMINDER_DAYS ago or more, still unanswered and open,
    when someone can receive the reminder. Returns how many surveys were reminded. Each one is
    claimed by a conditional UPDATE in the transaction that writes its messages: a second worker's
    UPDATE finds it claimed and sends nothing; a failure rolls the claim back, and the next run
    tries it again; a survey nobody would receive is left unclaimed, for a later run."""
    now = now or timezone.now()
    sent_before = now - timedelta(days=settings.SURVEY_REMINDER_DAYS)
    # The partial index `survey_to_remind` (sent_at WHERE unanswered and not reminded).
    return _sweep(
        Survey.objects.filter(
            answered_at__isnull=True, reminded_at__isnull=True, sent_at__lte=sent_before, expires_at__gt=now
        ),
        stamp="reminded_at",
        event=REMINDER,
        now=now,
    )


def _sweep(due: QuerySet[Survey], *, stamp: str, event: str, now: datetime) -> int:
    """Walk `due` in pk order, a batch at a time (a keyset, so a survey left unclaimed is not read
    again in this run), sending `event` for each one this worker claims."""
    done = 0
    after = 0
    for _batch in range(REMIND_MAX_BATCHES):
        batch = list(due.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:REMIND_BATCH])
        if not batch:
            break
        after = batch[-1]
        for pk in batch:
            try:
                done += _claim_and_send(pk, stamp=stamp, event=event, now=now)
            except Exception:
                what = "remind" if event == REMINDER else "send"
                logger.exception("Could not %s survey %s; the next run tries again.", what, pk)
    return done


def _claim_and_send(pk: int, *, stamp: str, event: str, now: datetime) -> int:
    """Claim the survey (`stamp` still empty, unanswered, open) and send `event`, in one transaction."""
    with transaction.atomic():
        survey = Survey.objects.select_related("complaint__consumer", "part__company").get(pk=pk)
        to = recipients(survey, survey.complaint)
        if not to:
            return 0  # nobody would receive it: left as it is, for a run when someone can
        unclaimed = {f"{stamp}__isnull": True, "answered_at__isnull": True, "expires_at__gt": now}
        if not Survey.objects.filter(pk=pk, **unclaimed).update(**{stamp: now}):
            return 0  # answered, or claimed by another worker meanwhile
        setattr(survey, stamp, now)
        if not _send(survey, survey.complaint, to, event):
            raise NobodyReached(pk)
    return 1


# --- Personal data ---------------------------------------------------------------------------------


def survey_comments_blank(*, complaint_id: int) -> int:
    """The case's personal data is removed (privacy/services/anonymisation.py): its surveys keep
    their scores and lose their comments."""
    return Survey.objects.filter(complaint_id=complaint_id).exclude(comment="").update(comment="")
