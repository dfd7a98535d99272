"""Serializer bases: strict request bodies (unknown keys are 422), response shapes, shared field types."""
from __future__ import annotations

import functools
import types
from collections.abc import Mapping

import phonenumbers
from rest_framework import serializers

from ..money import dollars
from .responses import iso


class StrictSerializer(serializers.Serializer):
    """Rejects keys it does not declare, and bodies that are not JSON objects."""

    aliases: dict[str, str] = {}

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"body": "must be a JSON object"})
        data = dict(data)
        both = {alias: f"send either {canonical} or its alias {alias}, not both"
                for alias, canonical in self.aliases.items() if alias in data and canonical in data}
        if both:
            raise serializers.ValidationError(both)
        for alias, canonical in self.aliases.items():
            if alias in data:
                data[canonical] = data.pop(alias)
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: "unknown field" for name in unknown})
        return super().to_internal_value(data)


def parse_e164(value: str, *, field: str = "phone_number") -> phonenumbers.PhoneNumber:
    """Parse and validate an E.164 string against the real numbering plan."""
    if not isinstance(value, str) or not value.startswith("+"):
        raise serializers.ValidationError("must be an E.164 number such as +14155550100")
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise serializers.ValidationError("must be an E.164 number such as +14155550100") from None
    if not phonenumbers.is_valid_number(parsed) or phonenumbers.format_number(
            parsed, phonenumbers.PhoneNumberFormat.E164) != value:
        raise serializers.ValidationError("is not a valid E.164 phone number")
    return parsed


class E164Field(serializers.CharField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        parse_e164(value)
        return value


class CountryField(serializers.CharField):
    """ISO 3166-1 alpha-2, upper-cased, known to the numbering plan library."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 2)
        kwargs.setdefault("min_length", 2)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data).upper()
        if value not in phonenumbers.SUPPORTED_REGIONS:
            raise serializers.ValidationError("must be an ISO 3166-1 alpha-2 country code")
        return value


# --- response shapes ------------------------------------------------------------------------------


class DollarsField(serializers.Field):
    """Integer cents on the model → a JSON number of dollars on the API (150 → 1.5). Read-only."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return dollars(value)


def _as_str(value):
    return value if type(value) is str else str(value)


# Like DRF's get_attribute: a method or function found at the source is called (get_FOO_display);
# anything else (a related manager, a list) is the value itself.
_CALLED_TYPES = (types.MethodType, types.FunctionType, functools.partial)


def _getter(source_attrs: list[str]):
    """Read a (dotted) source from a model instance or a mapping; a None on the way gives None."""
    if len(source_attrs) == 1:
        name = source_attrs[0]

        def get_one(obj):
            value = obj[name] if isinstance(obj, Mapping) else getattr(obj, name)
            return value() if type(value) in _CALLED_TYPES else value
        return get_one

    def get_path(obj):
        for name in source_attrs:
            if obj is None:
                return None
            obj = obj[name] if isinstance(obj, Mapping) else getattr(obj, name)
            if type(obj) in _CALLED_TYPES:
                obj = obj()
        return obj
    return get_path


class OutputSerializer(serializers.Serializer):
    """A response shape, declared once: the OpenAPI schema and the rendering both come from these fields.

    Rendering skips DRF's per-field machinery: each class compiles its fields once into a plan of
    (name, getter, converter), so a page of 500 search hits costs what hand-built dicts did.
    Field rules:

    - ``source`` as usual (dotted paths, ``"*"``); instances may be model objects or dicts.
    - A field declared ``required=False`` is optional in the schema and left out when its value is
      None; any other None renders as null (declare those ``allow_null=True``).
    - ``DateTimeField`` renders ISO 8601 UTC with a Z, ``DollarsField`` cents as dollars, nested
      ``OutputSerializer``s (``many=True`` too) and ``ListField``s of them recurse.
    - ``SerializerMethodField`` calls ``get_<name>(instance)`` on this serializer.
    """

    def to_representation(self, instance):
        plan = type(self).__dict__.get("_plan")
        if plan is None:
            plan = self._compile()
        out = {}
        for name, get, method, convert, omit_none in plan:
            value = getattr(self, method)(instance) if method else get(instance)
            if value is None:
                if not omit_none:
                    out[name] = None
            else:
                out[name] = convert(value) if convert is not None else value
        return out

    def render_many(self, instances) -> list[dict]:
        render = self.to_representation
        return [render(instance) for instance in instances]

    def _compile(self):
        plan = []
        for name, field in self.fields.items():
            if field.write_only:
                continue
            method = None
            get = None
            if isinstance(field, serializers.SerializerMethodField):
                method = field.method_name
            elif field.source == "*":
                get = _identity
            else:
                get = _getter(field.source_attrs)
            plan.append((name, get, method, _converter(field), not field.required))
        plan = tuple(plan)
        type(self)._plan = plan  # per class: set on the class itself, never inherited by a subclass
        return plan


def _identity(value):
    return value


def _converter(field: serializers.Field):
    """How a value from the instance becomes JSON for this field (None: as it is)."""
    if isinstance(field, serializers.SerializerMethodField):
        return None
    if isinstance(field, serializers.ListSerializer):
        return _many(field.child)
    if isinstance(field, OutputSerializer):
        return field.to_representation
    if isinstance(field, serializers.BaseSerializer):
        return field.to_representation
    if isinstance(field, DollarsField):
        return dollars
    if isinstance(field, serializers.DateTimeField):
        return iso
    if isinstance(field, serializers.ListField):
        child = field.child
        if isinstance(child, serializers.BaseSerializer):
            return _many(child)
        return list
    if isinstance(field, (serializers.ChoiceField, serializers.CharField)):
        return _as_str
    if isinstance(field, (serializers.BooleanField, serializers.IntegerField, serializers.FloatField,
                          serializers.DictField, serializers.JSONField)):
        return None
    return field.to_representation


def _many(child: serializers.BaseSerializer):
    render = child.to_representation

    def render_many(values):
        if hasattr(values, "all") and not isinstance(values, (list, tuple)):
            values = values.all()
        return [render(value) for value in values]
    return render_many
