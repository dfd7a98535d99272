"""E911 in the console: addresses, provisioning states with failures first, the retry action."""
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import EmergencyAddress, EmergencyAssignment
from inventory.services import number_purchase
from orbit_numbers.models import AuditLog
from tests.staff import action_names, make_staff, superuser_client  # noqa: F401

CHANGELIST = reverse("admin:inventory_emergencyassignment_changelist")


@pytest.fixture
def assignments(org, make_number):
    address = EmergencyAddress.objects.create(
        organization=org, caller_name="Jane Roe", street_number="1", street_name="Market St", city="San Francisco",
        state="CA", postal_code="94105", country="US")
    made = {}
    for status in ("provisioned", "failed", "pending"):
        row = make_number()
        number = number_purchase(organization=org, phone_number=row.e164, country_code="US")
        made[status] = EmergencyAssignment.objects.create(
            number=number, organization=org, address=address, status=status, provider="telnyx", request_token="t",
            requested_at=timezone.now(), error_code="E911_PSAP_REJECTED" if status == "failed" else "")
    return made


def test_failed_first_and_addresses_listed(superuser_client, assignments, django_assert_max_num_queries):  # noqa: F811
    with django_assert_max_num_queries(12):
        response = superuser_client.get(CHANGELIST)
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert [row.status for row in rows] == ["failed", "pending", "provisioned"]
    addresses = superuser_client.get(reverse("admin:inventory_emergencyaddress_changelist"))
    assert addresses.status_code == 200 and b"Market St" in addresses.content
    detail = superuser_client.get(reverse("admin:inventory_emergencyaddress_change",
                                          args=[EmergencyAddress.objects.get().pk]))
    assert detail.status_code == 200


def test_retry_action_needs_its_permission_and_is_audited(superuser_client, make_staff, assignments,  # noqa: F811
                                                          django_capture_on_commit_callbacks):
    finance = make_staff("finance")
    assert finance.get(CHANGELIST).status_code == 403
    assert finance.post(CHANGELIST, {"action": "retry_provisioning",
                                     "_selected_action": [assignments["failed"].pk]}).status_code == 403
    support = make_staff("support")
    assert "retry_provisioning" in action_names(support.get(CHANGELIST).content.decode())

    failed = assignments["failed"]
    with django_capture_on_commit_callbacks(execute=True):
        response = support.post(CHANGELIST, {"action": "retry_provisioning",
                                             "_selected_action": [failed.pk, assignments["provisioned"].pk]})
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == "provisioned"  # the simulator accepted it this time
    entry = AuditLog.objects.get(action="number.emergency_retry")
    assert entry.acting_user == support.user and entry.object_id == failed.number_id
