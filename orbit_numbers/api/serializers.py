"""Serializer bases: strict request bodies (unknown keys are 422), response shapes, shared field types."""
from __future__ import annotations

import functools
import inspect
import keyword
import types
from collections.abc import Mapping

import phonenumbers
from django.db.models.fields.related_descriptors import ForwardManyToOneDescriptor
from django.db.models.query_utils import DeferredAttribute
from rest_framework import serializers

from ..money import dollars
from .responses import iso


class StrictSerializer(serializers.Serializer):
    """Rejects keys it does not declare, and bodies that are not JSON objects."""

    aliases: dict[str, str] = {}
    #: how many of the declared fields a body must send at least (0: an empty object is fine)
    min_fields: int = 0

    @classmethod
    def spellings(cls) -> dict[str, list[str]]:
        """canonical name → [canonical, *aliases], for the fields that have aliases."""
        names: dict[str, list[str]] = {}
        for alias, canonical in cls.aliases.items():
            names.setdefault(canonical, [canonical]).append(alias)
        return names

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"body": "must be a JSON object"})
        data = dict(data)
        clashes = {}
        for canonical, names in self.spellings().items():
            sent = [name for name in names if name in data]
            for extra in sent[1:]:
                clashes[extra] = f"send one of {' or '.join(names)}, not several (they are the same field)"
        if clashes:
            raise serializers.ValidationError(clashes)
        for alias, canonical in self.aliases.items():
            if alias in data:
                data[canonical] = data.pop(alias)
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: "unknown field" for name in unknown})
        if len(data) < self.min_fields:
            names = ", ".join(self.fields)
            raise serializers.ValidationError({"body": f"send at least {_count(self.min_fields)} of {names}"})
        return super().to_internal_value(data)


def choice_problem(value: str, choices: tuple[str, ...], refusals: dict[str, str]) -> str | None:
    """Why ``value`` is not one of ``choices`` (a known wrong value's own reason first), or None.
    The one rule behind the enum fields of bodies and the enum filters of query strings."""
    if value in refusals:
        return refusals[value].format(value=value)
    if value not in choices:
        return f"{value!r} is not one of {', '.join(choices)}"
    return None


def _count(n: int) -> str:
    return {1: "one", 2: "two", 3: "three"}.get(n, str(n))


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

    Rendering skips DRF's per-field machinery: each class compiles its fields once into one Python
    function (generated source, one statement per field: attribute reads and conversions inline),
    so a page of 500 search hits costs what hand-built dicts did.
    Field rules:

    - ``source`` as usual (dotted paths, ``"*"``); instances may be model objects or dicts.
    - A field declared ``required=False`` is optional in the schema and left out when its value is
      None; any other None renders as null (declare those ``allow_null=True``).
    - ``DateTimeField`` renders ISO 8601 UTC with a Z, ``DollarsField`` cents as dollars, nested
      ``OutputSerializer``s (``many=True`` too) and ``ListField``s of them recurse.
    - ``SerializerMethodField`` calls ``get_<name>(instance)`` on this serializer.
    """

    def to_representation(self, instance):
        render = type(self).__dict__.get("_render")
        if render is None:
            render = self._compile()
        return render(self, instance)

    def render_many(self, instances) -> list[dict]:
        render = type(self).__dict__.get("_render")
        if render is None:
            render = self._compile()
        return [render(self, instance) for instance in instances]

    def _compile(self):
        render = _compile_renderer(type(self).__name__, self.fields)
        type(self)._render = render  # per class: set on the class itself, never inherited by a subclass
        return render


_INLINE_STR = "v if v.__class__ is str else str(v)"
_CALL_IF_CALLABLE = "    if v.__class__ in _CT:\n        v = v()\n"


def _compile_renderer(class_name: str, fields) -> "callable":
    """``render(serializer, instance) -> dict`` for these fields, as generated Python source.

    The source is generated once per class of instance: attribute reads for objects, item reads for
    mappings. The semantics are those of ``_getter`` and ``_converter``: a dotted source that meets
    None on the way gives None (the attribute chain falls back to ``_getter`` on AttributeError); a
    callable value is called (not checked for a model's columns and related rows, which never are);
    None is left out for ``required=False`` fields, else rendered null.
    """
    plan = [(name, field) for name, field in fields.items() if not field.write_only]
    by_class: dict[type, "callable"] = {}

    def render(self, obj):
        cls = obj.__class__
        specialized = by_class.get(cls)
        if specialized is None:
            specialized = by_class[cls] = _generate(class_name, plan, cls)
        return specialized(self, obj)

    return render


def _generate(class_name: str, plan, cls: type):
    mapping = issubclass(cls, Mapping)
    namespace: dict = {"_CT": _CALLED_TYPES, "str": str, "list": list}
    body = []
    for index, (name, field) in enumerate(plan):
        key = repr(name)
        convert = _converter(field)
        if convert is None:
            value = "v"
        elif convert is _as_str:
            value = _INLINE_STR
        elif convert is list:
            value = "v if v.__class__ is list else list(v)"  # a list is rendered as it is (JSON)
        else:
            namespace[f"_c{index}"] = convert
            value = f"_c{index}(v)"
        if isinstance(field, serializers.SerializerMethodField):
            method = field.method_name
            read = (f"    v = self.{method}(obj)\n" if method.isidentifier()
                    else f"    v = getattr(self, {method!r})(obj)\n")
        elif field.source == "*":
            read = "    v = obj\n"
        else:
            attrs = field.source_attrs
            namespace[f"_g{index}"] = _getter(attrs)
            if mapping:
                read = (f"    v = obj[{attrs[0]!r}]\n" if len(attrs) == 1 else f"    v = _g{index}(obj)\n")
                read += _CALL_IF_CALLABLE
            elif all(attr.isidentifier() and not keyword.iskeyword(attr) for attr in attrs):
                chain = "obj." + ".".join(attrs)
                read = (f"    v = {chain}\n" if len(attrs) == 1 else
                        f"    try:\n        v = {chain}\n    except AttributeError:\n        v = _g{index}(obj)\n")
                if not _never_callable(cls, attrs):
                    read += _CALL_IF_CALLABLE
            else:
                read = f"    v = _g{index}(obj)\n"
        body.append(read + "    if v is None:\n"
                    + ("        pass\n" if not field.required else f"        out[{key}] = None\n")
                    + f"    else:\n        out[{key}] = {value}\n")
    source = "def render(self, obj):\n    out = {}\n" + "".join(body) + "    return out\n"
    exec(compile(source, f"<OutputSerializer {class_name} of {cls.__qualname__}>", "exec"), namespace)
    return namespace["render"]


def _never_callable(cls: type, attrs: list[str]) -> bool:
    """The value at ``attrs`` of a ``cls`` instance is a model column's value or a related row."""
    for position, name in enumerate(attrs):
        descriptor = inspect.getattr_static(cls, name, None)
        if isinstance(descriptor, DeferredAttribute):
            return position == len(attrs) - 1
        if not isinstance(descriptor, ForwardManyToOneDescriptor):
            return False
        cls = descriptor.field.related_model
    return True


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
