"""Portability: can a number that is not ours yet be ported in? One carrier call per porting
carrier (``porting.portability.portability_check``, outside any transaction) and two queries for
Orbit's own blockers, whatever the number of targets.

- eligible, checked live by the carrier → ok;
- eligible but unconfirmed (the carrier has no synchronous check, or did not answer) → warning;
- not eligible → blocked with the reasons (another organisation's number reads "not eligible",
  never more);
- owned and purchase targets → ok: already on our network, nothing to port.
"""
from __future__ import annotations

from orbit_numbers.models import Organization

from ..portability import PortabilityVerdict, portability_check
from ..selectors import PORT_IN_BLOCKER_REASONS, YOUR_OPEN_PORT_IN
from .base import CheckResult, Status, Target
from .targets import OWNED, PORT_IN

SUBMIT = "Submit a port-in request: POST /api/v1/numbers/porting."
UNCONFIRMED = {
    "check-not-supported": ("The carrier that would port this number has no instant portability check, so "
                            "eligibility is confirmed only when the port-in is submitted.",
                            "Confirm with the current carrier that the number can leave, then submit a port-in "
                            "request: POST /api/v1/numbers/porting."),
    "check-skipped": ("The carrier did not answer the portability check in time; the port-in submission is "
                      "checked again.",
                      "Ask again in a few minutes, or submit the port-in request: POST /api/v1/numbers/porting."),
}


def _details(verdict: PortabilityVerdict) -> dict:
    return {"provider": verdict.provider, "check_status": verdict.check_status, "reasons": list(verdict.reasons),
            "splittable": verdict.splittable, "fast_portable": verdict.fast_portable,
            "estimated_foc_date": verdict.estimated_foc_date.isoformat() if verdict.estimated_foc_date else None}


def _verdict(verdict: PortabilityVerdict) -> CheckResult:
    details = _details(verdict)
    if not verdict.eligible:
        if PORT_IN_BLOCKER_REASONS[YOUR_OPEN_PORT_IN] in verdict.reasons:
            next_action = "Follow your open port-in request: GET /api/v1/numbers/porting."
        else:
            next_action = ("Ask the current carrier why the number cannot be ported; choose another number or "
                           "buy one from our inventory (GET /api/v1/numbers/available).")
        return CheckResult(Status.BLOCKED, "Not portable: " + " ".join(verdict.reasons or ["the carrier refused."]),
                           next_action, details)
    if verdict.check_status in UNCONFIRMED:
        reason, next_action = UNCONFIRMED[verdict.check_status]
        return CheckResult(Status.WARNING, reason, next_action, details)
    reason = f"Eligible to port to Orbit via {verdict.provider.capitalize()}."
    if verdict.estimated_foc_date:
        reason += f" Estimated FOC date {verdict.estimated_foc_date.isoformat()}."
    if verdict.splittable:
        reason += " The carrier may port voice and leave SMS behind: give SMS instructions in your LoA."
    return CheckResult(Status.OK, reason, "", details)


class PortabilityCheck:
    name = "portability"

    def evaluate(self, *, organization: Organization, targets: list[Target]) -> dict[str, CheckResult]:
        to_port = [t.e164 for t in targets if t.kind == PORT_IN]
        verdicts: dict[str, PortabilityVerdict] = {}
        if to_port:  # no carrier call when every number is already on our network
            verdicts = {v.phone_number: v for v in portability_check(organization=organization, numbers=to_port)}
        answers = {}
        for target in targets:
            if target.kind == PORT_IN:
                answers[target.e164] = _verdict(verdicts[target.e164])
            elif target.kind == OWNED:
                answers[target.e164] = CheckResult(Status.OK, "Already on our network: it is your number.")
            else:
                answers[target.e164] = CheckResult(Status.OK, "Already on our network: buy it, no port needed.")
        return answers


CHECK = PortabilityCheck()
