"""Inventory writes, one module per concern; import the service functions from here."""
from .numbers import (aged_numbers_return, billing_cycle_end, carrier_release_quietly,  # noqa: F401
                      compliance_profile_resolve, initial_status_for, number_purchase, number_release,
                      number_snapshot, purchase_charges, purchase_cost_cents)
from .carriers import carrier_failure_record  # noqa: F401,E402
from .staff import number_reassign, number_tag  # noqa: F401,E402
from .stock import low_stock_check, low_stock_threshold_check, pool_stats  # noqa: F401,E402
