import pytest

from functions.vehicle_exchange import vin as vins

# Real VINs whose check digits are valid (North America: the check digit is mandatory).
VALID_NORTH_AMERICAN = ["1M8GDM9AXKP042788", "1HGCM82633A004352", "JH4KA7561PC008269", "1G1ZT53826F109149"]
# European VINs: no check digit required (position 9 is a filler or manufacturer code).
VALID_EUROPEAN = ["WP0ZZZ99ZTS392124", "WVWZZZ1JZXW000001"]


@pytest.mark.parametrize("vin", VALID_NORTH_AMERICAN + VALID_EUROPEAN)
def test_real_vins_are_valid(vin):
    assert vins.validate(vin) == vin


def test_check_digit_of_the_iso_3779_example_is_x():
    assert vins.check_digit("1M8GDM9AXKP042788") == "X"
    assert vins.check_digit("1HGCM82633A004352") == "3"


def test_vin_is_normalised_to_upper_case():
    assert vins.validate(" 1m8gdm9axkp042788 ") == "1M8GDM9AXKP042788"


@pytest.mark.parametrize(
    "vin, reason",
    [
        ("1M8GDM9AXKP042789", "check digit (position 9) is 'X', expected '1'"),
        ("1HGCM82643A004352", "check digit"),
        ("1M8GDM9AXKP04278", "17 characters, not 16"),
        ("1M8GDM9AXKP0427888", "17 characters, not 18"),
        ("1M8GDM9AXKP0I2788", "must not contain I"),
        ("WP0ZZZ99ZTS3921O4", "must not contain O"),
        ("QP0ZZZ99ZTS392124", "must not contain Q"),
        ("1M8GDM9AXKP04-788", "only the letters"),
        ("WP0ZZZ99ZTS39A124", "must be digits"),
        ("0M8GDM9AXKP042788", "region '0'"),
        ("1M8GDM9AXUP042788", "not a model-year code"),
        ("", "17 characters, not 0"),
    ],
)
def test_invalid_vins_name_the_reason(vin, reason):
    with pytest.raises(vins.InvalidVin) as error:
        vins.validate(vin)
    assert reason in str(error.value)
    assert not vins.is_valid(vin)


def test_check_digit_is_only_required_in_north_america():
    european = "WP0ZZZ99ZTS392124"
    assert vins.check_digit(european) != european[8] and vins.is_valid(european)
    assert vins.requires_check_digit("1M8GDM9AXKP042788") and not vins.requires_check_digit(european)


def test_small_manufacturer_serial_needs_only_three_digits():
    # WMI position 3 = '9': positions 12-14 identify the manufacturer, 15-17 are the serial.
    vin = "WP9ZZZ99ZTSAB2124"
    assert vins.validate(vin) == vin
