"""The hearing room: who came and when, consent to be recorded, and the recordings.

Attendance rows are the record of who was in the room. They are written often (every join and leave,
from each browser and from the video server), so they are not also copied into the case's event
chain, and they take no lock: the `attendance_once` unique constraint makes a repeated delivery of
the same event a no-op. What a person decides is logged on the case, under the case's row lock:
a hand correction of attendance, an answer about recording, a recording registered.

Three sources, all kept (hearings.selectors.attendance_summary reads them together):
- client: the page's IFrame API events. Timed by the server (a browser's clock is not evidence),
  keyed by the page's own event id.
- server: prosody's event_sync component (jitsi-contrib/prosody-plugins), timed by the video server,
  keyed by (event, occupant jid, time) so Jitsi's retries and the room-destroyed summary that repeats
  every join and leave add nothing twice. A payload is read whole before anything is written: one
  field Concilia cannot read refuses the whole event (BadEvent), never half of it.
- manual: the conciliator's correction; it replaces the automatic figures for that person.
"""

import hashlib
import math
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.models import CaseCompany
from complaints.services import lock_case, record_event
from parties.models import User

from .. import policy
from ..errors import HearingError
from ..jitsi import display_name as token_name
from ..jitsi import guest_name
from ..models import Attendance, Hearing, Recording, RecordingConsent
from ..notify import hearing_parties, notify_hearing
from .shared import lock_hearing

DEDUPE_MAX = 200  # Attendance.dedupe_key's max_length
NAME_MAX = 300  # Attendance.display_name's max_length
# Prosody names a tenant's room "[tenant]room" in the MUC jid; the hearing is the bare room.
TENANT_PREFIX = re.compile(r"^\[[^\]]*\]")
# What a hearing's room name can look like (Hearing.room: "concilia-" and hex, at most 64).
ROOM_NAME = re.compile(r"[a-z0-9._-]{1,64}")
# Jibri's jid, when the hidden domain is not the configured one: the legacy "recorder." domain
# (docker-jitsi-meet's XMPP_RECORDER_DOMAIN before XMPP_HIDDEN_DOMAIN replaced it).
RECORDER_DOMAIN_PREFIX = "recorder."
JID_MAX = 3071  # RFC 7622: the longest jid
TEXT_MAX = 1000  # a name, an e-mail or an id in an event: longer is no token Concilia signed
# A hearing has a handful of people; a room-destroyed summary repeats each join. More is no hearing.
OCCUPANTS_MAX = 1000
# A guest's token id (hearings.jitsi.guest_token): "guest-<pk>", nobody's user id.
GUEST_ID_PREFIX = "guest-"


class UnknownRoom(Exception):
    """The video server spoke of a room that is no hearing's."""


class BadEvent(ValueError):
    """A video-server event Concilia cannot read."""


def storable_text(value: str) -> str:
    """The text without what PostgreSQL cannot store: NUL characters and lone surrogates (which JSON's
    \\ud800 escapes let through)."""
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _event_text(
    value: object, field: str, *, max_length: int = TEXT_MAX, number: bool = False, exact: bool = False
) -> str:
    """A string field of an event ("" when absent); anything else refuses the event. With `number`,
    a whole number of at most 20 digits is taken as its digits (an id may come as one). Text
    PostgreSQL cannot store is dropped from it, or with `exact` (a link) refuses the event."""
    if value is None:
        return ""
    if number and isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**20:
        value = str(value)
    if not isinstance(value, str) or len(value) > max_length:
        raise BadEvent(f"{field} is not a string of at most {max_length} characters")
    text = storable_text(value)
    if exact and text != value:
        raise BadEvent(f"{field} holds characters that cannot be stored")
    return text


def _dedupe(key: str) -> str:
    """Keys are readable when they fit; a long one (a long jid) is hashed to fit the column."""
    if len(key) <= DEDUPE_MAX:
        return key
    return f"{key[:40]}~{hashlib.sha256(key.encode()).hexdigest()}"


def room_people(hearing: Hearing) -> list[tuple[User, str, CaseCompany | None]]:
    """Everyone of the hearing with their side and, for a company's representative, the first served
    company they appear for: the consumer and their validated representatives, the representatives of
    every served company, the conciliator (hearings.notify.hearing_parties)."""
    return [*hearing_parties(hearing), (hearing.conciliator, Attendance.Party.CONCILIATOR, None)]


def people_of(hearing: Hearing) -> list[tuple[User, str]]:
    """Everyone of the hearing with their side (room_people without the companies)."""
    return [(person, side) for person, side, _part in room_people(hearing)]


def part_of(hearing: Hearing, user: User | None) -> CaseCompany | None:
    """The company a representative appears for in this hearing: the first served one of the case."""
    if user is None:
        return None
    parts = policy.served_parts_of(user, hearing.complaint)
    return parts[0] if parts else None


def acting_for(hearing: Hearing, user: User, party: str | None) -> str:
    """Whom the person speaks for, as the room shows it next to their name ("" in person)."""
    case = hearing.complaint
    if party == Attendance.Party.CONSUMER and user.pk != case.consumer_id:
        return case.consumer_name or case.consumer.display_name
    if party == Attendance.Party.COMPANY:
        return ", ".join(part.display_name for part in policy.served_parts_of(user, case))
    return ""


# --- Attendance ----------------------------------------------------------------------------------


def attendance_record(
    *,
    hearing: Hearing,
    user: User | None,
    party: str,
    kind: str,
    at: datetime,
    source: str,
    dedupe_key: str,
    display_name: str = "",
    recorded_by: User | None = None,
    note: str = "",
    part: CaseCompany | None = None,
) -> tuple[Attendance, bool]:
    """Store one join or leave, once: (row, created). A second delivery of the same dedupe key
    returns the first row untouched."""
    if kind not in Attendance.Kind.values or source not in Attendance.Source.values:
        raise HearingError(_("Unknown attendance record."))
    if party not in Attendance.Party.values:
        party = Attendance.Party.OTHER
    name = (display_name or (user.display_name if user else "")).strip()[:NAME_MAX]
    with transaction.atomic():
        return Attendance.objects.get_or_create(
            hearing=hearing,
            dedupe_key=_dedupe(dedupe_key),
            defaults={
                "user": user,
                "party": party,
                "part": part if party == Attendance.Party.COMPANY else None,
                "display_name": name,
                "kind": kind,
                "at": at,
                "source": source,
                "recorded_by": recorded_by,
                "note": note[:300],
            },
        )


# The IFrame API events the page reports: the person's own, and (the moderator's page only) the others'.
CLIENT_EVENTS = {
    "videoConferenceJoined": (Attendance.Kind.JOINED, False),
    "videoConferenceLeft": (Attendance.Kind.LEFT, False),
    "participantJoined": (Attendance.Kind.JOINED, True),
    "participantLeft": (Attendance.Kind.LEFT, True),
}


def attendance_from_client(
    *,
    hearing: Hearing,
    user: User,
    party: str,
    event: str,
    event_id: str,
    display_name: str = "",
    part: CaseCompany | None = None,
) -> tuple[Attendance, bool]:
    """A report from the hearing page. Its time is the server's; its key is the page's event id.

    A person reports their own joins and leaves. The conciliator's page also reports the others it
    sees (participantJoined/Left): a party found by their exact name is recorded as that party, and
    anyone else (a phone caller through Jigasi) by the name Jitsi shows."""
    if event not in CLIENT_EVENTS or not event_id:
        raise HearingError(_("Unknown attendance event."))
    kind, about_someone_else = CLIENT_EVENTS[event]
    key = f"client:u{user.pk}:{event_id}"
    if not about_someone_else:
        return attendance_record(
            hearing=hearing,
            user=user,
            party=party,
            kind=kind,
            at=timezone.now(),
            source=Attendance.Source.CLIENT,
            dedupe_key=key,
            part=part if part is not None else part_of(hearing, user) if party == Attendance.Party.COMPANY else None,
        )
    if party != Attendance.Party.CONCILIATOR:
        raise HearingError(_("Only the conciliator's page reports the other participants."))
    name = storable_text(display_name).strip()[:NAME_MAX]
    seen, seen_party, seen_part = _person_named(hearing, name)
    return attendance_record(
        hearing=hearing,
        user=seen,
        party=seen_party,
        part=seen_part,
        kind=kind,
        at=timezone.now(),
        source=Attendance.Source.CLIENT,
        dedupe_key=key,
        display_name=name or _("Unnamed participant"),
        note=_("Seen by the conciliator's browser"),
    )


def _shown_as(person: User, name: str) -> bool:
    """Whether Jitsi's name is this person's token name: theirs, or theirs followed by whom they act
    for ("Name (for …)", jitsi.acting_name)."""
    own = token_name(person).casefold()
    return bool(name) and (name == own or name.startswith(own + " ("))


def _person_named(hearing: Hearing, name: str) -> tuple[User | None, str, CaseCompany | None]:
    """The one person of the hearing Jitsi shows under this name (their token's name), if any."""
    wanted = name.casefold()
    if wanted and any(wanted == guest_name(guest).casefold() for guest in hearing.guests.all()):
        return None, Attendance.Party.OTHER, None  # a guest's token name, even one a party's name begins
    found = [(person, side, part) for person, side, part in room_people(hearing) if _shown_as(person, wanted)]
    return found[0] if len(found) == 1 else (None, Attendance.Party.OTHER, None)


def _occupant_person(hearing: Hearing, occupant_id: str, email: str) -> tuple[User | None, str, CaseCompany | None]:
    """Who an occupant is: the token's context.user.id (our user's pk), else its e-mail, and only if
    that person is a party of this hearing. A guest's token id ("guest-…") is nobody's pk, and a
    guest is never a party: not even when the office invited them with a party's e-mail."""
    if occupant_id.startswith(GUEST_ID_PREFIX):
        return None, Attendance.Party.OTHER, None
    people = room_people(hearing)
    email = email.strip().lower()
    found = next(((p, side, part) for p, side, part in people if occupant_id and str(p.pk) == occupant_id), None)
    if found is None and email:
        found = next(((p, side, part) for p, side, part in people if p.email.lower() == email), None)
    return found or (None, Attendance.Party.OTHER, None)


def _epoch(value: object) -> datetime:
    """A time in an event: seconds since 1970 (os.time()), as a number or a short string of one."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadEvent("timestamp missing or not a number")
    if isinstance(value, str) and len(value) > 40:
        raise BadEvent("timestamp out of range")
    try:
        seconds = float(value)  # a 400-digit int overflows here; a 400-digit string is infinite
    except OverflowError:
        raise BadEvent("timestamp out of range") from None
    except ValueError:
        raise BadEvent("timestamp not a number") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise BadEvent("timestamp out of range")
    # event_sync sends os.time() seconds; JaaS-style milliseconds are recognised by their size.
    if seconds > 1e12:
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise BadEvent("timestamp out of range") from None


def _room_hearing(payload: dict) -> Hearing:
    room = TENANT_PREFIX.sub("", _event_text(payload.get("room_name"), "room_name")).strip().lower()
    if not room:
        raise BadEvent("room_name missing")
    if not ROOM_NAME.fullmatch(room):
        raise UnknownRoom(room)  # no hearing's room looks like that: no need to ask the database
    hearing = Hearing.objects.select_related("complaint", "conciliator").filter(room=room).first()
    if hearing is None:
        raise UnknownRoom(room)
    return hearing


def is_hidden_occupant(jid: str) -> bool:
    """Jibri (and any bot Jitsi hides) logs in on the hidden domain (JITSI_HIDDEN_DOMAIN; docker-jitsi-meet
    joins it as recorder@hidden.<domain>) or, on older deployments, on the "recorder." domain. It joins
    the room to record it: it is not someone attending."""
    domain = jid.split("@", 1)[-1].split("/", 1)[0].lower()
    return domain == settings.JITSI_HIDDEN_DOMAIN.lower() or domain.startswith(RECORDER_DOMAIN_PREFIX)


@dataclass
class _Presence:
    """One occupant of an event, read and checked before anything is written."""

    jid: str
    occupant_id: str
    email: str
    name: str
    times: list[tuple[str, datetime]]  # (kind, when)


def _read_occupant(occupant: object, *, kinds: tuple[str, ...]) -> _Presence | None:
    """The occupant as Concilia records it, or None for a hidden one (Jibri). Raises BadEvent."""
    if not isinstance(occupant, dict):
        raise BadEvent("occupant is not an object")
    occupant_id = _event_text(occupant.get("id"), "id", number=True)
    jid = _event_text(occupant.get("occupant_jid"), "occupant_jid", max_length=JID_MAX) or occupant_id
    if not jid:
        raise BadEvent("occupant without a jid")
    times = []
    for kind in kinds:
        stamp = occupant.get("joined_at" if kind == Attendance.Kind.JOINED else "left_at")
        if stamp not in (None, ""):
            times.append((kind, _epoch(stamp)))
    presence = _Presence(
        jid=jid,
        occupant_id=occupant_id,
        email=_event_text(occupant.get("email"), "email"),
        name=_event_text(occupant.get("name"), "name"),
        times=times,
    )
    return None if is_hidden_occupant(jid) else presence


def _occupant_rows(hearing: Hearing, presence: _Presence, *, breakout: str) -> int:
    user, party, part = _occupant_person(hearing, presence.occupant_id, presence.email)
    name = presence.name or presence.jid.split("@")[0]
    created = 0
    for kind, at in presence.times:
        _row, new = attendance_record(
            hearing=hearing,
            user=user,
            party=party,
            kind=kind,
            at=at,
            source=Attendance.Source.SERVER,
            dedupe_key=f"server:{kind}:{breakout}:{presence.jid}:{int(at.timestamp())}",
            display_name=name,
            part=part,
        )
        created += new
    return created


@dataclass
class EventResult:
    hearing: Hearing | None
    created: int  # attendance rows written now (0 for a repeated delivery)


def attendance_from_jitsi_event(payload: object) -> EventResult:
    """One POST of prosody's event_sync component (jitsi-contrib/prosody-plugins, event_sync/):

        {"event_name": "muc-occupant-joined", "room_name": "concilia-…", "room_jid": "…",
         "is_breakout": false, "active_occupants_count": 2,
         "occupant": {"occupant_jid": "…@meet…/res", "joined_at": 1625823996,
                      "name": "…", "email": "…", "id": "<our user pk>"}}

    "muc-occupant-left" adds occupant.left_at; "muc-room-destroyed" lists all_occupants (each with
    joined_at and left_at), which fills in any join or leave whose own POST was lost. Room-created
    events are acknowledged and ignored. Raises UnknownRoom (no such hearing) or BadEvent."""
    if not isinstance(payload, dict):
        raise BadEvent("not a JSON object")
    event = _event_text(payload.get("event_name"), "event_name")
    if event == "recording-uploaded":
        hearing = _room_hearing(payload)
        _recording_from_event(hearing, payload)
        return EventResult(hearing, 0)
    if event not in ("muc-occupant-joined", "muc-occupant-left", "muc-room-destroyed", "muc-room-created"):
        raise BadEvent(f"unknown event {event!r}")
    hearing = _room_hearing(payload)
    breakout = _event_text(payload.get("breakout_room_id"), "breakout_room_id") if payload.get("is_breakout") else ""
    if event == "muc-occupant-joined":
        presences = [_read_occupant(payload.get("occupant"), kinds=("joined",))]
    elif event == "muc-occupant-left":
        presences = [_read_occupant(payload.get("occupant"), kinds=("joined", "left"))]
    elif event == "muc-room-destroyed":
        occupants = payload.get("all_occupants") or []
        if not isinstance(occupants, list) or len(occupants) > OCCUPANTS_MAX:
            raise BadEvent(f"all_occupants is not a list of at most {OCCUPANTS_MAX}")
        presences = [_read_occupant(occupant, kinds=("joined", "left")) for occupant in occupants]
    else:
        presences = []
    created = sum(_occupant_rows(hearing, presence, breakout=breakout) for presence in presences if presence)
    return EventResult(hearing, created)


def attendance_correct(
    *,
    hearing: Hearing,
    by: User,
    user_or_name: User | str,
    party: str,
    joined_at: datetime,
    left_at: datetime | None,
    note: str,
    part: CaseCompany | None = None,
) -> list[Attendance]:
    """The conciliator (or the office) records by hand when someone was in the hearing. For that
    person the manual record replaces what browsers and the video server said (attendance_summary).
    `part`: the company a representative appeared for (default: the first served one they represent);
    it must be a company of this case."""
    if not policy.allowed(policy.MANAGE_ROOM, by, hearing):
        raise HearingError(_("Only the hearing's conciliator or the office can correct its attendance."))
    if not note.strip():
        raise HearingError(_("Say why the attendance is corrected."))
    if left_at is not None and left_at <= joined_at:
        raise HearingError(_("The time they left must be after the time they joined."))
    if hearing.status == Hearing.Status.CANCELLED:
        raise HearingError(_("This hearing was cancelled; there is no attendance to record."))
    user = user_or_name if isinstance(user_or_name, User) else None
    name = user.display_name if user else str(user_or_name).strip()
    if not name:
        raise HearingError(_("Say who attended."))
    if user is not None:
        party = policy.acta_side(user, hearing) or party
    if part is not None and part.complaint_id != hearing.complaint_id:
        raise HearingError(_("That company is not part of this case."))
    if party == Attendance.Party.COMPANY and part is None:
        part = part_of(hearing, user)
    with transaction.atomic():
        case = lock_case(hearing.complaint_id)
        hearing = lock_hearing(hearing.pk)
        correction = uuid.uuid4().hex
        rows = []
        for kind, at in ((Attendance.Kind.JOINED, joined_at), (Attendance.Kind.LEFT, left_at)):
            if at is None:
                continue
            row, _created = attendance_record(
                hearing=hearing,
                user=user,
                party=party,
                kind=kind,
                at=at,
                source=Attendance.Source.MANUAL,
                dedupe_key=f"manual:{correction}:{kind}",
                display_name=name,
                recorded_by=by,
                note=note.strip(),
                part=part,
            )
            rows.append(row)
        # The record holds names, times and the conciliator's words, in no particular UI language.
        local = timezone.localtime
        times = f"{local(joined_at):%H:%M}-{local(left_at):%H:%M}" if left_at else f"{local(joined_at):%H:%M}-"
        who = f"{name} ({part.display_name})" if part is not None and party == Attendance.Party.COMPANY else name
        record_event(case=case, action="attendance_corrected", by=by, reason=f"{who}: {times}. {note.strip()}")
    return rows


# --- Recording -----------------------------------------------------------------------------------


def recording_consent(*, hearing: Hearing, user: User, consented: bool) -> RecordingConsent:
    """A party answers whether they agree to the hearing being recorded; a changed answer is logged
    again (the case's history keeps every answer, the row the latest)."""
    party = policy.acta_side(user, hearing)
    if party is None:
        raise HearingError(_("Only the parties of this hearing answer this question."))
    with transaction.atomic():
        case = lock_case(hearing.complaint_id)
        hearing = lock_hearing(hearing.pk)
        if hearing.status != Hearing.Status.SCHEDULED:
            raise HearingError(_("This hearing is no longer open."))
        consent = RecordingConsent.objects.filter(hearing=hearing, user=user).first()
        if consent is not None and consent.consented == consented:
            return consent
        if consent is None:
            consent = RecordingConsent(hearing=hearing, user=user)
        consent.consented = consented
        consent.at = timezone.now()
        consent.save()
        record_event(
            case=case,
            action="recording_consented" if consented else "recording_refused",
            by=user,
            reason=user.display_name,
        )
    return consent


def recording_register(
    *,
    hearing: Hearing,
    by: User | None,
    url: str | None = None,
    file: UploadedFile | None = None,
    external_id: str = "",
) -> Recording:
    """Store where the recording is (a link, or the file itself) and tell the parties it is there.

    `by` is the hearing's conciliator or the office; None is the video server (Jibri's finalize
    script posting to the events endpoint with the shared secret). Registering the same
    external_id twice returns the first recording and tells nobody again."""
    if by is not None and not policy.allowed(policy.MANAGE_ROOM, by, hearing):
        raise HearingError(_("Only the hearing's conciliator or the office can register its recording."))
    url = (url or "").strip()
    if not url and file is None:
        raise HearingError(_("Give the recording's link or upload its file."))
    if url and (len(url) > 500 or not re.match(r"^https?://", url, re.IGNORECASE)):
        raise HearingError(_("The link must be a web address (https://…) of at most 500 characters."))
    if file is not None and file.size is not None and file.size > settings.JITSI_RECORDING_MAX_BYTES:
        raise HearingError(
            _("The file is larger than %(mb)s MB; give a link to it instead.")
            % {"mb": settings.JITSI_RECORDING_MAX_BYTES // (1024 * 1024)}
        )
    external_id = external_id.strip()[:200]
    with transaction.atomic():
        case = lock_case(hearing.complaint_id)
        hearing = lock_hearing(hearing.pk)
        if hearing.status == Hearing.Status.CANCELLED:
            raise HearingError(_("This hearing was cancelled; it has no recording."))
        if external_id:
            existing = Recording.objects.filter(hearing=hearing, external_id=external_id).first()
            if existing is not None:
                return existing
        recording = Recording(
            hearing=hearing, url=url, registered_at=timezone.now(), registered_by=by, external_id=external_id
        )
        if file is not None:
            recording.file.save(f"hearing-{hearing.pk}-{uuid.uuid4().hex[:12]}{_suffix(file.name)}", file, save=False)
        recording.save()
        record_event(
            case=case,
            action="recording_registered",
            by=by,
            reason=f"{timezone.localtime(hearing.starts_at):%d/%m/%Y %H:%M}",
        )
        notify_hearing(
            hearing,
            "recording_available",
            key=f"hearing:{hearing.pk}:recording:{recording.pk}",
            context={"hearing_start": hearing.starts_at},
            conciliator=False,
        )
    return recording


def _suffix(name: str | None) -> str:
    suffix = ("." + name.rsplit(".", 1)[-1].lower()) if name and "." in name else ""
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ""


def _recording_from_event(hearing: Hearing, payload: dict) -> Recording:
    """Jibri's finalize script (docs/jitsi.md) posts where it put the file:
    {"event_name": "recording-uploaded", "room_name": "…", "url": "https://…", "recording_id": "…"}"""
    url = _event_text(payload.get("url"), "url", exact=True).strip()
    if not re.fullmatch(r"https?://[^\s\x00-\x1f\x7f]+", url) or len(url) > 500:
        raise BadEvent("recording-uploaded needs an http(s) url")
    recording_id = _event_text(payload.get("recording_id"), "recording_id", number=True) or url
    return recording_register(hearing=hearing, by=None, url=url, external_id=recording_id[:200])
