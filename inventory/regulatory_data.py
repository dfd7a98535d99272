"""The regulatory requirements the project ships: US, CA, GB, DE, FR, NL, ES, AU × local, mobile, toll-free ×
purchase, port-in, modelled on what the regulators and carriers ask (FCC/CRTC, Ofcom, BNetzA, ARCEP, ACM,
CNMC, ACMA; Telnyx and Twilio requirement lists).

Loaded by migration 0013; staff edit the rows in the console afterwards. ``regulatory_requirements_ensure``
fills in what is missing (never overwriting an edited entry): for the demo seed, and for test databases
that a transactional test has flushed.
"""
from __future__ import annotations

FORMATS = ["pdf", "jpeg", "png"]

DOCUMENTS = {
    "proof_of_address": ("Proof of address", "A utility bill, bank statement or tax notice under 3 months old "
                                             "showing the end user's name and address."),
    "proof_of_local_address": ("Proof of address in the area code's region",
                               "As proof of address, for an address inside the numbering area of the number's "
                               "area code (geographic numbers are tied to their region)."),
    "business_registration": ("Business registration extract",
                              "A commercial-register extract or certificate of incorporation under 3 months old "
                              "(e.g. Handelsregisterauszug, Kbis, KvK uittreksel, Companies House)."),
    "identity_document": ("Identity document", "Passport or national identity card of the end user or of the "
                                               "company's legal representative (both sides)."),
    "loa": ("Letter of Authorization", "Signed by the account holder at the losing carrier; given with each "
                                       "port request."),
    "bill_copy": ("Recent bill of the losing carrier", "An invoice under 30 days old showing the numbers, the "
                                                      "account holder and the service address; given with each "
                                                      "port request."),
}

ADDRESS_PATTERN = r"^\S.{2,199}$"
POSTAL = {
    "US": (r"^[0-9]{5}(-[0-9]{4})?$", "94103"), "CA": (r"^[A-Z][0-9][A-Z] ?[0-9][A-Z][0-9]$", "M5V 2T6"),
    "GB": (r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$", "SW1A 1AA"), "DE": (r"^[0-9]{5}$", "10115"),
    "FR": (r"^[0-9]{5}$", "75002"), "NL": (r"^[1-9][0-9]{3} ?[A-Z]{2}$", "1012 AB"), "ES": (r"^[0-9]{5}$", "28013"),
    "AU": (r"^[0-9]{4}$", "2000"),
}
FIELDS = {
    "business_name": ("Business name", "The legal name of the end user (company or person).", ADDRESS_PATTERN,
                      "Acme GmbH"),
    "contact_name": ("Contact name", "The person responsible for the number.", ADDRESS_PATTERN, "Erika Mustermann"),
    "street_address": ("Street address", "Street and house number of the end user.", ADDRESS_PATTERN,
                       "Friedrichstrasse 123"),
    "city": ("City", "City or locality of the address.", r"^\S.{1,99}$", "Berlin"),
    "abn": ("Australian Business Number", "11 digits, without spaces.", r"^[0-9]{11}$", "51824753556"),
    "siren": ("SIREN", "The 9-digit French company identification number.", r"^[0-9]{9}$", "552100554"),
    "kvk_number": ("KvK number", "The 8-digit Dutch Chamber of Commerce number.", r"^[0-9]{8}$", "12345678"),
    "tax_id": ("NIF / NIE / CIF", "The Spanish tax identification number of the end user.",
               r"^[0-9A-Z][0-9]{7}[0-9A-Z]$", "B12345678"),
}
ADDRESS = ["business_name", "street_address", "city", "postal_code"]


def document(code, source="profile", formats=FORMATS):
    name, description = DOCUMENTS[code]
    return {"type": code, "name": name, "description": description, "accepted_formats": list(formats),
            "source": source}


def field(code, country):
    if code == "postal_code":
        pattern, example = POSTAL[country]
        return {"name": "postal_code", "label": "Postal code", "description": f"A {country} postal code.",
                "pattern": pattern, "example": example}
    label, description, pattern, example = FIELDS[code]
    return {"name": code, "label": label, "description": description, "pattern": pattern, "example": example}


PORT_REQUEST_DOCUMENTS = ["loa", "bill_copy"]

# country → line type → (profile documents, fields, note) for a purchase. A port-in asks the same of the
# profile, plus the LoA and a bill copy given with each port request.
RULES = {
    "US": {
        "local": ([], [], "No end-user documents for US local numbers (FCC)."),
        "mobile": ([], [], "No end-user documents for US mobile numbers."),
        "toll_free": ([], [], "No end-user documents to reserve US toll-free numbers (SMS/800); messaging "
                              "needs toll-free verification, a separate process."),
    },
    "CA": {
        "local": ([], [], "No end-user documents for Canadian local numbers (CRTC)."),
        "mobile": ([], [], "No end-user documents for Canadian mobile numbers."),
        "toll_free": ([], [], "No end-user documents to reserve Canadian toll-free numbers."),
    },
    "GB": {
        "local": ([], ["business_name", "street_address", "city", "postal_code"],
                  "Ofcom General Conditions: the end user's name and address are recorded (no documents)."),
        "mobile": ([], ["business_name", "street_address", "city", "postal_code"],
                   "Ofcom: the end user's name and address are recorded."),
        "toll_free": (["business_registration"], ["business_name", "street_address", "city", "postal_code"],
                      "Ofcom: 0800/0808 freephone numbers are for businesses; registration extract required."),
    },
    "DE": {
        "local": (["proof_of_local_address", "business_registration"],
                  ["business_name", "contact_name", "street_address", "city", "postal_code"],
                  "BNetzA: a geographic number needs an address in its area code's region (Ortsnetzbereich)."),
        "mobile": (["identity_document"], ["business_name", "street_address", "city", "postal_code"],
                   "TKG §172: mobile end users are identified by an identity document."),
        "toll_free": (["business_registration"], ["business_name", "contact_name", "street_address", "city",
                                                  "postal_code"],
                      "BNetzA: 0800 numbers are assigned to a registered business."),
    },
    "FR": {
        "local": (["proof_of_local_address", "business_registration"],
                  ["business_name", "siren", "street_address", "city", "postal_code"],
                  "ARCEP: a geographic number (01-05) needs an address in its zone and a Kbis extract."),
        "mobile": (["identity_document"], ["business_name", "street_address", "city", "postal_code"],
                   "ARCEP: mobile end users are identified."),
        "toll_free": (["business_registration"], ["business_name", "siren", "street_address", "city",
                                                  "postal_code"],
                      "ARCEP: 0800-0805 numbers are assigned to businesses (Kbis extract)."),
    },
    "NL": {
        "local": (["proof_of_local_address"], ["business_name", "street_address", "city", "postal_code"],
                  "ACM: a geographic number is used in its numbering area; address proof required."),
        "mobile": (["identity_document"], ["business_name", "street_address", "city", "postal_code"],
                   "Dutch mobile numbers need an identified end user."),
        "toll_free": (["business_registration"], ["business_name", "kvk_number", "street_address", "city",
                                                  "postal_code"],
                      "0800 numbers go to businesses registered with the KvK."),
    },
    "ES": {
        "local": (["proof_of_local_address", "identity_document"],
                  ["business_name", "tax_id", "street_address", "city", "postal_code"],
                  "CNMC: a geographic number needs an address in its province and the end user's NIF/CIF."),
        "mobile": (["identity_document"], ["business_name", "tax_id", "street_address", "city", "postal_code"],
                   "Ley 25/2007: mobile end users are identified (DNI/NIE/CIF)."),
        "toll_free": (["business_registration"], ["business_name", "tax_id", "street_address", "city",
                                                  "postal_code"],
                      "900 numbers go to registered businesses."),
    },
    "AU": {
        "local": ([], ["business_name", "abn", "street_address", "city", "postal_code"],
                  "ACMA: the end user's address, and the ABN for a business."),
        "mobile": (["identity_document"], ["business_name", "street_address", "city", "postal_code"],
                   "ACMA identity verification for mobile services."),
        "toll_free": ([], ["business_name", "abn", "street_address", "city", "postal_code"],
                      "ACMA: 1800 numbers are held by a business (ABN) with an Australian address."),
    },
}


def shipped_rows():
    for country, line_types in RULES.items():
        for line_type, (documents, fields, note) in line_types.items():
            profile_documents = [document(code) for code in documents]
            field_specs = [field(code, country) for code in fields]
            yield (country, line_type, "purchase", profile_documents, field_specs, note)
            yield (country, line_type, "port_in",
                   profile_documents + [document("loa", "port_request", ["pdf"]),
                                        document("bill_copy", "port_request")],
                   field_specs, note + " Port-ins also need the LoA and a recent bill, given with the request.")


def regulatory_requirements_ensure(model=None) -> int:
    """Create every shipped entry that has no row yet (by country, line type, action); how many were created.
    ``model`` is the historical model inside a migration."""
    if model is None:
        from .models import RegulatoryRequirement as model
    existing = set(model.objects.values_list("country", "line_type", "action"))
    missing = [model(country=country, line_type=line_type, action=action, documents=documents, fields=fields,
                     note=note)
               for country, line_type, action, documents, fields, note in shipped_rows()
               if (country, line_type, action) not in existing]
    model.objects.bulk_create(missing)
    return len(missing)
