"""Celery tasks of the inventory app: thin wrappers over services."""
from celery import shared_task

from . import services


@shared_task
def return_aged_numbers() -> int:
    return services.aged_numbers_return()


@shared_task
def expire_reservations() -> int:
    return services.reservations_expire()
