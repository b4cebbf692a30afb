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

Event-specific keys. Required keys must be passed; optional ones may be missing (the templates
fall back to a neutral sentence). Dates are datetimes; they are formatted in the recipient's
language by the templates.

complaint_received     to the consumer, when the complaint is filed.
    company_name (required); admission_due (optional, datetime: the office's review target)
complaint_observed     to the consumer, when the officer asks for corrections.
    observations (required, text); correction_due (optional, datetime)
complaint_admitted     to the consumer, when the complaint is admitted.
    company_name (optional)
complaint_rejected     to the consumer, when the complaint is rejected.
    reason (required, text)
company_served         to the consumer: the company was formally notified of the complaint.
    company_name (required); hearing_start (optional, datetime)
offer_made             to the consumer: the company made an offer.
    company_name (required); offer_text (required); offer_amount (optional, text with currency)
    answer_due (optional, datetime)
offer_answered         to the company's representatives: the consumer answered the offer.
    answer (required, "accepted" | "rejected" | "countered"); counter_text (optional)
hearing_scheduled      to each party: a hearing was scheduled (an .ics is usually attached).
    hearing_start (required, datetime); hearing_url (optional, absolute URL of the hearing page)
hearing_rescheduled    to each party: the hearing moved.
    hearing_start (required, datetime, the new time); previous_start (optional, datetime)
    reason (optional); hearing_url (optional)
hearing_cancelled      to each party: the hearing was cancelled.
    hearing_start (required, datetime); reason (optional)
hearing_reminder       to each party, shortly before the hearing.
    hearing_start (required, datetime); hearing_url (optional)
outcome_recorded       to each party: the conciliator recorded the outcome.
    outcome_label (required, already translated text, e.g. "Agreement"); next_steps (optional)
acta_ready             to each party: the acta is ready to confirm.
    confirm_url (optional, absolute URL); confirm_due (optional, datetime)
compliance_due         to the consumer: the agreement's compliance deadline has come.
    compliance_due (required, datetime); terms (optional, text)
agreement_breached     to the company's representatives: the consumer reported a breach.
    reported_at (optional, datetime); details (optional)
company_invitation     to an invited address: join the platform to represent a company.
    company_name (required); accept_url (required, absolute); invited_by (optional, name)
    expires_at (optional, datetime)
deadline_warning       to whoever must act: a deadline is near.
    what (required, already translated text: what must be done); due (required, datetime)
formal_notice          the cédula itself, to the electronic domicile and the representatives' inboxes.
    company_name (required); notice_subject (required); notice_body (required); notice_url
    (required, absolute); deemed_served_at (required, datetime)

Rows also carry events that are not rendered here: "account_*" (allauth's own messages, rendered by
allauth and written to the outbox by notifications.account_adapter).
"""

EVENTS: dict[str, tuple[str, ...]] = {
    # event: required context keys
    "complaint_received": ("company_name",),
    "complaint_observed": ("observations",),
    "complaint_admitted": (),
    "complaint_rejected": ("reason",),
    "company_served": ("company_name",),
    "offer_made": ("company_name", "offer_text"),
    "offer_answered": ("answer",),
    "hearing_scheduled": ("hearing_start",),
    "hearing_rescheduled": ("hearing_start",),
    "hearing_cancelled": ("hearing_start",),
    "hearing_reminder": ("hearing_start",),
    "outcome_recorded": ("outcome_label",),
    "acta_ready": (),
    "compliance_due": ("compliance_due",),
    "agreement_breached": (),
    "company_invitation": ("company_name", "accept_url"),
    "deadline_warning": ("what", "due"),
    "formal_notice": ("company_name", "notice_subject", "notice_body", "notice_url", "deemed_served_at"),
}


class UnknownEvent(ValueError):
    pass


def check_context(event: str, context: dict) -> None:
    """A programming error (unknown event, missing key) fails loudly at the call, not in a worker."""
    if event not in EVENTS:
        raise UnknownEvent(f"Unknown notification event {event!r}.")
    missing = [key for key in EVENTS[event] if context.get(key) in (None, "")]
    if missing:
        raise ValueError(f"Event {event!r} needs context keys: {', '.join(missing)}.")
