"""OutputSerializer: the compiled rendering gives what DRF's own field machinery gives, and follows
the documented rules (optional fields left out when None, dollars, ISO timestamps, nesting), for
model rows, plain objects and mappings."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from rest_framework import serializers

from orbit_numbers.api.serializers import DollarsField, OutputSerializer
from orbit_numbers.money import dollars, format_dollars


class LineSerializer(OutputSerializer):
    sku = serializers.CharField()
    price = DollarsField(source="price_cents")


class OrderSerializer(OutputSerializer):
    id = serializers.CharField()
    status = serializers.ChoiceField(choices=["open", "paid"])
    total = DollarsField(source="total_cents")
    created_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField(required=False)
    country = serializers.CharField(source="customer.country")
    lines = LineSerializer(many=True)
    first_line = LineSerializer(source="customer.first_line", required=False)
    tags = serializers.ListField(child=serializers.CharField())
    meta = serializers.DictField()
    paid = serializers.BooleanField()
    label = serializers.SerializerMethodField()

    def get_label(self, order) -> str:
        return f"order {order.id}"


def order(**overrides):
    values = dict(
        id="ord_1", status="open", total_cents=-2599, created_at=datetime(2026, 3, 8, 12, 0, tzinfo=timezone.utc),
        paid_at=None, note=None, customer=SimpleNamespace(country="US", first_line=None),
        lines=[SimpleNamespace(sku="a", price_cents=150), SimpleNamespace(sku="b", price_cents=1)],
        tags=("x", "y"), meta={"k": 1}, paid=False)
    values.update(overrides)
    return SimpleNamespace(**values)


def test_renders_every_rule():
    data = OrderSerializer().to_representation(order())
    assert data == {
        "id": "ord_1", "status": "open", "total": -25.99, "created_at": "2026-03-08T12:00:00Z", "paid_at": None,
        "country": "US", "lines": [{"sku": "a", "price": 1.5}, {"sku": "b", "price": 0.01}],
        "tags": ["x", "y"], "meta": {"k": 1}, "paid": False, "label": "order ord_1",
    }
    assert "note" not in data  # optional and None: left out, not null


def test_optional_field_present_when_set_and_timestamps_convert_to_utc():
    plus_two = timezone(timedelta(hours=2))
    data = OrderSerializer().to_representation(order(note="gift", created_at=datetime(2026, 3, 8, 14, 0,
                                                                                        tzinfo=plus_two)))
    assert data["note"] == "gift"
    nested = OrderSerializer().to_representation(order(customer=SimpleNamespace(
        country="GB", first_line=SimpleNamespace(sku="z", price_cents=99))))
    assert nested["first_line"] == {"sku": "z", "price": 0.99} and nested["country"] == "GB"
    assert data["created_at"] == "2026-03-08T12:00:00Z"


def test_mappings_render_like_objects():
    row = {"sku": "c", "price_cents": 250}
    assert LineSerializer().to_representation(row) == {"sku": "c", "price": 2.5}


def test_render_many_and_subclasses_compile_their_own_plan():
    class PricedLineSerializer(LineSerializer):
        currency = serializers.CharField()

    lines = [SimpleNamespace(sku="a", price_cents=100, currency="USD")]
    assert LineSerializer().render_many(lines) == [{"sku": "a", "price": 1.0}]
    assert PricedLineSerializer().render_many(lines) == [{"sku": "a", "price": 1.0, "currency": "USD"}]
    assert LineSerializer().render_many(lines) == [{"sku": "a", "price": 1.0}]


def test_same_output_as_drf_field_machinery_for_plain_fields():
    class Plain(OutputSerializer):
        name = serializers.CharField()
        count = serializers.IntegerField()
        ratio = serializers.FloatField()
        when = serializers.DateTimeField()

    instance = SimpleNamespace(name="n", count=3, ratio=0.5, when=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    drf = serializers.Serializer.to_representation(Plain(), instance)
    ours = Plain().to_representation(instance)
    assert ours == {**drf, "when": "2026-01-02T03:04:05Z"}
    assert drf["when"].startswith("2026-01-02T03:04:05")


def test_money_helpers():
    assert dollars(150) == 1.5 and dollars(-2599) == -25.99 and dollars(0) == 0.0
    assert format_dollars(49750) == "$497.50"
    assert format_dollars(-123456789) == "-$1,234,567.89"
    assert format_dollars(5, "EUR") == "0.05 EUR"


def test_reverse_relations_render_through_their_manager_and_methods_are_called(org, make_client):
    from orbit_numbers.models import Organization

    class KeySerializer(OutputSerializer):
        prefix = serializers.CharField()

    class OrganizationSerializer(OutputSerializer):
        name = serializers.CharField()
        api_keys = KeySerializer(many=True)
        shout = serializers.CharField(source="loud_name")

    make_client(org)
    organization = Organization.objects.get(pk=org.pk)
    organization.loud_name = lambda: organization.name.upper()  # a callable source is called, as in DRF
    data = OrganizationSerializer().to_representation(organization)
    assert data["name"] == "Acme" and data["shout"] == "ACME"
    assert len(data["api_keys"]) == 1 and data["api_keys"][0]["prefix"]


# --- the generated renderer, per class of instance ---------------------------------------------


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
