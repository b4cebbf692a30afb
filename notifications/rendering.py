"""Rendering an event's templates in the recipient's language, into plain strings.

Rows are written with their event's declared context (notifications/codec.py) and no text; the
worker renders them right before it sends them (notifications/delivery.py), and the inbox renders
the rows a person is about to see if the worker has not reached them yet (`ensure_rendered`). The
rows of one occurrence share an idempotency key (one event, one recipient, one language), so they
are rendered once together: the e-mail takes subject, text and HTML; SMS and WhatsApp the short
text; the inbox the subject and the text.
"""

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from notifications import codec
from notifications.events import EVENTS
from notifications.models import Channel, Notification

logger = logging.getLogger("notifications.rendering")

SUBJECT_MAX = 255
_BLANK_RUNS = re.compile(r"\n{3,}")
SHORT_MAX = 320  # two SMS segments; WhatsApp allows more, but a short alert reads better on a phone
SHORT_CHANNELS = (Channel.SMS, Channel.WHATSAPP)
TEXT_FIELDS = ["subject", "body_text", "body_html"]


@dataclass(frozen=True)
class Rendered:
    subject: str
    body_text: str
    body_html: str
    short_text: str  # for SMS and WhatsApp: the subject and a link, never the case's details


def absolute_url(url: str) -> str:
    if not url:
        return settings.SITE_URL + "/"
    if url.startswith(("http://", "https://")):
        return url
    return settings.SITE_URL + (url if url.startswith("/") else "/" + url)


def supported_language(code: str | None) -> str:
    codes = {lang for lang, _name in settings.LANGUAGES}
    return code if code in codes else settings.LANGUAGE_CODE


def full_context(context: dict, *, recipient: object, case_number: str, formal: bool) -> dict:
    """What every template may rely on besides the event's own keys (notifications/events.py):
    derived from the row when it is rendered, never stored in it."""
    full = dict(context)
    full.setdefault("recipient", recipient)
    full.setdefault("case_number", case_number)
    full["case_url"] = absolute_url(str(context.get("case_url") or ""))
    full["site_url"] = settings.SITE_URL
    full["formal"] = formal
    return full


def render_event(*, event: str, context: dict, language: str) -> Rendered:
    # Moments are shown at the office's time, wherever the process rendering them runs.
    with translation.override(language), timezone.override(settings.TIME_ZONE):
        subject = " ".join(render_to_string(f"notifications/{event}/subject.txt", context).split())[:SUBJECT_MAX]
        body_text: str = render_to_string(f"notifications/{event}/body.txt", context)
        # Optional paragraphs that were left out leave blank runs behind.
        body_text = _BLANK_RUNS.sub("\n\n", "\n".join(line.rstrip() for line in body_text.splitlines())).strip() + "\n"
        body_html = render_to_string(f"notifications/{event}/body.html", context).strip()
        short: str = render_to_string("notifications/short.txt", {**context, "subject": subject})
        short_text = " ".join(short.split())[:SHORT_MAX]
    return Rendered(subject=subject, body_text=body_text, body_html=body_html, short_text=short_text)


def render_row(row: Notification) -> Rendered:
    """The row's message, from its event, its stored context, its language and its recipient."""
    context = full_context(
        codec.decode(row.context or {}), recipient=row.recipient, case_number=row.case_number, formal=row.formal
    )
    return render_event(event=row.event, context=context, language=supported_language(row.language))


def needs_rendering(row: Notification) -> bool:
    """Written without text and not stripped by retention or anonymisation (their text stays gone).
    Rows of events not declared here (allauth's messages) arrive rendered."""
    return row.subject == "" and row.redacted_at is None and row.event in EVENTS


def ensure_rendered(rows: Iterable[Notification]) -> None:
    """Render the rows that still have no text, once per occurrence, and save their text. A message
    that cannot be rendered is logged and left as it is: a page listing it must still open."""
    for pk, exc in render_missing(rows).items():
        logger.error("Notification %s could not be rendered: %s", pk, exc, exc_info=exc)


def render_missing(rows: Iterable[Notification], *, save: bool = True) -> dict[int, Exception]:
    """`ensure_rendered` for the worker: returns the rows that could not be rendered, with why.
    With save=False the text is only filled in on the instances (the worker saves it with the
    row's outcome)."""
    todo = [row for row in rows if needs_rendering(row)]
    if not todo:
        return {}
    _attach_recipients(todo)
    groups: dict[str, list[Notification]] = {}
    for row in todo:
        groups.setdefault(row.idempotency_key, []).append(row)
    failed: dict[int, Exception] = {}
    done: list[Notification] = []
    for group in groups.values():
        try:
            rendered = render_row(group[0])
        except Exception as exc:  # a template or context error: the caller decides what it means
            failed.update(dict.fromkeys((row.pk for row in group), exc))
            continue
        for row in group:
            _fill(row, rendered)
        done += group
    if done and save:
        # Only rows still without text: a row rendered meanwhile by someone else keeps what it has
        # (the same words), and a row stripped meanwhile stays stripped.
        Notification.objects.filter(Q(subject=""), redacted_at__isnull=True).bulk_update(done, TEXT_FIELDS)
    return failed


def _fill(row: Notification, rendered: Rendered) -> None:
    short = row.channel in SHORT_CHANNELS
    row.subject = rendered.subject
    row.body_text = rendered.short_text if short else rendered.body_text
    row.body_html = "" if short else rendered.body_html


def _attach_recipients(rows: Sequence[Notification]) -> None:
    """One query for the recipients a batch of rows names, instead of one per row."""
    missing = {
        row.recipient_id for row in rows if row.recipient_id is not None and not Notification.recipient.is_cached(row)
    }
    if not missing:
        return
    from parties.models import User

    users = User.objects.in_bulk(missing)
    for row in rows:
        if row.recipient_id in users and not Notification.recipient.is_cached(row):
            row.recipient = users[row.recipient_id]
