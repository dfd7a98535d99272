"""gunicorn.conf.py: the production profile's settings and its Prometheus multiprocess hooks."""
from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "gunicorn.conf.py"


def load_conf(monkeypatch, **env) -> dict:
    for name in ("GUNICORN_WORKERS", "WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_BIND", "PROMETHEUS_MULTIPROC_DIR",
                 "DB_POOL", "DB_POOL_MAX_SIZE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_workers_threads_and_bind_come_from_the_environment(monkeypatch):
    conf = load_conf(monkeypatch, GUNICORN_WORKERS="3", GUNICORN_THREADS="8", GUNICORN_BIND="0.0.0.0:9000")
    assert conf["worker_class"] == "gthread"
    assert (conf["workers"], conf["threads"], conf["bind"]) == (3, 8, ["0.0.0.0:9000"])
    assert conf["max_requests"] > 0 and 0 < conf["max_requests_jitter"] < conf["max_requests"]
    assert conf["graceful_timeout"] > 0 and conf["timeout"] > 0
    assert conf["wsgi_app"] == "orbit_numbers.wsgi:application"


def test_workers_get_a_database_pool_of_one_connection_per_thread(monkeypatch):
    assert load_conf(monkeypatch, GUNICORN_THREADS="6")["raw_env"] == ["DB_POOL=on", "DB_POOL_MAX_SIZE=6"]
    # The environment decides when it says anything: pool off, or sized by hand.
    assert load_conf(monkeypatch, DB_POOL="off")["raw_env"] == ["DB_POOL_MAX_SIZE=4"]
    assert load_conf(monkeypatch, DB_POOL_MAX_SIZE="2")["raw_env"] == ["DB_POOL=on"]


def test_web_concurrency_is_the_fallback_for_workers(monkeypatch):
    assert load_conf(monkeypatch, WEB_CONCURRENCY="5")["workers"] == 5


def test_a_configured_multiproc_dir_is_emptied_at_start(monkeypatch, tmp_path):
    (tmp_path / "counter_123.db").write_bytes(b"old run")
    conf = load_conf(monkeypatch, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    conf["on_starting"](SimpleNamespace(log=SimpleNamespace(info=lambda *args: None)))
    assert list(tmp_path.iterdir()) == []


def test_without_a_configured_dir_each_start_gets_a_new_one(monkeypatch):
    conf = load_conf(monkeypatch)
    first = conf["fresh_multiproc_dir"]()
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    second = conf["fresh_multiproc_dir"]()
    assert first != second and first.is_dir() and second.is_dir()
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(second)


def test_child_exit_drops_the_dead_workers_live_gauges(monkeypatch, tmp_path):
    conf = load_conf(monkeypatch, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    (tmp_path / "gauge_livesum_4242.db").write_bytes(b"x")
    (tmp_path / "gauge_livesum_4343.db").write_bytes(b"x")
    (tmp_path / "counter_4242.db").write_bytes(b"x")  # counters outlive the worker: they are totals
    conf["child_exit"](None, SimpleNamespace(pid=4242))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counter_4242.db", "gauge_livesum_4343.db"]


def test_gunicorn_accepts_the_config_and_loads_the_app(tmp_path):
    gunicorn = Path(sys.executable).with_name("gunicorn")
    result = subprocess.run([str(gunicorn), "-c", str(CONF), "--check-config"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, env={"PATH": "/usr/bin:/bin", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
                                 "SECRET_KEY": "gunicorn-check-config"})
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_control_socket_is_off_unless_a_path_is_given(monkeypatch):
    monkeypatch.delenv("GUNICORN_CONTROL_SOCKET", raising=False)
    assert load_conf(monkeypatch)["control_socket_disable"] is True
    conf = load_conf(monkeypatch, GUNICORN_CONTROL_SOCKET="/run/orbit/gunicorn.ctl")
    assert (conf["control_socket_disable"], conf["control_socket"]) == (False, "/run/orbit/gunicorn.ctl")
