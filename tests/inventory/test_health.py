"""Number health: usage ingest (API and feed command), the score and its factors, the warming plan,
reputation alerts and their webhooks, the health API (isolation, scopes, filters), the console."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import NumberHealth, NumberUsageDay, OwnedNumber, ReputationAlert
from inventory.services import number_purchase
from inventory.services.health import (UsageRecord, health_assess, number_health_compute, number_usage_ingest,
                                       warming_status)
from orbit_numbers.dashboard import panels_for
from orbit_numbers.models import AuditLog
from orbit_numbers.webhooks.models import WebhookEvent
from tests.staff import make_staff, superuser_client  # noqa: F401

USAGE = "/api/v1/numbers/usage"
LIST = "/api/v1/numbers/health"


def health_url(number_id: str) -> str:
    return f"/api/v1/numbers/{number_id}/health"


def today() -> date:
    return timezone.now().date()


def own(org, make_number, *, age_days: int = 120, source: str | None = None) -> OwnedNumber:
    """A number of ``org`` whose tenure began ``age_days`` ago."""
    number = number_purchase(organization=org, phone_number=make_number("US").e164)
    changes = {"created_at": timezone.now() - timedelta(days=age_days)}
    if source:
        changes["source"] = source
    OwnedNumber.objects.filter(pk=number.pk).update(**changes)
    number.refresh_from_db()
    return number


@pytest.fixture
def number(org, make_number):
    return own(org, make_number)


def usage(number_id: str, day: date | None = None, **counters) -> dict:
    return {"number_id": number_id, "date": (day or today()).isoformat(), **counters}


def post(client, *records):
    return client.post(USAGE, {"records": list(records)}, format="json")


def assert_422(response, field: str, *words: str) -> None:
    assert response.status_code == 422, response.json()
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and field in error["details"], error
    for word in words:
        assert word in error["details"][field], error


HEALTHY = dict(messages_sent=100, messages_delivered=99, messages_failed=1, calls_placed=40, calls_answered=25,
               complaints=0, spam_flags=0)


def day_rows(number: OwnedNumber, count: int = 7, **overrides) -> list[NumberUsageDay]:
    counters = {**HEALTHY, **overrides}
    return [NumberUsageDay(number=number, day=today() - timedelta(days=offset), **counters) for offset in range(count)]


# --- ingest through the API ------------------------------------------------------------------------


def test_ingest_stores_counters_and_a_resend_replaces_them(client, org, number):
    response = post(client, usage(number.id, messages_sent=10, messages_delivered=9, messages_failed=1),
                    usage(number.id, today() - timedelta(days=1), calls_placed=5, calls_answered=2))
    assert response.status_code == 200, response.json()
    assert response.json()["data"] == {"received": 2, "created": 2, "replaced": 0, "number_ids": [number.id]}

    again = post(client, usage(number.id, messages_sent=12, messages_delivered=11, messages_failed=1))
    assert again.json()["data"]["replaced"] == 1 and again.json()["data"]["created"] == 0
    row = NumberUsageDay.objects.get(number=number, day=today())
    assert (row.messages_sent, row.messages_delivered, row.messages_failed) == (12, 11, 1)
    assert NumberUsageDay.objects.filter(number=number).count() == 2
    audit = AuditLog.objects.filter(action="number_usage.ingest", organization=org).latest("id")
    assert audit.after["records"] == 1 and audit.after["source"] == "api"


def test_counters_left_out_are_kept(client, number):
    post(client, usage(number.id, messages_sent=10, messages_delivered=10))
    assert post(client, usage(number.id, calls_placed=4, calls_answered=3)).status_code == 200
    row = NumberUsageDay.objects.get(number=number, day=today())
    assert (row.messages_sent, row.messages_delivered, row.calls_placed, row.calls_answered) == (10, 10, 4, 3)


def test_ingest_by_phone_number(client, number):
    response = post(client, {"phone_number": number.e164, "date": today().isoformat(), "spam_flags": 2})
    assert response.status_code == 200, response.json()
    assert NumberUsageDay.objects.get(number=number).spam_flags == 2


def test_ingest_rescores_the_numbers_after_commit(client, number, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(client, usage(number.id, messages_sent=100, messages_delivered=50, messages_failed=50))
    health = NumberHealth.objects.get(pk=number.pk)
    delivery = next(f for f in health.factors if f["factor"] == "delivery_rate")
    assert delivery["value"] == 0.5 and delivery["points"] == 0


def test_ingest_queries_do_not_grow_with_the_records(client, org, make_number):
    numbers = [own(org, make_number) for _ in range(6)]

    def queries(records) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert post(client, *records).status_code == 200
        return len(captured)

    queries([usage(numbers[0].id, messages_sent=1)])  # the key's first use of the day writes last_used_at
    small = queries([usage(numbers[0].id, messages_sent=1)])
    big = queries([usage(n.id, today() - timedelta(days=d), messages_sent=d) for n in numbers for d in range(5)])
    assert big == small


def bad_records(number_id: str) -> list:
    day = today().isoformat()
    return [
        ("records", {"records": []}, "1-1000"),
        ("records", {"records": "x"}, "1-1000"),
        ("records", {"records": [usage(number_id, messages_sent=1)] * 1001}, "1-1000"),
        ("records", {}, "required"),
        ("extra", {"records": [usage(number_id, messages_sent=1)], "extra": 1}, "unknown"),
        ("records.0.colour", {"records": [usage(number_id, messages_sent=1, colour="red")]}, "unknown"),
        ("records.0.number_id", {"records": [{"date": day, "messages_sent": 1}]}, "one of them"),
        ("records.0.number_id", {"records": [{"number_id": number_id, "phone_number": "+14155550100",
                                              "date": day, "messages_sent": 1}]}, "one of them"),
        ("records.0.number_id", {"records": [usage("num_nope", messages_sent=1)]}, "match"),
        ("records.0.phone_number", {"records": [{"phone_number": "+1415", "date": day, "messages_sent": 1}]}, ""),
        ("records.0.date", {"records": [usage(number_id, today() + timedelta(days=1), messages_sent=1)]}, "future"),
        ("records.0.date", {"records": [usage(number_id, today() - timedelta(days=91), messages_sent=1)]}, "90 days"),
        ("records.0.date", {"records": [{"number_id": number_id, "date": "yesterday", "messages_sent": 1}]}, ""),
        ("records.0.date", {"records": [usage(number_id, today() - timedelta(days=1), messages_sent=1)]}, "became"),
        ("records.0.messages_sent", {"records": [usage(number_id, messages_sent=-1)]}, "greater than"),
        ("records.0.messages_sent", {"records": [usage(number_id, messages_sent="5")]}, "whole number"),
        ("records.0.messages_sent", {"records": [usage(number_id, messages_sent=1.5)]}, "whole number"),
        ("records.0.messages_sent", {"records": [usage(number_id, messages_sent=True)]}, "whole number"),
        ("records.0.messages_sent", {"records": [usage(number_id, messages_sent=2**31)]}, "less than"),
        ("records.0.messages_sent", {"records": [usage(number_id, messages_sent=None)]}, "null"),
        ("records.0.counters", {"records": [usage(number_id)]}, "at least one"),
        ("records.0.messages_delivered", {"records": [usage(number_id, messages_sent=5, messages_delivered=4,
                                                             messages_failed=2)]}, "exceed"),
        ("records.0.calls_answered", {"records": [usage(number_id, calls_placed=1, calls_answered=2)]}, "exceed"),
        ("records.1.date", {"records": [usage(number_id, messages_sent=1), usage(number_id, messages_sent=2)]},
         "already in this batch"),
        ("records.0.body", {"records": ["x"]}, "JSON object"),
    ]


@pytest.mark.parametrize("case", range(len(bad_records("num_" + "a" * 20))))
def test_every_bad_input_is_422_and_nothing_is_stored(client, org, make_number, case):
    # A number bought today: a day before its tenure is refused.
    number = own(org, make_number, age_days=0)
    field, body, words = bad_records(number.id)[case]
    response = client.post(USAGE, body, format="json")
    assert_422(response, field, *([words] if words else []))
    assert not NumberUsageDay.objects.exists()


def test_another_organisations_number_is_refused_like_an_unknown_one(client, make_org, make_number, number):
    theirs = own(make_org("Other", credit_cents=100_00), make_number)
    response = post(client, usage(number.id, messages_sent=1), usage(theirs.id, messages_sent=1))
    assert_422(response, "records.1.number_id", "not a number of this organisation")
    response = post(client, {"phone_number": theirs.e164, "date": today().isoformat(), "messages_sent": 1})
    assert_422(response, "records.0.phone_number", "not a number of this organisation")
    assert not NumberUsageDay.objects.exists()


def test_a_released_number_takes_no_usage(client, org, number):
    OwnedNumber.objects.filter(pk=number.pk).update(status=OwnedNumber.Status.RELEASED)
    assert_422(post(client, usage(number.id, messages_sent=1)), "records.0.number_id")


def test_scopes(make_client, org, number):
    reader = make_client(org, scopes=["numbers:read"])
    assert post(reader, usage(number.id, messages_sent=1)).status_code == 403
    assert reader.get(health_url(number.id)).status_code == 200
    assert reader.get(LIST).status_code == 200
    porting = make_client(org, scopes=["porting:read"])
    assert porting.get(health_url(number.id)).status_code == 403
    assert porting.get(LIST).status_code == 403
    writer = make_client(org, scopes=["numbers:write"])
    assert post(writer, usage(number.id, messages_sent=1)).status_code == 200


# --- the score ---------------------------------------------------------------------------------------


def score_of(rows, *, age_days: int = 120, exempt: bool = False) -> int:
    return health_assess(started_on=today() - timedelta(days=age_days), exempt=exempt, days=rows,
                         today=today()).score


def test_a_healthy_seasoned_number_scores_100_and_each_factor_reports_weight_and_points(number):
    assessment = health_assess(started_on=today() - timedelta(days=120), exempt=False, days=day_rows(number),
                               today=today())
    assert assessment.score == 100
    assert [f["factor"] for f in assessment.factors] == ["delivery_rate", "answer_rate", "complaint_rate",
                                                          "spam_flags", "warming", "age"]
    assert sum(f["weight"] for f in assessment.factors) == 100
    assert all(f["points"] == f["weight"] for f in assessment.factors)


@pytest.mark.parametrize("factor, worse, worst", [
    ("delivery_rate", dict(messages_delivered=92, messages_failed=8), dict(messages_delivered=70, messages_failed=30)),
    ("answer_rate", dict(calls_answered=10), dict(calls_answered=2)),
    ("complaint_rate", dict(complaints=1), dict(complaints=3)),
])
def test_each_rate_factor_lowers_the_score_as_it_worsens(number, factor, worse, worst):
    best = score_of(day_rows(number))
    middle = score_of(day_rows(number, **worse))
    bottom = score_of(day_rows(number, **worst))
    assert best > middle > bottom


def test_spam_flags_lower_the_score():
    rows = [NumberUsageDay(day=today(), **HEALTHY)]
    flagged = [NumberUsageDay(day=today(), **{**HEALTHY, "spam_flags": 2})]
    very = [NumberUsageDay(day=today(), **{**HEALTHY, "spam_flags": 5})]
    assert score_of(rows) > score_of(flagged) > score_of(very)


def test_a_younger_number_scores_lower_and_ported_in_numbers_are_seasoned():
    assert score_of([], age_days=120) > score_of([], age_days=30) > score_of([], age_days=0)
    assert score_of([], age_days=0, exempt=True) == 100


def test_sending_over_the_warming_cap_lowers_the_score(settings):
    settings.ORBIT = {**settings.ORBIT, "WARMING_PLAN": [50, 100, 200]}
    within = [NumberUsageDay(day=today(), messages_sent=100)]
    over = [NumberUsageDay(day=today(), messages_sent=150)]
    far_over = [NumberUsageDay(day=today(), messages_sent=400)]
    assert score_of(within, age_days=1) > score_of(over, age_days=1) > score_of(far_over, age_days=1)
    # The same volume once the plan is over is unrestricted.
    warming = lambda rows, age: next(f for f in health_assess(  # noqa: E731
        started_on=today() - timedelta(days=age), exempt=False, days=rows, today=today()).factors
        if f["factor"] == "warming")
    assert warming(far_over, 1)["points"] == 0
    assert warming(far_over, 3)["points"] == warming(far_over, 3)["weight"]


def test_no_traffic_keeps_the_rate_factors_whole():
    factors = health_assess(started_on=today() - timedelta(days=200), exempt=False, days=[], today=today()).factors
    assert all(f["points"] == f["weight"] for f in factors)
    assert next(f for f in factors if f["factor"] == "delivery_rate")["value"] is None


# --- warming plan ---------------------------------------------------------------------------------


@pytest.mark.parametrize("age_days, expected", [
    (0, dict(in_warming=True, day=1, daily_cap=50, next_cap=75)),
    (1, dict(in_warming=True, day=2, daily_cap=75, next_cap=100)),
    (13, dict(in_warming=True, day=14, daily_cap=1000, next_cap=None)),
    (14, dict(in_warming=False, day=15, daily_cap=None, next_cap=None)),
])
def test_warming_caps_rise_then_stop(age_days, expected):
    started = today() - timedelta(days=age_days)
    status = warming_status(started_on=started, today=today(), sent_today=7)
    assert {key: status[key] for key in expected} == expected
    assert status["sent_today"] == 7 and status["ends_on"] == started + timedelta(days=13)


def test_the_health_answer_reports_warming_and_a_ported_number_has_none(client, org, make_number):
    fresh = own(org, make_number, age_days=0)
    post(client, usage(fresh.id, messages_sent=20))
    warming = client.get(health_url(fresh.id)).json()["data"]["warming"]
    assert warming == {"in_warming": True, "day": 1, "daily_cap": 50, "sent_today": 20, "next_cap": 75,
                       "ends_on": (today() + timedelta(days=13)).isoformat()}
    ported = own(org, make_number, age_days=0, source=OwnedNumber.Source.PORT_IN)
    assert client.get(health_url(ported.id)).json()["data"]["warming"]["in_warming"] is False


# --- computing, the API ---------------------------------------------------------------------------


def store(number, **counters):
    NumberUsageDay.objects.update_or_create(number=number, day=today(), defaults={**HEALTHY, **counters})


def test_health_is_computed_live_until_the_batch_stores_it(client, number):
    store(number, messages_delivered=50, messages_failed=50)
    live = client.get(health_url(number.id)).json()["data"]
    assert not NumberHealth.objects.exists()
    number_health_compute()
    stored = client.get(health_url(number.id)).json()["data"]
    assert stored["score"] == live["score"] < 100 and stored["factors"] == live["factors"]
    assert stored["previous_score"] is None and stored["alert"] is None
    assert {"factor", "label", "value", "weight", "points", "detail"} == set(stored["factors"][0])


def test_another_organisations_health_is_404(client, make_org, make_number):
    theirs = own(make_org("Other", credit_cents=100_00), make_number)
    number_health_compute()
    assert client.get(health_url(theirs.id)).status_code == 404
    assert client.get(LIST).json()["data"] == []


def test_the_list_is_worst_first_filters_and_pages(client, org, make_number):
    numbers = [own(org, make_number) for _ in range(4)]
    for index, number in enumerate(numbers):
        store(number, messages_delivered=100 - index * 8, messages_failed=index * 8)
    number_health_compute()
    scores = [h.score for h in NumberHealth.objects.order_by("score")]
    page = client.get(LIST, {"limit": 3}).json()
    assert [item["score"] for item in page["data"]] == scores[:3]
    assert page["data"][0]["number_id"] == numbers[-1].id and page["meta"]["pagination"]["has_more"]
    rest = client.get(LIST, {"limit": 3, "cursor": page["meta"]["pagination"]["cursor"]}).json()
    assert [item["score"] for item in rest["data"]] == scores[3:]
    low = client.get(LIST, {"score_lt": scores[1]}).json()["data"]
    assert [item["score"] for item in low] == [s for s in scores if s < scores[1]]
    high = client.get(LIST, {"score_gte": scores[2]}).json()["data"]
    assert [item["score"] for item in high] == [s for s in scores if s >= scores[2]]


@pytest.mark.parametrize("params, field", [({"score_lt": "x"}, "score_lt"), ({"score_gte": 101}, "score_gte"),
                                           ({"score_lt": -1}, "score_lt"), ({"sort": "score"}, "sort"),
                                           ({"score_lt": ""}, "score_lt"), ({"cursor": "forged"}, "cursor")])
def test_bad_list_parameters_are_422(client, number, params, field):
    assert_422(client.get(LIST, params), field)


def test_compute_queries_are_constant_per_batch(org, make_number):
    numbers = [own(org, make_number) for _ in range(8)]
    for number in numbers:
        store(number)

    def queries(ids) -> int:
        with CaptureQueriesContext(connection) as captured:
            number_health_compute(number_ids=ids)
        return len(captured)

    queries([n.id for n in numbers])  # first computation creates rows; count the steady state
    assert queries([numbers[0].id]) == queries([n.id for n in numbers])


def test_released_numbers_are_not_scored(org, number):
    OwnedNumber.objects.filter(pk=number.pk).update(status=OwnedNumber.Status.RELEASED)
    assert number_health_compute().scored == 0


# --- reputation alerts -------------------------------------------------------------------------------


def test_a_drop_opens_one_alert_with_a_webhook_and_recovery_resolves_it_once(org, number):
    store(number)
    number_health_compute()
    assert not ReputationAlert.objects.exists()

    store(number, messages_delivered=80, messages_failed=20)  # delivery 80 %: 30 points gone
    number_health_compute()
    alert = ReputationAlert.objects.get()
    assert alert.is_open and alert.reason == "drop" and alert.score_before == 100 and alert.score_at_open == 70
    assert alert.recovery_score == 95
    event = WebhookEvent.objects.get(event_type="number.reputation_dropped")
    assert event.organization == org and event.payload["number_id"] == number.id
    assert event.payload["score"] == 70 and event.payload["factors"][0]["factor"] == "delivery_rate"

    number_health_compute()  # still low: no second alert, no second webhook
    assert ReputationAlert.objects.count() == 1
    assert WebhookEvent.objects.filter(event_type="number.reputation_dropped").count() == 1

    store(number)
    number_health_compute()
    alert.refresh_from_db()
    assert not alert.is_open and alert.score_at_resolve == 100
    number_health_compute()
    assert WebhookEvent.objects.filter(event_type="number.reputation_recovered").count() == 1
    assert list(AuditLog.objects.filter(object_id=str(alert.pk)).values_list("action", flat=True)
                .order_by("id")) == ["reputation_alert.open", "reputation_alert.resolve"]


def test_a_score_below_the_floor_opens_an_alert_on_the_first_computation(number):
    store(number, messages_delivered=50, messages_failed=50, spam_flags=5, complaints=10)
    number_health_compute()
    alert = ReputationAlert.objects.get()
    assert alert.reason == "floor" and alert.score_before is None and alert.score_at_open < 50
    assert alert.recovery_score == 55


def test_a_small_drop_above_the_floor_opens_nothing(number):
    store(number)
    number_health_compute()
    store(number, messages_delivered=95, messages_failed=5)
    number_health_compute()
    assert NumberHealth.objects.get().score < 100 and not ReputationAlert.objects.exists()


def test_the_health_answer_shows_the_open_alert_and_previous_score(client, number):
    store(number)
    number_health_compute()
    store(number, messages_delivered=80, messages_failed=20)
    number_health_compute()
    number_health_compute()  # an unchanged score keeps the previous one
    data = client.get(health_url(number.id)).json()["data"]
    assert data["score"] == 70 and data["previous_score"] == 100
    assert data["alert"]["reason"] == "drop" and data["alert"]["recovery_score"] == 95
    assert client.get(LIST).json()["data"][0]["alert_open"] is True


def test_a_released_numbers_alert_is_resolved(number):
    store(number, messages_delivered=50, messages_failed=50, spam_flags=5, complaints=10)
    number_health_compute()
    OwnedNumber.objects.filter(pk=number.pk).update(status=OwnedNumber.Status.RELEASED)
    number_health_compute()
    assert not ReputationAlert.objects.get().is_open


# --- commands ------------------------------------------------------------------------------------------


def run_ingest(path, *args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("ingest_number_usage", str(path), *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_the_feed_stores_good_lines_and_reports_every_rejected_one(tmp_path, org, make_org, make_number, number):
    theirs = own(make_org("Other", credit_cents=100_00), make_number)
    day = today().isoformat()
    feed = tmp_path / "usage.csv"
    feed.write_text(
        "phone_number,number_id,date,messages_sent,messages_delivered,calls_placed\n"
        f"{number.e164},,{day},10,9,\n"                       # 2: stored
        f",{theirs.id},{day},5,,\n"                           # 3: stored (the feed spans organisations)
        f"{number.e164},,{day},11,10,\n"                      # 4: same number and day again
        f"{number.e164},,2020-01-01,1,,\n"                    # 5: too old
        f"{number.e164},,{day},-3,,\n"                        # 6: not a whole number
        f"+14155550199,,{day},1,,\n"                          # 7: nobody's number
        f"{number.e164},,{day},5,9,\n"                        # 8: duplicate (reported before the counters)
        f"{number.e164},,not-a-date,1,,\n"                    # 9: bad date
        f"{number.e164},{number.id},{today() - timedelta(days=1)},1,,\n")  # 10: both keys
    code, out, err = run_ingest(feed)
    assert code == 1
    assert "Read 9 line(s): 2 stored (2 new, 0 replaced), 7 rejected." in out
    for line, words in [(4, "already on line 2"), (5, "90 days"), (6, "whole number"), (7, "not a live number"),
                        (8, "already on line 2"), (9, "YYYY-MM-DD"), (10, "one of them")]:
        assert any(entry.startswith(f"line {line}: ") and words in entry for entry in err.splitlines()), (line, err)
    assert NumberUsageDay.objects.get(number=number).messages_sent == 10
    assert NumberUsageDay.objects.get(number=theirs).source == "feed"


def test_the_feed_can_be_limited_to_one_organisation(tmp_path, org, make_org, make_number, number):
    theirs = own(make_org("Other", credit_cents=100_00), make_number)
    feed = tmp_path / "usage.csv"
    feed.write_text(f"number_id,date,spam_flags\n{number.id},{today()},1\n{theirs.id},{today()},1\n")
    code, out, err = run_ingest(feed, "--organization", org.name)
    assert code == 1 and "not a number of this organisation" in err
    assert list(NumberUsageDay.objects.values_list("number_id", flat=True)) == [number.id]


@pytest.mark.parametrize("text, words", [("date,messages_sent\n", "header"), ("number_id,date,colour\n", "colour")])
def test_a_feed_with_a_bad_header_is_refused(tmp_path, text, words):
    from django.core.management.base import CommandError

    feed = tmp_path / "usage.csv"
    feed.write_text(text)
    with pytest.raises(CommandError, match=words):
        call_command("ingest_number_usage", str(feed))


def test_a_missing_file_or_organisation_is_refused(tmp_path, db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Cannot read"):
        call_command("ingest_number_usage", str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError, match="No organisation"):
        call_command("ingest_number_usage", str(tmp_path / "missing.csv"), "--organization", "Nobody")


def test_compute_command_scores_every_live_number(org, number):
    store(number, messages_delivered=50, messages_failed=50, spam_flags=5, complaints=10)
    out = io.StringIO()
    call_command("compute_number_health", stdout=out)
    assert "Scored 1 number(s): 1 reputation alert(s) opened, 0 resolved." in out.getvalue()


def test_the_service_ingests_partially_for_feeds(org, number):
    result = number_usage_ingest(records=[
        UsageRecord(ref="line 2", day=today(), counters={"messages_sent": 3}, number_id=number.id),
        UsageRecord(ref="line 3", day=today() + timedelta(days=2), counters={"messages_sent": 3},
                    number_id=number.id)], partial=True, source="feed")
    assert result.created == 1 and list(result.rejected) == ["line 3"]


# --- the console -------------------------------------------------------------------------------------


def test_console_lists_health_worst_first_and_alerts_read_only(superuser_client, org, make_number):
    good, bad = own(org, make_number), own(org, make_number)
    store(good)
    store(bad, messages_delivered=50, messages_failed=50, spam_flags=5, complaints=10)
    number_health_compute()
    response = superuser_client.get("/admin/inventory/numberhealth/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(bad.e164) < html.index(good.e164)
    assert superuser_client.get("/admin/inventory/numberhealth/?band=poor").content.decode().count(good.e164) == 0
    assert superuser_client.get(f"/admin/inventory/numberhealth/{bad.pk}/change/").status_code == 200
    alert = ReputationAlert.objects.get()
    assert superuser_client.get("/admin/inventory/reputationalert/?state=open").status_code == 200
    assert superuser_client.get(f"/admin/inventory/reputationalert/{alert.pk}/change/").status_code == 200
    assert superuser_client.get("/admin/inventory/reputationalert/add/").status_code == 403
    assert superuser_client.get("/admin/inventory/numberusageday/").status_code == 200


def test_support_recomputes_from_the_console(make_staff, org, number):
    store(number)
    number_health_compute()
    NumberHealth.objects.update(score=10)
    support = make_staff("support")
    response = support.post("/admin/inventory/numberhealth/", {
        "action": "recompute", "_selected_action": [number.pk]}, follow=True)
    assert response.status_code == 200
    assert NumberHealth.objects.get().score == 100


def test_the_dashboard_panel_counts_open_alerts_worst_first(superuser_client, org, make_number):
    numbers = [own(org, make_number) for _ in range(2)]
    store(numbers[0], messages_delivered=50, messages_failed=50, spam_flags=5, complaints=10)
    store(numbers[1], messages_delivered=60, messages_failed=40, spam_flags=5, complaints=10, calls_answered=0)
    number_health_compute()
    panel = next(p for p in panels_for(superuser_client.user) if p.panel.key == "reputation-drops")
    assert panel.data.count == 2 and panel.data.url.endswith("?state=open")
    assert panel.data.rows[0].label.startswith(numbers[1].e164)
    assert "reputation" in superuser_client.get("/admin/").content.decode().lower()


def test_the_demo_seeds_healthy_numbers_and_one_poor_one_idempotently(db):
    call_command("seed_demo", "--numbers", "200", stdout=io.StringIO())
    call_command("seed_demo", "--numbers", "200", stdout=io.StringIO())
    scores = dict(NumberHealth.objects.values_list("number__label", "score"))
    assert len(scores) == 3
    assert scores["Demo health: poor reputation"] < 50
    assert all(score >= 80 for label, score in scores.items() if "poor" not in label)
    assert ReputationAlert.objects.filter(resolved_at__isnull=True).count() == 1
    assert NumberUsageDay.objects.count() == 3 * 14
