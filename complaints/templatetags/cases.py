"""Helpers for the case file's templates: `{% load cases %}`.

- ``amount|ars``: money as the reader expects it: "$ 1.234,56" (es-AR) or "ARS 1,234.56" (en).
- ``moment|business_days_since`` / ``moment|business_days_until``: age and time left in días hábiles.
- ``event.action|action_label``: what a case event means, in the reader's language.
- ``{% case_status_badge case %}``: the coloured pill for the case's state, with its translated label.
- ``case|choice_label:"channel"``: a choice field's label, as ``get_channel_display`` gives it.
- ``{% case_companies case %}``: every company of a case in a list, the lead first.
- ``{% case_rows page_obj as rows %}``: a list page's cases, each worked out once for its two layouts.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext, ngettext

from complaints import actions
from parties.business_days import business_days_between
from parties.templatetags.ui import status_badge, status_group
from parties.validators import format_phone

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    """The action's declared label (complaints/actions.py and each app's own actions.py). A code no
    longer declared (an old row) still shows, humanised, rather than breaking the page."""
    if actions.is_declared(str(action)):
        return str(actions.get(str(action)).label)
    return str(action).replace("_", " ").capitalize()


def _as_decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return None


@register.filter
def ars(value: object) -> str:
    """Pesos with two decimals, grouped the way the reader's language groups them; "" for no amount."""
    amount = _as_decimal(value)
    if amount is None:
        return ""
    sign = "-" if amount < 0 else ""
    grouped = f"{abs(amount):,.2f}"  # 1,234.56
    if (get_language() or "es").lower().startswith("es"):
        grouped = grouped.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
        return f"{sign}$\u00a0{grouped}"
    return f"{sign}ARS\u00a0{grouped}"


def _local_date(moment: object) -> date | None:
    if isinstance(moment, datetime):
        return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()
    if isinstance(moment, date):
        return moment
    return None


@register.filter
def business_days_since(moment: object) -> int | str:
    """Business days from that day to today (0 on the day itself); "" for no date."""
    day = _local_date(moment)
    if day is None:
        return ""
    return business_days_between(day, timezone.localdate())


@register.filter
def business_days_until(moment: object) -> int | str:
    """Business days left until that day (0 when it is today or already past); "" for no date."""
    day = _local_date(moment)
    if day is None:
        return ""
    return business_days_between(timezone.localdate(), day)


@register.filter
def is_past(moment: object) -> bool:
    if isinstance(moment, datetime):
        return moment < timezone.now()
    day = _local_date(moment)
    return day is not None and day < timezone.localdate()


@cache
def _labels(model: Any, field: str) -> dict[object, object]:
    """A choice field's labels by value (lazy, translated when shown). Django's `get_FOO_display`
    rebuilds this dict on every call, translating each label to hash it: 0.1 ms a row for the
    case's status, two dozen translations for a province (bench/RESULTS.md, session 8)."""
    return dict(model._meta.get_field(field).flatchoices)


@register.filter
def choice_label(obj: Any, field: str) -> str:
    """``{{ case|choice_label:"channel" }}``: what ``case.get_channel_display`` says, for a list's rows."""
    value = getattr(obj, field, "")
    return str(_labels(obj.__class__, field).get(value, value))


@register.simple_tag
def case_status_badge(case: object, large: bool = False) -> str:
    """``{% case_status_badge case %}`` → <span class="status-badge status-<state> …">Label</span>."""
    state = getattr(case, "status", "")
    label = choice_label(case, "status") if hasattr(case, "get_status_display") else state
    if not large:
        return status_badge(state, label)
    return format_html(
        '<span class="status-badge status-badge--lg status-{} status-group-{}">{}</span>',
        state,
        status_group(state),
        label,
    )


@register.filter
def phone(e164: str) -> str:
    """+5491123456789 → +54 9 11 2345-6789; anything unparseable is shown as stored."""
    try:
        return format_phone(e164)
    except Exception:  # a snapshot typed by hand may not parse; show it as it is
        return e164


@register.filter
def file_kind(evidence: object) -> str:
    """PDF, JPEG, PNG or HEIC, from the type sniffed at upload."""
    return {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG", "image/heic": "HEIC"}.get(
        str(getattr(evidence, "content_type", "")), str(getattr(evidence, "content_type", ""))
    )


@register.simple_tag
def case_companies(case: object) -> SafeString:
    """``{% case_companies case %}``: the lead company, then "+2 more: B · C" on a line of its own.
    Needs `case.parts` prefetched (complaints.views.case_file.COMPANIES_OF_CASE). A tag, not an
    included template: a list shows it twice for each of its 25 rows (the phone cards and the table)."""
    parts = list(case.parts.all())  # type: ignore[attr-defined]
    if not parts:
        return conditional_escape(getattr(case, "company_display_name", "") or "—")
    if len(parts) == 1:
        return conditional_escape(parts[0].display_name)
    others = len(parts) - 1
    return format_html(
        '{}<span class="d-block small text-body-secondary case-others">{} {}</span>',
        parts[0].display_name,
        ngettext("+%(counter)s more:", "+%(counter)s more:", others) % {"counter": others},
        " · ".join(part.display_name for part in parts[1:]),
    )


def _filed(case: Any) -> tuple[str, int | None]:
    """The card's "Filed 03/12/2026 · 4 business days ago" (the age while the case is open), or
    "Started 01/12/2026" for a draft; and that age, None for a draft or a closed case. Here rather
    than two `blocktranslate`s and a filter on each of the list's cards (1 to 2 ms of its rendering)."""
    if not case.submitted_at:
        started = date_format(timezone.localtime(case.created_at), "SHORT_DATE_FORMAT")
        return conditional_escape(gettext("Started %(date)s") % {"date": started}), None
    filed_at = timezone.localtime(case.submitted_at)
    filed = gettext("Filed %(date)s") % {"date": date_format(filed_at, "SHORT_DATE_FORMAT")}
    if case.is_closed:
        return conditional_escape(filed), None
    age = business_days_between(filed_at.date(), timezone.localdate())
    if not age:
        return conditional_escape(filed), age
    ago = ngettext("%(days)s business day ago", "%(days)s business days ago", age) % {"days": age}
    return format_html("{} · {}", filed, ago), age


@dataclass(frozen=True)
class CaseRow:
    """What a list shows of one case, worked out once for both its layouts (phone cards, table)."""

    case: Any
    url: str  # the case file, or the draft's step
    badge: str
    companies: str
    filed: str
    age: int | None  # business days since filing, while the case is open


@register.simple_tag
def case_rows(cases: Iterable[Any]) -> list[CaseRow]:
    """``{% case_rows page_obj as rows %}``: each case of a list page as a `CaseRow`. The list shows
    every case twice (a card for phones, a table row for wider screens); each link reversed, badge,
    company line and age reckoned twice were a quarter of its rendering."""
    rows = []
    for case in cases:
        if case.status == "draft":
            url = reverse("complaint_step", args=[case.pk, case.draft_step])
        else:
            url = reverse("complaint_detail", args=[case.pk])
        filed, age = _filed(case)
        rows.append(
            CaseRow(
                case=case,
                url=url,
                badge=case_status_badge(case),
                companies=case_companies(case),
                filed=filed,
                age=age,
            )
        )
    return rows
