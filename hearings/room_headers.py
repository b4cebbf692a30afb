"""The hearing room is the one page that embeds another site: Jitsi's IFrame API (external_api.js)
and the meeting frame come from the Jitsi origin, and the page and that frame need the camera, the
microphone, screen sharing and full screen. Every other page keeps the site-wide policies
(settings.CONTENT_SECURITY_POLICY, settings.PERMISSIONS_POLICY), which allow none of it.

The origin is read per request, from the settings of the moment (the browser tests point
JITSI_DOMAIN at their live server)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from csp.decorators import csp_update
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django_permissions_policy.decorators import permissions_policy_override

# What the room (its equipment check) and the Jitsi frame use; Jitsi's external_api.js asks for the
# same on its iframe's `allow` attribute, which only works where the page's own policy allows it.
ROOM_FEATURES = ("autoplay", "camera", "display-capture", "fullscreen", "microphone", "screen-wake-lock")


def jitsi_origin() -> str:
    return f"{settings.JITSI_SCHEME}://{settings.JITSI_DOMAIN}"


def room_permissions_policy(origin: str) -> dict[str, str | list[str] | tuple[str]]:
    policy: dict[str, str | list[str] | tuple[str]] = dict(settings.PERMISSIONS_POLICY)
    for feature in ROOM_FEATURES:
        policy[feature] = ["self", origin]
    return policy


def video_room_headers(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Lets the page load the Jitsi script and frame and open the camera, microphone and screen to it."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        origin = jitsi_origin()
        with_room = csp_update({"script-src": [origin], "frame-src": [origin]})(view)
        with_room = permissions_policy_override(room_permissions_policy(origin))(with_room)
        return with_room(request, *args, **kwargs)

    return wrapped
