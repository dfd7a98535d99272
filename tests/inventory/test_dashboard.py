"""The number-services panels of the operations dashboard: what waits for staff, linked to its queue."""
from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone

from inventory.models import EmergencyAddress, EmergencyAssignment, SpamDispute
from inventory.services import number_purchase
from orbit_numbers.dashboard import panels_for
from tests.inventory.compliance_support import make_profile
from tests.staff import make_staff, superuser_client  # noqa: F401


def panel(user, key: str):
    return next(p for p in panels_for(user) if p.panel.key == key)


def owned(org, make_number):
    return number_purchase(organization=org, phone_number=make_number("US").e164, country_code="US")


def test_compliance_profiles_awaiting_review_oldest_first(superuser_client, org, make_org):
    make_profile(org, "DE", status="approved")
    make_profile(org, "FR", status="draft")
    older = make_profile(org, "GB", status="submitted", submitted_at=timezone.now() - timedelta(days=2))
    newer = make_profile(make_org("Other"), "NL", status="submitted")
    shown = panel(superuser_client.user, "compliance-review")
    assert shown.data.count == 2
    assert [row.url for row in shown.data.rows] == [f"/admin/inventory/complianceprofile/{older.pk}/review/",
                                                    f"/admin/inventory/complianceprofile/{newer.pk}/review/"]
    assert shown.data.url == "/admin/inventory/complianceprofile/review/"
    assert superuser_client.get(shown.data.url).status_code == 200


def test_failed_e911_provisioning_is_listed_with_the_carriers_reason(superuser_client, org, make_number):
    address = EmergencyAddress.objects.create(organization=org, caller_name="Ops", street_number="1",
                                              street_name="Main St", city="Austin", state="TX",
                                              postal_code="78701", country="US")
    for status, error in [("failed", "PSAP refused the address"), ("provisioned", "")]:
        EmergencyAssignment.objects.create(number=owned(org, make_number), organization=org, address=address,
                                           status=status, provider="telnyx", request_token=uuid.uuid4().hex,
                                           error_message=error, requested_at=timezone.now())
    shown = panel(superuser_client.user, "e911-failures")
    assert shown.data.count == 1 and shown.data.rows[0].detail == "PSAP refused the address"
    assert shown.data.url.endswith("?status__exact=failed")
    assert superuser_client.get(shown.data.url).status_code == 200


def test_open_spam_disputes_only(superuser_client, org, make_number):
    for status in ("open", "submitted"):
        number = owned(org, make_number)
        SpamDispute.objects.create(organization=org, number=number, e164=number.e164, analytics_provider="hiya",
                                   label="Spam Likely", reason="Our own customers call us", status=status,
                                   contact_email="ops@example.com", traffic_description="Appointment reminders")
    shown = panel(superuser_client.user, "spam-disputes")
    assert shown.data.count == 1 and shown.data.rows[0].detail == "Spam Likely"
    assert superuser_client.get(shown.data.url).status_code == 200


def test_support_sees_the_queues_it_works(make_staff):
    support = make_staff("support")
    keys = {p.panel.key for p in panels_for(support.user)}
    assert {"compliance-review", "e911-failures", "spam-disputes"} <= keys
    page = support.get("/admin/").content.decode()
    assert "Compliance profiles awaiting review" in page and "E911 provisioning failed" in page
