"""A request whose user is known to be logged in, for views behind `login_required`.

Typing a view's request as `AuthenticatedRequest` tells mypy that `request.user` is our `User`,
not `User | AnonymousUser`, without a `# type: ignore` at every use."""

from django.http import HttpRequest

from parties.models import User


class AuthenticatedRequest(HttpRequest):
    user: User
