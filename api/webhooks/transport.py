"""One POST of a webhook, and where it may go.

Where: `check_url` (the endpoint form asks it too) wants https and a public address; the connection
itself checks every address the name resolves to before connecting, so a name that changes its
answer after the form was saved cannot reach the office's own network (WEBHOOK_ALLOW_PRIVATE_ADDRESSES
turns both off, for tests and development). An IPv6 address that carries an IPv4 one (mapped, 6to4,
NAT64, IPv4-compatible) is judged by the IPv4 address it carries.

How: stdlib urllib, no proxies from the environment, no redirects followed, the whole attempt
(connecting, sending, the answer) within WEBHOOK_TIMEOUT_SECONDS (`_Deadline`); `post` returns an
`Answer` whatever the network or the address do, its error in the office's language.
"""

import contextlib
import functools
import http.client
import ipaddress
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.encoding import iri_to_uri
from django.utils.translation import gettext as _

USER_AGENT = "Concilia-Webhooks/1"


# --- Which addresses a delivery may go to -------------------------------------------------------


class RefusedAddress(OSError):
    """The endpoint's name resolves only to addresses a delivery must not reach."""


def _allow_private() -> bool:
    return bool(settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES)


# IPv6 prefixes that carry an IPv4 address in their last 32 bits: NAT64's well-known prefix (RFC 6052)
# and the deprecated IPv4-compatible addresses (::a.b.c.d, RFC 4291). A translator on the way would
# take a request for 64:ff9b::a9fe:a9fe to 169.254.169.254.
_IPV4_IN_LOW_BITS = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("::/96"))
# Never public, whatever the library's version says: NAT64 for local use (RFC 8215) and the
# deprecated site-local addresses (RFC 3879).
_NOT_PUBLIC_V6 = (ipaddress.IPv6Network("64:ff9b:1::/48"), ipaddress.IPv6Network("fec0::/10"))


def forbidden_address(address: str) -> bool:
    """Loopback, private, link-local, shared (CGNAT), multicast, reserved or unspecified: not on the
    public internet, so not a company's server as far as we are concerned. An IPv6 address that
    carries an IPv4 one is judged by that IPv4 address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in network for network in _NOT_PUBLIC_V6):
            return True
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:  # 2002:a9fe:a9fe::/48, a 6to4 relay's way to 169.254.169.254
            ip = ip.sixtofour
        elif any(ip in network for network in _IPV4_IN_LOW_BITS):
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return not ip.is_global or ip.is_multicast


def _scheme_refusal(parts: urllib.parse.SplitResult) -> str | None:
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return _("Enter a full address that starts with https://.")
    if parts.scheme == "http" and not _allow_private():
        return _("Use an https:// address: deliveries are only sent over an encrypted connection.")
    if parts.username or parts.password:
        return _("Leave the user name and password out of the address.")
    try:
        parts.port  # noqa: B018  (raises on a port that is not a number or out of range)
    except ValueError:
        return _("The address has an invalid port.")
    return None


def check_url(url: str) -> str | None:
    """Why a delivery may not go to `url` (in the reader's language), or None when it may: https, no
    credentials in it, and (unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES) a name that resolves, and only to
    public addresses. Asks the DNS."""
    parts = urllib.parse.urlsplit(url.strip())
    refusal = _scheme_refusal(parts)
    if refusal is not None or _allow_private():
        return refusal
    assert parts.hostname is not None  # _scheme_refusal asked
    try:
        addresses = {
            info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443, 0, socket.SOCK_STREAM)
        }
    except (OSError, UnicodeError):
        return _("We could not find the server of this address: check its name.")
    if not addresses or any(forbidden_address(str(address)) for address in addresses):
        return _("This address points to a private or local network. Use a public address.")
    return None


class _Deadline:
    """The time one attempt may take in all. The socket's timeout bounds each read, so a receiver that
    trickles its answer a line at a time would never trip it and would hold the worker past its
    lease (the sweeper would then send the delivery again). When this runs out the connection's
    socket is shut: a read blocked on it returns at once, and the attempt is a timeout."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._ends = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._timer: threading.Timer | None = None
        self._done = False
        self.expired = False

    def watch(self, sock: socket.socket) -> None:
        """Shut `sock` when the time is up (the raw socket, then the TLS one that wraps it)."""
        with self._lock:
            self._sock = sock
            if self._timer is None and not self._done:
                self._timer = threading.Timer(max(0.0, self._ends - time.monotonic()), self._expire)
                self._timer.daemon = True
                self._timer.start()
            expired = self.expired
        if expired:
            self._shut(sock)

    def _expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            sock = self._sock
        if sock is not None:
            self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        # The plain socket's shutdown, also for a TLS one (whose own would drop its TLS state under the
        # reading thread's feet): the reader sees the connection end. OSError: closed already.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def finish(self) -> bool:
        """Stop the clock; True when the time had run out (the answer may be cut short)."""
        with self._lock:
            self._done = True
            timer, self._timer = self._timer, None
            expired = self.expired
        if timer is not None:
            timer.cancel()
        return expired


def _connect_public(
    address: tuple[str, int],
    timeout: Any = None,
    source_address: Any = None,
    *,
    deadline: _Deadline | None = None,
    **_: Any,
) -> socket.socket:
    """socket.create_connection, connecting only to addresses `forbidden_address` lets through: the
    check and the connection use the same resolution, so a name cannot change its answer between.
    Each socket is watched by the attempt's deadline before it connects."""
    host, port = address
    last_error: OSError | None = None
    for family, kind, proto, _name, sockaddr in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        if not _allow_private() and forbidden_address(str(sockaddr[0])):
            last_error = RefusedAddress(f"{host} resolves to a private or local address")
            continue
        if deadline is not None and deadline.expired:
            break
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is None or isinstance(timeout, int | float):  # else: the module's default object
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            if deadline is not None:
                deadline.watch(sock)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            last_error = exc
            sock.close()
    raise last_error or OSError(f"{host} did not resolve")


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, deadline: _Deadline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = functools.partial(_connect_public, deadline=deadline)


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, deadline: _Deadline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline = deadline
        self._create_connection = functools.partial(_connect_public, deadline=deadline)

    def connect(self) -> None:
        # http.client's, with the handshake after the TLS socket is watched: a server that trickles
        # its handshake is cut off by the deadline too. No proxy, so no tunnel.
        http.client.HTTPConnection.connect(self)
        context = self._context  # type: ignore[attr-defined]
        self.sock = context.wrap_socket(self.sock, server_hostname=self.host, do_handshake_on_connect=False)
        self._deadline.watch(self.sock)
        self.sock.do_handshake()


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_GuardedHTTPConnection, deadline=self._deadline), req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = functools.partial(_GuardedHTTPSConnection, deadline=self._deadline)
        return self.do_open(connection, req, context=self._context)  # type: ignore[attr-defined]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx is the endpoint's answer, not a place to follow (a redirect could point anywhere)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _opener(deadline: _Deadline) -> urllib.request.OpenerDirector:
    # No proxies from the environment: the address check must see where the request really goes.
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), _NoRedirects(), _GuardedHTTPHandler(deadline), _GuardedHTTPSHandler(deadline)
    )


def _wire_url(url: str) -> str:
    """The address as it goes on the wire, as a browser sends it: a name in IDNA, the rest
    percent-encoded (…/recepción → …/recepci%C3%B3n); http.client takes ASCII only."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if not host.isascii():
        host = host.encode("idna").decode("ascii")  # UnicodeError (a ValueError) for a name that cannot be
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return iri_to_uri(urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")))


# --- One POST -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What one attempt got: the HTTP status (None without one) and, unless delivered, why not."""

    status_code: int | None
    error: str = ""

    @property
    def delivered(self) -> bool:
        return not self.error and self.status_code is not None and 200 <= self.status_code < 300


def post(*, url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to `url`, once, without following redirects, within WEBHOOK_TIMEOUT_SECONDS in all;
    never raises for the network's or the address's sake. The error is in the office's language
    (it is kept on the delivery), whoever's request sent it."""
    with translation.override(settings.LANGUAGE_CODE):
        return _post(url=url, body=body, headers=headers)


def _post(*, url: str, body: bytes, headers: dict[str, str]) -> Answer:
    refusal = _scheme_refusal(urllib.parse.urlsplit(url))
    if refusal is not None:
        return Answer(None, refusal)
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    deadline = _Deadline(timeout)
    try:
        request = urllib.request.Request(
            _wire_url(url),
            data=body,
            method="POST",
            headers={**headers, "Content-Type": "application/json", "User-Agent": USER_AGENT},
        )
        with _opener(deadline).open(request, timeout=timeout) as response:
            response.read(64 * 1024)  # the answer's body is not ours to keep; read a little so the socket closes
            status = response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        deadline.finish()
        if 300 <= exc.code < 400:
            return Answer(
                exc.code,
                _("The endpoint answered with a redirect (%(code)s); redirects are not followed.") % {"code": exc.code},
            )
        return Answer(exc.code, _("The endpoint answered %(code)s.") % {"code": exc.code})
    except urllib.error.URLError as exc:
        return Answer(None, _network_error(exc.reason, timeout, expired=deadline.finish()))
    except (OSError, http.client.HTTPException, ValueError) as exc:
        # ValueError: an address http.client cannot write (a control character, a name IDNA refuses).
        return Answer(None, _network_error(exc, timeout, expired=deadline.finish()))
    finally:
        deadline.finish()
    if deadline.finish():  # the answer came, but cut short: its headers may be missing
        return Answer(None, _network_error(TimeoutError(), timeout, expired=True))
    return Answer(status)


def _network_error(reason: object, timeout: int, *, expired: bool = False) -> str:
    if isinstance(reason, RefusedAddress):
        return _("The address resolves to a private or local network; deliveries only go to public addresses.")
    if expired or isinstance(reason, TimeoutError | socket.timeout):
        return _("The endpoint did not answer in time (%(seconds)s s).") % {"seconds": timeout}
    return _("Could not connect: %(reason)s.") % {"reason": reason}
