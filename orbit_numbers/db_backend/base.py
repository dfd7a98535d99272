"""Django's PostgreSQL backend, with one change: the pool's health check is
``orbit_numbers.db_pool.check_idle_connection`` (a real check only for a connection that looks
dropped) instead of ``ConnectionPool.check_connection`` (an empty query on every checkout).

Django builds the pool in ``DatabaseWrapper.pool`` and passes ``check=`` itself, so the check cannot
come through ``OPTIONS["pool"]``; this property builds it the way Django 5.2 does, with that check.
"""
from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db.backends.postgresql import base
from django.db.backends.base.base import NO_DB_ALIAS

from ..db_pool import check_idle_connection


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self):
        pool_options = self.settings_dict["OPTIONS"].get("pool")
        if self.alias == NO_DB_ALIAS or not pool_options:
            return None
        if self.alias not in self._connection_pools:
            if self.settings_dict.get("CONN_MAX_AGE", 0) != 0:
                raise ImproperlyConfigured("Pooling doesn't support persistent connections.")
            from psycopg_pool import ConnectionPool

            connect_kwargs = self.get_connection_params()
            connect_kwargs["autocommit"] = True  # Django sets it properly later, as in its own backend
            pool = ConnectionPool(
                kwargs=connect_kwargs, open=False, configure=self._configure_connection,
                check=check_idle_connection if self.settings_dict["CONN_HEALTH_CHECKS"] else None,
                **({} if pool_options is True else pool_options))
            self._connection_pools.setdefault(self.alias, pool)  # the first thread's pool wins, as in Django
        return self._connection_pools[self.alias]
