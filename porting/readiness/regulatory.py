"""Readiness: is the number covered by regulation (the requirements table and the organisation's profiles)?

- owned: ok, or blocked while it waits in regulatory_hold (what is missing, or the profile under review);
- purchase / port_in: ok when nothing needs a profile or an approved one covers it, warning while a
  submitted profile waits for review (or several approved ones would need naming), blocked otherwise
  with ``details.missing`` = the documents and fields to provide.

Two queries for any number of targets: one for the requirements, one for the profiles.
"""
from __future__ import annotations

from django.utils import timezone

from inventory.models import ComplianceAction, OwnedNumber
from inventory.services.compliance import (PoolAssessment, document_view, field_view, number_action, pools_assess_many,
                                           profile_problem, profile_summary)

from .base import CheckResult, Status, Target

_VERB = {ComplianceAction.PURCHASE: "buy", ComplianceAction.PORT_IN: "port in"}
_CREATE = ("Create a compliance profile with these documents and fields (POST /api/v1/numbers/compliance-profiles) "
           "and submit it for review.")


def _action_of(target: Target) -> str:
    if target.kind == "owned" and target.owned is not None:
        return number_action(target.owned.source)
    return ComplianceAction.PORT_IN if target.kind == "port_in" else ComplianceAction.PURCHASE


def _details(assessment: PoolAssessment, now) -> dict:
    requirement = assessment.requirement
    details = {"country": assessment.country, "line_type": assessment.line_type, "action": assessment.action,
               "missing": {"documents": [document_view(d) for d in requirement.profile_documents] if requirement
                           else [],
                           "fields": [field_view(f) for f in requirement.fields] if requirement else []},
               "profiles": [profile_summary(p, profile_problem(p, assessment.country, assessment.line_type,
                                                               assessment.action, now), now)
                            for p in [*assessment.pending, *assessment.others]]}
    if requirement is not None and requirement.request_documents:
        details["with_port_request"] = [document_view(d) for d in requirement.request_documents]
    return details


def _pool(assessment: PoolAssessment) -> str:
    return f"{assessment.country} {assessment.line_type.replace('_', '-')}"


def _owned(target: Target, assessment: PoolAssessment, now) -> CheckResult:
    number = target.owned
    if number.status != OwnedNumber.Status.REGULATORY_HOLD:
        return CheckResult(Status.OK, f"You own this number and it is not held for compliance ({number.status}).")
    details = _details(assessment, now)
    if assessment.covering:
        profile = assessment.covering[0]
        return CheckResult(Status.BLOCKED, f"The number is on regulatory hold, but approved profile {profile.pk} "
                                           f"covers it.",
                           f"Attach compliance profile {profile.pk} to the number (PUT /api/v1/numbers/{number.pk}).",
                           {**details, "covering_profile_id": profile.pk})
    if assessment.pending:
        profile = assessment.pending[0]
        return CheckResult(Status.BLOCKED, f"The number is on regulatory hold while compliance profile "
                                           f"{profile.pk} is pending review.",
                           "Wait for the review; approval releases the number automatically.", details)
    return CheckResult(Status.BLOCKED, f"The number is on regulatory hold: {_pool(assessment)} numbers need an "
                                       "approved compliance profile.", _CREATE, details)


def _to_acquire(assessment: PoolAssessment, now) -> CheckResult:
    verb = _VERB[assessment.action]
    if not assessment.profile_required:
        requirement = assessment.requirement
        if requirement is not None and requirement.request_documents:
            names = " and ".join(d["name"] for d in requirement.request_documents)
            return CheckResult(Status.OK, f"No compliance profile is needed to {verb} {_pool(assessment)} numbers; "
                                          f"the port request itself carries the {names}.",
                               details={"with_port_request": [document_view(d)
                                                              for d in requirement.request_documents]})
        return CheckResult(Status.OK, f"No compliance profile is needed to {verb} {_pool(assessment)} numbers.")
    if len(assessment.covering) == 1:
        profile = assessment.covering[0]
        until = f" until {profile.valid_until.date().isoformat()}" if profile.valid_until else ""
        return CheckResult(Status.OK, f"Covered by approved compliance profile {profile.pk}{until}.",
                           details={"profile_id": profile.pk})
    if assessment.covering:
        ids = [profile.pk for profile in assessment.covering]
        return CheckResult(Status.WARNING, f"{len(ids)} approved compliance profiles cover {_pool(assessment)}.",
                           "Name the one to use in compliance_profile_id.", {"profile_ids": ids})
    details = _details(assessment, now)
    if assessment.pending:
        profile = assessment.pending[0]
        return CheckResult(Status.WARNING, f"Compliance profile {profile.pk} covering {_pool(assessment)} is "
                                           "pending review.",
                           f"Wait for the review; you can {verb} the number once it is approved.", details)
    return CheckResult(Status.BLOCKED, f"To {verb} {_pool(assessment)} numbers you need an approved compliance "
                                       "profile.", _CREATE, details)


class RegulatoryCheck:
    name = "regulatory"

    def evaluate(self, *, organization, targets: list[Target]) -> dict[str, CheckResult]:
        now = timezone.now()
        keys = {target.e164: (target.country, target.line_type, _action_of(target)) for target in targets}
        assessments = pools_assess_many(organization=organization, wanted=set(keys.values()), now=now)
        results = {}
        for target in targets:
            assessment = assessments[keys[target.e164]]
            if target.kind == "owned" and target.owned is not None:
                results[target.e164] = _owned(target, assessment, now)
            else:
                results[target.e164] = _to_acquire(assessment, now)
        return results


CHECK = RegulatoryCheck()
