"""API key secrets at rest: HMAC-SHA256 under a pepper, PBKDF2 keys migrated on use, rotation overlap."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from orbit_numbers import api_key_secrets
from orbit_numbers.api_key_secrets import legacy_secret_hash, secret_check, secret_hash
from orbit_numbers.models import ApiKey
from orbit_numbers.services import api_key_authenticate, api_key_create, api_key_rotate

BALANCE = "/api/v1/billing/balance"


def secret_of(raw: str) -> str:
    return raw[len("orb_live_"):].partition("_")[2]  # the secret itself may contain "_"


def wrong(raw: str) -> str:
    return raw[:-4] + ("AAAA" if not raw.endswith("AAAA") else "BBBB")


def legacy_key(org, **create) -> tuple[ApiKey, str]:
    """A key as minted before HMAC: its secret stored with the old PBKDF2 hasher."""
    api_key, raw = api_key_create(organization=org, scopes=["billing:read"], **create)
    ApiKey.objects.filter(pk=api_key.pk).update(hashed_secret=legacy_secret_hash(secret_of(raw)))
    api_key.refresh_from_db()
    assert api_key.hashed_secret.startswith("pbkdf2_sha256_apikey$")
    return api_key, raw


def status(raw: str) -> int:
    return APIClient().get(BALANCE, HTTP_X_API_KEY=raw).status_code


@pytest.fixture
def pepper(settings):
    def use(current: str, *fallbacks: str) -> None:
        settings.ORBIT = {**settings.ORBIT, "API_KEY_PEPPER": current, "API_KEY_PEPPER_FALLBACKS": list(fallbacks)}
    return use


def test_new_keys_are_stored_as_hmac_sha256(org):
    api_key, raw = api_key_create(organization=org, scopes=["billing:read"])
    api_key.refresh_from_db()
    algorithm, _, digest = api_key.hashed_secret.partition("$")
    assert algorithm == "hmac_sha256" and len(digest) == 64
    assert secret_of(raw) not in api_key.hashed_secret
    assert status(raw) == 200


def test_rotation_stores_the_new_secret_as_hmac(org):
    api_key, _ = api_key_create(organization=org, scopes=["billing:read"])
    api_key, raw = api_key_rotate(api_key=api_key, overlap_seconds=60)
    assert api_key.hashed_secret.startswith("hmac_sha256$")
    assert status(raw) == 200


def test_the_hash_is_keyed_by_the_pepper(pepper):
    pepper("pepper-one")
    stored = secret_hash("s3cret")
    assert secret_hash("s3cret") == stored  # deterministic: no salt is needed for a 256-bit secret
    pepper("pepper-two")
    assert secret_hash("s3cret") != stored
    assert not secret_check("s3cret", stored).matches


def test_without_a_pepper_it_is_derived_from_secret_key(settings, pepper):
    pepper("")
    stored, original = secret_hash("s3cret"), settings.SECRET_KEY
    assert secret_check("s3cret", stored).matches
    settings.SECRET_KEY = original + "-rotated"
    assert not secret_check("s3cret", stored).matches
    # Rotating SECRET_KEY the Django way (the old one in SECRET_KEY_FALLBACKS) keeps keys working.
    settings.SECRET_KEY_FALLBACKS = [original]
    assert secret_check("s3cret", stored) == api_key_secrets.SecretCheck(matches=True, needs_upgrade=True)


def test_an_old_pbkdf2_key_authenticates_and_is_rehashed_in_one_update(org):
    api_key, raw = legacy_key(org)
    with CaptureQueriesContext(connection) as queries:
        assert api_key_authenticate(raw_key=raw, client_ip="127.0.0.1") is not None
    writes = [query["sql"] for query in queries.captured_queries if not query["sql"].startswith("SELECT")]
    assert len(writes) == 1 and writes[0].startswith("UPDATE")
    api_key.refresh_from_db()
    assert api_key.hashed_secret.startswith("hmac_sha256$")
    assert api_key.last_used_at is not None and api_key.last_used_ip == "127.0.0.1"
    # From now on it verifies with the HMAC, and still through the API.
    assert secret_check(secret_of(raw), api_key.hashed_secret) == api_key_secrets.SecretCheck(matches=True)
    assert status(raw) == 200


def test_a_migrated_key_is_not_written_again(org):
    api_key, raw = legacy_key(org)
    assert api_key_authenticate(raw_key=raw, client_ip="127.0.0.1") is not None
    with CaptureQueriesContext(connection) as queries:
        assert api_key_authenticate(raw_key=raw, client_ip="127.0.0.1") is not None
    assert [query["sql"] for query in queries.captured_queries if not query["sql"].startswith("SELECT")] == []


def test_a_wrong_secret_fails_for_both_formats(org):
    legacy, legacy_raw = legacy_key(org)
    modern, modern_raw = api_key_create(organization=org, scopes=["billing:read"])
    for api_key, raw in ((legacy, legacy_raw), (modern, modern_raw)):
        stored = ApiKey.objects.get(pk=api_key.pk).hashed_secret
        assert api_key_authenticate(raw_key=wrong(raw)) is None
        assert status(wrong(raw)) == 401
        assert ApiKey.objects.get(pk=api_key.pk).hashed_secret == stored  # a failure rewrites nothing


def test_an_unknown_hash_format_never_matches():
    assert not secret_check("s3cret", "md5$abc").matches
    assert not secret_check("s3cret", "").matches
    assert not secret_check("", secret_hash("")).matches


def test_rotation_overlap_with_a_pbkdf2_previous_secret(org):
    """A key rotated with an overlap while its secret was still PBKDF2: the old secret keeps working
    during the overlap (and is re-hashed), the new one works, and after the overlap only the new one."""
    api_key, old_raw = legacy_key(org)
    api_key, new_raw = api_key_rotate(api_key=api_key, overlap_seconds=300)
    assert api_key.previous_hashed_secret.startswith("pbkdf2_sha256_apikey$")
    assert status(old_raw) == 200 and status(new_raw) == 200
    api_key.refresh_from_db()
    assert api_key.previous_hashed_secret.startswith("hmac_sha256$")
    assert api_key.hashed_secret.startswith("hmac_sha256$")
    assert status(old_raw) == 200 and status(wrong(old_raw)) == 401
    ApiKey.objects.filter(pk=api_key.pk).update(previous_secret_expires_at=timezone.now() - timedelta(seconds=1))
    assert status(old_raw) == 401 and status(new_raw) == 200


def test_rotation_overlap_with_hmac_secrets(org):
    api_key, old_raw = api_key_create(organization=org, scopes=["billing:read"])
    api_key, new_raw = api_key_rotate(api_key=api_key, overlap_seconds=300)
    assert status(old_raw) == 200 and status(new_raw) == 200
    api_key_rotate(api_key=api_key)  # rotating again without overlap ends the earlier one
    assert status(old_raw) == 401 and status(new_raw) == 401


def test_a_key_under_a_previous_pepper_still_works_and_moves_to_the_current_one(org, pepper):
    pepper("old-pepper")
    api_key, raw = api_key_create(organization=org, scopes=["billing:read"])
    pepper("new-pepper", "old-pepper")
    assert status(raw) == 200
    api_key.refresh_from_db()
    assert secret_check(secret_of(raw), api_key.hashed_secret) == api_key_secrets.SecretCheck(matches=True)
    pepper("new-pepper")  # the fallback dropped: the migrated key keeps working
    assert status(raw) == 200
    pepper("newest-pepper")  # a pepper replaced without a fallback invalidates every key
    assert status(raw) == 401


def test_a_rotation_between_the_check_and_the_rehash_wins(org):
    """The re-hash only replaces the hash it verified: a new secret committed meanwhile is kept."""
    from orbit_numbers.services import _api_key_record_use

    api_key, raw = legacy_key(org)
    rotated, new_raw = api_key_rotate(api_key=ApiKey.objects.get(pk=api_key.pk))
    now = timezone.now()
    _api_key_record_use(api_key=api_key, rehashed="hashed_secret",
                        changes={"hashed_secret": secret_hash(secret_of(raw)), "last_used_at": now,
                                 "last_used_ip": "127.0.0.1"})
    api_key.refresh_from_db()
    assert api_key.hashed_secret == rotated.hashed_secret and api_key.last_used_at == now
    assert status(new_raw) == 200 and status(raw) == 401


def test_the_comparison_is_constant_time(org, monkeypatch):
    calls = []
    real = api_key_secrets.constant_time_compare

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(api_key_secrets, "constant_time_compare", spy)
    api_key, raw = api_key_create(organization=org, scopes=["billing:read"])
    assert api_key_authenticate(raw_key=raw) is not None
    assert api_key_authenticate(raw_key=wrong(raw)) is None
    assert len(calls) >= 2
    # The PBKDF2 format is compared with Django's constant-time compare too.
    import django.contrib.auth.hashers as hashers
    legacy_calls = []
    monkeypatch.setattr(hashers, "constant_time_compare", lambda a, b: legacy_calls.append(1) or a == b)
    _, legacy_raw = legacy_key(org)
    assert api_key_authenticate(raw_key=legacy_raw) is not None
    assert legacy_calls


def test_secrets_are_never_logged(org, caplog):
    caplog.set_level(logging.DEBUG)
    _, legacy_raw = legacy_key(org)
    _, modern_raw = api_key_create(organization=org, scopes=["billing:read"])
    for raw in (legacy_raw, modern_raw, wrong(modern_raw)):
        APIClient().get(BALANCE, HTTP_X_API_KEY=raw)
    logged = caplog.text + " ".join(str(record.__dict__) for record in caplog.records)
    for raw in (legacy_raw, modern_raw):
        assert secret_of(raw) not in logged
    assert "re-hashed as hmac_sha256" in caplog.text
