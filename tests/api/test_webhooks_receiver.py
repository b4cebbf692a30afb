"""A company's real webhook receiver, for the webhook tests: an HTTP server in a thread on 127.0.0.1
that verifies each POST with the `standardwebhooks` library (as a company's system would) and counts
the webhook-ids it accepted. The tests here show that what Concilia signs verifies, and that the
receiver's verification refuses a replayed request (an old timestamp) and a tampered one.

    with http_receiver(secret) as receiver:          # receiver.url, receiver.accepted_ids, receiver.requests
        ...
    with closed_port() as down:                      # a port held but not listening (a receiver that is down)
        with http_receiver(secret, sock=down): ...   # …and then up, on the same port
"""

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from api.webhooks.signing import new_secret, secret_key, sign


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: bool
    refusal: str = ""
    answered: int = 0
    path: str = ""

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    secret: str
    # What the receiver answers to a verified POST (a status, or a redirect with `location`).
    status: int = 204
    location: str = ""
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/concilia"

    @property
    def accepted_ids(self) -> Counter:
        """How many times each webhook-id was accepted (verified and answered 2xx)."""
        with self.lock:
            return Counter(r.headers["webhook-id"] for r in self.requests if r.verified and 200 <= r.answered < 300)

    def verified(self) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.verified]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {key.lower(): value for key, value in self.headers.items()}
            try:
                Webhook(receiver.secret).verify(body, headers)
                received = Received(headers, body, verified=True)
            except WebhookVerificationError as exc:
                received = Received(headers, body, verified=False, refusal=str(exc))
            received.answered = receiver.status if received.verified else 400
            received.path = self.path
            with receiver.lock:
                receiver.requests.append(received)
            if receiver.delay:
                time.sleep(receiver.delay)
            self.send_response(received.answered)
            if receiver.location:
                self.send_header("Location", receiver.location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def http_receiver(secret: str, *, sock: socket.socket | None = None, **answer: object) -> Iterator[Receiver]:
    """A receiver on a new port, or listening on `sock` (from closed_port) at last."""
    receiver = Receiver(secret=secret, **answer)  # type: ignore[arg-type]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver), bind_and_activate=sock is None)
    if sock is not None:
        server.socket.close()
        server.socket = sock
        server.server_address = sock.getsockname()
        server.server_activate()  # listen
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def closed_port() -> Iterator[socket.socket]:
    """A port on 127.0.0.1 held by this test and not listening: connecting to it is refused, and no
    other process (the suite runs in several) can take it before http_receiver(sock=…) listens on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock


def post_again(url: str, received: Received, *, body: bytes | None = None) -> int:
    """POST a request the receiver got once more, as an attacker who recorded it would."""
    request = urllib.request.Request(url, data=body if body is not None else received.body, method="POST")
    for name in ("webhook-id", "webhook-timestamp", "webhook-signature", "content-type"):
        request.add_header(name, received.headers[name])
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


# --- The signature --------------------------------------------------------------------------------


def test_a_new_secret_is_whsec_and_32_random_bytes():
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_") and second.startswith("whsec_")
    assert len(secret_key(first)) == 32
    assert first != second


def test_what_concilia_signs_verifies_with_the_standard_webhooks_library():
    secret = new_secret()
    body = b'{"id":"msg_1","type":"case.served"}'
    headers = sign(secret=secret, message_id="msg_1", timestamp=int(time.time()), body=body)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(body, headers) == {"id": "msg_1", "type": "case.served"}


def test_a_signature_made_with_another_secret_is_refused():
    body = b"{}"
    headers = sign(secret=new_secret(), message_id="msg_1", timestamp=int(time.time()), body=body)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)


def test_the_receiver_refuses_a_replayed_request_and_a_tampered_one():
    secret = new_secret()
    with http_receiver(secret) as receiver:
        body = b'{"id":"msg_1","type":"case.served","data":{"case":{"id":1}}}'
        headers = sign(secret=secret, message_id="msg_1", timestamp=int(time.time()), body=body)
        request = urllib.request.Request(receiver.url, data=body, method="POST", headers=headers)
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 204
        original = receiver.requests[0]
        assert original.verified

        # The same request, byte for byte, ten minutes later: its timestamp is too old.
        with time_machine.travel(timedelta(minutes=10)):
            assert post_again(receiver.url, original) == 400
        # The body changed on the way (the case's id): the signature no longer matches.
        assert post_again(receiver.url, original, body=body.replace(b'"id":1', b'"id":2')) == 400

    replayed, tampered = receiver.requests[1], receiver.requests[2]
    assert not replayed.verified and "too old" in replayed.refusal
    assert not tampered.verified and "signature" in tampered.refusal
    assert receiver.accepted_ids == Counter({"msg_1": 1})
