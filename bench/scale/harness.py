"""What every bench case shares: timing samples, percentiles, and the result row.

A row is one line of the scale table (issue #11): what was measured, the reference measured in the
same run (hand-written SQL, COPY, another organisation, a bare view), their ratio and the goal. Absolute
times move from run to run on a shared machine; ratios measured side by side move much less.
"""
from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    what: str  # the row of the table
    figure: str  # what was measured, with units ("p95 3.21 ms")
    reference: str  # the reference measured in the same run ("hand-written SQL p95 1.10 ms")
    ratio: float | None  # figure / reference (throughput rows say which way round in `goal`)
    goal: str  # "≤ 4×", "≥ 3×"
    met: bool | None  # None: informative row without a goal
    note: str = ""


def samples(fn: Callable[[], object], *, rounds: int, warmup: int = 3) -> list[float]:
    """Seconds per call of ``fn``, ``rounds`` times after ``warmup`` untimed calls (GC paused while timing)."""
    for _ in range(warmup):
        fn()
    times = []
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
    finally:
        if gc_was_enabled:
            gc.enable()
    return times


def interleaved(fns: dict[str, Callable[[], object]], *, rounds: int, warmup: int = 3) -> dict[str, list[float]]:
    """Like ``samples`` for several callables, alternating A, B, A, B…, so noise hits them alike."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(rounds):
            for name, fn in fns.items():
                started = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - started)
    finally:
        if gc_was_enabled:
            gc.enable()
    return times


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100), nearest-rank."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(math.ceil(q / 100 * len(ordered)), 1)
    return ordered[rank - 1]


STATS = {"p50": lambda values: percentile(values, 50), "p95": lambda values: percentile(values, 95),
         "median": lambda values: percentile(values, 50), "min": min}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def ratio_row(what: str, *, measured: list[float], reference: list[float], reference_label: str, limit: float,
              stat: str = "p95", note: str = "") -> Row:
    """A "≤ limit×" row: stat(measured) / stat(reference)."""
    value, base = STATS[stat](measured), STATS[stat](reference)
    ratio = value / base if base else math.inf
    return Row(what=what, figure=f"{stat} {ms(value)}", reference=f"{reference_label} {stat} {ms(base)}",
               ratio=ratio, goal=f"≤ {limit:g}×", met=ratio <= limit, note=note)


def api_client(secret: str):
    """A django.test.Client that authenticates every request with ``secret`` (in-process server time)."""
    from django.test import Client

    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def markdown_table(rows: list[Row]) -> str:
    lines = ["| what | measured | reference (same run) | ratio | goal | met |", "|---|---|---|---|---|---|"]
    for row in rows:
        ratio = "—" if row.ratio is None else f"{row.ratio:.2f}×"
        met = {True: "yes", False: "**no**", None: "—"}[row.met]
        note = f" ({row.note})" if row.note else ""
        lines.append(f"| {row.what}{note} | {row.figure} | {row.reference} | {ratio} | {row.goal} | {met} |")
    return "\n".join(lines)
