"""Runs every readiness check once for all the asked numbers and folds their answers per number.

Read-only: it writes nothing (no audit row, no charge). The portability check calls carriers, so
the runner must be called outside any transaction (``get_adapter`` refuses otherwise).

A check module listed in ``CHECK_MODULES`` that cannot be imported, or that exposes no ``CHECK``,
is a deployment error: the runner raises ``ReadinessCheckMissing`` rather than answer with fewer
checks than the API promises. A check that raises while evaluating answers ``warning`` "could not
be checked" for every number (and is logged); the other checks still answer.
"""
from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from orbit_numbers.models import Organization

from .base import CheckResult, ReadinessCheck, Status
from .targets import readiness_targets

logger = logging.getLogger(__name__)

SEVERITY = {Status.OK: 0, Status.WARNING: 1, Status.BLOCKED: 2}


class ReadinessCheckMissing(ImproperlyConfigured):
    """A module named in CHECK_MODULES is missing or exposes no CHECK."""


@dataclass(frozen=True)
class NumberReadiness:
    phone_number: str
    kind: str
    status: str  # the worst status of its checks
    ready: bool  # no check blocked
    checks: dict[str, CheckResult]  # in CHECK_MODULES order


@dataclass(frozen=True)
class ReadinessReport:
    results: list[NumberReadiness]  # in request order
    summary: dict[str, int]  # numbers per status (ok, warning, blocked)


def readiness_checks() -> list[ReadinessCheck]:
    """The CHECK of every module in CHECK_MODULES, in that order (read at call time)."""
    from . import CHECK_MODULES  # the package's current value: tests and deployments may change it

    checks = []
    for name in CHECK_MODULES:
        module_path = f"{__package__}.{name}"
        try:
            module = importlib.import_module(module_path)
        except ModuleNotFoundError as exc:
            if exc.name != module_path:
                raise  # the check exists but imports something missing: its own error
            raise ReadinessCheckMissing(f"readiness check module {module_path} is missing") from exc
        check = getattr(module, "CHECK", None)
        if check is None:
            raise ReadinessCheckMissing(f"readiness check module {module_path} exposes no CHECK")
        checks.append(check)
    return checks


def _not_checked(name: str) -> CheckResult:
    return CheckResult(status=Status.WARNING, reason=f"The {name} check could not be checked right now.",
                       next_action="Ask again in a few minutes; if it persists, contact support.",
                       details={"error": "check_failed"})


def worst(statuses) -> str:
    return max(statuses, key=SEVERITY.__getitem__, default=Status.OK)


def readiness_evaluate(*, organization: Organization, numbers: list[str]) -> ReadinessReport:
    """The readiness of each number (distinct, valid E.164) for ``organization``: every check once,
    for all numbers at once, so the queries do not grow with the number of numbers."""
    checks = readiness_checks()
    targets = readiness_targets(organization=organization, numbers=numbers)
    answers: dict[str, dict[str, CheckResult] | None] = {}
    for check in checks:
        try:
            answers[check.name] = check.evaluate(organization=organization, targets=list(targets))
        except Exception:
            logger.exception("Readiness check %s failed for organisation %s", check.name, organization.pk)
            answers[check.name] = None
    results = []
    for target in targets:
        per_check = {}
        for check in checks:
            answer = answers[check.name]
            result = None if answer is None else answer.get(target.e164)
            if not isinstance(result, CheckResult) or result.status not in Status.CHOICES:
                if answer is not None:  # it ran, but skipped this number or answered nonsense
                    logger.error("Readiness check %s gave no valid answer for %s", check.name, target.e164)
                result = _not_checked(check.name)
            per_check[check.name] = result
        status = worst(r.status for r in per_check.values())
        results.append(NumberReadiness(
            phone_number=target.e164, kind=target.kind, status=status,
            ready=all(r.status != Status.BLOCKED for r in per_check.values()), checks=per_check))
    summary = {s: 0 for s in Status.CHOICES}
    for result in results:
        summary[result.status] += 1
    return ReadinessReport(results=results, summary=summary)


__all__ = ["NumberReadiness", "ReadinessCheckMissing", "ReadinessReport", "readiness_checks", "readiness_evaluate"]
