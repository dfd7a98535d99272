"""Celery's production settings: at-least-once delivery, time limits, and two queues."""
from __future__ import annotations

import pytest

from orbit_numbers.celery import app

CARRIER_TASKS = {
    "porting.tasks.poll_open_port_requests",
    "orbit_numbers.webhooks.deliver_webhook_event",
    "orbit_numbers.webhooks.deliver_due_webhook_events",
    "inventory.tasks.notify_low_stock",
    "inventory.tasks.release_at_carriers",
    "inventory.tasks.reconcile_carrier_orders",
    "porting.tasks.sweep_stale_port_dispatches",
    "inventory.tasks.submit_cnam_listing",
    "billing.tasks.sync_processing_top_ups",
    "inventory.tasks.refresh_cnam_listings",
    "inventory.tasks.refresh_spam_labels",
    "inventory.tasks.provision_emergency_address",
    "inventory.tasks.recheck_emergency_provisioning",
}
HOUSEKEEPING_TASKS = {
    "inventory.tasks.expire_reservations",
    "inventory.tasks.charge_renewals",
    "inventory.tasks.return_aged_numbers",
    "inventory.tasks.check_low_stock",
    "orbit_numbers.tasks.purge_idempotency_records",
}


def queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def project_tasks() -> set[str]:
    app.loader.import_default_modules()
    # Tasks that test modules define for themselves (tests.*) are not the project's.
    return {name for name in app.tasks if not name.startswith(("celery.", "tests."))}


def test_a_task_whose_worker_dies_is_redelivered_not_lost():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_every_task_has_a_soft_limit_below_its_hard_limit():
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit
    for name in project_tasks():
        task = app.tasks[name]
        soft = task.soft_time_limit or app.conf.task_soft_time_limit
        hard = task.time_limit or app.conf.task_time_limit
        assert 0 < soft < hard, name


def test_redis_redelivery_waits_longer_than_the_longest_webhook_backoff():
    from orbit_numbers.webhooks.services import backoff_seconds

    assert app.conf.broker_transport_options["visibility_timeout"] > backoff_seconds(100)


@pytest.mark.parametrize("name", sorted(CARRIER_TASKS))
def test_carrier_io_runs_on_the_carrier_queue(name):
    assert queue_of(name) == "carrier"


@pytest.mark.parametrize("name", sorted(HOUSEKEEPING_TASKS))
def test_sweeps_run_on_the_housekeeping_queue(name):
    assert queue_of(name) == "housekeeping"


def test_no_task_falls_through_to_the_default_queue():
    assert {name: queue_of(name) for name in project_tasks()
            if queue_of(name) not in ("carrier", "housekeeping")} == {}


def test_carrier_reconciliation_is_routed_to_the_carrier_queue_wherever_it_lives():
    assert queue_of("inventory.tasks.reconcile_carrier_orders") == "carrier"


def test_every_beat_job_names_a_registered_task():
    from django.conf import settings

    assert {job["task"] for job in settings.CELERY_BEAT_SCHEDULE.values()} <= project_tasks()
