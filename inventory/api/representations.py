"""How inventory objects look on the API. Money is stored in cents and rendered as dollars (numbers)."""
from __future__ import annotations

from orbit_numbers.api.responses import iso

from ..models import NumberRoute, OwnedNumber, PhoneNumber


def dollars(cents: int) -> float:
    """Integer cents → a JSON number of dollars (150 → 1.5)."""
    return round(cents / 100, 2)


def offer_representation(row: PhoneNumber) -> dict:
    """One search hit, in the numbers-overview shape."""
    item = {
        "id": row.provider_ref,
        "phoneNumber": row.e164,
        "capabilities": row.capabilities,
        "sms_two_way": row.sms_two_way,
        "monthlyRate": dollars(row.monthly_cents),
    }
    if row.setup_cents:
        item["setupRate"] = dollars(row.setup_cents)
    item["provider"] = row.provider
    if row.activation_hours is not None:
        item["expectedActivation"] = {"hours": row.activation_hours}
    item.update(country=row.country, type=row.line_type, region=row.region)
    return item


def number_representation(number: OwnedNumber) -> dict:
    row = number.phone_number
    return {
        "id": number.id,
        "number": number.e164,
        "country": row.country,
        "type": row.line_type,
        "region": row.region,
        "label": number.label,
        "capabilities": list(number.capabilities),
        "status": number.status,
        "webhook_url": number.webhook_url or None,
        "forwarding_number": number.forwarding_number or None,
        "sms_forwarding": number.sms_forwarding or None,
        "compliance_profile_id": number.compliance_profile_id,
        "tags": list(number.tags),
        "channel_config": number.channel_config,
        "monthly_cost": dollars(number.monthly_cents),
        "setup_cost": dollars(number.setup_cents),
        "provider": row.provider,
        "created_at": iso(number.created_at),
        "updated_at": iso(number.updated_at),
    }


def route_representation(route: NumberRoute) -> dict:
    return {
        "number_id": route.number.id,
        "phone_number": route.number.e164,
        "type": route.type,
        "config": route.config,
        "sms_route_type": route.sms_route_type,
        "sms_route_config": route.sms_route_config,
        "updated_at": iso(route.updated_at),
    }
