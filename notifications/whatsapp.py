"""WhatsApp's rules, declared once: the approved template of each event and the conversation window.

Outside the 24-hour customer-service window (opened by the person's last message to us, see
`WhatsAppWindow`) WhatsApp delivers only templates approved in advance; free text sent there is
accepted by Twilio and then fails with error 63016. So each event is sent as a template registered
in Twilio's Content API, whose SID the office puts in settings.WHATSAPP_CONTENT_SIDS:

    {"hearing_reminder": {"es-ar": "HX…", "en": "HX…"}, "*": {"es-ar": "HX…", "en": "HX…"}}

`TEMPLATES` says, for every event, which values fill the template's {{1}}, {{2}}… in order: keys of
the event's declared context (notifications/events.py), or the row's own `subject` (rendered by the
worker before sending); `case_number` and `case_url` come from the row and its context. An event
marked GENERIC is sent with the "*" template: case number, subject and link. The template texts
below are what the office submits for approval (`manage.py whatsapp_templates` prints them as
Content API requests, docs/whatsapp-templates.md), so the code and the registered templates read
the same declaration. Twilio does not refuse a message whose variables miss some of a template's: it
fills them with the samples registered for approval, and the person reads those. So
`manage.py whatsapp_templates --check` compares each configured SID's registered variables with
this declaration.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import dateformat, formats, timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from notifications import codec
from notifications.events import EVENTS
from notifications.models import Notification, WhatsAppWindow
from notifications.rendering import absolute_url, supported_language
from parties.validators import normalize_phone

GENERIC_KEY = "*"
# Values that come from the row itself rather than from the event's declared context.
ROW_VARIABLES = frozenset({"case_number", "case_url", "subject"})
# WhatsApp refuses a variable with a line break, a tab or more than four spaces in a row, and an
# empty one; Twilio allows 1,600 characters and recommends fewer than 250.
VARIABLE_MAX = 250
EMPTY = "—"
_WHITESPACE = re.compile(r"\s+")
PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")


@dataclass(frozen=True)
class Template:
    """One approved template: the text submitted for approval (an English msgid, translated for
    each language) and the values of its placeholders, in order."""

    name: str
    text: Promise
    variables: tuple[str, ...]


GENERIC = Template(
    "concilia_case_update",
    _("Concilia, case {{1}}: {{2}}. See the details at {{3}}"),
    ("case_number", "subject", "case_url"),
)

TEMPLATES: dict[str, Template | None] = {event: None for event in EVENTS}  # None: the GENERIC template
TEMPLATES.update(
    {
        "complaint_received": Template(
            "concilia_complaint_received",
            _("Concilia: we received your complaint, case {{1}}. You can follow it at {{2}}"),
            ("case_number", "case_url"),
        ),
        "hearing_scheduled": Template(
            "concilia_hearing_scheduled",
            _("Concilia: the hearing of case {{1}} is set for {{2}}. Details and the link to join: {{3}}"),
            ("case_number", "hearing_start", "case_url"),
        ),
        "hearing_rescheduled": Template(
            "concilia_hearing_rescheduled",
            _("Concilia: the hearing of case {{1}} was moved to {{2}}. Details: {{3}}"),
            ("case_number", "hearing_start", "case_url"),
        ),
        "hearing_cancelled": Template(
            "concilia_hearing_cancelled",
            _("Concilia: the hearing of case {{1}} set for {{2}} was cancelled. Details: {{3}}"),
            ("case_number", "hearing_start", "case_url"),
        ),
        "hearing_reminder": Template(
            "concilia_hearing_reminder",
            _("Concilia: reminder, the hearing of case {{1}} is on {{2}}. Join from {{3}}"),
            ("case_number", "hearing_start", "case_url"),
        ),
        "hearing_reassigned": Template(
            "concilia_hearing_reassigned",
            _("Concilia: the hearing of case {{1}} on {{2}} will be led by {{3}}. Details: {{4}}"),
            ("case_number", "hearing_start", "conciliator_name", "case_url"),
        ),
        "compliance_due": Template(
            "concilia_compliance_due",
            _("Concilia: the agreement of case {{1}} was due to be fulfilled by {{2}}. Tell us how it went: {{3}}"),
            ("case_number", "compliance_due", "case_url"),
        ),
        "survey_invitation": Template(
            "concilia_survey_invitation",
            _("Concilia: case {{1}} has ended. How did we do? Answer the survey by {{2}}: {{3}}"),
            ("case_number", "expires_at", "survey_url"),
        ),
    }
)

# Template languages as WhatsApp names them (Content API `language`), by the site's language codes.
WHATSAPP_LANGUAGES = {"es-ar": "es_AR", "en": "en"}


class NoTemplate(LookupError):
    """No approved template is configured for the event (nor a generic one): outside the window
    the message cannot be sent at all."""


@dataclass(frozen=True)
class TemplateMessage:
    content_sid: str
    variables: dict[str, str]
    language: str


def template_for(event: str) -> Template:
    return TEMPLATES.get(event) or GENERIC


def template_message(row: Notification) -> TemplateMessage:
    """The approved template to send `row` as, and its variables formatted in the template's
    language. Looked up in WHATSAPP_CONTENT_SIDS: the event's template in the row's language, the
    generic one in that language, then both again in the office's language."""
    sids: Mapping[str, Mapping[str, str]] = settings.WHATSAPP_CONTENT_SIDS
    language = supported_language(row.language)
    candidates = [(row.event, language), (GENERIC_KEY, language)]
    if language != settings.LANGUAGE_CODE:
        candidates += [(row.event, settings.LANGUAGE_CODE), (GENERIC_KEY, settings.LANGUAGE_CODE)]
    for key, candidate_language in candidates:
        content_sid = (sids.get(key) or {}).get(candidate_language, "")
        if content_sid:
            template = GENERIC if key == GENERIC_KEY else template_for(row.event)
            values = template_values(template, row, language=candidate_language)
            if values is None:  # a row written without the event's context (before it was stored)
                continue
            return TemplateMessage(content_sid=content_sid, variables=values, language=candidate_language)
    raise NoTemplate(
        f"No approved WhatsApp template for event {row.event!r} in {language!r} nor a generic one "
        f"(WHATSAPP_CONTENT_SIDS[{row.event!r}] or [{GENERIC_KEY!r}]); outside the 24-hour window only "
        "templates are delivered."
    )


def template_values(template: Template, row: Notification, *, language: str) -> dict[str, str] | None:
    """{"1": …, "2": …} for `template`, or None when a required value of the event is missing."""
    context = codec.decode(row.context or {})
    declared = EVENTS.get(row.event)
    values: dict[str, str] = {}
    with translation.override(language):
        for position, key in enumerate(template.variables, start=1):
            if key == "subject":
                value: Any = row.subject
            elif key == "case_number":
                value = row.case_number or context.get("case_number")
            elif key == "case_url":
                value = absolute_url(str(context.get("case_url") or ""))
            else:
                value = context.get(key)
                if value in (None, "") and declared is not None and key in declared.required:
                    return None
            values[str(position)] = format_value(value)
    return values


def format_value(value: Any) -> str:
    """One variable as WhatsApp accepts it: short, on one line, never empty. Moments in the office's
    time zone, in the active language."""
    if isinstance(value, datetime):
        moment = timezone.localtime(value) if timezone.is_aware(value) else value
        # Translators: a PHP-style date format for WhatsApp messages, short; e.g. "D j/m/Y H:i".
        text = dateformat.format(moment, pgettext("date and time in WhatsApp", "D j M Y, H:i"))
    elif isinstance(value, date):
        # Translators: a PHP-style date format for WhatsApp messages, short; e.g. "D j/m/Y".
        text = dateformat.format(value, pgettext("date in WhatsApp", "D j M Y"))
    elif isinstance(value, Decimal):
        text = "$ " + formats.number_format(value, 2, use_l10n=True, force_grouping=True)
    elif value is None or isinstance(value, list | dict):
        text = ""
    else:
        text = str(value)
    text = _WHITESPACE.sub(" ", text).strip()
    if len(text) > VARIABLE_MAX:
        text = text[: VARIABLE_MAX - 1].rstrip() + "…"
    return text or EMPTY


# Free text only while the window has this much left: the message may wait in the outbox, be retried
# or sit in Twilio's queue before WhatsApp delivers it, and past the window it fails (63016).
WINDOW_MARGIN = timedelta(minutes=30)


def e164(value: str) -> str:
    """The one spelling of a phone number the window is kept and looked up under: E.164, read as
    Argentine when local (parties.validators), with Twilio's "whatsapp:" prefix dropped; "" when it
    is not a phone number. Inbound `From` and outbound `Notification.address` both go through it,
    so "+54 9 11 5555-0000" stored on a profile finds the window opened by "whatsapp:+5491155550000"."""
    try:
        return normalize_phone(value.strip().removeprefix("whatsapp:"))
    except ValidationError:
        return ""


def window_open(phone: str, *, at: datetime | None = None) -> bool:
    """Whether the person wrote to us on WhatsApp recently enough that free text still arrives
    inside their WHATSAPP_SESSION_HOURS window, with WINDOW_MARGIN to spare."""
    key = e164(phone)
    open_for = timedelta(hours=settings.WHATSAPP_SESSION_HOURS) - WINDOW_MARGIN
    if not key or open_for <= timedelta(0):
        return False
    since = (at or timezone.now()) - open_for
    return WhatsAppWindow.objects.filter(phone=key, last_inbound_at__gt=since).exists()


def record_inbound(phone: str, *, at: datetime) -> None:
    """The person wrote to us: their window runs from `at` (never moved back by an older message).
    Callers pass the moment the message reached us, never a later one, and record each message
    once (notifications/provider_reports.py), so a replay cannot reopen a closed window."""
    key = e164(phone)
    if not key:
        return
    WhatsAppWindow.objects.bulk_create([WhatsAppWindow(phone=key, last_inbound_at=at)], ignore_conflicts=True)
    WhatsAppWindow.objects.filter(phone=key, last_inbound_at__lt=at).update(last_inbound_at=at)
