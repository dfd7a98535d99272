"""`make bench`: the scale table of issue #11, measured on a 1 M-number database.

    make bench                                  # every case, default rounds
    make bench BENCH_ARGS="--only search,export --rounds 50"

The bench database (BENCH_DATABASE_URL, default orbit_bench_scale on the local PostgreSQL) is created
and loaded once (bench/scale/dataset.py: ~1–2 minutes); later runs reuse it. Every case module
``bench/scale/case_<name>.py`` exposes ``measure(*, rounds) -> list[Row]``; each row is a figure, the
reference measured beside it in the same run, their ratio and the goal. The table goes to stdout
(and to --output). Not a test: nothing here runs in `make test`.
"""
from __future__ import annotations

import argparse
import importlib
import os
import platform
import subprocess
import sys
import time
import traceback
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/orbit_bench_scale"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"


def configure_environment() -> None:
    """Point Django at the bench database and cache before it is imported."""
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orbit_numbers.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    # The limiter still runs on every request (its cost is measured); its ceiling just isn't reached.
    os.environ.setdefault("ORBIT_RATE_LIMIT_MULTIPLIER", "100000")
    sys.path.insert(0, str(ROOT))


def create_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"bench: created database {name}")


def case_names() -> list[str]:
    return sorted(path.stem.removeprefix("case_") for path in Path(__file__).parent.glob("case_*.py"))


def machine() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {platform.node()}; {os.cpu_count()} CPUs; "
            f"Python {platform.python_version()}; PostgreSQL {pg_version}; load average {load}; "
            f"commit {_commit()}")


def _commit() -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help=f"comma-separated cases (of: {', '.join(case_names())})")
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "30")))
    parser.add_argument("--output", help="also write the table (Markdown) to this file")
    options = parser.parse_args()

    configure_environment()
    create_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from bench.scale.dataset import ensure_dataset
    from bench.scale.harness import markdown_table

    ensure_dataset()
    wanted = [name.strip() for name in options.only.split(",") if name.strip()] or case_names()
    unknown = sorted(set(wanted) - set(case_names()))
    if unknown:
        parser.error(f"unknown case(s): {', '.join(unknown)}")
    rows, failures = [], []
    for name in wanted:
        started = time.perf_counter()
        print(f"bench: {name} …", flush=True)
        try:
            module = importlib.import_module(f"bench.scale.case_{name}")
            case_rows = module.measure(rounds=options.rounds)
        except Exception:  # one broken case must not hide the others' results
            traceback.print_exc()
            failures.append(name)
            continue
        rows += case_rows
        print(markdown_table(case_rows), f"\n({name}: {time.perf_counter() - started:.0f}s)\n", flush=True)
    report = f"Machine and load: {machine()}\n\n{markdown_table(rows)}\n"
    print("\n" + report)
    if options.output:
        Path(options.output).write_text(report)
    missed = [row.what for row in rows if row.met is False]
    if failures:
        print(f"bench: case(s) failed: {', '.join(failures)}", file=sys.stderr)
    if missed:
        print(f"bench: goal(s) not met: {'; '.join(missed)}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
