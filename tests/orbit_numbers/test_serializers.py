"""OutputSerializer: the compiled rendering gives what DRF's own field machinery gives, and follows
the documented rules (optional fields left out when None, dollars, ISO timestamps, nesting)."""
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
