"""Country names as orders hold them (imported data names countries in words) as ISO 3166-1
alpha-2 codes, which is what an event's `country` holds."""

from __future__ import annotations

# Every name in the Online Retail data, and a few common spellings besides.
_BY_NAME: dict[str, str] = {
    "australia": "AU", "austria": "AT", "bahrain": "BH", "belgium": "BE", "brazil": "BR",
    "canada": "CA", "channel islands": "JE", "cyprus": "CY", "czech republic": "CZ",
    "czechia": "CZ", "denmark": "DK", "eire": "IE", "ireland": "IE", "finland": "FI",
    "france": "FR", "germany": "DE", "greece": "GR", "hong kong": "HK", "iceland": "IS",
    "israel": "IL", "italy": "IT", "japan": "JP", "lebanon": "LB", "lithuania": "LT",
    "malta": "MT", "netherlands": "NL", "norway": "NO", "poland": "PL", "portugal": "PT",
    "rsa": "ZA", "south africa": "ZA", "saudi arabia": "SA", "singapore": "SG", "spain": "ES",
    "sweden": "SE", "switzerland": "CH", "united arab emirates": "AE", "united kingdom": "GB",
    "uk": "GB", "usa": "US", "united states": "US",
}  # fmt: skip


def country_code(value: str) -> str:
    """ "GB" for "United Kingdom" or "gb"; "" for what names no single country ("Unspecified",
    "European Community") or is unknown."""
    text = value.strip()
    if len(text) == 2 and text.isalpha():
        return text.upper()
    return _BY_NAME.get(text.lower(), "")
