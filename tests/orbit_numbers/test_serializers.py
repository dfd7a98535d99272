"""OutputSerializer: the compiled renderer gives what the field rules say, for objects and mappings."""
from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

from rest_framework import serializers

from orbit_numbers.api.serializers import DollarsField, OutputSerializer


class Inner(OutputSerializer):
    hours = serializers.IntegerField()


class Shape(OutputSerializer):
    id = serializers.CharField()
    number = serializers.CharField(source="e164")
    country = serializers.CharField(source="row.country", allow_null=True)
    region = serializers.CharField(source="row.region", required=False)
    price = DollarsField(source="cents")
    when = serializers.DateTimeField(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField())
    config = serializers.DictField()
    label = serializers.CharField(source="display", required=False)
    inner = Inner(source="activation", required=False)
    inners = Inner(source="activations", many=True)
    computed = serializers.SerializerMethodField()
    secret = serializers.CharField(write_only=True)

    def get_computed(self, obj):
        return "x" if (obj["cents"] if isinstance(obj, dict) else obj.cents) else None


class WholeNumber(OutputSerializer):
    value = serializers.IntegerField(source="*")


WHEN = datetime(2026, 3, 8, 12, 0, 5, 999, tzinfo=timezone.utc)


def as_object(**fields):
    return SimpleNamespace(**fields)


def fields(**overrides):
    values = dict(id=7, e164="+14155550100", row=as_object(country="US", region="CA"), cents=150, when=WHEN,
                  tags=("a", "b"), config={"k": 1}, display=lambda: "Main", activation={"hours": 24},
                  activations=[{"hours": 1}, as_object(hours=2)], secret="s")
    values.update(overrides)
    return values


def test_an_object_renders_every_rule():
    shape = Shape()
    data = shape.to_representation(as_object(**fields()))
    assert data == {"id": "7", "number": "+14155550100", "country": "US", "region": "CA", "price": 1.5,
                    "when": "2026-03-08T12:00:05Z", "tags": ["a", "b"], "config": {"k": 1}, "label": "Main",
                    "inner": {"hours": 24}, "inners": [{"hours": 1}, {"hours": 2}], "computed": "x"}
    assert list(data) == [name for name in Shape().fields if name != "secret"]  # declared order


def test_a_mapping_renders_the_same_as_an_object():
    shape = Shape()
    mapping = dict(fields(), row={"country": "US", "region": "CA"})
    assert shape.to_representation(mapping) == shape.to_representation(as_object(**fields()))


def test_none_is_null_unless_the_field_is_optional_and_a_dotted_source_stops_at_none():
    data = Shape().to_representation(as_object(**fields(row=None, when=None, display=None, activation=None,
                                                        cents=0)))
    assert data["country"] is None and data["when"] is None
    assert "region" not in data and "label" not in data and "inner" not in data
    assert "computed" not in data and data["price"] == 0.0
    mixed = as_object(**fields(row={"country": "GB", "region": None}))  # a dict inside an object
    assert Shape().to_representation(mixed)["country"] == "GB"


def test_source_star_and_many():
    assert WholeNumber().to_representation(5) == {"value": 5}
    assert WholeNumber().render_many([1, 2]) == [{"value": 1}, {"value": 2}]


def test_a_subclass_compiles_its_own_renderer():
    class Wider(WholeNumber):
        double = serializers.SerializerMethodField()

        def get_double(self, value):
            return value * 2

    assert Wider().to_representation(3) == {"value": 3, "double": 6}
    assert WholeNumber().to_representation(3) == {"value": 3}


class KeyShape(OutputSerializer):
    prefix = serializers.CharField()
    organization_name = serializers.CharField(source="organization.name")
    organization = serializers.CharField(source="organization.__str__")
    text = serializers.CharField(source="__str__")


def test_model_rows_render_columns_related_rows_and_methods():
    from orbit_numbers.models import ApiKey, Organization

    key = ApiKey(prefix="orb_live_ab", organization=Organization(name="Acme"))
    as_dict = {"prefix": "orb_live_ab", "organization": {"name": "Acme", "__str__": lambda: "Acme"},
               "__str__": lambda: str(key)}
    expected = {"prefix": "orb_live_ab", "organization_name": "Acme", "organization": "Acme", "text": str(key)}
    assert KeyShape().to_representation(key) == expected  # methods are called, columns read
    assert KeyShape().to_representation(as_dict) == expected
