"""A port-in completed with a short wallet defers its first month; the renewal run that collects
it settles the port request in the same transaction."""
from __future__ import annotations

from billing.models import LedgerEntry
from billing.services import wallet_credit
from inventory.models import OwnedNumber
from inventory.services import number_renewals_charge
from orbit_numbers.models import AuditLog
from porting import services
from porting.models import PortRequest

URL = "/api/v1/numbers/porting"


def deferred_port(make_org, make_client, upload_loa, reviewer, numbers):
    broke = make_org("Broke", credit_cents=0)
    api = make_client(broke)
    port_id = api.post(URL, {"numbers": numbers, "currentCarrier": "Acme", "country": "US",
                             "loaFileUrl": upload_loa(api)}, format="json").json()["data"]["id"]
    services.port_request_loa_approve(port_request_id=port_id, acting_user=reviewer)
    api.post(f"{URL}/{port_id}/refresh")
    assert PortRequest.objects.get(pk=port_id).charge_status == "deferred"
    return broke, port_id


def test_the_renewal_run_that_collects_the_first_month_settles_the_port(make_org, make_client, upload_loa, reviewer,
                                                                       fast_carrier):
    broke, port_id = deferred_port(make_org, make_client, upload_loa, reviewer, ["+12015550124"])
    wallet_credit(organization=broke, amount_cents=10_000, description="top-up")

    result = number_renewals_charge()
    assert result.numbers_charged == 1
    assert LedgerEntry.objects.filter(wallet__organization=broke, kind="monthly_fee").count() == 1
    assert PortRequest.objects.get(pk=port_id).charge_status == "charged"
    settled = AuditLog.objects.get(action="port_in.charge_settled", object_id=port_id)
    assert settled.before == {"charge_status": "deferred"} and settled.after["charge_status"] == "charged"

    number_renewals_charge()  # a second run neither charges nor settles anything again
    assert LedgerEntry.objects.filter(wallet__organization=broke, kind="monthly_fee").count() == 1
    assert AuditLog.objects.filter(action="port_in.charge_settled", object_id=port_id).count() == 1


def test_a_port_settles_only_when_every_number_has_paid(make_org, make_client, upload_loa, reviewer, fast_carrier):
    broke, port_id = deferred_port(make_org, make_client, upload_loa, reviewer, ["+12015550124", "+12015550126"])
    one_month = OwnedNumber.objects.filter(organization=broke).first().monthly_cents
    wallet_credit(organization=broke, amount_cents=one_month, description="enough for one")
    assert number_renewals_charge().numbers_charged == 1
    assert PortRequest.objects.get(pk=port_id).charge_status == "deferred"

    wallet_credit(organization=broke, amount_cents=one_month, description="the rest")
    assert number_renewals_charge().numbers_charged == 1
    assert PortRequest.objects.get(pk=port_id).charge_status == "charged"
