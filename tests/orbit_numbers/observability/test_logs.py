"""Every log line says which request or Celery task it belongs to; LOG_FORMAT=json writes JSON lines."""
from __future__ import annotations

import logging

import pytest
from django.conf import settings
from django.test import Client

from orbit_numbers.celery import app as celery_app

from .conftest import console_handler

TEST_URLS = "tests.orbit_numbers.testing_urls"
task_logger = logging.getLogger("tests.observability.task")


@celery_app.task(name="tests.observability.log_from_task")
def log_from_task() -> str:
    task_logger.info("working on it")
    return "done"


@pytest.mark.urls(TEST_URLS)
def test_every_line_of_a_request_carries_its_request_id(org, make_client, json_log):
    client = make_client(org)
    client.raise_request_exception = False
    response = client.get("/api/v1/_test/crash")
    assert response.status_code == 500
    request_id = response["X-Request-Id"]

    lines = json_log()
    by_logger = {line["logger"]: line for line in lines}
    # Ours (the access line), the API's crash report and Django's own 5xx line (logged after the
    # middleware returned), each with the same id; the traceback travels in the JSON line.
    assert {"orbit_numbers.access", "django.request"} <= set(by_logger)
    assert len(lines) >= 3
    assert {line["request_id"] for line in lines} == {request_id}
    assert any("RuntimeError" in line.get("exc_info", "") for line in lines)


def test_json_lines_have_the_documented_fields(db, json_log):
    response = Client().get("/healthz", HTTP_X_REQUEST_ID="req-from-the-load-balancer")
    [line] = json_log()
    assert set(line) >= {"timestamp", "level", "logger", "message", "request_id", "task_id"}
    assert line["timestamp"].endswith("+00:00") and line["level"] == "INFO"
    assert line["request_id"] == response["X-Request-Id"] == "req-from-the-load-balancer"
    assert line["task_id"] == ""


def test_the_request_object_django_attaches_is_not_dumped(db, json_log):
    """Its repr holds the query string, where signed file URLs carry their signature."""
    Client().get("/no-such-page?signature=s3cr3t-signature")
    output = str(json_log())
    assert "Not Found: /no-such-page" in output
    assert "s3cr3t-signature" not in output


def test_task_lines_carry_the_task_id(db, json_log):
    result = log_from_task.delay()
    [line] = [line for line in json_log() if line["logger"] == task_logger.name]
    assert line["message"] == "working on it"
    assert line["task_id"] == result.id and result.id


def test_a_task_run_inside_a_request_carries_both_ids(db, json_log):
    from orbit_numbers.context import current_request_id

    token = current_request_id.set("req_outer-request-1")
    try:
        result = log_from_task.delay()
    finally:
        current_request_id.reset(token)
    [line] = [line for line in json_log() if line["logger"] == task_logger.name]
    assert (line["request_id"], line["task_id"]) == ("req_outer-request-1", result.id)


def test_people_read_text_by_default_with_the_request_id(db, console_output):
    handler = console_handler()
    previous = handler.formatter
    handler.setFormatter(logging.Formatter(settings.LOGGING["formatters"]["text"]["format"]))
    try:
        response = Client().get("/healthz")
    finally:
        handler.setFormatter(previous)
    line = console_output.getvalue().strip()
    assert f"INFO orbit_numbers.access [{response['X-Request-Id']}] GET /healthz 200" in line
