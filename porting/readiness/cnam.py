"""Readiness: will outbound calls from the number show a branded caller name (CNAM), and does a
call-analytics provider label it as spam?

Reads only what is stored (the listings and the labels last read by the API and the hourly sweep):
three queries for any number of targets, and no analytics provider is asked during a pre-flight.
"""
from __future__ import annotations

from inventory.models import CnamListing
from inventory.selectors.caller_id import caller_id_facts
from inventory.services.caller_id import CNAM_COUNTRIES

from .base import CheckResult, Status, Target

NO_NAME = "outbound calls show no branded name"


class CnamCheck:
    name = "cnam"

    def evaluate(self, *, organization, targets: list[Target]) -> dict[str, CheckResult]:
        owned_ids = [t.owned.pk for t in targets if t.kind == "owned" and t.owned is not None]
        facts = caller_id_facts(number_ids=owned_ids)
        return {target.e164: self._one(target, facts) for target in targets}

    def _one(self, target: Target, facts) -> CheckResult:
        if target.country not in CNAM_COUNTRIES:
            return CheckResult(Status.OK, f"Not applicable: CNAM caller names exist only for US and Canadian "
                                          f"numbers (this one is {target.country}).")
        if target.kind != "owned" or target.owned is None:
            if target.kind == "purchase" and "voice" not in target.capabilities:
                return CheckResult(Status.OK, "Not applicable: this number has no voice, so it places no calls.")
            return CheckResult(
                Status.WARNING, "Once the number is yours there is no CNAM until you list one: outbound calls "
                                "show no branded name until then.",
                "After it is yours, list a caller name with PUT /api/v1/numbers/{id}/cnam.",
                {"cnam_status": None})
        if "voice" not in target.capabilities:
            return CheckResult(Status.OK, "Not applicable: this number has no voice, so it places no calls.")
        number_id = target.owned.pk
        listing = facts.listings.get(number_id)
        labels = facts.labels.get(number_id, [])
        disputed = facts.open_disputes.get(number_id, set())
        result = self._listing(number_id, listing)
        if not labels:
            return result
        shown = "; ".join(f"{label.analytics_provider} shows \"{label.label}\" (score {label.score})"
                          for label in labels)
        undisputed = [label.analytics_provider for label in labels if label.analytics_provider not in disputed]
        next_action = ("File a dispute with POST /api/v1/numbers/spam-disputes for "
                       f"{', '.join(undisputed)}." if undisputed else
                       "Your dispute is with operations; you are told of each change (spam_dispute.updated).")
        if result.status != Status.OK:
            next_action = f"{result.next_action} {next_action}"
        details = {**result.details, "spam_labels": [
            {"analytics_provider": label.analytics_provider, "label": label.label, "score": label.score}
            for label in labels], "disputed": sorted(disputed)}
        return CheckResult(Status.WARNING, f"Call-analytics providers flag this number: {shown}; called parties "
                                           f"may see a spam warning{'' if result.status == Status.OK else ' and ' + NO_NAME}.",
                           next_action, details)

    @staticmethod
    def _listing(number_id: str, listing: CnamListing | None) -> CheckResult:
        put = f"PUT /api/v1/numbers/{number_id}/cnam"
        if listing is None:
            return CheckResult(Status.WARNING, f"No caller name is listed, so {NO_NAME}.",
                               f"List one with {put}.", {"cnam_status": None})
        details = {"cnam_status": listing.status, "display_name": listing.display_name}
        if listing.status == CnamListing.Status.LISTED:
            return CheckResult(Status.OK, f"Calls show the caller name \"{listing.display_name}\".", "", details)
        if listing.status == CnamListing.Status.PENDING:
            return CheckResult(Status.WARNING, f"The caller name \"{listing.display_name}\" is pending at the carrier; "
                                               f"until it is listed, {NO_NAME}.",
                               "Wait for the cnam.listed webhook; nothing to do now.", details)
        if listing.status == CnamListing.Status.REJECTED:
            return CheckResult(Status.WARNING, f"The carrier rejected the caller name \"{listing.display_name}\" "
                                               f"({listing.reject_reason or listing.reject_code}), so {NO_NAME}.",
                               f"List another name with {put}.",
                               {**details, "reject_code": listing.reject_code or None})
        return CheckResult(Status.WARNING, f"The caller name \"{listing.display_name}\" could not be submitted to the "
                                           f"carrier yet, so {NO_NAME}.",
                           "Operations retry it; contact support if it stays failed.", details)


CHECK = CnamCheck()
