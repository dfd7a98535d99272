"""Every beat job has a management command that runs the same service by hand (operators, the
SQLite demo without a worker), so nothing periodic depends on Celery being up."""
from __future__ import annotations

from django.conf import settings
from django.core.management import get_commands

# Beat entry → the command that does the same work.
BEAT_COMMANDS = {
    "expire-reservations": "expire_reservations",
    "charge-renewals": "charge_renewals",
    "return-aged-numbers": "return_aged_numbers",
    "purge-idempotency-keys": "purge_idempotency_records",
    "poll-open-port-requests": "poll_port_requests",
    "sweep-stale-port-dispatches": "sweep_port_dispatches",
    "deliver-due-webhooks": "deliver_webhooks",
    "check-low-stock": "check_low_stock",
    "reconcile-carrier-orders": "reconcile_carrier_orders",
    "refresh-cnam-listings": "refresh_cnam_listings",
    "refresh-spam-labels": "refresh_spam_labels",
    "recheck-emergency-provisioning": "recheck_emergency_provisioning",
    "compute-number-health": "compute_number_health",
    "expire-compliance-profiles": "expire_compliance_profiles",
    "reclaim-expired-trials": "reclaim_expired_trials",
    "release-scheduled-numbers": "release_scheduled",
    "refresh-ten-dlc-vetting": "refresh_ten_dlc_vetting",
    "sync-carrier-inventory": "sync_carrier_inventory",
    "sweep-replenish-orders": "sweep_replenish_orders",
    "sync-processing-top-ups": "sync_top_ups",
}


def test_every_beat_job_has_a_command():
    unmapped = sorted(set(settings.CELERY_BEAT_SCHEDULE) - set(BEAT_COMMANDS))
    assert not unmapped, f"beat jobs without a command in BEAT_COMMANDS: {unmapped}"
    commands = get_commands()
    missing = sorted(command for command in BEAT_COMMANDS.values() if command not in commands)
    assert not missing, f"no such management command: {missing}"
