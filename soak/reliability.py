"""Write a soak summary (soak/run.py) into RELIABILITY.md, between the figure markers."""
from __future__ import annotations

from pathlib import Path

BEGIN = "<!-- soak figures: begin (soak/run.py writes this part) -->"
END = "<!-- soak figures: end -->"


def figures_markdown(summary: dict) -> str:
    config = summary["config"]
    lines = [
        f"Last run: {summary['started_at']}, reproduce with "
        f"`SOAK_SECONDS={config['seconds']} SOAK_CLIENTS={config['clients']} SOAK_SEED={config['seed']} make soak`.",
        "",
        f"{summary['requests']} requests in {summary['load_seconds']} s ({summary['requests_per_second']}/s) from "
        f"{config['clients']} clients of {config['orgs']} organisations; 2 web hosts × 1 gthread worker × "
        f"{config['web_threads']} threads, 2 Celery workers × {config['worker_concurrency']} processes; "
        f"simulator latency {config['latency_ms']} ms, numbers ending {config['fail_suffixes']} fail at the carrier.",
        "",
        "| kind | requests | p50 ms | p95 ms | connection retries | in-progress retries | replayed | statuses |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for kind, row in summary["by_kind"].items():
        statuses = ", ".join(f"{status}: {count}" for status, count in row["statuses"].items())
        lines.append(f"| {kind} | {row['requests']} | {row['p50_ms']} | {row['p95_ms']} | {row['connection_retries']} "
                     f"| {row['in_progress_retries']} | {row['replayed_after_retry']} | {statuses} |")
    lines += ["", "Kills: " + "; ".join(
        f"{kill['process']} SIGKILLed at {kill['at_s']} s, serving again after {kill['back_after_s']} s"
        for kill in summary["kills"]) + ".", "", "| invariant | violations |", "| --- | ---: |"]
    for name, value in summary["invariants"].items():
        lines.append(f"| {name} | {value} |")
    extra = {k: v for k, v in summary["violations"].items() if k not in summary["invariants"]}
    for name, value in extra.items():
        lines.append(f"| {name} | {value} |")
    for name, rows in summary.get("details", {}).items():
        lines += ["", f"{name}:", *(f"- `{row}`" for row in rows)]
    lines += ["", f"Carrier reconciliation: {summary['settled'].get('reconcile_carrier_orders')}. "
              f"Result: **{'PASS' if not summary['violations'] else 'FAIL'}**."]
    return "\n".join(lines)


def reliability_update(path: Path, summary: dict) -> None:
    text = path.read_text() if path.exists() else f"# Reliability\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        text = text.rstrip("\n") + f"\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{BEGIN}\n{figures_markdown(summary)}\n{END}{tail}")
