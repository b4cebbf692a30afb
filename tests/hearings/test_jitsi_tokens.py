"""Each person's Jitsi token, decoded exactly as prosody's token authentication decodes it
(lib-jitsi-meet doc/tokens.md): the configured algorithm, `aud`, `iss`, `nbf`/`exp`, the `room`,
`typ` JWT in the header, and every `context.user` value a string."""

from datetime import timedelta

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

from hearings.jitsi import participant_token, room_options
from hearings.models import Attendance
from parties.models import ConsumerProfile, User
from tests.conftest import make_user
from tests.hearings.factories import scheduled_hearing

CONSUMER, COMPANY, CONCILIATOR = Attendance.Party.CONSUMER, Attendance.Party.COMPANY, Attendance.Party.CONCILIATOR


def verify_like_jitsi(token: str, *, key: str | bytes | None = None, algorithm: str = "HS256") -> dict:
    """What prosody does with a token before it lets anyone in, with PyJWT: the one configured
    algorithm (no "none", no switching), audience and issuer, not-before and expiry, and the claims
    it compares (room, sub). Then what makes prosody throw: a `context.user` value that is not a
    string, but for `lobby_bypass`, which mod_token_lobby_bypass reads only as the boolean true."""
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "JWT"
    assert header["alg"] == algorithm
    claims = jwt.decode(
        token,
        key if key is not None else settings.JITSI_APP_SECRET,
        algorithms=[algorithm],
        audience=settings.JITSI_AUDIENCE,
        issuer=settings.JITSI_APP_ID,
        options={"require": ["iss", "aud", "sub", "room", "nbf", "exp"], "verify_nbf": True, "verify_exp": True},
    )
    assert isinstance(claims["nbf"], int) and isinstance(claims["exp"], int)
    assert claims["room"] == claims["room"].lower()
    user = dict(claims["context"]["user"])
    assert user.pop("lobby_bypass", True) is True
    assert all(isinstance(value, str) for value in user.values())
    assert all(value in ("true", "false") for value in claims["context"]["features"].values())
    return claims


def another_consumer(email: str, first_name: str, last_name: str) -> User:
    """A second consumer, with the profile that filing a complaint needs (for another hearing)."""
    user = make_user(email, first_name=first_name, last_name=last_name)
    ConsumerProfile.objects.create(
        user=user,
        dni="27999888",
        phone="+5491133334444",
        street_address="Corrientes 1234",
        city="CABA",
        province="CABA",
    )
    return user


@pytest.fixture
def hearing(consumer, company, officer, conciliator):
    return scheduled_hearing(consumer, company, officer, conciliator)


@pytest.fixture
def at_the_start(hearing):
    with time_machine.travel(hearing.starts_at, tick=False):
        yield


def test_the_consumers_token_is_accepted_as_prosody_checks_it(hearing, consumer, at_the_start):
    claims = verify_like_jitsi(participant_token(hearing, consumer, CONSUMER))

    assert claims["iss"] == settings.JITSI_APP_ID
    assert claims["aud"] == settings.JITSI_AUDIENCE
    assert claims["sub"] == settings.JITSI_SUBJECT
    assert claims["room"] == hearing.room
    assert claims["context"]["user"] == {
        "id": str(consumer.pk),
        "name": "María González",
        "email": "maria@example.com",
        "moderator": "false",
        "affiliation": "member",
    }
    assert claims["moderator"] is False


@pytest.mark.parametrize(
    ("role", "party", "moderator"),
    [("consumer", CONSUMER, False), ("representative", COMPANY, False), ("conciliator", CONCILIATOR, True)],
)
def test_only_the_conciliator_is_moderator_and_may_record(request, hearing, at_the_start, role, party, moderator):
    user = request.getfixturevalue(role)

    claims = verify_like_jitsi(participant_token(hearing, user, party))

    flag = "true" if moderator else "false"
    assert claims["moderator"] is moderator
    assert claims["context"]["user"]["moderator"] == flag
    assert claims["context"]["user"]["affiliation"] == ("owner" if moderator else "member")
    assert claims["context"]["features"]["recording"] == flag
    assert claims["context"]["features"]["outbound-call"] == flag
    assert claims["context"]["features"]["livestreaming"] == "false"
    assert claims["context"]["features"]["transcription"] == "false"


def test_the_conciliators_token_lets_her_past_the_lobby_as_mod_token_lobby_bypass_reads_it(
    hearing, conciliator, at_the_start
):
    claims = verify_like_jitsi(participant_token(hearing, conciliator, CONCILIATOR))

    # mod_token_lobby_bypass: `if context['lobby_bypass'] == true` on context.user: the boolean, not "true".
    assert claims["context"]["user"]["lobby_bypass"] is True


@pytest.mark.parametrize(
    ("role", "party"), [("consumer", CONSUMER), ("representative", COMPANY), ("stranger", "other")]
)
def test_nobody_else_skips_the_lobby(request, hearing, at_the_start, role, party):
    user = request.getfixturevalue(role)

    claims = verify_like_jitsi(participant_token(hearing, user, party))

    assert "lobby_bypass" not in claims["context"]["user"]
    assert claims["context"]["user"]["moderator"] == "false"


def test_the_token_is_valid_from_shortly_before_the_start_until_after_the_planned_end(hearing, consumer):
    with time_machine.travel(hearing.starts_at - timedelta(days=1), tick=False):
        token = participant_token(hearing, consumer, CONSUMER)
    early = timedelta(minutes=settings.JITSI_TOKEN_EARLY_MINUTES)
    late = timedelta(minutes=settings.JITSI_TOKEN_LATE_MINUTES)

    with (
        time_machine.travel(hearing.starts_at - early - timedelta(minutes=1), tick=False),
        pytest.raises(jwt.ImmatureSignatureError),
    ):
        verify_like_jitsi(token)
    with time_machine.travel(hearing.starts_at - early + timedelta(seconds=1), tick=False):
        verify_like_jitsi(token)
    with time_machine.travel(hearing.ends_at + late - timedelta(seconds=1), tick=False):
        verify_like_jitsi(token)
    with (
        time_machine.travel(hearing.ends_at + late + timedelta(minutes=1), tick=False),
        pytest.raises(jwt.ExpiredSignatureError),
    ):
        verify_like_jitsi(token)


def test_each_hearing_has_its_own_room_and_a_token_names_only_that_one(
    hearing, consumer, company, officer, conciliator
):
    other_consumer = another_consumer("pedro@example.com", "Pedro", "Sosa")
    other = scheduled_hearing(
        other_consumer, company, officer, conciliator, starts_at=hearing.starts_at + timedelta(hours=2)
    )

    with time_machine.travel(hearing.starts_at, tick=False):
        mine = verify_like_jitsi(participant_token(hearing, consumer, CONSUMER))
    with time_machine.travel(other.starts_at, tick=False):
        theirs = verify_like_jitsi(participant_token(other, other_consumer, CONSUMER))

    assert mine["room"] == hearing.room
    assert theirs["room"] == other.room
    assert hearing.room != other.room


def test_a_token_signed_with_another_secret_is_refused(hearing, consumer, at_the_start, settings):
    token = participant_token(hearing, consumer, CONSUMER)

    with pytest.raises(jwt.InvalidSignatureError):
        verify_like_jitsi(token, key="some-other-secret-of-at-least-32-bytes!")
    with pytest.raises(jwt.InvalidAlgorithmError):
        jwt.decode(token, settings.JITSI_APP_SECRET, algorithms=["RS256"], audience=settings.JITSI_AUDIENCE)


def test_a_person_without_a_name_is_named_by_e_mail_never_null(hearing, company, at_the_start):
    nameless = make_user("sin-nombre@electrosur.test", "representative")

    claims = verify_like_jitsi(participant_token(hearing, nameless, COMPANY))

    assert claims["context"]["user"]["name"] == "sin-nombre@electrosur.test"
    assert None not in claims["context"]["user"].values()


def test_rs256_with_a_private_key_and_key_id_as_jaas_wants(hearing, conciliator, at_the_start, settings, tmp_path):
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = tmp_path / "jaas.pem"
    key_file.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    settings.JITSI_PRIVATE_KEY_PATH = str(key_file)
    settings.JITSI_KEY_ID = "vpaas-magic-cookie-0123abcd/4f4910"
    settings.JITSI_SUBJECT = "vpaas-magic-cookie-0123abcd"
    settings.JITSI_APP_ID = "chat"
    settings.JITSI_DOMAIN = "8x8.vc"

    token = participant_token(hearing, conciliator, CONCILIATOR)

    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = verify_like_jitsi(token, key=public, algorithm="RS256")
    assert jwt.get_unverified_header(token)["kid"] == "vpaas-magic-cookie-0123abcd/4f4910"
    assert claims["sub"] == "vpaas-magic-cookie-0123abcd"
    assert claims["context"]["user"]["moderator"] == "true"
    # JaaS rooms live under the tenant: the IFrame API is given "<tenant>/<room>", the token the room.
    options = room_options(hearing, conciliator, CONCILIATOR, token)
    assert options["roomName"] == f"vpaas-magic-cookie-0123abcd/{hearing.room}"
    assert options["domain"] == "8x8.vc"


def test_the_room_options_carry_the_token_the_language_and_the_lobby(hearing, consumer, at_the_start):
    token = participant_token(hearing, consumer, CONSUMER)

    options = room_options(hearing, consumer, CONSUMER, token, lang="es-ar")

    assert options["domain"] == settings.JITSI_DOMAIN
    assert options["roomName"] == hearing.room
    assert options["jwt"] == token
    assert options["lang"] == "es"
    assert options["userInfo"] == {"displayName": "María González", "email": "maria@example.com"}
    assert options["configOverwrite"]["prejoinConfig"] == {"enabled": True}
    assert options["configOverwrite"]["lobby"]["autoKnock"] is True
    assert options["configOverwrite"]["deeplinking"] == {"disabled": True}
    assert room_options(hearing, consumer, CONSUMER, token, lang="en")["lang"] == "en"


# Options current jitsi-meet no longer reads (not in its configWhitelist.ts / interfaceConfigWhitelist.ts,
# or replaced): it drops them without a word. The browser stand-in refuses the same list.
GONE_CONFIG = {"prejoinPageEnabled", "disableDeepLinking", "enableFeaturesBasedOnToken"}
GONE_INTERFACE_CONFIG = {"MOBILE_APP_PROMO"}


@pytest.mark.parametrize(("role", "party"), [("consumer", CONSUMER), ("conciliator", CONCILIATOR)])
def test_the_room_options_carry_nothing_jitsi_no_longer_reads(request, hearing, at_the_start, role, party):
    user = request.getfixturevalue(role)

    options = room_options(hearing, user, party, participant_token(hearing, user, party))

    assert not GONE_CONFIG & options["configOverwrite"].keys()
    assert not GONE_INTERFACE_CONFIG & options["interfaceConfigOverwrite"].keys()
