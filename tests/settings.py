"""The suite's settings: the project's own, plus a throwaway SECRET_KEY when the environment has none
(outside DEBUG the project refuses to start without one), and carrier calls inside a transaction refused. Set before the project's settings are read,
and in os.environ, so that subprocesses the tests start (a Celery worker, manage.py) get it too."""
import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
# A carrier call inside a transaction is a bug the suite must catch (inventory/providers/__init__.py).
os.environ.setdefault("ORBIT_CARRIER_TRANSACTION_GUARD", "raise")
# Webhook test receivers listen on 127.0.0.1 (tests/httpstub.py); production refuses loopback targets.
os.environ.setdefault("ORBIT_WEBHOOK_ALLOW_LOOPBACK", "1")

from orbit_numbers.settings import *  # noqa: E402,F401,F403
