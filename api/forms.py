"""Forms of the company administrator's pages: API keys, the API audit log, webhook endpoints and
their delivery log. The lists' filters are GET forms whose invalid fields are ignored; the forms that
create something carry a one-time token, so a second click of the same form creates nothing twice.

Every message a field can show is the project's own (voseo), never Django's default text: its
Spanish catalogue says "Introduzca una URL válida", which is not how these pages speak."""

import hashlib
import logging
import secrets
import uuid
from datetime import date
from typing import Any, cast

from django import forms
from django.core.cache import cache
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from api.models import ApiKey, DeliveryStatus, Scope, WebhookEvent
from parties.dates import BoundedDateField

logger = logging.getLogger(__name__)

# How far back and ahead the audit log's date filters reach.
FILTER_YEARS = 10
# How long a form's one-time token is remembered: longer than anyone waits between two clicks.
ONCE_SECONDS = 60 * 60
# The delivery log finds a case number among this many days of deliveries (the payload has no index).
CASE_SEARCH_DAYS = 30

# The messages of Django's own checks, in the pages' voice.
TOO_LONG = {"max_length": _("Write at most %(limit_value)d characters.")}
NOT_IN_LIST = {"invalid_choice": _("Choose one of the options of the list.")}
NOT_A_DATE = {"invalid": _("Enter a date like 31/12/2026.")}
STALE_FORM = _("This form is out of date: reload the page and try again.")


class SearchInput(forms.TextInput):
    """A search box (`type="search"`: a clear button, the right keyboard on a phone)."""

    input_type = "search"


# --- Sent once ------------------------------------------------------------------------------------


def once_token() -> str:
    return secrets.token_urlsafe(16)


class OnceField(forms.CharField):
    """A hidden one-time token, new each time the form is drawn (see `first_sending`)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("initial", once_token)
        kwargs.setdefault("error_messages", {"max_length": STALE_FORM})
        super().__init__(**kwargs)


def first_sending(scope: str, token: str) -> bool:
    """True the first time a form with this token is sent; False for a second click or a reload of
    the same form (the first sending already did the work). The cache's add is atomic, so of two
    sendings at once exactly one is first. No token (a form drawn elsewhere), or a cache that does
    not answer: every sending is first — the guard protects, it is not a rule."""
    if not token:
        return True
    try:
        return bool(cache.add(_once_key(scope, token), 1, ONCE_SECONDS))
    except Exception:
        logger.warning("Form token not checked: the cache did not answer", exc_info=True)
        return True


def _once_key(scope: str, token: str) -> str:
    # The token comes from the form as sent: hashed, so any text makes a short, safe cache key.
    return f"form-once:{scope}:{hashlib.sha256(token.encode()).hexdigest()}"


def forget_sending(scope: str, token: str) -> None:
    """The sending was refused (nothing was done): the same form may be sent again."""
    if not token:
        return
    try:
        cache.delete(_once_key(scope, token))
    except Exception:
        logger.warning("Form token not forgotten: the cache did not answer", exc_info=True)


# --- API keys -------------------------------------------------------------------------------------


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the key is for, so you recognise it in the log, e.g. “CRM integration”."),
        error_messages={"required": _("Enter a name for the key."), **TOO_LONG},
    )
    scopes = forms.MultipleChoiceField(
        label=_("What the key may do"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Scope.READ],
        help_text=_("Reading is needed to list and open cases: most keys need it."),
        error_messages={
            "required": _("Choose at least one thing the key may do."),
            "invalid_choice": _("Choose what the key may do from the list."),
        },
    )
    once = OnceField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Enter a name for the key."), code="required")
        return name

    def clean_scopes(self) -> list[str]:
        chosen = set(self.cleaned_data["scopes"])
        # In the declared order, each once.
        return [value for value in Scope.values if value in chosen]


class ApiKeyFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("The key's name or its public part."),
        widget=SearchInput(attrs={"autocomplete": "off"}),
        error_messages=TOO_LONG,
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[
            ("", _("Any")),
            ("active", _("Active")),
            ("stopped", _("No longer works")),
            ("revoked", _("Revoked")),
        ],
        error_messages=NOT_IN_LIST,
    )

    @property
    def in_use(self) -> bool:
        return self.is_bound and any(self.data.get(name) for name in self.fields)


STATUS_CLASSES = [("2xx", _("Success (2xx)")), ("4xx", _("Refused (4xx)")), ("5xx", _("Server error (5xx)"))]


class ApiCallFilterForm(forms.Form):
    """The audit log's filters. Every field is optional; an invalid one is ignored."""

    key = forms.ModelChoiceField(
        label=_("Key"),
        required=False,
        queryset=ApiKey.objects.none(),
        error_messages={"invalid_choice": _("Choose one of your company's keys.")},
    )
    status = forms.ChoiceField(
        label=_("Response status"),
        required=False,
        choices=[("", _("Any")), *STATUS_CLASSES],
        error_messages=NOT_IN_LIST,
    )
    date_from = BoundedDateField(
        past_years=FILTER_YEARS,
        future_years=1,
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages=NOT_A_DATE,
    )
    date_to = BoundedDateField(
        past_years=FILTER_YEARS,
        future_years=1,
        label=_("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages=NOT_A_DATE,
    )
    path = forms.CharField(
        label=_("Path contains"),
        required=False,
        max_length=300,
        help_text=_("e.g. /api/v1/cases"),
        widget=SearchInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages=TOO_LONG,
    )

    def __init__(self, *args: Any, keys: QuerySet[ApiKey], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        key = cast(forms.ModelChoiceField, self.fields["key"])
        key.queryset = keys
        key.empty_label = _("Any key")
        key.label_from_instance = lambda obj: f"{obj.name} ({obj.prefix})"  # type: ignore[method-assign]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if isinstance(start, date) and isinstance(end, date) and start > end:
            self.add_error("date_to", _("The end date must be on or after the start date."))
        return data

    @property
    def in_use(self) -> bool:
        return self.is_bound and any(self.data.get(name) for name in self.fields)


# --- Webhooks -------------------------------------------------------------------------------------


class OnceForm(forms.Form):
    """A button whose second click does nothing more (e.g. "give it a new secret")."""

    once = OnceField()


class WebhookEndpointChangeForm(forms.Form):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Where we send the events: an https address of your system that answers with a 2xx status."),
        error_messages={
            "required": _("Enter the address of your system that receives the events."),
            "invalid": _("Enter a whole address, like https://erp.example.com/webhooks."),
            **TOO_LONG,
        },
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=200,
        help_text=_("For you: what this endpoint is."),
        error_messages=TOO_LONG,
    )
    events = forms.MultipleChoiceField(
        label=_("Events to send"),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one event to send."),
            "invalid_choice": _("Choose events from the list."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["url"].widget.attrs.update(
            {"autocomplete": "off", "spellcheck": "false", "inputmode": "url", "placeholder": "https://"}
        )

    def clean_events(self) -> list[str]:
        chosen = set(self.cleaned_data["events"])
        return [value for value in WebhookEvent.values if value in chosen]


class WebhookEndpointForm(WebhookEndpointChangeForm):
    """Registering an endpoint: a second click registers nothing more."""

    once = OnceField()


class WebhookEndpointFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Part of the URL or description."),
        widget=SearchInput(attrs={"autocomplete": "off"}),
        error_messages=TOO_LONG,
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("Any")), ("active", _("On")), ("disabled", _("Off"))],
        error_messages=NOT_IN_LIST,
    )

    @property
    def in_use(self) -> bool:
        return self.is_bound and any(self.data.get(name) for name in self.fields)


class DeliveryFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=SearchInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages=TOO_LONG,
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *DeliveryStatus.choices], error_messages=NOT_IN_LIST
    )
    event = forms.ChoiceField(
        label=_("Event"), required=False, choices=[("", _("Any")), *WebhookEvent.choices], error_messages=NOT_IN_LIST
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].help_text = gettext(
            "The delivery's id (webhook-id), or a case number among the deliveries of the last %(days)s days."
        ) % {"days": CASE_SEARCH_DAYS}

    def clean_q(self) -> str:
        return self.cleaned_data["q"].strip()

    @property
    def delivery_id(self) -> uuid.UUID | None:
        """The search as a delivery's id, when it is one."""
        try:
            return uuid.UUID(self.cleaned_data.get("q", ""))
        except ValueError:
            return None

    @property
    def in_use(self) -> bool:
        return self.is_bound and any(self.data.get(name) for name in self.fields)
