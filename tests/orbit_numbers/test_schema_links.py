"""OpenAPI links (orbit_numbers/api/schema_links.py): create → get/act links are in the served schema,
point at operations that exist, use parameters those operations take, and the hook skips what it cannot
attach instead of breaking the schema."""
from __future__ import annotations

import copy
import re

import pytest
from django.conf import settings
from drf_spectacular.validation import validate_schema

from orbit_numbers.api.schema_links import LINKS, Link, add_links

EXPRESSION = re.compile(r"^\$response\.body#(/[^/]+)+$")


@pytest.fixture
def schema(db, served_schema) -> dict:
    return served_schema


def operations(schema: dict) -> dict[str, dict]:
    return {op["operationId"]: op for item in schema["paths"].values() for method, op in item.items()
            if isinstance(op, dict) and "operationId" in op}


def links_of(schema: dict) -> list[tuple[str, str, str, dict]]:
    found = []
    for operation_id, operation in operations(schema).items():
        for status, response in operation["responses"].items():
            for definition in response.get("links", {}).values():
                found.append((operation_id, status, definition["operationId"], definition))
    return found


def test_hook_is_registered_after_the_default_enum_hook():
    hooks = settings.SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]
    assert hooks[0] == "drf_spectacular.hooks.postprocess_schema_enums"
    assert "orbit_numbers.api.schema_links.postprocess_schema_links" in hooks


def test_schema_with_links_is_valid_openapi(schema):
    validate_schema(schema)


@pytest.mark.parametrize(("source", "status", "targets"), [
    ("numbers_purchase", "201", {"numbers_retrieve", "numbers_update", "numbers_release",
                                 "numbers_routing_retrieve", "numbers_routing_update"}),
    ("numbers_bulk_reserve_create", "201", {"numbers_bulk_reserve_retrieve", "numbers_bulk_reserve_finalize",
                                            "numbers_bulk_reserve_cancel"}),
    ("porting_submit", "201", {"porting_get", "porting_timeline", "porting_refresh", "porting_supplement",
                               "porting_loa_upload", "porting_cancel"}),
    ("porting_out_submit", "201", {"porting_out_get", "porting_out_cancel", "porting_out_refresh"}),
    ("numbers_available_search", "200", {"numbers_purchase"}),
    ("files_upload", "201", {"porting_submit"}),
])
def test_create_operations_link_to_their_follow_ups(schema, source, status, targets):
    op = operations(schema)[source]
    success = [code for code in op["responses"] if code.startswith("2")]
    # The link sits on the documented status, or on the only success response if that changed.
    response = op["responses"][status] if status in op["responses"] else op["responses"][success[0]]
    assert targets <= {definition["operationId"] for definition in response["links"].values()}


def test_purchase_links_pass_the_id_and_the_number(schema):
    links = operations(schema)["numbers_purchase"]["responses"]["201"]["links"]
    assert links["numbers_retrieve"]["parameters"] == {"path.number_id": "$response.body#/data/id"}
    assert links["numbers_routing_update"]["parameters"] == {"path.phone_number": "$response.body#/data/number"}


def test_every_link_targets_an_existing_operation_and_parameter(schema):
    ops = operations(schema)
    found = links_of(schema)
    assert len(found) >= 40
    for source, status, target, definition in found:
        assert target in ops, f"{source} {status} links to missing {target}"
        taken = {f"{p['in']}.{p['name']}" for p in ops[target].get("parameters", [])}
        for name, expression in definition.get("parameters", {}).items():
            assert name in taken, f"{source} → {target}: {target} takes no {name}"
            assert EXPRESSION.match(expression), expression
        if "requestBody" in definition:
            assert "requestBody" in ops[target], f"{source} → {target}: {target} takes no body"


def test_every_declared_link_whose_operations_exist_is_present(schema):
    ops = operations(schema)
    present = {(source, target) for source, _, target, _ in links_of(schema)}
    for link in LINKS:
        if link.source in ops and link.target in ops:
            assert (link.source, link.target) in present, link


def test_links_to_missing_operations_are_skipped(schema):
    pristine = copy.deepcopy(schema)
    for operation in operations(pristine).values():
        for response in operation["responses"].values():
            response.pop("links", None)
    result = add_links([
        Link("numbers_purchase", "201", "no_such_operation", {"path.id": "$response.body#/data/id"}),
        Link("no_such_source", "200", "numbers_retrieve", {"path.number_id": "$response.body#/data/id"}),
        Link("numbers_purchase", "201", "numbers_retrieve", {"path.nope": "$response.body#/data/id"}),
        Link("numbers_purchase", "201", "numbers_retrieve", {"path.number_id": "$response.body#/data/id"}),
    ], pristine)
    assert [(s, t) for s, _, t, _ in links_of(result)] == [("numbers_purchase", "numbers_retrieve")]


def test_a_changed_success_status_keeps_the_link():
    schema = {"paths": {
        "/a": {"post": {"operationId": "make", "responses": {"200": {"description": "ok"}, "422": {}}}},
        "/a/{a_id}": {"get": {"operationId": "read", "parameters": [{"in": "path", "name": "a_id"}],
                              "responses": {"200": {"description": "ok"}}}},
    }}
    add_links([Link("make", "201", "read", {"path.a_id": "$response.body#/data/id"})], schema)
    assert schema["paths"]["/a"]["post"]["responses"]["200"]["links"]["read"]["operationId"] == "read"
    assert "links" not in schema["paths"]["/a"]["post"]["responses"]["422"]
