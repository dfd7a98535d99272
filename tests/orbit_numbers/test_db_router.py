"""The read replica: list and search reads go there, everything else stays on the primary.

The ``replica`` alias here is a second connection to the test database (like Django's TEST MIRROR),
so each test can see which connection ran which query.
"""
from __future__ import annotations

import copy

import pytest
from django.conf import settings
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext

from inventory.models import OwnedNumber, PhoneNumber
from orbit_numbers.db_router import REPLICA_DB_ALIAS, ReplicaRouter, replica_reads

router = ReplicaRouter()
# A run with DATABASE_REPLICA_URL set has the alias (a TEST MIRROR) from the start: tests declare it.
uses_replica = pytest.mark.django_db(transaction=True, databases=[
    "default", *([REPLICA_DB_ALIAS] if REPLICA_DB_ALIAS in settings.DATABASES else [])])


@pytest.fixture
def replica(transactional_db):
    """A ``replica`` alias on the test database (unless the run configured one, a mirror, already)."""
    added = REPLICA_DB_ALIAS not in connections.settings
    if added:
        connections.settings[REPLICA_DB_ALIAS] = copy.deepcopy(connections["default"].settings_dict)
    # Connected here, before the test's guard against undeclared aliases looks (it only refuses to
    # open a connection); the test client does not close connections between requests.
    connections[REPLICA_DB_ALIAS].connect()
    yield connections[REPLICA_DB_ALIAS]
    if added:
        connections[REPLICA_DB_ALIAS].close()
        connections[REPLICA_DB_ALIAS].close_pool()  # a run with DB_POOL=on gave the alias a pool of its own
        del connections[REPLICA_DB_ALIAS]
        del connections.settings[REPLICA_DB_ALIAS]


def tables(queries) -> str:
    return " ".join(query["sql"] for query in queries)


@pytest.fixture
def bought(make_org, make_client, make_number):
    organization = make_org("Replica Org", credit_cents=100_00)
    client = make_client(organization)
    row = make_number("US")
    response = client.post("/api/v1/numbers/purchase", {"phone_number": row.e164}, format="json")
    assert response.status_code == 201, response.json()
    return client, row


@uses_replica
def test_the_number_list_reads_the_replica_and_the_key_check_the_primary(replica, bought):
    client, row = bought
    with CaptureQueriesContext(replica) as on_replica, CaptureQueriesContext(connections["default"]) as on_primary:
        response = client.get("/api/v1/numbers")
    assert response.status_code == 200
    assert [n["number"] for n in response.json()["data"]] == [row.e164]
    assert OwnedNumber._meta.db_table in tables(on_replica)
    assert OwnedNumber._meta.db_table not in tables(on_primary)
    assert "orbit_numbers_apikey" in tables(on_primary) and "orbit_numbers_apikey" not in tables(on_replica)


@uses_replica
def test_the_search_reads_the_replica(replica, bought):
    client, _ = bought
    with CaptureQueriesContext(replica) as on_replica:
        response = client.get("/api/v1/numbers/available", {"country": "US"})
    assert response.status_code == 200
    assert PhoneNumber._meta.db_table in tables(on_replica)


@uses_replica
def test_a_purchase_never_touches_the_replica(replica, make_org, make_client, make_number):
    client = make_client(make_org("Buyer", credit_cents=100_00))
    row = make_number("US")
    with CaptureQueriesContext(replica) as on_replica:
        response = client.post("/api/v1/numbers/purchase", {"phone_number": row.e164}, format="json")
    assert response.status_code == 201
    assert on_replica.captured_queries == []


@uses_replica
def test_a_list_does_not_leave_replica_reads_on_for_the_thread(replica, bought):
    client, _ = bought
    assert client.get("/api/v1/numbers").status_code == 200
    assert router.db_for_read(OwnedNumber) is None  # the primary (Django's default) again
    with CaptureQueriesContext(replica) as on_replica:
        assert client.get(f"/api/v1/numbers/{OwnedNumber.objects.get().pk}").status_code == 200
    assert on_replica.captured_queries == []


@uses_replica
def test_reads_inside_a_transaction_stay_on_the_primary(replica):
    with replica_reads():
        assert router.db_for_read(PhoneNumber) == REPLICA_DB_ALIAS
        with transaction.atomic():
            assert router.db_for_read(PhoneNumber) is None


@uses_replica
def test_after_a_write_the_request_reads_its_own_writes_on_the_primary(replica):
    with replica_reads():
        assert router.db_for_read(PhoneNumber) == REPLICA_DB_ALIAS
        assert router.db_for_write(PhoneNumber) is None
        assert router.db_for_read(PhoneNumber) is None
    with replica_reads():
        assert router.db_for_read(PhoneNumber) == REPLICA_DB_ALIAS


@uses_replica
def test_a_row_read_on_the_replica_is_written_and_followed_on_the_primary(replica, make_number):
    make_number("US")
    with replica_reads():
        row = PhoneNumber.objects.get()
    assert row._state.db == REPLICA_DB_ALIAS
    assert router.db_for_write(PhoneNumber, instance=row) == "default"
    assert router.db_for_read(PhoneNumber, instance=row) == "default"
    row.region = "Changed"
    with CaptureQueriesContext(replica) as on_replica:
        row.save(update_fields=["region"])
    assert on_replica.captured_queries == []


def test_without_a_replica_every_read_is_the_primarys(db):
    assert REPLICA_DB_ALIAS not in connections.settings or pytest.skip("this run configures a replica")
    with replica_reads():
        assert router.db_for_read(PhoneNumber) is None


def test_no_migration_runs_on_the_replica():
    assert router.allow_migrate(REPLICA_DB_ALIAS, "inventory") is False
    assert router.allow_migrate("default", "inventory") is None
