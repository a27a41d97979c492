"""Importing an article from a URL (off unless URL_IMPORT_ENABLED), without becoming an SSRF proxy.

Every hop is checked before connecting: http(s) only, the host resolved once, every resolved
address public (no loopback, private, link-local, reserved, multicast, unspecified, and no IPv6
forms of them), and the connection made to that very address, so a DNS answer that changes
between check and connect (rebinding) cannot redirect us. Redirects are followed by hand, each one
checked again. Bodies are capped in size and time.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from app.errors import DomainError

MAX_REDIRECTS = 3
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
DEFAULT_TIMEOUT = 10.0
ALLOWED_TYPES = ("text/html", "application/xhtml+xml", "text/plain")


@dataclass(frozen=True)
class Fetched:
    url: str
    content_type: str
    text: str


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (address.is_private or address.is_loopback or address.is_link_local or address.is_reserved
                or address.is_multicast or address.is_unspecified or not address.is_global)


def check_target(url: str, allowed_networks: Sequence[str] = ()) -> tuple[str, str, int, str]:
    """(scheme, host, port, address to connect to) for a URL we may fetch, or a 422 saying why not."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise DomainError("only http and https addresses can be imported", "url")
    if not parts.hostname or parts.username or parts.password:
        raise DomainError("the address needs a host name and no user name or password", "url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise DomainError("the address has an invalid port", "url") from exc
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise DomainError(f"the host {parts.hostname!r} cannot be found", "url") from exc
    allowed = [ipaddress.ip_network(n) for n in allowed_networks]
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not _public(address) and not any(address in network for network in allowed):
            # Refuse if ANY answer is internal: a mixed answer is how rebinding attacks start.
            raise DomainError("that address points into a private or local network; it cannot be imported",
                              "url")
        addresses.append(str(address))
    if not addresses:
        raise DomainError(f"the host {parts.hostname!r} cannot be found", "url")
    return parts.scheme, parts.hostname, port, addresses[0]


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a fixed address, with the certificate checked for the host name."""

    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def fetch(url: str, max_bytes: int = DEFAULT_MAX_BYTES, timeout: float = DEFAULT_TIMEOUT,
          allowed_networks: Sequence[str] = ()) -> Fetched:
    for _hop in range(MAX_REDIRECTS + 1):
        scheme, host, port, address = check_target(url, allowed_networks)
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if scheme == "https":
            connection: http.client.HTTPConnection = _PinnedHTTPS(host, address, port, timeout)
        else:
            connection = http.client.HTTPConnection(address, port, timeout=timeout)
        try:
            connection.request("GET", path, headers={"Host": parts.netloc.rsplit("@", 1)[-1],
                                                     "User-Agent": "Sourcemark article import",
                                                     "Accept": "text/html, text/plain"})
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                if not location:
                    raise DomainError("the site answered with a redirect to nowhere", "url")
                url = urljoin(url, location)
                continue
            if response.status != 200:
                raise DomainError(f"the site answered {response.status}; nothing was imported", "url")
            content_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
            if content_type not in ALLOWED_TYPES:
                raise DomainError(f"the address serves {content_type or 'an unknown type'}, not an article", "url")
            declared = response.getheader("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise DomainError(f"the page is larger than {max_bytes // 1024} KB", "url")
            body = response.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise DomainError(f"the page is larger than {max_bytes // 1024} KB", "url")
        except (OSError, http.client.HTTPException) as exc:
            raise DomainError(f"the page could not be fetched ({exc.__class__.__name__})", "url") from exc
        finally:
            connection.close()
        charset = "utf-8"
        for part in (response.getheader("Content-Type") or "").split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip('"').lower()
        try:
            text = body.decode(charset)
        except (LookupError, UnicodeDecodeError) as exc:
            raise DomainError(f"the page is not valid {charset}", "url") from exc
        return Fetched(url, content_type, text)
    raise DomainError(f"more than {MAX_REDIRECTS} redirects", "url")
