"""The cheapest authenticated request, in process: GET /api/v1/billing/balance against `SELECT 1`.

The goal row is the request's p50 over `SELECT 1` through Django: a view that runs `SELECT 1` and answers
JSON, requested through the same test client and middleware (bench/scale/bench_urls.py; same process,
same run, alternated with it). A second row compares with a bare `SELECT 1` on Django's connection. The informative rows split out what the request path used to spend most on: the key
check (the HMAC now, PBKDF2 before, measured side by side), authentication with its one lookup, and the
rate limit (one Redis round trip). The request is cheap, so it is sampled 20× the run's rounds.
"""
from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.test import Client, override_settings

from bench.scale.dataset import bench_api_key, organization
from bench.scale.harness import STATS, Row, api_client, interleaved, ms, ratio_row

BALANCE = "/api/v1/billing/balance"
ORGANIZATION = "bench-org-000"


def select_one() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def informative_row(what: str, *, measured: list[float], reference: list[float], note: str = "") -> Row:
    value, base = STATS["p50"](measured), STATS["p50"](reference)
    return Row(what=what, figure=f"p50 {ms(value)}", reference=f"SELECT 1 p50 {ms(base)}",
               ratio=value / base, goal="informative", met=None, note=note)


def measure(*, rounds: int) -> list[Row]:
    from orbit_numbers.api.ratelimit import RateLimit
    from orbit_numbers.api_key_secrets import legacy_secret_hash
    from orbit_numbers.models import ApiKey

    raw_key = bench_api_key(organization(ORGANIZATION), scopes=["billing:read"])
    client = api_client(raw_key)
    api_key = ApiKey.objects.get(prefix=raw_key.removeprefix("orb_live_").partition("_")[0])
    secret = raw_key.removeprefix("orb_live_").partition("_")[2]
    legacy_hash = legacy_secret_hash(secret)
    rule = RateLimit("default", settings.ORBIT["DEFAULT_RATE_LIMIT_PER_MINUTE"])

    def balance() -> None:
        response = client.get(BALANCE)
        assert response.status_code == 200, response.content

    plain_client = Client()

    def select_one_view() -> None:
        response = plain_client.get("/bench/select-one/")
        assert response.status_code == 200, response.content

    with override_settings(ROOT_URLCONF="bench.scale.bench_urls"):
        samples = _samples(balance, select_one_view, secret, api_key, legacy_hash, raw_key, rule, rounds)
    reference = samples["select_one"]
    pbkdf2 = STATS["p50"](samples["pbkdf2_check"])
    return [
        ratio_row("cheapest authenticated request (GET /billing/balance), in-process", measured=samples["balance"],
                  reference=samples["select_one_view"], reference_label="SELECT 1 through Django (a view)",
                  limit=6, stat="p50"),
        informative_row("the same request against a bare SELECT 1 on the connection", measured=samples["balance"],
                        reference=reference),
        informative_row("key verification: HMAC-SHA256 + constant-time compare", measured=samples["hmac_check"],
                        reference=reference, note=f"PBKDF2 as before, same run: p50 {ms(pbkdf2)}"),
        informative_row("authentication: key lookup (1 query) + verification", measured=samples["authenticate"],
                        reference=reference),
        informative_row("rate limit: one Redis round trip (Lua)", measured=samples["rate_limit"], reference=reference),
    ]


def _samples(balance, select_one_view, secret, api_key, legacy_hash, raw_key, rule, rounds):
    from orbit_numbers.api.ratelimit import rate_limit_hit
    from orbit_numbers.api_key_secrets import secret_check
    from orbit_numbers.services import api_key_authenticate

    return interleaved({
        "balance": balance,
        "select_one_view": select_one_view,
        "select_one": select_one,
        "hmac_check": lambda: secret_check(secret, api_key.hashed_secret),
        "pbkdf2_check": lambda: secret_check(secret, legacy_hash),
        "authenticate": lambda: api_key_authenticate(raw_key=raw_key, client_ip="127.0.0.1"),
        "rate_limit": lambda: rate_limit_hit(rule=rule, subject=api_key.pk),
    }, rounds=rounds * 20, warmup=20)
