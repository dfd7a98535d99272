"""Gunicorn, the production profile (`make serve`, the container image). Every knob reads the environment.

gthread workers: each worker process runs GUNICORN_THREADS request threads, so a request waiting on
PostgreSQL or a carrier does not hold the whole process. Workers are recycled after MAX_REQUESTS
(± jitter, so they do not all restart at once). Prometheus metrics are collected across workers
through prometheus_client's multiprocess mode: PROMETHEUS_MULTIPROC_DIR is emptied (or created) when
the master starts, and a dead worker's live gauges are dropped in ``child_exit``.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

wsgi_app = "orbit_numbers.wsgi:application"

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", os.environ.get("WEB_CONCURRENCY", "2")))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A request may wait on a slow carrier (HTTP timeout × retries): the worker is killed only past this.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# A worker's start costs about 3 s of CPU on the 2-core dev VM (imports, app set-up) and new connections:
# at 2,000 requests a worker answering cheap requests spent up to a quarter of its CPU restarting. 20,000
# still bounds a slow leak.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "2000"))
# Only these proxies may set X-Forwarded-Proto/For (a comma-separated list, "*" behind a trusted LB only).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Each worker imports the app itself: a recycled worker starts clean, and no connection crosses a fork.
preload_app = False
# PostgreSQL connections: each worker process gets its own psycopg pool of one connection per thread
# (orbit_numbers/db_settings.py), unless the environment sets these itself (DB_POOL=off: per-thread
# connections kept DB_CONN_MAX_AGE seconds). raw_env sets them in gunicorn's processes only, so Celery
# workers and management commands keep their own connections.
raw_env = [f"{name}={value}" for name, value in (("DB_POOL", "on"), ("DB_POOL_MAX_SIZE", str(threads)))
           if name not in os.environ]
# The heartbeat file on tmpfs, so a slow container disk cannot make gunicorn think a worker hangs.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# gunicorn's control socket (gunicornc) sits at one path per user: two masters on a host would fight
# over it, and the image's user has no home. Signals do the same job (HUP, TERM, TTIN/TTOU).
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
errorlog = "-"
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None  # the app logs every request itself
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
proc_name = os.environ.get("GUNICORN_PROC_NAME", "orbit-numbers")


def fresh_multiproc_dir() -> Path:
    """An empty PROMETHEUS_MULTIPROC_DIR: the configured one emptied, else a new temporary one.
    Files left by a previous start would add its counters to this one's."""
    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
    else:
        path = Path(tempfile.mkdtemp(prefix="orbit-prometheus-"))
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    return path


def on_starting(server):
    # Once per master start (not on a HUP reload), before any worker imports prometheus_client.
    server.log.info("prometheus multiprocess dir: %s", fresh_multiproc_dir())


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
