from django.http import HttpRequest

from notifications.selectors import inbox_unread_count


def inbox(request: HttpRequest) -> dict:
    """`inbox_unread`: the logged-in user's unread inbox messages, up to 100 (one indexed COUNT that
    stops there: the badge says "99+")."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"inbox_unread": 0}
    return {"inbox_unread": inbox_unread_count(user)}
