"""The operations dashboard on the admin index: a registry of panels that apps fill in.

The kernel cannot import apps, so each app registers its own panels from its AppConfig.ready()
(see inventory/dashboard.py, billing/dashboard.py). A panel answers one question an operator
asks every morning ("what is about to run out?", "what failed at the carriers?"): a count, a
link to the changelist filtered to exactly those rows, and the first few rows.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PanelRow:
    label: str
    url: str = ""
    detail: str = ""


@dataclass(frozen=True)
class PanelData:
    count: int
    url: str
    rows: list[PanelRow] = field(default_factory=list)


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    compute: Callable[[], PanelData]
    # Django permission ("app_label.codename") the viewer needs; the panel is hidden otherwise.
    permission: str = ""
    # Lower sorts first; ties keep registration order.
    order: int = 100
    # Shown under the count: what a non-zero count means and what to do about it.
    help_text: str = ""
    empty_text: str = "Nothing needs attention."


@dataclass(frozen=True)
class RenderedPanel:
    panel: Panel
    data: PanelData | None
    error: bool = False

    @property
    def attention(self) -> bool:
        return bool(self.data and self.data.count)


_registry: dict[str, Panel] = {}


def register(panel: Panel) -> Panel:
    """Register (or replace, by key) a panel. Idempotent, so ready() may run twice in tests."""
    _registry[panel.key] = panel
    return panel


def unregister(key: str) -> None:
    _registry.pop(key, None)


def registered() -> list[Panel]:
    return sorted(_registry.values(), key=lambda panel: panel.order)


def panels_for(user) -> list[RenderedPanel]:
    """The panels ``user`` may see, computed now. A panel that fails shows as unavailable instead of
    taking the whole console down with it; the failure is logged with its traceback."""
    rendered = []
    for panel in registered():
        if panel.permission and not user.has_perm(panel.permission):
            continue
        try:
            rendered.append(RenderedPanel(panel=panel, data=panel.compute()))
        except Exception:
            logger.exception("Dashboard panel %s failed", panel.key)
            rendered.append(RenderedPanel(panel=panel, data=None, error=True))
    return rendered
