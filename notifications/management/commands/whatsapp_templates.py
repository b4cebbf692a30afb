"""Print the Content API requests that register every WhatsApp template, in every language; with
--check, compare the templates configured in WHATSAPP_CONTENT_SIDS with what Twilio holds.

The templates are read from notifications/whatsapp.py, the same declaration the WhatsApp channel
fills when it sends, so what the office submits for approval cannot drift from what is sent. Each
item names the settings key its approved SID goes under (WHATSAPP_CONTENT_SIDS[event][language]),
the body to POST to https://content.twilio.com/v1/Content and the body to POST to
…/v1/Content/{HX…}/ApprovalRequests/whatsapp. See docs/whatsapp-templates.md.

Why --check: Twilio does not refuse a message that leaves out some of a template's variables; it
fills them with the samples registered for approval, so a SID registered with more variables than we
declare would reach people with the reviewers' sample values ("DC-2026-000123", "Ana Gómez"). The
check reads each configured SID from the Content API (GET {TWILIO_CONTENT_API_BASE}/v1/Content/{HX…})
and compares its variables and language with the declaration; it exits non-zero on any difference.
"""

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext

from notifications import whatsapp
from notifications.events import EVENTS, MOMENT

CATEGORY = "UTILITY"  # transactional updates about a case the person filed: never marketing
# Sample values WhatsApp's reviewers see in place of each placeholder.
SAMPLE_MOMENT = datetime(2026, 12, 15, 13, 0, tzinfo=UTC)
SAMPLES = {
    "case_number": "DC-2026-000123",
    "conciliator_name": "Ana Gómez",
}
SAMPLE_PATHS = {"case_url": "/expedientes/123/", "survey_url": "/encuesta/abc123/"}


def sample(event: str, key: str) -> str:
    if key in SAMPLES:
        return SAMPLES[key]
    if key in SAMPLE_PATHS:
        return settings.SITE_URL + SAMPLE_PATHS[key]
    if key == "subject":
        return gettext("Reminder: hearing %(case_number)s") % {"case_number": SAMPLES["case_number"]}
    if event != whatsapp.GENERIC_KEY and EVENTS[event].kind_of(key) == MOMENT:
        return whatsapp.format_value(SAMPLE_MOMENT)
    return key.replace("_", " ")


def requests() -> list[dict[str, Any]]:
    declared = [(whatsapp.GENERIC_KEY, whatsapp.GENERIC)]
    declared += [(event, template) for event, template in whatsapp.TEMPLATES.items() if template is not None]
    items = []
    for event, template in declared:
        for language, _name in settings.LANGUAGES:
            whatsapp_language = whatsapp.WHATSAPP_LANGUAGES[language]
            name = f"{template.name}_{whatsapp_language.lower()}"
            with translation.override(language):
                body = str(template.text)
                variables = {str(n): sample(event, key) for n, key in enumerate(template.variables, start=1)}
            items.append(
                {
                    "event": event,
                    "language": language,
                    "content": {
                        "friendly_name": name,
                        "language": whatsapp_language,
                        "variables": variables,
                        "types": {"twilio/text": {"body": body}},
                    },
                    "approval": {"name": name, "category": CATEGORY},
                }
            )
    return items


@dataclass(frozen=True)
class Mismatch:
    """A configured SID that does not match the declaration."""

    event: str
    language: str
    content_sid: str
    problem: str

    def __str__(self) -> str:
        return f"WHATSAPP_CONTENT_SIDS[{self.event!r}][{self.language!r}] = {self.content_sid}: {self.problem}"


class ContentUnreadable(Exception):
    pass


def registered_template(content_sid: str) -> dict[str, Any]:
    """The Content API's resource for `content_sid` (its `variables` are the registered samples)."""
    url = f"{settings.TWILIO_CONTENT_API_BASE}/v1/Content/{urllib.parse.quote(content_sid, safe='')}"
    credentials = base64.b64encode(f"{settings.TWILIO_ACCOUNT_SID}:{settings.TWILIO_AUTH_TOKEN}".encode()).decode()
    request = urllib.request.Request(
        url, headers={"Authorization": f"Basic {credentials}", "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.NOTIFICATION_HTTP_TIMEOUT) as response:
            resource = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise ContentUnreadable("Twilio holds no template with this SID (404).") from exc
        raise ContentUnreadable(f"Twilio answered {exc.code}.") from exc
    except (TimeoutError, urllib.error.URLError, ConnectionError, json.JSONDecodeError) as exc:
        raise ContentUnreadable(f"Twilio's Content API could not be read: {exc}") from exc
    if not isinstance(resource, dict):
        raise ContentUnreadable("Twilio's answer is not a template.")
    return resource


def _numbered(keys: Any) -> list[str]:
    return sorted((str(key) for key in keys), key=lambda key: (len(key), key))


def check() -> list[Mismatch]:
    """Every configured SID compared with the declaration: the same variables {{1}}…{{n}} and the
    language its settings key names. An empty list when all match."""
    mismatches: list[Mismatch] = []
    configured: Mapping[str, Any] = settings.WHATSAPP_CONTENT_SIDS
    for event, by_language in configured.items():
        if event != whatsapp.GENERIC_KEY and event not in EVENTS:
            mismatches.append(Mismatch(event, "", "", "no such event."))
        elif not isinstance(by_language, Mapping):
            mismatches.append(Mismatch(event, "", "", "expected {language: SID}."))
        else:
            template = whatsapp.GENERIC if event == whatsapp.GENERIC_KEY else whatsapp.template_for(event)
            for language, content_sid in by_language.items():
                mismatches += [
                    Mismatch(event, language, str(content_sid), problem)
                    for problem in _problems(template, language=language, content_sid=str(content_sid))
                ]
    return mismatches


def _problems(template: whatsapp.Template, *, language: str, content_sid: str) -> list[str]:
    if language not in whatsapp.WHATSAPP_LANGUAGES:
        return [f"{language!r} is not a site language ({', '.join(whatsapp.WHATSAPP_LANGUAGES)})."]
    try:
        resource = registered_template(content_sid)
    except ContentUnreadable as exc:
        return [str(exc)]
    problems = []
    declared = [str(n) for n in range(1, len(template.variables) + 1)]
    registered = _numbered(resource.get("variables") or {})
    if registered != declared:
        problems.append(
            f"registered with variables {registered}, declared {declared} ({', '.join(template.variables)} of "
            f"{template.name}); Twilio fills any variable we do not send with its registered sample."
        )
    expected_language = whatsapp.WHATSAPP_LANGUAGES[language]
    if resource.get("language") != expected_language:
        problems.append(f"registered in {resource.get('language')!r}, configured for {expected_language!r}.")
    return problems


class Command(BaseCommand):
    help = (
        "Print, as JSON, the Twilio Content API requests that register every WhatsApp template; with "
        "--check, compare the SIDs in WHATSAPP_CONTENT_SIDS with the templates Twilio holds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Compare each configured SID's registered variables and language with the declaration.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["check"]:
            self.stdout.write(json.dumps(requests(), ensure_ascii=False, indent=2))
            return
        mismatches = check()
        for mismatch in mismatches:
            self.stderr.write(str(mismatch))
        if mismatches:
            raise CommandError(f"{len(mismatches)} configured WhatsApp template(s) do not match the declaration.")
        count = sum(len(sids) for sids in settings.WHATSAPP_CONTENT_SIDS.values())
        self.stdout.write(f"All {count} configured WhatsApp templates match the declaration.")
