"""How the simulated carrier validates a dispatchable address, like a carrier's MSAG / USPS check:
it normalises (word case, USPS street suffixes and directionals, state and province names to their
codes, ZIP and postal code formats) and refuses what it cannot place (a ZIP code of another state,
a postal code of another province, a street its address guide does not know)."""
from __future__ import annotations

import hashlib
import re
from dataclasses import replace

from django.conf import settings

from .base import AddressValidation, EmergencyAddressData

US_STATES = {
    "ALABAMA": "AL", "ALASKA": "AK", "ARIZONA": "AZ", "ARKANSAS": "AR", "CALIFORNIA": "CA", "COLORADO": "CO",
    "CONNECTICUT": "CT", "DELAWARE": "DE", "DISTRICT OF COLUMBIA": "DC", "FLORIDA": "FL", "GEORGIA": "GA",
    "HAWAII": "HI", "IDAHO": "ID", "ILLINOIS": "IL", "INDIANA": "IN", "IOWA": "IA", "KANSAS": "KS",
    "KENTUCKY": "KY", "LOUISIANA": "LA", "MAINE": "ME", "MARYLAND": "MD", "MASSACHUSETTS": "MA",
    "MICHIGAN": "MI", "MINNESOTA": "MN", "MISSISSIPPI": "MS", "MISSOURI": "MO", "MONTANA": "MT",
    "NEBRASKA": "NE", "NEVADA": "NV", "NEW HAMPSHIRE": "NH", "NEW JERSEY": "NJ", "NEW MEXICO": "NM",
    "NEW YORK": "NY", "NORTH CAROLINA": "NC", "NORTH DAKOTA": "ND", "OHIO": "OH", "OKLAHOMA": "OK",
    "OREGON": "OR", "PENNSYLVANIA": "PA", "RHODE ISLAND": "RI", "SOUTH CAROLINA": "SC", "SOUTH DAKOTA": "SD",
    "TENNESSEE": "TN", "TEXAS": "TX", "UTAH": "UT", "VERMONT": "VT", "VIRGINIA": "VA", "WASHINGTON": "WA",
    "WEST VIRGINIA": "WV", "WISCONSIN": "WI", "WYOMING": "WY", "PUERTO RICO": "PR",
}
CA_PROVINCES = {
    "ALBERTA": "AB", "BRITISH COLUMBIA": "BC", "MANITOBA": "MB", "NEW BRUNSWICK": "NB",
    "NEWFOUNDLAND AND LABRADOR": "NL", "NOVA SCOTIA": "NS", "NORTHWEST TERRITORIES": "NT", "NUNAVUT": "NU",
    "ONTARIO": "ON", "PRINCE EDWARD ISLAND": "PE", "QUEBEC": "QC", "QUÉBEC": "QC", "SASKATCHEWAN": "SK",
    "YUKON": "YT",
}
# The first three digits of the ZIP codes of each state (USPS ZIP3 prefixes).
ZIP3_RANGES = {
    "AL": [(350, 369)], "AK": [(995, 999)], "AZ": [(850, 865)], "AR": [(716, 729)], "CA": [(900, 961)],
    "CO": [(800, 816)], "CT": [(60, 69)], "DE": [(197, 199)], "DC": [(200, 200), (202, 205)],
    "FL": [(320, 349)], "GA": [(300, 319), (398, 399)], "HI": [(967, 968)], "ID": [(832, 838)],
    "IL": [(600, 629)], "IN": [(460, 479)], "IA": [(500, 528)], "KS": [(660, 679)], "KY": [(400, 427)],
    "LA": [(700, 714)], "ME": [(39, 49)], "MD": [(206, 219)], "MA": [(10, 27), (55, 55)], "MI": [(480, 499)],
    "MN": [(550, 567)], "MS": [(386, 397)], "MO": [(630, 658)], "MT": [(590, 599)], "NE": [(680, 693)],
    "NV": [(889, 898)], "NH": [(30, 38)], "NJ": [(70, 89)], "NM": [(870, 884)], "NY": [(5, 5), (100, 149)],
    "NC": [(270, 289)], "ND": [(580, 588)], "OH": [(430, 459)], "OK": [(730, 749)], "OR": [(970, 979)],
    "PA": [(150, 196)], "PR": [(6, 9)], "RI": [(28, 29)], "SC": [(290, 299)], "SD": [(570, 577)],
    "TN": [(370, 385)], "TX": [(750, 799), (733, 733), (885, 885)], "UT": [(840, 847)], "VT": [(50, 59)],
    "VA": [(201, 201), (220, 246)], "WA": [(980, 994)], "WV": [(247, 268)], "WI": [(530, 549)],
    "WY": [(820, 831)],
}
# The first letter of a Canadian postal code names its province (or territory).
POSTAL_LETTERS = {
    "NL": "A", "NS": "B", "PE": "C", "NB": "E", "QC": "GHJ", "ON": "KLMNP", "MB": "R", "SK": "S", "AB": "T",
    "BC": "V", "NT": "X", "NU": "X", "YT": "Y",
}
# USPS Publication 28 abbreviations.
STREET_SUFFIXES = {
    "STREET": "St", "AVENUE": "Ave", "ROAD": "Rd", "BOULEVARD": "Blvd", "DRIVE": "Dr", "LANE": "Ln",
    "COURT": "Ct", "PLACE": "Pl", "PARKWAY": "Pkwy", "HIGHWAY": "Hwy", "TERRACE": "Ter", "CIRCLE": "Cir",
    "SQUARE": "Sq", "TRAIL": "Trl", "EXPRESSWAY": "Expy", "FREEWAY": "Fwy", "PLAZA": "Plz", "CRESCENT": "Cres",
}
DIRECTIONALS = {"NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W", "NORTHEAST": "NE", "NORTHWEST": "NW",
                "SOUTHEAST": "SE", "SOUTHWEST": "SW"}
UNIT_DESIGNATORS = {"APARTMENT": "Apt", "APT": "Apt", "SUITE": "Ste", "STE": "Ste", "FLOOR": "Fl", "FL": "Fl",
                    "UNIT": "Unit", "ROOM": "Rm", "RM": "Rm", "BUILDING": "Bldg", "BLDG": "Bldg"}
_CA_POSTAL = re.compile(r"^([A-Z]\d[A-Z])\s*(\d[A-Z]\d)$")
_SPACES = re.compile(r"\s+")


def _word(word: str) -> str:
    return word[:1].upper() + word[1:].lower()


def _words(text: str) -> list[str]:
    return _SPACES.sub(" ", text.strip()).split(" ") if text.strip() else []


def normalise_street(name: str) -> str:
    words = []
    for word in _words(name):
        bare = word.rstrip(".").upper()
        words.append(DIRECTIONALS.get(bare) or STREET_SUFFIXES.get(bare) or _word(word.rstrip(".")))
    return " ".join(words)


def normalise_unit(unit: str) -> str:
    words = _words(unit.replace("#", "# "))
    if not words:
        return ""
    head = words[0].rstrip(".").upper()
    if head == "#":
        return " ".join(["Unit", *(w.upper() for w in words[1:])])
    return " ".join([UNIT_DESIGNATORS.get(head, _word(words[0])), *(w.upper() for w in words[1:])])


def normalise_state(state: str, country: str) -> str | None:
    names = US_STATES if country == "US" else CA_PROVINCES
    value = _SPACES.sub(" ", state.strip()).upper().rstrip(".")
    if value in names.values():
        return value
    return names.get(value)


def normalise_postal_code(code: str, country: str) -> str | None:
    if country == "US":
        digits = re.sub(r"[\s-]", "", code)
        if not digits.isdigit() or len(digits) not in (5, 9):
            return None
        return digits if len(digits) == 5 else f"{digits[:5]}-{digits[5:]}"
    match = _CA_POSTAL.match(code.strip().upper())
    return f"{match.group(1)} {match.group(2)}" if match else None


def postal_code_region(code: str, country: str) -> str | None:
    """The state (or one of the provinces) a normalised postal code belongs to."""
    if country == "US":
        prefix = int(code[:3])
        return next((state for state, ranges in ZIP3_RANGES.items()
                     if any(low <= prefix <= high for low, high in ranges)), None)
    return next((province for province, letters in POSTAL_LETTERS.items() if code[0] in letters), None)


def validate(address: EmergencyAddressData) -> AddressValidation:
    country = address.country.strip().upper()
    errors: dict[str, str] = {}
    if country not in ("US", "CA"):
        return AddressValidation(valid=False, errors={"country": "Emergency addresses are validated for US and CA "
                                                                  "only."})
    state = normalise_state(address.state, country)
    if state is None:
        errors["state"] = (f"{address.state!r} is not a {'US state' if country == 'US' else 'Canadian province'} "
                           "name or code.")
    postal_code = normalise_postal_code(address.postal_code, country)
    if postal_code is None:
        errors["postal_code"] = ("A US ZIP code is 5 digits or ZIP+4 (12345-6789)." if country == "US" else
                                 "A Canadian postal code looks like K1A 0B1.")
    elif state is not None:
        region = postal_code_region(postal_code, country)
        belongs = (region == state) if country == "US" else address_letters_match(postal_code, state)
        if not belongs:
            errors["postal_code"] = (f"{postal_code} is not a postal code of {state}"
                                     + (f" (it belongs to {region})." if region and country == "US" else "."))
    if not any(ch.isdigit() for ch in address.street_number):
        errors["street_number"] = "A dispatchable address needs a house number."
    street_name = normalise_street(address.street_name)
    unknown = [w for w in settings.ORBIT["SIMULATOR_E911_UNKNOWN_STREETS"] if w and w.lower() in street_name.lower()]
    if unknown:
        errors["street_name"] = (f"{street_name} was not found in the Master Street Address Guide for "
                                 f"{_titled(address.city)}; check the spelling or use the address on a utility bill.")
    if errors:
        return AddressValidation(valid=False, errors=errors)
    normalized = replace(
        address, caller_name=_SPACES.sub(" ", address.caller_name.strip()),
        business_name=_SPACES.sub(" ", address.business_name.strip()), street_number=address.street_number.strip(),
        street_name=street_name, unit=normalise_unit(address.unit), city=_titled(address.city), state=state,
        postal_code=postal_code, country=country)
    corrected = tuple(name for name in ("street_number", "street_name", "unit", "city", "state", "postal_code",
                                        "country")
                      if getattr(normalized, name) != getattr(address, name).strip())
    reference = "sim-msag-" + hashlib.sha256("|".join(normalized.as_dict().values()).encode()).hexdigest()[:16]
    return AddressValidation(valid=True, normalized=normalized, corrected_fields=corrected, reference=reference)


def address_letters_match(postal_code: str, province: str) -> bool:
    return postal_code[0] in POSTAL_LETTERS.get(province, "")


def _titled(text: str) -> str:
    return " ".join(_word(word) for word in _words(text))
