"""Prime the live fuzz server through its own API and write schemathesis dictionaries.

The fuzzer only reaches business logic when it sends values that exist: numbers on sale, numbers the
organisation owns, its reservation and port ids. This script (run by fuzz/run.sh after the server is up)
searches the inventory, buys a few numbers, opens a bulk reservation, uploads an LoA and submits a port-in
and a port-out, lists the seeded compliance profiles and drafts one more, then writes one libFuzzer-style dictionary per kind of value into OUT_DIR. fuzz/schemathesis.toml
binds them to parameters. A failing step is reported and skipped (the API under test may be broken; that is
what the fuzzer is for); every dictionary gets at least one plausible entry so the config always loads.

Usage: prime.py BASE_URL API_KEY OUT_DIR
"""
from __future__ import annotations

import json
import random
import sys
import uuid
from pathlib import Path

import phonenumbers
import requests

TIMEOUT = 30
# A tiny valid PDF for the LoA upload.
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
FALLBACK = {
    "countries": ["US"],
    "us": ["US"],
    "available_numbers": ["+14155550100"],
    "owned_numbers": ["+14155550101"],
    "owned_ids": ["num_00000000000000000000"],
    "reservation_ids": ["bres_00000000000000000000"],
    "port_request_ids": ["port_00000000000000000000"],
    "port_out_ids": ["pout_00000000000000000000"],
    "compliance_profile_ids": ["cp_00000000000000000000"],
    "portable_numbers": ["+12015550123"],
    "spam_dispute_ids": ["spd_00000000000000000000"],
    "emergency_address_ids": ["ea_00000000000000000000"],
    "readiness_numbers": ["+14155550101", "+14155550100", "+12015550123"],
    "ten_dlc_brand_ids": ["brd_00000000000000000000"],
    "ten_dlc_campaign_ids": ["cmp_00000000000000000000"],
    "webhook_ids": ["we_00000000000000000000"],
    "webhook_delivery_ids": ["whd_00000000000000000000"],
    "webhook_urls": ["https://hooks.example.com/orbit-fuzz"],
    "top_up_ids": ["tup_00000000000000000000"],
    "statement_periods": ["2026-01"],
}


class Api:
    def __init__(self, base: str, key: str):
        self.base = base.rstrip("/") + "/api/v1"
        self.session = requests.Session()
        self.session.headers["X-API-Key"] = key

    def call(self, method: str, path: str, what: str, **kwargs):
        if method in ("POST", "DELETE"):
            kwargs.setdefault("headers", {})["Idempotency-Key"] = f"prime-{uuid.uuid4().hex}"
        try:
            response = self.session.request(method, self.base + path, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            print(f"prime: {what}: {exc}")
            return None
        if response.status_code >= 300:
            print(f"prime: {what}: HTTP {response.status_code} {response.text[:200]}")
            return None
        try:
            return response.json().get("data")
        except (ValueError, AttributeError):
            print(f"prime: {what}: not a JSON envelope")
            return None


def portable_numbers(rng: random.Random, taken: set[str], count: int = 40) -> list[str]:
    """Valid US numbers that are not in our inventory: what a customer would port in (or check)."""
    found: list[str] = []
    regions = ["US"]  # a port-in is for one country (US by default); Telnyx serves US/CA
    attempts = 0
    while len(found) < count and attempts < 20_000:
        attempts += 1
        region = rng.choice(regions)
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.FIXED_LINE)
        national = str(example.national_number)
        # Keep the area code / prefix of the example, randomise the subscriber digits.
        keep = max(3, len(national) - 4)
        candidate = national[:keep] + "".join(rng.choice("0123456789") for _ in range(len(national) - keep))
        number = phonenumbers.parse(f"+{example.country_code}{candidate}")
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        # Suffixes the simulator treats specially (carrier failure, port rejection) are avoided.
        if (phonenumbers.is_valid_number(number) and e164 not in taken and e164 not in found
                and not e164.endswith(("9999", "0000", "0401", "0402", "0403", "0404"))):
            found.append(e164)
    return found


def main(base: str, key: str, out_dir: str) -> int:
    rng = random.Random(20240501)
    api = Api(base, key)
    values: dict[str, list[str]] = {name: [] for name in FALLBACK}

    data = api.call("GET", "/numbers/available/countries", "countries") or {}
    countries = [c.get("country") or c.get("code") for c in data.get("countries", []) if isinstance(c, dict)]
    values["countries"] = [c for c in countries if c] or ["US", "GB", "CA", "DE", "FR"]
    values["us"] = ["US"]

    offers: dict[str, list[dict]] = {}
    for country in values["countries"]:
        found = api.call("GET", "/numbers/available", f"search {country}", params={"country": country, "limit": 60})
        offers[country] = list((found or {}).get("numbers", []))
    all_offers = [o for items in offers.values() for o in items if o.get("phoneNumber")]

    # Buy a few numbers. DE needs a compliance profile: the seeded organisation's one approved DE profile
    # is used without naming it (GB and FR have none approved: those purchases are refused, 422).
    bought: list[dict] = []
    for country in ["US", "US", "US", "US", "CA", "DE"]:
        candidates = [o for o in offers.get(country, []) if o["phoneNumber"] not in {b.get("number") for b in bought}]
        candidates = [o for o in candidates if not o["phoneNumber"].endswith("9999")]
        if not candidates:
            continue
        offer = candidates[0]
        number = api.call("POST", "/numbers/purchase", f"purchase {offer['phoneNumber']}",
                          json={"phone_number": offer["phoneNumber"], "country_code": country})
        if number:
            bought.append(number)
    bought_e164 = {b.get("number") for b in bought}
    values["owned_ids"] = [b["id"] for b in bought if b.get("id")]
    values["owned_numbers"] = [b["number"] for b in bought if b.get("number")]
    # US only: purchase/buy-bulk bind country_code to "US" alongside (the API checks they agree).
    values["available_numbers"] = [o["phoneNumber"] for o in offers.get("US", [])
                                   if o["phoneNumber"] not in bought_e164 and not o["phoneNumber"].endswith("9999")]

    reservation = api.call("POST", "/numbers/bulk-reserve", "bulk reservation",
                           json={"country": "US", "quantity": 3, "number_type": "local"})
    if reservation and reservation.get("id"):
        values["reservation_ids"].append(reservation["id"])

    values["portable_numbers"] = portable_numbers(rng, {o["phoneNumber"] for o in all_offers})
    upload = api.call("POST", "/files/upload", "LoA upload",
                      files={"file": ("loa.pdf", PDF, "application/pdf")}, data={"purpose": "loa"})
    port_in = api.call("POST", "/numbers/porting", "port-in", json={
        "numbers": values["portable_numbers"][:2] or FALLBACK["portable_numbers"],
        "currentCarrier": "Verizon", "country": "US", "accountNumber": "123456789", "accountPin": "1234",
        "authorizedSigner": "Pat Doe", **({"loaFileUrl": upload["url"]} if upload and upload.get("url") else {}),
    })
    if port_in and port_in.get("id"):
        values["port_request_ids"].append(port_in["id"])

    # E911: two dispatchable addresses, one attached to an owned number (so a delete can meet a 409).
    values["emergency_address_ids"] = []
    for street in ("Congress Avenue", "Market Street"):
        address = api.call("POST", "/numbers/emergency-addresses", f"emergency address {street}", json={
            "caller_name": "Fuzz Caller", "street_number": "600", "street_name": street, "city": "Austin",
            "state": "TX", "postal_code": "78701", "country": "US"})
        if address and address.get("id"):
            values["emergency_address_ids"].append(address["id"])
    if values["emergency_address_ids"] and values["owned_ids"]:
        api.call("PUT", f"/numbers/{values['owned_ids'][0]}/emergency-address", "attach emergency address",
                 json={"address_id": values["emergency_address_ids"][0]})

    # Port one owned number out (it becomes porting_out; the others stay active for the fuzzer).
    if len(values["owned_numbers"]) > 1:
        port_out = api.call("POST", "/numbers/porting/out", "port-out", json={
            "numbers": [values["owned_numbers"][-1]], "destinationCarrier": "AT&T"})
        if port_out and port_out.get("id"):
            values["port_out_ids"].append(port_out["id"])

    # Caller ID: a CNAM listing on a bought US number, and the disputes the demo seed opened.
    if values["owned_ids"]:
        api.call("PUT", f"/numbers/{values['owned_ids'][0]}/cnam", "CNAM listing", json={"display_name": "ACME FUZZ"})
    disputes = api.call("GET", "/numbers/spam-disputes", "spam disputes") or []
    values["spam_dispute_ids"] = [d["id"] for d in disputes if isinstance(d, dict) and d.get("id")]
    # A paid lookup and a CNAM dip, so the lookup history has rows.
    for number in (values["portable_numbers"] or FALLBACK["portable_numbers"])[:1]:
        api.call("GET", f"/numbers/lookup/{number}", "number lookup", params={"fields": "carrier,portability"})
        api.call("GET", f"/numbers/cnam-dip/{number}", "CNAM dip")
    # The readiness pre-flight answers for all three kinds at once: owned, on sale, to port.
    values["readiness_numbers"] = (values["owned_numbers"][:10] + values["available_numbers"][:10]
                                   + values["portable_numbers"][:10])
    # Compliance profiles: the seeded ones (approved DE, submitted FR) and a fresh draft the fuzzer may edit.
    profiles = api.call("GET", "/numbers/compliance-profiles", "compliance profiles") or []
    values["compliance_profile_ids"] = [p["id"] for p in profiles if isinstance(p, dict) and p.get("id")]
    document = api.call("POST", "/files/upload", "compliance document upload",
                        files={"file": ("registration.pdf", PDF, "application/pdf")}, data={"purpose": "compliance"})
    draft = api.call("POST", "/numbers/compliance-profiles", "compliance profile draft", json={
        "name": "Fuzz GB", "country": "GB", "line_types": ["local", "toll_free"], "actions": ["purchase"],
        "fields": {"business_name": "Fuzz Ltd", "street_address": "1 Fuzz Street", "city": "London",
                   "postal_code": "SW1A 1AA"},
        "documents": [{"type": "business_registration", "file_id": document["id"]}] if document else []})
    if draft and draft.get("id"):
        values["compliance_profile_ids"].append(draft["id"])

    # 10DLC: a draft brand and one submitted (pending vetting), and a draft campaign of each.
    values["ten_dlc_brand_ids"], values["ten_dlc_campaign_ids"] = [], []
    for name in ("Fuzz Draft", "Fuzz Submitted"):
        brand = api.call("POST", "/10dlc/brands", f"10DLC brand {name}", json={
            "name": name, "legal_name": "Fuzz Telecom Inc.", "entity_type": "PRIVATE_PROFIT", "tax_id": "12-3456789",
            "vertical": "TECHNOLOGY", "website": "https://fuzz.example.com", "country": "US",
            "contact_email": "fuzz@example.com"})
        if not brand:
            continue
        values["ten_dlc_brand_ids"].append(brand["id"])
        campaign = api.call("POST", "/10dlc/campaigns", f"10DLC campaign of {name}", json={
            "brand_id": brand["id"], "name": f"{name} alerts", "use_case": "ACCOUNT_NOTIFICATION",
            "description": "Order confirmations and shipping updates for customers of the fuzz shop.",
            "message_flow": "Customers tick an opt-in box at checkout on the fuzz web shop.",
            "sample_messages": ["Fuzz: your order 1234 has shipped. Reply STOP to opt out."],
            "opt_out_message": "Fuzz: you are unsubscribed and will receive no more messages.",
            "help_message": "Fuzz order alerts: help at fuzz@example.com. Reply STOP to opt out."})
        if campaign:
            values["ten_dlc_campaign_ids"].append(campaign["id"])
        if name == "Fuzz Submitted":
            api.call("POST", f"/10dlc/brands/{brand['id']}/submit", "10DLC brand submission", json={})
    # Webhooks: an endpoint for every event and a test delivery on it, so deliveries and replay have ids.
    values["webhook_urls"] = ["https://hooks.example.com/orbit-fuzz", "https://hooks.example.net/a/b?c=1"]
    endpoint = api.call("POST", "/webhooks", "webhook endpoint",
                        json={"url": values["webhook_urls"][0], "events": ["*"], "description": "fuzz"})
    values["webhook_ids"] = [endpoint["id"]] if endpoint and endpoint.get("id") else []
    values["webhook_delivery_ids"] = []
    if values["webhook_ids"]:
        delivery = api.call("POST", f"/webhooks/{values['webhook_ids'][0]}/test", "webhook test event")
        if delivery and delivery.get("id"):
            values["webhook_delivery_ids"].append(delivery["id"])
    # Billing: one paid top-up and one waiting for confirmation; the months that have a statement.
    for payment_method in ("pm_card_visa", None):
        top_up = api.call("POST", "/billing/top-ups", "top-up", json={"amount_cents": 2500})
        if top_up and top_up.get("id"):
            values["top_up_ids"].append(top_up["id"])
            if payment_method:
                api.call("POST", f"/billing/top-ups/{top_up['id']}/confirm", "top-up confirmation",
                         json={"payment_method": payment_method})
    months = api.call("GET", "/billing/statements", "statement months") or []
    values["statement_periods"] = [m["period"] for m in months if isinstance(m, dict) and m.get("period")]

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, entries in values.items():
        entries = list(dict.fromkeys(entries)) or FALLBACK[name]
        values[name] = entries
        lines = [f"# {name}: written by fuzz/prime.py for this run"] + [json.dumps(e) for e in entries]
        (out / f"{name}.dict").write_text("\n".join(lines) + "\n")
    print("prime: " + ", ".join(f"{name}={len(entries)}" for name, entries in values.items()))
    (out / "primed.json").write_text(json.dumps(values, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
