"""The hearing room: the page each party opens to take part, what it reports, and the conciliator's
corrections and recordings. Also the endpoint the video server posts its occupant events to.

Thin views: load the hearing through `hearings_visible_to` and `party_of` (a 404 for anyone who is
not a party, except the office, who may look but gets no room), call the service, turn a refused
move into a message."""

import hmac
import json
import re
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from complaints.services import CaseError
from parties.http import AuthenticatedRequest
from parties.models import User

from .. import policy
from ..forms.room import AttendanceCorrectionForm, RecordingConsentForm, RecordingRegisterForm
from ..jitsi import acting_name, external_api_url, participant_token, room_options, room_window
from ..models import Acta, Attendance, Hearing, Recording, RecordingConsent
from ..room_headers import video_room_headers
from ..selectors import attendance_summary, hearings_visible_to, is_office
from ..services import room as services

PAGE_SIZE = 25
# The page's own id for an event: "<page id>-<n>" (see static/hearings/room.js).
EVENT_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")
REPORT_MAX_BYTES = 4096
# event_sync's room-destroyed summary lists every join of the hearing again: a few KB for a hearing.
EVENTS_MAX_BYTES = 256 * 1024
# Neither body nests deeper than an occupant inside a list inside the event (and its user context).
JSON_MAX_DEPTH = 8
# Parties answer the recording question before they join; the conciliator is the one who records.
ASKED_ABOUT_RECORDING = (Attendance.Party.CONSUMER, Attendance.Party.COMPANY)


def _hearing_for(user: User, pk: int) -> tuple[Hearing, str | None]:
    """The hearing and the user's side of it; a 404 for anyone who is neither a party nor the office."""
    hearing = hearings_visible_to(user).filter(pk=pk).first()
    if hearing is None:
        raise Http404
    # The room's sides: the consumer's validated representative sits on the consumer's.
    party = policy.acta_side(user, hearing)
    if party is None and not is_office(user):
        raise Http404
    return hearing, party


def _manageable(user: User, pk: int) -> Hearing:
    """For the conciliator's pages: the hearing's conciliator or the office; a party gets a 403."""
    hearing, _party = _hearing_for(user, pk)
    refusal = policy.why_not(policy.MANAGE_ROOM, user, hearing)
    if refusal is not None:
        raise PermissionDenied(refusal.message)
    return hearing


def room_phase(hearing: Hearing, now: datetime) -> str:
    """cancelled · ended (held, adjourned, or past the room's closing) · before (the room is not open
    yet) · open (from JITSI_TOKEN_EARLY_MINUTES before the start to JITSI_TOKEN_LATE_MINUTES after
    the planned end: the tokens' own validity, so an overrunning hearing can still be rejoined)."""
    if hearing.status == Hearing.Status.CANCELLED:
        return "cancelled"
    opens_at, closes_at = room_window(hearing)
    if hearing.status != Hearing.Status.SCHEDULED or now > closes_at:
        return "ended"
    if now < opens_at:
        return "before"
    return "open"


def _consents(hearing: Hearing) -> list[dict]:
    """For the conciliator: each party's answer to the recording question (None: not answered)."""
    answers = {c.user_id: c for c in RecordingConsent.objects.filter(hearing=hearing)}
    return [
        {"person": person, "party_label": Attendance.Party(side).label, "consent": answers.get(person.pk)}
        for person, side in services.people_of(hearing)
        if side in ASKED_ABOUT_RECORDING
    ]


@login_required
@require_safe
@video_room_headers
def hearing_room(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    hearing, party = _hearing_for(user, pk)
    now = timezone.now()
    phase = room_phase(hearing, now)
    opens_at, closes_at = room_window(hearing)
    asked = party in ASKED_ABOUT_RECORDING
    consent = RecordingConsent.objects.filter(hearing=hearing, user=user).first() if party else None
    options = None
    # Tokens only to whom the room policy lets in (a party of this hearing still to be held), only
    # while the room is open, and only once a party has answered the recording question (the
    # conciliator is not asked).
    if (
        phase == "open"
        and party is not None
        and policy.may_enter_room(user, hearing)
        and not (asked and consent is None)
    ):
        name = acting_name(user, services.acting_for(hearing, user, party))
        options = room_options(
            hearing,
            user,
            party,
            participant_token(hearing, user, party, name=name),
            lang=request.LANGUAGE_CODE or "es",
            name=name,
        )
    manages = policy.allowed(policy.MANAGE_ROOM, user, hearing)
    acta = Acta.objects.filter(hearing=hearing).first() if phase == "ended" else None
    return render(
        request,
        "hearings/room/room.html",
        {
            "hearing": hearing,
            "case": hearing.complaint,
            "case_time_zone": timezone.get_default_timezone(),
            "party": party,
            "party_label": Attendance.Party(party).label if party else "",
            "phase": phase,
            "now": now,
            "opens_at": opens_at,
            "closes_at": closes_at,
            "asked_about_recording": asked,
            "consent": consent,
            "consent_form": RecordingConsentForm(
                initial={"consented": ("yes" if consent.consented else "no")} if consent else None
            ),
            "room_options": options,
            "is_moderator": party == Attendance.Party.CONCILIATOR,
            "external_api_url": external_api_url() if options else "",
            "dial_in_number": settings.JITSI_DIAL_IN_NUMBER,
            "manages": manages,
            "consents": _consents(hearing) if manages else [],
            "recordings": hearing.recordings.all(),
            "recording_days": settings.HEARINGS["RECORDING_AVAILABLE_DAYS"],
            "acta": acta,
            "acta_ready": bool(acta and acta.is_ready),
        },
    )


def _json_error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


class Unreadable(ValueError):
    """A request body that is no JSON Concilia reads (the view answers 4xx)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def _depth(value: object) -> int:
    """How deeply lists and objects nest (without recursion: the value may be 1,000 levels deep)."""
    deepest, pending = 0, [(value, 1)]
    while pending and deepest <= JSON_MAX_DEPTH:
        item, level = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            pending.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def json_body(request: HttpRequest, *, max_bytes: int) -> object:
    """The body as JSON, or Unreadable: larger than max_bytes (413, before reading it when the
    Content-Length says so), not JSON, NaN or Infinity, or nested deeper than JSON_MAX_DEPTH.
    Python's parser raises RecursionError, not ValueError, on a few KB of brackets."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > max_bytes or len(request.body) > max_bytes:
        raise Unreadable("too large", status=413)
    try:
        data = json.loads(request.body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise Unreadable("invalid JSON") from None
    if _depth(data) > JSON_MAX_DEPTH:
        raise Unreadable("nested too deeply")
    return data


@login_required
@require_POST
def hearing_attendance_report(request: AuthenticatedRequest, pk: int) -> JsonResponse:
    """The page's IFrame API events (fetch, with the CSRF token). 201 stored, 200 already stored,
    4xx for anything else the page would never send."""
    user = request.user
    hearing, party = _hearing_for(user, pk)
    if party is None:
        raise Http404
    try:
        data = json_body(request, max_bytes=REPORT_MAX_BYTES)
    except Unreadable as error:
        if error.status == 413:
            return _json_error(_("The report is too large."), 413)
        return _json_error(_("The report is not valid JSON."), 400)
    if not isinstance(data, dict):
        return _json_error(_("The report is not valid JSON."), 400)
    event, event_id, name = data.get("event"), data.get("event_id"), data.get("display_name", "")
    if not (isinstance(event, str) and isinstance(event_id, str) and isinstance(name, str)):
        return _json_error(_("Unknown attendance event."), 400)
    if not EVENT_ID.fullmatch(event_id):
        return _json_error(_("Unknown attendance event."), 400)
    if room_phase(hearing, timezone.now()) != "open":
        return _json_error(_("The hearing room is not open."), 409)
    try:
        row, created = services.attendance_from_client(
            hearing=hearing,
            user=user,
            party=party,
            event=event,
            event_id=event_id,
            display_name=name,
        )
    except CaseError as error:
        return _json_error(str(error), 400)
    return JsonResponse({"recorded": created, "kind": row.kind}, status=201 if created else 200)


@csrf_exempt
@require_POST
def jitsi_events(request: HttpRequest, suffix: str = "") -> JsonResponse:
    """Prosody's event_sync component posts here (its api_prefix is this URL; it appends
    /events/occupant/joined and the like, which `suffix` absorbs: the payload names the event).
    Authenticated by `Authorization: Bearer <JITSI_EVENTS_SECRET>`. 200 for a repeated event too,
    so Jitsi's retries stop; 404 for a room that is no hearing's."""
    secret = settings.JITSI_EVENTS_SECRET
    header = request.headers.get("Authorization", "")
    given = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        response = _json_error("unauthorized", 401)
        response["WWW-Authenticate"] = 'Bearer realm="concilia-jitsi-events"'
        return response
    try:
        payload = json_body(request, max_bytes=EVENTS_MAX_BYTES)
    except Unreadable as error:
        return _json_error(str(error), error.status)
    try:
        result = services.attendance_from_jitsi_event(payload)
    except services.UnknownRoom:
        return _json_error("unknown room", 404)
    except services.BadEvent as error:
        return _json_error(str(error), 400)
    except CaseError as error:
        return _json_error(str(error), 409)
    return JsonResponse({"ok": True, "created": result.created})


@login_required
@require_POST
def hearing_recording_consent(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    hearing, party = _hearing_for(user, pk)
    if party is None:
        raise Http404
    form = RecordingConsentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether you agree to the hearing being recorded."))
        return redirect(reverse("hearing_room", args=[hearing.pk]) + "#recording-consent")
    try:
        services.recording_consent(hearing=hearing, user=user, consented=form.cleaned_data["consented"])
    except CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Your answer was recorded."))
    return redirect(reverse("hearing_room", args=[hearing.pk]) + "#join")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def hearing_attendance_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    hearing = _manageable(user, pk)
    form = AttendanceCorrectionForm(request.POST if request.method == "POST" else None, hearing=hearing)
    if request.method == "POST" and form.is_valid():
        try:
            services.attendance_correct(hearing=hearing, by=user, **form.correction())
        except CaseError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The attendance was corrected."))
            return redirect("hearing_attendance_edit", pk=hearing.pk)
    records = Attendance.objects.filter(hearing=hearing).select_related("recorded_by").order_by("-at", "-pk")
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "hearings/room/attendance_edit.html",
        {
            "hearing": hearing,
            "case": hearing.complaint,
            "case_time_zone": timezone.get_default_timezone(),
            "form": form,
            "summary": attendance_summary(hearing),
            "page_obj": page,
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def hearing_recording_register(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    hearing = _manageable(user, pk)
    form = RecordingRegisterForm(request.POST, request.FILES) if request.method == "POST" else RecordingRegisterForm()
    if request.method == "POST" and form.is_valid():
        try:
            services.recording_register(
                hearing=hearing, by=user, url=form.cleaned_data.get("url"), file=form.cleaned_data.get("file")
            )
        except CaseError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The recording was registered and the parties were told."))
            return redirect(reverse("hearing_room", args=[hearing.pk]) + "#recordings")
    return render(
        request,
        "hearings/room/recording_register.html",
        {
            "hearing": hearing,
            "case": hearing.complaint,
            "case_time_zone": timezone.get_default_timezone(),
            "form": form,
            "recordings": hearing.recordings.all(),
            "recording_days": settings.HEARINGS["RECORDING_AVAILABLE_DAYS"],
        },
    )


@login_required
@require_safe
def hearing_recording_download(request: AuthenticatedRequest, pk: int) -> FileResponse:
    """A recording's file, for the parties and the office only (as an attachment: never rendered)."""
    user = request.user
    recording = Recording.objects.filter(pk=pk, hearing__in=hearings_visible_to(user).values("pk")).first()
    if recording is None or not recording.file:
        raise Http404
    _hearing_for(user, recording.hearing_id)  # a party or the office
    stored = recording.file.name or ""
    suffix = "." + stored.rsplit(".", 1)[-1] if "." in stored else ""
    return FileResponse(
        recording.file.open("rb"),
        as_attachment=True,
        filename=f"audiencia-{recording.hearing_id}-{recording.pk}{suffix}",
    )
