"""Where a webhook may be sent (SSRF guard). A tenant chooses the URL, and our workers POST to it
from inside our network: an address on it must never be a loopback, private, link-local (cloud
metadata) or otherwise reserved one. Checked when an endpoint is registered or changed (IP
literals and local names) and again before every attempt (what the name resolves to then).

ORBIT["WEBHOOK_ALLOW_LOOPBACK"] (DEBUG and tests) allows 127.0.0.0/8, ::1 and localhost, over http too;
ORBIT["WEBHOOK_ALLOW_PRIVATE_TARGETS"] allows private ranges (a deployment inside a private network).
"""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")


def _allow_loopback() -> bool:
    return bool(settings.ORBIT.get("WEBHOOK_ALLOW_LOOPBACK"))


def _allow_private() -> bool:
    return bool(settings.ORBIT.get("WEBHOOK_ALLOW_PRIVATE_TARGETS"))


def _literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def address_refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why this address may not receive webhooks, or None."""
    if address.is_loopback:
        return None if _allow_loopback() else "is a loopback address"
    if address.is_link_local:
        return "is a link-local address"
    if address.is_multicast or address.is_unspecified or address.is_reserved:
        return "is not a public unicast address"
    if address.is_private or not address.is_global:
        return None if _allow_private() else "is a private address"
    return None


def _is_loopback_host(host: str) -> bool:
    address = _literal(host)
    return (address is not None and address.is_loopback) or host == "localhost" or host.endswith(".localhost")


def webhook_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a webhook endpoint (a message for the ``url`` field), or None."""
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in url):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("https", "http") or not host:
        return "must be an https:// URL"
    if parts.username is not None or parts.password is not None:
        return "must not carry credentials"
    if port == 0:
        return "has an invalid port"
    loopback = _is_loopback_host(host)
    if parts.scheme == "http" and not (loopback and _allow_loopback()):
        return "must be an https:// URL"
    if loopback:
        return None if _allow_loopback() else "must not point to this host (loopback)"
    address = _literal(host)
    if address is not None:
        refusal = address_refusal(address)
        return f"must not point to a private network: the host {refusal}" if refusal else None
    if "." not in host or host.endswith(_LOCAL_SUFFIXES):
        return "must use a public host name"
    return None


def resolved_refusal(url: str) -> str | None:
    """Resolve the URL's host now and refuse if any of its addresses may not be reached (checked
    before each attempt: a name may be re-pointed at an internal address after registration)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = _literal(host)
    if literal is not None:
        refusal = address_refusal(literal)
        return f"refused: {host} {refusal}" if refusal else None
    try:
        infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80),
                                   type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        return f"DNS: {host} could not be resolved ({exc})"
    for info in infos:
        refusal = address_refusal(_literal(info[4][0]) or ipaddress.ip_address("0.0.0.0"))
        if refusal:
            return f"refused: {host} resolves to {info[4][0]}, which {refusal}"
    return None
