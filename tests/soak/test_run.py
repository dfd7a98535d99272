"""The soak's client rules and its RELIABILITY.md writer (the soak itself runs as `make soak`)."""
from __future__ import annotations

import requests

from soak.reliability import BEGIN, END, reliability_update
from soak.run import is_in_progress


def response(status: int, body: bytes) -> requests.Response:
    answer = requests.Response()
    answer.status_code, answer._content = status, body
    return answer


def test_only_an_in_progress_idempotency_conflict_is_retried():
    assert is_in_progress(response(409, b'{"error": {"code": "CONFLICT", "message": '
                                        b'"A request with this Idempotency-Key is still in progress."}}'))
    assert is_in_progress(response(409, b'{"error": {"code": "IDEMPOTENCY_IN_PROGRESS", "message": "x"}}'))
    # A number someone else bought first is an answer, not a reason to retry.
    assert not is_in_progress(response(409, b'{"error": {"code": "CONFLICT", "message": "not available"}}'))
    assert not is_in_progress(response(409, b'{"error": {"code": "IDEMPOTENCY_CONFLICT", "message": "x"}}'))
    assert not is_in_progress(response(200, b'{"data": {"message": "in progress"}}'))
    assert not is_in_progress(response(409, b"<html>"))


SUMMARY = {
    "started_at": "2026-01-01T00:00:00+00:00",
    "config": {"seconds": 120, "clients": 16, "orgs": 4, "web_threads": 4, "worker_concurrency": 2,
               "latency_ms": 50, "fail_suffixes": "07", "numbers": 100, "seed": 7},
    "load_seconds": 120.0, "requests": 3, "requests_per_second": 0.1,
    "by_kind": {"purchase": {"requests": 3, "statuses": {"201": 2, "409": 1}, "p50_ms": 10, "p95_ms": 20,
                             "connection_retries": 1, "in_progress_retries": 0, "replayed_after_retry": 1}},
    "kills": [{"process": "web0", "at_s": 48.0, "back_after_s": 4.0}],
    "settled": {"reconcile_carrier_orders": "ran"},
    "invariants": {"numbers owned twice": 0, "idempotency keys stuck in progress": 1},
    "violations": {"idempotency keys stuck in progress": 1},
    "details": {"idempotency keys stuck in progress": ["org_1 soak-abc since 00:00:01"]},
}


def test_the_figures_replace_only_the_marked_part_of_reliability_md(tmp_path):
    path = tmp_path / "RELIABILITY.md"
    path.write_text(f"# Reliability\n\nprose stays\n\n{BEGIN}\nold figures\n{END}\n\nmore prose\n")
    reliability_update(path, SUMMARY)
    text = path.read_text()
    assert "old figures" not in text and "prose stays" in text and text.endswith("\nmore prose\n")
    assert "SOAK_SECONDS=120 SOAK_CLIENTS=16 SOAK_SEED=7 make soak" in text
    assert "| purchase | 3 | 10 | 20 | 1 | 0 | 1 | 201: 2, 409: 1 |" in text
    assert "| idempotency keys stuck in progress | 1 |" in text and "`org_1 soak-abc since 00:00:01`" in text
    assert "**FAIL**" in text
    reliability_update(path, {**SUMMARY, "violations": {}, "details": {}})
    assert path.read_text().count(BEGIN) == 1 and "**PASS**" in path.read_text()
