"""Every event the outbox can render, and the context its templates read.

Templates live in notifications/templates/notifications/<event>/{subject.txt,body.txt,body.html},
with English msgids; each body.html extends notifications/email/base.html.

Every template can rely on:
    recipient     the User (None for a bare address such as a company's electronic domicile)
    case_number   "DC-YYYY-NNNNNN" or ""
    case_url      absolute URL of the case (the caller passes `case_url`, a path or a full URL;
                  a path is prefixed with settings.SITE_URL; without one it is the site's home)
    site_url      settings.SITE_URL
    formal        True when the message has legal effect (adds the legal footer)

Event-specific keys. "Expected" keys should be passed (a missing one is logged as a warning and
the message still goes out, with a neutral sentence in its place: a notification must never abort
the case move that caused it); "optional" keys may be left out. Dates are datetimes or dates,
formatted by the templates in the recipient's language. Some keys have accepted synonyms (ALIASES),
e.g. `observation` for `observations`.

complaint_received     to the consumer, when the complaint is filed.
    optional: company_name; admission_due (datetime: the office's review target)
complaint_observed     to the consumer, when the officer asks for corrections.
    expected: observations (text; synonym: observation)
    optional: correction_due (datetime; synonym: due)
complaint_admitted     to the consumer, when the complaint is admitted.
    optional: company_name
complaint_rejected     to the consumer, when the complaint is rejected.
    expected: reason (text)
company_served         to the consumer: the company was formally notified of the complaint.
    optional: company_name; hearing_start (datetime)
company_answered       to the consumer: the company answered in writing.
offer_made             to the consumer: the company made an offer.
    expected: offer_text (synonym: terms)
    optional: company_name; offer_amount (synonym: amount); fulfil_by (date the company would
    comply by); answer_due (datetime)
offer_answered         to the company's representatives (and the consumer): the offer was answered.
    expected: answer ("accepted" | "rejected" | "countered"; or accepted=True/False)
    optional: counter_text
hearing_scheduled      to each party: a hearing was scheduled (an .ics is usually attached).
    expected: hearing_start (datetime); optional: hearing_url (absolute URL of the hearing page)
hearing_rescheduled    to each party: the hearing moved.
    expected: hearing_start (datetime, the new time)
    optional: previous_start (datetime); reason; hearing_url
hearing_cancelled      to each party: the hearing was cancelled.
    expected: hearing_start (datetime); optional: reason
hearing_reminder       to each party, shortly before the hearing.
    expected: hearing_start (datetime); optional: hearing_url
outcome_recorded       to each party: the conciliator recorded the outcome.
    expected: outcome_label (already translated text, e.g. "Agreement"); optional: next_steps
recording_available    to the consumer and the company: the hearing's recording can be watched.
    expected: hearing_start (datetime); optional: hearing_url (where the recording is shown)
acta_ready             to each party: the acta is ready to confirm.
    optional: confirm_url (absolute URL); confirm_due (datetime)
compliance_due         to the consumer: the agreement's compliance deadline has come.
    expected: compliance_due (datetime); optional: terms (text)
agreement_breached     to the company's representatives: the consumer reported a breach.
    optional: reported_at (datetime); details
case_update            to the parties: a step that needs no action from them.
    expected: update ("agreement_approved" | "compliance_confirmed" | "absence_accepted" |
    "absence_reactivated"; the template words each one); optional: compliance_due (date)
complaint_withdrawn    to the parties: the consumer withdrew the complaint.  optional: reason
complaint_archived     to the consumer: archived (e.g. not corrected in time).  optional: reason
complaint_referred     to the parties: referred to the legal department (sumario).  optional: reason
company_invitation     to an invited address: join the platform to represent a company.
    expected: company_name, accept_url (absolute)
    optional: invited_by (name); expires_at (datetime); is_admin
deadline_warning       to whoever must act: a deadline is near or past.
    expected: what (already translated text: what must be done), due (datetime)
formal_notice          the cédula itself, to the electronic domicile and the representatives' inboxes.
    expected: company_name, notice_subject, notice_body, notice_url (absolute), deemed_served_at

Rows also carry events that are not rendered here: "account_*" (allauth's own messages, rendered by
allauth and written to the outbox by notifications.account_adapter).
"""

import logging

logger = logging.getLogger("notifications")

EVENTS: dict[str, tuple[str, ...]] = {
    # event: expected context keys
    "complaint_received": (),
    "complaint_observed": ("observations",),
    "complaint_admitted": (),
    "complaint_rejected": ("reason",),
    "company_served": (),
    "company_answered": (),
    "offer_made": ("offer_text",),
    "offer_answered": ("answer",),
    "hearing_scheduled": ("hearing_start",),
    "hearing_rescheduled": ("hearing_start",),
    "hearing_cancelled": ("hearing_start",),
    "hearing_reminder": ("hearing_start",),
    "outcome_recorded": ("outcome_label",),
    "recording_available": ("hearing_start",),
    "acta_ready": (),
    "compliance_due": ("compliance_due",),
    "agreement_breached": (),
    "case_update": ("update",),
    "complaint_withdrawn": (),
    "complaint_archived": (),
    "complaint_referred": (),
    "company_invitation": ("company_name", "accept_url"),
    "deadline_warning": ("what", "due"),
    "formal_notice": ("company_name", "notice_subject", "notice_body", "notice_url", "deemed_served_at"),
}

# event: {synonym: key the templates read}
ALIASES: dict[str, dict[str, str]] = {
    "complaint_observed": {"observation": "observations", "due": "correction_due"},
    "offer_made": {"terms": "offer_text", "amount": "offer_amount"},
}


class UnknownEvent(ValueError):
    pass


def prepare_context(event: str, context: dict) -> dict:
    """The context the templates read: synonyms resolved. An unknown event is a programming error
    and fails at the call; a missing expected key is logged and the message still goes out."""
    if event not in EVENTS:
        raise UnknownEvent(f"Unknown notification event {event!r}.")
    prepared = dict(context)
    for synonym, key in ALIASES.get(event, {}).items():
        if prepared.get(key) in (None, "") and prepared.get(synonym) not in (None, ""):
            prepared[key] = prepared[synonym]
    if event == "offer_answered" and not prepared.get("answer") and "accepted" in prepared:
        prepared["answer"] = "accepted" if prepared["accepted"] else "rejected"
    missing = [key for key in EVENTS[event] if prepared.get(key) in (None, "")]
    if missing:
        logger.warning("Notification event %r is missing context keys: %s.", event, ", ".join(missing))
    return prepared
