"""Per-key IP allowlists and the client address they are checked against (orbit_numbers.client_ip):
REMOTE_ADDR, or behind a trusted proxy the right-most X-Forwarded-For hop that is not a proxy."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import RequestFactory
from rest_framework.test import APIClient

from orbit_numbers.client_ip import check_trusted_proxies, client_ip, normalise_networks
from orbit_numbers.errors import ValidationFailed
from orbit_numbers.models import ApiKey, AuditLog
from orbit_numbers.services import api_key_allowlist_validate, api_key_authenticate, api_key_create

BALANCE = "/api/v1/billing/balance"
PROXY = "10.0.0.2"


@pytest.fixture
def trust_proxies(settings):
    def trust(*networks: str):
        settings.ORBIT = {**settings.ORBIT, "TRUSTED_PROXIES": list(networks)}
    return trust


def keyed(org, allowlist):
    api_key, raw = api_key_create(organization=org, scopes=["billing:read"], ip_allowlist=allowlist)
    return api_key, raw


def call(raw, remote_addr, forwarded_for=None):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return APIClient().get(BALANCE, HTTP_X_API_KEY=raw, **extra)


def assert_ip_refused(response):
    assert response.status_code == 403, response.content
    error = response.json()["error"]
    assert error["code"] == "IP_NOT_ALLOWED"
    assert error["request_id"] == response["X-Request-Id"]
    assert "details" not in error
    return error


# --- the allowlist as the API key's owner sees it -------------------------------------------------


def test_exact_ipv4_address(org):
    _, raw = keyed(org, ["198.51.100.7"])
    assert call(raw, "198.51.100.7").status_code == 200
    assert_ip_refused(call(raw, "198.51.100.8"))


def test_ipv4_cidr(org):
    _, raw = keyed(org, ["192.0.2.0/24"])
    assert call(raw, "192.0.2.1").status_code == 200
    assert call(raw, "192.0.2.255").status_code == 200
    assert_ip_refused(call(raw, "192.0.3.1"))


def test_ipv6_address_and_cidr(org):
    _, raw = keyed(org, ["2001:db8:1::/48", "2001:db8:ffff::7"])
    assert call(raw, "2001:db8:1:2::99").status_code == 200
    assert call(raw, "2001:DB8:FFFF:0:0:0:0:7").status_code == 200
    assert_ip_refused(call(raw, "2001:db8:2::1"))
    assert_ip_refused(call(raw, "192.0.2.1"))


def test_ipv4_mapped_peer_matches_an_ipv4_entry(org):
    _, raw = keyed(org, ["192.0.2.0/24"])
    assert call(raw, "::ffff:192.0.2.9").status_code == 200


def test_refusal_gives_no_hint_about_the_allowed_ranges(org):
    _, raw = keyed(org, ["192.0.2.0/24"])
    response = call(raw, "203.0.113.1")
    assert_ip_refused(response)
    assert "192.0.2" not in response.content.decode()


def test_empty_allowlist_allows_any_address(org):
    _, raw = keyed(org, [])
    assert call(raw, "203.0.113.1").status_code == 200
    assert call(raw, "2001:db8::1").status_code == 200


def test_unknown_client_address_is_refused_for_a_restricted_key(org):
    _, raw = keyed(org, ["192.0.2.0/24"])
    assert_ip_refused(call(raw, "not-an-address"))
    assert_ip_refused(call(raw, ""))


def test_invalid_key_from_outside_is_401_not_a_hint(org):
    _, raw = keyed(org, ["192.0.2.0/24"])
    response = call(raw[:-3] + "xyz", "203.0.113.1")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"


def test_refused_request_does_not_touch_last_used(org):
    api_key, raw = keyed(org, ["192.0.2.0/24"])
    assert_ip_refused(call(raw, "203.0.113.1"))
    api_key.refresh_from_db()
    assert api_key.last_used_at is None and api_key.last_used_ip is None


# --- X-Forwarded-For: ignored unless a trusted proxy sent it ---------------------------------------


def test_spoofed_forwarded_for_is_ignored_without_a_trusted_proxy(org):
    _, raw = keyed(org, ["192.0.2.0/24"])
    assert_ip_refused(call(raw, "203.0.113.1", forwarded_for="192.0.2.10"))


def test_forwarded_for_from_an_untrusted_peer_is_ignored_even_when_proxies_are_configured(org, trust_proxies):
    trust_proxies("10.0.0.0/8")
    _, raw = keyed(org, ["192.0.2.0/24"])
    assert_ip_refused(call(raw, "203.0.113.1", forwarded_for="192.0.2.10"))


def test_forwarded_for_is_honoured_from_a_trusted_proxy(org, trust_proxies):
    trust_proxies("10.0.0.0/8")
    _, raw = keyed(org, ["192.0.2.0/24"])
    assert call(raw, PROXY, forwarded_for="192.0.2.10").status_code == 200
    assert_ip_refused(call(raw, PROXY, forwarded_for="203.0.113.1"))


def test_chain_with_several_hops_takes_the_rightmost_untrusted_one(org, trust_proxies):
    trust_proxies("10.0.0.0/8", "2001:db8:aaaa::/48")
    _, raw = keyed(org, ["192.0.2.0/24"])
    # The client forged the left-most hop; the proxies appended what they saw.
    assert call(raw, PROXY, forwarded_for="203.0.113.66, 192.0.2.10, 10.1.1.1, 2001:db8:aaaa::5").status_code == 200
    assert_ip_refused(call(raw, PROXY, forwarded_for="192.0.2.10, 203.0.113.66, 10.1.1.1"))


def test_ipv6_trusted_proxy(org, trust_proxies):
    trust_proxies("2001:db8:aaaa::/48")
    _, raw = keyed(org, ["2001:db8:1::/48"])
    assert call(raw, "2001:db8:aaaa::1", forwarded_for="2001:db8:1::5").status_code == 200


@pytest.mark.parametrize("header", ["garbage", "192.0.2.10, not-an-ip", "192.0.2.10,", " , ", "192.0.2.999",
                                    "fe80::1%eth0"])
def test_malformed_forwarded_for_from_a_trusted_proxy_is_refused(org, trust_proxies, header):
    trust_proxies("10.0.0.0/8")
    _, raw = keyed(org, ["192.0.2.0/24"])
    assert_ip_refused(call(raw, PROXY, forwarded_for=header))


def test_malformed_hop_left_of_the_client_does_not_matter(org, trust_proxies):
    trust_proxies("10.0.0.0/8")
    _, raw = keyed(org, ["192.0.2.0/24"])
    assert call(raw, PROXY, forwarded_for="junk, 192.0.2.10").status_code == 200


def test_hops_with_ports_are_read(org, trust_proxies):
    trust_proxies("10.0.0.0/8")
    _, raw = keyed(org, ["192.0.2.0/24", "2001:db8:1::/48"])
    assert call(raw, PROXY, forwarded_for="192.0.2.10:51234").status_code == 200
    assert call(raw, PROXY, forwarded_for="[2001:db8:1::5]:443").status_code == 200


# --- client_ip itself ---------------------------------------------------------------------------------


def request_from(remote_addr, forwarded_for=None):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(("proxies", "remote", "header", "expected"), [
    ((), "203.0.113.1", None, "203.0.113.1"),
    ((), "203.0.113.1", "192.0.2.1", "203.0.113.1"),
    (("10.0.0.0/8",), "10.0.0.2", None, "10.0.0.2"),
    (("10.0.0.0/8",), "10.0.0.2", "", "10.0.0.2"),
    (("10.0.0.0/8",), "10.0.0.2", "192.0.2.1", "192.0.2.1"),
    (("10.0.0.0/8",), "10.0.0.2", "10.0.0.9, 10.0.0.3", "10.0.0.9"),  # every hop a proxy: the left-most
    (("10.0.0.0/8",), "10.0.0.2", "192.0.2.1 ,  10.0.0.3 ", "192.0.2.1"),
    (("10.0.0.0/8",), "10.0.0.2", "2001:DB8::1", "2001:db8::1"),
    (("10.0.0.0/8",), "10.0.0.2", "::ffff:192.0.2.1", "192.0.2.1"),
    (("10.0.0.0/8",), "10.0.0.2", "bogus", None),
    (("10.0.0.2",), "10.0.0.3", "192.0.2.1", "10.0.0.3"),
    ((), "unknown", None, None),
])
def test_client_ip_resolution(settings, proxies, remote, header, expected):
    settings.ORBIT = {**settings.ORBIT, "TRUSTED_PROXIES": list(proxies)}
    assert client_ip(request_from(remote, header)) == expected


def test_trusted_proxies_default_is_empty(settings):
    assert settings.ORBIT["TRUSTED_PROXIES"] == []


def test_misconfigured_trusted_proxies_fail_the_system_check(settings):
    settings.ORBIT = {**settings.ORBIT, "TRUSTED_PROXIES": ["10.0.0.0/8", "not-a-network"]}
    problems = check_trusted_proxies()
    assert [problem.id for problem in problems] == ["orbit_numbers.E101"]
    assert "not-a-network" in problems[0].msg
    settings.ORBIT = {**settings.ORBIT, "TRUSTED_PROXIES": ["10.0.0.0/8"]}
    assert check_trusted_proxies() == []


# --- validating and normalising allowlists ------------------------------------------------------------


def test_allowlist_is_normalised_and_deduplicated():
    assert normalise_networks(["192.0.2.7", "192.0.2.0/24", "2001:DB8::/32", "192.0.2.7/32", " 198.51.100.1 ",
                               "::ffff:192.0.2.0/120"]) == [
        "192.0.2.7/32", "192.0.2.0/24", "2001:db8::/32", "198.51.100.1/32", ]


@pytest.mark.parametrize(("entry", "message"), [
    ("192.0.2.7/24", "host bits set; did you mean 192.0.2.0/24"),
    ("192.0.2.256", "is not an IP address"),
    ("192.0.2.0/33", "is not an IP address"),
    ("example.com", "is not an IP address"),
    ("", "must be an IP address"),
    ("fe80::1%eth0", "scoped"),
    (7, "must be an IP address"),
])
def test_bad_allowlist_entries_are_refused(entry, message):
    with pytest.raises(ValidationFailed) as caught:
        api_key_allowlist_validate(["192.0.2.1", entry])
    assert list(caught.value.details) == ["ip_allowlist[1]"]
    assert message in caught.value.details["ip_allowlist[1]"]


def test_allowlist_size_is_limited(settings):
    settings.ORBIT = {**settings.ORBIT, "API_KEY_IP_ALLOWLIST_MAX": 3}
    assert len(api_key_allowlist_validate(["192.0.2.1", "192.0.2.2", "192.0.2.3"])) == 3
    with pytest.raises(ValidationFailed) as caught:
        api_key_allowlist_validate(["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"])
    assert caught.value.details == {"ip_allowlist": "at most 3 entries"}


def test_allowlist_must_be_a_list():
    with pytest.raises(ValidationFailed):
        api_key_allowlist_validate("192.0.2.1")


# --- last_used_at / last_used_ip ---------------------------------------------------------------------


def test_last_used_ip_is_recorded_and_follows_address_changes(org, clock):
    api_key, raw = keyed(org, [])
    assert call(raw, "192.0.2.1").status_code == 200
    api_key.refresh_from_db()
    first_use = api_key.last_used_at
    assert api_key.last_used_ip == "192.0.2.1" and first_use is not None

    clock.advance(seconds=10)
    assert call(raw, "192.0.2.1").status_code == 200
    api_key.refresh_from_db()
    assert api_key.last_used_at == first_use  # same address within a minute: no write

    clock.advance(seconds=10)
    assert call(raw, "2001:db8::5").status_code == 200
    api_key.refresh_from_db()
    assert api_key.last_used_ip == "2001:db8::5"
    assert api_key.last_used_at == first_use + timedelta(seconds=20)

    clock.advance(minutes=2)
    assert call(raw, "2001:db8::5").status_code == 200
    api_key.refresh_from_db()
    assert api_key.last_used_at == first_use + timedelta(minutes=2, seconds=20)


def test_last_used_ip_behind_a_trusted_proxy_is_the_client(org, trust_proxies):
    trust_proxies("10.0.0.0/8")
    api_key, raw = keyed(org, [])
    assert call(raw, PROXY, forwarded_for="198.51.100.20").status_code == 200
    api_key.refresh_from_db()
    assert api_key.last_used_ip == "198.51.100.20"


def test_authenticate_without_an_address_refuses_a_restricted_key(org):
    from orbit_numbers.errors import IpNotAllowed

    api_key, raw = keyed(org, ["192.0.2.0/24"])
    assert api_key_authenticate(raw_key=raw, client_ip="192.0.2.3") == api_key
    with pytest.raises(IpNotAllowed):
        api_key_authenticate(raw_key=raw)


# --- the command ------------------------------------------------------------------------------------


def test_create_api_key_command_accepts_repeated_allow_ip(db):
    from io import StringIO

    out = StringIO()
    call_command("create_api_key", "--org", "Initech", "--scopes", "billing:read", "--allow-ip", "192.0.2.7",
                 "--allow-ip", "2001:DB8::/32", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    api_key = ApiKey.objects.get(organization__name="Initech")
    assert api_key.ip_allowlist == ["192.0.2.7/32", "2001:db8::/32"]
    assert "IP allowlist: 192.0.2.7/32, 2001:db8::/32" in out.getvalue()
    assert call(raw, "192.0.2.7").status_code == 200
    assert_ip_refused(call(raw, "192.0.2.8"))
    assert AuditLog.objects.get(action="api_key.create").after["ip_allowlist"] == ["192.0.2.7/32", "2001:db8::/32"]


def test_create_api_key_command_refuses_a_bad_network_and_creates_nothing(db):
    from io import StringIO

    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="host bits set"):
        call_command("create_api_key", "--org", "Initech", "--scopes", "billing:read", "--allow-ip", "192.0.2.7/24",
                     stdout=StringIO())
    assert not ApiKey.objects.exists()
