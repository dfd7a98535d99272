"""The console's 10DLC screens: registration status and reason on brands and campaigns, read-only
registration fields, and the permission-checked "refresh vetting" action."""
from __future__ import annotations

from django.contrib import admin
from django.urls import reverse

from inventory.admin import BrandAdmin, CampaignAdmin
from inventory.models import Brand, Campaign, RegistrationStatus
from orbit_numbers.models import AuditLog
from tests import staff

from .ten_dlc_support import create_brand, create_campaign, vetting_seconds

make_staff, superuser_client = staff.make_staff, staff.superuser_client  # the fixtures
BRANDS = reverse("admin:inventory_brand_changelist")
CAMPAIGNS = reverse("admin:inventory_campaign_changelist")


def submitted_brand(client, **changes) -> Brand:
    brand = create_brand(client, **changes)
    client.post(f"/api/v1/10dlc/brands/{brand['id']}/submit", {}, format="json")
    return Brand.objects.get(pk=brand["id"])


def test_admins_pass_their_checks():
    for model, model_admin in ((Brand, BrandAdmin), (Campaign, CampaignAdmin)):
        assert model_admin(model, admin.site).check() == []


def test_changelists_show_registration_status_and_reason(superuser_client, client, clock, settings):
    rejected = submitted_brand(client, name="Zeta Rejected", tax_id="98-7650000")
    clock.advance(seconds=vetting_seconds(settings) + 1)
    superuser_client.post(BRANDS, {"action": "refresh_vetting", "_selected_action": [rejected.pk], "index": 0})
    html = superuser_client.get(BRANDS).content.decode()
    assert "TAX_ID_MISMATCH" in html and "Rejected" in html
    detail = superuser_client.get(reverse("admin:inventory_brand_change", args=[rejected.pk])).content.decode()
    assert "The registry could not match the tax id" in detail
    assert 'name="registration_status"' not in detail  # read-only: the registry decides it
    assert superuser_client.get(CAMPAIGNS).status_code == 200


def test_support_refreshes_pending_vetting_from_the_console(make_staff, client, clock, settings):
    pending = submitted_brand(client)
    draft = Brand.objects.get(pk=create_brand(client, name="Draft")["id"])
    support = make_staff("support")
    assert "refresh_vetting" in staff.action_names(support.get(BRANDS).content.decode())

    response = support.post(BRANDS, {"action": "refresh_vetting", "_selected_action": [pending.pk, draft.pk],
                                     "index": 0}, follow=True)
    page = response.content.decode()
    assert "Asked the registry about 1: 0 verified, 0 rejected, 1 still pending." in page
    assert "Skipped 1 not pending vetting." in page

    clock.advance(seconds=vetting_seconds(settings) + 1)
    support.post(BRANDS, {"action": "refresh_vetting", "_selected_action": [pending.pk], "index": 0})
    pending.refresh_from_db()
    assert pending.registration_status == RegistrationStatus.VERIFIED
    assert AuditLog.objects.get(action="ten_dlc_brand.vetted", object_id=pending.pk).acting_user == support.user

    campaign = create_campaign(client, pending.pk)
    client.post(f"/api/v1/10dlc/campaigns/{campaign['id']}/submit", {}, format="json")
    clock.advance(seconds=vetting_seconds(settings) + 1)
    support.post(CAMPAIGNS, {"action": "refresh_vetting", "_selected_action": [campaign["id"]], "index": 0})
    assert Campaign.objects.get(pk=campaign["id"]).status == Campaign.Status.ACTIVE


def test_staff_without_the_permission_cannot_refresh(make_staff, client, clock, settings):
    pending = submitted_brand(client)
    finance = make_staff("finance")
    assert "refresh_vetting" not in staff.action_names(finance.get(BRANDS).content.decode())
    clock.advance(seconds=vetting_seconds(settings) + 1)
    finance.post(BRANDS, {"action": "refresh_vetting", "_selected_action": [pending.pk], "index": 0})
    pending.refresh_from_db()
    assert pending.registration_status == RegistrationStatus.PENDING
