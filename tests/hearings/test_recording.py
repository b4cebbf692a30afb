"""Recording: each party is asked and their answer is logged; the conciliator (or Jibri's finalize
script) registers the recording; the parties are told and see it on the hearing's page."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from complaints.models import CaseEvent
from hearings.models import Hearing, Recording, RecordingConsent
from notifications.models import Notification
from parties.models import ConciliatorProfile, Role
from tests.conftest import enrol_totp, make_user
from tests.hearings.factories import scheduled_hearing
from tests.notifications.helpers import rendered

SECRET = "a-shared-secret-for-the-events-endpoint-0123456789"
VIDEO_LINK = "https://grabaciones.concilia.test/audiencias/abc123.mp4"


@pytest.fixture
def hearing(consumer, company, officer, conciliator):
    return scheduled_hearing(consumer, company, officer, conciliator)


@pytest.fixture
def held(hearing):
    Hearing.objects.filter(pk=hearing.pk).update(status=Hearing.Status.HELD)
    with time_machine.travel(hearing.ends_at + timedelta(hours=2), tick=False):
        yield hearing


def answer(client, hearing, value: str):
    return client.post(reverse("hearing_recording_consent", args=[hearing.pk]), {"consented": value})


def test_a_partys_consent_is_stored_and_logged_on_the_case(client_for, hearing, consumer):
    response = answer(client_for(consumer), hearing, "yes")

    assert response.status_code == 302
    consent = RecordingConsent.objects.get(hearing=hearing, user=consumer)
    assert consent.consented is True
    event = CaseEvent.objects.filter(complaint=hearing.complaint).last()
    assert event is not None
    assert (event.action, event.actor, event.reason) == ("recording_consented", consumer, "María González")


def test_the_same_answer_again_logs_nothing_new_and_a_changed_answer_is_logged(client_for, hearing, representative):
    client = client_for(representative)
    answer(client, hearing, "yes")
    events = CaseEvent.objects.count()

    answer(client, hearing, "yes")
    assert CaseEvent.objects.count() == events

    answer(client, hearing, "no")
    assert RecordingConsent.objects.get(user=representative).consented is False
    event = CaseEvent.objects.filter(complaint=hearing.complaint).last()
    assert event is not None
    assert event.action == "recording_refused"
    assert RecordingConsent.objects.count() == 1


def test_an_answer_must_be_chosen(client_for, hearing, consumer):
    response = answer(client_for(consumer), hearing, "")

    assert response.status_code == 302
    assert not RecordingConsent.objects.exists()


def test_a_stranger_cannot_answer_for_a_hearing(client_for, hearing, stranger):
    assert answer(client_for(stranger), hearing, "yes").status_code == 404
    assert not RecordingConsent.objects.exists()


def test_the_question_closes_with_the_hearing(client_for, held, consumer):
    answer(client_for(consumer), held, "yes")

    assert not RecordingConsent.objects.exists()


# --- Registering a recording ---------------------------------------------------------------------


def test_the_conciliator_registers_a_recording_and_the_parties_are_told(
    client_for, held, consumer, representative, conciliator
):
    response = client_for(conciliator).post(reverse("hearing_recording_register", args=[held.pk]), {"url": VIDEO_LINK})

    assert response.status_code == 302
    recording = Recording.objects.get(hearing=held)
    assert (recording.url, recording.registered_by) == (VIDEO_LINK, conciliator)
    assert CaseEvent.objects.filter(complaint=held.complaint, action="recording_registered", actor=conciliator).exists()
    told = set(Notification.objects.filter(event="recording_available").values_list("recipient", flat=True))
    assert told == {consumer.pk, representative.pk}
    mail = rendered(Notification.objects.get(event="recording_available", recipient=consumer, channel="email"))
    assert held.complaint.number in mail.subject
    assert reverse("hearing_room", args=[held.pk]) in mail.body_text


def test_the_parties_see_the_recording_only_once_it_is_registered(client_for, held, consumer, conciliator):
    client = client_for(consumer)
    before = client.get(reverse("hearing_room", args=[held.pk])).content.decode()
    assert VIDEO_LINK not in before
    assert "If the hearing was recorded, the recording will be here within 2 business days" in before

    client_for(conciliator).post(reverse("hearing_recording_register", args=[held.pk]), {"url": VIDEO_LINK})

    after = client.get(reverse("hearing_room", args=[held.pk])).content.decode()
    assert f'href="{VIDEO_LINK}"' in after
    assert "Watch the recording" in after


def test_an_uploaded_recording_is_downloaded_by_the_parties_only(
    client_for, held, representative, conciliator, stranger
):
    video = SimpleUploadedFile("audiencia.mp4", b"\x00\x00\x00\x18ftypmp42fake-video", content_type="video/mp4")
    client_for(conciliator).post(reverse("hearing_recording_register", args=[held.pk]), {"file": video})
    recording = Recording.objects.get()
    url = reverse("hearing_recording_download", args=[recording.pk])

    response = client_for(representative).get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content).endswith(b"fake-video")
    assert 'filename="audiencia-' in response["Content-Disposition"]
    assert client_for(stranger).get(url).status_code == 404
    assert f'href="{url}"' in client_for(representative).get(reverse("hearing_room", args=[held.pk])).content.decode()


def test_a_file_that_is_not_video_or_audio_is_refused(client_for, held, conciliator):
    script = SimpleUploadedFile("audiencia.html", b"<script>alert(1)</script>", content_type="text/html")

    response = client_for(conciliator).post(reverse("hearing_recording_register", args=[held.pk]), {"file": script})

    assert response.status_code == 200
    assert "Upload a video or audio file." in response.content.decode()
    assert not Recording.objects.exists()


def test_a_link_or_a_file_is_needed(client_for, held, conciliator):
    response = client_for(conciliator).post(reverse("hearing_recording_register", args=[held.pk]), {})

    assert "Give the recording&#x27;s link or upload its file." in response.content.decode()
    assert not Recording.objects.exists()


def test_a_party_cannot_register_a_recording(client_for, held, consumer):
    response = client_for(consumer).post(reverse("hearing_recording_register", args=[held.pk]), {"url": VIDEO_LINK})

    assert response.status_code == 403
    assert not Recording.objects.exists()


def test_another_conciliator_gets_a_404(client_for, held):
    other = make_user("pablo@oficina.test", Role.CONCILIATOR)
    ConciliatorProfile.objects.create(user=other)
    enrol_totp(other)

    assert client_for(other).get(reverse("hearing_recording_register", args=[held.pk])).status_code == 404


def test_jibris_finalize_script_registers_the_recording_once(client, held, consumer, settings):
    settings.JITSI_EVENTS_SECRET = SECRET
    payload = {
        "event_name": "recording-uploaded",
        "room_name": held.room,
        "url": VIDEO_LINK,
        "recording_id": "jibri-42",
    }

    for _ in range(2):
        response = client.post(
            "/jitsi/eventos/",
            json.dumps(payload),
            content_type="application/json",
            headers={"Authorization": f"Bearer {SECRET}"},
        )
        assert response.status_code == 200

    recording = Recording.objects.get()
    assert (recording.external_id, recording.registered_by) == ("jibri-42", None)
    assert Notification.objects.filter(event="recording_available", recipient=consumer, channel="email").count() == 1


def test_a_cancelled_hearing_has_no_recording(client_for, hearing, conciliator):
    Hearing.objects.filter(pk=hearing.pk).update(status=Hearing.Status.CANCELLED)

    response = client_for(conciliator).post(
        reverse("hearing_recording_register", args=[hearing.pk]), {"url": VIDEO_LINK}
    )

    assert response.status_code == 200
    assert "This hearing was cancelled; it has no recording." in response.content.decode()
    assert not Recording.objects.exists()
