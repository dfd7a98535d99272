"""Celery tasks of the porting app: thin wrappers over services."""
from celery import shared_task

from . import services


@shared_task
def poll_open_port_requests() -> dict:
    return services.port_requests_poll()


@shared_task
def sweep_stale_port_dispatches() -> dict:
    return services.port_dispatch_claims_sweep()
