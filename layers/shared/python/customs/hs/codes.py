"""HS code syntax: normalisation, display format and the errors raised for bad codes.

Kept free of any data so that request validation can reject a malformed code before the
nomenclature is loaded.
"""

from __future__ import annotations

import re

__all__ = ["LEVELS", "InvalidHsCode", "UnknownHsCode", "format_code", "normalize_code"]

#: Digit lengths of the three HS levels: chapter, heading, subheading.
LEVELS: tuple[int, ...] = (2, 4, 6)

# Two-digit groups optionally separated by one dot or one space: 85, 8517, 85.17, 8517.13, 8517 13.
_CODE_RE = re.compile(r"\d{2}(?:[. ]?\d{2}){0,2}")
_ALLOWED_RE = re.compile(r"[\d. ]+")


class InvalidHsCode(ValueError):
    """A code that is not syntactically an HS chapter, heading or subheading."""


class UnknownHsCode(LookupError):
    """A well-formed code that does not exist in the nomenclature."""


def normalize_code(code: str) -> str:
    """Return the bare digits of an HS code (``"8517.13"`` -> ``"851713"``).

    Accepts 2, 4 or 6 digits, optionally grouped by pairs with ``.`` or a space
    (``85``, ``85.17``, ``8517``, ``8517.13``, ``8517 13``); anything else raises
    :class:`InvalidHsCode` naming the problem, so API callers get an actionable message.
    """
    if not isinstance(code, str):
        raise InvalidHsCode(f"HS code must be a string, got {type(code).__name__}")
    text = code.strip()
    if not text:
        raise InvalidHsCode("HS code is empty")
    if not _ALLOWED_RE.fullmatch(text):
        raise InvalidHsCode(f"HS code {code!r} may contain only digits, '.' and spaces")
    digits = re.sub(r"\D", "", text)
    if len(digits) not in LEVELS:
        raise InvalidHsCode(
            f"HS code {code!r} has {len(digits)} digits; expected 2 (chapter), 4 (heading) or 6 (subheading)"
        )
    if not _CODE_RE.fullmatch(text):
        raise InvalidHsCode(f"HS code {code!r} has a misplaced separator; write e.g. '8517.13' or '851713'")
    return digits


def format_code(code: str) -> str:
    """Display form used in customs documents: ``"851713"`` -> ``"8517.13"``, ``"8517"`` unchanged."""
    digits = normalize_code(code)
    return f"{digits[:4]}.{digits[4:]}" if len(digits) == 6 else digits
