"""An event's declared context as JSON, so the worker can render a message where it delivers it.

`encode` runs when the outbox row is written (inside the move's transaction): it turns the context
checked by `events.prepare_context` into JSON-safe values. A lazy translation is translated there,
in the recipient's language (it is text already chosen for this person); dates, datetimes and
amounts keep their type through a tagged form, so the templates format them exactly as before.
`decode` gives the worker the same values back.

    encode({"hearing_start": aware_dt, "offer_amount": Decimal("10.50")}, language="es-ar")
    == {"hearing_start": {"$dt": "2026-12-07T13:00:00+00:00"}, "offer_amount": {"$dec": "10.50"}}

The recipient (a User) is never encoded: the row's `recipient` is the recipient.
"""

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.functional import Promise

_TAGS = ("$dt", "$d", "$dec")
# Keys the outbox adds itself from the row (see rendering.full_context): never stored twice.
NOT_STORED = frozenset({"recipient"})


class CodecError(TypeError):
    """A value the declared kinds do not allow reached the codec: a programming error."""


def encode(context: Mapping[str, Any], *, language: str) -> dict[str, Any]:
    with translation.override(language):
        return {key: _encode(value) for key, value in context.items() if key not in NOT_STORED}


def decode(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _decode(value) for key, value in data.items()}


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, list | tuple):
        return [_encode(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _encode(item) for key, item in value.items()}
    raise CodecError(f"Cannot store a {type(value).__name__} in a notification's context.")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if isinstance(value, dict):
        if len(value) == 1:
            ((tag, raw),) = value.items()
            if tag == "$dt":
                return datetime.fromisoformat(raw)
            if tag == "$d":
                return date.fromisoformat(raw)
            if tag == "$dec":
                return Decimal(raw)
        return {key: _decode(item) for key, item in value.items()}
    return value
