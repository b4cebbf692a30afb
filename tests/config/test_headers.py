"""Security headers: a strict Content-Security-Policy with a per-request nonce, a Permissions-Policy
that opens the camera, microphone and screen only on the hearing room (to the Jitsi origin), and
`Cache-Control: no-store, private` on every page a signed-in person sees."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse

from tests.complaints.factories import submitted_case
from tests.hearings.factories import scheduled_hearing

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def directives(response) -> dict[str, list[str]]:
    policy = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        policy[name] = values
    return policy


def features(response) -> dict[str, str]:
    return dict(item.strip().split("=", 1) for item in response["Permissions-Policy"].split(","))


@pytest.fixture
def jitsi(settings):
    settings.JITSI_DOMAIN = "meet.concilia.example"
    settings.JITSI_SCHEME = "https"
    return "https://meet.concilia.example"


@pytest.fixture
def hearing(consumer, company, officer, conciliator):
    return scheduled_hearing(consumer, company, officer, conciliator)


def test_a_page_allows_only_its_own_origin_and_its_nonce(client):
    response = client.get(reverse("account_login"))

    policy = directives(response)
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)  # type: ignore[union-attr]
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert policy["style-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "frame-src" not in policy  # falls back to default-src 'self'
    # The page's one inline script carries the nonce the header allows.
    assert f'<script nonce="{nonce}">' in response.content.decode()


def test_each_response_gets_a_fresh_nonce(client):
    first = client.get(reverse("account_login"))["Content-Security-Policy"]
    second = client.get(reverse("account_login"))["Content-Security-Policy"]

    assert re.search(r"'nonce-[^']+'", first).group() != re.search(r"'nonce-[^']+'", second).group()  # type: ignore[union-attr]


def test_a_page_denies_the_camera_microphone_and_screen(client):
    policy = features(client.get(reverse("account_login")))

    assert policy["camera"] == "()"
    assert policy["microphone"] == "()"
    assert policy["display-capture"] == "()"
    assert policy["geolocation"] == "()"
    assert policy["fullscreen"] == "(self)"


def test_the_hearing_room_lets_in_the_jitsi_script_and_frame(client_for, jitsi, hearing, conciliator):
    with time_machine.travel(hearing.starts_at - timedelta(minutes=10), tick=False):
        response = client_for(conciliator).get(reverse("hearing_room", args=[hearing.pk]))

    assert response.status_code == 200
    policy = directives(response)
    assert jitsi in policy["script-src"]
    assert "'self'" in policy["script-src"]
    assert policy["frame-src"] == [jitsi]
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_the_hearing_room_opens_the_camera_microphone_and_screen_to_itself_and_jitsi(
    client_for, jitsi, hearing, consumer
):
    response = client_for(consumer).get(reverse("hearing_room", args=[hearing.pk]))

    policy = features(response)
    for feature in ("camera", "microphone", "display-capture", "fullscreen"):
        assert policy[feature] == f'(self "{jitsi}")'
    assert policy["geolocation"] == "()"
    assert policy["payment"] == "()"


def test_the_room_reads_the_jitsi_origin_of_the_moment(client_for, settings, hearing, consumer):
    settings.JITSI_DOMAIN = "127.0.0.1:8765"
    settings.JITSI_SCHEME = "http"

    response = client_for(consumer).get(reverse("hearing_room", args=[hearing.pk]))

    assert "http://127.0.0.1:8765" in directives(response)["script-src"]


def test_no_other_page_lets_in_jitsi(client_for, jitsi, hearing, consumer):
    client = client_for(consumer)
    for url in (reverse("home"), reverse("complaint_detail", args=[hearing.complaint_id]), reverse("complaint_list")):
        response = client.get(url)

        assert response.status_code == 200, url
        assert jitsi not in response["Content-Security-Policy"], url
        assert "frame-src" not in directives(response), url
        assert features(response)["camera"] == "()", url


def test_a_signed_in_page_is_never_stored(client_for, consumer, company):
    case = submitted_case(consumer, company)
    client = client_for(consumer)

    for url in (reverse("home"), reverse("complaint_detail", args=[case.pk]), reverse("complaint_list")):
        cache_control = {d.strip() for d in client.get(url)["Cache-Control"].split(",")}

        assert {"no-store", "private"} <= cache_control, url


def test_a_signed_in_download_is_never_stored_either(client_for, consumer, company):
    case = submitted_case(consumer, company)

    response = client_for(consumer).get(reverse("complaint_receipt", args=[case.pk]))

    assert "no-store" in response["Cache-Control"]


def test_a_public_page_for_a_visitor_is_not_marked_private(client):
    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def served_templates() -> list[Path]:
    """The templates that become web pages: not the e-mails (their inline styles are how e-mail is
    styled, and no CSP applies to them) nor the PDFs (WeasyPrint renders them, no browser)."""
    found = []
    for folder in [ROOT / "templates", *ROOT.glob("*/templates")]:
        if ".venv" in folder.parts:
            continue
        for path in folder.rglob("*.html"):
            relative = path.relative_to(folder).as_posix()
            if relative.startswith("notifications/") and (relative.endswith("/body.html") or "/email/" in relative):
                continue
            if "/pdf/" in relative or relative == "hearings/acta/acta.html":
                continue
            found.append(path)
    return found


def test_no_page_template_has_an_inline_script_or_style_without_the_nonce():
    templates = served_templates()
    offenders = []
    for path in templates:
        text = path.read_text()
        for tag in re.findall(r"<(?:script|style)\b[^>]*>", text):
            if "src=" in tag or "application/json" in tag or "csp_nonce" in tag:
                continue
            offenders.append(f"{path.relative_to(ROOT)}: {tag}")
        if re.search(r"\sstyle=\"", text):
            offenders.append(f"{path.relative_to(ROOT)}: a style attribute")
        if re.search(r"\son[a-z]+=\"", text):
            offenders.append(f"{path.relative_to(ROOT)}: an inline event handler")

    assert len(templates) > 50
    assert offenders == []
