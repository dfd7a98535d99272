"""One access log line per request: method, route pattern, status, duration, request id, organisation;
never the path's ids, the query string, headers or bodies."""
from __future__ import annotations

import pytest
from django.test import Client

UNKNOWN_NUMBER = "num_" + "a" * 20


def access_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == "orbit_numbers.access"]


def test_one_access_line_per_request_with_route_status_duration_and_organisation(org, make_client, json_log):
    client = make_client(org)
    response = client.get(f"/api/v1/numbers/{UNKNOWN_NUMBER}")
    assert response.status_code == 404

    [line] = access_lines(json_log())
    assert line["http_method"] == "GET"
    assert line["route"] == "/api/v1/numbers/<number_id:number_id>"  # the pattern, not the number's id
    assert line["status"] == 404
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["org_id"] == org.pk
    assert line["request_id"] == response["X-Request-Id"]
    assert line["message"].startswith("GET /api/v1/numbers/<number_id:number_id> 404 ")


def test_access_line_never_holds_keys_query_strings_or_bodies(org, make_client, json_log):
    client = make_client(org, bearer=True)
    client.get("/api/v1/numbers?signature=query-secret-1")
    client.post(f"/api/v1/numbers/{UNKNOWN_NUMBER}/port-out-protection", {"port_out_pin": "pin-secret-2"}, format="json")
    output = str(access_lines(json_log()))
    assert client.raw_key not in output
    assert "query-secret-1" not in output and "pin-secret-2" not in output


@pytest.mark.parametrize(("path", "route"), [
    ("/static/admin/css/base.css", "/static/*"),
    ("/healthz", "/healthz"),
    ("/no/such/page/4711", "<unmatched>"),
    ("/admin/login/", "/admin/login/"),
])
def test_requests_without_a_view_are_labelled_without_their_path(db, json_log, path, route):
    Client().get(path)
    [line] = access_lines(json_log())
    assert line["route"] == route
    assert line["org_id"] is None
