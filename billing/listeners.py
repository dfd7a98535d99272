"""Higher floors hear about money arriving without billing importing them: inventory registers a
listener (AppConfig.ready) that retries a suspended organisation's renewals after a credit."""
from __future__ import annotations

import logging
from typing import Callable

from django.db import transaction

logger = logging.getLogger(__name__)

# listener(organization_id=…) runs after the crediting transaction commits.
_credit_listeners: list[Callable[..., None]] = []


def wallet_credit_listener_register(listener: Callable[..., None]) -> None:
    """Register (once) a function called after every committed credit (top-up, refund, positive adjustment)."""
    if listener not in _credit_listeners:
        _credit_listeners.append(listener)


def wallet_credited_on_commit(*, organization_id: int) -> None:
    """Call the registered listeners once the current transaction commits; one failing listener
    is logged and does not stop the others (the credit itself has committed)."""

    def notify() -> None:
        for listener in list(_credit_listeners):
            try:
                listener(organization_id=organization_id)
            except Exception:
                logger.exception("Wallet credit listener %r failed for organisation %s", listener, organization_id)

    transaction.on_commit(notify)
