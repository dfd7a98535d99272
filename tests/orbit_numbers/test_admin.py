"""The kernel's console screens: dashboard, API keys, audit log, organisations, big-table paging."""
from __future__ import annotations

import pytest
from django.contrib.admin.utils import quote  # ids like org_12… must be quoted as the admin quotes them
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.urls import reverse

from inventory.models import CarrierFailure, LowStockThreshold, OwnedNumber
from inventory.services.stock import low_stock_check
from orbit_numbers import dashboard
from orbit_numbers.admin_base import EstimatedCountPaginator, OrbitModelAdmin
from orbit_numbers.models import ApiKey, AuditLog, Organization
from orbit_numbers.services import api_key_authenticate, audit_record
from tests.staff import action_names, make_staff, superuser_client  # noqa: F401


def test_dashboard_shows_panels_with_counts_rows_and_filtered_links(superuser_client, make_number, make_org):
    make_number("US", area_code="201")
    LowStockThreshold.objects.create(country="US", line_type="local", min_available=5)
    low_stock_check()
    CarrierFailure.objects.create(provider="telnyx", operation="order", e164="+12015550123", code="E42",
                                  message="rejected")
    make_org("Broke Ltd")  # wallet 0 < the $10 default threshold

    response = superuser_client.get(reverse("admin:index"))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="panel-low-stock"' in html and "US · Local" in html and "1 available" in html
    assert reverse("admin:inventory_lowstockalert_changelist") + "?state=open" in html
    assert 'id="panel-carrier-failures"' in html and "E42: rejected" in html
    assert reverse("admin:inventory_carrierfailure_changelist") + "?window=24h" in html
    assert 'id="panel-low-wallets"' in html and "Broke Ltd" in html
    assert reverse("admin:billing_wallet_changelist") + "?balance=low" in html
    # The app list is still there below the panels.
    assert "app-inventory" in html


def test_dashboard_hides_panels_the_user_may_not_see(make_staff):
    html = make_staff("finance").get(reverse("admin:index")).content.decode()
    assert 'id="panel-low-wallets"' in html
    assert 'id="panel-low-stock"' not in html
    assert 'id="panel-carrier-failures"' not in html


def test_a_failing_panel_does_not_take_the_dashboard_down(superuser_client):
    def broken():
        raise RuntimeError("boom")

    dashboard.register(dashboard.Panel(key="broken", title="Broken panel", compute=broken))
    try:
        response = superuser_client.get(reverse("admin:index"))
    finally:
        dashboard.unregister("broken")
    assert response.status_code == 200
    assert "This panel could not be computed" in response.content.decode()


def test_panels_of_models_built_elsewhere_register_only_when_their_models_exist():
    from django.apps import apps

    def exists(app_label, model_name):
        try:
            apps.get_model(app_label, model_name)
        except LookupError:
            return False
        return True

    keys = {panel.key for panel in dashboard.registered()}
    assert {"low-stock", "carrier-failures", "low-wallets"} <= keys
    assert ("reservations-expiring" in keys) == exists("inventory", "BulkReservation")
    assert ("loa-review" in keys) == exists("porting", "PortRequest")


def test_api_key_add_view_shows_the_key_once(superuser_client, org):
    response = superuser_client.post(reverse("admin:orbit_numbers_apikey_add"),
                                     {"organization": org.pk, "name": "ci", "scopes": ["numbers:read"]})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw_key = response.context["raw_key"]
    assert raw_key in response.content.decode()
    api_key = ApiKey.objects.get(name="ci")
    assert api_key_authenticate(raw_key=raw_key) == api_key
    assert raw_key not in api_key.hashed_secret
    change_page = superuser_client.get(reverse("admin:orbit_numbers_apikey_change", args=[quote(api_key.pk)]))
    assert raw_key not in change_page.content.decode()
    assert "hashed_secret" not in change_page.content.decode()
    audit = AuditLog.objects.get(action="api_key.create")
    assert audit.acting_user == superuser_client.user and "hashed_secret" not in str(audit.after)


def test_api_key_add_view_accepts_an_allowlist_and_expiry(superuser_client, org):
    response = superuser_client.post(reverse("admin:orbit_numbers_apikey_add"), {
        "organization": org.pk, "name": "office", "scopes": ["numbers:read"],
        "ip_allowlist": "192.0.2.7\n2001:DB8::/32, 198.51.100.0/24", "expires_at": "2099-01-01 00:00:00"})
    assert response.status_code == 200 and "raw_key" in response.context
    assert "usable from: 192.0.2.7/32, 2001:db8::/32, 198.51.100.0/24" in response.content.decode()
    api_key = ApiKey.objects.get(name="office")
    assert api_key.ip_allowlist == ["192.0.2.7/32", "2001:db8::/32", "198.51.100.0/24"]
    assert api_key.expires_at.year == 2099
    assert api_key_authenticate(raw_key=response.context["raw_key"], client_ip="198.51.100.3") == api_key


@pytest.mark.parametrize(("fields", "message"), [
    ({"ip_allowlist": "192.0.2.7/24"}, "host bits set"),
    ({"ip_allowlist": "not-an-ip"}, "is not an IP address"),
    ({"expires_at": "2001-01-01 00:00:00"}, "must be in the future"),
])
def test_api_key_add_view_refuses_a_bad_allowlist_or_expiry(superuser_client, org, fields, message):
    response = superuser_client.post(reverse("admin:orbit_numbers_apikey_add"),
                                     {"organization": org.pk, "name": "bad", "scopes": ["numbers:read"], **fields})
    assert response.status_code == 200 and "raw_key" not in response.context
    assert message in response.content.decode()
    assert not ApiKey.objects.filter(name="bad").exists()


def test_api_key_screens_show_allowlist_and_last_use(superuser_client, org):
    from rest_framework.test import APIClient

    from orbit_numbers.services import api_key_create

    api_key, raw = api_key_create(organization=org, scopes=["billing:read"], name="seen",
                                  ip_allowlist=["198.51.100.0/24"])
    assert APIClient().get("/api/v1/billing/balance", HTTP_X_API_KEY=raw,
                           REMOTE_ADDR="198.51.100.77").status_code == 200
    changelist = superuser_client.get(reverse("admin:orbit_numbers_apikey_changelist")).content.decode()
    assert "198.51.100.0/24" in changelist and "198.51.100.77" in changelist
    change = superuser_client.get(reverse("admin:orbit_numbers_apikey_change", args=[quote(api_key.pk)]))
    html = change.content.decode()
    assert "198.51.100.77" in html and "198.51.100.0/24" in html and "Expires at" in html
    assert api_key.hashed_secret not in html


def test_api_key_state_filter_tells_expired_keys_apart(superuser_client, org, clock):
    from datetime import timedelta

    from django.utils import timezone

    from orbit_numbers.services import api_key_create, api_key_revoke

    live, _ = api_key_create(organization=org, scopes=["billing:read"], name="live-key")
    expiring, _ = api_key_create(organization=org, scopes=["billing:read"], name="expiring-key",
                                 expires_at=timezone.now() + timedelta(minutes=1))
    revoked, _ = api_key_create(organization=org, scopes=["billing:read"], name="revoked-key")
    api_key_revoke(api_key=revoked)
    clock.advance(minutes=2)
    changelist = reverse("admin:orbit_numbers_apikey_changelist")
    for state, shown in (("active", "live-key"), ("expired", "expiring-key"), ("revoked", "revoked-key")):
        html = superuser_client.get(changelist, {"state": state}).content.decode()
        assert [name for name in ("live-key", "expiring-key", "revoked-key") if name in html] == [shown], state


def test_api_key_add_rejects_missing_scopes(superuser_client, org):
    response = superuser_client.post(reverse("admin:orbit_numbers_apikey_add"), {"organization": org.pk, "name": "x"})
    assert response.status_code == 200 and "raw_key" not in response.context
    assert not ApiKey.objects.filter(name="x").exists()


def grant(client, *codenames: str) -> None:
    client.user.user_permissions.add(*Permission.objects.filter(content_type__app_label="orbit_numbers",
                                                                codename__in=codenames))


def test_support_can_neither_open_nor_post_the_key_create_screen(make_staff, org):
    client = make_staff("support")
    add_url = reverse("admin:orbit_numbers_apikey_add")
    assert client.get(add_url).status_code == 403
    response = client.post(add_url, {"organization": org.pk, "name": "stolen", "scopes": [
        "numbers:read", "numbers:write", "porting:read", "porting:write", "billing:read"]})
    assert response.status_code == 403
    assert not ApiKey.objects.filter(name="stolen").exists()
    assert not AuditLog.objects.filter(action="api_key.create").exists()
    changelist = client.get(reverse("admin:orbit_numbers_apikey_changelist")).content.decode()
    assert add_url not in changelist  # no "Add API key" button either


def test_no_staff_group_may_mint_keys(db):
    mint_codenames = {"add_apikey", "mint_apikey", "grant_numbers_read", "grant_numbers_write",
                      "grant_porting_read", "grant_porting_write", "grant_billing_read"}
    holders = Group.objects.filter(permissions__content_type__app_label="orbit_numbers",
                                   permissions__codename__in=mint_codenames)
    assert list(holders.values_list("name", flat=True)) == []


def test_mint_permission_without_scope_grants_opens_nothing(make_staff, org):
    client = make_staff("support")
    grant(client, "mint_apikey")
    assert client.get(reverse("admin:orbit_numbers_apikey_add")).status_code == 403


def test_minting_offers_and_accepts_only_the_scopes_the_user_may_grant(make_staff, org):
    client = make_staff("support")
    grant(client, "mint_apikey", "grant_numbers_read", "grant_billing_read")
    add_url = reverse("admin:orbit_numbers_apikey_add")

    screen = client.get(add_url)
    assert screen.status_code == 200
    assert [value for value, _ in screen.context["form"].fields["scopes"].choices] == ["numbers:read", "billing:read"]
    assert 'value="porting:write"' not in screen.content.decode()

    refused = client.post(add_url, {"organization": org.pk, "name": "wide", "scopes": ["numbers:read", "porting:write"]})
    assert refused.status_code == 200 and "raw_key" not in refused.context
    assert refused.context["form"].errors["scopes"]
    assert not ApiKey.objects.filter(name="wide").exists()

    created = client.post(add_url, {"organization": org.pk, "name": "narrow", "scopes": ["numbers:read", "billing:read"]})
    assert created.status_code == 200
    raw_key = created.context["raw_key"]
    api_key = ApiKey.objects.get(name="narrow")
    assert api_key.scopes == ["numbers:read", "billing:read"]
    audit = AuditLog.objects.get(action="api_key.create")
    assert audit.acting_user == client.user and audit.organization == org
    assert audit.after == {"name": "narrow", "prefix": api_key.prefix, "scopes": ["numbers:read", "billing:read"],
                           "ip_allowlist": [], "expires_at": None}
    # orb_live_<prefix>_<secret>; the secret is URL-safe base64, so it may hold "_" itself.
    secret = raw_key.removeprefix("orb_live_").partition("_")[2]
    assert len(secret) >= 32
    assert secret not in str(audit.after) and api_key.hashed_secret not in str(audit.after)


def test_revoke_action_revokes_through_the_service(make_staff, org, make_client):
    client = make_staff("support")
    make_client(org)
    api_key = ApiKey.objects.get(organization=org)
    changelist = reverse("admin:orbit_numbers_apikey_changelist")
    assert "revoke_keys" in action_names(client.get(changelist).content.decode())

    client.post(changelist, {"action": "revoke_keys", "_selected_action": [api_key.pk], "index": 0})

    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert AuditLog.objects.get(action="api_key.revoke").acting_user == client.user


def test_finance_cannot_revoke_or_create_keys(make_staff):
    client = make_staff("finance")
    assert client.get(reverse("admin:orbit_numbers_apikey_changelist")).status_code == 403
    assert client.get(reverse("admin:orbit_numbers_apikey_add")).status_code == 403


def test_audit_log_is_read_only_and_searchable(superuser_client, org):
    row = audit_record(action="number.release", organization=org, object_id="num_abc")
    AuditLog.objects.filter(pk=row.pk).update(request_id="req_findme123")
    audit_record(action="wallet.top_up", organization=org, object_id="other")
    changelist = reverse("admin:orbit_numbers_auditlog_changelist")

    found = superuser_client.get(changelist, {"q": "req_findme123"})
    assert list(found.context["cl"].result_list) == [AuditLog.objects.get(pk=row.pk)]
    by_action = superuser_client.get(changelist, {"action": "wallet.top_up"})
    assert {entry.action for entry in by_action.context["cl"].result_list} == {"wallet.top_up"}

    assert superuser_client.get(reverse("admin:orbit_numbers_auditlog_add")).status_code == 403
    change_url = reverse("admin:orbit_numbers_auditlog_change", args=[row.pk])
    assert superuser_client.post(change_url, {"action": "tampered"}).status_code == 403
    assert superuser_client.get(reverse("admin:orbit_numbers_auditlog_delete", args=[row.pk])).status_code == 403
    assert "delete_selected" not in action_names(superuser_client.get(changelist).content.decode())
    assert AuditLog.objects.get(pk=row.pk).action == "number.release"


def test_model_admin_saves_are_audited_with_before_and_after(superuser_client, org):
    url = reverse("admin:orbit_numbers_organization_change", args=[quote(org.pk)])
    response = superuser_client.post(url, {"name": "Acme Renamed", "is_active": "on", "webhook_url": "",
                                           "api_keys-TOTAL_FORMS": 0, "api_keys-INITIAL_FORMS": 0})
    assert response.status_code == 302
    audit = AuditLog.objects.get(action="admin.orbit_numbers.organization.change")
    assert audit.before == {"name": "Acme"} and audit.after == {"name": "Acme Renamed"}
    assert audit.acting_user == superuser_client.user and audit.organization == org


def test_admin_audit_never_records_secrets(superuser_client, org, make_client):
    from orbit_numbers.admin_base import audit_snapshot

    make_client(org)
    snapshot = audit_snapshot(ApiKey.objects.get(organization=org))
    assert "hashed_secret" not in snapshot and snapshot["name"] == "default"
    assert not any("secret" in name for name in snapshot)


def test_staff_roles_exist_with_the_right_permissions(db):
    def perms(name):
        return {f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name=name).permissions.all()}

    support, finance, porting_ops = perms("support"), perms("finance"), perms("porting-ops")
    assert "billing.adjust_wallet" in finance and "billing.adjust_wallet" not in support
    assert {"inventory.release_number", "inventory.reassign_number", "inventory.export_numbers"} <= support
    assert "inventory.release_number" not in finance | porting_ops
    assert "inventory.view_carrierfailure" in porting_ops


def test_estimated_paginator_uses_planner_estimate_unfiltered_and_caps_filtered(make_org, monkeypatch):
    for index in range(30):
        Organization.objects.create(name=f"Tenant {index:02d}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orbit_numbers_organization")
    monkeypatch.setattr(EstimatedCountPaginator, "estimate_above", 10)
    monkeypatch.setattr(EstimatedCountPaginator, "count_cap", 12)

    unfiltered = EstimatedCountPaginator(Organization.objects.order_by("pk"), 10)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'orbit_numbers_organization'")
        estimate = cursor.fetchone()[0]
    assert unfiltered.count == estimate > 10

    filtered = EstimatedCountPaginator(Organization.objects.filter(name__startswith="Tenant").order_by("pk"), 10)
    assert filtered.count == 12  # 30 match; counting stopped at the cap
    few = EstimatedCountPaginator(Organization.objects.filter(name="Tenant 01").order_by("pk"), 10)
    assert few.count == 1


def test_changelists_do_not_count_the_whole_table(superuser_client, org, django_assert_max_num_queries):
    for index in range(60):
        audit_record(action="number.tag", organization=org, object_id=f"num_{index}")
    with django_assert_max_num_queries(12):
        response = superuser_client.get(reverse("admin:orbit_numbers_auditlog_changelist"))
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 50
    assert response.context["cl"].full_result_count is None


def test_organization_changelist_query_count(superuser_client, make_org, django_assert_max_num_queries):
    for index in range(60):
        make_org(f"Customer {index}")
    with django_assert_max_num_queries(10):
        assert superuser_client.get(reverse("admin:orbit_numbers_organization_changelist")).status_code == 200


def test_every_model_of_the_console_is_registered():
    from django.contrib import admin

    from billing.models import LedgerEntry, Wallet
    from inventory.models import (CarrierFailure, ComplianceProfile, LowStockAlert, LowStockThreshold, PhoneNumber,
                                  RegulatoryRequirement)
    from orbit_numbers.models import ApiKey, AuditLog, IdempotencyRecord, Organization

    # NumberRoute is shown inline on its owned number.
    models = (Organization, ApiKey, AuditLog, IdempotencyRecord, Wallet, LedgerEntry, PhoneNumber, OwnedNumber,
              ComplianceProfile, RegulatoryRequirement, LowStockThreshold, LowStockAlert, CarrierFailure)
    assert [model._meta.label for model in models if model not in admin.site._registry] == []
    assert all(isinstance(model_admin, OrbitModelAdmin) for model_admin in admin.site._registry.values()
               if model_admin.model in models)


def test_files_and_webhook_events_are_read_only_logs_and_secrets_have_no_screen(superuser_client, org,
                                                                                make_webhook_endpoint):
    from orbit_numbers.webhooks.services import webhook_event_emit

    endpoint = make_webhook_endpoint(org, "https://hooks.example.com/orbit")
    event = webhook_event_emit(organization=org, event_type="number.ported", data={"phone_number": "+14155550100"})
    events = superuser_client.get(reverse("admin:orbit_numbers_webhookevent_changelist"))
    assert events.status_code == 200 and event.pk in events.content.decode()
    assert superuser_client.get(reverse("admin:orbit_numbers_webhookevent_add")).status_code == 403
    assert superuser_client.get(reverse("admin:orbit_numbers_storedfile_changelist")).status_code == 200
    # The endpoint screen shows the secret's last characters only.
    page = superuser_client.get(reverse("admin:orbit_numbers_webhookendpoint_change", args=[endpoint.pk]))
    assert page.status_code == 200 and endpoint.secret not in page.content.decode()
    assert f"whsec_…{endpoint.secret[-4:]}" in page.content.decode()
    deliveries = superuser_client.get(reverse("admin:orbit_numbers_webhookdelivery_changelist"))
    assert deliveries.status_code == 200 and endpoint.secret not in deliveries.content.decode()
