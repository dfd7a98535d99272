"""Outbound webhooks: an outbox of events, delivered after commit with an HMAC-SHA256 signature."""
