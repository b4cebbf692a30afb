"""Small presentation helpers for Concilia's templates: `{% load ui %}`.

- ``{% icon "bell" %}``: an inline SVG from the icon sprite (decorative unless ``label`` is given).
- ``{% status_badge state label %}``: the coloured pill for a case state (see .status-* in concilia.css).
- ``page_obj|page_window``: the page numbers to show in a pager, with ``None`` for the gaps.
- ``field|error_anchor``: the id an error-summary link should jump to for a bound field.
- ``widget_type|input_class``: the Bootstrap class for an ``<input type=...>`` (used by widget templates).

For links that keep the other GET parameters use Django's built-in ``{% querystring page=2 %}``.
"""

from django import template
from django.forms import BoundField
from django.templatetags.static import static
from django.utils.html import format_html

register = template.Library()

ICON_SPRITE = "vendor/icons/icons.svg"

# Case states grouped by how much they ask of the reader; concilia.css colours each group.
STATUS_GROUPS = {
    "neutral": ("draft",),
    "progress": ("submitted", "admitted", "company_notified", "hearing_scheduled", "adjourned"),
    "attention": ("observed", "rejected", "breached", "company_absent", "consumer_absent"),
    "success": ("agreement", "agreement_approved", "complied"),
    "closed": ("no_agreement", "withdrawn", "referred", "archived"),
}
STATUS_GROUP_OF = {state: group for group, states in STATUS_GROUPS.items() for state in states}


@register.simple_tag
def icon(name: str, label: str = "", css_class: str = "", size: str = "") -> str:
    """``{% icon "bell" %}`` (hidden from screen readers) or ``{% icon "bell" label=_("Notifications") %}``.

    Available names: see ICONS in scripts/build_assets.sh. ``size`` is a CSS length, e.g. "1.5rem".
    """
    href = f"{static(ICON_SPRITE)}#{name}"
    classes = f"icon icon-{name} {css_class}".strip()
    style = format_html(' style="width:{0};height:{0}"', size) if size else ""
    if label:
        return format_html(
            '<svg class="{}" role="img" aria-label="{}" focusable="false"{}><use href="{}"></use></svg>',
            classes,
            label,
            style,
            href,
        )
    return format_html(
        '<svg class="{}" aria-hidden="true" focusable="false"{}><use href="{}"></use></svg>', classes, style, href
    )


@register.filter
def status_group(state: str) -> str:
    """The colour group of a case state: neutral, progress, attention, success or closed."""
    return STATUS_GROUP_OF.get(str(state), "neutral")


@register.simple_tag
def status_badge(state: str, label: str = "") -> str:
    """``{% status_badge case.status case.get_status_display %}``."""
    state = str(state)
    return format_html(
        '<span class="status-badge status-{} status-group-{}">{}</span>', state, status_group(state), label or state
    )


@register.filter
def page_window(page_obj, on_each_side: int = 1) -> list:
    """Page numbers around the current page, first and last, with None where pages are skipped."""
    try:
        paginator = page_obj.paginator
        number = page_obj.number
    except AttributeError:
        return []
    pages = []
    for item in paginator.get_elided_page_range(number, on_each_side=int(on_each_side), on_ends=1):
        pages.append(item if isinstance(item, int) else None)
    return pages


@register.filter
def error_anchor(field: BoundField) -> str:
    """The element id the error summary should link to: the input itself, or the first option of a
    group of radios/checkboxes, or the first sub-widget of a multi-widget."""
    if not isinstance(field, BoundField):
        return ""
    id_for_label = field.id_for_label
    if id_for_label:
        return id_for_label
    auto_id = field.auto_id or ""
    if auto_id and field.use_fieldset:
        return f"{auto_id}_0"
    return auto_id


@register.filter
def input_class(input_type: str) -> str:
    """Bootstrap's base class for an <input> of the given type ('' for hidden inputs)."""
    input_type = str(input_type or "text")
    if input_type == "hidden":
        return ""
    if input_type in ("checkbox", "radio"):
        return "form-check-input"
    if input_type == "range":
        return "form-range"
    if input_type == "color":
        return "form-control form-control-color"
    return "form-control"
