"""HTTP throughput through the production server: gunicorn from gunicorn.conf.py, 2 workers, its threads.

Three targets, loaded in turn with ``wrk`` (a few keep-alive connections, ~10 s each after a warm-up),
interleaved A, B, C, A, B, C… over the rounds so a change of machine load hits them alike:

- A: this tree's gunicorn (settings: bench/scale/bench_settings.py = the project's plus one page),
  ``GET /api/v1/billing/balance`` and ``GET /api/v1/numbers/available?country=US&type=local``;
- B: "today's main" of issue #11 (commit 59cf865, a detached worktree at /tmp/orbit-bench-baseline, the
  same venv) on the same database, its own gunicorn from its own gunicorn.conf.py, the same two requests;
- C: a bare Django JSON view (``/bench/bare/``: the middleware, no database) on A's gunicorn;
- D: this tree again with ``DB_POOL=off`` (a new PostgreSQL connection per request, as today's main):
  ``GET /billing/balance`` only, an informative row that isolates what the pool gives.

Rows: median req/s of A over B (goal ≥ 3×) and over C (goal ≥ 0.5×), per endpoint. Every response
must be 200: wrk's non-2xx count and socket errors fail the row. The rate limits stay on but out of
reach (ORBIT_RATE_LIMIT_MULTIPLIER). B verifies PBKDF2 keys, so its key is hashed by B's own code and
used against B only (this tree may rehash a key it verifies).

Knobs: BENCH_HTTP_ROUNDS (3, at most --rounds), BENCH_HTTP_SECONDS (10), BENCH_HTTP_CONNECTIONS (8 =
2 workers × 4 threads), BENCH_HTTP_BASELINE_DIR. Needs ``wrk`` (Debian: ``apt-get install -y wrk``).
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.scale.dataset import bench_api_key, organization
from bench.scale.harness import Row

ROOT = Path(__file__).resolve().parents[2]
BASELINE_COMMIT = "59cf865"
BASELINE_DIR = Path(os.environ.get("BENCH_HTTP_BASELINE_DIR", "/tmp/orbit-bench-baseline"))
ORGANIZATION = "bench-org-000"
SCOPES = ["billing:read", "numbers:read"]
ENDPOINTS = {"balance": "/api/v1/billing/balance", "search": "/api/v1/numbers/available?country=US&type=local"}
BARE = "/bench/bare/"
WORKERS = 2
SECONDS = int(os.environ.get("BENCH_HTTP_SECONDS", "10"))
WARMUP_SECONDS = 3
CONNECTIONS = int(os.environ.get("BENCH_HTTP_CONNECTIONS", "8"))
MAX_ROUNDS = int(os.environ.get("BENCH_HTTP_ROUNDS", "3"))
# The parent's settings that must not leak into a server: each tree reads its own defaults.
SCRUBBED_PREFIXES = ("DB_", "GUNICORN_", "DATABASE_", "DJANGO_", "PROMETHEUS_", "CELERY_", "PYTHON")


@dataclass
class Server:
    name: str
    port: int
    log: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@dataclass
class Target:
    label: str
    server: Server
    path: str
    secret: str | None
    rates: list[float] = field(default_factory=list)
    bad_responses: int = 0  # non-2xx answers and socket errors over every run

    @property
    def median(self) -> float:
        return statistics.median(self.rates)


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("bench http: needs wrk (Debian/Ubuntu: apt-get install -y wrk; macOS: brew install wrk)")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(*, settings_module: str, port: int, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith(SCRUBBED_PREFIXES)}
    return {
        **env,
        "DATABASE_URL": os.environ["DATABASE_URL"],  # the bench database (run.py)
        "REDIS_URL": os.environ["REDIS_URL"],
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-secret-key",
        "ORBIT_RATE_LIMIT_MULTIPLIER": os.environ.get("ORBIT_RATE_LIMIT_MULTIPLIER", "100000"),
        "DJANGO_SETTINGS_MODULE": settings_module,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(WORKERS),
        "PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(prefix="orbit-bench-http-prom-"),
        **(extra or {}),
    }


@contextmanager
def gunicorn(name: str, *, tree: Path, settings_module: str,
             extra_env: dict[str, str] | None = None) -> Iterator[Server]:
    """gunicorn -c gunicorn.conf.py in ``tree``, as `make serve` starts it; stopped on exit."""
    port = free_port()
    log = Path(tempfile.mkstemp(prefix=f"orbit-bench-http-{name}-", suffix=".log")[1])
    binary = Path(sys.executable).with_name("gunicorn")
    with log.open("w") as out:
        process = subprocess.Popen([str(binary), "-c", "gunicorn.conf.py"], cwd=tree, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True,
                                   env=server_env(settings_module=settings_module, port=port, extra=extra_env))
    server = Server(name=name, port=port, log=log)
    try:
        wait_until_ready(server, process)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _answers_healthz(server: Server) -> bool:
    """False while gunicorn is still starting (connection refused or not yet 200)."""
    try:
        with urllib.request.urlopen(server.url("/healthz"), timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def wait_until_ready(server: Server, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn {server.name} exited ({process.returncode}): see {server.log}")
        if _answers_healthz(server):
            return
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn {server.name} not ready after {timeout:.0f}s: see {server.log}")


def baseline_tree() -> Path:
    """The detached worktree of today's main, made once and reused."""
    if not (BASELINE_DIR / "gunicorn.conf.py").exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(BASELINE_DIR), BASELINE_COMMIT],
                       check=True, capture_output=True, text=True)
    head = subprocess.run(["git", "-C", str(BASELINE_DIR), "rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True).stdout.strip()
    if not head.startswith(BASELINE_COMMIT):
        raise RuntimeError(f"{BASELINE_DIR} is at {head[:12]}, not {BASELINE_COMMIT}: remove it or set "
                           "BENCH_HTTP_BASELINE_DIR")
    return BASELINE_DIR


def baseline_api_key(tree: Path) -> str:
    """A key today's main accepts: its secret hashed by that tree's own hasher (PBKDF2), stored as a row
    by this tree's models (which know every column the migrations added since)."""
    from orbit_numbers.models import ApiKey
    from orbit_numbers.services import KEY_PREFIX

    code = ("import json, secrets, django; django.setup(); from orbit_numbers.services import _hasher; "
            "secret = secrets.token_urlsafe(32); "
            "print(json.dumps({'secret': secret, 'hashed': _hasher.encode(secret, _hasher.salt())}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=tree, capture_output=True, text=True, timeout=120,
                            env=server_env(settings_module="orbit_numbers.settings", port=0), check=True)
    minted = json.loads(result.stdout.strip().splitlines()[-1])
    prefix = secrets.token_hex(6)
    ApiKey.objects.create(organization=organization(ORGANIZATION), name=f"bench http {BASELINE_COMMIT} only",
                          prefix=prefix, scopes=SCOPES, hashed_secret=minted["hashed"])
    return f"{KEY_PREFIX}{prefix}_{minted['secret']}"


def fetch(target: Target) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {target.secret}"} if target.secret else {}
    request = urllib.request.Request(target.server.url(target.path), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def check_answers(targets: dict[str, Target]) -> None:
    """Every target answers 200 with JSON before it is loaded; both trees give the same balance."""
    bodies = {}
    for key, target in targets.items():
        status, body = fetch(target)
        if status != 200:
            raise RuntimeError(f"{target.label}: HTTP {status} before the load: {body[:300]!r}")
        bodies[key] = json.loads(body)
    if bodies["A balance"]["data"]["balance_cents"] != bodies["B balance"]["data"]["balance_cents"]:
        raise RuntimeError("the two trees report different balances for the same organisation")
    for key in ("A search", "B search"):
        if not bodies[key]["data"]["numbers"]:
            raise RuntimeError(f"{targets[key].label}: no numbers found")


def load(target: Target, seconds: int) -> tuple[float, int]:
    """wrk on one target: requests per second, and responses that were not 2xx plus socket errors."""
    command = [wrk_binary(), "-t", "1", "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--timeout", "10s"]
    if target.secret:
        command += ["-H", f"Authorization: Bearer {target.secret}"]
    output = subprocess.run([*command, target.server.url(target.path)], capture_output=True, text=True,
                            timeout=seconds + 60, check=True).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if rate is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    bad = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", output))
    if errors := re.search(r"Socket errors: (.*)", output):
        bad += sum(int(n) for n in re.findall(r"\d+", errors.group(1)))
    return float(rate.group(1)), bad


def measure(*, rounds: int) -> list[Row]:
    wrk_binary()
    http_rounds = max(1, min(rounds, MAX_ROUNDS))
    baseline = baseline_tree()
    secret = bench_api_key(organization(ORGANIZATION), scopes=SCOPES)
    baseline_secret = baseline_api_key(baseline)
    with ExitStack() as stack:
        this = stack.enter_context(gunicorn("this-tree", tree=ROOT, settings_module="bench.scale.bench_settings"))
        today = stack.enter_context(gunicorn("today-main", tree=baseline, settings_module="orbit_numbers.settings"))
        unpooled = stack.enter_context(gunicorn("this-tree-no-pool", tree=ROOT,
                                                settings_module="orbit_numbers.settings", extra_env={"DB_POOL": "off"}))
        targets = {
            "A balance": Target("this tree: balance", this, ENDPOINTS["balance"], secret),
            "B balance": Target(f"{BASELINE_COMMIT}: balance", today, ENDPOINTS["balance"], baseline_secret),
            "C bare": Target("bare view", this, BARE, None),
            "A search": Target("this tree: search", this, ENDPOINTS["search"], secret),
            "B search": Target(f"{BASELINE_COMMIT}: search", today, ENDPOINTS["search"], baseline_secret),
            "D balance": Target("this tree, DB_POOL=off: balance", unpooled, ENDPOINTS["balance"], secret),
        }
        check_answers(targets)
        for target in targets.values():
            load(target, WARMUP_SECONDS)  # imports, pools and caches warm; not counted
        for round_number in range(http_rounds):
            for target in targets.values():  # A, B, C, A, B, D: noise hits every target alike
                rate, bad = load(target, SECONDS)
                target.rates.append(rate)
                target.bad_responses += bad
                print(f"  http round {round_number + 1}/{http_rounds}: {target.label} {rate:.0f} req/s"
                      + (f", {bad} bad" if bad else ""), flush=True)
    return rows(targets, http_rounds)


def rows(targets: dict[str, Target], http_rounds: int) -> list[Row]:
    bare = targets["C bare"]
    how = (f"gunicorn 2 workers, wrk {CONNECTIONS} connections, median of {http_rounds}×{SECONDS}s, "
           f"interleaved")
    made = []
    for endpoint, path in ENDPOINTS.items():
        new, old = targets[f"A {endpoint}"], targets[f"B {endpoint}"]
        bad = new.bad_responses + old.bad_responses + bare.bad_responses
        failed = f"; {bad} non-2xx or socket errors" if bad else ""
        figure = f"median {new.median:.0f} req/s"
        versus_today = new.median / old.median
        made.append(Row(what=f"HTTP throughput `GET {path}` vs today's main", figure=figure,
                        reference=f"{BASELINE_COMMIT} on the same DB: median {old.median:.0f} req/s",
                        ratio=versus_today, goal="≥ 3×", met=versus_today >= 3 and not bad, note=how + failed))
        versus_bare = new.median / bare.median
        made.append(Row(what=f"HTTP throughput `GET {path}` vs a bare Django JSON view", figure=figure,
                        reference=f"bare view, same gunicorn: median {bare.median:.0f} req/s",
                        ratio=versus_bare, goal="≥ 0.5×", met=versus_bare >= 0.5 and not bad, note=how + failed))
    pooled, unpooled = targets["A balance"], targets["D balance"]
    made.append(Row(what="HTTP throughput `GET /api/v1/billing/balance`: the connection pool vs a new connection "
                         "per request (this tree both)", figure=f"median {pooled.median:.0f} req/s",
                    reference=f"DB_POOL=off: median {unpooled.median:.0f} req/s", ratio=pooled.median / unpooled.median,
                    goal="—", met=None, note=how))
    return made
