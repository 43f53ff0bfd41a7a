"""Which proxy a request goes through: one for everything, or the standard variables' choice.

The values come from the caller (the bot's configuration reads ``HTTPS_PROXY``,
``HTTP_PROXY``, ``ALL_PROXY`` and ``NO_PROXY`` at the edge); nothing here reads the
environment. httpx reaches SOCKS proxies through its ``socks`` extra.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

import httpx

PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


def check_proxy_url(url: str) -> str:
    """``url`` if it names a proxy we can use; ValueError (without the password) if not."""
    parts = urlsplit(url.strip())
    if parts.scheme not in PROXY_SCHEMES:
        raise ValueError(f"a proxy URL starts with {', '.join(s + '://' for s in PROXY_SCHEMES)}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("the proxy URL's port is not a number") from None
    if not parts.hostname or (port is None and parts.scheme.startswith("socks")):
        raise ValueError("a proxy URL needs a host, and a SOCKS proxy a port (host:port)")
    return url.strip()


def mask_password(url: str) -> str:
    """The URL with its password replaced by ``***`` (for display and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return SplitResult(
        parts.scheme, f"{parts.username}:***@{host}", parts.path, parts.query, parts.fragment
    ).geturl()


def proxy_password(url: str | None) -> str | None:
    """The password in a proxy URL, to keep it out of logs."""
    return urlsplit(url).password if url else None


@dataclass(frozen=True, slots=True)
class Proxies:
    """Proxies by target scheme, as the standard variables give them.

    :param http: proxy for ``http://`` targets (``HTTP_PROXY``, else ``ALL_PROXY``).
    :param https: proxy for ``https://`` targets (``HTTPS_PROXY``, else ``ALL_PROXY``).
    :param no_proxy: ``NO_PROXY`` as given: hosts, domains, IPs or ``*``, comma-separated.
    """

    http: str | None = None
    https: str | None = None
    no_proxy: str = ""

    @classmethod
    def everywhere(cls, url: str | None) -> Proxies:
        """One proxy for every target (an explicit setting: NO_PROXY does not apply)."""
        return cls(http=url, https=url)

    def __bool__(self) -> bool:
        return bool(self.http or self.https)

    def for_url(self, url: str) -> str | None:
        """The proxy a request to ``url`` goes through, or None to go direct."""
        parts = urlsplit(url)
        proxy = self.https if parts.scheme == "https" else self.http
        if proxy is None or (self.no_proxy and self.bypassed(parts.hostname or "")):
            return None
        return proxy

    def bypassed(self, host: str) -> bool:
        """True when NO_PROXY names ``host``: ``*``, the host or a parent domain (with or
        without a leading dot, as curl reads it), an IP address or a CIDR network."""
        host = host.lower().strip("[]")
        for entry in (e.strip().lower() for e in self.no_proxy.split(",")):
            name = entry.lstrip(".")
            if entry == "*" or (name and (host == name or host.endswith("." + name))):
                return True
            if name and _in_network(host, name):
                return True
        return False

    def transport(self, limits: httpx.Limits) -> httpx.AsyncBaseTransport:
        """An httpx transport that sends each request as :meth:`for_url` says."""
        return _Routed(self, limits)


class _Routed(httpx.AsyncBaseTransport):
    """Direct, or through the proxy the target's scheme and NO_PROXY choose.

    httpx's own mounts cannot express NO_PROXY's networks (10.0.0.0/8), and one matcher
    for the bot and the sources keeps them in agreement.
    """

    def __init__(self, proxies: Proxies, limits: httpx.Limits) -> None:
        self._proxies = proxies
        self._direct = httpx.AsyncHTTPTransport(limits=limits)
        self._through = {
            url: httpx.AsyncHTTPTransport(proxy=url, limits=limits)
            for url in {proxies.http, proxies.https}
            if url
        }

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        proxy = self._proxies.for_url(str(request.url))
        chosen = self._through[proxy] if proxy else self._direct
        return await chosen.handle_async_request(request)

    async def aclose(self) -> None:
        for transport in (self._direct, *self._through.values()):
            await transport.aclose()


def _in_network(host: str, entry: str) -> bool:
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False)
    except ValueError:  # a name, not an address or a network
        return False
