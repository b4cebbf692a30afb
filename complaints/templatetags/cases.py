"""Helpers for the case file's templates: `{% load cases %}`.

- ``amount|ars``: money as the reader expects it: "$ 1.234,56" (es-AR) or "ARS 1,234.56" (en).
- ``moment|business_days_since`` / ``moment|business_days_until``: age and time left in días hábiles.
- ``event.action|action_label``: what a case event means, in the reader's language.
- ``{% case_status_badge case %}``: the coloured pill for the case's state, with its translated label.
- ``case|choice_label:"channel"``: a choice field's label, as ``get_channel_display`` gives it.
- ``{% case_companies case %}``: every company of a case in a list, the lead first.
- ``{% case_rows page_obj as rows %}``: a list page's cases, each worked out and rendered once for its two layouts.
- ``{% checkboxes form.field %}``: a multiple choice's boxes, as Django's widget gives them, without its templates.
"""

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from html import escape as escape_html
from typing import Any

from django import template
from django.forms import BoundField
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
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
    Needs `case.parts` prefetched (complaints.selectors.case_list_rows). A tag, not an
    included template: a list shows it twice for each of its 25 rows (the phone cards and the table)."""
    return _companies_line(case, list(case.parts.all()))  # type: ignore[attr-defined]


def _companies_line(case: object, parts: list[Any]) -> SafeString:
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


# A list's filed lines by day (and whether closed): what `_filed` gives, worked out once per day.
FiledMemo = dict[tuple, tuple[str, str, int | None]]


def _filed(case: Any, today: date, memo: FiledMemo) -> tuple[str, str, int | None]:
    """The card's "Filed 03/12/2026 · 4 business days ago" (the age while the case is open), or
    "Started 01/12/2026" for a draft; the table's "03/12/2026" ("" for a draft); and that age, None for
    a draft or a closed case. Here rather than two `blocktranslate`s and a filter on each of the
    list's cards (1 to 2 ms of its rendering). Worked out once per day (`memo`, one list's): a page's
    25 cases were filed on a few days, and its date formatting and day count were a sixth of a row."""
    if not case.submitted_at:
        day = timezone.localtime(case.created_at).date()
        key: tuple = ("started", day)
        if key not in memo:
            started = date_format(day, "SHORT_DATE_FORMAT")
            memo[key] = (conditional_escape(gettext("Started %(date)s") % {"date": started}), "", None)
        return memo[key]
    day = timezone.localtime(case.submitted_at).date()
    key = (day, case.is_closed)
    if key not in memo:
        memo[key] = _filed_on(day, today, closed=case.is_closed)
    return memo[key]


def _filed_on(day: date, today: date, *, closed: bool) -> tuple[str, str, int | None]:
    filed_on = date_format(day, "SHORT_DATE_FORMAT")
    filed = gettext("Filed %(date)s") % {"date": filed_on}
    if closed:
        return conditional_escape(filed), filed_on, None
    age = business_days_between(day, today)
    if not age:
        return conditional_escape(filed), filed_on, age
    ago = ngettext("%(days)s business day ago", "%(days)s business days ago", age) % {"days": age}
    return format_html("{} · {}", filed, ago), filed_on, age


CHECKBOX = (
    '\n          <div class="form-check"><input type="checkbox" name="{name}" value="{value}" id="{id}"'
    '{checked}{invalid} class="form-check-input"><label class="form-check-label" for="{id}">{label}</label></div>'
)


@register.simple_tag
def checkboxes(field: BoundField) -> SafeString:
    """``{% checkboxes filters.status %}``: a multiple choice's boxes, what Django's widget gives them
    (aria-invalid on each when the field is refused), written out here rather than through each
    option's widget template or a template loop: a score of them on every list, a template loop
    looked up eight values for each (a tenth of the case list's rendering)."""
    chosen = {str(value) for value in field.value() or ()}
    invalid = ' aria-invalid="true"' if field.errors else ""
    name, auto_id = _escape(field.html_name), _escape(field.auto_id)
    boxes = (
        CHECKBOX.format(
            name=name,
            value=_escape(value),
            id=f"{auto_id}_{index}",
            checked=" checked" if str(value) in chosen else "",
            invalid=invalid,
            label=_escape(label),
        )
        for index, (value, label) in enumerate(field.field.choices)  # type: ignore[attr-defined]
    )
    return mark_safe("".join(boxes))  # every value went through `_escape`


@dataclass(frozen=True)
class CaseRow:
    """What a list shows of one case, worked out once for both its layouts (phone cards, table)."""

    case: Any
    url: str  # the case file, or the draft's step
    badge: str
    companies: str
    filed: str  # the card's line: filed (or started) on, and the age
    filed_on: str  # the table's short date of filing; "" for a draft
    age: int | None  # business days since filing, while the case is open
    # The lead's CUIT, under the company of a case that names only it ("" otherwise, or no company).
    cuit: str
    product: str  # the table's: the first 60 characters, "—" for none


@dataclass(frozen=True)
class CaseRows:
    """A list page's cases, rendered once for each layout: `cards` (phones) and `table` (wider screens)."""

    rows: list[CaseRow]
    cards: SafeString
    table: SafeString


class _CaseUrls:
    """The case file's address for each pk, reversed once per list rather than once per row: the
    same address with the pk put where a marker number was."""

    MARK = 987654321987

    def __init__(self) -> None:
        self.before, self.after = reverse("complaint_detail", args=[self.MARK]).split(str(self.MARK))

    def __call__(self, case: Any) -> str:
        if case.status == "draft":
            return reverse("complaint_step", args=[case.pk, case.draft_step])
        return f"{self.before}{case.pk}{self.after}"


def _case_row(case: Any, url: _CaseUrls, badges: dict[str, str], filed: FiledMemo, today: date) -> CaseRow:
    parts = list(case.parts.all())  # prefetched; each `case.parts.all` builds a manager and a queryset
    filed_line, filed_on, age = _filed(case, today, filed)
    badge = badges.get(case.status)
    if badge is None:  # by state: a page's 25 cases are in a handful of states
        badge = badges[case.status] = case_status_badge(case)
    return CaseRow(
        case=case,
        url=url(case),
        badge=badge,
        companies=_companies_line(case, parts),
        filed=filed_line,
        filed_on=filed_on,
        age=age,
        cuit=case.company.cuit_display if case.company_id and len(parts) == 1 else "",
        product=_truncated(case.product or "—", 60),
    )


def _truncated(text: str, length: int) -> str:
    """`truncatechars`: what `Truncator(text).chars(length)` gives, without building one (and looking
    up its translated ellipsis) for a text that fits, as most products do."""
    text = unicodedata.normalize("NFC", text)
    # Combining characters do not count (Truncator), so a text no longer than `length` fits.
    return text if len(text) <= length else Truncator(text).chars(length)


def _escape(value: object) -> str:
    """What `conditional_escape` gives (a safe string as it is, anything else through `html.escape`),
    without its checks for lazy arguments: a row's values are strings, numbers and safe strings, and
    format_html's per-argument wrappers were half of the rows' rendering."""
    html = getattr(value, "__html__", None)
    return html() if html is not None else escape_html(str(value))


# A case as a card (phones) and as a table row (wider screens): the markup the list's template had in
# its two loops, filled here in one pass. Every value is escaped (`_escape`) before it goes in.
CARD = """
  <li class="case-card">
    <div class="case-card__top">
      <a class="case-card__link" href="{url}">{title}</a>
      {badge}
    </div>
    <div class="case-card__who">{who}</div>
    {what}<div class="case-card__meta">
      {filed}
    </div>
  </li>"""
CARD_WHAT = '<div class="case-card__what">{}</div>\n    '
TABLE_ROW = """
  <tr>
    <td class="text-nowrap"><a href="{url}">{title}</a></td>
    {consumer}<td>{companies}{cuit}</td>
    <td>{product}</td>
    <td>{badge}</td>
    <td class="text-nowrap">{filed_on}</td>
    <td class="text-end">{age}</td>
  </tr>"""
TABLE_CONSUMER = "<td>{}</td>\n    "
TABLE_CUIT = '<div class="small text-body-secondary">{}</div>'
MUTED = '<span class="text-body-secondary">{}</span>'


def _card(row: CaseRow, *, is_consumer: bool, is_representative: bool) -> str:
    case = row.case
    if case.status == "draft":
        company = case.company_display_name or gettext("Company not chosen yet")
        title = f"{_escape(gettext('Draft'))} · {_escape(company)}"
    else:
        title = _escape(case.number)
    if is_consumer:
        who = _escape(row.companies)
    else:
        who = f"{_escape(case.consumer_name)} {'·' if is_representative else '→'} {_escape(row.companies)}"
    return CARD.format(
        url=_escape(row.url),
        title=title,
        badge=_escape(row.badge),
        who=who,
        what=CARD_WHAT.format(_escape(case.product)) if case.product else "",
        filed=_escape(row.filed),
    )


def _table_row(row: CaseRow, *, is_consumer: bool) -> str:
    case = row.case
    return TABLE_ROW.format(
        url=_escape(row.url),
        title=_escape(gettext("Draft") if case.status == "draft" else case.number),
        consumer="" if is_consumer else TABLE_CONSUMER.format(_escape(case.consumer_name)),
        companies=_escape(row.companies),
        cuit=TABLE_CUIT.format(_escape(row.cuit)) if row.cuit and not is_consumer else "",
        product=_escape(row.product),
        badge=_escape(row.badge),
        filed_on=_escape(row.filed_on) if row.filed_on else MUTED.format(_escape(gettext("not filed"))),
        age=_escape(localize(row.age)) if row.age is not None else MUTED.format("—"),
    )


@register.simple_tag(takes_context=True)
def case_rows(context: template.Context, cases: Iterable[Any]) -> CaseRows:
    """``{% case_rows page_obj as rows %}``: a list page's cases, each worked out once (`CaseRow`) and
    rendered as a card for phones (``{{ rows.cards }}``) and a table row for wider screens
    (``{{ rows.table }}``). Each link reversed, badge, company line and age reckoned twice were a
    quarter of the list's rendering; the template's two loops, a variable lookup for each of a row's
    twenty values, a third (bench/RESULTS.md, session 9). Reads `is_consumer` and `is_representative`
    from the page: the consumer sees no consumer column, a company reads "consumer · companies"."""
    is_consumer, is_representative = bool(context.get("is_consumer")), bool(context.get("is_representative"))
    url, today = _CaseUrls(), timezone.localdate()
    badges: dict[str, str] = {}
    filed: FiledMemo = {}
    rows = [_case_row(case, url, badges, filed, today) for case in cases]
    # Safe: every value in a card or a row went through `_escape`.
    cards = "".join(_card(row, is_consumer=is_consumer, is_representative=is_representative) for row in rows)
    table = "".join(_table_row(row, is_consumer=is_consumer) for row in rows)
    return CaseRows(rows=rows, cards=mark_safe(cards), table=mark_safe(table))
