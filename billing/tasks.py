"""Celery tasks of the billing app: thin wrappers over services."""
from celery import shared_task

from .services_top_ups import top_ups_sync_processing


@shared_task
def sync_processing_top_ups() -> dict:
    result = top_ups_sync_processing()
    return {"checked": result.checked, "succeeded": result.succeeded, "failed": result.failed}
