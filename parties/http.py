"""A request whose user is known to be logged in, for views behind `login_required`.

Typing a view's request as `AuthenticatedRequest` tells mypy that `request.user` is our `User`,
not `User | AnonymousUser`, without a `# type: ignore` at every use."""

from django.http import HttpRequest

from parties.models import User


class AuthenticatedRequest(HttpRequest):
    user: User


BIGINT_MAX = 2**63 - 1


def as_id(value: object) -> int | None:
    """A primary key typed or posted by someone: ASCII digits within a bigint, else None. (Unicode
    digits such as "²" pass str.isdigit() but int() refuses them: never trust isdigit alone.)"""
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= BIGINT_MAX else None
