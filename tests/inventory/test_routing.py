"""GET/PUT /numbers/{phoneNumber}/routing: voice route types and their configs, SMS routes, isolation."""
import pytest
from rest_framework.test import APIClient

from inventory.models import NumberRoute
from inventory.services import number_purchase
from orbit_numbers.models import AuditLog


def routing(e164: str) -> str:
    return f"/api/v1/numbers/{e164}/routing"


@pytest.fixture
def number(org, make_number):
    row = make_number("US", e164="+14155550100")
    return number_purchase(organization=org, phone_number=row.e164)


def assert_422(response, field: str, *words: str) -> str:
    assert response.status_code == 422, response.json()
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and field in error["details"], error
    for word in words:
        assert word in error["details"][field], error
    return error["details"][field]


def test_a_new_number_has_no_voice_route_and_sms_disabled(client, number):
    response = client.get(routing(number.e164))
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["number_id"] == number.id and data["phone_number"] == "+14155550100"
    assert data["type"] is None and data["config"] == {}
    assert data["sms_route_type"] == "disabled" and data["sms_route_config"] == {}


def test_the_path_accepts_the_number_with_or_without_an_encoded_plus(client, number):
    assert client.get("/api/v1/numbers/14155550100/routing").status_code == 200
    assert client.get("/api/v1/numbers/%2B14155550100/routing").status_code == 200


# Every voice route type with a valid config, and what gets stored (defaults filled in).
VALID_ROUTES = [
    ("agent", {"agent_id": "agt_42"}, {"agent_id": "agt_42"}),
    ("softphone_user", {"user_id": "usr-7"}, {"user_id": "usr-7", "ring_timeout_seconds": 30}),
    ("softphone_register", {"username": "desk.101", "ring_timeout_seconds": 20},
     {"username": "desk.101", "ring_timeout_seconds": 20}),
    ("ivr", {"ivr_id": "main_menu"}, {"ivr_id": "main_menu"}),
    ("voicemail", {}, {}),
    ("voicemail", {"greeting_text": "Leave a message", "email": "ops@example.com"},
     {"greeting_text": "Leave a message", "email": "ops@example.com"}),
    ("queue", {"queue_id": "support", "max_wait_seconds": 300}, {"queue_id": "support", "max_wait_seconds": 300}),
    ("sip_forward", {"sip_uri": "sips:alice@pbx.example.com:5061;transport=tls", "headers": {"X-Tenant": "acme"}},
     {"sip_uri": "sips:alice@pbx.example.com:5061;transport=tls", "headers": {"X-Tenant": "acme"}}),
    ("sip_forward", {"sip_uri": "sip:pbx.example.com"}, {"sip_uri": "sip:pbx.example.com"}),
    ("transfer", {"to": "+442071838750"}, {"to": "+442071838750"}),
    ("transfer", {"to": "sip:desk@pbx.example.com"}, {"to": "sip:desk@pbx.example.com"}),
    ("conference", {"conference_id": "standup", "max_participants": 10},
     {"conference_id": "standup", "max_participants": 10}),
    ("decline", {}, {}),
    ("ring_group", {"members": ["+14155550111", "sip:bob@pbx.example.com"], "strategy": "sequential",
                    "ring_timeout_seconds": 15},
     {"members": ["+14155550111", "sip:bob@pbx.example.com"], "strategy": "sequential", "ring_timeout_seconds": 15}),
    ("ring_group", {"members": ["+14155550111"]},
     {"members": ["+14155550111"], "strategy": "simultaneous", "ring_timeout_seconds": 30}),
]


@pytest.mark.parametrize("route_type, config, stored", VALID_ROUTES)
def test_every_route_type_accepts_its_config_shape(client, org, number, route_type, config, stored):
    response = client.put(routing(number.e164), {"type": route_type, "config": config}, format="json")

    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert data["type"] == route_type and data["config"] == stored
    assert client.get(routing(number.e164)).json()["data"]["config"] == stored
    audit = AuditLog.objects.get(action="number.route_update", object_id=number.id)
    assert audit.before["type"] is None and audit.after == {
        "type": route_type, "config": stored, "sms_route_type": "disabled", "sms_route_config": {}}
    assert audit.organization_id == org.id


def test_all_eleven_route_types_are_covered():
    assert {route_type for route_type, _, _ in VALID_ROUTES} == {
        "agent", "softphone_user", "softphone_register", "ivr", "voicemail", "queue", "sip_forward", "transfer",
        "conference", "decline", "ring_group"}


BAD_ROUTES = [
    ("agent", {}, "config.agent_id", "required"),
    ("agent", {"agent_id": "agt 42"}, "config.agent_id", "letters"),
    ("agent", {"agent_id": "agt_1", "queue_id": "q"}, "config.queue_id", "unknown"),
    ("softphone_user", {"user_id": "u", "ring_timeout_seconds": 500}, "config.ring_timeout_seconds", "120"),
    ("softphone_register", {"username": "has space"}, "config.username", ""),
    ("ivr", {"menu": []}, "config.menu", "unknown"),
    ("voicemail", {"email": "not-an-email"}, "config.email", ""),
    ("voicemail", {"greeting_text": "x" * 1001}, "config.greeting_text", ""),
    ("queue", {"queue_id": "q", "max_wait_seconds": 5}, "config.max_wait_seconds", ""),
    ("queue", {}, "config.queue_id", "required"),
    ("sip_forward", {"sip_uri": "https://pbx.example.com"}, "config.sip_uri", "sip:"),
    ("sip_forward", {"sip_uri": "sip:"}, "config.sip_uri", ""),
    ("sip_forward", {"sip_uri": "sip:a@b.com", "headers": {"Via": "x"}}, "config.headers", "X-"),
    # Keys are not trimmed: a trailing newline would be a header injection on the SIP leg.
    ("sip_forward", {"sip_uri": "sip:a@b.com", "headers": {"X-Tenant\n": "x"}}, "config.headers", "X-"),
    ("sip_forward", {"sip_uri": "sip:a@b.com", "headers": {"X-Tenant": "a\u0000"}}, "config.headers.X-Tenant", "NUL"),
    ("sip_forward", {"sip_uri": "sip:a@b.com", "headers": {f"X-H{i}": "v" for i in range(11)}},
     "config.headers", "10"),
    ("transfer", {"to": "14155550111"}, "config.to", "E.164"),
    ("transfer", {}, "config.to", "required"),
    ("conference", {"conference_id": "c", "pin": "1234"}, "config.pin", "unknown"),
    ("decline", {"reason": "busy"}, "config.reason", "unknown"),
    ("ring_group", {"members": []}, "config.members", ""),
    ("ring_group", {"members": ["+14155550111"] * 2}, "config.members", "distinct"),
    ("ring_group", {"members": [f"+1415555{1000 + i}" for i in range(21)]}, "config.members", ""),
    ("ring_group", {"members": ["+14155550111"], "strategy": "random"}, "config.strategy", ""),
    ("ring_group", {"members": ["+14155550111"], "ring_timeout_seconds": 1}, "config.ring_timeout_seconds", ""),
    ("ring_group", {"members": ["bob"]}, "config.members.0", "E.164"),
]


@pytest.mark.parametrize("route_type, config, field, word", BAD_ROUTES)
def test_bad_configs_are_refused_and_change_nothing(client, number, route_type, config, field, word):
    assert_422(client.put(routing(number.e164), {"type": route_type, "config": config}, format="json"), field, word)
    assert client.get(routing(number.e164)).json()["data"]["type"] is None
    assert not AuditLog.objects.filter(action="number.route_update").exists()


@pytest.mark.parametrize("body, field", [
    ({}, "body"),
    ({"type": "fax_machine"}, "type"),
    ({"type": "agent", "config": "agt_1"}, "config"),
    ({"type": "agent", "config": None}, "config"),
    ({"sms_route_type": "email"}, "sms_route_type"),
    ({"sms_route_type": None}, "sms_route_type"),
    ({"agent_id": "agt_1"}, "agent_id"),
    ({"config": {"agent_id": "agt_1"}}, "type"),  # no route yet: a bare config has no type to follow
    ({"type": None, "config": {"agent_id": "agt_1"}}, "config"),
])
def test_bad_bodies_are_refused(client, number, body, field):
    assert_422(client.put(routing(number.e164), body, format="json"), field)


def test_a_config_alone_applies_to_the_current_type_and_a_type_alone_needs_its_keys(client, number):
    url = routing(number.e164)
    client.put(url, {"type": "queue", "config": {"queue_id": "sales"}}, format="json")
    data = client.put(url, {"config": {"queue_id": "support", "max_wait_seconds": 60}}, format="json").json()["data"]
    assert data["type"] == "queue" and data["config"] == {"queue_id": "support", "max_wait_seconds": 60}
    assert_422(client.put(url, {"type": "agent"}, format="json"), "config.agent_id", "required")
    data = client.put(url, {"type": "decline"}, format="json").json()["data"]
    assert data["type"] == "decline" and data["config"] == {}
    data = client.put(url, {"type": None}, format="json").json()["data"]
    assert data["type"] is None and data["config"] == {}


def test_sms_route_is_independent_of_the_voice_route(client, number):
    url = routing(number.e164)
    client.put(url, {"type": "agent", "config": {"agent_id": "voice_bot"}}, format="json")

    data = client.put(url, {"sms_route_type": "webhook", "sms_route_config": {"url": "https://example.com/sms"}},
                      format="json").json()["data"]
    assert data["type"] == "agent" and data["config"] == {"agent_id": "voice_bot"}
    assert data["sms_route_type"] == "webhook" and data["sms_route_config"] == {"url": "https://example.com/sms"}

    data = client.put(url, {"sms_route_type": "agent", "sms_route_config": {"agent_id": "sms_bot"}},
                      format="json").json()["data"]
    assert data["sms_route_config"] == {"agent_id": "sms_bot"}
    data = client.put(url, {"sms_route_type": "auto_reply", "sms_route_config": {"message": "We'll be in touch."}},
                      format="json").json()["data"]
    assert data["sms_route_config"] == {"message": "We'll be in touch."}
    data = client.put(url, {"sms_route_type": "disabled"}, format="json").json()["data"]
    assert data["sms_route_type"] == "disabled" and data["sms_route_config"] == {}
    assert data["type"] == "agent"
    assert AuditLog.objects.filter(action="number.route_update", object_id=number.id).count() == 5


@pytest.mark.parametrize("sms_type, config, field, word", [
    ("webhook", {}, "sms_route_config.url", "required"),
    ("webhook", {"url": "http://example.com/sms"}, "sms_route_config.url", "https"),
    ("webhook", {"url": "not a url"}, "sms_route_config.url", ""),
    ("webhook", {"url": "https://example.com", "secret": "s"}, "sms_route_config.secret", "unknown"),
    ("agent", {}, "sms_route_config.agent_id", "required"),
    ("auto_reply", {}, "sms_route_config.message", "required"),
    ("auto_reply", {"message": ""}, "sms_route_config.message", ""),
    ("auto_reply", {"message": "   "}, "sms_route_config.message", "blank"),
    ("auto_reply", {"message": "x" * 1601}, "sms_route_config.message", "1600"),
    ("disabled", {"url": "https://example.com"}, "sms_route_config.url", "unknown"),
])
def test_bad_sms_route_configs_are_refused(client, number, sms_type, config, field, word):
    body = {"sms_route_type": sms_type, "sms_route_config": config}
    assert_422(client.put(routing(number.e164), body, format="json"), field, word)
    assert client.get(routing(number.e164)).json()["data"]["sms_route_type"] == "disabled"


def test_auto_reply_accepts_1600_characters(client, number):
    body = {"sms_route_type": "auto_reply", "sms_route_config": {"message": "x" * 1600}}
    assert client.put(routing(number.e164), body, format="json").status_code == 200


def test_an_unchanged_route_writes_no_audit_row(client, number):
    url = routing(number.e164)
    client.put(url, {"type": "decline"}, format="json")
    client.put(url, {"type": "decline", "config": {}}, format="json")
    assert AuditLog.objects.filter(action="number.route_update").count() == 1


def test_a_number_without_a_route_row_gets_one_on_first_put(client, number):
    NumberRoute.objects.filter(number=number).delete()
    assert client.get(routing(number.e164)).json()["data"]["type"] is None
    assert client.put(routing(number.e164), {"type": "decline"}, format="json").status_code == 200
    assert NumberRoute.objects.get(number=number).type == "decline"


# --- who may see it -------------------------------------------------------------------------

def test_numbers_not_owned_by_the_org_are_404(client, make_org, make_number, number):
    other = make_org("Other", credit_cents=100_00)
    theirs = number_purchase(organization=other, phone_number=make_number("US").e164)
    unsold = make_number("US")
    for e164 in (theirs.e164, unsold.e164, "+14155550188"):
        assert client.get(routing(e164)).status_code == 404
        response = client.put(routing(e164), {"type": "decline"}, format="json")
        assert response.status_code == 404 and response.json()["error"]["code"] == "NOT_FOUND"
    assert NumberRoute.objects.get(number=theirs).type is None


def test_a_released_number_has_no_routing(client, number):
    client.delete(f"/api/v1/numbers/{number.id}")
    assert client.get(routing(number.e164)).status_code == 404
    assert client.put(routing(number.e164), {"type": "decline"}, format="json").status_code == 404


def test_an_invalid_e164_in_the_path_is_422(client, number):
    assert_422(client.get(routing("+1415555")), "phoneNumber", "E.164")


def test_routing_needs_a_key_and_the_right_scope(org, make_client, number):
    url = routing(number.e164)
    assert APIClient().get(url).status_code == 401
    assert APIClient().put(url, {"type": "decline"}, format="json").status_code == 401
    reader = make_client(org, scopes=["numbers:read"])
    assert reader.get(url).status_code == 200
    response = reader.put(url, {"type": "decline"}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "FORBIDDEN"
    assert make_client(org, scopes=["numbers:write"]).get(url).status_code == 403
    assert NumberRoute.objects.get(number=number).type is None


def test_routing_body_needs_one_key_in_the_schema_too(db, served_schema):
    schema = served_schema
    body = schema["components"]["schemas"]["RoutingBody"]
    assert body["minProperties"] == 1 and body["additionalProperties"] is False
    operation = schema["paths"]["/api/v1/numbers/{phone_number}/routing"]["put"]
    assert operation["requestBody"]["required"] is True
