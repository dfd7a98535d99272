"""The regulatory requirements the project ships (US, CA, GB, DE, FR, NL, ES, AU × local, mobile, toll-free ×
purchase, port-in), modelled on what the regulators and carriers ask (FCC/CRTC, Ofcom, BNetzA, ARCEP, ACM,
CNMC, ACMA; Telnyx and Twilio requirement lists). Staff edit them in the console afterwards; re-running
this only fills what is missing, it never overwrites an edited entry.

RegulatedCountry goes: a pool is regulated when its requirement asks for anything a profile must hold.
Its rows are migrated: a listed country that the shipped table does not know gets a proof-of-address
requirement for every line type and action, carrying its note.
"""
from django.db import migrations

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


# Staff roles (0004_staff_roles): support reviews profiles and keeps the table; porting-ops reads it.
GRANTS = {
    "support": ["review_complianceprofile", "view_regulatoryrequirement", "add_regulatoryrequirement",
                "change_regulatoryrequirement", "view_compliancedocument"],
    "porting-ops": ["view_regulatoryrequirement", "view_compliancedocument"],
}


def forward(apps, schema_editor):
    RegulatoryRequirement = apps.get_model("inventory", "RegulatoryRequirement")
    RegulatedCountry = apps.get_model("inventory", "RegulatedCountry")
    for country, line_type, action, documents, fields, note in shipped_rows():
        RegulatoryRequirement.objects.get_or_create(country=country, line_type=line_type, action=action,
                                                    defaults={"documents": documents, "fields": fields,
                                                              "note": note})
    known = set(RegulatoryRequirement.objects.values_list("country", flat=True))
    for listed in RegulatedCountry.objects.exclude(country__in=known):
        for line_type in ("local", "mobile", "toll_free"):
            for action in ("purchase", "port_in"):
                RegulatoryRequirement.objects.create(
                    country=listed.country, line_type=line_type, action=action,
                    documents=[document("proof_of_address")], fields=[],
                    note=listed.note or "Migrated from the regulated-countries list.")

    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations ran; the grants below need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.add(*Permission.objects.filter(content_type__app_label="inventory",
                                                             codename__in=codenames))


def backward(apps, schema_editor):
    """The regulated-countries list again: every country that requires something for a purchase."""
    RegulatoryRequirement = apps.get_model("inventory", "RegulatoryRequirement")
    RegulatedCountry = apps.get_model("inventory", "RegulatedCountry")
    for requirement in RegulatoryRequirement.objects.filter(action="purchase"):
        if requirement.fields or requirement.documents:
            RegulatedCountry.objects.get_or_create(country=requirement.country,
                                                   defaults={"note": requirement.note[:200]})
    RegulatoryRequirement.objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0012_compliance_profiles'),
        ('auth', '0012_alter_user_first_name_max_length'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='complianceprofile',
            name='countries',
        ),
        migrations.RunPython(forward, backward),
        migrations.DeleteModel(
            name='RegulatedCountry',
        ),
    ]
