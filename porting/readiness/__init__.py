"""Readiness pre-flight: one answer per number, from checks that each own one concern.

It lives on the top floor (porting) because it asks every floor below: inventory (regulatory,
E911, CNAM, 10DLC), billing (wallet) and porting itself (portability, porting.portability).

A check is a module in this package that exposes ``CHECK`` (a ``ReadinessCheck``). Each check
answers for every target at once, in a constant number of queries whatever the number of
targets (bench/bench_readiness.py holds that). ``CHECK_MODULES`` fixes the order of the checks
in the answer.
"""
from __future__ import annotations

from .base import CheckResult, ReadinessCheck, Status, Target  # noqa: F401

# The order the checks appear in each answer. A module listed here exposes CHECK.
CHECK_MODULES: tuple[str, ...] = (
    "regulatory",
    "e911",
    "cnam",
    "wallet",
    "portability",
    "campaign",
)
