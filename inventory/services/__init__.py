"""Inventory writes, one module per concern; import the service functions from here."""
from .numbers import (TOGGLEABLE_CAPABILITIES, aged_numbers_return, billing_cycle_end,  # noqa: F401
                      compliance_profile_resolve, number_release, number_snapshot,
                      number_update, purchase_charges, purchase_cost_cents)
from .porting_support import (numbers_mark_porting_out, numbers_release_ported_out,  # noqa: F401
                              numbers_restore_after_port_out, ported_number_activate)
from .routing import number_route_update, route_snapshot  # noqa: F401
from .carriers import carrier_failure_record  # noqa: F401,E402
from .staff import number_reassign, number_tag  # noqa: F401,E402
from .stock import low_stock_check, low_stock_threshold_check, pool_stats  # noqa: F401,E402
from .bulk import BuyBulkResult, RowFailure, number_buy_bulk  # noqa: F401,E402
from .orders import campaign_resolve, number_order_create  # noqa: F401,E402
from .reservations import (FinalizeResult, reservation_cancel, reservation_create,  # noqa: F401,E402
                           reservation_finalize, reservation_get, reservations_expire)
from .purchase import number_purchase  # noqa: F401,E402
from .carrier_releases import carrier_releases_perform  # noqa: F401,E402
from .renewals import (RenewalResult, number_renewals_charge, organization_renewals_charge,  # noqa: F401,E402
                       renewal_listener_register)
from .reservations import reservations_force_expire  # noqa: F401,E402
from .lookup import cnam_dip_perform, number_lookup_perform  # noqa: F401,E402
from .emergency import (emergency_address_create, emergency_address_delete,  # noqa: F401,E402
                        emergency_provisioning_perform, emergency_provisioning_recheck, emergency_provisioning_retry,
                        number_emergency_address_remove, number_emergency_address_set)
from .health import number_health_compute, number_usage_ingest  # noqa: F401,E402
from .compliance import (ApprovalResult, ComplianceCover, compliance_gate,  # noqa: F401,E402
                         compliance_profile_approve, compliance_profile_create, compliance_profile_reject,
                         compliance_profile_submit, compliance_profile_update, compliance_profiles_expire)
from .transfers import numbers_transfer  # noqa: F401,E402
from .reclaim import ReclaimMode, number_reclaim  # noqa: F401,E402
from .trial import (trial_allowance_set, trial_loans_reclaim_expired, trial_number_borrow,  # noqa: F401,E402
                    trial_number_convert, trial_pool_add, trial_pool_remove)
