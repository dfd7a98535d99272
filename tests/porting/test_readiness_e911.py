"""The E911 readiness check: every state of owned, purchasable and portable numbers, in one query."""
from __future__ import annotations

import pytest
from django.utils import timezone

from inventory.models import EmergencyAddress, EmergencyAssignment, OwnedNumber
from inventory.services import number_purchase
from porting.readiness import Status, Target
from porting.readiness.e911 import CHECK
from tests.inventory.compliance_support import ensure_covered


@pytest.fixture
def owned(org, make_number):
    def owned(*, country="US", capabilities=("sms", "voice"), status=None, error=""):
        row = make_number(country)
        ensure_covered(org, country)
        number = number_purchase(organization=org, phone_number=row.e164, country_code=country)
        OwnedNumber.objects.filter(pk=number.pk).update(capabilities=list(capabilities))
        if status is not None:
            address = EmergencyAddress.objects.create(
                organization=org, caller_name="Jane Roe", street_number="1", street_name="Market St",
                city="San Francisco", state="CA", postal_code="94105", country="US")
            EmergencyAssignment.objects.create(number=number, organization=org, address=address, status=status,
                                               provider="telnyx", request_token="t", requested_at=timezone.now(),
                                               error_code="E911_PSAP_REJECTED" if error else "", error_message=error)
        number.refresh_from_db()
        return Target(e164=number.e164, kind="owned", country=country, line_type="local",
                      capabilities=tuple(capabilities), owned=number)
    return owned


def test_every_state(org, owned, make_number, django_assert_num_queries):
    provisioned = owned(status="provisioned")
    pending = owned(status="pending")
    failed = owned(status="failed", error="PSAP refused the address")
    none = owned()
    removing = owned(status="removing")
    no_voice = owned(capabilities=("sms",))
    gb = owned(country="GB")
    for_sale = make_number("US")
    purchase = Target(e164=for_sale.e164, kind="purchase", country="US", line_type="local",
                      capabilities=("sms", "voice"), inventory=for_sale)
    purchase_sms = Target(e164="+14155550177", kind="purchase", country="US", line_type="local",
                          capabilities=("sms",))
    port_in = Target(e164="+12015550123", kind="port_in", country="US", line_type="local")
    port_in_gb = Target(e164="+442079460018", kind="port_in", country="GB", line_type="local")
    targets = [provisioned, pending, failed, none, removing, no_voice, gb, purchase, purchase_sms, port_in,
               port_in_gb]

    with django_assert_num_queries(1):
        results = CHECK.evaluate(organization=org, targets=targets)

    status = {t.e164: results[t.e164].status for t in targets}
    assert [status[t.e164] for t in targets] == [
        Status.OK, Status.WARNING, Status.BLOCKED, Status.BLOCKED, Status.BLOCKED, Status.OK, Status.WARNING,
        Status.WARNING, Status.OK, Status.WARNING, Status.WARNING]
    assert "PSAP refused the address" in results[failed.e164].reason
    assert results[failed.e164].next_action.startswith("Attach a corrected address")
    assert results[none.e164].reason.startswith("Emergency calls are blocked")
    assert f"/numbers/{none.owned.pk}/emergency-address" in results[none.e164].next_action
    assert "Once the number is yours" in results[purchase.e164].next_action
    assert results[provisioned.e164].next_action == "" and results[provisioned.e164].details["address_id"]
    assert all(results[t.e164].reason for t in targets)


def test_constant_queries_for_many_numbers(org, owned, django_assert_num_queries):
    targets = [owned(status="provisioned") for _ in range(3)] + [owned() for _ in range(3)]
    with django_assert_num_queries(1):
        results = CHECK.evaluate(organization=org, targets=targets)
    assert sum(r.status == Status.OK for r in results.values()) == 3


def test_another_organisations_assignment_does_not_count(org, owned, make_org):
    target = owned(status="provisioned")
    other = make_org("Other")
    assert CHECK.evaluate(organization=other, targets=[target])[target.e164].status == Status.BLOCKED


def test_no_owned_voice_numbers_costs_no_query(org, django_assert_num_queries):
    with django_assert_num_queries(0):
        results = CHECK.evaluate(organization=org, targets=[
            Target(e164="+12015550123", kind="port_in", country="US", line_type="local")])
    assert results["+12015550123"].status == Status.WARNING
