"""Database connections from the environment (orbit_numbers/db_settings.py): a psycopg pool per web
worker, or per-thread connections kept DB_CONN_MAX_AGE seconds; health checks either way; SQLite as it
was. The suite itself runs without the pool, so one test here runs queries through a pooled one."""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import request_finished
from django.db import connections
from psycopg_pool import ConnectionPool

from orbit_numbers.db_backend.base import DatabaseWrapper
from orbit_numbers.db_settings import database_settings

ROOT = Path(__file__).resolve().parents[2]
PG = "postgres://orbit:secret@db.internal:5432/orbit"


def test_without_the_pool_connections_are_kept_db_conn_max_age_and_health_checked():
    config = database_settings(PG, env={"DB_CONN_MAX_AGE": "60"})
    assert (config["CONN_MAX_AGE"], config["CONN_HEALTH_CHECKS"]) == (60, True)
    assert "pool" not in config.get("OPTIONS", {})
    assert database_settings(PG, env={})["CONN_MAX_AGE"] == 0  # closed after each request or task


def test_the_pool_is_sized_from_the_environment_and_replaces_persistent_connections():
    config = database_settings(PG, env={"DB_POOL": "on", "DB_POOL_MIN_SIZE": "2", "DB_POOL_MAX_SIZE": "8",
                                        "DB_POOL_TIMEOUT": "2.5", "DB_CONN_MAX_AGE": "60"})
    assert config["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 8, "timeout": 2.5}
    # Django refuses a pool with CONN_MAX_AGE > 0; DB_CONN_MAX_AGE is for the processes without one.
    assert (config["CONN_MAX_AGE"], config["CONN_HEALTH_CHECKS"]) == (0, True)
    assert config["ENGINE"] == "orbit_numbers.db_backend"  # the pool's check: orbit_numbers.db_pool
    assert (config["NAME"], config["HOST"], config["USER"]) == ("orbit", "db.internal", "orbit")


def test_pool_defaults_are_a_fixed_pool_of_one_connection_per_default_thread():
    assert database_settings(PG, env={"DB_POOL": "1"})["OPTIONS"]["pool"] == {"min_size": 4, "max_size": 4,
                                                                               "timeout": 10.0}
    assert database_settings(PG, env={"DB_POOL": "1", "DB_POOL_MAX_SIZE": "6"})["OPTIONS"]["pool"]["min_size"] == 6
    assert "pool" not in database_settings(PG, env={"DB_POOL": "off"}).get("OPTIONS", {})


@pytest.mark.parametrize("env, message", [
    ({"DB_POOL_MIN_SIZE": "5", "DB_POOL_MAX_SIZE": "4"}, "exceeds DB_POOL_MAX_SIZE"),
    ({"DB_POOL_MAX_SIZE": "0"}, "DB_POOL_MAX_SIZE must be at least 1"),
])
def test_an_impossible_pool_size_stops_the_start(env, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        database_settings(PG, env={"DB_POOL": "on", **env})


def test_pgbouncer_transaction_mode_turns_server_side_cursors_off():
    assert database_settings(PG, env={"DB_DISABLE_SERVER_SIDE_CURSORS": "1"})["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert database_settings(PG, env={})["DISABLE_SERVER_SIDE_CURSORS"] is False


def test_the_sqlite_demo_is_unchanged_even_with_the_pool_asked_for():
    config = database_settings("sqlite:////tmp/orbit-demo.sqlite3", env={"DB_POOL": "on"})
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert (config["CONN_MAX_AGE"], config["CONN_HEALTH_CHECKS"], config.get("OPTIONS", {})) == (0, False, {})


def settings_databases(**env: str) -> dict:
    """settings.DATABASES as a fresh process with ``env`` builds it."""
    base = {name: value for name, value in os.environ.items() if not name.startswith(("DB_", "DATABASE"))}
    code = "import json; from django.conf import settings; print(json.dumps(settings.DATABASES, default=str))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**base, "DJANGO_SETTINGS_MODULE": "orbit_numbers.settings", **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_settings_pool_the_primary_and_the_replica_alike():
    databases = settings_databases(DATABASE_URL=PG, DATABASE_REPLICA_URL=PG.replace("db.internal", "replica"),
                                   DB_POOL="on", DB_POOL_MAX_SIZE="3", DB_CONN_MAX_AGE="60")
    for alias in ("default", "replica"):
        assert databases[alias]["OPTIONS"]["pool"] == {"min_size": 3, "max_size": 3, "timeout": 10.0}, alias
        assert (databases[alias]["CONN_MAX_AGE"], databases[alias]["CONN_HEALTH_CHECKS"]) == (0, True)
        assert databases[alias]["ENGINE"] == "orbit_numbers.db_backend", alias
    assert databases["replica"]["HOST"] == "replica" and databases["replica"]["TEST"] == {"MIRROR": "default"}
    unpooled = settings_databases(DATABASE_URL=PG, DB_CONN_MAX_AGE="60")["default"]
    assert unpooled["CONN_MAX_AGE"] == 60 and "pool" not in unpooled.get("OPTIONS", {})


@pytest.fixture
def pooled(transactional_db):
    """A connection to the test database configured as a web worker's (DB_POOL=on)."""
    settings_dict = copy.deepcopy(connections["default"].settings_dict)
    settings_dict.update(CONN_MAX_AGE=0, CONN_HEALTH_CHECKS=True, ENGINE="orbit_numbers.db_backend")
    # One connection, so "reused" means the very same server connection.
    settings_dict["OPTIONS"]["pool"] = {"min_size": 1, "max_size": 1, "timeout": 5.0}
    wrapper = DatabaseWrapper(settings_dict, alias="pooled_check")
    yield wrapper
    wrapper.close()
    wrapper.close_pool()


def backend_pid(wrapper: DatabaseWrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate_and_wait(pid: int) -> None:
    """Drop a server connection as a restart or an idle timeout does, and wait until it is gone:
    pg_terminate_backend only signals the backend, which then says goodbye and closes the socket."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])  # waits up to 5 s for it to exit
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        assert cursor.fetchone()[0] == 0


def test_a_pooled_connection_goes_back_to_the_pool_and_is_reused(pooled):
    first = backend_pid(pooled)
    pooled.close()  # what Django does when a request ends: the connection returns to the pool
    assert pooled.connection is None
    pooled.close_if_unusable_or_obsolete()  # the next request's start
    assert backend_pid(pooled) == first  # the same server connection: no new connect per request
    stats = pooled.pool.get_stats()
    assert stats["connections_num"] == 1 and stats["requests_num"] >= 2


def test_the_pool_health_check_replaces_a_connection_the_server_dropped(pooled):
    first = backend_pid(pooled)
    pooled.close()
    terminate_and_wait(first)
    second = backend_pid(pooled)  # the pool's check saw the dead connection and opened another
    assert second != first


def test_the_pool_check_costs_no_round_trip_while_the_connection_is_alive(pooled, monkeypatch):
    real_checks = []
    real_check = ConnectionPool.check_connection
    monkeypatch.setattr(ConnectionPool, "check_connection",
                        staticmethod(lambda conn: (real_checks.append(conn), real_check(conn))))
    first = backend_pid(pooled)
    for _ in range(3):
        pooled.close()
        assert backend_pid(pooled) == first
    assert real_checks == []  # an idle socket with nothing to read: no query sent to check it
    pooled.close()
    terminate_and_wait(first)
    assert backend_pid(pooled) != first and len(real_checks) == 1  # the dropped one got the real check


def test_the_cache_reuses_its_redis_connection_across_requests():
    if not hasattr(cache, "_cache"):
        pytest.skip("no Redis cache configured (REDIS_URL)")
    client = cache._cache.get_client(write=True)
    assert client.connection_pool.connection_kwargs["health_check_interval"] == 30
    before = client.client_id()
    request_finished.send(sender=None)  # Django closes caches at the end of every request
    after = cache._cache.get_client(write=True).client_id()
    assert after == before  # the same server-side connection: the rate limiter does not reconnect
