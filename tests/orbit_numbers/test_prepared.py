"""PreparedLookup: the ORM's own SQL, converters and select_related, compiled once per connection."""
from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from orbit_numbers.models import ApiKey
from orbit_numbers.prepared import PreparedLookup
from orbit_numbers.services import api_key_create, organization_get_or_create

pytestmark = pytest.mark.django_db(transaction=True)

KEY_BY_PREFIX = PreparedLookup(
    lambda prefix: ApiKey.objects.select_related("organization").filter(
        prefix=prefix, revoked_at__isnull=True, organization__is_active=True),
    name="test_key_by_prefix")


@pytest.fixture
def api_key():
    organization, _ = organization_get_or_create(name="Prepared Co")
    key, _ = api_key_create(organization=organization, scopes=["numbers:read", "billing:read"])
    return key


def test_returns_the_instance_the_orm_returns_with_its_relation_in_one_query(api_key):
    expected = ApiKey.objects.select_related("organization").get(prefix=api_key.prefix)
    with CaptureQueriesContext(connection) as queries:
        found = KEY_BY_PREFIX.first(api_key.prefix)
        organization_name = found.organization.name  # select_related: no second query
    assert len(queries) == 1
    assert found == expected and found._state.db == "default" and not found._state.adding
    assert organization_name == "Prepared Co"
    # The ORM's converters ran: JSON columns are Python lists, datetimes are aware.
    assert found.scopes == ["numbers:read", "billing:read"] and found.created_at == expected.created_at
    assert {field.attname: getattr(found, field.attname) for field in ApiKey._meta.concrete_fields} == {
        field.attname: getattr(expected, field.attname) for field in ApiKey._meta.concrete_fields}


def test_no_row_is_none_and_the_filters_still_apply(api_key):
    assert KEY_BY_PREFIX.first("nosuchprefix") is None
    ApiKey.objects.filter(pk=api_key.pk).update(revoked_at="2026-01-01T00:00:00Z")
    assert KEY_BY_PREFIX.first(api_key.prefix) is None
    api_key.organization.__class__.objects.filter(pk=api_key.organization_id).update(is_active=False)
    ApiKey.objects.filter(pk=api_key.pk).update(revoked_at=None)
    assert KEY_BY_PREFIX.first(api_key.prefix) is None


def test_values_are_bound_as_parameters_not_pasted_into_the_sql(api_key):
    with CaptureQueriesContext(connection) as queries:
        assert KEY_BY_PREFIX.first("x' OR '1'='1") is None
    assert "OR '1'='1'" not in queries[0]["sql"].split("WHERE")[0]
    assert KEY_BY_PREFIX.first(api_key.prefix).pk == api_key.pk


def test_each_thread_compiles_for_its_own_connection(api_key):
    found, errors = [], []

    def lookup():
        try:
            found.append(KEY_BY_PREFIX.first(api_key.prefix).pk)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=lookup) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and found == [api_key.pk] * 4


def test_a_lookup_whose_value_does_not_reach_the_sql_is_refused():
    broken = PreparedLookup(lambda prefix: ApiKey.objects.filter(prefix="fixed"), name="test_broken")
    with pytest.raises(ValueError, match="every value"):
        broken.first("abc")
