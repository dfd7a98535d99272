"""/api/v1/api-keys: create (secret once), list, get, edit, rotate, revoke; no escalation, tenant isolation."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from orbit_numbers.models import SCOPES, ApiKey, AuditLog
from orbit_numbers.services import api_key_create, api_key_revoke
from tests.orbit_numbers.test_schema import assert_documented

KEYS = "/api/v1/api-keys"
BALANCE = "/api/v1/billing/balance"
MANAGER = ["api_keys:read", "api_keys:write", "billing:read", "numbers:read"]


def detail(key_id: str) -> str:
    return f"{KEYS}/{key_id}"


def keyed_client(org, scopes=MANAGER, *, allowlist=None, remote_addr="127.0.0.1"):
    api_key, raw = api_key_create(organization=org, scopes=list(scopes), ip_allowlist=allowlist)
    client = APIClient(REMOTE_ADDR=remote_addr)
    client.credentials(HTTP_X_API_KEY=raw)
    client.api_key, client.raw_key = api_key, raw
    return client


@pytest.fixture
def manager(org):
    return keyed_client(org)


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert error["request_id"] == response["X-Request-Id"]
    return error


def works(raw: str, remote_addr: str = "127.0.0.1") -> int:
    return APIClient().get(BALANCE, HTTP_X_API_KEY=raw, REMOTE_ADDR=remote_addr).status_code


def no_secret_material(body: str, api_key: ApiKey) -> None:
    api_key.refresh_from_db()
    assert api_key.hashed_secret not in body
    assert "hashed" not in body and "pbkdf2" not in body and "hmac_sha256" not in body


# --- create ----------------------------------------------------------------------------------------


def test_create_shows_the_secret_once_and_it_works(manager, org):
    response = manager.post(KEYS, {"name": "ci", "scopes": ["billing:read"], "ip_allowlist": ["192.0.2.0/24"]},
                            format="json")
    assert response.status_code == 201, response.content
    assert response["Cache-Control"] == "no-store"
    data = response.json()["data"]
    api_key = ApiKey.objects.get(pk=data["id"])
    assert api_key.organization == org
    assert data["key"].startswith(f"orb_live_{data['prefix']}_")
    assert data | {"key": None} == {
        "id": api_key.pk, "name": "ci", "prefix": api_key.prefix, "status": "active", "scopes": ["billing:read"],
        "ip_allowlist": ["192.0.2.0/24"], "created_at": data["created_at"], "expires_at": None,
        "last_used_at": None, "last_used_ip": None, "rotated_at": None, "previous_secret_expires_at": None,
        "revoked_at": None, "key": None}
    no_secret_material(response.content.decode(), api_key)
    assert works(data["key"], "192.0.2.5") == 200
    assert works(data["key"], "198.51.100.5") == 403
    # Shown once: reading it back never shows the secret.
    again = manager.get(detail(api_key.pk))
    assert "key" not in again.json()["data"] and data["key"] not in again.content.decode()
    audit = AuditLog.objects.get(action="api_key.create", object_id=api_key.pk)
    assert audit.acting_key == manager.api_key and audit.organization == org
    assert audit.after["scopes"] == ["billing:read"] and audit.after["ip_allowlist"] == ["192.0.2.0/24"]
    assert data["key"].split("_")[-1] not in str(audit.after)


def test_create_defaults_and_normalises(manager):
    response = manager.post(KEYS, {"scopes": ["numbers:read", "billing:read", "numbers:read"],
                                   "ip_allowlist": ["2001:DB8::1", "192.0.2.7"]}, format="json")
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["name"] == "default"
    assert data["scopes"] == ["numbers:read", "billing:read"]
    assert data["ip_allowlist"] == ["2001:db8::1/128", "192.0.2.7/32"]


def test_create_with_expiry_and_the_key_stops_at_it(manager, clock):
    expires = timezone.now() + timedelta(hours=1)
    response = manager.post(KEYS, {"scopes": ["billing:read"], "expires_at": expires.isoformat()}, format="json")
    assert response.status_code == 201, response.content
    raw, key_id = response.json()["data"]["key"], response.json()["data"]["id"]
    assert works(raw) == 200
    clock.advance(hours=1, seconds=1)
    assert works(raw) == 401
    assert manager.get(detail(key_id)).json()["data"]["status"] == "expired"


@pytest.mark.parametrize("scopes", [["porting:write"], ["billing:read", "webhooks:write"]])
def test_create_cannot_grant_a_scope_the_caller_lacks(manager, scopes):
    error = assert_error(manager.post(KEYS, {"scopes": scopes}, format="json"), 403, "FORBIDDEN")
    assert error["details"]["scopes"] == [s for s in scopes if s not in MANAGER]
    assert ApiKey.objects.count() == 1
    assert not AuditLog.objects.filter(action="api_key.create", acting_key=manager.api_key).exists()


def test_an_all_scopes_key_may_grant_every_scope(org):
    client = keyed_client(org, SCOPES)
    response = client.post(KEYS, {"scopes": list(SCOPES)}, format="json")
    assert response.status_code == 201
    assert response.json()["data"]["scopes"] == list(SCOPES)


def test_a_restricted_caller_may_only_create_keys_within_its_networks(org):
    client = keyed_client(org, allowlist=["192.0.2.0/24", "2001:db8::/32"], remote_addr="192.0.2.1")
    error = assert_error(client.post(KEYS, {"scopes": ["billing:read"]}, format="json"), 403, "FORBIDDEN")
    assert "ip_allowlist" in error["details"]
    error = assert_error(client.post(KEYS, {"scopes": ["billing:read"], "ip_allowlist": ["192.0.2.0/25",
                                                                                        "192.0.0.0/16"]},
                                     format="json"), 403, "FORBIDDEN")
    assert error["details"]["ip_allowlist"] == ["192.0.0.0/16"]
    response = client.post(KEYS, {"scopes": ["billing:read"], "ip_allowlist": ["192.0.2.128/25", "2001:db8:5::1"]},
                           format="json")
    assert response.status_code == 201, response.content


def test_scope_checks_on_the_endpoints(org):
    reader = keyed_client(org, ["api_keys:read", "billing:read"])
    assert reader.get(KEYS).status_code == 200
    assert_error(reader.post(KEYS, {"scopes": ["billing:read"]}, format="json"), 403, "FORBIDDEN")
    target = keyed_client(org, ["billing:read"]).api_key
    assert_error(reader.patch(detail(target.pk), {"name": "x"}, format="json"), 403, "FORBIDDEN")
    assert_error(reader.post(detail(target.pk) + "/rotate", {}, format="json"), 403, "FORBIDDEN")
    assert_error(reader.post(detail(target.pk) + "/revoke", {}, format="json"), 403, "FORBIDDEN")
    outsider = keyed_client(org, ["numbers:read"])
    assert_error(outsider.get(KEYS), 403, "FORBIDDEN")
    assert_error(outsider.get(detail(target.pk)), 403, "FORBIDDEN")
    assert_error(APIClient().get(KEYS), 401, "UNAUTHORIZED")


@pytest.mark.parametrize(("body", "field"), [
    ({}, "scopes"),
    ({"scopes": []}, "scopes"),
    ({"scopes": "billing:read"}, "scopes"),
    ({"scopes": ["billing:read", "root"]}, "scopes.1"),
    ({"scopes": [None]}, "scopes.0"),
    ({"scopes": ["billing:read"], "name": ""}, "name"),
    ({"scopes": ["billing:read"], "name": "x" * 101}, "name"),
    ({"scopes": ["billing:read"], "name": "bad\nname"}, "name"),
    ({"scopes": ["billing:read"], "name": None}, "name"),
    ({"scopes": ["billing:read"], "ip_allowlist": "192.0.2.0/24"}, "ip_allowlist"),
    ({"scopes": ["billing:read"], "ip_allowlist": ["192.0.2.7/24"]}, "ip_allowlist.0"),
    ({"scopes": ["billing:read"], "ip_allowlist": ["10.0.0.1", "nope"]}, "ip_allowlist.1"),
    ({"scopes": ["billing:read"], "ip_allowlist": [17]}, "ip_allowlist.0"),
    ({"scopes": ["billing:read"], "ip_allowlist": [f"192.0.2.{i}" for i in range(51)]}, "ip_allowlist"),
    ({"scopes": ["billing:read"], "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
    ({"scopes": ["billing:read"], "expires_at": "tomorrow"}, "expires_at"),
    ({"scopes": ["billing:read"], "hashed_secret": "x"}, "hashed_secret"),
    ({"scopes": ["billing:read"], "organization": "org_x"}, "organization"),
    ([], "body"),
])
def test_create_rejects_bad_bodies(manager, body, field):
    error = assert_error(manager.post(KEYS, body, format="json"), 422, "VALIDATION_ERROR")
    assert field in error["details"], error
    assert ApiKey.objects.count() == 1


def test_create_rejects_malformed_json(manager):
    assert_error(manager.post(KEYS, "{nope", content_type="application/json"), 400, "BAD_REQUEST")


# --- list and get ------------------------------------------------------------------------------------


def test_list_filters_by_status_and_name(manager, org, clock):
    revoked, _ = api_key_create(organization=org, scopes=["billing:read"], name="old")
    api_key_revoke(api_key=revoked)
    expiring, _ = api_key_create(organization=org, scopes=["billing:read"], name="temp",
                                 expires_at=timezone.now() + timedelta(minutes=5))
    clock.advance(minutes=6)

    def ids(query=""):
        response = manager.get(KEYS + query)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["data"]]

    assert set(ids()) == {manager.api_key.pk, revoked.pk, expiring.pk}
    assert ids("?status=active") == [manager.api_key.pk]
    assert ids("?status=revoked") == [revoked.pk]
    assert ids("?status=expired") == [expiring.pk]
    assert ids("?name=temp") == [expiring.pk]
    assert ids("?name=nobody") == []
    assert ids("?status=active&name=old") == []


@pytest.mark.parametrize("query", ["?status=deleted", "?status=", "?owner=me", "?name=", "?limit=0",
                                   "?cursor=forged"])
def test_list_rejects_bad_query_strings(manager, query):
    assert_error(manager.get(KEYS + query), 422, "VALIDATION_ERROR")


def test_list_pages_with_a_cursor(manager, org):
    for n in range(3):
        api_key_create(organization=org, scopes=["billing:read"], name=f"k{n}")
    first = manager.get(KEYS + "?limit=2").json()
    assert len(first["data"]) == 2 and first["meta"]["pagination"]["has_more"] is True
    second = manager.get(KEYS, {"limit": 2, "cursor": first["meta"]["pagination"]["cursor"]}).json()
    assert len(second["data"]) == 2 and second["meta"]["pagination"]["has_more"] is False
    assert not {k["id"] for k in first["data"]} & {k["id"] for k in second["data"]}


def test_last_used_is_shown(manager, org):
    other = keyed_client(org, ["billing:read"], remote_addr="198.51.100.9")
    assert other.get(BALANCE).status_code == 200
    data = manager.get(detail(other.api_key.pk)).json()["data"]
    assert data["last_used_ip"] == "198.51.100.9"
    assert data["last_used_at"] is not None
    mine = manager.get(detail(manager.api_key.pk)).json()["data"]
    assert mine["last_used_ip"] == "127.0.0.1"


def test_tenant_isolation(manager, make_org):
    other_org = make_org("Globex")
    theirs = keyed_client(other_org, MANAGER)
    assert theirs.api_key.pk not in [k["id"] for k in manager.get(KEYS).json()["data"]]
    target = detail(theirs.api_key.pk)
    assert_error(manager.get(target), 404, "NOT_FOUND")
    assert_error(manager.patch(target, {"name": "mine"}, format="json"), 404, "NOT_FOUND")
    assert_error(manager.post(target + "/rotate", {}, format="json"), 404, "NOT_FOUND")
    assert_error(manager.post(target + "/revoke", {}, format="json"), 404, "NOT_FOUND")
    theirs.api_key.refresh_from_db()
    assert theirs.api_key.name == "default" and theirs.api_key.revoked_at is None
    assert theirs.get(BALANCE).status_code == 200


def test_unknown_key_is_404(manager):
    assert_error(manager.get(detail("key_doesnotexist")), 404, "NOT_FOUND")


def test_put_and_delete_are_not_offered(manager):
    assert_error(manager.put(detail(manager.api_key.pk), {"name": "x"}, format="json"), 405, "METHOD_NOT_ALLOWED")
    assert_error(manager.delete(detail(manager.api_key.pk)), 405, "METHOD_NOT_ALLOWED")


# --- edit ------------------------------------------------------------------------------------------


def test_patch_renames_narrows_and_sets_the_allowlist(manager, org):
    target, raw = api_key_create(organization=org, scopes=["billing:read", "numbers:read"], name="svc")
    response = manager.patch(detail(target.pk), {"name": "svc-2", "scopes": ["billing:read"],
                                                 "ip_allowlist": ["203.0.113.0/24"]}, format="json")
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert (data["name"], data["scopes"], data["ip_allowlist"]) == ("svc-2", ["billing:read"], ["203.0.113.0/24"])
    assert works(raw, "203.0.113.4") == 200 and works(raw, "127.0.0.1") == 403
    audit = AuditLog.objects.get(action="api_key.update", object_id=target.pk)
    assert audit.acting_key == manager.api_key
    assert audit.before["scopes"] == ["numbers:read", "billing:read"] and audit.after["name"] == "svc-2"
    lifted = manager.patch(detail(target.pk), {"ip_allowlist": []}, format="json")
    assert lifted.json()["data"]["ip_allowlist"] == [] and works(raw, "127.0.0.1") == 200


def test_patch_that_changes_nothing_writes_no_audit(manager, org):
    target, _ = api_key_create(organization=org, scopes=["billing:read"], name="same")
    assert manager.patch(detail(target.pk), {"name": "same"}, format="json").status_code == 200
    assert not AuditLog.objects.filter(action="api_key.update").exists()


def test_patch_never_widens_scopes(manager, org):
    target, _ = api_key_create(organization=org, scopes=["billing:read"])
    error = assert_error(manager.patch(detail(target.pk), {"scopes": ["billing:read", "numbers:read"]},
                                       format="json"), 403, "FORBIDDEN")
    assert error["details"]["scopes"] == ["numbers:read"]
    target.refresh_from_db()
    assert target.scopes == ["billing:read"]


def confirmed(client, body=None) -> dict:
    return {**(body or {}), "confirm_prefix": client.api_key.prefix}


def test_a_key_cannot_widen_itself(manager):
    error = assert_error(manager.patch(detail(manager.api_key.pk), confirmed(manager, {
        "scopes": [*MANAGER, "porting:write"]}), format="json"), 403, "FORBIDDEN")
    assert error["details"]["scopes"] == ["porting:write"]


def test_a_key_edits_itself_only_when_it_names_itself(manager):
    error = assert_error(manager.patch(detail(manager.api_key.pk), {"scopes": ["api_keys:read"]}, format="json"),
                         409, "CONFLICT")
    assert "confirm_prefix" in error["details"]
    manager.api_key.refresh_from_db()
    assert sorted(manager.api_key.scopes) == sorted(MANAGER)
    response = manager.patch(detail(manager.api_key.pk), confirmed(manager, {"scopes": ["api_keys:read"]}),
                             format="json")
    assert response.status_code == 200
    assert_error(manager.post(KEYS, {"scopes": ["api_keys:read"]}, format="json"), 403, "FORBIDDEN")


def test_a_restricted_key_cannot_lift_or_widen_its_own_allowlist(org):
    client = keyed_client(org, allowlist=["192.0.2.0/24"], remote_addr="192.0.2.1")
    mine = detail(client.api_key.pk)
    assert_error(client.patch(mine, confirmed(client, {"ip_allowlist": []}), format="json"), 403, "FORBIDDEN")
    assert_error(client.patch(mine, confirmed(client, {"ip_allowlist": ["0.0.0.0/0"]}), format="json"),
                 403, "FORBIDDEN")
    assert client.patch(mine, confirmed(client, {"ip_allowlist": ["192.0.2.0/28"]}), format="json").status_code == 200


def test_a_key_cannot_edit_or_rotate_a_broader_key(manager, org):
    broader, raw = api_key_create(organization=org, scopes=["porting:write", "billing:read"])
    assert_error(manager.patch(detail(broader.pk), {"scopes": ["billing:read"]}, format="json"), 403, "FORBIDDEN")
    assert_error(manager.patch(detail(broader.pk), {"ip_allowlist": ["192.0.2.0/24"]}, format="json"),
                 403, "FORBIDDEN")
    assert_error(manager.post(detail(broader.pk) + "/rotate", {}, format="json"), 403, "FORBIDDEN")
    assert works(raw) == 200


def test_an_unrestricted_key_cannot_rotate_a_restricted_key_into_its_hands_unless_within(org):
    restricted = keyed_client(org, allowlist=["192.0.2.0/24"], remote_addr="192.0.2.1")
    free, _ = api_key_create(organization=org, scopes=["billing:read"])
    assert_error(restricted.post(detail(free.pk) + "/rotate", {}, format="json"), 403, "FORBIDDEN")


@pytest.mark.parametrize(("body", "field"), [
    ({}, "body"),
    ({"scopes": []}, "scopes"),
    ({"scopes": ["nope"]}, "scopes.0"),
    ({"name": ""}, "name"),
    ({"ip_allowlist": ["1.2.3.4/99"]}, "ip_allowlist.0"),
    ({"expires_at": "2030-01-01T00:00:00Z"}, "expires_at"),
    ({"prefix": "abc"}, "prefix"),
    ({"confirm_prefix": "0123456789ab"}, "body"),
    ({"name": "x", "confirm_prefix": "XYZ"}, "confirm_prefix"),
    ({"name": "x", "confirm_prefix": "0123456789ab"}, "confirm_prefix"),
])
def test_patch_rejects_bad_bodies(manager, org, body, field):
    target, _ = api_key_create(organization=org, scopes=["billing:read"], name="keep")
    error = assert_error(manager.patch(detail(target.pk), body, format="json"), 422, "VALIDATION_ERROR")
    assert field in error["details"], error
    target.refresh_from_db()
    assert target.name == "keep" and target.scopes == ["billing:read"]


def test_revoked_key_cannot_be_edited_or_rotated(manager, org):
    target, _ = api_key_create(organization=org, scopes=["billing:read"])
    api_key_revoke(api_key=target)
    assert_error(manager.patch(detail(target.pk), {"name": "x"}, format="json"), 409, "CONFLICT")
    assert_error(manager.post(detail(target.pk) + "/rotate", {}, format="json"), 409, "CONFLICT")


# --- rotate ------------------------------------------------------------------------------------------


def test_rotate_replaces_the_secret_at_once(manager, org):
    target, old = api_key_create(organization=org, scopes=["billing:read"], name="svc",
                                 ip_allowlist=["127.0.0.1"])
    response = manager.post(detail(target.pk) + "/rotate", {}, format="json")
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    data = response.json()["data"]
    assert (data["id"], data["prefix"], data["name"], data["scopes"], data["ip_allowlist"]) == (
        target.pk, target.prefix, "svc", ["billing:read"], ["127.0.0.1/32"])
    assert data["key"] != old and data["rotated_at"] and data["previous_secret_expires_at"] is None
    assert works(old) == 401
    assert works(data["key"]) == 200
    no_secret_material(response.content.decode(), target)
    audit = AuditLog.objects.get(action="api_key.rotate", object_id=target.pk)
    assert audit.acting_key == manager.api_key
    assert data["key"].split("_")[-1] not in str(audit.after)


def test_rotate_with_an_overlap_keeps_the_old_secret_briefly(manager, org, clock):
    target, old = api_key_create(organization=org, scopes=["billing:read"])
    response = manager.post(detail(target.pk) + "/rotate", {"overlap_seconds": 300}, format="json")
    new = response.json()["data"]["key"]
    assert response.json()["data"]["previous_secret_expires_at"] is not None
    assert works(old) == 200 and works(new) == 200
    clock.advance(seconds=301)
    assert works(old) == 401 and works(new) == 200


def test_rotating_again_ends_an_earlier_overlap(manager, org):
    target, first = api_key_create(organization=org, scopes=["billing:read"])
    second = manager.post(detail(target.pk) + "/rotate", {"overlap_seconds": 300}, format="json").json()["data"]["key"]
    third = manager.post(detail(target.pk) + "/rotate", {"overlap_seconds": 300}, format="json").json()["data"]["key"]
    assert works(first) == 401
    assert works(second) == 200 and works(third) == 200


def test_revoking_ends_the_overlap_too(manager, org):
    target, old = api_key_create(organization=org, scopes=["billing:read"])
    new = manager.post(detail(target.pk) + "/rotate", {"overlap_seconds": 300}, format="json").json()["data"]["key"]
    assert manager.post(detail(target.pk) + "/revoke", {}, format="json").status_code == 200
    assert works(old) == 401 and works(new) == 401


def test_a_key_rotates_itself_only_when_it_names_itself(manager):
    assert_error(manager.post(detail(manager.api_key.pk) + "/rotate", {}, format="json"), 409, "CONFLICT")
    assert works(manager.raw_key) == 200
    response = manager.post(detail(manager.api_key.pk) + "/rotate", confirmed(manager), format="json")
    assert response.status_code == 200
    assert works(manager.raw_key) == 401
    assert works(response.json()["data"]["key"]) == 200


def test_rotating_an_expired_key_is_409(manager, org, clock):
    target, _ = api_key_create(organization=org, scopes=["billing:read"],
                               expires_at=timezone.now() + timedelta(minutes=1))
    clock.advance(minutes=2)
    assert_error(manager.post(detail(target.pk) + "/rotate", {}, format="json"), 409, "CONFLICT")


@pytest.mark.parametrize(("body", "field"), [
    ({"overlap_seconds": -1}, "overlap_seconds"),
    ({"overlap_seconds": 86401}, "overlap_seconds"),
    ({"overlap_seconds": "soon"}, "overlap_seconds"),
    ({"overlap_seconds": 1.5}, "overlap_seconds"),
    ({"grace": 10}, "grace"),
    ({"confirm_prefix": "0123456789ab"}, "confirm_prefix"),
    ([1], "body"),
])
def test_rotate_rejects_bad_bodies(manager, org, body, field):
    target, old = api_key_create(organization=org, scopes=["billing:read"])
    error = assert_error(manager.post(detail(target.pk) + "/rotate", body, format="json"), 422, "VALIDATION_ERROR")
    assert field in error["details"]
    assert works(old) == 200


# --- revoke ------------------------------------------------------------------------------------------


def test_revoke_another_key(manager, org):
    target, raw = api_key_create(organization=org, scopes=["billing:read"])
    assert_error(manager.post(detail(target.pk) + "/revoke", {"confirm_prefix": manager.api_key.prefix},
                              format="json"), 422, "VALIDATION_ERROR")
    assert works(raw) == 200
    response = manager.post(detail(target.pk) + "/revoke", format="json")
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["status"] == "revoked" and data["revoked_at"]
    assert works(raw) == 401
    audit = AuditLog.objects.get(action="api_key.revoke", object_id=target.pk)
    assert audit.acting_key == manager.api_key
    again = manager.post(detail(target.pk) + "/revoke", {}, format="json")
    assert again.status_code == 200 and again.json()["data"]["revoked_at"] == data["revoked_at"]
    assert AuditLog.objects.filter(action="api_key.revoke").count() == 1


def test_revoke_may_reach_a_broader_key(manager, org):
    broader, raw = api_key_create(organization=org, scopes=list(SCOPES))
    assert manager.post(detail(broader.pk) + "/revoke", {}, format="json").status_code == 200
    assert works(raw) == 401


def test_a_key_does_not_revoke_itself_by_accident(manager, org):
    mine = detail(manager.api_key.pk) + "/revoke"
    error = assert_error(manager.post(mine, {}, format="json"), 409, "CONFLICT")
    assert "confirm_prefix" in error["details"]
    other, _ = api_key_create(organization=org, scopes=["billing:read"])
    assert_error(manager.post(mine, {"confirm_prefix": other.prefix}, format="json"), 422, "VALIDATION_ERROR")
    assert works(manager.raw_key) == 200
    response = manager.post(mine, confirmed(manager), format="json")
    assert response.status_code == 200
    assert works(manager.raw_key) == 401


@pytest.mark.parametrize(("body", "field"), [
    ({"revoke_self": True}, "revoke_self"), ({"confirm_prefix": True}, "confirm_prefix"),
    ({"confirm_prefix": "ABCDEF012345"}, "confirm_prefix"), ({"confirm_prefix": None}, "confirm_prefix"),
    ({"confirm_prefix": ""}, "confirm_prefix"), ({"why": "x"}, "why"), ("yes", "body")])
def test_revoke_rejects_bad_bodies(manager, org, body, field):
    target, raw = api_key_create(organization=org, scopes=["billing:read"])
    for key_id in (target.pk, manager.api_key.pk):
        error = assert_error(manager.post(detail(key_id) + "/revoke", body, format="json"), 422, "VALIDATION_ERROR")
        assert field in error["details"]
    assert works(raw) == 200 and works(manager.raw_key) == 200


# --- the schema --------------------------------------------------------------------------------------


def test_responses_match_the_schema(served_schema, manager, org):
    created = manager.post(KEYS, {"scopes": ["billing:read"], "ip_allowlist": ["192.0.2.0/24"]}, format="json")
    assert_documented(served_schema, created, "POST", "/api/v1/api-keys")
    key_id = created.json()["data"]["id"]
    assert_documented(served_schema, manager.get(KEYS), "GET", "/api/v1/api-keys")
    assert_documented(served_schema, manager.get(detail(key_id)), "GET", "/api/v1/api-keys/{key_id}")
    assert_documented(served_schema, manager.patch(detail(key_id), {"name": "n"}, format="json"), "PATCH",
                      "/api/v1/api-keys/{key_id}")
    assert_documented(served_schema, manager.post(detail(key_id) + "/rotate", {}, format="json"), "POST",
                      "/api/v1/api-keys/{key_id}/rotate")
    assert_documented(served_schema, manager.post(detail(key_id) + "/revoke", {}, format="json"), "POST",
                      "/api/v1/api-keys/{key_id}/revoke")
    assert_documented(served_schema, manager.post(detail(manager.api_key.pk) + "/revoke", {}, format="json"), "POST",
                      "/api/v1/api-keys/{key_id}/revoke")
    assert_documented(served_schema, manager.post(KEYS, {"scopes": ["porting:write"]}, format="json"), "POST",
                      "/api/v1/api-keys")
    outside = keyed_client(org, allowlist=["192.0.2.0/24"], remote_addr="203.0.113.1")
    refused = outside.get(KEYS)
    assert refused.json()["error"]["code"] == "IP_NOT_ALLOWED"
    assert_documented(served_schema, refused, "GET", "/api/v1/api-keys")
