"""Log lines that say which request or task they belong to.

The filter sits on the handler, so it stamps every record that reaches it, whichever logger emitted
it (Django's, Celery's, a library's): ``request_id`` from the context the RequestIdMiddleware sets,
``task_id`` from Celery's current task (also for tasks run eagerly inside a request). Django
logs a request's 4xx/5xx (``django.request``, tracebacks included) after the middleware has
returned, so there the id comes from the request the record carries.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from celery import current_task
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from ..context import current_request_id

JSON_FIELDS = ["asctime", "levelname", "name", "message", "request_id", "task_id"]
JSON_RENAMES = {"asctime": "timestamp", "levelname": "level", "name": "logger"}


def current_task_id() -> str:
    if not current_task:  # a proxy: false outside a task
        return ""
    return current_task.request.id or ""


class LogContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = current_request_id.get() or getattr(getattr(record, "request", None),
                                                                    "request_id", "")
        if not getattr(record, "task_id", ""):
            record.task_id = current_task_id()
        parts = [record.request_id, f"task={record.task_id}" if record.task_id else ""]
        record.log_context = " ".join(part for part in parts if part) or "-"
        return True


class JsonLogFormatter(JsonFormatter):
    """One JSON object per line: timestamp, level, logger, message, request_id, task_id, then any
    ``extra`` fields of the record (the access log's method, route, status …)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", JSON_FIELDS)
        kwargs.setdefault("rename_fields", JSON_RENAMES)
        # Django attaches the request object to its records: its repr holds the query string,
        # where signed file URLs keep their signature. The id above is what identifies it.
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "log_context", "request"])
        super().__init__(*args, **kwargs)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        # ISO 8601 in UTC with milliseconds, whatever the host's time zone.
        return datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(timespec="milliseconds")
