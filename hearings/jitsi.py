"""Jitsi Meet for the hearing room: one token per person per hearing, and the IFrame API options.

Tokens follow what prosody's "token" authentication checks (lib-jitsi-meet doc/tokens.md): header
`typ` JWT; `iss` the app id, `aud`, `sub` (the Jitsi domain, or the tenant: JaaS's
vpaas-magic-cookie-…), `room` (the bare room name, lower-case), `nbf`/`exp` as numbers; every value
of `context.user` a string (a null or a number makes prosody throw), but one. The conciliator is
the only moderator, said three ways so every deployment reads it:

- `context.user.moderator` "true"/"false": 8x8 JaaS, and jitsi-meet's own mod_token_affiliation;
- `context.user.affiliation` "owner"/"member": mod_token_affiliation;
- top-level `moderator` true/false: the token_moderation plugins that read the claim itself.

The one non-string: the conciliator's `context.user.lobby_bypass` is the boolean true, because
jitsi-contrib's mod_token_lobby_bypass compares it with `== true` (a string "true" is ignored).
Without it mod_token_affiliation leaves anyone without a role to the lobby while the lobby is on,
the conciliator too after a reload or a dropped connection, and nobody inside can admit her.
Parties and anyone else never carry it: they knock.

`context.features` (strings, as JaaS expects) lets only the conciliator record (Jibri) or call a
party's phone; jitsi-meet reads a token's features by itself (docs/jitsi.md).

HS256 with JITSI_APP_SECRET (self-hosted) or RS256 with the key at JITSI_PRIVATE_KEY_PATH and
`kid` = JITSI_KEY_ID (JaaS) when both are set.
"""

import time
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import jwt
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from django.utils.translation import gettext as _

from parties.models import User

from .models import Attendance, Hearing, HearingGuest


def room_window(hearing: Hearing) -> tuple[datetime, datetime]:
    """When the room can be entered: the token's nbf and exp."""
    return (
        hearing.starts_at - timedelta(minutes=settings.JITSI_TOKEN_EARLY_MINUTES),
        hearing.ends_at + timedelta(minutes=settings.JITSI_TOKEN_LATE_MINUTES),
    )


def external_api_url() -> str:
    """The one script the site loads from elsewhere, and only on the room page."""
    return f"{settings.JITSI_SCHEME}://{settings.JITSI_DOMAIN}/external_api.js"


def tenant() -> str:
    """The tenant the rooms live under ("" for rooms at the domain's root).

    tokens.md: `sub` is either the domain (rooms at /ROOM) or a tenant (rooms at /TENANT/ROOM).
    A subject that is not the domain and does not look like a host name (no dot, no port) is a
    tenant, like JaaS's vpaas-magic-cookie-…"""
    subject = settings.JITSI_SUBJECT.lower()
    domain = settings.JITSI_DOMAIN.lower()
    if not subject or subject in ("*", domain, domain.split(":")[0]) or "." in subject or ":" in subject:
        return ""
    return subject


def iframe_room_name(hearing: Hearing) -> str:
    """What the IFrame API is given: "tenant/room" under a tenant, else the bare room."""
    room = hearing.room.lower()
    return f"{tenant()}/{room}" if tenant() else room


@lru_cache(maxsize=4)
def _private_key(path: str) -> bytes:
    return Path(path).read_bytes()


def _signing() -> tuple[str, str | bytes, dict[str, str]]:
    """(algorithm, key, extra header) for the configured deployment."""
    if settings.JITSI_PRIVATE_KEY_PATH and settings.JITSI_KEY_ID:
        return "RS256", _private_key(settings.JITSI_PRIVATE_KEY_PATH), {"kid": settings.JITSI_KEY_ID}
    if not settings.JITSI_APP_SECRET:
        raise ImproperlyConfigured("Set JITSI_APP_SECRET, or JITSI_PRIVATE_KEY_PATH and JITSI_KEY_ID.")
    return "HS256", settings.JITSI_APP_SECRET, {}


def _flag(value: bool) -> str:
    return "true" if value else "false"


def display_name(user: User) -> str:
    return user.get_full_name().strip() or user.email


def acting_name(user: User, whom: str = "") -> str:
    """The name the room shows: the person's, and whom they speak for when not for themselves
    ("Lucía Gómez (for Electrosur S.A.)"). In the office's language, whoever's browser asks: the
    conciliator's page matches what Jitsi shows against it (services.room._shown_as)."""
    name = display_name(user)
    if not whom:
        return name
    with translation.override(settings.LANGUAGE_CODE):
        return _("%(name)s (for %(whom)s)") % {"name": name, "whom": whom}


def guest_name(guest: HearingGuest) -> str:
    """A guest shows as who they are and why they are there: "Ana Ruiz (Interpreter)"."""
    with translation.override(settings.LANGUAGE_CODE):
        return f"{guest.name.strip()} ({HearingGuest.Kind(guest.kind).label})"


def participant_token(hearing: Hearing, user: User, party: str, *, name: str = "") -> str:
    """A token for this person, for this hearing's room only, valid around its planned time.

    The caller has already established that `party` is the user's side of this hearing
    (hearings.policy.may_enter_room); nobody else gets a token. `name`: what the room shows
    (acting_name), the person's own name by default."""
    moderator = party == Attendance.Party.CONCILIATOR
    return _token(
        hearing,
        {
            "id": str(user.pk),
            "name": name or display_name(user),
            "email": user.email or "",
        },
        moderator=moderator,
    )


def guest_token(hearing: Hearing, guest: HearingGuest) -> str:
    """A guest's token (a companion, an interpreter): this hearing's room only, for the room's
    window, never a moderator by any of the three claims, no lobby bypass (they knock like the
    parties) and no features. Its id is "guest-<pk>", which is nobody's user id."""
    return _token(
        hearing,
        {"id": f"guest-{guest.pk}", "name": guest_name(guest), "email": guest.email or ""},
        moderator=False,
    )


def _token(hearing: Hearing, identity: dict[str, str], *, moderator: bool) -> str:
    opens_at, closes_at = room_window(hearing)
    user_claims: dict[str, str | bool] = {
        **identity,
        "moderator": _flag(moderator),
        "affiliation": "owner" if moderator else "member",
    }
    if moderator:
        user_claims["lobby_bypass"] = True
    claims = {
        "iss": settings.JITSI_APP_ID,
        "aud": settings.JITSI_AUDIENCE,
        "sub": settings.JITSI_SUBJECT,
        "room": hearing.room.lower(),
        "iat": int(time.time()),
        "nbf": int(opens_at.timestamp()),
        "exp": int(closes_at.timestamp()),
        "moderator": moderator,
        "context": {
            "user": user_claims,
            "features": {
                "recording": _flag(moderator),
                "livestreaming": "false",
                "transcription": "false",
                "outbound-call": _flag(moderator),
                "sip-outbound-call": "false",
                "file-upload": "false",
            },
            "group": "concilia",
        },
    }
    algorithm, key, header = _signing()
    return jwt.encode(claims, key, algorithm=algorithm, headers={"typ": "JWT", **header})


def room_options(
    hearing: Hearing, user: User | None, party: str, token: str, *, lang: str = "es", name: str = "", email: str = ""
) -> dict:
    """The JitsiMeetExternalAPI(domain, options) arguments for this person (`domain` included);
    the page adds parentNode and the size. Lobby: parties knock; the moderator's page turns the
    lobby on when it joins (the `toggleLobby` command), and docs/jitsi.md turns it on server-side.

    Only keys jitsi-meet still reads and lets an embedding page overwrite (its configWhitelist.ts and
    interfaceConfigWhitelist.ts): an unknown key is dropped without a word, so a stale one only
    looks like a setting."""
    case = hearing.complaint
    return {
        "domain": settings.JITSI_DOMAIN,
        "roomName": iframe_room_name(hearing),
        "jwt": token,
        "lang": "es" if lang.lower().startswith("es") else "en",
        "userInfo": {
            "displayName": name or (display_name(user) if user else ""),
            "email": email or (user.email if user else "") or "",
        },
        "configOverwrite": {
            "subject": _("Hearing %(number)s") % {"number": case.number or ""},
            "prejoinConfig": {"enabled": True},
            "lobby": {"autoKnock": True, "enableChat": False},
            # Stay in the page (a phone would otherwise be sent to the app, and attendance lost).
            "deeplinking": {"disabled": True},
            "disableInviteFunctions": True,
            "readOnlyName": True,
            "disableProfile": True,
            "disableThirdPartyRequests": True,
            # A hearing is recorded on the server (Jibri) or not at all: no copies in a browser.
            "localRecording": {"disable": True},
            "startWithAudioMuted": False,
            "startWithVideoMuted": False,
        },
        "interfaceConfigOverwrite": {"SHOW_CHROME_EXTENSION_BANNER": False},
    }
