"""The OpenAPI schema: every routed API path is in it and the docs are served; it generates without
warnings; the search, numbers, routing, billing, porting and files operations say what the API really
does (their real responses are validated against it)."""
from __future__ import annotations

import contextlib
import io
import re

import pytest
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
def schema(db, served_schema) -> dict:
    return served_schema


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

    assert set(operation["responses"]) == {"201", "400", "401", "402", "403", "404", "409", "413", "422", "429"}
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
        "active", "inactive", "regulatory_hold", "porting_out", "suspended"]


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
    # Several types, comma-separated: the pattern names every kind.
    type_pattern = re.compile(parameters(operation)["type"]["schema"]["pattern"])
    kinds = ("top_up", "setup_fee", "monthly_fee", "refund", "adjustment", "porting_fee", "lookup_fee", "cnam_dip_fee")
    assert all(type_pattern.fullmatch(kind) for kind in kinds) and type_pattern.fullmatch(",".join(kinds))
    assert not type_pattern.fullmatch("cash") and not type_pattern.fullmatch("top_up,")
    assert {"created_after", "created_before", "period"} <= set(parameters(operation))
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
    media_type = response.get("Content-Type", "").split(";")[0]
    if content is None:
        assert response.content == b"", where
    elif media_type != "application/json":  # a download: its type is one the schema names
        assert media_type in content, f"{where}: {media_type} is not documented"
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


def test_every_operation_accepts_either_api_key_header(schema):
    """X-API-Key or Authorization: Bearer, as alternatives: a list of two requirements, not one naming both."""
    assert "security" not in schema  # no global requirement: each operation states its own
    public = set()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method == "parameters" or not path.startswith("/api/v1/") or path == "/api/v1/schema/":
                continue
            if operation.get("security") in (None, [], [{}]):
                public.add(operation["operationId"])
                continue
            assert operation["security"] == [{"ApiKeyAuth": []}, {"BearerAuth": []}], (method, path)
    # The signed download link (the URL itself is the credential) and the payment providers' callbacks
    # (authenticated by the provider's signature).
    assert public == {"files_content", "billing_payment_events_receive"}


def test_every_operation_that_takes_a_body_documents_413(schema):
    """Any body may be over the limit (1 MB for JSON, 25 MB for the two uploads): 413 PAYLOAD_TOO_LARGE."""
    uploads = {"files_upload", "porting_loa_upload"}
    seen = set()
    for operations in schema["paths"].values():
        for method, operation in operations.items():
            if method == "parameters" or "requestBody" not in operation:
                continue
            seen.add(operation["operationId"])
            response = operation["responses"]["413"]
            assert response["description"].startswith("PAYLOAD_TOO_LARGE: "), operation["operationId"]
            assert "ErrorEnvelope" in str(response["content"]["application/json"]["schema"])
            assert "X-Request-Id" in response["headers"]
            limit = "25 MB" if operation["operationId"] in uploads else "1 MB"
            assert limit in response["description"], operation["operationId"]
    assert uploads | {"numbers_purchase", "numbers_update", "numbers_routing_update"} <= seen


# --- porting and files --------------------------------------------------------------------------------

PORTING_MODULES = ("porting.urls", "orbit_numbers.files.urls")
PI, PO = "/api/v1/numbers/porting", "/api/v1/numbers/porting/out"
PORT_IN = PI + "/{port_request_id}"
PORT_OUT = PO + "/{port_out_id}"
NUMBER = "/api/v1/numbers/{number_id}"
UPLOAD, CONTENT = "/api/v1/files/upload", "/api/v1/files/{file_id}/content"
READINESS = "/api/v1/numbers/readiness"  # mounted by porting (it asks every floor), tagged numbers
# Every porting and files operation: its operationId and every status it can answer.
PORTING_OPERATIONS = {
    (PI + "/check", "post"): ("porting_check", {200, 400, 401, 403, 413, 422, 429}),
    (PI, "get"): ("porting_list", {200, 401, 403, 422, 429}),
    (PI, "post"): ("porting_submit", {201, 400, 401, 403, 409, 413, 422, 429}),
    (PORT_IN, "get"): ("porting_get", {200, 401, 403, 404, 429}),
    (PORT_IN, "delete"): ("porting_cancel", {200, 401, 403, 404, 409, 422, 429}),
    (PORT_IN + "/loa", "post"): ("porting_loa_upload", {201, 400, 401, 403, 404, 409, 413, 415, 422, 429}),
    (PORT_IN + "/loa/sign", "post"): ("porting_loa_sign", {200, 400, 401, 403, 404, 409, 413, 422, 429}),
    (PORT_IN + "/timeline", "get"): ("porting_timeline", {200, 401, 403, 404, 429}),
    (PORT_IN + "/refresh", "post"): ("porting_refresh", {200, 401, 403, 404, 409, 429}),
    (PORT_IN + "/supplement", "post"): ("porting_supplement", {200, 400, 401, 403, 404, 409, 413, 422, 429}),
    (PO, "get"): ("porting_out_list", {200, 401, 403, 422, 429}),
    (PO, "post"): ("porting_out_submit", {201, 400, 401, 403, 409, 413, 422, 429}),
    (PORT_OUT, "get"): ("porting_out_get", {200, 401, 403, 404, 429}),
    (PORT_OUT, "delete"): ("porting_out_cancel", {200, 401, 403, 404, 409, 422, 429}),
    (PORT_OUT + "/refresh", "post"): ("porting_out_refresh", {200, 401, 403, 404, 409, 429}),
    (NUMBER + "/port-out", "post"): ("number_port_out", {201, 400, 401, 403, 404, 409, 413, 422, 429}),
    (NUMBER + "/port-out-protection", "get"): ("number_port_out_protection_get", {200, 401, 403, 404, 429}),
    (NUMBER + "/port-out-protection", "post"): ("number_port_out_protection_set",
                                                {201, 400, 401, 403, 404, 413, 422, 429}),
    (NUMBER + "/port-out-protection", "delete"): ("number_port_out_protection_disable",
                                                  {200, 400, 401, 403, 404, 413, 422, 429}),
    (UPLOAD, "post"): ("files_upload", {201, 400, 401, 403, 413, 415, 422, 429}),
    (CONTENT, "get"): ("files_content", {200, 403}),
}
# The readiness pre-flight's responses are checked against the schema in tests/porting/test_readiness.py.
MOUNTED_BY_PORTING = {**PORTING_OPERATIONS,
                      (READINESS, "post"): ("numbers_readiness", {200, 400, 401, 403, 413, 422, 429})}
IDEMPOTENT_PORTING = {(PI, "post"), (PORT_IN, "delete"), (PORT_IN + "/supplement", "post"), (PO, "post"),
                      (PORT_OUT, "delete"), (NUMBER + "/port-out", "post")}


def test_porting_and_files_generate_without_warnings(db):
    schema, problems = generate([path("api/v1/", include(module)) for module in PORTING_MODULES])
    assert problems == ""
    assert {(template, method) for template, methods in schema["paths"].items() for method in methods} == set(
        MOUNTED_BY_PORTING)
    validate_schema(schema)


def typed(schema: dict, node: dict) -> bool:
    """A data schema that says what it holds: properties, alternatives, or an array of typed items."""
    node = resolve(schema, node)
    if node.get("type") == "array":
        return typed(schema, node["items"])
    if "anyOf" in node or "oneOf" in node:
        return all(typed(schema, item) for item in node.get("anyOf", node.get("oneOf")))
    return bool(node.get("properties"))


def test_every_porting_and_files_operation_is_typed_with_every_status(schema):
    for (template, method), (operation_id, statuses) in MOUNTED_BY_PORTING.items():
        where = f"{method.upper()} {template}"
        operation = schema["paths"][template][method]
        assert operation["operationId"] == operation_id, where
        assert operation.get("summary"), where
        assert operation["tags"] == ["files" if "/files/" in template else "numbers" if template == READINESS
                                     else "porting"], where
        assert {int(status) for status in operation["responses"]} == statuses, where
        for status, response in operation["responses"].items():
            assert "X-Request-Id" in response["headers"], f"{where} {status}"
            if int(status) >= 400:
                assert "ErrorEnvelope" in str(response["content"]["application/json"]["schema"]), f"{where} {status}"
        assert ("Idempotency-Key" in parameters(operation, "header")) == ((template, method) in IDEMPOTENT_PORTING)
        body = operation.get("requestBody", {}).get("content", {})
        if template == CONTENT:
            assert "security" not in operation and not body  # the signed URL is the credential
            assert set(operation["responses"]["200"]["content"]) == {"application/pdf", "image/jpeg", "image/png",
                                                                     "image/heic"}
            assert parameters(operation)["token"]["required"] is True
            continue
        [success] = [status for status in statuses if status < 300]
        envelope_schema = json_body(schema, operation, success)
        assert set(envelope_schema["required"]) == {"data", "meta"}, where
        assert typed(schema, envelope_schema["properties"]["data"]), f"{where}: untyped data"
        assert "Retry-After" in operation["responses"]["429"]["headers"], where
        assert "X-RateLimit-Limit" not in operation["responses"]["401"]["headers"], where
        assert "X-RateLimit-Limit" in operation["responses"][str(success)]["headers"], where
        if "application/json" in body:
            request = resolve(schema, body["application/json"]["schema"])
            assert request.get("additionalProperties") is False or all(
                shape["additionalProperties"] is False for shape in request["anyOf"]), where
            assert 400 in statuses, f"{where} takes a JSON body: malformed JSON is 400"
        elif body:
            assert set(body) == {"multipart/form-data"} and 415 in statuses, where
            assert resolve(schema, body["multipart/form-data"]["schema"])["properties"]["file"]["format"] == "binary"
        else:
            assert method in ("get", "delete") or template.endswith("/refresh"), f"{where} documents no body"


def test_porting_documents_its_own_codes_and_both_check_shapes(schema):
    paths = schema["paths"]
    for template, method in ((PO, "post"), (NUMBER + "/port-out", "post")):
        responses = paths[template][method]["responses"]
        assert "PORT_OUT_PIN_MISMATCH" in responses["401"]["description"], template
        assert "locked" in responses["429"]["description"], template
    for template in (PI, PORT_IN + "/supplement"):
        assert "LOA_URL_INVALID_ORIGIN" in paths[template]["post"]["responses"]["422"]["description"], template
    check = paths[PI + "/check"]["post"]
    assert "20" in check["responses"]["429"]["description"]
    request = resolve(schema, check["requestBody"]["content"]["application/json"]["schema"])
    assert [shape["required"] for shape in request["anyOf"]] == [["phone_number"], ["phoneNumber"], ["numbers"]]
    data = resolve(schema, json_body(schema, check, 200)["properties"]["data"])
    one, many = (resolve(schema, shape) for shape in data["anyOf"])
    documented = {"eligible", "reasons", "splittable", "estimated_foc_date", "fast_portable", "check_status",
                  "provider"}
    assert documented <= set(one["required"])
    assert resolve(schema, many["properties"]["results"]["items"]) == one
    assert resolve(schema, one["properties"]["check_status"])["enum"] == ["checked", "check-not-supported",
                                                                         "check-skipped"]
    submit = resolve(schema, paths[PI]["post"]["requestBody"]["content"]["application/json"]["schema"])
    assert {"currentCarrier", "carrier", "current_carrier", "authorization_name", "pin", "loaFileUrl"} <= set(
        submit["properties"])  # the documents' names and aliases
    assert {"type": "string"} in [{"type": shape["type"]} for shape in submit["properties"]["numbers"]["anyOf"]]
    port_in = resolve(schema, json_body(schema, paths[PORT_IN]["get"], 200)["properties"]["data"])
    assert {"id", "status", "numbers", "currentCarrier", "loaSignatureStatus", "rejection", "focDate"} <= set(
        port_in["required"])
    protection = resolve(schema, json_body(schema, paths[NUMBER + "/port-out-protection"]["get"], 200)
                         ["properties"]["data"])
    assert set(protection["properties"]) == {"enabled", "set_at"}


def _pdf(name: str = "loa.pdf"):
    handle = io.BytesIO(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
    handle.name = name
    return handle


def test_porting_and_files_responses_match_the_schema(schema, client, org, make_client, make_org, make_number,
                                                        settings, tmp_path):
    from urllib.parse import urlsplit

    from django.contrib.auth.models import User

    from inventory.services import number_purchase
    from porting import services
    from porting.models import PortOutProtection

    settings.MEDIA_ROOT = tmp_path
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_PORT_STAGE_SECONDS": 10_000}
    other = make_client(make_org("Other"))
    reader = make_client(org, ["porting:read"])
    staff = User.objects.create_user("schema-ops", is_staff=True)
    seen: set[tuple[str, str, int]] = set()

    def documented(response, method: str, template: str, status: int):
        assert response.status_code == status, (method, template, response.content[:500])
        assert_documented(schema, response, method, template)
        seen.add((template, method.lower(), status))
        return response

    def post(template, url, body, status, api=client, **extra):
        return documented(api.post(url, body, format="json", **extra), "POST", template, status)

    # files
    uploaded = documented(client.post("/api/v1/files/upload", {"file": _pdf()}, format="multipart"),
                          "POST", UPLOAD, 201)
    loa_url = uploaded.json()["data"]["url"]
    parts = urlsplit(loa_url)
    download = documented(APIClient().get(f"{parts.path}?{parts.query}"), "GET", CONTENT, 200)
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    for response in (APIClient().get(parts.path), APIClient().get(f"{parts.path}?token=forged")):
        documented(response, "GET", CONTENT, 403)
    refused = APIClient().post(f"{parts.path}?{parts.query}")  # no HTML 405 either
    assert refused.status_code == 405 and refused.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    for api, body, kind, status in ((client, {"file": "x"}, "json", 415), (client, {"colour": "red"}, "multipart", 422),
                                    (APIClient(), {}, "multipart", 401), (reader, {}, "multipart", 403)):
        documented(api.post("/api/v1/files/upload", body, format=kind), "POST", UPLOAD, status)
    documented(client.post("/api/v1/files/upload", b"--x", content_type="multipart/form-data"), "POST", UPLOAD, 400)

    # the portability check: one number, many, and its 20/min limit
    check = PI + "/check"
    one = post(check, check, {"phone_number": "+12015550124"}, 200).json()["data"]
    assert one["phone_number"] == "+12015550124" and "results" not in one
    many = post(check, check, {"numbers": ["+12015550124", "+442079460123"]}, 200).json()["data"]
    assert [r["phone_number"] for r in many["results"]] == ["+12015550124", "+442079460123"]
    post(check, check, {}, 422)
    post(check, check, {"phone_number": "+12015550124"}, 401, api=APIClient())
    post(check, check, {"phone_number": "+12015550124"}, 403, api=make_client(org, ["numbers:read"]))
    documented(client.post(check, b"{not json", content_type="application/json"), "POST", check, 400)
    for _ in range(16):
        client.post(check, {"phone_number": "+12015550124"}, format="json")
    limited = post(check, check, {"phone_number": "+12015550124"}, 429)
    assert limited["X-RateLimit-Limit"] == "20"

    # port-in: submit (signed LoA URL and manual mode), list, get, timeline
    submitted = post(PI, PI, {"numbers": ["+12015550123"], "currentCarrier": "Acme", "country": "US",
                              "loaFileUrl": loa_url, "serviceAddress": {"line1": "1 Main St", "city": "Newark",
                                                                        "postalCode": "07102", "countryCode": "US"}},
                     201, HTTP_IDEMPOTENCY_KEY="port-1")
    port_id = submitted.json()["data"]["id"]
    post(PI, PI, {"numbers": ["+12015550123"], "currentCarrier": "Acme", "country": "US", "loaFileUrl": loa_url,
                  "serviceAddress": {"line1": "1 Main St", "city": "Newark", "postalCode": "07102",
                                     "countryCode": "US"}}, 201, HTTP_IDEMPOTENCY_KEY="port-1")  # replayed
    post(PI, PI, {"numbers": ["+12015550129"], "currentCarrier": "Acme"}, 409, HTTP_IDEMPOTENCY_KEY="port-1")
    manual = post(PI, PI, {"numbers": "+12015550125", "carrier": "Acme"}, 201).json()["data"]["id"]
    post(PI, PI, {"numbers": ["+12015550125"], "currentCarrier": "Acme"}, 409)  # already in an open port-in
    invalid_origin = post(PI, PI, {"numbers": ["+12015550126"], "currentCarrier": "Acme",
                                   "loaFileUrl": "https://storage.googleapis.com/x/loa.pdf"}, 422)
    assert invalid_origin.json()["error"]["code"] == "LOA_URL_INVALID_ORIGIN"
    post(PI, PI, {"numbers": ["+12015550126"]}, 422)
    post(PI, PI, {"numbers": ["+12015550126"], "currentCarrier": "Acme"}, 403, api=reader)
    documented(client.post(PI, b"{", content_type="application/json"), "POST", PI, 400)
    documented(client.get(PI, {"limit": 1}), "GET", PI, 200)
    documented(client.get(PI, {"status": "lost"}), "GET", PI, 422)
    documented(APIClient().get(PI), "GET", PI, 401)
    documented(make_client(org, ["porting:write"]).get(PI), "GET", PI, 403)
    documented(client.get(f"{PI}/{port_id}"), "GET", PORT_IN, 200)
    documented(other.get(f"{PI}/{port_id}"), "GET", PORT_IN, 404)
    documented(client.get(f"{PI}/{port_id}/timeline"), "GET", PORT_IN + "/timeline", 200)
    documented(other.get(f"{PI}/{port_id}/timeline"), "GET", PORT_IN + "/timeline", 404)

    # the LoA of a manual-mode request
    loa = PORT_IN + "/loa"
    documented(client.post(f"{PI}/{manual}/loa", {"file": _pdf()}, format="multipart"), "POST", loa, 201)
    documented(client.post(f"{PI}/{manual}/loa", {}, format="multipart"), "POST", loa, 422)
    documented(client.post(f"{PI}/{manual}/loa", {"file": "x"}, format="json"), "POST", loa, 415)
    documented(other.post(f"{PI}/{manual}/loa", {"file": _pdf()}, format="multipart"), "POST", loa, 404)
    documented(client.post(f"{PI}/{manual}/loa", b"--x", content_type="multipart/form-data"), "POST", loa, 400)
    sign = PORT_IN + "/loa/sign"
    signer = {"signerName": "Jo Doe", "signerEmail": "jo@example.com", "acknowledgement": True}
    post(sign, f"{PI}/{manual}/loa/sign", {**signer, "acknowledgement": False}, 422)
    post(sign, f"{PI}/{manual}/loa/sign", signer, 200)
    post(sign, f"{PI}/{manual}/loa/sign", signer, 409)  # already signed
    post(sign, f"{PI}/{manual}/loa/sign", signer, 404, api=other)
    documented(client.post(f"{PI}/{manual}/loa/sign", b"{", content_type="application/json"), "POST", sign, 400)

    # with the carrier: refresh; rejected: timeline with the rejection, supplement
    refresh = PORT_IN + "/refresh"
    documented(client.post(f"{PI}/{port_id}/refresh"), "POST", refresh, 409)  # not with the carrier yet
    services.port_request_loa_approve(port_request_id=port_id, acting_user=staff)
    documented(client.post(f"{PI}/{port_id}/refresh"), "POST", refresh, 200)
    documented(other.post(f"{PI}/{port_id}/refresh"), "POST", refresh, 404)
    supplement = PORT_IN + "/supplement"
    post(supplement, f"{PI}/{manual}/supplement", {"accountNumber": "A-2"}, 409)  # not rejected
    services.port_request_loa_reject(port_request_id=manual, acting_user=staff, code="LOA_ILLEGIBLE", note="Blurred")
    rejected = documented(client.get(f"{PI}/{manual}/timeline"), "GET", PORT_IN + "/timeline", 200)
    assert rejected.json()["data"]["rejection"]["code"] == "LOA_ILLEGIBLE"
    documented(client.get(f"{PI}/{manual}"), "GET", PORT_IN, 200)
    post(supplement, f"{PI}/{manual}/supplement", {"loaFileUrl": "https://example.com/loa.pdf"}, 422)
    post(supplement, f"{PI}/{manual}/supplement", {"numbers": ["+12015550125"]}, 422)
    post(supplement, f"{PI}/{manual}/supplement", {"accountNumber": "A-2", "note": "fixed"}, 200)
    post(supplement, f"{PI}/{manual}/supplement", {}, 404, api=other)
    documented(client.post(f"{PI}/{manual}/supplement", b"{", content_type="application/json"), "POST",
               supplement, 400)
    documented(client.delete(f"{PI}/{manual}"), "DELETE", PORT_IN, 200)
    documented(client.delete(f"{PI}/{manual}"), "DELETE", PORT_IN, 409)
    documented(other.delete(f"{PI}/{port_id}"), "DELETE", PORT_IN, 404)
    documented(client.delete(f"{PI}/{port_id}", HTTP_IDEMPOTENCY_KEY=""), "DELETE", PORT_IN, 422)

    # Port-Out Protection and a single port-out, with the PIN gate and its lockout
    def own(e164: str | None = None):
        row = make_number("US", e164=e164) if e164 else make_number("US")
        return number_purchase(organization=org, phone_number=row.e164, country_code="US")

    protected = own()
    shield = f"/api/v1/numbers/{protected.id}/port-out-protection"
    protection = NUMBER + "/port-out-protection"
    documented(client.get(shield), "GET", protection, 200)
    post(protection, shield, {"port_out_pin": "12"}, 422)
    post(protection, shield, {"port_out_pin": "s3cret-Pin"}, 201)
    documented(client.get(shield), "GET", protection, 200)
    documented(other.get(shield), "GET", protection, 404)
    documented(client.post(shield, b"{", content_type="application/json"), "POST", protection, 400)
    single = NUMBER + "/port-out"
    out_body = {"losing_carrier_account_number": "ORB-1", "authorized_person": "Jo Doe", "target_carrier_ocn": "6529"}
    mismatch = post(single, f"/api/v1/numbers/{protected.id}/port-out", out_body, 401)
    assert mismatch.json()["error"]["code"] == "PORT_OUT_PIN_MISMATCH"
    for _ in range(5):  # wrong PINs (a missing one does not count) lock port-outs of the number
        post(single, f"/api/v1/numbers/{protected.id}/port-out", {**out_body, "port_out_pin": "wrong"}, 401)
    post(single, f"/api/v1/numbers/{protected.id}/port-out", {**out_body, "port_out_pin": "s3cret-Pin"}, 429)
    PortOutProtection.objects.filter(number=protected).update(locked_until=None)
    post(single, f"/api/v1/numbers/{protected.id}/port-out", {**out_body, "port_out_pin": "s3cret-Pin"}, 201)
    post(single, f"/api/v1/numbers/{protected.id}/port-out", {**out_body, "port_out_pin": "s3cret-Pin"}, 409)
    post(single, f"/api/v1/numbers/{protected.id}/port-out", {**out_body, "target_carrier_ocn": "65"}, 422)
    post(single, "/api/v1/numbers/num_00000000000000000000/port-out", out_body, 404)
    documented(client.post(f"/api/v1/numbers/{protected.id}/port-out", b"{", content_type="application/json"),
               "POST", single, 400)
    plain = own()
    documented(client.delete(f"/api/v1/numbers/{plain.id}/port-out-protection"), "DELETE", protection, 200)
    # changing or removing a PIN presents the current one, through the same lockout
    guarded = own()
    guard = f"/api/v1/numbers/{guarded.id}/port-out-protection"
    post(protection, guard, {"port_out_pin": "s3cret-Pin"}, 201)
    documented(client.delete(guard, b"{", content_type="application/json"), "DELETE", protection, 400)
    documented(client.delete(guard, {"port_out_pin": 1234}, format="json"), "DELETE", protection, 422)
    post(protection, guard, {"port_out_pin": "new-Pin-1"}, 401)
    post(protection, guard, {"port_out_pin": "new-Pin-1", "current_port_out_pin": "wrong"}, 401)
    for _ in range(3):
        documented(client.delete(guard, {"port_out_pin": "wrong"}, format="json"), "DELETE", protection, 401)
    documented(client.delete(guard, {"port_out_pin": "s3cret-Pin"}, format="json"), "DELETE", protection, 429)
    post(protection, guard, {"port_out_pin": "new-Pin-1", "current_port_out_pin": "s3cret-Pin"}, 429)
    PortOutProtection.objects.filter(number=guarded).update(locked_until=None)
    post(protection, guard, {"port_out_pin": "new-Pin-1", "current_port_out_pin": "s3cret-Pin"}, 201)
    documented(client.delete(guard, {"port_out_pin": "new-Pin-1"}, format="json"), "DELETE", protection, 200)
    documented(other.delete(f"/api/v1/numbers/{plain.id}/port-out-protection"), "DELETE", protection, 404)

    # batch port-outs: pending, listed, refreshed, cancelled; and one the carrier rejects
    batch = post(PO, PO, {"numbers": [plain.e164], "destinationCarrier": "Verizon"}, 201).json()["data"]["id"]
    post(PO, PO, {"numbers": ["+12015550111"], "destinationCarrier": "Verizon"}, 422)  # not ours
    post(PO, PO, {"numbers": [plain.e164], "destinationCarrier": "Verizon"}, 403, api=reader)
    documented(client.post(PO, b"{", content_type="application/json"), "POST", PO, 400)
    documented(client.get(PO), "GET", PO, 200)
    documented(client.get(PO, {"status": "nope"}), "GET", PO, 422)
    documented(client.get(f"{PO}/{batch}"), "GET", PORT_OUT, 200)
    documented(other.get(f"{PO}/{batch}"), "GET", PORT_OUT, 404)
    documented(client.post(f"{PO}/{batch}/refresh"), "POST", PORT_OUT + "/refresh", 200)
    documented(other.post(f"{PO}/{batch}/refresh"), "POST", PORT_OUT + "/refresh", 404)
    documented(client.delete(f"{PO}/{batch}"), "DELETE", PORT_OUT, 200)
    documented(client.delete(f"{PO}/{batch}"), "DELETE", PORT_OUT, 409)
    documented(client.post(f"{PO}/{batch}/refresh"), "POST", PORT_OUT + "/refresh", 409)
    documented(other.delete(f"{PO}/{batch}"), "DELETE", PORT_OUT, 404)
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_PORT_STAGE_SECONDS": 0}
    doomed = own("+12015550402")  # the simulated carrier rejects port-outs of …0402
    rejection = post(PO, PO, {"numbers": [doomed.e164], "destinationCarrier": "Verizon"}, 201).json()["data"]
    assert rejection["rejection"]["code"] == "PASSCODE_PIN_INVALID"
    completed = post(PO, PO, {"numbers": [own().e164], "destinationCarrier": "V"}, 201).json()["data"]
    assert completed["status"] == "completed" and completed["completed_at"]

    # Every documented success was seen for real.
    successes = {(template, method, min(statuses)) for (template, method), (_, statuses) in PORTING_OPERATIONS.items()}
    assert successes <= seen, sorted(successes - seen)


def test_export_documents_the_list_filters_its_format_and_both_bodies(schema):
    operation = schema["paths"]["/api/v1/numbers/export"]["get"]
    query = parameters(operation)
    listing = parameters(schema["paths"]["/api/v1/numbers"]["get"])
    assert set(query) == (set(listing) - {"cursor", "limit"}) | {"format"}  # the list's FilterSet, unpaginated
    assert query["format"]["schema"]["enum"] == ["csv", "json"]
    assert query["status"]["schema"]["enum"] == ["active", "inactive", "regulatory_hold", "porting_out", "suspended"]
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
                               get=response.get, json=lambda: json.loads(content))

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


# --- buy-bulk, bulk reservations and assign orders ----------------------------------------------------

BULK_MODULES = ("inventory.api.bulk", "inventory.api.reservations", "inventory.api.orders")
# Every status each operation can return (the tests below provoke each one and validate its body).
BULK_OPERATIONS = {
    ("/api/v1/numbers/buy-bulk", "post"): ("numbers_buy_bulk", {200, 400, 401, 402, 403, 409, 413, 422, 429}),
    ("/api/v1/numbers/orders", "post"): ("numbers_orders_create", {201, 400, 401, 402, 403, 409, 413, 422, 429}),
    ("/api/v1/numbers/bulk-reserve", "get"): ("numbers_bulk_reserve_list", {200, 401, 403, 422, 429}),
    ("/api/v1/numbers/bulk-reserve", "post"): ("numbers_bulk_reserve_create",
                                               {201, 400, 401, 403, 409, 413, 422, 429}),
    ("/api/v1/numbers/bulk-reserve/{reservation_id}", "get"): (
        "numbers_bulk_reserve_retrieve", {200, 401, 403, 404, 429}),
    ("/api/v1/numbers/bulk-reserve/{reservation_id}/finalize", "post"): (
        "numbers_bulk_reserve_finalize", {200, 400, 401, 402, 403, 404, 409, 422, 429}),
    ("/api/v1/numbers/bulk-reserve/{reservation_id}/cancel", "post"): (
        "numbers_bulk_reserve_cancel", {200, 400, 401, 403, 404, 409, 422, 429}),
}


def test_bulk_modules_generate_without_warnings_and_type_every_operation(db):
    schema, problems = generate([path("api/v1/", include(module)) for module in BULK_MODULES])
    assert problems == ""
    validate_schema(schema)
    found = {(template, method) for template, methods in schema["paths"].items() for method in methods}
    assert found == set(BULK_OPERATIONS)
    for (template, method), (operation_id, statuses) in BULK_OPERATIONS.items():
        where = f"{method.upper()} {template}"
        operation = schema["paths"][template][method]
        assert operation["operationId"] == operation_id and operation["tags"] == ["numbers"], where
        assert operation.get("summary"), where
        assert {int(status) for status in operation["responses"]} == statuses, where
        success = next(int(code) for code in operation["responses"] if code.startswith("2"))
        body = json_body(schema, operation, success)
        assert set(body["required"]) == {"data", "meta"}, where
        data = resolve(schema, body["properties"]["data"])
        typed = data if data.get("type") != "array" else resolve(schema, data["items"])
        assert typed.get("properties"), where  # a typed object (or a list of them), never a bare object
        for status, response in operation["responses"].items():
            assert "X-Request-Id" in response["headers"], f"{where} {status}"
            if not status.startswith("2"):
                assert "ErrorEnvelope" in str(response["content"]), f"{where} {status}"
        assert "Retry-After" in operation["responses"]["429"]["headers"], where
        idempotent = "Idempotency-Key" in parameters(operation, "header")
        assert idempotent == (method == "post"), where  # every POST here is @idempotent
        if method == "post" and template.endswith(("/finalize", "/cancel")):
            assert "requestBody" not in operation, where  # no body (an empty object is tolerated)
        elif method == "post":
            request = resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])
            assert request["additionalProperties"] is False, where


def test_insufficient_inventory_carries_typed_data(schema):
    for template, fields in (("/api/v1/numbers/orders", {"available_count", "unavailable"}),
                             ("/api/v1/numbers/bulk-reserve", {"available_count", "requested"})):
        response = schema["paths"][template]["post"]["responses"]["409"]
        assert response["description"].startswith("INSUFFICIENT_INVENTORY, IDEMPOTENCY_CONFLICT, CONFLICT:")
        envelope_ = resolve(schema, response["content"]["application/json"]["schema"])
        assert envelope_["required"] == ["error"]  # an IDEMPOTENCY_CONFLICT has no data
        data = resolve(schema, envelope_["properties"]["data"])
        assert set(data["required"]) == fields, template


def test_bulk_request_bodies_say_what_they_accept(schema):
    def body(template):
        operation = schema["paths"][template]["post"]
        return resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])

    buy = body("/api/v1/numbers/buy-bulk")
    assert (buy["properties"]["items"]["minItems"], buy["properties"]["items"]["maxItems"]) == (1, 50)
    item = resolve(schema, buy["properties"]["items"]["items"])
    assert item["required"] == ["phone_number"] and item["additionalProperties"] is False
    assert item["properties"]["phone_number"]["example"] == "+14155550100"
    assert item["properties"]["id"]["minLength"] == 1

    reserve = body("/api/v1/numbers/bulk-reserve")
    assert set(reserve["required"]) == {"country", "quantity"}
    assert (reserve["properties"]["quantity"]["minimum"], reserve["properties"]["quantity"]["maximum"]) == (1, 1000)
    assert reserve["properties"]["area_code"]["pattern"] == "^[0-9]{2,5}$"
    assert reserve["properties"]["capabilities"]["example"] == "sms,voice"

    order = body("/api/v1/numbers/orders")
    assert (order["properties"]["numbers"]["minItems"], order["properties"]["numbers"]["maxItems"]) == (1, 100)
    assert order["properties"]["campaign_id"]["minLength"] == 1


def test_bulk_reserve_list_documents_its_filter_and_pages(schema):
    operation = schema["paths"]["/api/v1/numbers/bulk-reserve"]["get"]
    query = parameters(operation)
    assert set(query) == {"status", "cursor", "limit"}
    assert sorted(query["status"]["schema"]["enum"]) == sorted(
        ["ready", "partial", "finalizing", "finalized", "cancelled", "expired"])
    assert query["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
    meta = resolve(schema, json_body(schema, operation, 200)["properties"]["meta"])
    assert "pagination" in meta["required"]


def check_each(schema, method: str, template: str, cases) -> None:
    """Send each request in turn (a fresh rate-limit window for each), expect its status, validate it."""
    from django.core.cache import cache

    for send, status in cases:
        cache.clear()
        response = send()
        assert response.status_code == status, response.content
        assert_documented(schema, response, method, template)


def test_buy_bulk_and_orders_responses_match_the_schema(schema, make_org, make_client, make_number):
    from django.core.cache import cache

    org = make_org("Bulk buyer", credit_cents=100_00)
    client, reader, poor = make_client(org), make_client(org, ["numbers:read"]), make_client(make_org("Poor"))
    rows = [make_number("US") for _ in range(6)]
    failing = make_number("US", e164="+12015559999")  # the simulator refuses it
    buy_bulk = "/api/v1/numbers/buy-bulk"

    bought = client.post(buy_bulk, {"items": [{"phone_number": rows[0].e164}, {"phone_number": failing.e164},
                                              {"phone_number": "+12015550998"}]},
                         format="json", HTTP_IDEMPOTENCY_KEY="bulk-1")
    assert bought.status_code == 200, bought.content
    data = bought.json()["data"]
    assert len(data["succeeded"]) == 1 and {row["code"] for row in data["failed"]} == {"CARRIER_REJECTED",
                                                                                       "NOT_FOUND"}
    assert data["succeeded"][0]["charged_cents"] == 250
    assert_documented(schema, bought, "POST", buy_bulk)
    check_each(schema, "POST", buy_bulk, [
        (lambda: client.post(buy_bulk, {"items": [{"phone_number": rows[1].e164}]}, format="json",
                             HTTP_IDEMPOTENCY_KEY="bulk-1"), 409),
        (lambda: client.post(buy_bulk, {"items": []}, format="json"), 422),
        (lambda: client.post(buy_bulk, b"{not json", content_type="application/json"), 400),
        (lambda: poor.post(buy_bulk, {"items": [{"phone_number": rows[1].e164}]}, format="json"), 402),
        (lambda: APIClient().post(buy_bulk, {}, format="json"), 401),
        (lambda: reader.post(buy_bulk, {}, format="json"), 403)])
    cache.clear()
    client.post(buy_bulk, {"items": [{"phone_number": rows[1].e164}]}, format="json")
    client.post(buy_bulk, {"items": [{"phone_number": rows[2].e164}]}, format="json")
    limited = client.post(buy_bulk, {"items": [{"phone_number": rows[3].e164}]}, format="json")
    assert limited.status_code == 429  # 2 a minute
    assert_documented(schema, limited, "POST", buy_bulk)

    orders = "/api/v1/numbers/orders"
    ordered = client.post(orders, {"numbers": [rows[4].e164], "inbound_url": "https://customer.example/in",
                                   "label": "support"}, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    assert ordered.status_code == 201, ordered.content
    assert_documented(schema, ordered, "POST", orders)
    short = client.post(orders, {"numbers": [rows[4].e164, rows[5].e164]}, format="json")
    assert short.status_code == 409 and short.json()["data"] == {"available_count": 1, "unavailable": [rows[4].e164]}
    assert_documented(schema, short, "POST", orders)
    check_each(schema, "POST", orders, [
        (lambda: client.post(orders, {"numbers": [rows[5].e164]}, format="json", HTTP_IDEMPOTENCY_KEY="order-1"),
         409),
        (lambda: client.post(orders, {"numbers": [rows[5].e164], "campaign_id": "cmp_nope"}, format="json"), 422),
        (lambda: client.post(orders, b"[", content_type="application/json"), 400),
        (lambda: poor.post(orders, {"numbers": [rows[5].e164]}, format="json"), 402),
        (lambda: APIClient().post(orders, {}, format="json"), 401),
        (lambda: reader.post(orders, {}, format="json"), 403)])
    assert_default_budget_applies(schema, client, orders, {"numbers": [rows[5].e164]})


def assert_default_budget_applies(schema, client, url: str, body: dict) -> None:
    """Besides any limit of its own, an operation spends the per-key default budget: past it, 429."""
    from django.conf import settings
    from django.core.cache import cache
    from django.test import override_settings

    cache.clear()
    with override_settings(ORBIT={**settings.ORBIT, "DEFAULT_RATE_LIMIT_PER_MINUTE": 1}):
        assert client.get("/api/v1/billing/balance").status_code == 200  # the key's one request this minute
        limited = client.post(url, body, format="json")
    assert limited.status_code == 429, limited.content
    assert_documented(schema, limited, "POST", url)


def test_bulk_reserve_responses_match_the_schema(schema, make_org, make_client, make_number):
    from inventory.models import BulkReservation

    org = make_org("Reserver", credit_cents=100_00)
    client, reader, writer = make_client(org), make_client(org, ["numbers:read"]), make_client(org, ["numbers:write"])
    poor = make_client(make_org("Poor reserver", credit_cents=100))
    for _ in range(3):
        make_number("US", area_code="201")
    make_number("US", e164="+12015559999", area_code="201", monthly_cents=100)  # refused at finalize; cheapest
    reserve = "/api/v1/numbers/bulk-reserve"
    detail = reserve + "/{reservation_id}"

    created = client.post(reserve, {"country": "US", "quantity": 3, "area_code": "201", "capabilities": "sms"},
                          format="json", HTTP_IDEMPOTENCY_KEY="reserve-1")
    assert created.status_code == 201, created.content
    assert created.json()["data"]["area_code"] == "201" and created.json()["data"]["name_pattern"] is None
    assert_documented(schema, created, "POST", reserve)
    limited = client.post(reserve, {"country": "US", "quantity": 1}, format="json")
    assert limited.status_code == 429  # 1 a minute
    assert_documented(schema, limited, "POST", reserve)
    check_each(schema, "POST", reserve, [
        (lambda: client.post(reserve, {"country": "CA", "quantity": 1}, format="json"), 409),  # nothing matches
        # GB local needs a compliance profile: refused before anything is looked for or held.
        (lambda: client.post(reserve, {"country": "GB", "quantity": 1}, format="json"), 422),
        (lambda: client.post(reserve, {"country": "US", "quantity": 2}, format="json",
                             HTTP_IDEMPOTENCY_KEY="reserve-1"), 409),
        (lambda: client.post(reserve, {"country": "US", "quantity": 0}, format="json"), 422),
        (lambda: client.post(reserve, b"{", content_type="application/json"), 400),
        (lambda: APIClient().post(reserve, {}, format="json"), 401),
        (lambda: reader.post(reserve, {}, format="json"), 403)])

    first = created.json()["data"]["id"]
    make_number("US")
    check_each(schema, "POST", reserve, [(lambda: poor.post(reserve, {"country": "US", "quantity": 1},
                                                            format="json"), 201)])
    poor_hold = BulkReservation.objects.exclude(organization=org).get().pk
    make_number("US")
    other = client.post(reserve, {"country": "US", "quantity": 5}, format="json").json()["data"]["id"]  # partial
    listing = client.get(reserve, {"limit": 1})
    assert listing.json()["meta"]["pagination"]["has_more"] is True
    assert_documented(schema, listing, "GET", reserve)
    check_each(schema, "GET", reserve, [
        (lambda: client.get(reserve, {"status": "partial"}), 200),
        (lambda: client.get(reserve, {"status": "held"}), 422),
        (lambda: APIClient().get(reserve), 401),
        (lambda: writer.get(reserve), 403)])
    check_each(schema, "GET", detail, [
        (lambda: client.get(f"{reserve}/{first}"), 200),
        (lambda: client.get(f"{reserve}/bres_nope"), 404),
        (lambda: APIClient().get(f"{reserve}/{first}"), 401),
        (lambda: writer.get(f"{reserve}/{first}"), 403)])

    finalized = client.post(f"{reserve}/{first}/finalize", format="json")
    assert finalized.status_code == 200, finalized.content
    items = finalized.json()["data"]["items"]
    assert {item["status"] for item in items} == {"purchased", "failed"}  # both shapes of an item's error
    assert_documented(schema, finalized, "POST", detail + "/finalize")
    check_each(schema, "POST", detail + "/finalize", [
        (lambda: client.post(f"{reserve}/{first}/finalize", format="json"), 409),  # already finalized
        (lambda: client.post(f"{reserve}/{other}/finalize", {"force": True}, format="json"), 422),
        (lambda: client.post(f"{reserve}/{other}/finalize", b"{", content_type="application/json"), 400),
        (lambda: client.post(f"{reserve}/bres_nope/finalize", format="json"), 404),
        (lambda: poor.post(f"{reserve}/{poor_hold}/finalize", format="json"), 402),
        (lambda: APIClient().post(f"{reserve}/{other}/finalize", format="json"), 401),
        (lambda: reader.post(f"{reserve}/{other}/finalize", format="json"), 403)])
    check_each(schema, "POST", detail + "/cancel", [
        (lambda: client.post(f"{reserve}/{other}/cancel", format="json"), 200),
        (lambda: client.post(f"{reserve}/{other}/cancel", format="json"), 409),
        (lambda: client.post(f"{reserve}/bres_nope/cancel", format="json"), 404),
        (lambda: client.post(f"{reserve}/{first}/cancel", {"x": 1}, format="json"), 422),
        (lambda: client.post(f"{reserve}/{first}/cancel", b"{", content_type="application/json"), 400),
        (lambda: APIClient().post(f"{reserve}/{other}/cancel", format="json"), 401),
        (lambda: reader.post(f"{reserve}/{other}/cancel", format="json"), 403)])


def test_a_trimmed_text_field_must_hold_a_non_whitespace_character(schema):
    """DRF trims, then refuses blank: a value of only whitespace (say a form feed) is 422, so the schema
    says so (pattern \\S) and clients and the fuzzer do not take it for valid."""
    supplement = schema["components"]["schemas"]["PortInSupplement"]["properties"]
    assert supplement["currentCarrier"]["pattern"] == r"\S"
    assert "pattern" not in supplement["accountNumber"]  # blank allowed: no pattern


def test_whitespace_only_is_refused_as_the_schema_says(client):
    response = client.post("/api/v1/numbers/compliance-profiles", {"name": "\f", "country": "GB"}, format="json")
    assert response.status_code == 422 and "name" in response.json()["error"]["details"]
