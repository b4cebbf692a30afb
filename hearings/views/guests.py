"""Guests of a hearing: the office's (or the conciliator's) page to invite and uninvite them, and the
guest's own room page, opened without an account by the personal link."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from parties.http import AuthenticatedRequest
from parties.models import User

from .. import policy
from ..errors import HearingError
from ..forms.guests import GuestInviteForm
from ..jitsi import external_api_url, guest_name, guest_token, room_options, room_window
from ..models import Hearing, HearingGuest
from ..room_headers import video_room_headers
from ..selectors import hearings_visible_to
from ..services import guests as services
from .room import room_phase


def _hearing_managed_by(user: User, pk: int) -> Hearing:
    """A hearing the user sees (else 404) and whose guests they manage (else 403)."""
    hearing = hearings_visible_to(user).filter(pk=pk).first()
    if hearing is None:
        raise Http404
    if user.pk != hearing.conciliator_id and not policy.is_office(user):
        raise PermissionDenied(_("Only the office or the hearing's conciliator invite guests to it."))
    return hearing


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def hearing_guests(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    hearing = _hearing_managed_by(user, pk)
    refusal = policy.why_not(policy.INVITE_GUEST, user, hearing)
    form = GuestInviteForm(request.POST if request.method == "POST" else None)
    new_link, new_guest = "", None
    if request.method == "POST" and refusal is None and form.is_valid():
        try:
            new_guest, key = services.guest_invite(hearing=hearing, by=user, **form.cleaned_data)
        except HearingError as error:
            messages.error(request, str(error))
        else:
            # Shown this once: only its hash is kept.
            new_link = services.guest_url(key)
            form = GuestInviteForm()
    elif request.method == "POST" and refusal is not None:
        messages.error(request, refusal.message)
    return render(
        request,
        "hearings/guests/manage.html",
        {
            "hearing": hearing,
            "case": hearing.complaint,
            "case_time_zone": timezone.get_default_timezone(),
            "guests": hearing.guests.select_related("invited_by"),
            "form": form,
            "can_invite": refusal is None,
            "refusal": refusal.message if refusal else "",
            "new_link": new_link,
            "new_guest": new_guest,
        },
    )


@login_required
@require_POST
def hearing_guest_revoke(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    guest = (
        HearingGuest.objects.filter(pk=pk, hearing__in=hearings_visible_to(user).values("pk"))
        .select_related("hearing")
        .first()
    )
    if guest is None:
        raise Http404
    _hearing_managed_by(user, guest.hearing_id)
    try:
        services.guest_revoke(guest=guest, by=user)
    except HearingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(name)s's link no longer opens the hearing.") % {"name": guest.name})
    return redirect("hearing_guests", pk=guest.hearing_id)


def _refused(request: HttpRequest, reason: str, hearing: Hearing | None = None) -> HttpResponse:
    """The same page for a link that does not exist and one withdrawn (403), and for a hearing that
    is over or called off (410): never a hint of any other hearing."""
    return render(
        request,
        "hearings/guests/refused.html",
        {"reason": reason, "hearing": hearing},
        status=403 if reason == "invalid" else 410,
    )


@require_safe
@never_cache
@video_room_headers
def hearing_guest_room(request: HttpRequest, key: str) -> HttpResponse:
    """The guest's room page: no account, the link's key is the whole credential. A token only while
    the room is open, never a moderator's (hearings.jitsi.guest_token)."""
    guest = services.guest_for_key(key)
    if guest is None or guest.revoked_at is not None:
        return _refused(request, "invalid")
    hearing = guest.hearing
    now = timezone.now()
    phase = room_phase(hearing, now)
    if phase in ("cancelled", "ended"):
        return _refused(request, phase, hearing)
    opens_at, closes_at = room_window(hearing)
    options = None
    if phase == "open":
        name = guest_name(guest)
        options = room_options(
            hearing,
            None,
            "other",
            guest_token(hearing, guest),
            lang=getattr(request, "LANGUAGE_CODE", "") or "es",
            name=name,
            email=guest.email,
        )
    response = render(
        request,
        "hearings/guests/room.html",
        {
            "hearing": hearing,
            "guest": guest,
            "case_time_zone": timezone.get_default_timezone(),
            "party": "guest",
            "guest_room": True,
            "phase": phase,
            "now": now,
            "opens_at": opens_at,
            "closes_at": closes_at,
            "room_options": options,
            "is_moderator": False,
            "external_api_url": external_api_url() if options else "",
        },
    )
    # The key is in this page's address: no other site learns it from a Referer.
    response["Referrer-Policy"] = "no-referrer"
    return response
