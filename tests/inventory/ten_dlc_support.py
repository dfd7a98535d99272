"""Bodies and helpers for the 10DLC registration tests."""
from __future__ import annotations

BRAND = {
    "name": "Acme Alerts", "legal_name": "Acme Telecom Inc.", "entity_type": "PRIVATE_PROFIT",
    "tax_id": "12-3456789", "vertical": "TECHNOLOGY", "website": "https://acme.example.com", "country": "US",
    "street": "600 Congress Ave", "city": "Austin", "state": "TX", "postal_code": "78701",
    "contact_email": "compliance@acme.example.com", "contact_phone": "+14155550100",
}
CAMPAIGN = {
    "name": "Order alerts", "use_case": "ACCOUNT_NOTIFICATION",
    "description": "Order confirmations and shipping updates sent to customers who bought from our web shop.",
    "message_flow": "Customers tick an opt-in box at checkout on our web shop (terms and privacy linked there).",
    "sample_messages": ["Acme: your order 1234 has shipped and arrives Tuesday. Reply STOP to opt out.",
                        "Acme: your order 1235 is confirmed. Reply HELP for help, STOP to opt out."],
    "opt_out_message": "Acme: you are unsubscribed and will receive no more messages.",
    "help_message": "Acme order alerts. Help at support@acme.example.com. Reply STOP to opt out.",
}
BRANDS_URL = "/api/v1/10dlc/brands"
CAMPAIGNS_URL = "/api/v1/10dlc/campaigns"


def create_brand(client, **changes) -> dict:
    response = client.post(BRANDS_URL, {**BRAND, **changes}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["data"]


def create_campaign(client, brand_id: str, **changes) -> dict:
    response = client.post(CAMPAIGNS_URL, {**CAMPAIGN, "brand_id": brand_id, **changes}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["data"]


def vetting_seconds(settings) -> float:
    return float(settings.ORBIT["SIMULATOR_TEN_DLC_VETTING_SECONDS"])
