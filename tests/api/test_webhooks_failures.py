"""What can go wrong while a delivery is out, and how it ends every time: an error of ours while
sending is a failed attempt like any other (never a delivery looping through the lease for ever); a
path with accents is sent, percent-encoded; a receiver that trickles its answer is cut off at the
timeout; a task that runs out of time, a worker that died on the last attempt, a row at the
smallint's ceiling, a broker that refuses the hand-over — each leaves the delivery in a state the
log explains, its attempts counted only for requests that were made; the deliveries of a switched-off
endpoint are parked, out of the sweeper's way, until it is switched on."""

import socket
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone, translation

from api.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from api.services.endpoints import webhook_endpoint_disable
from api.webhooks import delivery as engine
from api.webhooks.delivery import ATTEMPTS_CEILING, endpoint_enable
from api.webhooks.signing import new_secret
from api.webhooks.tasks import deliver_claimed_webhook, deliver_webhook, sweep_webhooks
from api.webhooks.transport import Answer, post
from complaints.models import Complaint
from config import settings as configured  # the module: what the process started with
from parties.models import Company, User
from tests.api.test_webhooks_receiver import http_receiver
from tests.complaints.factories import served_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True  # the receivers are on 127.0.0.1
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    settings.WEBHOOK_RETRY_SCHEDULE = (60, 300)  # three attempts: now, after 1 min, after 5 min
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 20
    settings.WEBHOOK_LEASE_SECONDS = 300
    settings.LANGUAGE_CODE = "en"  # errors are kept in the office's language: the source strings here


def endpoint_at(url: str, company: Company, admin: User, secret: str | None = None) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        company=company, url=url, events=[WebhookEvent.CASE_SERVED], secret=secret or new_secret(), created_by=admin
    )


def due_delivery(endpoint: WebhookEndpoint, *, source: str = "test", **fields: object) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=WebhookEvent.CASE_SERVED,
        source=source,
        payload={"type": "case.served"},
        next_attempt_at=timezone.now(),
        **fields,
    )
    WebhookDelivery.objects.filter(pk=delivery.pk).update(payload={"id": str(delivery.uuid), "type": "case.served"})
    delivery.refresh_from_db()
    return delivery


def serve(consumer: User, company: Company, officer: User, capture) -> Complaint:
    with capture(execute=True):
        return served_case(consumer, company, officer)


def sweep_at(moment) -> int:
    with time_machine.travel(moment, tick=False):
        return sweep_webhooks()


class Handed:
    """A queue for `sweep` that keeps what it was handed (the tasks a broker would hold)."""

    def __init__(self) -> None:
        self.tasks: list[tuple[str, int]] = []

    def __call__(self, delivery_uuid: str, attempts: int) -> None:
        self.tasks.append((delivery_uuid, attempts))


# --- An error on our side ---------------------------------------------------------------------------


def test_an_error_of_ours_while_sending_is_a_failed_attempt_and_the_delivery_ends_failed(
    consumer, company, officer, representative, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(delivery):
        raise RuntimeError("a bug of ours")

    monkeypatch.setattr(engine, "send", broken)
    endpoint = endpoint_at("http://127.0.0.1:9/hooks", company, representative)
    serve(consumer, company, officer, django_capture_on_commit_callbacks)
    now = timezone.now()
    for minutes in range(6, 60, 6):  # beat, every few minutes for the better part of an hour
        sweep_at(now + timedelta(minutes=minutes))

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.FAILED, 3, None)
    assert delivery.last_error == "Could not be sent because of an error on our side."
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 3  # counted against the endpoint like any failure


def test_an_address_with_accents_in_its_path_is_sent_percent_encoded(
    consumer, company, officer, representative, django_capture_on_commit_callbacks
):
    secret = new_secret()
    with http_receiver(secret) as receiver:
        endpoint_at(receiver.url + "/recepción", company, representative, secret)
        serve(consumer, company, officer, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED
    [request] = receiver.requests
    assert request.verified
    assert request.path == "/hooks/concilia/recepci%C3%B3n"


def test_an_address_whose_name_cannot_be_written_is_a_failed_attempt_not_an_exception():
    label = "ñ" + "a" * 70  # IDNA allows 63 characters a label
    answer = post(url=f"http://{label}.example/hooks", body=b"{}", headers={})

    assert answer.status_code is None and not answer.delivered
    assert answer.error.startswith("Could not connect: ")


# --- Time ----------------------------------------------------------------------------------------------


class Trickler:
    """A receiver that answers 200, then one header line every `gap` seconds, `lines` times: never
    silent for a whole timeout, so only a limit on the whole attempt stops it (loopback only, bounded)."""

    def __init__(self, gap: float, lines: int) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.gap, self.lines, self.posts, self.stop = gap, lines, 0, False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def handle(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            read_request(conn)
            self.posts += 1
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            for i in range(self.lines):
                if self.stop:
                    break
                time.sleep(self.gap)
                conn.sendall(f"X-Drip-{i}: x\r\n".encode())
            conn.sendall(b"Content-Length: 0\r\n\r\n")
        except OSError:
            pass  # the client hung up: what the test wants
        finally:
            conn.close()

    def run(self) -> None:
        deadline = time.monotonic() + 30
        while not self.stop and time.monotonic() < deadline:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def close(self) -> None:
        self.stop = True
        self.sock.close()


def test_a_receiver_that_trickles_its_answer_is_cut_off_at_the_timeout_and_is_not_delivered(
    company, representative, settings
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    server = Trickler(gap=0.4, lines=12)  # about 5 s in all, never 1 s silent
    try:
        delivery = due_delivery(endpoint_at(f"http://127.0.0.1:{server.port}/hooks", company, representative))
        started = time.monotonic()
        outcome = engine.deliver(str(delivery.uuid))
        took = time.monotonic() - started
    finally:
        server.close()

    assert took < 4  # the attempt's limit (1 s, with room for a busy machine), not the receiver's 5 s
    assert outcome == "retry"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.PENDING, None)
    assert delivery.last_error == "The endpoint did not answer in time (1 s)."
    assert server.posts == 1


def read_request(conn: socket.socket) -> bytes:
    """A whole HTTP request (headers, then Content-Length bytes of body): a server that answers and
    hangs up with part of it unread resets the connection under the client's feet."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")),
        0,
    )
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch):
    """A TLS receiver on 127.0.0.1 with a certificate of its own, which this process trusts (as if a
    CA had signed it): answers 204 at once, or — `trickle=True` — a header line every 0.4 s."""
    import datetime as dt
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))  # what the default context trusts
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen(8)
    state: dict[str, Any] = {"trickle": False, "posts": 0}

    def handle(conn: socket.socket) -> None:
        try:
            with context.wrap_socket(conn, server_side=True) as tls:
                tls.settimeout(5)
                read_request(tls)
                state["posts"] += 1
                if not state["trickle"]:
                    tls.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                    return
                tls.sendall(b"HTTP/1.1 200 OK\r\n")
                for i in range(12):
                    time.sleep(0.4)
                    tls.sendall(f"X-Drip-{i}: x\r\n".encode())
                tls.sendall(b"Content-Length: 0\r\n\r\n")
        except OSError:
            pass  # the client hung up (or refused us): what some tests want

    def run() -> None:
        while True:
            try:
                conn, _ = listening.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=run, daemon=True).start()
    state["url"] = f"https://127.0.0.1:{listening.getsockname()[1]}/hooks"
    yield state
    listening.close()


def test_over_tls_a_delivery_is_sent_and_a_trickling_answer_is_cut_off_at_the_timeout(tls_receiver, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1

    assert post(url=tls_receiver["url"], body=b"{}", headers={}).status_code == 204

    tls_receiver["trickle"] = True
    started = time.monotonic()
    answer = post(url=tls_receiver["url"], body=b"{}", headers={})
    assert time.monotonic() - started < 4  # 1 s, with room for a busy machine; the receiver drips for 5
    assert answer == Answer(None, "The endpoint did not answer in time (1 s).")
    assert tls_receiver["posts"] == 2


def test_a_task_that_runs_out_of_time_is_a_failed_attempt(company, representative, monkeypatch):
    def slow(delivery):
        raise SoftTimeLimitExceeded()  # what Celery raises in the task at its soft time limit

    monkeypatch.setattr(engine, "send", slow)
    delivery = due_delivery(endpoint_at("http://127.0.0.1:9/hooks", company, representative))

    assert engine.deliver(str(delivery.uuid)) == "retry"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert delivery.last_error == "The attempt took too long and was stopped."


def test_the_tasks_are_stopped_well_before_the_lease_runs_out():
    timeout, lease = configured.WEBHOOK_TIMEOUT_SECONDS, configured.WEBHOOK_LEASE_SECONDS  # as started
    for task in (deliver_webhook, deliver_claimed_webhook):
        assert (task.soft_time_limit, task.time_limit) == (2 * timeout, 3 * timeout)
    assert lease > 3 * timeout


def test_a_lease_shorter_than_the_task_s_time_limit_is_refused_at_start_naming_both_variables():
    from tests.config.test_settings_profiles import manage

    result = manage("check", DJANGO_ENV="development", WEBHOOK_TIMEOUT_SECONDS="20", WEBHOOK_LEASE_SECONDS="60")

    assert result.returncode != 0
    assert "WEBHOOK_LEASE_SECONDS" in result.stderr and "WEBHOOK_TIMEOUT_SECONDS" in result.stderr


# --- What the sweeper finds ---------------------------------------------------------------------------


def test_a_worker_that_died_during_the_last_attempt_leaves_the_delivery_failed(company, representative, settings):
    settings.WEBHOOK_LEASE_SECONDS = 60
    delivery = due_delivery(endpoint_at("http://127.0.0.1:9/hooks", company, representative), attempts=2)
    assert engine.claim(str(delivery.uuid)) is not None  # its third and last attempt… and the worker died

    assert sweep_at(timezone.now() + timedelta(seconds=90)) == 0

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.FAILED, 3, None)
    assert delivery.last_error == "The attempt did not finish (the worker stopped), and it was the last one."


def test_a_delivery_at_the_attempts_ceiling_is_failed_and_the_sweep_goes_on_for_everyone_else(
    company, representative, rival
):
    stuck = due_delivery(endpoint_at("https://a.example.com/hooks", company, representative), attempts=ATTEMPTS_CEILING)
    WebhookDelivery.objects.filter(pk=stuck.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=1))
    other = due_delivery(endpoint_at("https://b.example.com/hooks", rival.company, rival.admin))
    handed = Handed()

    assert engine.sweep(queue=handed) == 1

    assert handed.tasks == [(str(other.uuid), 0)]
    stuck.refresh_from_db()
    assert (stuck.status, stuck.attempts) == (DeliveryStatus.FAILED, ATTEMPTS_CEILING)
    assert stuck.last_error == "Tried too many times; it is not tried again."
    assert engine.claim(str(stuck.uuid)) is None


def test_a_broker_that_refuses_the_hand_over_uses_up_no_attempt(company, representative):
    def broker_away(delivery_uuid: str, attempts: int) -> None:
        raise ConnectionError("broker away")

    secret = new_secret()
    with http_receiver(secret, status=500) as receiver:
        delivery = due_delivery(endpoint_at(receiver.url, company, representative, secret))
        now = timezone.now()
        for minutes in (0, 6, 12):
            assert engine.sweep(now=now + timedelta(minutes=minutes), queue=broker_away) == 0
            delivery.refresh_from_db()
            # Given back at once: pending, due, nothing counted.
            assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)

        assert engine.sweep(now=now + timedelta(minutes=18), queue=engine.deliver_claimed) == 1

    delivery.refresh_from_db()
    assert len(receiver.requests) == 1
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)  # two attempts still to come


def test_a_task_that_waited_in_the_broker_past_the_lease_sends_once_and_counts_one_attempt(
    company, representative, settings
):
    settings.WEBHOOK_LEASE_SECONDS = 60
    secret = new_secret()
    handed = Handed()
    with http_receiver(secret) as receiver:
        delivery = due_delivery(endpoint_at(receiver.url, company, representative, secret))
        now = timezone.now()
        assert engine.sweep(now=now, queue=handed) == 1
        # The workers are busy: the task waits in the broker, the lease runs out, the row is taken again.
        assert engine.sweep(now=now + timedelta(seconds=90), queue=handed) == 1
        assert handed.tasks == [(str(delivery.uuid), 0)] * 2
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENDING, 0)

        outcomes = [engine.deliver_claimed(*task) for task in handed.tasks]

    assert outcomes == ["delivered", "skipped"]
    assert receiver.accepted_ids == {str(delivery.uuid): 1}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 1)


def test_a_claimed_delivery_s_task_starts_its_lease_over(company, representative, settings, monkeypatch):
    settings.WEBHOOK_LEASE_SECONDS = 60
    seen = {}

    def observe(delivery: WebhookDelivery) -> str:
        seen["lease_ends"] = WebhookDelivery.objects.get(pk=delivery.pk).next_attempt_at
        return "observed"

    monkeypatch.setattr(engine, "attempt", observe)
    handed = Handed()
    due_delivery(endpoint_at("http://127.0.0.1:9/hooks", company, representative))
    claimed_at = timezone.now()
    engine.sweep(now=claimed_at, queue=handed)
    started_at = claimed_at + timedelta(seconds=50)  # it waited 50 s in the broker

    with time_machine.travel(started_at, tick=False):
        assert engine.deliver_claimed(*handed.tasks[0]) == "observed"

    assert seen["lease_ends"] == started_at + timedelta(seconds=60)
    # The sweep's lease is over, the task's is not: the sweeper leaves the delivery to it.
    assert engine.sweep(now=claimed_at + timedelta(seconds=90), queue=handed) == 0


# --- A switched-off endpoint --------------------------------------------------------------------------


def test_switching_an_endpoint_off_parks_its_waiting_deliveries_and_switching_it_on_sends_them(company, representative):
    secret = new_secret()
    with http_receiver(secret) as receiver:
        endpoint = endpoint_at(receiver.url, company, representative, secret)
        waiting = [due_delivery(endpoint, source=f"test:{n}") for n in range(3)]

        webhook_endpoint_disable(endpoint=endpoint, by=representative)

        # Parked: the sweeper's index does not even see them.
        assert set(WebhookDelivery.objects.values_list("status", "next_attempt_at")) == {(DeliveryStatus.PENDING, None)}
        assert sweep_at(timezone.now() + timedelta(hours=1)) == 0

        endpoint_enable(endpoint=endpoint, by=representative)
        assert sweep_webhooks() == 3

    assert receiver.accepted_ids == {str(d.uuid): 1 for d in waiting}


def test_an_endpoint_switched_off_after_repeated_failure_parks_its_deliveries(
    consumer, company, officer, representative, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 1
    endpoint = endpoint_at(f"http://127.0.0.1:{_port_of_nobody()}/hooks", company, representative)
    older = due_delivery(endpoint, source="older")
    WebhookDelivery.objects.filter(pk=older.pk).update(next_attempt_at=timezone.now() + timedelta(hours=1))

    serve(consumer, company, officer, django_capture_on_commit_callbacks)  # its delivery fails: switched off

    endpoint.refresh_from_db()
    assert not endpoint.active
    assert WebhookDelivery.objects.count() == 2
    assert set(WebhookDelivery.objects.values_list("status", "next_attempt_at")) == {(DeliveryStatus.PENDING, None)}


def test_a_claimed_delivery_of_an_endpoint_switched_off_meanwhile_is_given_back_parked(company, representative):
    handed = Handed()
    endpoint = endpoint_at("http://127.0.0.1:9/hooks", company, representative)
    delivery = due_delivery(endpoint)
    engine.sweep(queue=handed)
    webhook_endpoint_disable(endpoint=endpoint, by=representative)

    assert engine.deliver_claimed(*handed.tasks[0]) == "skipped"

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.PENDING, 0, None)


def _port_of_nobody() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- Language -----------------------------------------------------------------------------------------


def test_an_attempt_s_error_is_kept_in_the_office_s_language_whoever_s_request_sent_it(company, representative):
    delivery = due_delivery(endpoint_at(f"http://127.0.0.1:{_port_of_nobody()}/hooks", company, representative))

    with translation.override("es-ar"):  # e.g. a Spanish-speaking administrator's resend, sent at once
        engine.deliver(str(delivery.uuid))

    delivery.refresh_from_db()
    assert delivery.last_error.startswith("Could not connect: ")  # LANGUAGE_CODE is "en" in these tests
