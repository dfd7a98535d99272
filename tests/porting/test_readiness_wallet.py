"""The wallet readiness check: setup + first month to buy, the next renewal of an owned number, and
the first month charged when a port completes (Orbit charges no porting fee)."""
from __future__ import annotations

from billing.services import wallet_credit
from porting.readiness.targets import readiness_targets
from porting.readiness.wallet import CHECK


def evaluate(org, numbers):
    return CHECK.evaluate(organization=org, targets=readiness_targets(organization=org, numbers=numbers))


def test_purchase_ok_when_the_wallet_covers_every_number(make_org, make_number):
    org = make_org(credit_cents=500)
    rows = [make_number("US", setup_cents=100, monthly_cents=150) for _ in range(2)]  # 250 each, 500 together
    for row in rows:
        result = evaluate(org, [r.e164 for r in rows])[row.e164]
        assert result.status == "ok" and result.next_action == ""
        assert result.details == {"cost_cents": 250, "setup_cents": 100, "monthly_cents": 150, "balance_cents": 500,
                                  "total_cents": 500}


def test_purchase_warning_when_each_is_affordable_but_not_all_together(make_org, make_number):
    org = make_org(credit_cents=400)
    rows = [make_number("US", setup_cents=100, monthly_cents=150) for _ in range(2)]
    answers = evaluate(org, [r.e164 for r in rows])
    for row in rows:
        result = answers[row.e164]
        assert result.status == "warning"
        assert result.details["top_up_cents"] == 100 and result.details["total_cents"] == 500
        assert "$1.00 is missing" in result.reason and "not all 2 numbers" in result.reason
        assert result.next_action.startswith("Top up $1.00")


def test_purchase_blocked_with_the_amount_to_top_up(make_org, make_number):
    org = make_org(credit_cents=200)
    cheap = make_number("US", setup_cents=0, monthly_cents=100)
    dear = make_number("US", setup_cents=100, monthly_cents=150)
    answers = evaluate(org, [cheap.e164, dear.e164])
    assert answers[dear.e164].status == "blocked"
    assert answers[dear.e164].details["top_up_cents"] == 50
    assert "$2.50" in answers[dear.e164].reason and "$2.00" in answers[dear.e164].reason
    assert answers[dear.e164].next_action.startswith("Top up at least $0.50")
    # the cheap one is affordable alone, not together with the dear one
    assert answers[cheap.e164].status == "warning" and answers[cheap.e164].details["top_up_cents"] == 150


def test_an_empty_wallet_blocks_every_purchase(make_org, make_number):
    org = make_org()
    row = make_number("US")
    assert evaluate(org, [row.e164])[row.e164].status == "blocked"


def test_owned_ok_when_the_next_renewal_is_covered(make_org, own_number):
    org = make_org(credit_cents=1000)
    owned = own_number(org, monthly_cents=150, setup_cents=100)  # leaves 750
    result = evaluate(org, [owned.e164])[owned.e164]
    assert result.status == "ok" and "next renewal ($1.50" in result.reason
    assert result.details["monthly_cents"] == 150 and result.details["balance_cents"] == 750
    assert result.details["renews_at"].endswith("Z")


def test_owned_warning_when_the_next_renewal_is_not_covered(make_org, own_number):
    org = make_org(credit_cents=250)
    owned = own_number(org, monthly_cents=150, setup_cents=100)  # leaves 0
    result = evaluate(org, [owned.e164])[owned.e164]
    assert result.status == "warning" and result.details["top_up_cents"] == 150
    assert "released after the grace period" in result.next_action


def test_port_in_has_no_fee_and_ok_when_the_first_month_is_covered(make_org, settings):
    settings.ORBIT = {**settings.ORBIT, "PORTED_NUMBER_MONTHLY_CENTS": {"local": 100, "mobile": 200,
                                                                        "toll_free": 200}}
    org = make_org(credit_cents=300)
    answers = evaluate(org, ["+12025550300", "+18005550300"])  # local 100 + toll-free 200
    for result in answers.values():
        assert result.status == "ok" and result.details["porting_fee_cents"] == 0
        assert "No porting fee" in result.reason
    assert answers["+18005550300"].details["first_month_cents"] == 200


def test_port_in_warning_when_the_first_month_is_not_covered(make_org):
    org = make_org()
    result = evaluate(org, ["+12025550300"])["+12025550300"]
    assert result.status == "warning" and result.details["top_up_cents"] == 100
    assert "charged when the port completes" in result.reason


def test_port_in_warning_when_all_the_ports_together_are_not_covered(make_org):
    org = make_org(credit_cents=150)
    answers = evaluate(org, ["+12025550300", "+12025550301"])
    for result in answers.values():
        assert result.status == "warning" and result.details["top_up_cents"] == 50
        assert "all 2 numbers to port" in result.reason


def test_reads_the_balance_as_it_is_now(make_org, make_number):
    org = make_org(credit_cents=100)
    row = make_number("US", setup_cents=100, monthly_cents=150)
    assert evaluate(org, [row.e164])[row.e164].status == "blocked"
    wallet_credit(organization=org, amount_cents=150, description="top-up")
    assert evaluate(org, [row.e164])[row.e164].status == "ok"
