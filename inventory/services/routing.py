"""Inbound routing of owned numbers: one voice route and an independent SMS route per number."""
from __future__ import annotations

from django.db import transaction

from orbit_numbers.errors import NotFound, ValidationFailed
from orbit_numbers.models import ApiKey, Organization
from orbit_numbers.services import audit_record

from ..models import NumberRoute, OwnedNumber
from ..routing_configs import SMS_ROUTE_SCHEMAS, VOICE_ROUTE_SCHEMAS, route_config_validate


def route_snapshot(route: NumberRoute) -> dict:
    return {"type": route.type, "config": route.config, "sms_route_type": route.sms_route_type,
            "sms_route_config": route.sms_route_config}


def _resolve(*, current_type: str | None, current_config: dict, changes: dict, type_key: str, config_key: str,
             schemas: dict, nullable: bool) -> tuple[str | None, dict]:
    """The new (type, config) of one channel. A new type without a config gets an empty one (so
    types needing keys must say them); a config without a type applies to the current type."""
    if type_key not in changes and config_key not in changes:
        return current_type, current_config
    route_type = changes[type_key] if type_key in changes else current_type
    config = changes.get(config_key)
    if config is None:
        config = {} if type_key in changes else current_config
    if route_type is None:
        if not nullable:
            raise ValidationFailed.field(type_key, "is required")
        if type_key not in changes:
            raise ValidationFailed.field(type_key, f"no route is set; send {type_key} with {config_key}")
        if config:
            raise ValidationFailed.field(config_key, f"must be empty when {type_key} is null")
        return None, {}
    return route_type, route_config_validate(schemas=schemas, route_type=route_type, config=config, field=config_key)


@transaction.atomic
def number_route_update(*, organization: Organization, e164: str, changes: dict, acting_key: ApiKey | None = None,
                        acting_user=None) -> NumberRoute:
    """Set a number's voice route (``type``/``config``) and/or SMS route (``sms_route_type``/
    ``sms_route_config``). Every config is validated against its type's shape; the number must be
    owned (not released) by the organisation."""
    number = (OwnedNumber.objects.select_for_update(of=("self",))
              .filter(organization=organization, e164=e164).live().first())
    if number is None:
        raise NotFound(f"{e164} is not a number of this organisation.")
    route, _ = NumberRoute.objects.select_for_update(of=("self",)).get_or_create(number=number)
    before = route_snapshot(route)

    route.type, route.config = _resolve(
        current_type=route.type, current_config=route.config, changes=changes, type_key="type",
        config_key="config", schemas=VOICE_ROUTE_SCHEMAS, nullable=True)
    route.sms_route_type, route.sms_route_config = _resolve(
        current_type=route.sms_route_type, current_config=route.sms_route_config, changes=changes,
        type_key="sms_route_type", config_key="sms_route_config", schemas=SMS_ROUTE_SCHEMAS, nullable=False)

    after = route_snapshot(route)
    if after != before:
        route.save()
        audit_record(action="number.route_update", organization=organization, acting_key=acting_key,
                     acting_user=acting_user, target=number, before=before, after=after)
    return route
