"""Everything under /api/ answers the JSON envelope, whatever the method, path or failure: no CSRF, 405,
400, debug or redirect page (orbit_numbers/api/middleware.py and handlers.py). /api/docs/ and
/api/redoc/ are the two pages for people: HTML when they succeed, JSON when they refuse."""
from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from .test_envelope import TEST_URLS, assert_json_error

DOWNLOAD = "/api/v1/files/file_00000000000000000000/content?token=forged"


@pytest.mark.parametrize("method, status, code", [
    ("POST", 405, "METHOD_NOT_ALLOWED"), ("PUT", 405, "METHOD_NOT_ALLOWED"), ("PATCH", 405, "METHOD_NOT_ALLOWED"),
    ("DELETE", 405, "METHOD_NOT_ALLOWED"), ("PROPFIND", 405, "METHOD_NOT_ALLOWED"), ("GET", 403, "FORBIDDEN"),
])
def test_every_method_on_a_signed_download_answers_json(db, method, status, code):
    for client in (APIClient(), Client(enforce_csrf_checks=True)):  # a browser with CSRF checks on, too
        assert_json_error(client.generic(method, DOWNLOAD, HTTP_ACCEPT="text/html"), status, code)


def test_head_on_a_signed_download_is_a_json_403(db):
    response = Client(enforce_csrf_checks=True).head(DOWNLOAD, HTTP_ACCEPT="text/html")
    assert response.status_code == 403 and response["Content-Type"] == "application/json"


@pytest.mark.parametrize("debug", [False, True])
def test_no_trailing_slash_redirect_under_api(db, settings, debug):
    settings.DEBUG = debug  # in DEBUG, Django's redirect of a POST raised RuntimeError (a 500 page)
    client = APIClient(raise_request_exception=False)
    for method in ("GET", "POST"):
        assert_json_error(client.generic(method, "/api/v1/schema"), 404, "NOT_FOUND")
    # People type the docs address by hand; the admin is not the API.
    assert client.get("/api/docs")["Location"] == "/api/docs/"
    assert client.get("/admin")["Location"] == "/admin/"


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/", "/api/v1/schema/"])
def test_docs_and_schema_refuse_other_methods_in_json(db, path):
    response = assert_json_error(APIClient().post(path), 405, "METHOD_NOT_ALLOWED")
    assert response["error"]["message"]
    assert "GET" in APIClient().put(path)["Allow"]


def test_the_docs_page_itself_is_html(db):
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")


def test_a_disallowed_host_is_a_json_400_under_api_only(db):
    assert_json_error(APIClient().get("/api/v1/numbers", HTTP_HOST="evil.example"), 400, "BAD_REQUEST")
    page = Client().get("/admin/login/", HTTP_HOST="evil.example")
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")


def test_debug_pages_never_reach_an_api_client(db, settings):
    settings.DEBUG = True
    assert_json_error(APIClient().get("/api/v1/nothing-here"), 404, "NOT_FOUND")
    assert_json_error(APIClient().delete("/api/docs/"), 405, "METHOD_NOT_ALLOWED")


@pytest.mark.urls(TEST_URLS)
def test_plain_django_views_under_api_answer_json(db, settings):
    client = APIClient(raise_request_exception=False)
    assert_json_error(client.get("/api/v1/_test/denied"), 403, "FORBIDDEN")
    assert_json_error(client.get("/api/v1/_test/suspicious"), 400, "BAD_REQUEST")
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    big_form = client.post("/api/v1/_test/form", "a=" + "x" * 2048, content_type="application/x-www-form-urlencoded")
    assert_json_error(big_form, 413, "PAYLOAD_TOO_LARGE")


@pytest.mark.urls(TEST_URLS)
def test_a_csrf_failure_is_json_under_api_and_django_s_page_elsewhere(db):
    browser = Client(enforce_csrf_checks=True)
    assert_json_error(browser.post("/api/v1/_test/form", {"a": "b"}), 403, "FORBIDDEN")
    page = browser.post("/_test/form", {"a": "b"})
    assert page.status_code == 403 and b"CSRF" in page.content
