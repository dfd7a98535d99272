"""Issue #11, export near COPY: every export face in rows/s next to PostgreSQL's ``COPY (the same SELECT)
TO STDOUT`` in the same run, and each face's peak RSS.

The reference is ``psql -c "COPY (…) TO STDOUT WITH (FORMAT csv)"`` into a file, where ``…`` is the SELECT
the ORM emits for the export's columns (``values_list(*spec.fields)``) over the same filtered, ordered
queryset, unformatted: the cost of formatting the cells is on the export's side of the ratio. Each face
runs in its own process (``python -m bench.scale.case_export FACE …``) under ``/usr/bin/time``, so its
peak RSS is its own, and is timed from the call to the last byte written to a file:

- ``manage.py export_numbers`` (CSV and JSON, 1 M inventory rows) through ``call_command``; the wall time
  of the whole process, Django's start-up included, is in the note;
- the API export (``GET /api/v1/numbers/export``, ``bench-big``'s 50,000 numbers) and the console
  exports (inventory 1 M, owned numbers 100 k): in-process requests whose streamed body goes to the file.

A process that only runs ``django.setup()`` is measured too: the start-up's RSS and seconds, which every
face carries and no export can change.

Measured and reference runs alternate, so the machine's noise hits both alike; the figure is the median.
"""
from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.scale.harness import Row

ROOT = Path(__file__).resolve().parents[2]
MAX_RSS_MB = 150
GOAL = 0.5  # of COPY's rows/s
HEAVY_ROUNDS = 3  # a run moves up to a million rows: a few rounds, not the harness's default 30


def measure(*, rounds: int) -> list[Row]:
    from django.contrib.auth import get_user_model

    from bench.scale.dataset import BIG_ORGANIZATION, bench_api_key, organization

    runs = max(1, min(rounds, HEAVY_ROUNDS))
    admin = _superuser(get_user_model())
    big = organization(BIG_ORGANIZATION)
    secret = bench_api_key(big, ["numbers:read"])
    faces = [
        ("`manage.py export_numbers` CSV, inventory", "command-csv", None, "inventory"),
        ("`manage.py export_numbers` JSON, inventory", "command-json", None, "inventory"),
        ("API export CSV, bench-big's owned numbers", "api", secret, "tenant"),
        ("console export CSV, inventory changelist", "admin-inventory", admin.username, "admin-inventory"),
        ("console export CSV, owned-numbers changelist", "admin-owned", admin.username, "admin-owned"),
    ]
    rows, peaks = [], {}
    with tempfile.TemporaryDirectory(prefix="bench-export-") as folder:
        startup = [_run_face("startup", None, Path(folder) / "none") for _ in range(runs)]
        startup_rss = max(peak for _, peak, _ in startup)
        startup_seconds = statistics.median(wall for _, _, wall in startup)
        for what, face, argument, selection in faces:
            spec, queryset = _selection(selection, big=big, admin=admin)
            count = queryset.count()
            reference_sql = _reference_copy(spec, queryset)
            measured, reference, rss, walls = [], [], [], []
            for _ in range(runs):
                reference.append(_psql_copy(reference_sql, Path(folder) / "reference.csv"))
                seconds, peak, wall = _run_face(face, argument, Path(folder) / f"{face}.out")
                measured.append(seconds)
                rss.append(peak)
                walls.append(wall)
            peaks[face] = max(rss)
            rate, base = count / statistics.median(measured), count / statistics.median(reference)
            ratio = rate / base
            informative = face == "command-json"
            notes = ["orjson over a server-side cursor; no goal in the table"] if informative else []
            if face.startswith("command-"):
                notes.append(f"whole process {count / statistics.median(walls):,.0f} rows/s, "
                             f"start-up {startup_seconds:.1f} s included")
            rows.append(Row(
                what=f"{what}, {count:,} rows", figure=f"{rate:,.0f} rows/s (median of {runs}), RSS {max(rss):.0f} MB",
                reference=f"psql COPY of the same SELECT {base:,.0f} rows/s", ratio=ratio,
                goal="report" if informative else f"≥ {GOAL:g}× COPY", met=None if informative else ratio >= GOAL,
                note="; ".join(notes)))
    worst = max(peaks, key=peaks.get)
    own = peaks[worst] - startup_rss
    rows.append(Row(
        what="peak RSS of every export face", figure=f"{peaks[worst]:.0f} MB ({worst}): {own:.0f} MB over start-up",
        reference=f"django.setup() alone {startup_rss:.0f} MB, {startup_seconds:.1f} s", ratio=None,
        goal=f"≤ {MAX_RSS_MB} MB", met=peaks[worst] <= MAX_RSS_MB,
        note=", ".join(f"{face} {peak:.0f} MB" for face, peak in peaks.items())))
    return rows


def _superuser(User):
    user, created = User.objects.get_or_create(username="bench-export-admin",
                                               defaults={"is_staff": True, "is_superuser": True})
    if created:
        user.set_unusable_password()
        user.save()
    return user


def _selection(name: str, *, big, admin):
    """The spec and the queryset a face exports, built as the face builds it."""
    from inventory.exporting import INVENTORY, OWNED, TENANT
    from inventory.filters import InventoryFilterSet, OwnedNumberExportFilterSet
    from inventory.models import OwnedNumber, PhoneNumber

    if name == "inventory":  # export_numbers with no filter
        filterset = InventoryFilterSet({}, queryset=PhoneNumber.objects.order_by("pk"))
        return INVENTORY, filterset.qs
    if name == "tenant":  # NumberExportViewSet.list
        filterset = OwnedNumberExportFilterSet({"format": "csv"}, queryset=OwnedNumber.objects.live().filter(
            organization=big))
        return TENANT, filterset.qs.order_by("-created_at", "-pk")
    from django.contrib import admin as django_admin
    from django.test import RequestFactory

    model, spec = (PhoneNumber, INVENTORY) if name == "admin-inventory" else (OwnedNumber, OWNED)
    request = RequestFactory().get("/")
    request.user = admin
    model_admin = django_admin.site._registry[model]
    return spec, model_admin.get_changelist_instance(request).get_queryset(request)


def _reference_copy(spec, queryset) -> str:
    """COPY of the SELECT the ORM emits for the export's raw columns, with the filter values as literals."""
    import psycopg
    from django.db import connections

    sql, params = queryset.values_list(*spec.fields).query.get_compiler(using=queryset.db).as_sql()
    connection = connections[queryset.db]
    connection.ensure_connection()
    return f"COPY ({psycopg.ClientCursor(connection.connection).mogrify(sql, params)}) TO STDOUT WITH (FORMAT csv)"


def _psql_copy(statement: str, output: Path) -> float:
    started = time.perf_counter()
    subprocess.run(["psql", os.environ["DATABASE_URL"], "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", statement, "-o", str(output)],
                   check=True)
    return time.perf_counter() - started


def _run_face(face: str, argument: str | None, output: Path) -> tuple[float, float, float]:
    """Seconds of the export, peak RSS (MB) and wall seconds of one child process."""
    command = [sys.executable, "-m", "bench.scale.case_export", face, argument or "", str(output)]
    env = {**os.environ, "BENCH_DATABASE_URL": os.environ["DATABASE_URL"], "BENCH_REDIS_URL": os.environ["REDIS_URL"]}
    with tempfile.NamedTemporaryFile() as usage, tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        # /usr/bin/time, not os.wait4: a forked child's maxrss starts at this (large) process's RSS.
        child = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", usage.name, *command], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=errors)
        wall = time.perf_counter() - started
        if child.returncode:
            errors.seek(0)
            raise RuntimeError(f"{' '.join(command)} failed:\n{errors.read().decode(errors='replace')[-3000:]}")
        peak_kb = int(Path(usage.name).read_text().split()[-1])
    seconds = json.loads(child.stdout)["seconds"] if face != "startup" else wall
    return seconds, peak_kb / 1024, wall


def _child(face: str, argument: str, output: str) -> None:
    """One in-process export request (API or console), its body streamed to ``output``."""
    from bench.scale.run import configure_environment

    configure_environment()
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from bench.scale.harness import api_client

    if face == "startup":
        print(json.dumps({"seconds": 0}))
        return
    if face.startswith("command-"):
        from django.core.management import call_command

        started = time.perf_counter()
        call_command("export_numbers", "--format", face.removeprefix("command-"), "--output", output,
                     stderr=io.StringIO())
        print(json.dumps({"seconds": time.perf_counter() - started}))
        return
    if face == "api":
        client, url = api_client(argument), "/api/v1/numbers/export?format=csv"
    else:
        client = Client()
        client.force_login(get_user_model().objects.get(username=argument))
        model = "phonenumber" if face == "admin-inventory" else "ownednumber"
        url = f"/admin/inventory/{model}/export/csv/"
    started = time.perf_counter()
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    with open(output, "wb") as handle:
        for chunk in response.streaming_content:
            handle.write(chunk)
    response.close()
    print(json.dumps({"seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    _child(*sys.argv[1:4])
