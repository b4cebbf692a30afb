"""Dates in messages, formatted in the language the message is rendered in."""

import re
from datetime import date, datetime

from django import template
from django.utils import dateformat, timezone
from django.utils.translation import pgettext

register = template.Library()


def _local(value: date | datetime) -> date | datetime:
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


@register.filter
def when(value: date | datetime | None) -> str:
    """A moment with weekday, date and time, e.g. "Monday 23 November 2026, 10:00"."""
    if not value:
        return ""
    if not isinstance(value, datetime):
        return when_date(value)
    # Translators: a PHP-style date format (Django's `date` filter); e.g. "l j \d\e F \d\e Y, H:i".
    return dateformat.format(_local(value), pgettext("date and time in messages", "l j F Y, H:i"))


@register.filter
def when_date(value: date | datetime | None) -> str:
    """A day with weekday, e.g. "Monday 23 November 2026"."""
    if not value:
        return ""
    # Translators: a PHP-style date format (Django's `date` filter); e.g. "l j \d\e F \d\e Y".
    return dateformat.format(_local(value), pgettext("date in messages", "l j F Y"))


_EMPTY_PARAGRAPH = re.compile(r"^\s*<p[^>]*>\s*</p>\s*$")


@register.filter(is_safe=True)
def trim_empty_p(value: str) -> str:
    """Drops a paragraph whose optional content was missing, so the e-mail has no blank gaps."""
    return "" if _EMPTY_PARAGRAPH.match(str(value)) else value
