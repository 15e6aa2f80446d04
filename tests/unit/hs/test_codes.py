"""HS code syntax: the formats the API accepts and the clear errors for everything else."""

import pytest
from customs.hs import InvalidHsCode, format_code, normalize_code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8517.13", "851713"),
        ("851713", "851713"),
        ("8517 13", "851713"),
        ("85.17", "8517"),
        ("8517", "8517"),
        ("85", "85"),
        ("  0101.21 ", "010121"),
    ],
)
def test_accepted_formats(raw: str, expected: str) -> None:
    assert normalize_code(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("85171", "5 digits"),
        ("8517.133", "7 digits"),
        ("8", "1 digits"),
        ("abcd", "only digits"),
        ("8517-13", "only digits"),
        ("85171300", "8 digits"),
        ("851.713", "misplaced separator"),
        ("8517..13", "misplaced separator"),
    ],
)
def test_malformed_codes_raise_with_reason(raw: str, message: str) -> None:
    with pytest.raises(InvalidHsCode, match=message):
        normalize_code(raw)


def test_invalid_code_is_a_value_error_and_rejects_non_strings() -> None:
    assert issubclass(InvalidHsCode, ValueError)
    with pytest.raises(InvalidHsCode, match="string"):
        normalize_code(851713)  # type: ignore[arg-type]


def test_format_code() -> None:
    assert format_code("851713") == "8517.13"
    assert format_code("85 17") == "8517"
