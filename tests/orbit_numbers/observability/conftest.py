"""Capture what the configured console handler writes, formatted as production does (LOG_FORMAT=json)."""
from __future__ import annotations

import io
import json
import logging

import pytest

from orbit_numbers.observability.logs import JsonLogFormatter, LogContextFilter


def console_handler() -> logging.StreamHandler:
    return next(handler for handler in logging.getLogger().handlers
                if any(isinstance(f, LogContextFilter) for f in handler.filters))


@pytest.fixture
def console_output():
    """Swap the console handler's stream; yields the StringIO (the handler keeps its formatter)."""
    handler = console_handler()
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


@pytest.fixture
def json_log(console_output):
    """Callable returning the JSON lines written so far (parsed)."""
    handler = console_handler()
    previous = handler.formatter
    handler.setFormatter(JsonLogFormatter())
    try:
        yield lambda: [json.loads(line) for line in console_output.getvalue().splitlines()]
    finally:
        handler.setFormatter(previous)
