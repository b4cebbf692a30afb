"""Rendering an event's templates once, in the recipient's language, into plain strings."""

import re
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

SUBJECT_MAX = 255
_BLANK_RUNS = re.compile(r"\n{3,}")
SHORT_MAX = 320  # two SMS segments; WhatsApp allows more, but a short alert reads better on a phone


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


def render_event(*, event: str, context: dict, language: str) -> Rendered:
    with translation.override(language):
        subject = " ".join(render_to_string(f"notifications/{event}/subject.txt", context).split())[:SUBJECT_MAX]
        body_text: str = render_to_string(f"notifications/{event}/body.txt", context)
        # Optional paragraphs that were left out leave blank runs behind.
        body_text = _BLANK_RUNS.sub("\n\n", "\n".join(line.rstrip() for line in body_text.splitlines())).strip() + "\n"
        body_html = render_to_string(f"notifications/{event}/body.html", context).strip()
        short: str = render_to_string("notifications/short.txt", {**context, "subject": subject})
        short_text = " ".join(short.split())[:SHORT_MAX]
    return Rendered(subject=subject, body_text=body_text, body_html=body_html, short_text=short_text)
