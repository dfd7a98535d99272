"""The OpenAPI schema: every routed API path is in it and the docs are served; it generates without
warnings; the search, numbers, routing and billing operations say what the API really does (their
real responses are validated against it)."""
from __future__ import annotations

import contextlib
import io
import re

import pytest
import yaml
from django.urls import URLPattern, URLResolver, get_resolver, include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from jsonschema import Draft202012Validator
from rest_framework.test import APIClient

import orbit_numbers.urls  # noqa: F401  registers the path converters the API modules' routes use


def routed_api_paths() -> set[str]:
    """Every /api/v1/ route of the project served by an API view or viewset, as OpenAPI templates."""
    from rest_framework.views import APIView

    found: set[str] = set()

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                callback = pattern.callback
                view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
                if view_class and issubclass(view_class, APIView) and route.startswith("api/v1/") \
                        and not route.startswith("api/v1/schema"):
                    found.add("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route))

    walk(get_resolver().url_patterns, "")
    return found


@pytest.fixture
def schema(db) -> dict:
    response = APIClient().get("/api/v1/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_schema_is_openapi_3_with_both_auth_schemes(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Orbit Numbers API"
    assert {"ApiKeyAuth", "BearerAuth"} <= set(schema["components"]["securitySchemes"])


def test_schema_includes_billing_paths(schema):
    assert "get" in schema["paths"]["/api/v1/billing/balance"]
    operation = schema["paths"]["/api/v1/billing/transactions"]["get"]
    assert {"type", "cursor", "limit"} <= {p["name"] for p in operation["parameters"]}


def test_schema_documents_every_routed_api_path(schema):
    routed = routed_api_paths()
    assert "/api/v1/billing/balance" in routed
    missing = routed - set(schema["paths"])
    assert not missing, f"routed but undocumented: {sorted(missing)}"


def test_schema_as_json(db):
    response = APIClient().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    assert "/api/v1/billing/balance" in response.json()["paths"]


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_browsable_docs_are_served(db, path):
    response = APIClient().get(path)
    assert response.status_code == 200
    assert b"<html" in response.content.lower()
    assert response["X-Request-Id"]


# --- generation is clean ----------------------------------------------------------------------------

# The API modules whose schema this file pins down in detail (other modules document themselves).
DOCUMENTED_MODULES = ("inventory.api.search", "inventory.api.numbers", "inventory.api.routing", "inventory.api.export",
                      "billing.api.views")
DOCUMENTED_PATHS = {
    "/api/v1/numbers/available": {"get"},
    "/api/v1/numbers/available/countries": {"get"},
    "/api/v1/numbers/country-capabilities": {"get"},
    "/api/v1/numbers/purchase": {"post"},
    "/api/v1/numbers": {"get"},
    "/api/v1/numbers/{number_id}": {"get", "put", "delete"},
    "/api/v1/numbers/{phone_number}/routing": {"get", "put"},
    "/api/v1/numbers/export": {"get"},
    "/api/v1/billing/balance": {"get"},
    "/api/v1/billing/transactions": {"get"},
}


def generate(patterns=None) -> tuple[dict, str]:
    """Run drf-spectacular's generator in-process: (schema, the warnings and errors it printed)."""
    GENERATOR_STATS.reset()
    printed = io.StringIO()
    try:
        with contextlib.redirect_stderr(printed):
            schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
        problems = printed.getvalue() if GENERATOR_STATS else ""
    finally:
        GENERATOR_STATS.reset()
    return schema, problems


def test_documented_modules_generate_without_warnings_or_errors(db):
    patterns = [path("api/v1/", include(module)) for module in DOCUMENTED_MODULES]
    schema, problems = generate(patterns)
    assert problems == ""
    assert {p: set(ops) for p, ops in schema["paths"].items()} == DOCUMENTED_PATHS
    validate_schema(schema)


def test_the_whole_schema_is_valid_and_no_warning_concerns_the_documented_modules(db):
    schema, problems = generate()
    validate_schema(schema)
    files = [module.replace(".", "/") + ".py" for module in DOCUMENTED_MODULES]
    views = ["AvailableNumberViewSet", "InventorySummaryViewSet", "NumberViewSet", "NumberRoutingViewSet",
             "NumberExportViewSet", "WalletViewSet", "TransactionViewSet"]
    ours = [line for line in problems.splitlines() if any(f in line for f in files)
            or any(f"[{view}" in line for view in views)]
    assert ours == []


# --- what the documented operations say ------------------------------------------------------------

def resolve(schema: dict, node: dict) -> dict:
    """Follow $ref (and a single-element allOf wrapper) to the component."""
    while True:
        if "$ref" in node:
            node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
        elif len(node.get("allOf", [])) == 1 and "properties" not in node:
            node = node["allOf"][0]
        else:
            return node


def operations(schema: dict):
    for template, methods in DOCUMENTED_PATHS.items():
        for method in methods:
            yield template, method, schema["paths"][template][method]


def json_body(schema: dict, operation: dict, status: int) -> dict:
    return resolve(schema, operation["responses"][str(status)]["content"]["application/json"]["schema"])


def parameters(operation: dict, location: str = "query") -> dict[str, dict]:
    return {p["name"]: p for p in operation.get("parameters", []) if p["in"] == location}


def test_every_documented_operation_is_named_tagged_and_enveloped(schema):
    operation_ids = []
    for template, method, operation in operations(schema):
        where = f"{method.upper()} {template}"
        operation_ids.append(operation["operationId"])
        assert operation.get("summary"), where
        expected_tag = ("billing" if "/billing/" in template else "routing" if template.endswith("/routing")
                        else "numbers")
        assert operation["tags"] == [expected_tag], where
        success = [int(code) for code in operation["responses"] if code.startswith("2")]
        assert len(success) == 1, where
        if success[0] != 204:
            body = json_body(schema, operation, success[0])
            assert set(body["required"]) == {"data", "meta"}, where
            meta = resolve(schema, body["properties"]["meta"])
            assert {"request_id", "timestamp"} <= set(meta["required"]), where
        for status in (401, 403, 429):
            assert "ErrorEnvelope" in str(operation["responses"][str(status)]["content"]), where
        for status, response in operation["responses"].items():
            assert "X-Request-Id" in response["headers"], f"{where} {status}"
        assert "Retry-After" in operation["responses"]["429"]["headers"], where
        # Rate limits are counted after authentication: a 401 has no rate-limit headers to promise.
        assert "X-RateLimit-Limit" not in operation["responses"]["401"]["headers"], where
        assert "X-RateLimit-Limit" in operation["responses"][str(success[0])]["headers"], where
    assert len(set(operation_ids)) == len(operation_ids)


def test_the_error_envelope_lists_every_stable_code(schema):
    error = resolve(schema, resolve(schema, schema["components"]["schemas"]["ErrorEnvelope"])["properties"]["error"])
    assert set(error["required"]) == {"code", "message", "request_id"}
    codes = set(resolve(schema, error["properties"]["code"])["enum"])
    assert {"BAD_REQUEST", "UNAUTHORIZED", "PORT_OUT_PIN_MISMATCH", "INSUFFICIENT_CREDIT", "FORBIDDEN", "NOT_FOUND",
            "CONFLICT", "INSUFFICIENT_INVENTORY", "IDEMPOTENCY_CONFLICT", "VALIDATION_ERROR",
            "LOA_URL_INVALID_ORIGIN", "RATE_LIMITED", "INTERNAL"} <= codes


def test_search_documents_its_parameters_and_the_numbers_overview_shape(schema):
    operation = schema["paths"]["/api/v1/numbers/available"]["get"]
    query = parameters(operation)
    assert query["country"]["required"] is True
    assert query["type"]["schema"]["enum"] == ["local", "mobile", "toll_free"]  # no short_code: refused
    capabilities = query["capabilities"]
    assert capabilities["schema"]["items"]["enum"] == ["sms", "mms", "voice", "fax"]  # no whatsapp/rcs
    assert capabilities["style"] == "form" and capabilities["explode"] is False  # ?capabilities=sms,voice
    assert query["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}
    assert query["provider"]["schema"]["enum"] == ["devotel", "telnyx", "didww"]
    assert {"area_code", "contains", "starts_with", "ends_with"} <= set(query)

    data = resolve(schema, json_body(schema, operation, 200)["properties"]["data"])
    numbers = data["properties"]["numbers"]
    assert numbers["type"] == "array"
    item = resolve(schema, numbers["items"])
    assert {"id", "phoneNumber", "capabilities", "sms_two_way", "monthlyRate", "provider"} <= set(item["required"])
    assert {"setupRate", "expectedActivation"} <= set(item["properties"]) - set(item["required"])
    assert item["properties"]["monthlyRate"]["type"] == "number"  # dollars, not cents
    assert set(operation["responses"]) == {"200", "401", "403", "422", "429"}


def test_country_capabilities_keep_toll_free_sms_apart_from_two_way(schema):
    operation = schema["paths"]["/api/v1/numbers/country-capabilities"]["get"]
    country = resolve(schema, resolve(schema, json_body(schema, operation, 200)["properties"]["data"])
                      ["properties"]["countries"]["items"])
    assert {"two_way_sms", "toll_free_sms_send_only", "line_types"} <= set(country["required"])
    line_types = resolve(schema, country["properties"]["line_types"])
    toll_free = resolve(schema, line_types["properties"]["toll_free"])
    assert "sms_send_only" in toll_free["properties"] and "sms" not in toll_free["properties"]


def test_purchase_documents_idempotency_the_strict_body_and_its_failures(schema):
    operation = schema["paths"]["/api/v1/numbers/purchase"]["post"]
    header = parameters(operation, "header")["Idempotency-Key"]
    assert header["schema"] == {"type": "string", "minLength": 1, "maxLength": 255}
    assert "IDEMPOTENCY_CONFLICT" in header["description"]

    body = resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])
    assert body["additionalProperties"] is False  # unknown keys are 422
    assert body["required"] == ["phone_number"]
    assert resolve(schema, body["properties"]["capabilities"]["items"])["enum"] == ["sms", "voice", "whatsapp", "rcs"]
    assert body["properties"]["phone_number"]["pattern"].startswith("^\\+")

    assert set(operation["responses"]) == {"201", "400", "401", "402", "403", "404", "409", "422", "429"}
    for status, code in ((402, "INSUFFICIENT_CREDIT"), (409, "CONFLICT"), (409, "IDEMPOTENCY_CONFLICT"),
                         (422, "VALIDATION_ERROR")):
        response = operation["responses"][str(status)]
        assert code in response["description"]
        assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorEnvelope"}
    created = resolve(schema, json_body(schema, operation, 201)["properties"]["data"])
    assert {"id", "number", "status", "capabilities", "monthly_cost", "setup_cost"} <= set(created["required"])
    assert "Idempotent-Replayed" in operation["responses"]["201"]["headers"]


def test_only_the_idempotent_handlers_take_an_idempotency_key(schema):
    with_key = {(template, method) for template, method, operation in operations(schema)
                if "Idempotency-Key" in parameters(operation, "header")}
    assert with_key == {("/api/v1/numbers/purchase", "post"), ("/api/v1/numbers/{number_id}", "delete")}


def test_listings_are_cursor_paginated(schema):
    for template, limit in (("/api/v1/numbers", (25, 200)), ("/api/v1/billing/transactions", (25, 200))):
        operation = schema["paths"][template]["get"]
        query = parameters(operation)
        assert query["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": limit[1],
                                            "default": limit[0]}, template
        assert "cursor" in query, template
        body = json_body(schema, operation, 200)
        assert body["properties"]["data"]["type"] == "array", template
        meta = resolve(schema, body["properties"]["meta"])
        pagination = resolve(schema, meta["properties"]["pagination"])
        assert set(pagination["required"]) == {"cursor", "has_more"}, template
        assert pagination["properties"]["cursor"]["nullable"] is True, template
    assert parameters(schema["paths"]["/api/v1/numbers"]["get"])["status"]["schema"]["enum"] == [
        "active", "inactive", "regulatory_hold", "porting_out"]


def test_routing_documents_each_route_types_config_shape(schema):
    operation = schema["paths"]["/api/v1/numbers/{phone_number}/routing"]["put"]
    assert parameters(operation, "path")["phone_number"]["required"] is True
    body = resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])
    assert body["additionalProperties"] is False and "required" not in body
    assert resolve(schema, body["properties"]["type"]["oneOf"][0])["enum"][:2] == ["agent", "softphone_user"]
    voice = resolve(schema, body["properties"]["config"])
    shapes = {item["$ref"].rsplit("/", 1)[1] for item in voice["anyOf"]}
    assert {"AgentRoute", "RingGroupRoute", "SipForwardRoute", "DeclineRoute", "VoicemailRoute"} <= shapes
    assert len(shapes) == 11
    ring_group = schema["components"]["schemas"]["RingGroupRoute"]
    assert ring_group["required"] == ["members"] and ring_group["additionalProperties"] is False
    sms = resolve(schema, body["properties"]["sms_route_config"])
    assert {item["$ref"].rsplit("/", 1)[1] for item in sms["anyOf"]} == {
        "SmsWebhookRoute", "SmsAgentRoute", "SmsAutoReplyRoute", "SmsDisabledRoute"}


def test_billing_documents_balance_and_transactions(schema):
    balance = resolve(schema, json_body(schema, schema["paths"]["/api/v1/billing/balance"]["get"], 200)
                      ["properties"]["data"])
    assert {"balance", "balance_cents", "currency"} <= set(balance["required"])
    operation = schema["paths"]["/api/v1/billing/transactions"]["get"]
    assert set(parameters(operation)["type"]["schema"]["enum"]) == {
        "top_up", "setup_fee", "monthly_fee", "refund", "adjustment", "porting_fee"}
    transaction = resolve(schema, json_body(schema, operation, 200)["properties"]["data"]["items"])
    assert {"id", "type", "amount", "amount_cents", "balance_after", "created_at"} <= set(transaction["required"])


# --- the real API answers what the schema says -------------------------------------------------------

def as_json_schema(node):
    """OpenAPI 3.0 schema → JSON Schema, strict about objects: every key the API returns is documented."""
    if isinstance(node, list):
        return [as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: as_json_schema(value) for key, value in node.items() if key not in ("nullable", "example")}
    if isinstance(node.get("properties"), dict) and "additionalProperties" not in node:
        out["additionalProperties"] = False
    if node.get("nullable") is True:
        out = {"anyOf": [out, {"type": "null"}]}
    return out


def assert_documented(schema: dict, response, method: str, template: str) -> None:
    """The status is documented for the operation, the body validates, the documented headers are sent."""
    operation = schema["paths"][template][method.lower()]
    where = f"{method} {template} → {response.status_code}"
    documented = operation["responses"].get(str(response.status_code))
    assert documented is not None, f"{where} is not in the schema"
    content = documented.get("content")
    if content is None:
        assert response.content == b"", where
    else:
        root = {"components": {"schemas": {name: as_json_schema(component) for name, component
                                           in schema["components"]["schemas"].items()}},
                "allOf": [as_json_schema(content["application/json"]["schema"])]}
        errors = sorted(Draft202012Validator(root).iter_errors(response.json()), key=str)
        assert not errors, f"{where}: {errors[0].message} at {list(errors[0].absolute_path)}"
    for header in documented.get("headers", {}):
        if header != "Idempotent-Replayed":  # only on replays
            assert response.has_header(header), f"{where}: no {header} header"


def test_numbers_responses_match_the_schema(schema, make_org, make_client, make_number):
    org = make_org("Conformance", credit_cents=100_00)
    client = make_client(org)
    make_number("US", setup_cents=100, activation_hours=24)
    make_number("US", setup_cents=0, activation_hours=None)
    make_number("US", "toll_free")
    cheap = make_number("US", monthly_cents=1)

    for url, template in (("/api/v1/numbers/available?country=US&capabilities=sms,voice",
                           "/api/v1/numbers/available"),
                          ("/api/v1/numbers/available/countries", "/api/v1/numbers/available/countries"),
                          ("/api/v1/numbers/country-capabilities", "/api/v1/numbers/country-capabilities"),
                          ("/api/v1/numbers/available?country=US&capabilities=whatsapp", "/api/v1/numbers/available")):
        assert_documented(schema, client.get(url), "GET", template)
    search = client.get("/api/v1/numbers/available", {"country": "US"}).json()["data"]["numbers"]
    for optional in ("setupRate", "expectedActivation"):  # both shapes of an item were checked
        assert any(optional in item for item in search) and any(optional not in item for item in search)

    purchase = "/api/v1/numbers/purchase"
    bought = client.post(purchase, {"phone_number": cheap.e164, "capabilities": ["sms", "whatsapp"]},
                         format="json", HTTP_IDEMPOTENCY_KEY="buy-1")
    assert bought.status_code == 201
    assert_documented(schema, bought, "POST", purchase)
    replay = client.post(purchase, {"phone_number": cheap.e164, "capabilities": ["sms", "whatsapp"]},
                         format="json", HTTP_IDEMPOTENCY_KEY="buy-1")
    assert replay["Idempotent-Replayed"] == "true"
    assert_documented(schema, replay, "POST", purchase)
    gone = make_number("US")
    gone.delete()
    poor = make_client(make_org("Poor"))
    for response, status in (
            (client.post(purchase, {"phone_number": cheap.e164}, format="json"), 409),  # no longer available
            (client.post(purchase, {"phone_number": gone.e164}, format="json"), 404),  # not in the inventory
            (client.post(purchase, {"phone_number": cheap.e164, "agent_id": "x"}, format="json"), 422),
            (client.post(purchase, {"phone_number": cheap.e164}, format="json", HTTP_IDEMPOTENCY_KEY="buy-1"), 409),
            (client.post(purchase, b"{not json", content_type="application/json"), 400),
            (poor.post(purchase, {"phone_number": make_number("US").e164}, format="json"), 402),
            (APIClient().post(purchase, {}, format="json"), 401),
            (make_client(org, ["numbers:read"]).post(purchase, {}, format="json"), 403)):
        assert response.status_code == status, response.content
        assert_documented(schema, response, "POST", purchase)

    number_id = bought.json()["data"]["id"]
    detail = "/api/v1/numbers/{number_id}"
    listing = client.get("/api/v1/numbers", {"limit": 1})
    assert listing.json()["meta"]["pagination"]["has_more"] is False
    assert_documented(schema, listing, "GET", "/api/v1/numbers")
    assert_documented(schema, client.get("/api/v1/numbers", {"status": "released"}), "GET", "/api/v1/numbers")
    assert_documented(schema, client.get(f"/api/v1/numbers/{number_id}"), "GET", detail)
    assert_documented(schema, client.get("/api/v1/numbers/num_" + "a" * 20), "GET", detail)
    configured = client.put(f"/api/v1/numbers/{number_id}", {
        "label": "Support", "tags": ["support"], "webhook_url": "https://example.com/hook",
        "forwarding_number": "+442071838750", "channel_config": {"sms": {"keyword": "HELP"}}}, format="json")
    assert configured.status_code == 200
    assert_documented(schema, configured, "PUT", detail)
    assert_documented(schema, client.put(f"/api/v1/numbers/{number_id}", {"tags": ["Bad Tag"]}, format="json"),
                      "PUT", detail)
    released = client.delete(f"/api/v1/numbers/{number_id}")
    assert released.status_code == 204
    assert_documented(schema, released, "DELETE", detail)


def test_routing_and_billing_responses_match_the_schema(schema, client, org, make_number):
    row = make_number("US")
    client.post("/api/v1/numbers/purchase", {"phone_number": row.e164}, format="json")
    template = "/api/v1/numbers/{phone_number}/routing"
    url = f"/api/v1/numbers/{row.e164}/routing"

    assert_documented(schema, client.get(url), "GET", template)  # no voice route yet: type null, config {}
    for body, status in (
            ({"type": "ring_group", "config": {"members": ["+442071838750", "sip:desk@pbx.example.com"]}}, 200),
            ({"type": "voicemail"}, 200),
            ({"sms_route_type": "webhook", "sms_route_config": {"url": "https://example.com/sms"}}, 200),
            ({"type": None}, 200),
            ({"type": "ring_group", "config": {"members": []}}, 422),
            ("[]", 422)):
        response = client.put(url, body, format="json")
        assert response.status_code == status, response.content
        assert_documented(schema, response, "PUT", template)
    for other, status in (("1234567", 422), ("+14155550199", 404)):  # not E.164; not a number of this org
        response = client.get(f"/api/v1/numbers/{other}/routing")
        assert response.status_code == status, response.content
        assert_documented(schema, response, "GET", template)

    assert_documented(schema, client.get("/api/v1/billing/balance"), "GET", "/api/v1/billing/balance")
    transactions = client.get("/api/v1/billing/transactions", {"limit": 1})
    assert transactions.json()["meta"]["pagination"]["has_more"] is True
    assert_documented(schema, transactions, "GET", "/api/v1/billing/transactions")
    assert_documented(schema, client.get("/api/v1/billing/transactions", {"limit": 0}), "GET",
                      "/api/v1/billing/transactions")


def test_a_rate_limited_answer_matches_the_schema(schema, client, settings):
    settings.ORBIT = {**settings.ORBIT, "DEFAULT_RATE_LIMIT_PER_MINUTE": 1}
    assert client.get("/api/v1/billing/balance").status_code == 200
    limited = client.get("/api/v1/billing/balance")
    assert limited.status_code == 429
    assert_documented(schema, limited, "GET", "/api/v1/billing/balance")


def test_export_documents_the_list_filters_its_format_and_both_bodies(schema):
    operation = schema["paths"]["/api/v1/numbers/export"]["get"]
    query = parameters(operation)
    listing = parameters(schema["paths"]["/api/v1/numbers"]["get"])
    assert set(query) == (set(listing) - {"cursor", "limit"}) | {"format"}  # the list's FilterSet, unpaginated
    assert query["format"]["schema"]["enum"] == ["csv", "json"]
    assert query["status"]["schema"]["enum"] == ["active", "inactive", "regulatory_hold", "porting_out"]
    assert query["capabilities"]["style"] == "form" and query["capabilities"]["explode"] is False
    ok = operation["responses"]["200"]
    assert ok["content"]["text/csv"]["schema"] == {"type": "string"}
    body = resolve(schema, ok["content"]["application/json"]["schema"])
    item = resolve(schema, body["properties"]["data"]["items"])
    from inventory.exporting import TENANT

    assert set(item["properties"]) == set(item["required"]) == set(TENANT.header)  # every column, typed
    assert "count" in resolve(schema, body["properties"]["meta"])["required"]
    assert {"Content-Disposition", "X-RateLimit-Limit"} <= set(ok["headers"])
    assert set(operation["responses"]) == {"200", "401", "403", "422", "429"}


def test_export_responses_match_the_schema(schema, client, org, make_number):
    import json
    from types import SimpleNamespace

    from inventory.services import number_purchase

    number_purchase(organization=org, phone_number=make_number("US").e164)
    template = "/api/v1/numbers/export"

    def read(response):
        content = b"".join(response.streaming_content)
        return SimpleNamespace(status_code=response.status_code, content=content, has_header=response.has_header,
                               json=lambda: json.loads(content))

    exported = read(client.get(template, {"format": "json", "tag": "nothing", "provider": "telnyx"}))
    assert exported.status_code == 200 and exported.json()["meta"]["count"] == 0
    exported = read(client.get(template, {"format": "json"}))
    assert exported.json()["meta"]["count"] == 1
    assert_documented(schema, exported, "GET", template)
    csv = client.get(template)
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert "text/csv" in schema["paths"][template]["get"]["responses"]["200"]["content"]
    for params, status in (({"format": "xml"}, 422), ({"cursor": "x"}, 422)):
        response = client.get(template, params)
        assert response.status_code == status, response.content
        assert_documented(schema, response, "GET", template)
    from rest_framework.test import APIClient

    assert_documented(schema, APIClient().get(template), "GET", template)
