"""The JSON body parser of every endpoint: DRF's, plus the limits a JSON document must respect here.

- Nested deeper than ``MAX_DEPTH`` (or deep enough to exhaust the parser's recursion): 400 BAD_REQUEST.
- A NUL character (``\\u0000``) anywhere in a key or string: PostgreSQL text and jsonb cannot store
  it, so the body is refused up front with 422 VALIDATION_ERROR instead of failing at the database.
"""
from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from ..errors import ValidationFailed

MAX_DEPTH = 32


def check_json_document(data, *, max_depth: int = MAX_DEPTH) -> None:
    """Walk a parsed document without recursion; raise on excessive depth or a NUL character."""
    stack = [(data, 1, "body")]
    while stack:
        value, depth, where = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise ValidationFailed.field(where, "must not contain the NUL character (\\u0000)")
            continue
        if isinstance(value, (dict, list)):
            if depth > max_depth:
                raise ParseError(f"JSON nested deeper than {max_depth} levels")
            if isinstance(value, dict):
                for key, item in value.items():
                    name = key if where == "body" else f"{where}.{key}"
                    if "\x00" in key:
                        raise ValidationFailed.field(where, "keys must not contain the NUL character (\\u0000)")
                    stack.append((item, depth + 1, name))
            else:
                stack.extend((item, depth + 1, f"{where}[{index}]") for index, item in enumerate(value))


class OrbitJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels") from None
        check_json_document(data)
        return data
