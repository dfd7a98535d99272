"""E911 readiness: emergency calling is blocked on a voice number without a provisioned dispatchable
address (ADR 010, block and disclaim). One query for every target."""
from __future__ import annotations

from inventory.models import EMERGENCY_COUNTRIES, EmergencyAssignment
from inventory.selectors.emergency import emergency_assignments_by_e164

from .base import CheckResult, Status, Target

ATTACH = ("Register a dispatchable address (POST /api/v1/numbers/emergency-addresses) and attach it "
          "(PUT /api/v1/numbers/{number_id}/emergency-address).")


class E911Check:
    name = "e911"

    def evaluate(self, *, organization, targets: list[Target]) -> dict[str, CheckResult]:
        owned = [t.e164 for t in targets if t.kind == "owned" and "voice" in t.capabilities]
        assignments = emergency_assignments_by_e164(organization=organization, e164s=owned) if owned else {}
        return {target.e164: self._one(target, assignments.get(target.e164)) for target in targets}

    @staticmethod
    def _one(target: Target, assignment: EmergencyAssignment | None) -> CheckResult:
        us_ca = target.country in EMERGENCY_COUNTRIES
        if target.kind != "owned":
            # Numbers to buy or port: their voice capability is known for stock, assumed for a port.
            voice = "voice" in target.capabilities or target.kind == "port_in"
            if not voice:
                return CheckResult(Status.OK, "Not applicable: the number has no voice capability.")
            if not us_ca:
                # The same answer as for such a number once owned: better known before buying it.
                return CheckResult(Status.WARNING, "Emergency calls will be blocked on this number: Orbit provisions "
                                                   "emergency addresses for US and CA numbers only.",
                                   next_action="Keep another way to reach emergency services.")
            return CheckResult(Status.WARNING, "Emergency calls will be blocked on this number until a dispatchable "
                                               "address is provisioned for it.",
                               next_action="Once the number is yours, " + ATTACH[0].lower() + ATTACH[1:])
        if "voice" not in target.capabilities:
            return CheckResult(Status.OK, "Not applicable: the number has no voice capability.")
        if not us_ca:
            return CheckResult(Status.WARNING, "Emergency calls are blocked on this number: Orbit provisions "
                                               "emergency addresses for US and CA numbers only.",
                               next_action="Keep another way to reach emergency services.")
        status = assignment.public_status if assignment is not None else None
        number_id = target.owned.pk if target.owned is not None else "{number_id}"
        attach = ATTACH.replace("{number_id}", number_id)
        if status == EmergencyAssignment.Status.PROVISIONED:
            return CheckResult(Status.OK, "Emergency calling is enabled: a dispatchable address is provisioned.",
                               details={"address_id": assignment.address_id})
        if status == EmergencyAssignment.Status.PENDING:
            return CheckResult(Status.WARNING, "Emergency calls are blocked until the carrier confirms the "
                                               "dispatchable address (provisioning in progress).",
                               next_action="Wait a few minutes; check GET /api/v1/numbers/"
                                           f"{number_id}/emergency-address.",
                               details={"address_id": assignment.address_id})
        if status == EmergencyAssignment.Status.FAILED:
            return CheckResult(Status.BLOCKED, "Emergency calls are blocked: the carrier refused the dispatchable "
                                               f"address ({assignment.error_message or assignment.error_code}).",
                               next_action="Attach a corrected address (PUT /api/v1/numbers/"
                                           f"{number_id}/emergency-address).",
                               details={"address_id": assignment.address_id, "error_code": assignment.error_code})
        return CheckResult(Status.BLOCKED, "Emergency calls are blocked on this number: it has no dispatchable "
                                           "emergency address.", next_action=attach)


CHECK = E911Check()
