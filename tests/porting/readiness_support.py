"""Helpers of the readiness tests: a fake check module, 10DLC campaigns, port-in numbers."""
from __future__ import annotations

import sys
import types

import porting.api_readiness  # noqa: F401  (its schema is built from the real CHECK_MODULES before any test patches them)
from inventory.models import Brand, Campaign
from porting.readiness import CheckResult, Status

# Valid US local numbers we hold no inventory row for (make_number counts up from +12015550000), whose
# tails the simulator treats as plain portable numbers.
PORT_IN_US = [f"+1202555{tail:04d}" for tail in range(300, 400)]


class FakeCheck:
    """Answers ok for every target, or raises when ``fail`` is set."""

    name = "fake"

    def __init__(self, *, fail: bool = False):
        self.fail = fail
        self.calls = 0

    def evaluate(self, *, organization, targets):
        self.calls += 1
        if self.fail:
            raise RuntimeError("the fake check broke")
        return {t.e164: CheckResult(Status.OK, f"fake says {t.kind}") for t in targets}


def install_checks(monkeypatch, *, fake: FakeCheck | None = None,
                   modules: tuple[str, ...] = ("wallet", "portability", "campaign", "fake")) -> FakeCheck:
    """Run only these checks: a few real ones plus a fake module whose failures the test controls (the
    runner's tests; test_readiness_all_checks.py runs every real check)."""
    import porting.readiness

    fake = fake or FakeCheck()
    module = types.ModuleType("porting.readiness.fake")
    module.CHECK = fake
    monkeypatch.setitem(sys.modules, "porting.readiness.fake", module)
    monkeypatch.setattr(porting.readiness, "CHECK_MODULES", modules)
    return fake


def make_campaign(organization, status=Campaign.Status.ACTIVE, *, name="Alerts",
                  brand_status=Brand.IdentityStatus.VERIFIED) -> Campaign:
    brand = Brand.objects.create(organization=organization, name=f"{name} brand", identity_status=brand_status)
    return Campaign.objects.create(organization=organization, brand=brand, name=name, status=status)
