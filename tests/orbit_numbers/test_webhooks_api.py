"""The Webhooks API: endpoints (secret shown once), SSRF refusals, limits, scopes, tenant isolation,
deliveries with their filters, the event catalogue in the schema and on the docs page."""
from __future__ import annotations

import pytest

from orbit_numbers.models import AuditLog
from orbit_numbers.webhooks import services
from orbit_numbers.webhooks.catalogue import CATALOGUE, EVENT_NAMES
from orbit_numbers.webhooks.models import WebhookDelivery, WebhookEndpoint

URL = "/api/v1/webhooks"
HOOK = "https://hooks.example.com/orbit"


def create(client, **body):
    return client.post(URL, {"url": HOOK, "events": ["*"], **body}, format="json")


@pytest.fixture
def endpoint(client) -> dict:
    response = create(client, events=["number.purchased", "number.released"], description="main")
    assert response.status_code == 201
    return response.json()["data"]


# --- create, read, change, delete ----------------------------------------------------------------


def test_create_shows_the_secret_once(client, org, endpoint):
    stored = WebhookEndpoint.objects.get(pk=endpoint["id"])
    assert endpoint["secret"] == stored.secret and endpoint["secret"].startswith("whsec_")
    assert endpoint["events"] == ["number.purchased", "number.released"] and endpoint["enabled"] is True
    assert endpoint["url"] == HOOK and endpoint["description"] == "main" and endpoint["failing_since"] is None
    assert stored.organization_id == org.pk
    listed = client.get(URL).json()
    assert [item["id"] for item in listed["data"]] == [endpoint["id"]] and listed["meta"]["pagination"]
    assert "secret" not in listed["data"][0] and "secret" not in client.get(f"{URL}/{endpoint['id']}").json()["data"]
    assert stored.secret not in str(AuditLog.objects.filter(object_id=endpoint["id"]).values_list("after"))
    assert AuditLog.objects.filter(action="webhook_endpoint.create", object_id=endpoint["id"]).exists()


def test_star_wins_and_duplicates_collapse(client):
    assert create(client, events=["number.purchased", "*"]).json()["data"]["events"] == ["*"]
    assert create(client, events=["number.purchased", "number.purchased"]).json()["data"]["events"] == [
        "number.purchased"]


def test_patch_changes_only_what_is_sent(client, endpoint):
    response = client.patch(f"{URL}/{endpoint['id']}", {"events": ["porting.status_changed"]}, format="json")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["events"] == ["porting.status_changed"] and data["url"] == HOOK and data["description"] == "main"
    assert "secret" not in data
    paused = client.patch(f"{URL}/{endpoint['id']}", {"enabled": False}, format="json").json()["data"]
    assert paused["enabled"] is False and paused["disabled_at"]
    moved = client.patch(f"{URL}/{endpoint['id']}", {"url": "https://other.example.com/h", "description": ""},
                         format="json").json()["data"]
    assert moved["url"] == "https://other.example.com/h" and moved["description"] == ""


def test_filter_the_list_by_enabled(client, endpoint):
    paused = create(client, enabled=False).json()["data"]
    assert [e["id"] for e in client.get(URL, {"enabled": "false"}).json()["data"]] == [paused["id"]]
    assert [e["id"] for e in client.get(URL, {"enabled": "true"}).json()["data"]] == [endpoint["id"]]
    assert client.get(URL, {"enabled": "maybe"}).status_code == 422
    assert client.get(URL, {"colour": "red"}).status_code == 422


def test_delete(client, endpoint):
    assert client.delete(f"{URL}/{endpoint['id']}").status_code == 204
    assert client.get(f"{URL}/{endpoint['id']}").status_code == 404
    assert client.delete(f"{URL}/{endpoint['id']}").status_code == 404


def test_the_endpoint_limit(client, settings):
    settings.ORBIT = {**settings.ORBIT, "WEBHOOK_MAX_ENDPOINTS": 2}
    assert create(client).status_code == 201 and create(client).status_code == 201
    refused = create(client)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "CONFLICT"
    assert refused.json()["error"]["details"] == {"limit": 2}


# --- bad input and SSRF --------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "http://hooks.example.com/orbit",          # plain http off loopback
    "ftp://hooks.example.com/orbit",
    "https://10.1.2.3/hooks",                  # private
    "https://192.168.0.10/hooks",
    "https://172.16.5.4/hooks",
    "https://169.254.169.254/latest/meta-data",  # link-local: cloud metadata
    "https://[fe80::1]/hooks",
    "https://[::ffff:10.0.0.1]/hooks",         # IPv4-mapped private
    "https://0.0.0.0/hooks",
    "https://224.0.0.1/hooks",                 # multicast
    "https://metadata.google.internal/hooks",  # internal names
    "https://printer.local/hooks",
    "https://intranet/hooks",                  # single-label name
    "https://user:secret@hooks.example.com/h",  # credentials
    "https://hooks.example.com/a b",
    "not a url",
    "https://",
])
def test_refused_urls(client, url):
    response = create(client, url=url)
    assert response.status_code == 422, (url, response.json())
    assert response.json()["error"]["code"] == "VALIDATION_ERROR" and "url" in response.json()["error"]["details"]


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hooks", "https://localhost/hooks", "https://[::1]/hooks"])
def test_loopback_only_when_the_setting_allows(client, settings, url):
    settings.ORBIT = {**settings.ORBIT, "WEBHOOK_ALLOW_LOOPBACK": True}
    assert create(client, url=url).status_code == 201
    settings.ORBIT = {**settings.ORBIT, "WEBHOOK_ALLOW_LOOPBACK": False}
    assert create(client, url=url).status_code == 422


def test_private_targets_when_the_setting_allows_but_never_link_local(client, settings):
    settings.ORBIT = {**settings.ORBIT, "WEBHOOK_ALLOW_PRIVATE_TARGETS": True}
    assert create(client, url="https://10.1.2.3/hooks").status_code == 201
    assert create(client, url="https://169.254.169.254/hooks").status_code == 422
    assert create(client, url="http://10.1.2.3/hooks").status_code == 422  # still https only


def test_patch_checks_the_url_too(client, endpoint):
    response = client.patch(f"{URL}/{endpoint['id']}", {"url": "https://10.0.0.1/x"}, format="json")
    assert response.status_code == 422 and WebhookEndpoint.objects.get(pk=endpoint["id"]).url == HOOK


@pytest.mark.parametrize("body, field", [
    ({"events": ["number.nope"]}, "events"),
    ({"events": []}, "events"),
    ({"events": "number.purchased"}, "events"),
    ({"events": None}, "events"),
    ({"url": None}, "url"),
    ({"url": "https://h.example.com/" + "a" * 500}, "url"),
    ({"description": "x" * 201}, "description"),
    ({"enabled": "sometimes"}, "enabled"),
    ({"secret": "whsec_mine"}, "secret"),  # unknown field: the secret is never chosen by the client
])
def test_bad_bodies(client, body, field):
    response = create(client, **body)
    assert response.status_code == 422, response.json()
    assert any(key.split(".")[0] == field for key in response.json()["error"]["details"])


def test_missing_fields_and_malformed_json(client):
    response = client.post(URL, {}, format="json")
    assert response.status_code == 422 and {"url", "events"} <= set(response.json()["error"]["details"])
    assert client.post(URL, "{", content_type="application/json").status_code == 400


@pytest.mark.parametrize("body", [{"overlap_hours": -1}, {"overlap_hours": 73}, {"overlap_hours": "soon"},
                                  {"keep": True}])
def test_bad_rotation_bodies(client, endpoint, body):
    response = client.post(f"{URL}/{endpoint['id']}/rotate-secret", body, format="json")
    assert response.status_code == 422
    assert WebhookEndpoint.objects.get(pk=endpoint["id"]).secret == endpoint["secret"]


def test_rotation_is_audited_without_the_secret(client, endpoint):
    rotated = client.post(f"{URL}/{endpoint['id']}/rotate-secret", {"overlap_hours": 1}, format="json")
    assert rotated.status_code == 200
    entry = AuditLog.objects.get(action="webhook_endpoint.rotate_secret", object_id=endpoint["id"])
    assert entry.after == {"overlap_hours": 1} and rotated.json()["data"]["secret"] not in str(entry.before)


# --- scopes and tenants --------------------------------------------------------------------------


def test_read_scope_cannot_write(org, make_client, endpoint):
    reader = make_client(org, scopes=["webhooks:read"])
    assert reader.get(URL).status_code == 200 and reader.get(f"{URL}/events").status_code == 200
    assert reader.get(f"{URL}/{endpoint['id']}/deliveries").status_code == 200
    for response in (create(reader), reader.patch(f"{URL}/{endpoint['id']}", {"enabled": False}, format="json"),
                     reader.delete(f"{URL}/{endpoint['id']}"), reader.post(f"{URL}/{endpoint['id']}/test"),
                     reader.post(f"{URL}/{endpoint['id']}/rotate-secret", {}, format="json")):
        assert response.status_code == 403 and response.json()["error"]["code"] == "FORBIDDEN"
    numbers_only = make_client(org, scopes=["numbers:read"])
    assert numbers_only.get(URL).status_code == 403
    assert client_without_key_status() == 401


def client_without_key_status() -> int:
    from rest_framework.test import APIClient

    return APIClient().get(URL).status_code


def test_another_tenants_endpoint_and_deliveries_are_404(client, org, make_org, make_client, endpoint):
    services.webhook_event_emit(organization=org, event_type="number.purchased", data={})
    delivery = WebhookDelivery.objects.get()
    intruder = make_client(make_org("Globex"))
    assert intruder.get(URL).json()["data"] == []
    base = f"{URL}/{endpoint['id']}"
    for response in (intruder.get(base), intruder.patch(base, {"enabled": False}, format="json"),
                     intruder.delete(base), intruder.post(f"{base}/test"),
                     intruder.post(f"{base}/rotate-secret", {}, format="json"), intruder.get(f"{base}/deliveries"),
                     intruder.post(f"{base}/deliveries/{delivery.pk}/replay")):
        assert response.status_code == 404 and response.json()["error"]["code"] == "NOT_FOUND"
    stored = WebhookEndpoint.objects.get(pk=endpoint["id"])
    assert stored.enabled and stored.secret == endpoint["secret"]
    # Its own endpoint cannot reach another endpoint's delivery either.
    own = create(intruder).json()["data"]
    assert intruder.post(f"{URL}/{own['id']}/deliveries/{delivery.pk}/replay").status_code == 404


# --- deliveries ----------------------------------------------------------------------------------


def test_deliveries_list_and_filters(client, org, endpoint, clock):
    services.webhook_event_emit(organization=org, event_type="number.purchased", data={"number_id": "num_1"})
    clock.advance(hours=1)
    services.webhook_event_emit(organization=org, event_type="number.released", data={"number_id": "num_2"})
    services.webhook_event_emit(organization=org, event_type="porting.status_changed", data={})  # not wanted
    WebhookDelivery.objects.filter(event__event_type="number.released").update(status="failed")
    path = f"{URL}/{endpoint['id']}/deliveries"
    items = client.get(path).json()["data"]
    assert [(i["event_type"], i["status"]) for i in items] == [("number.released", "failed"),
                                                              ("number.purchased", "pending")]
    assert items[1]["data"] == {"number_id": "num_1"} and items[1]["attempts"] == 0
    assert [i["event_type"] for i in client.get(path, {"status": "failed"}).json()["data"]] == ["number.released"]
    assert [i["event_type"] for i in client.get(path, {"event_type": "number.purchased"}).json()["data"]] == [
        "number.purchased"]
    cutoff = (clock.now - __import__("datetime").timedelta(minutes=30)).isoformat()
    assert [i["event_type"] for i in client.get(path, {"created_after": cutoff}).json()["data"]] == [
        "number.released"]
    assert [i["event_type"] for i in client.get(path, {"created_before": cutoff}).json()["data"]] == [
        "number.purchased"]
    page = client.get(path, {"limit": 1}).json()
    assert len(page["data"]) == 1 and page["meta"]["pagination"]["has_more"] is True
    for bad in ({"status": "lost"}, {"event_type": "number.nope"}, {"created_after": "yesterday"}, {"x": "1"}):
        response = client.get(path, bad)
        assert response.status_code == 422 and response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_replay_of_an_unknown_delivery_is_404(client, endpoint):
    assert client.post(f"{URL}/{endpoint['id']}/deliveries/whd_nope/replay").status_code == 404
    assert client.get(f"{URL}/we_nope/deliveries").status_code == 404


def test_replay_while_an_attempt_is_in_flight_is_409(client, org, endpoint):
    from datetime import timedelta

    from django.utils import timezone

    services.webhook_event_emit(organization=org, event_type="number.purchased", data={})
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(claimed_until=timezone.now() + timedelta(seconds=30),
                                                          claim_token="x" * 32)
    response = client.post(f"{URL}/{endpoint['id']}/deliveries/{delivery.pk}/replay")
    assert response.status_code == 409 and response.json()["error"]["code"] == "CONFLICT"


# --- the catalogue: API, schema, docs page ------------------------------------------------------


def test_events_lists_the_catalogue(client):
    data = client.get(f"{URL}/events").json()["data"]
    assert data == [{"name": e.name, "description": e.description, "data": list(e.data)} for e in CATALOGUE]
    required = {"number.purchased", "number.released", "number.renewed", "number.renewal_failed",
                "number.suspended", "number.ported", "reservation.expired", "porting.status_changed",
                "port_out.status_changed", "compliance.approved"}
    assert required <= {item["name"] for item in data}


def test_the_schema_enumerates_the_catalogue_and_links_the_docs_page(served_schema):
    schemas = served_schema["components"]["schemas"]
    assert schemas["WebhookEventFilterEnum"]["enum"] == ["*", *EVENT_NAMES]
    assert schemas["WebhookEventTypeEnum"]["enum"] == list(EVENT_NAMES)
    body = schemas["WebhookEndpointCreateBody"]["properties"]["events"]["items"]
    assert body == {"$ref": "#/components/schemas/WebhookEventFilterEnum"}
    assert "/api/docs/webhooks/" in served_schema["info"]["description"]
    paths = served_schema["paths"]
    for path in ("/api/v1/webhooks", "/api/v1/webhooks/{webhook_id}", "/api/v1/webhooks/{webhook_id}/rotate-secret",
                 "/api/v1/webhooks/{webhook_id}/test", "/api/v1/webhooks/{webhook_id}/deliveries",
                 "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/replay", "/api/v1/webhooks/events"):
        assert path in paths, path


def test_the_docs_page_needs_no_key_and_lists_every_event(db):
    from django.test import Client

    response = Client().get("/api/docs/webhooks/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    for event in CATALOGUE:
        assert f'id="{event.name}"' in page and all(f"<code>{key}</code>" in page for key in event.data)
    assert "X-Orbit-Signature" in page and "hmac.compare_digest" in page and "admin/css/base" in page
    assert Client().post("/api/docs/webhooks/").status_code == 405


def test_the_docs_snippet_verifies_a_real_signature():
    import time

    from orbit_numbers.webhooks.docs import VERIFY_SNIPPET

    namespace: dict = {}
    exec(compile(VERIFY_SNIPPET, "snippet", "exec"), namespace)
    body = b'{"id":"evt_1"}'
    header = services.webhook_signature(secret=["whsec_new", "whsec_old"], timestamp=int(time.time()), body=body)
    assert namespace["verify"]("whsec_new", header, body) and namespace["verify"]("whsec_old", header, body)
    assert not namespace["verify"]("whsec_other", header, body)
    assert not namespace["verify"]("whsec_new", header, body + b" ")
    stale = services.webhook_signature(secret="whsec_new", timestamp=int(time.time()) - 3600, body=body)
    assert not namespace["verify"]("whsec_new", stale, body)


def test_test_events_are_rate_limited_per_organisation(client, endpoint, settings):
    settings.ORBIT = {**settings.ORBIT, "WEBHOOK_TEST_RATE_LIMIT_PER_MINUTE": 2}
    assert [client.post(f"{URL}/{endpoint['id']}/test").status_code for _ in range(2)] == [202, 202]
    refused = client.post(f"{URL}/{endpoint['id']}/test")
    assert refused.status_code == 429 and refused["Retry-After"]
    assert WebhookDelivery.objects.filter(event__event_type="webhook.test").count() == 2
