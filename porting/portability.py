"""The pre-flight portability check: read-only, no order, no charge.

Numbers are grouped by the carrier that would port them (Telnyx for US/CA, DIDWW elsewhere).
A carrier that fails or does not answer in time (ProviderError, including timeouts) yields
check-skipped with an optimistic eligible=true; the submission will be checked for real.
Orbit's own blockers (already hosted here, a port already open) are added to the carrier's: by
name for the asking organisation's own numbers and ports, as "not eligible" for anyone else's.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from inventory.providers import get_adapter, porting_provider_for
from inventory.providers.base import PortabilityResult
from orbit_numbers.errors import ProviderError
from orbit_numbers.models import Organization

from .selectors import PORT_IN_BLOCKER_REASONS, port_in_blockers
from .services import number_country

logger = logging.getLogger(__name__)

#: checked (a live carrier verdict), check-not-supported (the carrier has no synchronous check),
#: check-skipped (the carrier did not answer: eligible is optimistic).
CHECK_STATUSES = ("checked", "check-not-supported", "check-skipped")


@dataclass(frozen=True)
class PortabilityVerdict:
    """The answer for one number: the carrier's verdict with Orbit's own blockers added."""

    phone_number: str
    eligible: bool
    provider: str
    check_status: str
    reasons: list[str] = field(default_factory=list)
    splittable: bool = False
    estimated_foc_date: date | None = None
    fast_portable: bool | None = None


def portability_check(*, organization: Organization, numbers: list[str]) -> list[PortabilityVerdict]:
    """One verdict per number, in the order asked, for ``organization``: another organisation's
    number or open port-in is "not eligible", never named."""
    by_provider: dict[str, list[str]] = defaultdict(list)
    for number in numbers:
        by_provider[porting_provider_for(number_country(number))].append(number)
    verdicts: dict[str, tuple[str, PortabilityResult]] = {}
    for provider, group in by_provider.items():
        try:
            results = get_adapter(provider).check_portability(numbers=group)
        except ProviderError as exc:
            logger.warning("Portability check at %s skipped: %s", provider, exc.message)
            results = [PortabilityResult(phone_number=n, eligible=True, check_status="check-skipped")
                       for n in group]
        by_number = {r.phone_number: r for r in results}
        for number in group:
            # A carrier that answers for fewer numbers than asked is treated as not answering for them.
            verdicts[number] = (provider, by_number.get(number) or PortabilityResult(
                phone_number=number, eligible=True, check_status="check-skipped"))
    blockers = port_in_blockers(organization=organization, numbers=numbers)
    answers = []
    for number in numbers:
        provider, result = verdicts[number]
        blocker = [PORT_IN_BLOCKER_REASONS[blockers[number]]] if number in blockers else []
        answers.append(PortabilityVerdict(
            phone_number=number, eligible=result.eligible and not blocker, provider=provider,
            check_status=result.check_status, reasons=list(result.reasons) + blocker,
            splittable=result.splittable, estimated_foc_date=result.estimated_foc_date,
            fast_portable=result.fast_portable))
    return answers
