"""Porting writes, by concern: port-in requests (``port_in``), port-outs (``port_out``),
Port-Out Protection (``protection``) and the carrier poll (``polling``).

No carrier call runs inside a transaction. A write that calls a carrier claims the request first
(a dispatch claim, committed; see ``_dispatch``), calls the carrier, then applies the answer in a
short transaction that re-checks the claim; an order the carrier accepted that no committed
request owns is cancelled again (compensation), and ``stale_dispatch`` settles the claims of
processes that died mid-call. The poller asks first and applies only to an unchanged request.
Lock order: port request → inventory rows → owned numbers → wallet.

Callers import from here (``from porting import services``); the modules are the layout.
"""
from ._common import number_country
from .polling import port_requests_poll
from .port_in import (port_request_cancel, port_request_loa_approve, port_request_loa_reject, port_request_loa_sign,
                      port_request_loa_upload, port_request_record_carrier_update, port_request_refresh,
                      port_request_submit, port_request_supplement, reject_details, supplement_deadline)
from .port_out import port_out_cancel, port_out_refresh, port_out_submit
from .protection import (port_out_pins_check, port_out_protection_disable, port_out_protection_reset,
                         port_out_protection_set, validate_port_out_pin)
from .stale_dispatch import port_dispatch_claims_sweep

__all__ = [
    "number_country", "port_out_cancel", "port_out_pins_check", "port_out_protection_disable",
    "port_dispatch_claims_sweep", "port_out_protection_reset",
    "port_out_protection_set", "port_out_refresh", "port_out_submit", "port_request_cancel",
    "port_request_loa_approve", "port_request_loa_reject", "port_request_loa_sign", "port_request_loa_upload",
    "port_request_record_carrier_update", "port_request_refresh", "port_request_submit", "port_request_supplement",
    "port_requests_poll", "reject_details", "supplement_deadline", "validate_port_out_pin",
]
