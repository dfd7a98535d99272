"""Inventory side of a completed port-in: the number becomes the organisation's, never a held one."""
from __future__ import annotations

import pytest

from inventory.models import InventoryStatus, OwnedNumber
from inventory.services import ported_number_activate
from orbit_numbers.errors import Conflict


def test_a_ported_number_that_we_list_becomes_the_organisations(org, make_number):
    row = make_number(provider="devotel")
    number = ported_number_activate(organization=org, e164=row.e164, provider="telnyx", provider_order_id="po-1")
    row.refresh_from_db()
    assert (row.status, row.provider) == (InventoryStatus.ASSIGNED, "telnyx")
    assert (number.source, number.organization) == (OwnedNumber.Source.PORT_IN, org)


def test_a_number_held_by_a_bulk_reservation_is_not_taken_over(org, make_number):
    row = make_number(status=InventoryStatus.RESERVED)
    with pytest.raises(Conflict) as refused:
        ported_number_activate(organization=org, e164=row.e164, provider="telnyx", provider_order_id="po-2")
    # Nothing about whose hold (another tenant's state).
    assert refused.value.message == f"{row.e164} cannot be activated yet; the port completes on a later poll."
    row.refresh_from_db()
    assert row.status == InventoryStatus.RESERVED
    assert not OwnedNumber.objects.filter(phone_number=row).exists()

    row.status = InventoryStatus.AVAILABLE  # the hold ended: the next poll completes the port
    row.save()
    assert ported_number_activate(organization=org, e164=row.e164, provider="telnyx",
                                  provider_order_id="po-2").phone_number_id == row.pk


def test_a_number_another_organisation_owns_is_refused(org, make_org, make_number):
    row = make_number()
    ported_number_activate(organization=make_org("First"), e164=row.e164, provider="telnyx", provider_order_id="a")
    with pytest.raises(Conflict) as refused:
        ported_number_activate(organization=org, e164=row.e164, provider="telnyx", provider_order_id="b")
    assert refused.value.message == f"{row.e164} is not eligible to be activated by this port."
