"""The sandbox's stock of phone numbers to search and buy.

A small table of real areas (area code, region, rate center, LATA, postal
code, coordinates) per country and number type; numbers in an area are made
up deterministically, so the same search gives the same numbers, and a
``Contains`` pattern (letters as on a keypad, ``*`` for any digit) is placed
inside them. A number is available when it belongs to a known area and no
account owns it.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs

from ..params import parse_int, parse_lat_long

__all__ = ["AREAS", "COUNTRIES", "Area", "area_of", "friendly", "search"]

COUNTRIES = {"US": "United States", "CA": "Canada", "GB": "United Kingdom"}
_KEYPAD = {
    c: d
    for d, letters in {
        "2": "ABC",
        "3": "DEF",
        "4": "GHI",
        "5": "JKL",
        "6": "MNO",
        "7": "PQRS",
        "8": "TUV",
        "9": "WXYZ",
    }.items()
    for c in letters
}


@attrs.frozen
class Area:
    country: str
    type: str
    prefix: str  # "+1530": country code and area code
    digits: int  # how many digits follow the prefix
    region: str
    locality: str | None
    rate_center: str | None
    lata: str | None
    postal_code: str | None
    latitude: str | None
    longitude: str | None
    address_requirements: str = "none"
    capabilities: Mapping[str, bool] = attrs.field(
        factory=lambda: {"voice": True, "sms": True, "mms": True, "fax": False}
    )

    @property
    def area_code(self) -> str:
        return self.prefix[2:5] if self.prefix.startswith("+1") else self.prefix[3:]


def _us(
    code: str, region: str, locality: str, rate: str, lata: str, postal: str, lat: str, lon: str
) -> Area:
    return Area("US", "Local", f"+1{code}", 7, region, locality, rate, lata, postal, lat, lon)


_TOLL_FREE = {"voice": True, "sms": True, "mms": False, "fax": False}
_MOBILE = {"voice": True, "sms": True, "mms": False, "fax": False}


def _toll_free(code: str) -> Area:
    return Area("US", "TollFree", f"+1{code}", 7, "", *(None,) * 6, capabilities=_TOLL_FREE)


AREAS = (
    _us("530", "CA", "Davis", "DAVIS", "726", "95616", "38.544900", "-121.740500"),
    _us("415", "CA", "San Francisco", "SNFC CNTRL", "722", "94103", "37.775000", "-122.418300"),
    _us("510", "CA", "Oakland", "OKLD", "722", "94612", "37.804400", "-122.270800"),
    _us("212", "NY", "New York", "NWYRCYZN01", "132", "10001", "40.750700", "-73.996400"),
    _us("312", "IL", "Chicago", "CHICAGO", "358", "60601", "41.885800", "-87.621200"),
    _us("512", "TX", "Austin", "AUSTIN", "558", "78701", "30.271100", "-97.743700"),
    _us("617", "MA", "Boston", "BOSTON", "128", "02108", "42.357600", "-71.063600"),
    _us("206", "WA", "Seattle", "SEATTLE", "674", "98101", "47.610100", "-122.334200"),
    _us("808", "HI", "Hilo", "HILO", "834", "96720", "19.720000", "-155.090000"),
    _us("303", "CO", "Denver", "DENVER", "656", "80202", "39.752900", "-104.999000"),
    _us("305", "FL", "Miami", "MIAMI", "460", "33130", "25.766700", "-80.200000"),
    _us("702", "NV", "Las Vegas", "LAS VEGAS", "721", "89101", "36.172000", "-115.139900"),
    _toll_free("800"),
    _toll_free("833"),
    _toll_free("844"),
    _toll_free("877"),
    Area(
        "CA",
        "Local",
        "+1604",
        7,
        "BC",
        "Vancouver",
        "VANCOUVER",
        "888",
        "V6B",
        "49.282700",
        "-123.120700",
    ),
    Area(
        "CA",
        "Local",
        "+1416",
        7,
        "ON",
        "Toronto",
        "TORONTO",
        "888",
        "M5H",
        "43.653200",
        "-79.383200",
    ),
    Area(
        "GB",
        "Local",
        "+4420",
        8,
        "London",
        "London",
        None,
        None,
        None,
        "51.507400",
        "-0.127800",
        address_requirements="any",
    ),
    Area(
        "GB",
        "Local",
        "+44161",
        7,
        "Manchester",
        "Manchester",
        None,
        None,
        None,
        "53.480800",
        "-2.242600",
        address_requirements="any",
    ),
    Area(
        "GB",
        "Mobile",
        "+447700",
        6,
        "",
        None,
        None,
        None,
        None,
        None,
        None,
        address_requirements="any",
        capabilities=_MOBILE,
    ),
)


def friendly(number: str) -> str:
    """How Twilio shows a number: ``(530) 555-9653`` in North America, E.164 elsewhere."""
    if number.startswith("+1") and len(number) == 12:
        return f"({number[2:5]}) {number[5:8]}-{number[8:]}"
    return number


def area_of(number: str) -> Area | None:
    """The area a well-formed number belongs to, if the sandbox sells it."""
    for area in AREAS:
        rest = number[len(area.prefix) :]
        if number.startswith(area.prefix) and len(rest) == area.digits and rest.isdigit():
            return area
    return None


def _pattern(contains: str) -> str:
    """A Contains value as a regex over digits (``WOLF`` -> ``9653``, ``*`` -> any digit)."""
    out = []
    for ch in contains.upper():
        if ch == "*":
            out.append(r"\d")
        elif ch.isdigit() or ch == "+":
            out.append(re.escape(ch))
        elif ch in _KEYPAD:
            out.append(_KEYPAD[ch])
        else:
            raise ValueError(contains)
    return "".join(out)


def _fill(area: Area, index: int, wanted: str) -> str:
    """The ``index``-th made-up number of ``area``, with the digits ``wanted`` inside."""
    digest = hashlib.sha256(f"{area.prefix}:{wanted}:{index}".encode()).hexdigest()
    digits = "".join(str(int(c, 16) % 10) for c in digest)[: area.digits]
    if not wanted:
        return area.prefix + digits
    offset = index % (area.digits - len(wanted) + 1)
    return area.prefix + digits[:offset] + wanted + digits[offset + len(wanted) :]


def _contains_digits(contains: str) -> str:
    """The fixed digits to embed: letters as digits, a ``*`` as a made-up digit."""
    return "".join(
        "5" if c == "*" else (c if c.isdigit() else _KEYPAD.get(c.upper(), ""))
        for c in contains.lstrip("+")
    )


def _miles(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 3958.8 * 2 * math.asin(math.sqrt(h))


def _same(attr: str, value: str) -> Callable[[Area], bool]:
    return lambda area: str(getattr(area, attr) or "").lower() == value.lower()


def _capable(capability: str, wanted: bool) -> Callable[[Area], bool]:
    return lambda area: area.capabilities.get(capability, False) == wanted


def matching_areas(country: str, kind: str, q: Callable[[str], str | None]) -> list[Area]:
    """The areas a search's location filters allow."""
    areas = [a for a in AREAS if a.country == country and a.type == kind]
    tests: list[Callable[[Area], bool]] = []
    if code := q("AreaCode"):
        tests.append(lambda a: a.area_code == code)
    for param, attr in (
        ("InRegion", "region"),
        ("InPostalCode", "postal_code"),
        ("InLata", "lata"),
        ("InRateCenter", "rate_center"),
        ("InLocality", "locality"),
    ):
        if value := q(param):
            tests.append(_same(attr, value))
    if near := q("NearNumber"):
        home = area_of(near if near.startswith("+") else "+1" + near)
        tests.append(lambda a: home is not None and a.prefix == home.prefix)
    if point := q("NearLatLong"):
        lat, lon = parse_lat_long("NearLatLong", point)
        radius = parse_int("Distance", q("Distance") or "25", low=0, high=500)
        tests.append(
            lambda a: (
                a.latitude is not None
                and a.longitude is not None
                and _miles((lat, lon), (float(a.latitude), float(a.longitude))) <= radius
            )
        )
    for param, capability in (
        ("SmsEnabled", "sms"),
        ("MmsEnabled", "mms"),
        ("VoiceEnabled", "voice"),
        ("FaxEnabled", "fax"),
    ):
        if (value := q(param)) is not None:
            tests.append(_capable(capability, value.lower() == "true"))
    if (q("ExcludeAllAddressRequired") or "").lower() == "true":
        tests.append(lambda a: a.address_requirements != "any")
    return [a for a in areas if all(t(a) for t in tests)]


def search(
    country: str,
    kind: str,
    q: Callable[[str], str | None],
    owned: Callable[[str], bool],
    limit: int,
) -> list[dict[str, Any]]:
    """Up to ``limit`` available numbers matching a search, as Twilio's payloads."""
    contains = q("Contains") or ""
    regex = re.compile(_pattern(contains)) if contains else None
    wanted = _contains_digits(contains) if contains else ""
    found: list[dict[str, Any]] = []
    # Bought numbers drop out of the stock, so look further than ``limit`` candidates.
    for number, area in _candidates(matching_areas(country, kind, q), wanted, limit * 4 + 200):
        if (regex is None or regex.search(number)) and not owned(number):
            found.append(payload(number, area))
            if len(found) >= limit:
                break
    return found


def _candidates(areas: list[Area], wanted: str, count: int) -> Iterator[tuple[str, Area]]:
    usable = [a for a in areas if len(wanted) <= a.digits]
    for index in range(count):
        for area in usable:
            yield _fill(area, index, wanted), area


def payload(number: str, area: Area) -> dict[str, Any]:
    return {
        "friendly_name": friendly(number),
        "phone_number": number,
        "lata": area.lata,
        "locality": area.locality,
        "rate_center": area.rate_center,
        "latitude": area.latitude,
        "longitude": area.longitude,
        "region": area.region or None,
        "postal_code": area.postal_code,
        "iso_country": area.country,
        "address_requirements": area.address_requirements,
        "beta": False,
        "capabilities": dict(area.capabilities),
    }
