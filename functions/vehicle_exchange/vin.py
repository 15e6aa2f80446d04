"""Vehicle identification numbers (ISO 3779): structure, and the check digit where the WMI's region requires it.

A VIN is 17 characters from A–Z and 0–9 without I, O and Q: the world manufacturer identifier (WMI, positions
1–3), the vehicle descriptor section (VDS, 4–9) and the vehicle indicator section (VIS, 10–17), whose last four
characters are numeric (ISO 3779 §5.3; for small manufacturers, WMI position 3 = '9', positions 12–14 name the
manufacturer, so only 15–17 must be). North America (WMI 1–5, 49 CFR 565) additionally requires the check digit in
position 9 and a model-year code in position 10.
"""

from __future__ import annotations

import re

VIN_PATTERN = r"^[A-HJ-NPR-Z0-9]{17}$"
_ALPHABET = re.compile(VIN_PATTERN)
_TRANSLITERATION = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9))),
    **dict(zip("JKLMN", range(1, 6))),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10))),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
# Regions (WMI position 1) whose rules require the check digit in position 9; China ('L') could be added here.
CHECK_DIGIT_REGIONS = frozenset("12345")
# Model-year codes of position 10 where it is mandatory (no I, O, Q, U, Z and no 0).
MODEL_YEAR_CODES = frozenset("ABCDEFGHJKLMNPRSTVWXY123456789")


class InvalidVin(ValueError):
    """The VIN is not valid; the message names the reason (it goes back to the agency in a rejection)."""


def check_digit(vin: str) -> str:
    """The check digit position 9 must hold (``X`` stands for 10)."""
    total = sum(_TRANSLITERATION[c] * w for c, w in zip(vin, _WEIGHTS))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def requires_check_digit(vin: str) -> bool:
    return vin[:1] in CHECK_DIGIT_REGIONS


def validate(vin: str) -> str:
    """The VIN, normalised (stripped, upper case) when valid; raises ``InvalidVin`` naming the reason otherwise."""
    if not isinstance(vin, str):
        raise InvalidVin("VIN must be a string")
    value = vin.strip().upper()
    if len(value) != 17:
        raise InvalidVin(f"VIN must have 17 characters, not {len(value)}")
    if not _ALPHABET.match(value):
        bad = sorted({c for c in value if c in "IOQ"})
        if bad:
            raise InvalidVin(f"VIN must not contain {', '.join(bad)} (I, O and Q are excluded by ISO 3779)")
        raise InvalidVin("VIN may contain only the letters A-Z (without I, O, Q) and the digits 0-9")
    if value[0] == "0":
        raise InvalidVin("WMI region '0' is not assigned (ISO 3780)")
    serial = value[14:] if value[2] == "9" else value[13:]
    if not serial.isdigit():
        raise InvalidVin(f"the last {len(serial)} characters of the VIS (production sequence) must be digits")
    if requires_check_digit(value):
        if value[9] not in MODEL_YEAR_CODES:
            raise InvalidVin(f"position 10 '{value[9]}' is not a model-year code")
        expected = check_digit(value)
        if value[8] != expected:
            raise InvalidVin(f"check digit (position 9) is '{value[8]}', expected '{expected}'")
    return value


def is_valid(vin: str) -> bool:
    try:
        validate(vin)
    except InvalidVin:
        return False
    return True
