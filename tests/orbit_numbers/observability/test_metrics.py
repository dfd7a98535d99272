"""/metrics: Prometheus text for staff or the scraper's token; requests by route pattern, Celery tasks,
and the gauges apps register (ledger drift, stock per pool, open alerts, stuck idempotency keys)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db.models import F
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from billing.models import Wallet
from inventory.models import LowStockThreshold
from inventory.services.stock import low_stock_check
from orbit_numbers.models import IdempotencyRecord
from orbit_numbers.observability import gauges
from orbit_numbers.observability.gauges import ScrapeGauge

TOKEN = "metrics-token-for-tests-0123456789"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def scraper(settings):
    settings.ORBIT_METRICS_TOKEN = TOKEN
    client = Client()
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    return client


def scrape(client: Client) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of one scrape."""
    response = client.get("/metrics")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return samples(response.content.decode())


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(scraped: dict, name: str, **labels) -> float | None:
    return scraped.get((name, tuple(sorted(labels.items()))))


# --- who may read them ---------------------------------------------------------------------------

def test_anonymous_is_401_json(db, settings):
    settings.ORBIT_METRICS_TOKEN = TOKEN
    response = Client().get("/metrics")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'


@pytest.mark.parametrize("presented", ["wrong-token", TOKEN[:-1], TOKEN + "x"])
def test_wrong_token_is_401(db, settings, presented):
    settings.ORBIT_METRICS_TOKEN = TOKEN
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {presented}")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"


def test_no_token_configured_means_no_token_is_accepted(db, settings):
    settings.ORBIT_METRICS_TOKEN = ""
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 401


def test_customer_api_key_is_not_a_metrics_token(org, make_client, settings):
    settings.ORBIT_METRICS_TOKEN = TOKEN
    assert make_client(org, bearer=True).get("/metrics").status_code == 401


def test_signed_in_non_staff_is_403_json(db):
    client = Client()
    client.force_login(User.objects.create_user("someone"))
    response = client.get("/metrics")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"


def test_staff_session_reads_them(db):
    client = Client()
    client.force_login(User.objects.create_user("ops", is_staff=True))
    assert "orbit_ledger_drift_cents" in {name for name, _ in scrape(client)}


def test_writes_are_405_json(scraper):
    response = scraper.post("/metrics")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


# --- requests ------------------------------------------------------------------------------------

def test_requests_are_counted_by_route_pattern_method_and_status(org, make_client, scraper):
    route = "/api/v1/numbers/<number_id:number_id>"
    before = scrape(scraper)
    client = make_client(org)
    for number_id in ("num_" + "a" * 20, "num_" + "b" * 20):
        assert client.get(f"/api/v1/numbers/{number_id}").status_code == 404
    after = scrape(scraper)

    def delta(name, **labels):
        return (value(after, name, **labels) or 0) - (value(before, name, **labels) or 0)

    assert delta("orbit_http_requests_total", method="GET", route=route, status="404") == 2
    assert delta("orbit_http_request_duration_seconds_count", method="GET", route=route) == 2
    assert value(after, "orbit_http_request_duration_seconds_bucket", method="GET", route=route, le="+Inf")
    assert not any("num_aaaa" in str(labels) for _, labels in after)  # raw paths never become series


def test_invented_methods_share_one_series(db, scraper):
    Client().generic("BREW", "/healthz")
    assert value(scrape(scraper), "orbit_http_requests_total", method="other", route="/healthz", status="405")


# --- gauges computed at scrape -------------------------------------------------------------------

def test_ledger_drift_is_zero_while_the_books_balance_and_shows_the_difference(make_org, scraper):
    make_org("Drifty", credit_cents=50_00)
    make_org("Steady", credit_cents=20_00)
    assert value(scrape(scraper), "orbit_ledger_drift_cents") == 0
    # A balance changed behind the ledger's back. PostgreSQL's deferred check would refuse to commit
    # it, and the test's teardown runs that check: put the balance back after looking.
    drifty = Wallet.objects.filter(organization__name="Drifty")
    drifty.update(balance_cents=F("balance_cents") + 123)
    assert value(scrape(scraper), "orbit_ledger_drift_cents") == 123
    drifty.update(balance_cents=F("balance_cents") - 123)


def test_sellable_stock_per_pool(make_number, scraper):
    make_number("US")
    make_number("US")
    make_number("US", "toll_free")
    make_number("GB")
    make_number("GB", status="assigned")  # sold: not stock
    scraped = scrape(scraper)
    assert value(scraped, "orbit_inventory_sellable_numbers", country="US", line_type="local") == 2
    assert value(scraped, "orbit_inventory_sellable_numbers", country="US", line_type="toll_free") == 1
    assert value(scraped, "orbit_inventory_sellable_numbers", country="GB", line_type="local") == 1


def test_open_low_stock_alerts_per_pool(make_number, scraper):
    make_number("US")
    LowStockThreshold.objects.create(country="US", line_type="local", min_available=10)
    assert value(scrape(scraper), "orbit_low_stock_alerts_open", country="US", line_type="local") is None
    low_stock_check()
    assert value(scrape(scraper), "orbit_low_stock_alerts_open", country="US", line_type="local") == 1


def test_idempotency_keys_in_progress(org, scraper):
    IdempotencyRecord.objects.create(organization=org, key="running", fingerprint="f" * 64)
    IdempotencyRecord.objects.create(organization=org, key="done", fingerprint="f" * 64, status_code=201)
    assert value(scrape(scraper), "orbit_idempotency_in_progress") == 1


def test_a_failing_gauge_is_reported_and_the_rest_still_scraped(db, scraper):
    def broken() -> float:
        raise RuntimeError("the query failed")

    gauges.register(ScrapeGauge("orbit_test_broken", "A gauge that fails.", compute=broken))
    try:
        scraped = scrape(scraper)
    finally:
        gauges.unregister("orbit_test_broken")
    assert value(scraped, "orbit_scrape_gauge_failed", gauge="orbit_test_broken") == 1
    assert value(scraped, "orbit_scrape_gauge_failed", gauge="orbit_ledger_drift_cents") == 0
    assert value(scraped, "orbit_ledger_drift_cents") == 0


# --- several gunicorn workers --------------------------------------------------------------------

COUNT_ONE_REQUEST = """
import django
django.setup()
from orbit_numbers.observability.metrics import observe_request
observe_request(method="GET", route="/api/v1/numbers", status=200, seconds=0.01)
"""

SCRAPE_WITHOUT_DATABASE = """
import django
django.setup()
from orbit_numbers.observability import gauges
for gauge in gauges.registered():
    gauges.unregister(gauge.name)
from orbit_numbers.observability.metrics import exposition
print(exposition().decode())
"""


def test_with_several_worker_processes_any_scrape_sums_them_all(tmp_path):
    """prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set by gunicorn.conf.py):
    two workers count a request each, a third process's scrape shows both."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "orbit_numbers.settings"}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", COUNT_ONE_REQUEST], env=env, cwd=ROOT, check=True, timeout=60)
    output = subprocess.run([sys.executable, "-c", SCRAPE_WITHOUT_DATABASE], env=env, cwd=ROOT, check=True,
                            timeout=60, capture_output=True, text=True).stdout
    scraped = samples(output)
    assert value(scraped, "orbit_http_requests_total", method="GET", route="/api/v1/numbers", status="200") == 2
    assert value(scraped, "orbit_http_request_duration_seconds_count", method="GET", route="/api/v1/numbers") == 2
