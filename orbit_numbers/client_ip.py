"""Who is on the other end: the client IP address of a request, and IP networks (allowlists).

One rule for the whole code base (API key allowlists, ``last_used_ip``, anything that logs or
limits by address): the client is ``REMOTE_ADDR``, unless that peer is one of
``ORBIT["TRUSTED_PROXIES"]``; then it is the right-most ``X-Forwarded-For`` hop that is not a
trusted proxy. Hops to the left of it were written by the client itself and prove nothing, so a
spoofed header is ignored unless a trusted proxy stands in front.
"""
from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_address(value) -> IPAddress | None:
    """An address as a proxy or WSGI server writes it, or None. IPv4-mapped IPv6 (::ffff:a.b.c.d,
    what a dual-stack socket reports for an IPv4 peer) is read as the IPv4 address. Scoped
    addresses (fe80::1%eth0) are refused: a zone means nothing outside the host."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # "192.0.2.1:443"
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id is not None:
            return None
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
    return address


def parse_network(value: str) -> IPNetwork:
    """"192.0.2.7" → 192.0.2.7/32, "2001:DB8::/32" → 2001:db8::/32. Raises ValueError with a reason:
    host bits set (192.0.2.7/24) are refused rather than silently widened or narrowed."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be an IP address or a CIDR network such as 192.0.2.0/24")
    text = value.strip()
    if "%" in text:
        raise ValueError(f"{text!r}: scoped IPv6 addresses are not allowed")
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError:
        try:
            loose = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise ValueError(f"{text!r} is not an IP address or a CIDR network such as 192.0.2.0/24") from None
        raise ValueError(f"{text!r} has host bits set; did you mean {loose}?") from None
    if isinstance(network, ipaddress.IPv6Network) and network.prefixlen >= 96:
        mapped = network.network_address.ipv4_mapped
        if mapped is not None:  # ::ffff:192.0.2.0/120 is 192.0.2.0/24: clients are compared as IPv4
            network = ipaddress.ip_network(f"{mapped}/{network.prefixlen - 96}")
    return network


def normalise_networks(values: list[str]) -> list[str]:
    """Parse, normalise and de-duplicate (order kept); ValueError names the first bad entry."""
    networks = [parse_network(value) for value in values]
    return list(dict.fromkeys(str(network) for network in networks))


def address_in_networks(address: IPAddress | str | None, networks) -> bool:
    """Whether ``address`` is inside one of ``networks`` (strings or networks). None is never inside."""
    if isinstance(address, str):
        address = parse_address(address)
    if address is None:
        return False
    for network in networks:
        if isinstance(network, str):
            network = ipaddress.ip_network(network)
        if address.version == network.version and address in network:
            return True
    return False


def network_within(inner: str | IPNetwork, outers) -> bool:
    """Whether every address of ``inner`` is inside one of ``outers``."""
    inner = ipaddress.ip_network(inner) if isinstance(inner, str) else inner
    return any(inner.version == outer.version and inner.subnet_of(outer)
               for outer in (ipaddress.ip_network(o) if isinstance(o, str) else o for o in outers))


@lru_cache(maxsize=8)
def _trusted(configured: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    networks = []
    for value in configured:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"ORBIT_TRUSTED_PROXIES: {value!r} is not an IP address or CIDR network") from None
    return tuple(networks)


def trusted_proxies() -> tuple[IPNetwork, ...]:
    return _trusted(tuple(settings.ORBIT.get("TRUSTED_PROXIES") or ()))


def client_ip(request) -> str | None:
    """The client's address as text (IPv4 dotted, IPv6 compressed), or None when it cannot be told
    (no or malformed REMOTE_ADDR, or a trusted proxy that forwarded a malformed hop). Works on
    Django's HttpRequest and DRF's Request alike (both have META)."""
    meta = request.META
    peer = parse_address(meta.get("REMOTE_ADDR"))
    if peer is None:
        return None
    proxies = trusted_proxies()
    if not address_in_networks(peer, proxies):
        return str(peer)
    hops = [hop for hop in (meta.get("HTTP_X_FORWARDED_FOR") or "").split(",")]
    if not any(hop.strip() for hop in hops):
        return str(peer)  # the proxy itself is calling (e.g. a health check)
    client = peer
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            # Written by a trusted proxy (every hop to its right was one), yet unreadable: the
            # client cannot be told, and guessing further left would trust the client's own words.
            return None
        client = address
        if not address_in_networks(address, proxies):
            break
    return str(client)


@checks.register(checks.Tags.security)
def check_trusted_proxies(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    try:
        trusted_proxies()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="orbit_numbers.E101")]
    return []
