"""Every event the outbox can render, and the context its templates read: declared once, here.

Templates live in notifications/templates/notifications/<event>/{subject.txt,body.txt,body.html},
with English msgids; each body.html extends notifications/email/base.html.

How an event is declared
    One `Event(...)` per event in EVENTS, with `required` and `optional` keys, each mapped to what it
    may hold: TEXT (a str or a lazy translation), MOMENT (a date or a datetime, formatted by the
    templates in the recipient's language), MONEY (a Decimal), URL (a str: an absolute URL, or for
    `case_url` a path), FLAG (a bool), any other type (e.g. int) or tuple of types, or a frozenset of
    the exact strings allowed. Every event also accepts the COMMON keys (case_number, case_url).
    A new event is one entry plus its templates, e.g.

        "something_happened": Event(required={"what": TEXT}, optional={"detected_at": MOMENT}),

Checked when it is written
    `prepare_context`, called by notify() and notify_address(), checks a context against its
    declaration. An unknown event is always refused (ValueError at the call). A missing required key
    (absent, None or ""), an undeclared key or a value of the wrong kind is a programming error:
    - outside production (tests, development) it raises ContextError at the call;
    - in production the case move must not abort because of a notification: the error is logged
      loudly (logger "notifications", level ERROR, naming the event and the keys), undeclared and
      ill-typed keys are dropped, and the message goes out with the template's neutral sentence in
      place of what is missing.

Every template can also rely on (added by the outbox, never passed by callers):
    recipient     the User (None for a bare address such as a company's electronic domicile)
    case_number   "DC-YYYY-NNNNNN" or ""
    case_url      absolute URL of the case (a path passed as `case_url` is prefixed with
                  settings.SITE_URL; without one it is the site's home)
    site_url      settings.SITE_URL
    formal        True when the message has legal effect (adds the legal footer)

Rows also carry events that are not rendered here: "account_*" (allauth's own messages, rendered by
allauth and written to the outbox by notifications.account_adapter).
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.utils.functional import Promise

logger = logging.getLogger("notifications")

Kind = type | tuple[type, ...] | frozenset[str]

TEXT: Kind = (str, Promise)
MOMENT: Kind = date  # a datetime is a date too
MONEY: Kind = Decimal
URL: Kind = str
FLAG: Kind = bool

# Every event accepts these; notify_case_parties and notify_hearing pass them.
COMMON: dict[str, Kind] = {"case_number": TEXT, "case_url": URL}
# What notify_hearing passes with every event it sends.
HEARING: dict[str, Kind] = {"hearing_start": MOMENT, "hearing_url": URL}


@dataclass(frozen=True)
class Event:
    required: Mapping[str, Kind] = field(default_factory=dict)
    optional: Mapping[str, Kind] = field(default_factory=dict)

    def kind_of(self, key: str) -> Kind | None:
        return self.required.get(key) or self.optional.get(key) or COMMON.get(key)


CASE_UPDATES = frozenset(
    {"agreement_approved", "compliance_confirmed", "absence_accepted", "absence_reactivated", "concluded"}
)
LEGAL_UPDATES = frozenset(
    {
        "received",
        "charged",
        "archived",
        "defence_filed",
        "defence_lapsed",
        "sanctioned",
        "dismissed",
        "appealed",
        "final",
        # legal/: a notice served (its window starts), a reminder before a window closes, an appeal's result.
        "charge_served",
        "resolution_served",
        "defence_reminder",
        "appeal_reminder",
        "sanction_confirmed",
        "fine_reduced",
        "sanction_revoked",
    }
)

EVENTS: dict[str, Event] = {
    # To the consumer, when the complaint is filed. admission_due: the office's review target.
    "complaint_received": Event(optional={"company_name": TEXT, "admission_due": MOMENT}),
    # To the consumer, when the officer asks for corrections.
    "complaint_observed": Event(required={"observations": TEXT}, optional={"correction_due": MOMENT}),
    "complaint_admitted": Event(optional={"company_name": TEXT}),
    "complaint_rejected": Event(required={"reason": TEXT}),
    # To the consumer: the company was formally notified of the complaint.
    "company_served": Event(optional={"company_name": TEXT, "hearing_start": MOMENT}),
    # To the consumer: the company answered in writing.
    "company_answered": Event(),
    # To the consumer: the company made an offer. fulfil_by: the day the company would comply by.
    "offer_made": Event(
        required={"offer_text": TEXT},
        optional={
            "company_name": TEXT,
            "offer_amount": MONEY,
            "fulfil_by": MOMENT,
            "answer_due": MOMENT,
            # In instalments: [{"number": int, "due": date, "amount": Decimal}, …] (Offer.instalment_rows).
            "offer_instalments": list,
        },
    ),
    # To the company's representatives (and the consumer, when accepted): the offer was answered.
    "offer_answered": Event(
        required={"answer": frozenset({"accepted", "rejected", "countered"})},
        optional={"counter_text": TEXT, "counter_amount": MONEY},
    ),
    # To each party of a hearing (an .ics is usually attached to the first three).
    "hearing_scheduled": Event(required={"hearing_start": MOMENT}, optional={"hearing_url": URL}),
    "hearing_rescheduled": Event(
        required={"hearing_start": MOMENT}, optional={"previous_start": MOMENT, "reason": TEXT, "hearing_url": URL}
    ),
    "hearing_cancelled": Event(required={"hearing_start": MOMENT}, optional={"reason": TEXT, "hearing_url": URL}),
    "hearing_reminder": Event(required={"hearing_start": MOMENT}, optional={"hearing_url": URL}),
    # outcome_label: already translated (lazy) text, e.g. "Agreement"; reason: why it was adjourned.
    "outcome_recorded": Event(
        required={"outcome_label": TEXT}, optional={"next_steps": TEXT, "reason": TEXT, **HEARING}
    ),
    # hearing_url: where the recording is shown.
    "recording_available": Event(required={"hearing_start": MOMENT}, optional={"hearing_url": URL}),
    "acta_ready": Event(optional={"confirm_url": URL, "confirm_due": MOMENT, **HEARING}),
    # To the consumer: the agreement's compliance deadline has come.
    "compliance_due": Event(required={"compliance_due": MOMENT}, optional={"terms": TEXT}),
    # To the company's representatives: the consumer reported a breach.
    "agreement_breached": Event(optional={"reported_at": MOMENT, "details": TEXT}),
    # To the parties: a step that needs no action from them; the template words each `update`.
    "case_update": Event(required={"update": CASE_UPDATES}, optional={"compliance_due": MOMENT}),
    "complaint_withdrawn": Event(optional={"reason": TEXT}),
    "complaint_archived": Event(optional={"reason": TEXT}),
    "complaint_referred": Event(optional={"reason": TEXT}),
    # To the company's representatives (and, for a charge or a resolution, its electronic domicile,
    # formally) and to the consumer: a move of the company's sanction proceeding (legal/). due: the
    # defence or appeal deadline; text: the charge, resolution or appeal; fine_units: unidades fijas.
    "legal_update": Event(
        required={"update": LEGAL_UPDATES, "company_name": TEXT},
        optional={"due": MOMENT, "text": TEXT, "reason": TEXT, "act_number": TEXT, "fine_units": int},
    ),
    # To an invited address: join the platform to represent a company.
    "company_invitation": Event(
        required={"company_name": TEXT, "accept_url": URL},
        optional={"invited_by": TEXT, "expires_at": MOMENT, "is_admin": FLAG},
    ),
    # To whoever must act: a deadline is near or past. what: already translated text.
    # No longer sent (the supervisors' daily digest replaced it, oversight/); kept so that the messages
    # already in people's inboxes still render.
    "deadline_warning": Event(required={"what": TEXT, "due": MOMENT}),
    # To whoever must act on a wait (oversight/rules.py): what (lazy, translated when rendered), by
    # when, whether it already passed, and the page where to act.
    "clock_reminder": Event(required={"what": TEXT, "due": MOMENT}, optional={"overdue": FLAG, "action_url": URL}),
    # To each supervisor, once a day: the waits overdue and at risk, per rule. lines: one per rule,
    # already translated; list_url: the at-risk / overdue list.
    "clock_digest": Event(
        required={"overdue_total": int, "at_risk_total": int, "lines": TEXT, "list_url": URL},
        optional={"day": MOMENT},
    ),
    # The cédula itself, to the electronic domicile and the representatives' inboxes.
    "formal_notice": Event(
        required={
            "company_name": TEXT,
            "notice_subject": TEXT,
            "notice_body": TEXT,
            "notice_url": URL,
            "deemed_served_at": MOMENT,
        }
    ),
    # To every supervisor: the nightly check found case records that do not match their chain
    # (complaints/tasks_integrity.py). details: already translated, one line per break.
    "integrity_alert": Event(
        required={"broken_cases": int, "cases_checked": int, "details": TEXT}, optional={"checked_at": MOMENT}
    ),
    # To a company's representative: the office validated or rejected the power they uploaded.
    "power_decided": Event(
        required={"company_name": TEXT, "decision": frozenset({"validated", "rejected"})},
        optional={"reason": TEXT, "company_url": URL},
    ),
    # To the consumer and the person named to represent them in a case: named, validated, rejected, revoked.
    "consumer_rep_update": Event(
        required={"update": frozenset({"named", "validated", "rejected", "revoked"}), "representative_name": TEXT},
        optional={"reason": TEXT},
    ),
    # To the consumer: the office is not competent and sent the case to another authority.
    "complaint_referred_out": Event(
        required={"authority_name": TEXT, "reason": TEXT}, optional={"authority_website": URL}
    ),
    # To each party and both conciliators: the hearing stays at its time with another conciliator
    # (the first one is on leave). reason: the office's words; released: to the conciliator who no
    # longer holds it (the attached invitation is the CANCEL that drops it from their calendar).
    "hearing_reassigned": Event(
        required={"hearing_start": MOMENT, "conciliator_name": TEXT},
        optional={"previous_conciliator_name": TEXT, "reason": TEXT, "hearing_url": URL, "released": FLAG},
    ),
    # To a hearing's guest (companion, interpreter): their personal link to the room. guest_kind: translated.
    "hearing_guest_invited": Event(
        required={"hearing_start": MOMENT, "guest_url": URL, "guest_kind": TEXT}, optional={"guest_name": TEXT}
    ),
    # To a hearing's guest: their hearing was moved (hearing_start: the new time) or cancelled.
    "hearing_guest_update": Event(
        required={"hearing_start": MOMENT, "guest_kind": TEXT, "change": frozenset({"moved", "cancelled"})},
        optional={"guest_name": TEXT, "previous_start": MOMENT},
    ),
    # To the consumer, or to each active representative of a company served in the case: the case
    # ended, how was the service? (reporting/surveys.py). survey_url: the signed, single-use link that
    # opens the survey without signing in; the caller also passes it as case_url, so the SMS and
    # WhatsApp short text carries it. company_name: the company's part the survey is about.
    "survey_invitation": Event(
        required={"survey_url": URL, "respondent": frozenset({"consumer", "company"}), "expires_at": MOMENT},
        optional={"company_name": TEXT},
    ),
    # The same people, once, when the survey is still unanswered after SURVEY_REMINDER_DAYS.
    "survey_reminder": Event(
        required={"survey_url": URL, "respondent": frozenset({"consumer", "company"}), "expires_at": MOMENT},
        optional={"company_name": TEXT},
    ),
    # To a company's representative: a served case was assigned to them (complaints/services/assignment.py),
    # or `count` cases at once (a bulk assignment: one notice, not one per case). assigned_by: the
    # administrator's name; absent when the company's assignment rules gave it at service. cases_url:
    # the company's list of their cases.
    "case_assigned": Event(
        required={"company_name": TEXT}, optional={"count": int, "assigned_by": TEXT, "cases_url": URL}
    ),
    # To the representative who asked the company desk to acknowledge a large selection in the background
    # (complaints/tasks_assignment.py), in their inbox, when `count` of its `total` cases could not be
    # acknowledged (they lost their representation meanwhile, a case is no longer the company's).
    # cases_url: the company's cases not yet acknowledged.
    "cases_not_acknowledged": Event(
        required={"company_name": TEXT, "count": int, "total": int}, optional={"cases_url": URL}
    ),
    # To each administrator of a company: one of its webhook endpoints was switched off after `failures`
    # failed attempts in a row (api/webhooks/delivery.py). manage_url: the endpoint's delivery log page.
    "webhook_disabled": Event(
        required={"endpoint_url": URL, "failures": int, "company_name": TEXT},
        optional={"disabled_at": MOMENT, "manage_url": URL},
    ),
    # To the supervisors, in their inbox and by e-mail: a formal message did not reach its party, or an
    # e-mail bounced for good (notifications/feedback.py). what: "failed", "undelivered" or "bounced"
    # (the provider's report), or "not_sent" (refused at hand-off, or every attempt failed); channel: the
    # channel's name, translated; address: where it went; fallback_channel: the channel the formal
    # message was sent again by, translated (absent when there was none); also_sent_by: when nothing was
    # sent again, another channel the same message went by that has not failed, translated;
    # deemed_served_at: for a cédula, when it counts as served whatever happened to this copy;
    # failures_url: the failed messages page, filtered to the case; bounced_addresses_url: the page
    # where the office clears the address's mark once it works again (a hard bounce only). The rows
    # carry no case number (they are no part of the case file); case_number names the case in the text.
    "delivery_failed": Event(
        required={
            "what": frozenset({"failed", "undelivered", "bounced", "not_sent"}),
            "channel": TEXT,
            "address": TEXT,
        },
        optional={
            "original_event": TEXT,
            "error": TEXT,
            "fallback_channel": TEXT,
            "also_sent_by": TEXT,
            # The failed message was a formal notice (`formal` itself is the office message's own flag).
            "was_formal": FLAG,
            "deemed_served_at": MOMENT,
            "failures_url": URL,
            "bounced_addresses_url": URL,
        },
    ),
}


class UnknownEvent(ValueError):
    pass


class ContextError(ValueError):
    """A context that does not match its event's declaration: a programming error at the call."""


def _empty(value: object) -> bool:
    return value is None or value == ""


def _fits(value: object, kind: Kind) -> bool:
    if isinstance(kind, frozenset):
        return isinstance(value, str) and value in kind
    return isinstance(value, kind)


def prepare_context(event: str, context: Mapping[str, object]) -> dict:
    """The context the templates read, checked against the event's declaration (see the module's
    docstring for what happens to a context that does not match it)."""
    if event not in EVENTS:
        raise UnknownEvent(f"Unknown notification event {event!r}.")
    declared = EVENTS[event]
    missing = [key for key in declared.required if _empty(context.get(key))]
    unknown = [key for key in context if declared.kind_of(key) is None]
    ill_typed = [
        key
        for key, value in context.items()
        if key not in unknown and not _empty(value) and not _fits(value, declared.kind_of(key))  # type: ignore[arg-type]
    ]
    if not (missing or unknown or ill_typed):
        return dict(context)
    problem = "; ".join(
        part
        for part in (
            f"missing {', '.join(missing)}" if missing else "",
            f"undeclared {', '.join(unknown)}" if unknown else "",
            f"of the wrong kind {', '.join(ill_typed)}" if ill_typed else "",
        )
        if part
    )
    if not settings.PRODUCTION:
        raise ContextError(f"Notification event {event!r}: context keys {problem} (see notifications/events.py).")
    logger.error(
        "Notification event %r written with a context that does not match its declaration: %s.", event, problem
    )
    return {key: value for key, value in context.items() if key not in unknown and key not in ill_typed}
