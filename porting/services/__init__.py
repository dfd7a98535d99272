"""Porting writes, by concern: port-in requests (``port_in``), port-outs (``port_out``),
Port-Out Protection (``protection``) and the carrier poll (``polling``).

Carrier calls happen inside the transaction that holds the request's row lock, so two
workers never advance the same request; when the transaction fails after a carrier accepted
an order, the order is cancelled again (compensation), as purchases do.
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

__all__ = [
    "number_country", "port_out_cancel", "port_out_pins_check", "port_out_protection_disable",
    "port_out_protection_reset", "port_out_protection_set", "port_out_refresh", "port_out_submit", "port_request_cancel",
    "port_request_loa_approve", "port_request_loa_reject", "port_request_loa_sign", "port_request_loa_upload",
    "port_request_record_carrier_update", "port_request_refresh", "port_request_submit", "port_request_supplement",
    "port_requests_poll", "reject_details", "supplement_deadline", "validate_port_out_pin",
]
