"""Group a schemathesis run's failures by operation and check (reads the NDJSON event report).

Usage: summarize.py REPORT_DIR  → prints a compact summary; also writes REPORT_DIR/failures.json.
One line per (operation, check, kind of failure) with how many test cases hit it, then one example
request (and response) per group, server errors first.
"""
from __future__ import annotations

import base64
import json
import sys
from collections import defaultdict
from pathlib import Path

SEVERITY_ORDER = ["not_a_server_error", "response_schema_conformance", "status_code_conformance",
                  "content_type_conformance", "response_headers_conformance", "negative_data_rejection",
                  "positive_data_acceptance", "missing_required_header", "use_after_free",
                  "ensure_resource_availability", "ignored_auth", "object_level_authorization",
                  "unsupported_method", "allow_header_conformance", "max_response_time"]


def decode(payload) -> str:
    if not payload:
        return ""
    if isinstance(payload, dict) and "$base64" in payload:
        raw = base64.b64decode(payload["$base64"])
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return repr(raw[:300])
    if isinstance(payload, dict) and "string" in payload:
        return payload["string"]
    return json.dumps(payload)


def kind_of(failure: dict) -> str:
    """A stable description of the failure for grouping (the first line of the message, trimmed)."""
    message = (failure.get("message") or "").strip()
    title = failure.get("title") or failure.get("type") or ""
    first = message.splitlines()[0] if message else ""
    if failure.get("code") == "ST103":  # "Received: 409 / Documented: 201"
        first = " ".join(line.strip() for line in message.splitlines()[:2])
    if len(first) > 160:
        first = first[:157] + "…"
    return f"{title}: {first}" if first else title


def main(report_dir: str) -> int:
    files = sorted(Path(report_dir).glob("*.ndjson"))
    if not files:
        print("summary: no NDJSON report found")
        return 1
    groups: dict[tuple[str, str, str], dict] = {}
    case_ids: dict[tuple[str, str, str], set] = defaultdict(set)
    answers: dict[tuple[str, str, str], set] = defaultdict(set)
    for line in files[-1].open():
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished.get("recorder") or {}
        interactions = recorder.get("interactions") or {}
        cases = recorder.get("cases") or {}
        for case_id, checks in (recorder.get("checks") or {}).items():
            for check in checks:
                if check.get("status") != "failure":
                    continue
                failure = (check.get("failure_info") or {}).get("failure") or {}
                operation = failure.get("operation") or recorder.get("label", "?")
                key = (operation, check["name"], kind_of(failure))
                case_ids[key].add(case_id)
                interaction = interactions.get(case_id) or {}
                request, response = interaction.get("request") or {}, interaction.get("response") or {}
                case = (cases.get(case_id) or {}).get("value") or {}
                phase = ((case.get("meta") or {}).get("phase") or {}).get("name")
                meta = case.get("meta") or {}
                phase_data = (meta.get("phase") or {}).get("data") or {}
                answer = decode(response.get("content"))
                try:
                    error_message = json.loads(answer)["error"]["message"]
                except (ValueError, KeyError, TypeError):
                    error_message = ""
                if error_message:
                    answers[key].add(error_message[:120])
                if key in groups:
                    continue
                groups[key] = {
                    "why": phase_data.get("description") or "",
                    "error_message": error_message[:200],
                    "operation": operation, "check": check["name"], "code": failure.get("code"),
                    "kind": kind_of(failure), "message": failure.get("message", ""), "phase": phase,
                    "request": f"{request.get('method', '')} {request.get('uri', '')}",
                    "request_body": decode(request.get("body"))[:400],
                    "status": response.get("status_code"),
                    "response_body": decode(response.get("content"))[:400],
                }
    for key, group in groups.items():
        group["cases"] = len(case_ids[key])
        group["answers"] = sorted(answers[key])
    ordered = sorted(groups.values(), key=lambda g: (
        SEVERITY_ORDER.index(g["check"]) if g["check"] in SEVERITY_ORDER else 99, g["operation"], g["kind"]))
    (Path(report_dir) / "failures.json").write_text(json.dumps(ordered, indent=1))

    by_check: dict[str, int] = defaultdict(int)
    for group in ordered:
        by_check[group["check"]] += 1
    print(f"=== fuzz summary: {len(ordered)} distinct failures "
          f"({sum(g['cases'] for g in ordered)} failing test cases) ===")
    for check, count in sorted(by_check.items(), key=lambda item: -item[1]):
        print(f"  {check}: {count}")
    current = None
    for group in ordered:
        if group["check"] != current:
            current = group["check"]
            print(f"\n--- {current}")
        print(f"  {group['operation']}  [{group['status']}] ×{group['cases']}  {group['kind']}")
        detail = " | ".join(part for part in (
            f"e.g. {group['why']}" if group["why"] else "",
        ) if part)
        if detail:
            print(f"      {detail[:260]}")
        for message in group["answers"][:4]:
            print(f"      answer: {message}")
        if len(group["answers"]) > 4:
            print(f"      … {len(group['answers']) - 4} more distinct answers in failures.json")
        if group["check"] in ("not_a_server_error", "response_schema_conformance", "max_response_time") \
                or group["status"] and group["status"] >= 500:
            print(f"      request: {group['request']}")
            if group["request_body"]:
                print(f"      body:    {group['request_body'][:300]}")
            print(f"      answer:  {group['response_body'][:300]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
