"""OpenAPI ``links`` between operations, added to the generated schema by operationId.

A link says "the ``id`` in this response is the ``{number_id}`` of that operation". Client
generators and the docs show them, and the contract fuzzer (``make fuzz``, schemathesis) follows
them in its stateful phase: buy a number, then read, configure, route and release *that* number
instead of guessing ids that 404.

Registered in ``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``. The hook is deliberately
forgiving: a link whose source or target operation is missing (renamed, not mounted) is skipped,
and when a source's documented status differs from the one listed here the link is attached to the
operation's single 2xx response instead. Values use OpenAPI runtime expressions
(``$response.body#/json/pointer``); parameter names are qualified with their location.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


@dataclass(frozen=True)
class Link:
    source: str                      # operationId producing the value
    status: str                      # its response status carrying the value
    target: str                      # operationId consuming the value
    parameters: dict[str, str] = field(default_factory=dict)
    request_body: Any = None         # a JSON value whose strings may be runtime expressions
    description: str = ""

    @property
    def name(self) -> str:
        return self.target


def _fanout(source: str, status: str, pointer: str, param: str, targets: Iterable[str], what: str) -> list[Link]:
    return [Link(source, status, target, {param: f"$response.body#{pointer}"},
                 description=f"{what} {pointer} is {{{param.split('.', 1)[1]}}} of {target}")
            for target in targets]


NUMBER_BY_ID = ("numbers_retrieve", "numbers_update", "numbers_release", "number_port_out",
                "number_port_out_protection_get", "number_port_out_protection_set",
                "number_port_out_protection_disable", "numbers_health_retrieve")
NUMBER_BY_E164 = ("numbers_routing_retrieve", "numbers_routing_update")
RESERVATION = ("numbers_bulk_reserve_retrieve", "numbers_bulk_reserve_finalize", "numbers_bulk_reserve_cancel")
PORT_IN = ("porting_get", "porting_timeline", "porting_refresh", "porting_supplement", "porting_loa_upload",
           "porting_loa_sign", "porting_cancel")
PORT_OUT = ("porting_out_get", "porting_out_refresh", "porting_out_cancel")

LINKS: list[Link] = [
    # An owned number: bought one at a time, in bulk, or through an order. (No links from list operations:
    # an empty page has no /data/0, and the fuzzer gets real ids from its dictionaries instead.)
    *_fanout("numbers_purchase", "201", "/data/id", "path.number_id", NUMBER_BY_ID, "The bought number's"),
    *_fanout("numbers_purchase", "201", "/data/number", "path.phone_number", NUMBER_BY_E164, "The bought number's"),
    Link("numbers_purchase", "201", "porting_out_submit",
         request_body={"numbers": ["$response.body#/data/number"]},
         description="Port the bought number out"),
    *_fanout("numbers_orders_create", "201", "/data/0/id", "path.number_id", NUMBER_BY_ID,
             "The first ordered number's"),
    *_fanout("numbers_orders_create", "201", "/data/0/number", "path.phone_number", NUMBER_BY_E164,
             "The first ordered number's"),
    *_fanout("numbers_buy_bulk", "200", "/data/succeeded/0/id", "path.number_id", NUMBER_BY_ID,
             "The first bought number's"),
    *_fanout("numbers_buy_bulk", "200", "/data/succeeded/0/phone_number", "path.phone_number", NUMBER_BY_E164,
             "The first bought number's"),
    # Search → buy: the fuzzer buys numbers that really are on sale.
    Link("numbers_available_search", "200", "numbers_purchase",
         request_body={"phone_number": "$response.body#/data/numbers/0/phoneNumber"},
         description="Buy the first number found"),
    Link("numbers_available_search", "200", "numbers_buy_bulk",
         request_body={"items": [{"phone_number": "$response.body#/data/numbers/0/phoneNumber"}]},
         description="Buy the first number found in bulk"),
    Link("numbers_available_search", "200", "numbers_orders_create",
         request_body={"numbers": ["$response.body#/data/numbers/0/phoneNumber"]},
         description="Order the first number found"),
    # Bulk reservations.
    *_fanout("numbers_bulk_reserve_create", "201", "/data/id", "path.reservation_id", RESERVATION,
             "The new reservation's"),
    *_fanout("numbers_bulk_reserve_finalize", "200", "/data/items/0/number_id", "path.number_id", NUMBER_BY_ID,
             "The first finalized item's"),
    # Port-in: upload the LoA file, submit, follow the request.
    Link("files_upload", "201", "porting_submit", request_body={"loaFileUrl": "$response.body#/data/url"},
         description="Use the uploaded file as the LoA of a port-in"),
    *_fanout("porting_submit", "201", "/data/id", "path.port_request_id", PORT_IN, "The new port-in's"),
    # Port-out.
    *_fanout("porting_out_submit", "201", "/data/id", "path.port_out_id", PORT_OUT, "The new port-out's"),
    *_fanout("number_port_out", "201", "/data/id", "path.port_out_id", PORT_OUT, "The new port-out's"),
    # A trial loan: convert (or read, configure, release) the lent number.
    *_fanout("numbers_trial_borrow", "201", "/data/number_id", "path.number_id",
             ("numbers_trial_convert", "numbers_retrieve", "numbers_release"), "The lent number's"),
]


def _operations(schema: dict) -> dict[str, dict]:
    found = {}
    for path_item in (schema.get("paths") or {}).values():
        for method, operation in path_item.items():
            if method in HTTP_METHODS and isinstance(operation, dict) and operation.get("operationId"):
                found[operation["operationId"]] = operation
    return found


def _source_response(operation: dict, status: str) -> dict | None:
    """The response the link hangs on: the listed status, else the operation's only 2xx response."""
    responses = operation.get("responses") or {}
    if status in responses:
        return responses[status]
    successes = [code for code in responses if str(code).startswith("2")]
    if len(successes) == 1:
        return responses[successes[0]]
    return None


def _target_parameters(operation: dict) -> set[str]:
    return {f"{p.get('in')}.{p.get('name')}" for p in operation.get("parameters") or [] if isinstance(p, dict)}


def add_links(links: Iterable[Link], schema: dict) -> dict:
    """Add every applicable link to ``schema`` in place; returns it."""
    operations = _operations(schema)
    for link in links:
        source, target = operations.get(link.source), operations.get(link.target)
        if source is None or target is None:
            continue
        if not set(link.parameters) <= _target_parameters(target):
            continue  # the target no longer takes that parameter
        if link.request_body is not None and "requestBody" not in target:
            continue
        response = _source_response(source, link.status)
        if response is None or "$ref" in response:
            continue
        definition: dict[str, Any] = {"operationId": link.target}
        if link.parameters:
            definition["parameters"] = dict(link.parameters)
        if link.request_body is not None:
            definition["requestBody"] = link.request_body
        if link.description:
            definition["description"] = link.description
        response.setdefault("links", {}).setdefault(link.name, definition)
    return schema


def postprocess_schema_links(result, generator, request, public):
    """drf-spectacular postprocessing hook."""
    return add_links(LINKS, result)
