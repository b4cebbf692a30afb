"""Where a delivery may go: https, no credentials in the address, and only public addresses (the
SSRF guard) — asked by the endpoint form (`check_url`) and again by the connection itself, so a name
that resolves to a public address when the form is saved and to the office's network later still
cannot reach it. WEBHOOK_ALLOW_PRIVATE_ADDRESSES (tests, development) turns the guard off."""

import socket

import pytest

from api.webhooks.signing import new_secret, sign
from api.webhooks.transport import check_url, forbidden_address, post
from tests.api.test_webhooks_receiver import http_receiver

PRIVATE = "This address points to a private or local network. Use a public address."


@pytest.fixture(autouse=True)
def _production_guard(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    settings.LANGUAGE_CODE = "en"  # post()'s errors are in the office's language: the source strings here


@pytest.fixture
def dns(monkeypatch):
    """Answer the names a test gives with the addresses it gives; anything else as usual."""
    real = socket.getaddrinfo
    answers: dict[str, list[str]] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            if not answers[host]:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return [
                (socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
                for ip in answers[host]
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


def test_a_public_https_address_is_accepted():
    assert check_url("https://93.184.216.34/hooks/concilia") is None
    assert check_url("https://93.184.216.34:8443/hooks") is None


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://localhost/hooks",
        "https://10.1.2.3/hooks",
        "https://172.16.0.5/hooks",
        "https://192.168.0.10/hooks",
        "https://169.254.169.254/latest/meta-data/",  # the cloud's metadata service
        "https://100.64.0.1/hooks",  # shared address space (carrier-grade NAT)
        "https://0.0.0.0/hooks",
        "https://[::1]/hooks",
        "https://[fd00::1]/hooks",
        "https://[::ffff:127.0.0.1]/hooks",
    ],
)
def test_a_private_loopback_or_link_local_address_is_refused(url):
    assert check_url(url) == PRIVATE


@pytest.mark.parametrize(
    "url",
    [
        "https://[64:ff9b::a00:5]/hooks",  # NAT64 (RFC 6052) of 10.0.0.5
        "https://[64:ff9b::a9fe:a9fe]/hooks",  # NAT64 of the cloud's metadata service
        "https://[64:ff9b:1::a00:5]/hooks",  # NAT64 for local use (RFC 8215)
        "https://[::a9fe:a9fe]/hooks",  # IPv4-compatible (deprecated) 169.254.169.254
        "https://[::7f00:1]/hooks",  # IPv4-compatible 127.0.0.1
        "https://[2002:a9fe:a9fe::1]/hooks",  # 6to4 of 169.254.169.254
        "https://[2002:c0a8:1::1]/hooks",  # 6to4 of 192.168.0.1
        "https://[fec0::1]/hooks",  # site-local (deprecated)
    ],
)
def test_an_ipv6_address_that_carries_a_private_ipv4_one_is_refused(url):
    assert check_url(url) == PRIVATE


def test_an_ipv6_address_that_carries_a_public_ipv4_one_is_judged_by_it():
    # 93.184.216.34 through NAT64 and through 6to4: public, as the address they carry.
    assert not forbidden_address("64:ff9b::5db8:d822")
    assert not forbidden_address("2002:5db8:d822::1")


def test_a_name_is_refused_when_any_of_its_addresses_is_private(dns):
    dns["erp.example.com"] = ["93.184.216.34", "10.0.0.7"]
    assert check_url("https://erp.example.com/hooks") == PRIVATE


def test_a_name_that_does_not_resolve_is_refused_with_its_reason(dns):
    dns["erp.example.com"] = []
    assert check_url("https://erp.example.com/hooks") == "We could not find the server of this address: check its name."


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "http://93.184.216.34/hooks",
            "Use an https:// address: deliveries are only sent over an encrypted connection.",
        ),
        ("ftp://93.184.216.34/hooks", "Enter a full address that starts with https://."),
        ("erp.example.com/hooks", "Enter a full address that starts with https://."),
        ("https://user:secret@93.184.216.34/hooks", "Leave the user name and password out of the address."),
        ("https://93.184.216.34:99999/hooks", "The address has an invalid port."),
    ],
)
def test_an_address_that_is_not_plain_https_is_refused(url, message):
    assert check_url(url) == message


def test_with_private_addresses_allowed_a_local_http_receiver_is_accepted(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    assert check_url("http://127.0.0.1:8080/hooks") is None


def test_addresses_off_the_public_internet_are_forbidden_and_public_ones_are_not():
    assert all(
        forbidden_address(a) for a in ("127.0.0.1", "10.0.0.1", "169.254.1.1", "::1", "fe80::1%eth0", "224.0.0.1", "x")
    )
    assert not any(forbidden_address(a) for a in ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"))


def test_a_name_that_resolves_to_the_office_network_at_send_time_is_never_connected_to(dns):
    """The form saw a public address; by the time of the delivery the name points at 127.0.0.1."""
    secret = new_secret()
    with http_receiver(secret) as receiver:
        dns["erp.example.com"] = ["93.184.216.34"]
        assert check_url(f"https://erp.example.com:{receiver.port}/hooks") is None
        dns["erp.example.com"] = ["127.0.0.1"]

        body = b"{}"
        answer = post(
            url=f"https://erp.example.com:{receiver.port}/hooks",
            body=body,
            headers=sign(secret=secret, message_id="msg_1", timestamp=0, body=body),
        )

    assert answer.status_code is None
    assert answer.error == "The address resolves to a private or local network; deliveries only go to public addresses."
    assert receiver.requests == []


def test_a_plain_http_address_is_not_sent_to_when_private_addresses_are_not_allowed():
    secret = new_secret()
    with http_receiver(secret) as receiver:
        answer = post(url=receiver.url, body=b"{}", headers={})
    assert not answer.delivered
    assert receiver.requests == []


# --- The settings ---------------------------------------------------------------------------------------


def test_production_refuses_private_addresses_and_plain_http_by_default_and_beat_sweeps_every_minute():
    from tests.config.test_settings_profiles import PRODUCTION, manage

    show = (
        "from django.conf import settings as s; "
        "print('WEBHOOKS', s.WEBHOOK_ALLOW_PRIVATE_ADDRESSES, s.WEBHOOK_RETRY_SCHEDULE, s.WEBHOOK_TIMEOUT_SECONDS, "
        "s.WEBHOOK_DISABLE_AFTER_FAILURES, s.CELERY_BEAT_SCHEDULE['api-webhooks-sweep']['task'], "
        "'api.webhooks.tasks' in s.CELERY_IMPORTS)"
    )
    result = manage("shell", "-c", show, **PRODUCTION)

    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stdout.splitlines() if line.startswith("WEBHOOKS ")]
    assert line.split()[1:] == [
        "False",
        "(60,",
        "300,",
        "1800,",
        "7200,",
        "21600,",
        "43200,",
        "86400)",
        "10",
        "20",
        "api.webhooks.tasks.sweep_webhooks",
        "True",
    ]


def test_a_malformed_retry_schedule_names_the_variable():
    from tests.config.test_settings_profiles import manage

    result = manage("check", DJANGO_ENV="development", WEBHOOK_RETRY_SCHEDULE="60,soon")

    assert result.returncode != 0
    assert "WEBHOOK_RETRY_SCHEDULE" in result.stderr
