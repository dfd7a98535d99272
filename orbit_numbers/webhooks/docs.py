"""The webhooks docs page (/api/docs/webhooks/, no API key): the event catalogue, the envelope, the
headers and how to verify a signature. Rendered from the same catalogue the API validates against."""
from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_safe

from .catalogue import CATALOGUE

VERIFY_SNIPPET = '''import hashlib
import hmac
import time


def verify(secret: str, signature_header: str, body: bytes, tolerance: int = 300) -> bool:
    """signature_header: the X-Orbit-Signature value; body: the raw request body (bytes, unparsed)."""
    parts = [part.split("=", 1) for part in signature_header.split(",") if "=" in part]
    timestamps = [value for key, value in parts if key == "t"]
    signatures = [value for key, value in parts if key == "v1"]
    if len(timestamps) != 1 or not timestamps[0].isdigit() or not signatures:
        return False
    if abs(time.time() - int(timestamps[0])) > tolerance:
        return False  # too old (or from the future): refuse replays
    expected = hmac.new(secret.encode(), timestamps[0].encode() + b"." + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures)
'''

EXAMPLE_ENVELOPE = '''{
  "id": "evt_0123456789abcdefghjk",
  "type": "number.purchased",
  "created_at": "2026-03-08T12:00:00Z",
  "data": {"number_id": "num_…", "phone_number": "+12015550123", "source": "purchase",
           "monthly_cents": 100, "setup_cents": 0}
}'''


@require_safe
def webhooks_docs(request):
    return render(request, "webhooks/docs.html", {
        "catalogue": CATALOGUE, "verify_snippet": VERIFY_SNIPPET, "example_envelope": EXAMPLE_ENVELOPE,
        "max_attempts": settings.ORBIT["WEBHOOK_MAX_ATTEMPTS"],
        "disable_after_days": settings.ORBIT["WEBHOOK_DISABLE_AFTER_DAYS"],
        "max_endpoints": settings.ORBIT["WEBHOOK_MAX_ENDPOINTS"],
        "max_overlap_hours": settings.ORBIT["WEBHOOK_SECRET_MAX_OVERLAP_HOURS"],
    })
