"""Opaque, signed cursors for the API's keyset pages: the client passes back what it was given, and a
cursor it altered (or one of another list) is a 400, never a wrong page."""

from typing import Any

from django.core import signing
from django.utils.translation import gettext

from .errors import VALIDATION_ERROR, ApiError


def cursor_for(list_name: str, position: Any) -> str:
    return signing.dumps(position, salt=f"api.cursor.{list_name}", compress=True)


def invalid_cursor() -> ApiError:
    return ApiError(
        400,
        VALIDATION_ERROR,
        gettext("The cursor is not valid: pass back the next_cursor of the previous page unchanged."),
        errors=[{"field": "query.cursor", "message": gettext("Not a cursor this list gave.")}],
    )


def position_of(list_name: str, cursor: str | None, shape: type | tuple[type, ...]) -> Any:
    """The position a cursor holds (of this shape), or None without one; a 400 when it was not ours."""
    if not cursor:
        return None
    try:
        position = signing.loads(cursor, salt=f"api.cursor.{list_name}")
    except signing.BadSignature:
        raise invalid_cursor() from None
    if not isinstance(position, shape):
        raise invalid_cursor()
    return position
