"""The one exception hierarchy. Services raise these; the API handler renders them.

Each class carries a stable machine code and an HTTP status (SPEC.md). Domain code never
builds HTTP responses itself.
"""
from __future__ import annotations

from typing import Any


class OrbitError(Exception):
    status_code = 400
    code = "BAD_REQUEST"
    default_message = "Bad request."

    def __init__(self, message: str | None = None, *, details: dict[str, Any] | None = None,
                 data: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> None:
        self.message = message or self.default_message
        self.details = details
        self.data = data
        self.headers = headers or {}
        super().__init__(self.message)


class BadRequest(OrbitError):
    status_code, code, default_message = 400, "BAD_REQUEST", "Malformed request."


class Unauthorized(OrbitError):
    status_code, code, default_message = 401, "UNAUTHORIZED", "Missing or invalid API key."


class PortOutPinMismatch(OrbitError):
    status_code, code, default_message = 401, "PORT_OUT_PIN_MISMATCH", "Port-out PIN is missing or does not match."


class InsufficientCredit(OrbitError):
    status_code, code, default_message = 402, "INSUFFICIENT_CREDIT", "Insufficient credit."


class Forbidden(OrbitError):
    status_code, code, default_message = 403, "FORBIDDEN", "Missing required scope."


class IpNotAllowed(OrbitError):
    """The API key is valid but restricted to networks the request did not come from. The message
    never names the allowed ranges: the caller may not be the key's owner."""

    status_code, code, default_message = 403, "IP_NOT_ALLOWED", "This API key may not be used from this address."


class NotFound(OrbitError):
    status_code, code, default_message = 404, "NOT_FOUND", "Not found."


class MethodNotAllowed(OrbitError):
    status_code, code, default_message = 405, "METHOD_NOT_ALLOWED", "Method not allowed."


class Conflict(OrbitError):
    status_code, code, default_message = 409, "CONFLICT", "The request conflicts with the current state."


class InsufficientInventory(OrbitError):
    status_code, code, default_message = 409, "INSUFFICIENT_INVENTORY", "Insufficient inventory."


class IdempotencyConflict(OrbitError):
    status_code, code, default_message = (
        409, "IDEMPOTENCY_CONFLICT", "This Idempotency-Key was already used with a different request.")


class UnsupportedMediaType(OrbitError):
    status_code, code, default_message = 415, "UNSUPPORTED_MEDIA_TYPE", "Unsupported media type."


class ValidationFailed(OrbitError):
    status_code, code, default_message = 422, "VALIDATION_ERROR", "Validation failed."

    @classmethod
    def field(cls, name: str, message: str) -> "ValidationFailed":
        return cls(f"{name}: {message}", details={name: message})


class ComplianceRequired(OrbitError):
    """A regulated country's number without a covering approved compliance profile; ``details.missing``
    lists, per country and line type, the documents and fields required and the profiles that do not cover."""

    status_code, code, default_message = (
        422, "COMPLIANCE_REQUIRED", "An approved compliance profile covering the number's country is required.")


class LoaUrlInvalidOrigin(OrbitError):
    status_code, code, default_message = (
        422, "LOA_URL_INVALID_ORIGIN", "loaFileUrl must be a URL issued by this system's file upload.")


class EmergencyAddressInvalid(OrbitError):
    """The carrier could not validate a dispatchable address; ``details`` maps each field to its reason."""

    status_code, code, default_message = (
        422, "EMERGENCY_ADDRESS_INVALID", "The carrier could not validate this address for emergency services.")


class PayloadTooLarge(OrbitError):
    status_code, code, default_message = 413, "PAYLOAD_TOO_LARGE", "The request body is too large."


class RateLimited(OrbitError):
    status_code, code, default_message = 429, "RATE_LIMITED", "Too many requests."


class ProviderError(Exception):
    """A carrier refused or failed. Not an API error by itself: services decide what it means
    (a failed row, a 409, a retry); one that escapes is a 500."""

    def __init__(self, message: str, *, provider_code: str | None = None, retryable: bool = False) -> None:
        self.message = message
        self.provider_code = provider_code
        self.retryable = retryable
        super().__init__(message)


class CarrierUnavailable(OrbitError):
    """A carrier the request needed did not answer or refused (nothing was charged); retry later."""

    status_code, code, default_message = 503, "CARRIER_UNAVAILABLE", "The carrier did not answer; try again later."


class PaymentProviderUnavailable(OrbitError):
    """The payment provider did not answer or failed (nothing was charged by this request); retry later."""

    status_code, code, default_message = (
        503, "PAYMENT_PROVIDER_UNAVAILABLE", "The payment provider did not answer; try again later.")


class Internal(OrbitError):
    status_code, code, default_message = 500, "INTERNAL", "Internal error."
