"""The shapes every readiness check speaks in."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from orbit_numbers.models import Organization

    from inventory.models import OwnedNumber, PhoneNumber


class Status:
    OK = "ok"
    WARNING = "warning"
    BLOCKED = "blocked"
    CHOICES = (OK, WARNING, BLOCKED)


@dataclass(frozen=True)
class Target:
    """One number asked about. ``kind`` says where it stands for the asking organisation:

    - ``owned``: an active (or held) number of the organisation; ``owned`` is set.
    - ``purchase``: on sale in our inventory; ``inventory`` is set.
    - ``port_in``: neither ours nor on sale: it could only come to us by porting.
    """

    e164: str
    kind: str  # "owned" | "purchase" | "port_in"
    country: str  # ISO alpha-2, from the numbering plan
    line_type: str  # local | mobile | toll_free (inventory row when there is one, else the numbering plan)
    capabilities: tuple[str, ...] = ()  # sms, voice, …: the owned or on-sale row's; () for port_in
    owned: "OwnedNumber | None" = None
    inventory: "PhoneNumber | None" = None


@dataclass(frozen=True)
class CheckResult:
    status: str  # Status.OK | Status.WARNING | Status.BLOCKED
    reason: str  # plain English, one sentence
    next_action: str = ""  # what to do next; "" when status is ok
    details: dict = field(default_factory=dict)  # machine-readable extras (e.g. missing documents)


class ReadinessCheck(Protocol):
    name: str  # the key in the answer: "regulatory", "e911", …

    def evaluate(self, *, organization: "Organization", targets: list[Target]) -> dict[str, CheckResult]:
        """A result for every target, keyed by e164, in a constant number of queries.
        A check that does not apply to a target answers ok with a reason saying why."""
        ...
