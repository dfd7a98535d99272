"""The current request's id, so services can stamp audit rows without threading it through."""
from __future__ import annotations

import contextvars

current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("orbit_request_id", default="")
