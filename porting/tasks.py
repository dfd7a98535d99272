"""Celery tasks of the porting app: thin wrappers over services."""
from celery import shared_task

from . import services


# Up to 2 × 200 carrier calls, each with HTTP retries: longer than the default limit.
@shared_task(soft_time_limit=900, time_limit=960)
def poll_open_port_requests() -> dict:
    return services.port_requests_poll()


@shared_task
def sweep_stale_port_dispatches() -> dict:
    return services.port_dispatch_claims_sweep()
